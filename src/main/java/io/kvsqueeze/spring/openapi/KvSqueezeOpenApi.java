package io.kvsqueeze.spring.openapi;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.media.Schema;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * What the starter adds to the application's OpenAPI document ({@code /v3/api-docs}): the two bearer schemes
 * its endpoints use, and a title and description when the application has not set its own (springdoc's
 * default title is a placeholder). The operations themselves are described by annotations on the controllers.
 *
 * <p>It also renames the properties of the starter's snake_case documents: they carry Jackson 3's
 * {@link JsonNaming}, which swagger-core (built on Jackson 2) does not read, so without this the document would
 * name {@code display_name} {@code displayName}.
 */
public final class KvSqueezeOpenApi implements OpenApiCustomizer {
    /** The admin token, {@code kvsqueeze.admin.token}, for {@code /admin/v1}. */
    public static final String ADMIN_TOKEN = "adminToken";
    /** A tenant's API key, for the OpenAI-compatible {@code /v1}. */
    public static final String TENANT_API_KEY = "tenantApiKey";

    private static final String SPRINGDOC_DEFAULT_TITLE = "OpenAPI definition";

    private final Map<String, Class<?>> snakeCaseSchemas = new LinkedHashMap<>();

    /** @param documentTypes the starter's request and response types; those named snake_case are renamed */
    public KvSqueezeOpenApi(Collection<Class<?>> documentTypes) {
        for (Class<?> type : documentTypes) {
            JsonNaming naming = type.getAnnotation(JsonNaming.class);
            if (naming != null && naming.value() == PropertyNamingStrategies.SnakeCaseStrategy.class) {
                snakeCaseSchemas.put(type.getSimpleName(), type);
            }
        }
    }

    @Override
    public void customise(OpenAPI openApi) {
        if (openApi.getComponents() == null) {
            openApi.setComponents(new Components());
        }
        openApi.getComponents()
                .addSecuritySchemes(ADMIN_TOKEN, new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                        .description("The admin token (kvsqueeze.admin.token, or the generated one in"
                                + " KVSQUEEZE_HOME/admin-token)."))
                .addSecuritySchemes(TENANT_API_KEY, new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                        .description("A tenant's API key, created with POST /admin/v1/tenants/{id}/api-keys; it"
                                + " selects the tenant whose KV policy and limits apply."));
        if (openApi.getComponents().getSchemas() != null) {
            snakeCaseSchemas.keySet().forEach(name -> toSnakeCase(openApi.getComponents().getSchemas().get(name)));
        }
        Info info = openApi.getInfo();
        if (info == null || info.getTitle() == null || SPRINGDOC_DEFAULT_TITLE.equals(info.getTitle())) {
            openApi.setInfo(new Info().title("KVSqueeze").version("v1")
                    .description("A local chat model with a compressed KV cache: the OpenAI-compatible chat API under"
                            + " /v1 and the tenant admin API under /admin/v1."));
        }
    }

    private static void toSnakeCase(Schema<?> schema) {
        if (schema == null || schema.getProperties() == null) {
            return;
        }
        Map<String, Schema> renamed = new LinkedHashMap<>();
        schema.getProperties().forEach((name, property) -> renamed.put(snakeCase(name), property));
        schema.setProperties(renamed);
        if (schema.getRequired() != null) {
            List<String> required = new ArrayList<>();
            schema.getRequired().forEach(name -> required.add(snakeCase(name)));
            schema.setRequired(required);
        }
    }

    private static String snakeCase(String name) {
        return PropertyNamingStrategies.SNAKE_CASE.nameForField(null, null, name); // NamingBase ignores the config
    }
}

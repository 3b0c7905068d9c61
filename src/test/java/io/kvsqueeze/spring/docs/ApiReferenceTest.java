package io.kvsqueeze.spring.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.spring.admin.AdminDtos;
import io.kvsqueeze.spring.testapp.Http;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.EnumFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The committed API reference is the running application's OpenAPI document: {@code docs/api/openapi.json} is
 * what {@code /v3/api-docs} serves and {@code docs/api-reference.md} is rendered from it. When the API changes
 * this fails until both are regenerated with {@code KVSQUEEZE_WRITE_API_DOCS=true ./mvnw -B test
 * -Dtest=ApiReferenceTest} (or any test run with that variable set), so the reference cannot go stale.
 */
@KvSqueezeSpringBootTest
class ApiReferenceTest {
    static final Path OPENAPI = Path.of("docs/api/openapi.json");
    static final Path REFERENCE = Path.of("docs/api-reference.md");
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    @LocalServerPort
    int port;

    @Autowired
    JsonMapper applicationJson;

    /** The document names fields as the application writes them (snake_case), not as the records spell them. */
    @Test
    void schemasNameTheFieldsTheApplicationWrites() {
        JsonNode schemas = new Http(port).get("/v3/api-docs").json().get("components").get("schemas");
        AdminDtos.Limits limits = new AdminDtos.Limits(4096, 256, 1L << 20, 2, "degrade");
        Instant now = Instant.now();
        List<Object> samples = List.of(
                new AdminDtos.TenantView("acme", "Acme", limits, "snapkv", 1, now, now),
                new AdminDtos.CreateTenant("acme", "Acme", limits, "snapkv"),
                new AdminDtos.UpdateTenant("Acme", limits), limits,
                new AdminDtos.PolicyChangeView(2, "full", "snapkv", "admin", now),
                new AdminDtos.ApiKeyView("k1", "acme", "kvs_ab", "ci", now, "kvs_secret"));
        for (Object sample : samples) {
            List<String> written = new ArrayList<>(applicationJson.valueToTree(sample).propertyNames());
            List<String> documented = new ArrayList<>(schemas.get(sample.getClass().getSimpleName()).get("properties")
                    .propertyNames());
            assertThat(documented).as(sample.getClass().getSimpleName()).containsExactlyInAnyOrderElementsOf(written);
        }
    }

    /** A real reply of /v1/chat/completions has exactly the fields its documented schemas list, at every level. */
    @Test
    void theChatCompletionSchemaIsWhatTheApiAnswers() {
        Http http = new Http(port);
        String[] admin = {"Authorization", Http.bearer(KvSqueezeSpringBootTest.ADMIN_TOKEN)};
        String id = "t-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        assertThat(http.post("/admin/v1/tenants", java.util.Map.of("id", id, "display_name", id), admin).status())
                .isEqualTo(201);
        String key = http.post("/admin/v1/tenants/" + id + "/api-keys", "{}", admin).json().get("key").asString();
        Http.Response reply = http.post("/v1/chat/completions", java.util.Map.of("model", "SmolLM2-135M-Instruct.Q4_1",
                "max_tokens", 2, "messages", List.of(java.util.Map.of("role", "user", "content", "Hi"))),
                "Authorization", Http.bearer(key));
        assertThat(reply.status()).isEqualTo(200);
        JsonNode schemas = http.get("/v3/api-docs").json().get("components").get("schemas");
        JsonNode body = reply.json();
        assertFields(schemas, "ChatCompletion", body);
        assertFields(schemas, "Choice", body.get("choices").get(0));
        assertFields(schemas, "ReplyMessage", body.get("choices").get(0).get("message"));
        assertFields(schemas, "Usage", body.get("usage"));
        assertFields(schemas, "PromptTokensDetails", body.get("usage").get("prompt_tokens_details"));
        assertFields(schemas, "KvSqueezeUsage", body.get("kvsqueeze"));
        assertFields(schemas, "ModelList", http.get("/v1/models", "Authorization", Http.bearer(key)).json());
        assertFields(schemas, "Model", http.get("/v1/models", "Authorization", Http.bearer(key)).json().get("data").get(0));
        Http.Response error = http.get("/v1/models/nope", "Authorization", Http.bearer(key));
        assertFields(schemas, "ErrorResponse", error.json());
        assertFields(schemas, "ErrorDetail", error.json().get("error"));
    }

    private static void assertFields(JsonNode schemas, String schema, JsonNode actual) {
        assertThat(new ArrayList<>(actual.propertyNames())).as(schema)
                .containsExactlyInAnyOrderElementsOf(schemas.get(schema).get("properties").propertyNames());
    }

    @Test
    void theCommittedApiReferenceIsTheServedOpenApiDocument() throws IOException {
        Http.Response served = new Http(port).get("/v3/api-docs");
        assertThat(served.status()).isEqualTo(200);
        JsonNode document = served.json();
        // The server entry names this test's random port; the reference is for any deployment.
        ((ObjectNode) document).remove("servers");
        String openApi = JSON.writeValueAsString(JSON.treeToValue(document, Object.class)) + "\n";
        String reference = new ApiReferenceRenderer(document).render();
        if (Boolean.parseBoolean(System.getenv("KVSQUEEZE_WRITE_API_DOCS"))) {
            Files.createDirectories(OPENAPI.getParent());
            Files.writeString(OPENAPI, openApi);
            Files.writeString(REFERENCE, reference);
        }
        assertThat(Files.exists(OPENAPI)).as(OPENAPI + " exists; regenerate with KVSQUEEZE_WRITE_API_DOCS=true").isTrue();
        assertThat(Files.readString(OPENAPI)).as(OPENAPI + " is stale; regenerate with KVSQUEEZE_WRITE_API_DOCS=true")
                .isEqualTo(openApi);
        assertThat(Files.readString(REFERENCE)).as(REFERENCE + " is stale; regenerate with KVSQUEEZE_WRITE_API_DOCS=true")
                .isEqualTo(reference);
    }
}

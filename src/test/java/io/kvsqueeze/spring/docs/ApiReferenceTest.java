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

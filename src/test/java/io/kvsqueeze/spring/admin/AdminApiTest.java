package io.kvsqueeze.spring.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.spring.tenant.TenantDirectory;
import io.kvsqueeze.spring.testapp.Http;
import io.kvsqueeze.spring.testapp.Http.Response;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/** The admin API over real HTTP. */
@KvSqueezeSpringBootTest
class AdminApiTest {
    private static final String[] ADMIN = {"Authorization", Http.bearer(KvSqueezeSpringBootTest.ADMIN_TOKEN)};

    @LocalServerPort
    int port;

    @Autowired
    TenantDirectory directory;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    private String createTenant(Map<String, Object> limits) {
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("display_name", "Tenant " + id);
        if (limits != null) {
            body.put("limits", limits);
        }
        Response created = http.post("/admin/v1/tenants", body, ADMIN);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return id;
    }

    @Test
    void everyEndpointRefusesMissingAndWrongTokens() {
        String id = createTenant(null);
        List<String[]> endpoints = List.of(
                new String[] {"GET", "/admin/v1/tenants"}, new String[] {"POST", "/admin/v1/tenants"},
                new String[] {"GET", "/admin/v1/tenants/" + id}, new String[] {"PUT", "/admin/v1/tenants/" + id},
                new String[] {"DELETE", "/admin/v1/tenants/" + id},
                new String[] {"GET", "/admin/v1/tenants/" + id + "/kv-policy"},
                new String[] {"PUT", "/admin/v1/tenants/" + id + "/kv-policy"},
                new String[] {"GET", "/admin/v1/tenants/" + id + "/kv-policy/history"},
                new String[] {"GET", "/admin/v1/tenants/" + id + "/api-keys"},
                new String[] {"POST", "/admin/v1/tenants/" + id + "/api-keys"},
                new String[] {"DELETE", "/admin/v1/tenants/" + id + "/api-keys/key_0"});
        String tenantKey = http.post("/admin/v1/tenants/" + id + "/api-keys", "{}", ADMIN).json().get("key").asString();
        for (String[] endpoint : endpoints) {
            String body = endpoint[0].equals("GET") || endpoint[0].equals("DELETE") ? null : "{}";
            for (String[] credentials : List.of(new String[0],
                    new String[] {"Authorization", Http.bearer("wrong-token-0123456789")},
                    new String[] {"Authorization", "Basic " + KvSqueezeSpringBootTest.ADMIN_TOKEN},
                    // A tenant's API key is no admin token.
                    new String[] {"Authorization", Http.bearer(tenantKey)})) {
                Response response = http.send(endpoint[0], endpoint[1], body, credentials);
                assertThat(response.status()).as(endpoint[0] + " " + endpoint[1] + " " + String.join(" ", credentials))
                        .isEqualTo(401);
                assertThat(response.header("Content-Type")).startsWith("application/problem+json");
                assertThat(response.header("WWW-Authenticate")).startsWith("Bearer");
                assertThat(response.json().get("field").asString()).isEqualTo("Authorization");
            }
        }
        assertThat(http.get("/admin/v1/tenants/" + id, ADMIN).status()).isEqualTo(200);
    }

    @Test
    void pathVariantsDoNotSlipPastTheTokenCheck() {
        for (String path : List.of("//admin/v1/tenants", "/admin/v1;x=y/tenants", "/admin/v1/./tenants",
                "/admin/x/../v1/tenants", "/admin/v1/tenants/", "/ADMIN/v1/tenants", "/admin//v1/tenants")) {
            Response response = http.get(path);
            assertThat(response.status()).as(path + " -> " + response).isNotEqualTo(200);
            assertThat(response.body()).as(path).doesNotContain("display_name");
        }
    }

    @Test
    void tenantsCrud() {
        String id = createTenant(Map.of("max_new_tokens", 16, "max_concurrent_requests", 2));
        JsonNode tenant = http.get("/admin/v1/tenants/" + id, ADMIN).json();
        assertThat(tenant.get("display_name").asString()).isEqualTo("Tenant " + id);
        assertThat(tenant.get("limits").get("max_new_tokens").asInt()).isEqualTo(16);
        assertThat(tenant.get("limits").get("max_context_tokens").isNull()).isTrue();
        assertThat(tenant.get("kv_policy").asString()).isEqualTo("full");
        assertThat(directory.tenant(id)).as("this replica sees the new tenant at once").isPresent();

        JsonNode list = http.get("/admin/v1/tenants", ADMIN).json();
        assertThat(list.valueStream().map(t -> t.get("id").asString()).toList()).contains(id);

        Response updated = http.put("/admin/v1/tenants/" + id,
                Map.of("display_name", "Renamed", "limits", Map.of("max_context_tokens", 300)), ADMIN);
        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.json().get("display_name").asString()).isEqualTo("Renamed");
        assertThat(updated.json().get("limits").get("max_context_tokens").asInt()).isEqualTo(300);
        assertThat(updated.json().get("limits").get("max_new_tokens").isNull()).isTrue();

        assertThat(http.delete("/admin/v1/tenants/" + id, ADMIN).status()).isEqualTo(204);
        assertThat(http.get("/admin/v1/tenants/" + id, ADMIN).status()).isEqualTo(404);
        assertThat(http.delete("/admin/v1/tenants/" + id, ADMIN).status()).isEqualTo(404);
        assertThat(directory.tenant(id)).isEmpty();
    }

    @Test
    void invalidInputIsAProblemNamingTheField() {
        assertProblem(http.post("/admin/v1/tenants", Map.of("id", "Bad Id", "display_name", "x"), ADMIN), 400, "id");
        assertProblem(http.post("/admin/v1/tenants", Map.of("id", "ok-id"), ADMIN), 400, "display_name");
        assertProblem(http.post("/admin/v1/tenants", Map.of("id", "ok-id2", "display_name", "x",
                "limits", Map.of("max_new_tokens", 0)), ADMIN), 400, "max_new_tokens");
        assertProblem(http.post("/admin/v1/tenants", "{\"id\":\"ok-id3\",\"display_name\":\"x\",\"limits\":"
                + "{\"kv_bytes_quota\":\"lots\"}}", ADMIN), 400, "limits.kv_bytes_quota");
        assertProblem(http.post("/admin/v1/tenants", Map.of("id", "ok-id4", "display_name", "x", "kv_policy", "snapkv-lite"),
                ADMIN), 400, "kv_policy");
        String id = createTenant(null);
        assertProblem(http.post("/admin/v1/tenants", Map.of("id", id, "display_name", "again"), ADMIN), 409, "id");
        assertThat(http.get("/admin/v1/tenants/nobody", ADMIN).status()).isEqualTo(404);
    }

    @Test
    void kvPolicyWritesNeedTheCurrentETagAndAreRecorded() {
        String id = createTenant(null);
        String path = "/admin/v1/tenants/" + id + "/kv-policy";
        Response read = http.get(path, ADMIN);
        assertThat(read.header("ETag")).isEqualTo("\"1\"");
        assertThat(read.json().get("policy").asString()).isEqualTo("full");

        assertProblem(http.put(path, Map.of("policy", "full"), ADMIN), 428, "If-Match");
        Response written = http.put(path, Map.of("policy", "full"), ADMIN[0], ADMIN[1], "If-Match", "\"1\"",
                AdminController.ACTOR_HEADER, "alice");
        assertThat(written.status()).isEqualTo(200);
        assertThat(written.header("ETag")).isEqualTo("\"2\"");

        // A second writer still holding version 1 loses and changes nothing.
        Response stale = http.put(path, Map.of("policy", "full"), ADMIN[0], ADMIN[1], "If-Match", "\"1\"");
        assertProblem(stale, 412, "If-Match");
        assertThat(stale.header("ETag")).isEqualTo("\"2\"");
        assertThat(http.get(path, ADMIN).header("ETag")).isEqualTo("\"2\"");

        assertProblem(http.put(path, Map.of("policy", "{\"preset\": \"pyramidkv\", \"budget\": {\"ratio\": 2}}"),
                ADMIN[0], ADMIN[1], "If-Match", "\"2\""), 400, "policy");
        assertProblem(http.put(path, Map.of("policy", "full"), ADMIN[0], ADMIN[1], "If-Match", "W/\"2\""), 400, "If-Match");
        assertThat(http.get(path, ADMIN).header("ETag")).isEqualTo("\"2\"");

        JsonNode history = http.get(path + "/history", ADMIN).json();
        assertThat(history.size()).isEqualTo(2);
        assertThat(history.get(0).get("version").asLong()).isEqualTo(1);
        assertThat(history.get(0).get("old_policy").isNull()).isTrue();
        assertThat(history.get(1).get("changed_by").asString()).isEqualTo("admin:alice");
        assertThat(history.get(1).get("old_policy").asString()).isEqualTo("full");
        assertThat(history.get(1).get("changed_at").asString()).isNotBlank();
        assertThat(http.get("/admin/v1/tenants/nobody/kv-policy/history", ADMIN).status()).isEqualTo(404);
    }

    @Test
    void apiKeysAreShownOnceAndCanBeRevoked() {
        String id = createTenant(null);
        Response created = http.post("/admin/v1/tenants/" + id + "/api-keys", Map.of("name", "ci"), ADMIN);
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Cache-Control")).isEqualTo("no-store");
        String key = created.json().get("key").asString();
        String keyId = created.json().get("id").asString();
        assertThat(directory.authenticate(key)).hasValue(id);

        Response listed = http.get("/admin/v1/tenants/" + id + "/api-keys", ADMIN);
        assertThat(listed.body()).contains(keyId).doesNotContain(key).doesNotContain("\"key\"");

        assertThat(http.delete("/admin/v1/tenants/" + id + "/api-keys/" + keyId, ADMIN).status()).isEqualTo(204);
        assertThat(directory.authenticate(key)).isEmpty();
        assertThat(http.delete("/admin/v1/tenants/" + id + "/api-keys/" + keyId, ADMIN).status()).isEqualTo(404);
        assertThat(http.post("/admin/v1/tenants/nobody/api-keys", "{}", ADMIN).status()).isEqualTo(404);
    }

    @Test
    void openApiDescribesTheAdminApi() {
        Response docs = http.get("/v3/api-docs");
        assertThat(docs.status()).isEqualTo(200);
        JsonNode paths = docs.json().get("paths");
        assertThat(paths.has("/admin/v1/tenants/{id}/kv-policy")).isTrue();
        assertThat(paths.has("/admin/v1/tenants/{id}/api-keys/{keyId}")).isTrue();
        assertThat(http.get("/swagger-ui/index.html").status()).isEqualTo(200);
    }

    private static void assertProblem(Response response, int status, String field) {
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.json().get("field").asString()).as(response.toString()).isEqualTo(field);
        assertThat(response.json().get("detail").asString()).isNotBlank();
    }
}

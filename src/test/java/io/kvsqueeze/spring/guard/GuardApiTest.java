package io.kvsqueeze.spring.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.kvsqueeze.spring.ai.AdmissionGuard.OverloadedException;
import io.kvsqueeze.spring.testapp.Http;
import io.kvsqueeze.spring.testapp.Http.Response;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The memory guard in the application: an open breaker refuses generations (503 on the API) until memory eases. */
@KvSqueezeSpringBootTest
class GuardApiTest {
    private static final String[] ADMIN = {"Authorization", Http.bearer(KvSqueezeSpringBootTest.ADMIN_TOKEN)};

    @LocalServerPort
    int port;

    @Autowired
    MemoryPressureGuard guard;

    @Autowired
    CircuitBreakerRegistry registry;

    @Autowired
    ChatModel chatModel;

    @Autowired
    MeterRegistry meters;

    @Test
    void refusesGenerationsWhileTheBreakerIsOpenThenRecovers() {
        Http http = new Http(port);
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        http.post("/admin/v1/tenants", Map.of("id", id, "display_name", id), ADMIN);
        String key = http.post("/admin/v1/tenants/" + id + "/api-keys", "{}", ADMIN).json().get("key").asString();
        Map<String, Object> chat = Map.of("model", "SmolLM2-135M-Instruct.Q4_1", "max_tokens", 2,
                "messages", List.of(Map.of("role", "user", "content", "Hi")));

        assertThat(registry.find(MemoryPressureGuard.BREAKER_NAME)).containsSame(guard.breaker());
        // What a reading above the high watermark does.
        guard.breaker().transitionToForcedOpenState();
        try {
            for (Map<String, Object> request : List.of(chat, Map.<String, Object>of("model", "SmolLM2-135M-Instruct.Q4_1",
                    "stream", true, "messages", List.of(Map.of("role", "user", "content", "Hi"))))) {
                Response refused = http.post("/v1/chat/completions", request, "Authorization", Http.bearer(key));
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.header("Retry-After")).isEqualTo("1");
                assertThat(refused.header("X-Should-Retry")).isEqualTo("true");
                assertThat(refused.json().get("error").get("code").asString()).isEqualTo("memory_pressure");
            }
            assertThatThrownBy(() -> chatModel.call("Hi")).isInstanceOf(OverloadedException.class);
            // Readiness: the replica refuses every generation, so its guard health says OUT_OF_SERVICE.
            Response health = http.get("/actuator/health/kvsqueeze-guard");
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.json().get("status").asString()).isEqualTo("OUT_OF_SERVICE");
            assertThat(health.json().get("details").get("memory").get("state").asString()).isEqualTo("FORCED_OPEN");
            assertThat(meters.get("kvsqueeze.requests.rejected").tag("tenant", id).tag("reason", "memory_pressure")
                    .counter().count()).isEqualTo(2);
        } finally {
            // A real reading: this test JVM's heap is far below the low watermark, so the guard closes the breaker.
            guard.sample();
        }
        assertThat(http.post("/v1/chat/completions", chat, "Authorization", Http.bearer(key)).status()).isEqualTo(200);
        Response health = http.get("/actuator/health/kvsqueeze-guard");
        assertThat(health.json().get("status").asString()).isEqualTo("UP");
        assertThat(health.json().get("details").get("mode").asString()).isEqualTo("reject");
        assertThat(health.json().get("details").get("tenants").get(id).get("state").asString()).isEqualTo("CLOSED");
        assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", MemoryPressureGuard.BREAKER_NAME)
                .tag("state", "closed").gauge().value()).isEqualTo(1);
    }
}

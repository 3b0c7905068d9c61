package io.kvsqueeze.spring.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.kvsqueeze.spring.ai.GenerationService;
import io.kvsqueeze.spring.ai.KvSqueezeChatModel;
import io.kvsqueeze.spring.testapp.Http;
import io.kvsqueeze.spring.testapp.Http.Response;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * A tenant's KV-quota breaker through the API: quota rejections open it; in degrade mode the tenant's requests
 * then run under the degraded policy, in reject mode they get 503; half-open probes reopen or close it. The
 * test context's breakers open after 2 checks at 50 % and wait 1 s.
 */
@KvSqueezeSpringBootTest
class TenantBreakerApiTest {
    private static final String[] ADMIN = {"Authorization", Http.bearer(KvSqueezeSpringBootTest.ADMIN_TOKEN)};
    private static final String LONG = "Describe the city. ".repeat(40);

    @LocalServerPort
    int port;

    @Autowired
    GenerationService generations;

    @Autowired
    TenantQuotaBreakers breakers;

    @Autowired
    MeterRegistry meters;

    Http http;

    private Map<String, Object> limits(long quota, String mode) {
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("kv_bytes_quota", quota);
        limits.put("guard_mode", mode);
        return limits;
    }

    private Response chat(String key, String content, boolean stream) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", "SmolLM2-135M-Instruct.Q4_1");
        body.put("max_tokens", 2);
        body.put("messages", List.of(Map.of("role", "user", "content", content)));
        if (stream) {
            body.put("stream", true);
        }
        return http.post("/v1/chat/completions", body, "Authorization", Http.bearer(key));
    }

    private static void sleepPastTheOpenWait() throws InterruptedException {
        Thread.sleep(1_200);
    }

    @Test
    void degradeModeRunsUnderHalfTheBudgetUntilAProbeFitsThenRejectModeRefuses() throws InterruptedException {
        http = new Http(port);
        int promptTokens = generations.encodeChat(KvSqueezeChatModel.toEngineMessages(List.of(new UserMessage(LONG)))).length;
        assertThat(promptTokens).isGreaterThan(150);
        // Over the quota with the whole prompt (full), within it with half the prompt (snapkv at ratio 0.5).
        long quota = (promptTokens * 3L / 4 + 2) * generations.fullBytesPerToken();
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        Response created = http.post("/admin/v1/tenants", Map.of("id", id, "display_name", id,
                "limits", limits(quota, "degrade")), ADMIN);
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().get("limits").get("guard_mode").asString()).isEqualTo("degrade");
        String key = http.post("/admin/v1/tenants/" + id + "/api-keys", "{}", ADMIN).json().get("key").asString();
        CircuitBreaker breaker = breakers.breaker(id);

        for (int i = 0; i < 2; i++) {
            Response refused = chat(key, LONG, false);
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.json().get("error").get("code").asString()).isEqualTo("kv_bytes_quota_exceeded");
        }
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

        // Open, degrade mode: the same request runs, compressed, and says so.
        Response degraded = chat(key, LONG, false);
        assertThat(degraded.status()).as(degraded.body()).isEqualTo(200);
        JsonNode kv = degraded.json().get("kvsqueeze");
        assertThat(kv.get("degraded").asBoolean()).isTrue();
        assertThat(kv.get("degraded_by").asString()).isEqualTo("kv_quota");
        assertThat(kv.get("policy").asString()).isEqualTo(DegradedPolicies.FULL_FALLBACK);
        assertThat(kv.get("kv_bytes").asLong()).isLessThan(kv.get("kv_bytes_full").asLong()).isLessThanOrEqualTo(quota);
        assertThat(meters.get("kvsqueeze.requests.degraded").tag("tenant", id).tag("reason", "kv_quota")
                .counter().count()).isEqualTo(1);

        // Half-open: a probe runs under the tenant's own policy; over the quota, the breaker opens again.
        sleepPastTheOpenWait();
        assertThat(chat(key, LONG, false).status()).isEqualTo(400);
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        // A probe within the quota closes it: the tenant's own policy again.
        sleepPastTheOpenWait();
        Response probe = chat(key, "Hi", false);
        assertThat(probe.status()).isEqualTo(200);
        assertThat(probe.json().get("kvsqueeze").get("degraded").asBoolean()).isFalse();
        assertThat(probe.json().get("kvsqueeze").get("policy").asString()).isEqualTo("full");
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);

        // Reject mode, set through the admin API: an open breaker answers 503, whole or streamed.
        Response updated = http.put("/admin/v1/tenants/" + id, Map.of("display_name", id,
                "limits", limits(quota, "reject")), ADMIN);
        assertThat(updated.json().get("limits").get("guard_mode").asString()).isEqualTo("reject");
        for (int i = 0; i < 2; i++) {
            assertThat(chat(key, LONG, false).status()).isEqualTo(400);
        }
        for (boolean stream : List.of(false, true)) {
            Response refused = chat(key, "Hi", stream);
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(refused.json().get("error").get("code").asString()).isEqualTo("kv_quota_breaker_open");
        }
        assertThat(meters.get("kvsqueeze.requests.rejected").tag("tenant", id).tag("reason", "kv_quota_breaker_open")
                .counter().count()).isEqualTo(2);
        assertThat(meters.get("resilience4j.circuitbreaker.state").tag("name", TenantQuotaBreakers.NAME_PREFIX + id)
                .tag("state", "open").gauge().value()).isEqualTo(1);

        // No guard_mode: the global kvsqueeze.guard.mode (reject by default) applies.
        Response inherited = http.put("/admin/v1/tenants/" + id, Map.of("display_name", id,
                "limits", Map.of("kv_bytes_quota", quota)), ADMIN);
        assertThat(inherited.json().get("limits").get("guard_mode").isNull()).isTrue();
        assertThat(chat(key, "Hi", false).status()).isEqualTo(503);
        Response invalid = http.put("/admin/v1/tenants/" + id, Map.of("display_name", id,
                "limits", limits(quota, "sometimes")), ADMIN);
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.body()).contains("guard_mode");
    }
}

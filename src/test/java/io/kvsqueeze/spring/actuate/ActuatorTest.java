package io.kvsqueeze.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.spring.testapp.Http;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/** Health contributors and per-tenant meters, through the actuator endpoints of the test application. */
@KvSqueezeSpringBootTest
class ActuatorTest {
    private static final String[] ADMIN = {"Authorization", Http.bearer(KvSqueezeSpringBootTest.ADMIN_TOKEN)};

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    @Test
    void healthReportsTheModelAndTheTenantDirectory() {
        JsonNode health = new Http(port).get("/actuator/health").json();
        JsonNode components = health.get("components");
        assertThat(components.get("kvsqueeze-model").get("status").asString()).isEqualTo("UP");
        assertThat(components.get("kvsqueeze-model").get("details").get("model").asString())
                .isEqualTo("SmolLM2-135M-Instruct.Q4_1");
        assertThat(components.get("kvsqueeze-tenants").get("status").asString()).isEqualTo("UP");
        assertThat(components.get("kvsqueeze-tenants").get("details").get("version").asLong()).isPositive();
        assertThat(components.get("db").get("status").asString()).isEqualTo("UP");
        JsonNode pool = components.get("kvsqueeze-kv-pool");
        assertThat(pool.get("status").asString()).isEqualTo("UP");
        assertThat(pool.get("details").get("capacityBytes").asLong()).isEqualTo(512L << 20);
        assertThat(pool.get("details").get("maxQueued").asInt()).isEqualTo(64);
    }

    /** The scheduler's pool and queue as meters, and in the Prometheus scrape. */
    @Test
    void exportsTheKvPoolAndTheScheduler() {
        assertThat(meters.get("kvsqueeze.kv.pool.capacity").gauge().value()).isEqualTo(512L << 20);
        assertThat(meters.get("kvsqueeze.kv.pool.used").gauge().value()).isGreaterThanOrEqualTo(0);
        assertThat(meters.get("kvsqueeze.kv.pool.reserved").gauge().value()).isGreaterThanOrEqualTo(0);
        assertThat(meters.get("kvsqueeze.kv.pool.high.water").gauge().value()).isGreaterThanOrEqualTo(0);
        assertThat(meters.get("kvsqueeze.scheduler.running").gauge().value()).isGreaterThanOrEqualTo(0);
        assertThat(meters.get("kvsqueeze.scheduler.queued").gauge().value()).isGreaterThanOrEqualTo(0);
        assertThat(meters.get("kvsqueeze.scheduler.rejections").tag("reason", "queue_full").functionCounter().count())
                .isZero();
        String scrape = new Http(port).get("/actuator/prometheus").body();
        assertThat(scrape).contains("kvsqueeze_kv_pool_capacity_bytes 5.36870912E8")
                .contains("kvsqueeze_scheduler_rejections_total{reason=\"queue_timeout\"}");
    }

    @Test
    void countsTokensAndRejectionsPerTenant() {
        Http http = new Http(port);
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        http.post("/admin/v1/tenants", Map.of("id", id, "display_name", id, "limits", Map.of("max_new_tokens", 3)), ADMIN);
        String key = http.post("/admin/v1/tenants/" + id + "/api-keys", "{}", ADMIN).json().get("key").asString();
        Map<String, Object> chat = Map.of("model", "SmolLM2-135M-Instruct.Q4_1",
                "messages", List.of(Map.of("role", "user", "content", "Say hello.")));
        JsonNode usage = http.post("/v1/chat/completions", chat, "Authorization", Http.bearer(key)).json().get("usage");
        http.post("/v1/chat/completions", Map.of("model", "SmolLM2-135M-Instruct.Q4_1", "max_tokens", 50,
                "messages", List.of(Map.of("role", "user", "content", "Hi"))), "Authorization", Http.bearer(key));

        assertThat(meters.get("kvsqueeze.tokens").tag("tenant", id).tag("type", "completion").counter().count())
                .isEqualTo(usage.get("completion_tokens").asDouble());
        assertThat(meters.get("kvsqueeze.tokens").tag("tenant", id).tag("type", "prompt").counter().count())
                .isEqualTo(usage.get("prompt_tokens").asDouble());
        assertThat(meters.get("kvsqueeze.generations").tag("tenant", id).counter().count()).isEqualTo(1);
        assertThat(meters.get("kvsqueeze.kv.bytes").tag("tenant", id).summary().totalAmount()).isPositive();
        // this tenant runs the full cache: what it holds is what an uncompressed cache holds
        assertThat(meters.get("kvsqueeze.kv.compression.ratio").tag("tenant", id).summary().max()).isEqualTo(1.0);
        assertThat(meters.get("kvsqueeze.requests.rejected").tag("tenant", id).tag("reason", "max_new_tokens")
                .counter().count()).isEqualTo(1);

        JsonNode metric = http.get("/actuator/metrics/kvsqueeze.tokens?tag=tenant:" + id).json();
        assertThat(metric.get("measurements").get(0).get("value").asDouble())
                .isEqualTo(usage.get("total_tokens").asDouble());

        String scrape = http.get("/actuator/prometheus").body();
        assertThat(scrape).contains("kvsqueeze_tokens_total{").contains("tenant=\"" + id + "\"");
    }
}

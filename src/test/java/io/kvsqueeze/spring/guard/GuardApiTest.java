package io.kvsqueeze.spring.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.kvsqueeze.spring.ai.AdmissionGuard.OverloadedException;
import io.kvsqueeze.spring.testapp.Http;
import io.kvsqueeze.spring.testapp.Http.Response;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.json.JsonMapper;

/** The memory guard in the application: an open breaker refuses generations (503 on the API) until memory eases. */
@KvSqueezeSpringBootTest
class GuardApiTest {
    private static final String[] ADMIN = {"Authorization", Http.bearer(KvSqueezeSpringBootTest.ADMIN_TOKEN)};
    private static final JsonMapper JSON = JsonMapper.builder().build();

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

    /** The breaker refuses new generations only: a reply already streaming runs to its end. */
    @Test
    void aRunningStreamSurvivesTheBreakerOpening() throws Exception {
        Http http = new Http(port);
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        http.post("/admin/v1/tenants", Map.of("id", id, "display_name", id), ADMIN);
        String key = http.post("/admin/v1/tenants/" + id + "/api-keys", "{}", ADMIN).json().get("key").asString();
        String body = JSON.writeValueAsString(Map.of("model", "SmolLM2-135M-Instruct.Q4_1", "stream", true,
                "max_tokens", 40, "temperature", 0, "messages", List.of(Map.of("role", "user", "content", "Count to fifty."))));
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
                .header("Authorization", Http.bearer(key)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<Stream<String>> stream = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        List<String> events = new ArrayList<>();
        try (Stream<String> lines = stream.body()) {
            Iterator<String> it = lines.filter(line -> line.startsWith("data: ")).iterator();
            events.add(it.next()); // the role chunk: the generation is queued
            guard.breaker().transitionToForcedOpenState();
            try {
                assertThat(http.post("/v1/chat/completions", Map.of("model", "SmolLM2-135M-Instruct.Q4_1",
                        "max_tokens", 1, "messages", List.of(Map.of("role", "user", "content", "Hi"))),
                        "Authorization", Http.bearer(key)).status()).as("a new request is refused").isEqualTo(503);
                it.forEachRemaining(events::add);
            } finally {
                guard.sample();
            }
        }
        assertThat(events.getLast()).isEqualTo("data: [DONE]");
        String finish = events.get(events.size() - 2);
        assertThat(JSON.readTree(finish.substring("data: ".length())).get("choices").get(0).get("finish_reason")
                .asString()).as("the stream ran to its end, not cut by the breaker").isIn("length", "stop");
    }
}

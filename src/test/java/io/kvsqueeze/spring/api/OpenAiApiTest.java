package io.kvsqueeze.spring.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvsqueeze.engine.scheduler.AdmissionRejectedException;
import io.kvsqueeze.engine.scheduler.SchedulerStats;
import io.kvsqueeze.spring.ai.GenerationService;
import io.kvsqueeze.spring.guard.TenantQuotaBreakers;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.web.MockHttpServletRequest;
import io.kvsqueeze.spring.testapp.Http;
import io.kvsqueeze.spring.testapp.Http.Response;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The OpenAI-compatible API over real HTTP, with tenants and keys made through the admin API. */
@KvSqueezeSpringBootTest
class OpenAiApiTest {
    private static final String MODEL = "SmolLM2-135M-Instruct.Q4_1";
    private static final String QUESTION = "What is the capital of France?";
    private static final String[] ADMIN = {"Authorization", Http.bearer(KvSqueezeSpringBootTest.ADMIN_TOKEN)};
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    ChatModel chatModel;

    @Autowired
    GenerationService generations;

    @Autowired
    OpenAiChatController controller;

    @Autowired
    TenantBulkheads bulkheads;

    @Autowired
    TenantQuotaBreakers breakers;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    /** A new tenant with these limits; returns its id and a key. */
    private String[] tenantWithKey(Map<String, Object> limits) {
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> body = new LinkedHashMap<>(Map.of("id", id, "display_name", id));
        body.put("limits", limits);
        assertThat(http.post("/admin/v1/tenants", body, ADMIN).status()).isEqualTo(201);
        String key = http.post("/admin/v1/tenants/" + id + "/api-keys", "{}", ADMIN).json().get("key").asString();
        return new String[] {id, key};
    }

    private static Map<String, Object> chat(Object... extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", MODEL);
        body.put("messages", List.of(Map.of("role", "user", "content", QUESTION)));
        for (int i = 0; i < extra.length; i += 2) {
            body.put((String) extra[i], extra[i + 1]);
        }
        return body;
    }

    private Response complete(String key, Map<String, Object> body) {
        return http.post("/v1/chat/completions", body, "Authorization", Http.bearer(key));
    }

    @Test
    void everyEndpointRefusesMissingWrongAndOtherCredentials() {
        String[] tenant = tenantWithKey(Map.of());
        String[] deleted = tenantWithKey(Map.of());
        assertThat(http.delete("/admin/v1/tenants/" + deleted[0], ADMIN).status()).isEqualTo(204);
        String[] revoked = tenantWithKey(Map.of());
        String revokedKeyId = http.get("/admin/v1/tenants/" + revoked[0] + "/api-keys", ADMIN).json().get(0).get("id").asString();
        assertThat(http.delete("/admin/v1/tenants/" + revoked[0] + "/api-keys/" + revokedKeyId, ADMIN).status()).isEqualTo(204);

        List<String[]> credentials = List.of(
                new String[0],
                new String[] {"Authorization", Http.bearer("kvs_not-a-real-key")},
                new String[] {"Authorization", tenant[1]},
                // The admin token is not a tenant key.
                ADMIN,
                new String[] {"Authorization", Http.bearer(deleted[1])},
                new String[] {"Authorization", Http.bearer(revoked[1])});
        for (String[] credential : credentials) {
            for (Response response : List.of(
                    http.get("/v1/models", credential),
                    http.get("/v1/models/" + MODEL, credential),
                    http.send("POST", "/v1/chat/completions", chat(), credential))) {
                assertThat(response.status()).as(String.join(" ", credential) + " -> " + response).isEqualTo(401);
                assertThat(response.json().get("error").get("type").asString()).isEqualTo("authentication_error");
                assertThat(response.header("WWW-Authenticate")).startsWith("Bearer");
            }
        }
        assertThat(http.get("/v1/models", "Authorization", Http.bearer(tenant[1])).status()).isEqualTo(200);
    }

    @Test
    void listsTheModel() {
        String key = tenantWithKey(Map.of())[1];
        JsonNode models = http.get("/v1/models", "Authorization", Http.bearer(key)).json();
        assertThat(models.get("object").asString()).isEqualTo("list");
        assertThat(models.get("data").get(0).get("id").asString()).isEqualTo(MODEL);
        assertThat(models.get("data").get(0).get("object").asString()).isEqualTo("model");
        Response missing = http.get("/v1/models/gpt-4o", "Authorization", Http.bearer(key));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("error").get("code").asString()).isEqualTo("model_not_found");
    }

    @Test
    void completesWithUsageAndKvBytes() {
        String key = tenantWithKey(Map.of())[1];
        Response response = complete(key, chat("temperature", 0));

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JsonNode body = response.json();
        assertThat(body.get("id").asString()).startsWith("chatcmpl-");
        assertThat(body.get("object").asString()).isEqualTo("chat.completion");
        assertThat(body.get("model").asString()).isEqualTo(MODEL);
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("message").get("role").asString()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content").asString()).isEqualTo(chatModel.call(QUESTION));
        assertThat(choice.get("finish_reason").asString()).isIn("stop", "length");
        JsonNode usage = body.get("usage");
        assertThat(usage.get("total_tokens").asInt())
                .isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
        JsonNode kv = body.get("kvsqueeze");
        assertThat(kv.get("policy").asString()).isEqualTo("full");
        int tokens = usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt();
        // The cache holds the prompt and every generated token whose keys and values were computed (the last
        // sampled token is never fed back), and the full cache is the same with no compression.
        assertThat(kv.get("kv_bytes").asLong()).isEqualTo(kv.get("kv_bytes_full").asLong())
                .isBetween((tokens - 1) * generations.fullBytesPerToken(), tokens * generations.fullBytesPerToken());
    }

    /**
     * A conversation's next turn reuses the tenant's cached prefix (OpenAI's usage.prompt_tokens_details) and
     * answers as a fresh computation does; another tenant's identical request reuses nothing of it.
     */
    @Test
    void aFollowUpTurnReusesTheTenantsCachedPrefix() {
        String key = tenantWithKey(Map.of())[1];
        Response first = complete(key, chat("temperature", 0));
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        int firstPrompt = first.json().get("usage").get("prompt_tokens").asInt();
        String reply = first.json().get("choices").get(0).get("message").get("content").asString();
        Map<String, Object> followUp = chat("temperature", 0, "messages", List.of(
                Map.of("role", "user", "content", QUESTION),
                Map.of("role", "assistant", "content", reply),
                Map.of("role", "user", "content", "And of Italy?")));

        Response next = complete(key, followUp);
        assertThat(next.status()).as(next.toString()).isEqualTo(200);
        assertThat(next.json().get("usage").get("prompt_tokens_details").get("cached_tokens").asInt())
                .isGreaterThanOrEqualTo(firstPrompt);
        Response elsewhere = complete(tenantWithKey(Map.of())[1], followUp);
        assertThat(elsewhere.json().get("usage").get("prompt_tokens_details").get("cached_tokens").asInt()).isZero();
        assertThat(next.json().get("choices").get(0).get("message").get("content").asString())
                .isEqualTo(elsewhere.json().get("choices").get(0).get("message").get("content").asString());
    }

    @Test
    void streamsServerSentEventsWithUsageLast() throws Exception {
        String key = tenantWithKey(Map.of())[1];
        String whole = complete(key, chat("temperature", 0)).json().get("choices").get(0).get("message").get("content").asString();

        List<String> events = stream(key, chat("temperature", 0, "stream", true, "stream_options", Map.of("include_usage", true)));

        assertThat(events.getLast()).isEqualTo("[DONE]");
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(JSON::readTree).toList();
        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.get("id").asString()).isEqualTo(chunks.getFirst().get("id").asString());
            assertThat(chunk.get("object").asString()).isEqualTo("chat.completion.chunk");
        });
        assertThat(chunks.getFirst().get("choices").get(0).get("delta").get("role").asString()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            if (!chunk.get("choices").isEmpty() && chunk.get("choices").get(0).get("delta").has("content")) {
                text.append(chunk.get("choices").get(0).get("delta").get("content").asString());
            }
        }
        assertThat(text.toString()).isEqualTo(whole);
        JsonNode usage = chunks.getLast();
        assertThat(usage.get("choices").isEmpty()).isTrue();
        assertThat(usage.get("usage").get("completion_tokens").asInt()).isPositive();
        JsonNode finish = chunks.get(chunks.size() - 2);
        assertThat(finish.get("choices").get(0).get("finish_reason").asString()).isIn("stop", "length");
        assertThat(finish.get("kvsqueeze").get("kv_bytes").asLong()).isPositive();
        assertThat(finish.get("usage").isNull()).isTrue();

        List<String> withoutUsage = stream(key, chat("temperature", 0, "stream", true));
        assertThat(withoutUsage.getLast()).isEqualTo("[DONE]");
        assertThat(withoutUsage).noneMatch(event -> event.contains("\"usage\""));
    }

    @Test
    void appliesEachTenantsOwnLimits() {
        String limited = tenantWithKey(Map.of("max_new_tokens", 2))[1];
        String unlimited = tenantWithKey(Map.of())[1];

        assertThat(complete(limited, chat()).json().get("usage").get("completion_tokens").asInt()).isLessThanOrEqualTo(2);
        assertThat(complete(unlimited, chat()).json().get("usage").get("completion_tokens").asInt()).isGreaterThan(2);
        assertError(complete(limited, chat("max_tokens", 5)), 400, "max_tokens", null);
        assertError(complete(limited, chat("max_completion_tokens", 5)), 400, "max_completion_tokens", null);
        assertThat(complete(unlimited, chat("max_tokens", 5)).status()).isEqualTo(200);

        String smallContext = tenantWithKey(Map.of("max_context_tokens", 10))[1];
        assertError(complete(smallContext, chat()), 400, "messages", "context_length_exceeded");

        String smallQuota = tenantWithKey(Map.of("kv_bytes_quota", 1000))[1];
        assertError(complete(smallQuota, chat()), 400, "max_tokens", "kv_bytes_quota_exceeded");
    }

    @Test
    void refusesConcurrentRequestsBeyondTheTenantsLimit() throws Exception {
        String[] tenant = tenantWithKey(Map.of("max_concurrent_requests", 1));
        String other = tenantWithKey(Map.of("max_concurrent_requests", 1))[1];
        HttpResponse<Stream<String>> first = openStream(tenant[1], chat("stream", true, "max_tokens", 400));
        try (Stream<String> lines = first.body()) {
            Iterator<String> events = lines.iterator();
            assertThat(events.next()).startsWith("data: ");
            Response second = complete(tenant[1], chat("max_tokens", 1));
            assertError(second, 429, null, "too_many_concurrent_requests");
            assertThat(second.header("Retry-After")).isEqualTo("1");
            // Another tenant is not held back by this one's limit.
            assertThat(complete(other, chat("max_tokens", 1)).status()).isEqualTo(200);
        }
        // Closing the stream cancels the generation and frees the tenant's slot.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(complete(tenant[1], chat("max_tokens", 1)).status()).isEqualTo(200));
    }

    @Test
    void aClosedStreamStopsItsGeneration() throws Exception {
        String key = tenantWithKey(Map.of())[1];
        HttpResponse<Stream<String>> response = openStream(key, chat("stream", true, "max_tokens", 450));
        try (Stream<String> lines = response.body()) {
            assertThat(lines.iterator().next()).startsWith("data: ");
        }
        // 450 tokens take far longer than this on one thread: the queue empties only if the generation stopped,
        // and its KV pages are back in the pool (what stays is the finished replies kept for their tenants).
        await().atMost(Duration.ofSeconds(5)).until(() -> generations.inFlight() == 0);
        SchedulerStats stats = generations.scheduler().stats();
        assertThat(stats.kvPoolUsedBytes()).isEqualTo(stats.kvParkedBytes());
        assertThat(stats.kvReservedBytes()).isEqualTo(stats.kvParkedBytes());
    }

    /**
     * The scheduler's refusals as the API answers them. A full queue or a 512 MB pool cannot be reached with the
     * shared test context, so the handler is given each refusal; the engine's SchedulerTest makes them for real.
     */
    @Test
    void schedulerRefusalsBecome503WithRetryAfterOr422() {
        MockHttpServletRequest request = new MockHttpServletRequest();
        request.setAttribute(TenantApiKeyFilter.TENANT_ATTRIBUTE, "t-refused");
        for (AdmissionRejectedException.Reason reason : List.of(AdmissionRejectedException.Reason.QUEUE_FULL,
                AdmissionRejectedException.Reason.QUEUE_TIMEOUT, AdmissionRejectedException.Reason.SHUT_DOWN)) {
            ResponseEntity<Map<String, Object>> response = controller.rejected(
                    new AdmissionRejectedException(reason, "busy"), request);
            assertThat(response.getStatusCode().value()).isEqualTo(503);
            assertThat(response.getHeaders().getFirst("Retry-After")).isEqualTo("5");
            assertThat(response.getHeaders().getFirst("X-Should-Retry")).isEqualTo("true");
            assertThat(JSON.valueToTree(response.getBody()).get("error").get("code").asString())
                    .isEqualTo(Map.of(AdmissionRejectedException.Reason.QUEUE_FULL, "queue_full",
                            AdmissionRejectedException.Reason.QUEUE_TIMEOUT, "queue_timeout",
                            AdmissionRejectedException.Reason.SHUT_DOWN, "shutting_down").get(reason));
        }
        ResponseEntity<Map<String, Object>> tooLarge = controller.rejected(new AdmissionRejectedException(
                AdmissionRejectedException.Reason.EXCEEDS_POOL, "needs 2 GB"), request);
        assertThat(tooLarge.getStatusCode().value()).isEqualTo(422);
        assertThat(tooLarge.getHeaders().getFirst("Retry-After")).isNull();
        JsonNode error = JSON.valueToTree(tooLarge.getBody()).get("error");
        assertThat(error.get("code").asString()).isEqualTo("exceeds_kv_pool");
        assertThat(error.get("message").asString()).isEqualTo("needs 2 GB");
    }

    /** A deleted tenant's bulkhead and KV-quota breaker go with it. */
    @Test
    void deletingATenantDropsItsBulkheadAndBreaker() {
        String[] tenant = tenantWithKey(Map.of("max_concurrent_requests", 2, "kv_bytes_quota", 1L << 30));
        assertThat(complete(tenant[1], chat("max_tokens", 1)).status()).isEqualTo(200);
        assertThat(bulkheads.has(tenant[0])).isTrue();
        assertThat(breakers.breakers()).anyMatch(b -> TenantQuotaBreakers.tenantOf(b).equals(tenant[0]));

        assertThat(http.delete("/admin/v1/tenants/" + tenant[0], ADMIN).status()).isEqualTo(204);
        assertThat(bulkheads.has(tenant[0])).isFalse();
        assertThat(breakers.breakers()).noneMatch(b -> TenantQuotaBreakers.tenantOf(b).equals(tenant[0]));
    }

    /** Two tenants' replies are generated together: the scheduler runs both in one batch. */
    @Test
    void concurrentRequestsShareOneBatch() throws Exception {
        String first = tenantWithKey(Map.of())[1];
        String second = tenantWithKey(Map.of())[1];
        HttpResponse<Stream<String>> a = openStream(first, chat("stream", true, "max_tokens", 300));
        HttpResponse<Stream<String>> b = openStream(second, chat("stream", true, "max_tokens", 300));
        try (Stream<String> linesA = a.body(); Stream<String> linesB = b.body()) {
            assertThat(linesA.iterator().next()).startsWith("data: ");
            assertThat(linesB.iterator().next()).startsWith("data: ");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
                    .until(() -> generations.scheduler().stats().running() == 2);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> generations.inFlight() == 0);
        SchedulerStats stats = generations.scheduler().stats();
        assertThat(stats.kvPoolUsedBytes()).isEqualTo(stats.kvParkedBytes());
    }

    @Test
    void refusesMalformedRequestsNamingTheParameter() {
        String key = tenantWithKey(Map.of())[1];
        assertError(complete(key, chat("model", "gpt-4o")), 404, "model", "model_not_found");
        Map<String, Object> noModel = chat();
        noModel.remove("model");
        assertError(complete(key, noModel), 400, "model", null);
        assertError(complete(key, chat("n", 2)), 400, "n", null);
        assertError(complete(key, chat("temperature", -1)), 400, "temperature", null);
        assertError(complete(key, chat("top_p", 0)), 400, "top_p", null);
        assertError(complete(key, chat("stop", List.of(""))), 400, "stop", null);
        assertError(complete(key, chat("messages", List.of())), 400, "messages", null);
        assertError(complete(key, chat("messages", List.of(Map.of("role", "tool", "content", "x")))), 400,
                "messages[0].role", null);
        assertError(complete(key, chat("messages", List.of(Map.of("role", "user", "content",
                List.of(Map.of("type", "image_url", "image_url", Map.of("url", "x"))))))), 400, "messages[0].content", null);
        assertError(complete(key, chat("tools", List.of(Map.of("type", "function")))), 400, "tools", null);
        assertError(http.post("/v1/chat/completions", "{not json", "Authorization", Http.bearer(key)), 400, null, null);
        // The test context holds 512 tokens.
        assertError(complete(key, chat("messages", List.of(Map.of("role", "user", "content", "word ".repeat(600))))),
                400, "messages", "context_length_exceeded");

        Response parts = complete(key, chat("messages", List.of(Map.of("role", "user", "content",
                List.of(Map.of("type", "text", "text", QUESTION)))), "temperature", 0));
        assertThat(parts.json().get("choices").get(0).get("message").get("content").asString())
                .isEqualTo(chatModel.call(QUESTION));
    }

    private static void assertError(Response response, int status, String param, String code) {
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        JsonNode error = response.json().get("error");
        assertThat(error.get("message").asString()).isNotBlank();
        assertThat(error.get("type").asString()).isNotBlank();
        if (param != null) {
            assertThat(error.get("param").asString()).as(response.toString()).isEqualTo(param);
        }
        if (code != null) {
            assertThat(error.get("code").asString()).as(response.toString()).isEqualTo(code);
        }
    }

    private HttpResponse<Stream<String>> openStream(String key, Map<String, Object> body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
                .header("Authorization", Http.bearer(key))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
        return response;
    }

    /** The data of each event, in order; checks the framing (data lines, blank line after each). */
    private List<String> stream(String key, Map<String, Object> body) throws Exception {
        List<String> events = new ArrayList<>();
        try (Stream<String> lines = openStream(key, body).body()) {
            Iterator<String> iterator = lines.iterator();
            while (iterator.hasNext()) {
                String line = iterator.next();
                assertThat(line).startsWith("data: ");
                events.add(line.substring("data: ".length()));
                assertThat(iterator.next()).isEmpty();
            }
        }
        return events;
    }
}

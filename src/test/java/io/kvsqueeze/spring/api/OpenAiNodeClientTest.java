package io.kvsqueeze.spring.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.spring.ai.GenerationService;
import io.kvsqueeze.spring.ai.KvSqueezeChatModel;
import io.kvsqueeze.spring.testapp.Http;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import io.kvsqueeze.spring.testapp.NodeClient;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The official {@code openai} npm client (version pinned in {@code src/test/js/openai-client/package-lock.json})
 * against the running server: {@code GET /v1/models}, a whole and a streamed chat completion with
 * {@code stream_options.include_usage}, and two errors. The Node script asserts what the client parsed; this
 * test checks its report against the server's side. Needs Node.js 20+ and npm (and the npm registry the first
 * time, for {@code npm ci}); without them it fails, saying so.
 */
@KvSqueezeSpringBootTest
class OpenAiNodeClientTest {
    private static final String[] ADMIN = {"Authorization", Http.bearer(KvSqueezeSpringBootTest.ADMIN_TOKEN)};

    @LocalServerPort
    int port;

    @Autowired
    KvSqueezeChatModel chatModel;

    @Autowired
    GenerationService generations;

    @Test
    void theOfficialNodeClientListsModelsCompletesAndStreams() {
        Http http = new Http(port);
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(http.post("/admin/v1/tenants", Map.of("id", id, "display_name", id,
                "kv_policy", "snapkv"), ADMIN).status()).isEqualTo(201);
        String key = http.post("/admin/v1/tenants/" + id + "/api-keys", "{}", ADMIN).json().get("key").asString();

        JsonNode report = NodeClient.prepare().run("check.mjs", Map.of(
                "KVSQUEEZE_BASE_URL", "http://localhost:" + port + "/v1",
                "KVSQUEEZE_API_KEY", key,
                "KVSQUEEZE_MODEL", chatModel.modelId()));

        assertThat(report.get("models").valueStream().map(JsonNode::asString).toList())
                .containsExactly(chatModel.modelId());
        int promptTokens = generations.encodeChat(KvSqueezeChatModel.toEngineMessages(
                List.of(new UserMessage("What is the capital of France?")))).length;
        for (String kind : List.of("completion", "stream")) {
            JsonNode result = report.get(kind);
            assertThat(result.get("usage").get("prompt_tokens").asInt()).as(kind).isEqualTo(promptTokens);
            // The tenant's policy is what ran; its cache held less than the uncompressed one would have.
            JsonNode kv = result.get("kvsqueeze");
            assertThat(kv.get("policy").asString()).as(kind).isEqualTo("snapkv");
            assertThat(kv.get("degraded").asBoolean()).as(kind).isFalse();
            assertThat(kv.get("kv_bytes").asLong()).as(kind).isPositive()
                    .isLessThanOrEqualTo(kv.get("kv_bytes_full").asLong());
        }
        // Greedy decoding of the same prompt: the streamed pieces add up to the whole reply.
        assertThat(report.get("stream").get("content").asString())
                .isEqualTo(report.get("completion").get("content").asString()).isNotEmpty();
        JsonNode streamUsage = report.get("stream").get("usage");
        JsonNode completionUsage = report.get("completion").get("usage");
        for (String field : List.of("prompt_tokens", "completion_tokens", "total_tokens")) {
            assertThat(streamUsage.get(field)).as(field).isEqualTo(completionUsage.get(field));
        }
        // The same prompt again, from the same tenant: all of it but the last token came from its cache (the
        // short prompt was within the SnapKV budget, so nothing was dropped and the sequence stayed reusable).
        assertThat(completionUsage.get("prompt_tokens_details").get("cached_tokens").asInt()).isZero();
        assertThat(streamUsage.get("prompt_tokens_details").get("cached_tokens").asInt()).isEqualTo(promptTokens - 1);
        // The role chunk, at least one piece of text, the finish chunk and the usage chunk.
        assertThat(report.get("stream").get("chunks").asInt()).isGreaterThanOrEqualTo(4);
        assertThat(report.get("unauthorized").get("status").asInt()).isEqualTo(401);
        assertThat(report.get("unknownModel").get("code").asString()).isEqualTo("model_not_found");
        assertThat(report.get("unknownModel").get("param").asString()).isEqualTo("model");
    }
}

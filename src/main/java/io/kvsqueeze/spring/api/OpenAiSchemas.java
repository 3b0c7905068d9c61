package io.kvsqueeze.spring.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The OpenAI wire format's documents as the OpenAPI description shows them. The controller reads requests
 * leniently from JSON and writes responses as maps in OpenAI's field order, so these records are the
 * description only; {@code ApiReferenceTest} checks a real response against them field by field.
 */
public final class OpenAiSchemas {
    private OpenAiSchemas() {
    }

    /** All the types, for the OpenAPI customizer's snake_case renaming. */
    public static List<Class<?>> types() {
        return List.of(OpenAiSchemas.class.getDeclaredClasses());
    }

    @Schema(name = "ChatCompletionRequest", description = "POST /v1/chat/completions. Fields not listed are ignored;"
            + " `n` must be 1 and `tools` are refused.")
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ChatCompletionRequest(
            @Schema(description = "The model's id, as GET /v1/models lists it", requiredMode = Schema.RequiredMode.REQUIRED)
            String model,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<ChatMessage> messages,
            @Schema(description = "Most tokens to generate; at most the tenant's max_new_tokens") @Nullable Integer maxTokens,
            @Schema(description = "The same as max_tokens, under its newer name") @Nullable Integer maxCompletionTokens,
            @Schema(description = "0 to 2; 0 is greedy") @Nullable Double temperature,
            @Schema(description = "Nucleus sampling mass, above 0 and at most 1") @Nullable Double topP,
            @Schema(description = "Keep the K most likely tokens; 0 turns it off (an extension)") @Nullable Integer topK,
            @Schema(description = "Drop tokens less likely than this fraction of the most likely one (an extension)")
            @Nullable Double minP,
            @Schema(description = "Random seed, for repeatable sampling") @Nullable Long seed,
            @Schema(description = "A string or up to 4 strings that end the reply") @Nullable Object stop,
            @Schema(description = "Accepted, -2 to 2; the sampler has no counterpart and ignores it")
            @Nullable Double presencePenalty,
            @Schema(description = "Accepted, -2 to 2; the sampler has no counterpart and ignores it")
            @Nullable Double frequencyPenalty,
            @Schema(description = "Stream the reply as server-sent events (text/event-stream), ended by `data: [DONE]`")
            @Nullable Boolean stream,
            @Nullable StreamOptions streamOptions,
            @Schema(description = "Must be 1") @Nullable Integer n) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ChatMessage(
            @Schema(allowableValues = {"system", "developer", "user", "assistant"}) String role,
            @Schema(description = "A string, or an array of text parts") Object content) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record StreamOptions(
            @Schema(description = "Send one more event before [DONE], with the usage and no choices")
            @Nullable Boolean includeUsage) {
    }

    @Schema(description = "A reply (object `chat.completion`). Streamed, each event is a `chat.completion.chunk` whose"
            + " choices carry a `delta` instead of a `message`; the last one has the finish reason and `kvsqueeze`.")
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ChatCompletion(String id, @Schema(example = "chat.completion") String object, long created,
                                 String model, List<Choice> choices, Usage usage, KvSqueezeUsage kvsqueeze) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Choice(int index, ReplyMessage message, @Schema(description = "Always null") @Nullable Object logprobs,
                         @Schema(allowableValues = {"stop", "length"}) String finishReason) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ReplyMessage(@Schema(example = "assistant") String role, String content,
                               @Schema(description = "Always null") @Nullable String refusal) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Usage(int promptTokens, int completionTokens, int totalTokens,
                        PromptTokensDetails promptTokensDetails) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record PromptTokensDetails(
            @Schema(description = "Prompt tokens already in the tenant's cache from its previous request (a"
                    + " conversation's earlier turns), not computed again") int cachedTokens) {
    }

    @Schema(description = "What the reply cost in KV cache, an extension of the OpenAI format")
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record KvSqueezeUsage(
            @Schema(description = "The KV policy the reply ran with (the tenant's, or the degraded one)") String policy,
            @Schema(description = "Whether a guard in degrade mode ran it under a stronger policy") boolean degraded,
            @Schema(description = "Which guard degraded it: memory_pressure or kv_quota") @Nullable String degradedBy,
            @Schema(description = "KV bytes the cache held at the end") long kvBytes,
            @Schema(description = "KV bytes an uncompressed cache would hold for the same tokens") long kvBytesFull) {
    }

    @Schema(description = "GET /v1/models")
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelList(@Schema(example = "list") String object, List<Model> data) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Model(String id, @Schema(example = "model") String object, long created,
                        @Schema(example = "kvsqueeze") String ownedBy) {
    }

    @Schema(description = "Every error of /v1, in OpenAI's format")
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ErrorResponse(ErrorDetail error) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ErrorDetail(String message,
                              @Schema(allowableValues = {"invalid_request_error", "authentication_error",
                                      "rate_limit_error", "server_error"}) String type,
                              @Schema(description = "The request field at fault") @Nullable String param,
                              @Schema(description = "e.g. model_not_found, context_length_exceeded, queue_full")
                              @Nullable String code) {
    }
}

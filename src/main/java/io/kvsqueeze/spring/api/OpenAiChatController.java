package io.kvsqueeze.spring.api;

import io.kvsqueeze.spring.ai.AdmissionGuard;
import io.kvsqueeze.spring.ai.GenerationService;
import io.kvsqueeze.spring.ai.GenerationService.PromptTooLongException;
import io.kvsqueeze.engine.scheduler.AdmissionRejectedException;
import io.kvsqueeze.spring.openapi.KvSqueezeOpenApi;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.kvsqueeze.spring.ai.KvSqueezeChatModel;
import io.kvsqueeze.spring.ai.KvSqueezeChatOptions;
import io.kvsqueeze.spring.tenant.Tenant;
import io.kvsqueeze.spring.tenant.TenantDirectory;
import io.kvsqueeze.spring.tenant.TenantLimits;
import io.kvsqueeze.spring.tenant.TenantMetrics;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OpenAI-compatible API: {@code POST /v1/chat/completions} (whole or streamed as server-sent events) and
 * {@code GET /v1/models}, so that the official OpenAI clients work against the local model with
 * {@code baseUrl = http://host:port/v1} and a tenant API key. The request's tenant comes from its key
 * ({@link TenantApiKeyFilter}); the tenant's limits are applied before anything is queued. Responses add a
 * {@code kvsqueeze} object: the KV policy and the bytes its cache held, next to what the uncompressed cache
 * would have held.
 */
@RestController
@RequestMapping("/v1")
@Tag(name = "Chat", description = "The OpenAI-compatible API: any OpenAI client works with the base URL"
        + " `http://host:8080/v1` and a tenant's API key. The tenant's KV policy and limits apply to its requests.")
@SecurityRequirement(name = KvSqueezeOpenApi.TENANT_API_KEY)
@ApiResponse(responseCode = "401", description = "The API key is missing, unknown or revoked.",
        content = @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.ErrorResponse.class)))
public class OpenAiChatController {
    private static final MediaType EVENT_STREAM = MediaType.TEXT_EVENT_STREAM;

    private final KvSqueezeChatModel chatModel;
    private final GenerationService generations;
    private final TenantDirectory directory;
    private final TenantBulkheads bulkheads;
    private final JsonMapper json;
    private final Duration streamTimeout;
    private final Duration retryAfter;
    private final TenantMetrics metrics;
    private final long created = Instant.now().getEpochSecond();

    /**
     * @param retryAfter what a refusal for a full queue or a queue timeout tells the client to wait
     */
    public OpenAiChatController(KvSqueezeChatModel chatModel, GenerationService generations, TenantDirectory directory,
                                TenantBulkheads bulkheads, JsonMapper json, Duration streamTimeout,
                                Duration retryAfter, TenantMetrics metrics) {
        this.chatModel = chatModel;
        this.generations = generations;
        this.directory = directory;
        this.bulkheads = bulkheads;
        this.json = json;
        this.streamTimeout = streamTimeout;
        this.retryAfter = retryAfter;
        this.metrics = metrics;
    }

    @Operation(summary = "List models", description = "The one model this server runs.")
    @ApiResponse(responseCode = "200", description = "The model list.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.ModelList.class)))
    @GetMapping("/models")
    public Map<String, Object> models() {
        return Map.of("object", "list", "data", List.of(model()));
    }

    @Operation(summary = "Get a model")
    @ApiResponse(responseCode = "200", description = "The model.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.Model.class)))
    @ApiResponse(responseCode = "404", description = "No model of this id (model_not_found).",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.ErrorResponse.class)))
    @GetMapping("/models/{id}")
    public Map<String, Object> model(@Parameter(description = "The model's id") @PathVariable String id) {
        if (!id.equals(chatModel.modelId())) {
            throw modelNotFound(id);
        }
        return model();
    }

    @Operation(summary = "Create a chat completion", description = "Generates a reply, whole or streamed as"
            + " server-sent events. Requests of all tenants are batched together under the server's KV pool; one"
            + " that does not fit waits in a bounded queue.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
                    content = @Content(mediaType = "application/json",
                            schema = @Schema(implementation = OpenAiSchemas.ChatCompletionRequest.class))))
    @ApiResponse(responseCode = "200", description = "The reply; with `stream: true`, a text/event-stream of"
            + " chat.completion.chunk events ended by `data: [DONE]`.", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.ChatCompletion.class)),
            @Content(mediaType = "text/event-stream", schema = @Schema(type = "string"))})
    @ApiResponse(responseCode = "400", description = "A field is invalid, the prompt is too long for the context or the tenant's max_context_tokens, or the reply could outgrow the tenant's kv_bytes_quota.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.ErrorResponse.class)))
    @ApiResponse(responseCode = "404", description = "The model is not this server's (model_not_found).",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.ErrorResponse.class)))
    @ApiResponse(responseCode = "422", description = "The request could never fit the KV pool, even alone (exceeds_kv_pool): ask for fewer tokens.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.ErrorResponse.class)))
    @ApiResponse(responseCode = "429", description = "The tenant has max_concurrent_requests in flight (too_many_concurrent_requests); see Retry-After.",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.ErrorResponse.class)))
    @ApiResponse(responseCode = "503", description = "Refused for now, see Retry-After: the queue is full (queue_full), the request waited too long for room in the KV pool (queue_timeout), memory pressure or the tenant's KV-quota breaker (memory_pressure, kv_quota_breaker_open), or the server is stopping (shutting_down).",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OpenAiSchemas.ErrorResponse.class)))
    @PostMapping(path = "/chat/completions", consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<?> chatCompletions(@RequestBody JsonNode body,
                                             @Parameter(hidden = true) HttpServletRequest servletRequest) {
        String tenantId = (String) servletRequest.getAttribute(TenantApiKeyFilter.TENANT_ATTRIBUTE);
        ChatCompletionRequest request = ChatCompletionRequest.parse(body, chatModel.modelId());
        TenantLimits limits = directory.tenant(tenantId).map(Tenant::limits).orElse(TenantLimits.NONE);
        Planned planned = applyLimits(tenantId, request, limits);
        // The guards decide the policy (the tenant's, or the degraded one) or refuse (the handler below says 503).
        AdmissionGuard.Admission admission = chatModel.admit(tenantId);
        checkKvQuota(tenantId, request, limits, planned, admission);

        TenantBulkheads.Permit permit = bulkheads.tryAcquire(tenantId, limits.maxConcurrentRequests());
        if (permit == null) {
            metrics.rejected(tenantId, "max_concurrent_requests");
            throw new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "rate_limit_error", null, "too_many_concurrent_requests",
                    "tenant '" + tenantId + "' already has " + limits.maxConcurrentRequests()
                            + " requests in flight (max_concurrent_requests); retry when one has finished");
        }
        Prompt prompt = new Prompt(request.messages(), planned.options());
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        if (!request.stream()) {
            try {
                return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
                        .body(completion(id, chatModel.call(prompt, admission)));
            } finally {
                permit.release();
            }
        }
        try {
            return ResponseEntity.ok()
                    .contentType(EVENT_STREAM)
                    .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                    .header("X-Accel-Buffering", "no")
                    .body(stream(tenantId, id, prompt, admission, request.includeUsage(), permit));
        } catch (RuntimeException e) {
            permit.release();
            throw e;
        }
    }

    /**
     * The options with the tenant's limits applied: a request above a limit is refused (naming the parameter)
     * rather than silently cut, except that an unset max_tokens becomes the lower of the default and the limit.
     */
    private Planned applyLimits(String tenantId, ChatCompletionRequest request, TenantLimits limits) {
        KvSqueezeChatOptions options = request.options();
        Integer requested = options.getMaxTokens();
        int maxTokens = requested != null ? requested : chatModel.getOptions().getMaxTokens();
        if (limits.maxNewTokens() != null) {
            if (requested != null && requested > limits.maxNewTokens()) {
                metrics.rejected(tenantId, "max_new_tokens");
                throw OpenAiError.invalidRequest(request.maxTokensParam(), request.maxTokensParam() + " is " + requested
                        + " but this tenant may generate at most " + limits.maxNewTokens() + " tokens per reply");
            }
            maxTokens = Math.min(maxTokens, limits.maxNewTokens());
        }
        int promptTokens = generations.encodeChat(KvSqueezeChatModel.toEngineMessages(request.messages())).length;
        if (limits.maxContextTokens() != null && promptTokens + maxTokens > limits.maxContextTokens()) {
            metrics.rejected(tenantId, "max_context_tokens");
            throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", "messages", "context_length_exceeded",
                    "this tenant's context is " + limits.maxContextTokens() + " tokens, but the messages take "
                            + promptTokens + " and " + request.maxTokensParam() + " asks for " + maxTokens);
        }
        return new Planned(options.mutate().maxTokens(maxTokens).build(), promptTokens, maxTokens);
    }

    private record Planned(KvSqueezeChatOptions options, int promptTokens, int maxTokens) {
    }

    /**
     * Refuses a request whose KV cache could outgrow the tenant's quota under the policy it would run with, and
     * tells the tenant's breaker how the check went (a request over the quota is a failure).
     */
    private void checkKvQuota(String tenantId, ChatCompletionRequest request, TenantLimits limits, Planned planned,
                              AdmissionGuard.Admission admission) {
        long kvBytesNeeded = kvBytesBound(admission.policy(), planned.promptTokens(), planned.maxTokens(),
                generations.fullBytesPerToken());
        if (limits.kvBytesQuota() != null && kvBytesNeeded > limits.kvBytesQuota()) {
            admission.quotaExceeded();
            metrics.rejected(tenantId, "kv_bytes_quota");
            throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", request.maxTokensParam(),
                    "kv_bytes_quota_exceeded", "the messages (" + planned.promptTokens() + " tokens) and "
                            + planned.maxTokens() + " new tokens need up to " + kvBytesNeeded + " KV bytes under the"
                            + " policy " + admission.policy().source() + ", over this tenant's quota of "
                            + limits.kvBytesQuota());
        }
        admission.withinQuota();
    }

    /**
     * The most KV bytes a request can hold: every prompt token the policy keeps plus every new token, at the
     * uncompressed cache's bytes per token. The uncompressed policy keeps the whole prompt; a compressing one keeps
     * its budget's capacity per (layer, KV head) on average, never fewer than its window and sinks and never more
     * than the prompt. New tokens are counted whole, which bounds policies with decode-time eviction from above.
     */
    static long kvBytesBound(io.kvsqueeze.spring.tenant.KvPolicy policy, int promptTokens, int maxTokens,
                             long bytesPerToken) {
        io.kvsqueeze.engine.compress.KvPolicy engine = policy.engine();
        int kept = promptTokens;
        if (!engine.isFull()) {
            int floor = engine.scorer().window() + engine.sinkTokens();
            kept = Math.min(promptTokens, Math.max(engine.budget().capacity(promptTokens), floor));
        }
        return (long) (kept + maxTokens) * bytesPerToken;
    }

    private Map<String, Object> completion(String id, ChatResponse response) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", "assistant");
        message.put("content", response.getResult().getOutput().getText());
        message.put("refusal", null);
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("message", message);
        choice.put("logprobs", null);
        choice.put("finish_reason", response.getResult().getMetadata().getFinishReason());
        Map<String, Object> body = envelope(id, "chat.completion");
        body.put("choices", List.of(choice));
        body.put("usage", usage(response.getMetadata()));
        body.put("kvsqueeze", kvsqueeze(response.getMetadata()));
        return body;
    }

    private ResponseBodyEmitter stream(String tenantId, String id, Prompt prompt, AdmissionGuard.Admission admission,
                                       boolean includeUsage, TenantBulkheads.Permit permit) {
        // Queued now, on the request's thread where the tenant is set: a refusal still gets its HTTP status.
        Flux<ChatResponse> replies = chatModel.streamNow(prompt, admission);
        SseStream sse = new SseStream(new ResponseBodyEmitter(streamTimeout.toMillis()), permit);
        Map<String, Object> role = new LinkedHashMap<>();
        role.put("role", "assistant");
        role.put("content", "");
        sse.send(chunk(id, role, null, includeUsage));
        sse.subscription.set(replies
                // Writing to a slow client must never hold up the scheduler.
                .publishOn(Schedulers.boundedElastic())
                .subscribe(
                        response -> {
                            String text = response.getResult().getOutput().getText();
                            String finish = response.getResult().getMetadata().getFinishReason();
                            if (text != null && !text.isEmpty()) {
                                sse.send(chunk(id, Map.of("content", text), null, includeUsage));
                            }
                            if (finish != null) {
                                Map<String, Object> last = chunk(id, Map.of(), finish, includeUsage);
                                last.put("kvsqueeze", kvsqueeze(response.getMetadata()));
                                sse.send(last);
                                if (includeUsage) {
                                    Map<String, Object> usage = envelope(id, "chat.completion.chunk");
                                    usage.put("choices", List.of());
                                    usage.put("usage", usage(response.getMetadata()));
                                    sse.send(usage);
                                }
                            }
                        },
                        failure -> {
                            // Headers are gone: the error travels as an event, which OpenAI's clients raise.
                            OpenAiError error = failure instanceof AdmissionRejectedException rejected
                                    ? rejection(tenantId, rejected)
                                    : new OpenAiError(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", null, null,
                                            String.valueOf(failure.getMessage()));
                            sse.send(error.body());
                            sse.emitter.complete();
                        },
                        () -> {
                            sse.sendRaw("data: [DONE]\n\n");
                            sse.emitter.complete();
                        }));
        if (sse.stopped) {
            // The client left before the subscription existed for stop() to cancel.
            sse.subscription.get().dispose();
        }
        return sse.emitter;
    }

    /**
     * One streamed reply: its emitter, the generation's subscription and the tenant's slot. Whichever way it
     * ends (completed, timed out, client gone) the slot is released and the generation cancelled.
     */
    private final class SseStream {
        final ResponseBodyEmitter emitter;
        final AtomicReference<Disposable> subscription = new AtomicReference<>();
        private final TenantBulkheads.Permit permit;
        volatile boolean stopped;

        SseStream(ResponseBodyEmitter emitter, TenantBulkheads.Permit permit) {
            this.emitter = emitter;
            this.permit = permit;
            emitter.onCompletion(this::stop);
            emitter.onTimeout(this::stop);
            emitter.onError(failure -> stop());
        }

        void send(Map<String, Object> event) {
            sendRaw("data: " + json.writeValueAsString(event) + "\n\n");
        }

        void sendRaw(String text) {
            try {
                emitter.send(text, MediaType.TEXT_PLAIN);
            } catch (IOException | IllegalStateException clientGone) {
                // The client went away (or the emitter already ended): stop generating for it.
                stop();
            }
        }

        void stop() {
            stopped = true;
            permit.release();
            Disposable running = subscription.get();
            if (running != null) {
                running.dispose();
            }
        }
    }

    private Map<String, Object> chunk(String id, Map<String, Object> delta, @Nullable String finishReason,
                                      boolean includeUsage) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("delta", delta);
        choice.put("logprobs", null);
        choice.put("finish_reason", finishReason);
        Map<String, Object> chunk = envelope(id, "chat.completion.chunk");
        chunk.put("choices", List.of(choice));
        if (includeUsage) {
            chunk.put("usage", null);
        }
        return chunk;
    }

    private Map<String, Object> envelope(String id, String object) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("object", object);
        body.put("created", Instant.now().getEpochSecond());
        body.put("model", chatModel.modelId());
        return body;
    }

    private static Map<String, Object> usage(ChatResponseMetadata metadata) {
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", metadata.getUsage().getPromptTokens());
        usage.put("completion_tokens", metadata.getUsage().getCompletionTokens());
        usage.put("total_tokens", metadata.getUsage().getTotalTokens());
        // OpenAI's own field for prompt tokens served from a cache: here, the tenant's previous request.
        Object cached = metadata.get(KvSqueezeChatModel.CACHED_TOKENS);
        usage.put("prompt_tokens_details", Map.of("cached_tokens", cached == null ? 0 : cached));
        return usage;
    }

    private static Map<String, Object> kvsqueeze(ChatResponseMetadata metadata) {
        Map<String, Object> kv = new LinkedHashMap<>();
        kv.put("policy", metadata.get(KvSqueezeChatModel.KV_POLICY));
        kv.put("degraded", Boolean.TRUE.equals(metadata.get(KvSqueezeChatModel.KV_DEGRADED)));
        kv.put("degraded_by", metadata.get(KvSqueezeChatModel.KV_DEGRADED_BY));
        kv.put("kv_bytes", metadata.get(KvSqueezeChatModel.KV_BYTES));
        kv.put("kv_bytes_full", metadata.get(KvSqueezeChatModel.KV_BYTES_FULL));
        return kv;
    }

    private Map<String, Object> model() {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", chatModel.modelId());
        model.put("object", "model");
        model.put("created", created);
        model.put("owned_by", "kvsqueeze");
        return model;
    }

    private static OpenAiError modelNotFound(String id) {
        return new OpenAiError(HttpStatus.NOT_FOUND, "invalid_request_error", "model", "model_not_found",
                "The model '" + id + "' does not exist; GET /v1/models lists the one this server runs");
    }

    @ExceptionHandler(OpenAiError.class)
    ResponseEntity<Map<String, Object>> openAiError(OpenAiError error) {
        ResponseEntity.BodyBuilder response = ResponseEntity.status(error.status()).contentType(MediaType.APPLICATION_JSON);
        if (error.status() == HttpStatus.TOO_MANY_REQUESTS) {
            response.header(HttpHeaders.RETRY_AFTER, "1");
        }
        return response.body(error.body());
    }

    /**
     * A guard in reject mode (memory pressure, or the tenant's KV-quota breaker): a retry after a short wait can
     * succeed, so the clients are told to retry. The guard counted the refusal.
     */
    @ExceptionHandler(AdmissionGuard.OverloadedException.class)
    ResponseEntity<Map<String, Object>> overloaded(AdmissionGuard.OverloadedException e) {
        OpenAiError error = new OpenAiError(HttpStatus.SERVICE_UNAVAILABLE, "server_error", null, e.code(),
                e.getMessage());
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).contentType(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.RETRY_AFTER, String.valueOf(e.retryAfterSeconds()))
                .header("X-Should-Retry", "true")
                .body(error.body());
    }

    /**
     * The scheduler refused the request: its queue is full, the request waited too long for room in the KV pool,
     * or the server is shutting down (503, retry later); or the request could never fit the pool (422).
     */
    @ExceptionHandler(AdmissionRejectedException.class)
    ResponseEntity<Map<String, Object>> rejected(AdmissionRejectedException e, HttpServletRequest servletRequest) {
        OpenAiError error = rejection((String) servletRequest.getAttribute(TenantApiKeyFilter.TENANT_ATTRIBUTE), e);
        ResponseEntity.BodyBuilder response = ResponseEntity.status(error.status()).contentType(MediaType.APPLICATION_JSON);
        if (error.status() == HttpStatus.SERVICE_UNAVAILABLE) {
            response.header(HttpHeaders.RETRY_AFTER, String.valueOf(AdmissionGuard.OverloadedException.seconds(retryAfter)))
                    .header("X-Should-Retry", "true");
        }
        return response.body(error.body());
    }

    private OpenAiError rejection(@Nullable String tenantId, AdmissionRejectedException e) {
        String code = switch (e.reason()) {
            case QUEUE_FULL -> "queue_full";
            case QUEUE_TIMEOUT -> "queue_timeout";
            case EXCEEDS_POOL -> "exceeds_kv_pool";
            case SHUT_DOWN -> "shutting_down";
        };
        if (tenantId != null) {
            metrics.rejected(tenantId, code);
        }
        return e.reason() == AdmissionRejectedException.Reason.EXCEEDS_POOL
                ? new OpenAiError(HttpStatus.UNPROCESSABLE_CONTENT, "invalid_request_error", "max_tokens", code,
                        e.getMessage())
                : new OpenAiError(HttpStatus.SERVICE_UNAVAILABLE, "server_error", null, code, e.getMessage());
    }

    @ExceptionHandler(PromptTooLongException.class)
    ResponseEntity<Map<String, Object>> promptTooLong(PromptTooLongException e) {
        return openAiError(new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", "messages",
                "context_length_exceeded", e.getMessage()));
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<Map<String, Object>> unreadable(HttpMessageNotReadableException e) {
        return openAiError(OpenAiError.invalidRequest(null, "the request body must be a JSON object"));
    }

    /** Sampling values the engine refuses (e.g. a negative temperature) after the request's own checks. */
    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<Map<String, Object>> illegalArgument(IllegalArgumentException e) {
        return openAiError(OpenAiError.invalidRequest(null, String.valueOf(e.getMessage())));
    }

    /** Messages of the OpenAI request as Spring AI messages; kept separate to parse and validate in one place. */
    static List<Message> messages(JsonNode node) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw OpenAiError.invalidRequest("messages", "messages must be a non-empty array");
        }
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode message = node.get(i);
            String param = "messages[" + i + "]";
            if (!message.isObject()) {
                throw OpenAiError.invalidRequest(param, param + " must be an object");
            }
            String role = message.path("role").isString() ? message.get("role").asString() : null;
            String content = content(message.get("content"), param + ".content");
            messages.add(switch (role == null ? "" : role) {
                case "system", "developer" -> new SystemMessage(content);
                case "user" -> new UserMessage(content);
                case "assistant" -> new AssistantMessage(content);
                default -> throw OpenAiError.invalidRequest(param + ".role", param + ".role must be system, developer,"
                        + " user or assistant (tools are not supported), got " + (role == null ? "none" : "'" + role + "'"));
            });
        }
        return messages;
    }

    private static String content(@Nullable JsonNode content, String param) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isString()) {
            return content.asString();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asString(null)) || !part.path("text").isString()) {
                    throw OpenAiError.invalidRequest(param, param + " may hold only text parts ({\"type\":\"text\","
                            + "\"text\":...}); this model reads text only");
                }
                text.append(part.get("text").asString());
            }
            return text.toString();
        }
        throw OpenAiError.invalidRequest(param, param + " must be a string or an array of text parts");
    }
}

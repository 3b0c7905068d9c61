package io.kvsqueeze.spring.ai;

import io.kvsqueeze.engine.chat.ChatMessage;
import io.kvsqueeze.engine.generate.FinishReason;
import io.kvsqueeze.engine.generate.GenerationRequest;
import io.kvsqueeze.engine.sampling.SamplingOptions;
import io.kvsqueeze.engine.scheduler.ServeResult;
import io.kvsqueeze.spring.tenant.KvPolicy;
import io.kvsqueeze.spring.tenant.TenantContext;
import io.kvsqueeze.spring.tenant.TenantMetrics;
import io.kvsqueeze.spring.tenant.TenantPolicies;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.model.MessageAggregator;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.ai.chat.observation.ChatModelObservationDocumentation;
import org.springframework.ai.chat.observation.DefaultChatModelObservationConvention;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * A Spring AI {@link ChatModel} answered by the in-process engine. The conversation is rendered with the model's
 * own chat template; generations go through the {@link GenerationService} to the engine's scheduler, which
 * batches all running generations under one KV pool.
 *
 * <p>Options, as Spring AI 2 prescribes for a model: the prompt's options when it has any, else the model's
 * defaults; a value the prompt's options leave unset falls back to the default. Temperature, top-p, top-k, max
 * tokens and stop sequences come from any {@link ChatOptions}; seed and min-p from {@link KvSqueezeChatOptions}.
 * Presence and frequency penalties have no counterpart in the engine's sampler and are ignored.
 *
 * <p>Responses carry {@code Usage} (prompt and completion tokens) and, in their metadata,
 * {@value #KV_POLICY} (the policy that ran), {@value #KV_DEGRADED}, {@value #KV_BYTES}, {@value #KV_BYTES_FULL} and
 * {@value #CACHED_TOKENS}.
 */
public final class KvSqueezeChatModel implements ChatModel {
    /** The provider name in observations ({@code gen_ai.system}). */
    public static final String PROVIDER = "kvsqueeze";
    /** Response metadata: the KV policy the generation ran with. */
    public static final String KV_POLICY = "kvsqueeze.kv-policy";
    /** Response metadata: bytes of keys and values the cache held at the end of the generation. */
    public static final String KV_BYTES = "kvsqueeze.kv-bytes";
    /** Response metadata: bytes the uncompressed cache would hold for the same tokens. */
    public static final String KV_BYTES_FULL = "kvsqueeze.kv-bytes-full";
    /** Response metadata: prompt tokens found in the tenant's cache from its previous request, not recomputed. */
    public static final String CACHED_TOKENS = "kvsqueeze.cached-tokens";
    /** Response metadata: true when a guard in degrade mode ran the generation under the degraded policy. */
    public static final String KV_DEGRADED = "kvsqueeze.degraded";
    /** Response metadata, when degraded: which guard ({@code memory_pressure} or {@code kv_quota}). */
    public static final String KV_DEGRADED_BY = "kvsqueeze.degraded-by";

    private static final ChatModelObservationConvention DEFAULT_CONVENTION = new DefaultChatModelObservationConvention();

    private final GenerationService generations;
    private final String modelId;
    private final KvSqueezeChatOptions defaults;
    private final TenantPolicies policies;
    private final ObservationRegistry observations;
    private @Nullable ChatModelObservationConvention convention;
    private TenantMetrics metrics = new TenantMetrics(null);
    private AdmissionGuard admission = AdmissionGuard.ALWAYS;

    public KvSqueezeChatModel(GenerationService generations, String modelId, KvSqueezeChatOptions defaults,
                              TenantPolicies policies, ObservationRegistry observations) {
        this.generations = Objects.requireNonNull(generations, "generations");
        this.modelId = Objects.requireNonNull(modelId, "modelId");
        this.defaults = defaults.mutate().model(modelId).build();
        this.policies = Objects.requireNonNull(policies, "policies");
        this.observations = Objects.requireNonNull(observations, "observations");
    }

    public void setObservationConvention(ChatModelObservationConvention convention) {
        this.convention = convention;
    }

    /** Consulted before every generation is queued; its refusal reaches the caller as its exception. */
    public void setAdmissionGuard(AdmissionGuard admission) {
        this.admission = Objects.requireNonNull(admission, "admission");
    }

    /**
     * Asks the admission guard now, for callers that must know before they commit to a response (a stream's
     * HTTP status goes out before its first event); pass the result to {@link #call(Prompt, AdmissionGuard.Admission)}
     * or {@link #stream(Prompt, AdmissionGuard.Admission)}.
     *
     * @param tenant the tenant the generation is for, or null
     * @throws AdmissionGuard.OverloadedException when a generation would be refused
     */
    public AdmissionGuard.Admission admit(@Nullable String tenant) {
        return admission.admit(tenant, policies.kvPolicy(tenant));
    }

    public void setTenantMetrics(TenantMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    public String modelId() {
        return modelId;
    }

    @Override
    public KvSqueezeChatOptions getOptions() {
        return defaults;
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        return call(prompt, null);
    }

    /**
     * Generates under an admission already given by {@link #admit(String)} (null: asks the guard now), with
     * the tenant of the current thread.
     */
    public ChatResponse call(Prompt prompt, AdmissionGuard.@Nullable Admission admitted) {
        Job job = prepare(prompt, TenantContext.current().orElse(null), admitted);
        ChatModelObservationContext context = ChatModelObservationContext.builder()
                .prompt(job.observedPrompt).provider(PROVIDER).build();
        return ChatModelObservationDocumentation.CHAT_MODEL_OPERATION
                .observation(convention, DEFAULT_CONVENTION, () -> context, observations)
                .observe(() -> {
                    ServeResult result = await(generations.submit(job.tenant, job.policy.engine(), job.promptIds, job.request,
                            text -> { }));
                    record(job, result);
                    ChatResponse response = new ChatResponse(
                            List.of(new Generation(new AssistantMessage(result.text()), finishMetadata(result))),
                            responseMetadata(newId(), result, job));
                    context.setResponse(response);
                    return response;
                });
    }

    /**
     * Streams the reply as it is generated: one response per piece of text, then one with no text that carries
     * the finish reason and the usage. Cancelling the subscription stops the generation after its current token.
     */
    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        return stream(prompt, null);
    }

    /** Streams under an admission already given by {@link #admit(String)} (null: asks the guard at subscription). */
    public Flux<ChatResponse> stream(Prompt prompt, AdmissionGuard.@Nullable Admission admitted) {
        // The tenant is read here, on the caller's thread: the Flux may be subscribed to on any other.
        String tenant = TenantContext.current().orElse(null);
        return Flux.deferContextual(contextView -> start(prompt, tenant, admitted,
                contextView.getOrDefault(ObservationThreadLocalAccessor.KEY, null)));
    }

    /**
     * Like {@link #stream(Prompt, AdmissionGuard.Admission)}, but queues the generation now, so that a refusal
     * (the queue is full, the request can never fit the KV pool) is thrown to the caller instead of signalled
     * later: an HTTP handler can still answer it with a status. The text is buffered until the Flux is
     * subscribed to; cancelling the subscription cancels the generation.
     */
    public Flux<ChatResponse> streamNow(Prompt prompt, AdmissionGuard.@Nullable Admission admitted) {
        return start(prompt, TenantContext.current().orElse(null), admitted, observations.getCurrentObservation());
    }

    private Flux<ChatResponse> start(Prompt prompt, @Nullable String tenant, AdmissionGuard.@Nullable Admission admitted,
                                     @Nullable Observation parent) {
        Job job = prepare(prompt, tenant, admitted);
        ChatModelObservationContext context = ChatModelObservationContext.builder()
                .prompt(job.observedPrompt).provider(PROVIDER).streaming(true).build();
        Observation observation = ChatModelObservationDocumentation.CHAT_MODEL_OPERATION
                .observation(convention, DEFAULT_CONVENTION, () -> context, observations);
        observation.parentObservation(parent).start();
        String id = newId();
        // One producer at a time: text and the end come from the scheduler thread; a queue timeout from its timer.
        Sinks.Many<ChatResponse> pieces = Sinks.many().unicast().onBackpressureBuffer();
        CompletableFuture<ServeResult> future;
        try {
            future = generations.submit(job.tenant, job.policy.engine(), job.promptIds, job.request,
                    text -> pieces.tryEmitNext(new ChatResponse(List.of(new Generation(new AssistantMessage(text))),
                            ChatResponseMetadata.builder().id(id).model(modelId).build())));
        } catch (RuntimeException refused) {
            observation.error(refused);
            observation.stop();
            throw refused;
        }
        future.whenComplete((result, failure) -> {
            if (failure != null) {
                if (!(failure instanceof CancellationException)) {
                    pieces.tryEmitError(unwrap(failure));
                }
                return;
            }
            record(job, result);
            pieces.tryEmitNext(new ChatResponse(
                    List.of(new Generation(new AssistantMessage(""), finishMetadata(result))),
                    responseMetadata(id, result, job)));
            pieces.tryEmitComplete();
        });
        Flux<ChatResponse> observed = pieces.asFlux()
                .doOnCancel(() -> future.cancel(true))
                .doOnError(observation::error)
                .doFinally(signal -> observation.stop())
                .contextWrite(reactorContext -> reactorContext.put(ObservationThreadLocalAccessor.KEY, observation));
        return new MessageAggregator().aggregate(observed, context::setResponse);
    }

    private Job prepare(Prompt prompt, @Nullable String tenant, AdmissionGuard.@Nullable Admission admitted) {
        AdmissionGuard.Admission admission = admitted;
        if (admission == null) {
            admission = admit(tenant);
            // No KV quota applies to calls made in code: the tenant breaker's permission goes straight back.
            admission.release();
        }
        ChatOptions requested = prompt.getOptions() != null ? prompt.getOptions() : defaults;
        GenerationRequest request = generationRequest(requested);
        int[] promptIds = generations.encodeChat(toEngineMessages(prompt.getInstructions()));
        Prompt observed = prompt.mutate().chatOptions(effectiveOptions(requested, request)).build();
        if (admission.degraded()) {
            metrics.degraded(tenant, admission.degradedBy());
        }
        return new Job(tenant, promptIds, request, admission.policy(), admission.degradedBy(), observed);
    }

    /** The engine's request for {@code requested}, with unset values taken from the defaults. */
    GenerationRequest generationRequest(ChatOptions requested) {
        int maxTokens = firstNonNull(requested.getMaxTokens(), defaults.getMaxTokens());
        double temperature = firstNonNull(requested.getTemperature(), defaults.getTemperature());
        int topK = firstNonNull(requested.getTopK(), defaults.getTopK());
        double topP = firstNonNull(requested.getTopP(), defaults.getTopP());
        KvSqueezeChatOptions extra = requested instanceof KvSqueezeChatOptions options ? options : defaults;
        double minP = firstNonNull(extra.getMinP(), defaults.getMinP());
        Long seed = extra.getSeed() != null ? extra.getSeed() : defaults.getSeed();
        SamplingOptions sampling = new SamplingOptions((float) temperature, topK, (float) topP, (float) minP,
                SamplingOptions.DEFAULT_REPETITION_PENALTY, SamplingOptions.DEFAULT_REPEAT_LAST_N,
                seed != null ? seed : ThreadLocalRandom.current().nextLong());
        List<String> stops = requested.getStopSequences() != null ? requested.getStopSequences() : defaults.getStopSequences();
        return new GenerationRequest(maxTokens, sampling, stops);
    }

    private KvSqueezeChatOptions effectiveOptions(ChatOptions requested, GenerationRequest request) {
        SamplingOptions sampling = request.sampling();
        return KvSqueezeChatOptions.builder()
                .model(modelId)
                .maxTokens(request.maxTokens())
                .temperature((double) sampling.temperature())
                .topK(sampling.topK())
                .topP((double) sampling.topP())
                .minP((double) sampling.minP())
                .seed(sampling.seed())
                .stopSequences(request.stopStrings())
                .frequencyPenalty(requested.getFrequencyPenalty())
                .presencePenalty(requested.getPresencePenalty())
                .build();
    }

    /** The conversation as the engine's chat template sees it: role names are Spring AI's (system, user, assistant, tool). */
    public static List<ChatMessage> toEngineMessages(List<Message> messages) {
        List<ChatMessage> converted = new ArrayList<>(messages.size());
        for (Message message : messages) {
            String role = message.getMessageType().getValue();
            String text = message instanceof ToolResponseMessage tool
                    ? tool.getResponses().stream().map(ToolResponseMessage.ToolResponse::responseData)
                            .collect(Collectors.joining("\n"))
                    : message.getText();
            converted.add(new ChatMessage(role, text == null ? "" : text));
        }
        return converted;
    }

    private void record(Job job, ServeResult result) {
        metrics.generation(job.tenant, finishReason(result.finishReason()), result.promptTokens(),
                result.completionTokens(), result.kvBytes(), result.kvBytesFull());
    }

    private ChatResponseMetadata responseMetadata(String id, ServeResult result, Job job) {
        ChatResponseMetadata.Builder metadata = ChatResponseMetadata.builder()
                .id(id)
                .model(modelId)
                .usage(new DefaultUsage(result.promptTokens(), result.completionTokens()))
                .keyValue(KV_POLICY, job.policy.source())
                .keyValue(KV_DEGRADED, job.degradedBy != null)
                .keyValue(KV_BYTES, result.kvBytes())
                .keyValue(KV_BYTES_FULL, result.kvBytesFull())
                .keyValue(CACHED_TOKENS, result.reusedTokens());
        if (job.degradedBy != null) {
            metadata.keyValue(KV_DEGRADED_BY, job.degradedBy);
        }
        return metadata.build();
    }

    private static ChatGenerationMetadata finishMetadata(ServeResult result) {
        return ChatGenerationMetadata.builder().finishReason(finishReason(result.finishReason())).build();
    }

    /** OpenAI's names, which Spring AI applications already test for: a full context is a length stop. */
    public static String finishReason(FinishReason reason) {
        return switch (reason) {
            case STOP -> "stop";
            case LENGTH, CONTEXT_FULL -> "length";
        };
    }

    private static ServeResult await(CompletableFuture<ServeResult> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true); // frees its KV pages at the scheduler's next step
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the generation");
        } catch (ExecutionException e) {
            throw rethrow(unwrap(e));
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IllegalStateException(cause);
    }

    private static <T> T firstNonNull(@Nullable T value, @Nullable T fallback) {
        return value != null ? value : Objects.requireNonNull(fallback, "default option");
    }

    private static String newId() {
        return "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
    }

    private record Job(@Nullable String tenant, int[] promptIds, GenerationRequest request, KvPolicy policy,
                       @Nullable String degradedBy, Prompt observedPrompt) {
    }
}

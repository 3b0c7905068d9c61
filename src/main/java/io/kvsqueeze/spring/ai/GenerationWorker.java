package io.kvsqueeze.spring.ai;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.chat.ChatMessage;
import io.kvsqueeze.engine.generate.GenerationRequest;
import io.kvsqueeze.engine.generate.GenerationResult;
import io.kvsqueeze.engine.generate.Generator;
import io.kvsqueeze.engine.generate.Sequence;
import io.kvsqueeze.engine.model.LlamaConfig;
import java.util.List;
import io.kvsqueeze.engine.kv.KvElementType;
import io.kvsqueeze.spring.tenant.KvPolicy;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs generations on the engine one at a time, in submission order, on a single thread of its own. The engine
 * runs one sequence at a time (its thread team is not reentrant), so every caller, blocking or streaming, goes
 * through this queue; a later issue replaces it with a batching scheduler.
 *
 * <p>One {@link Sequence} is kept between generations so that a conversation that grows turn by turn only
 * computes its new tokens. It is reset when the tenant changes, so that no tenant's prompt is served from
 * another tenant's cached keys and values (the time saved would tell one tenant about another's prompts).
 */
public final class GenerationWorker implements AutoCloseable {
    private final InferenceEngine engine;
    private final Generator generator;
    private final ExecutorService thread;
    private final AtomicInteger queued = new AtomicInteger();
    // Bytes one token's keys and values take in the uncompressed store: the F16 size the engine's sequences use,
    // then the figure of the sequence that ran last.
    private volatile long fullBytesPerToken;
    // Touched only on the worker thread.
    private Sequence sequence;
    private String sequenceTenant;
    private KvPolicy sequencePolicy;
    // Written on the worker thread after each generation, read by monitoring.
    private volatile long kvBytesHeld;

    public GenerationWorker(InferenceEngine engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.generator = new Generator(engine);
        this.thread = Executors.newSingleThreadExecutor(runnable -> {
            Thread worker = new Thread(runnable, "kvsqueeze-generation");
            worker.setDaemon(true);
            return worker;
        });
        LlamaConfig config = engine.model().config();
        // One key and one value per (layer, KV head, dimension), at most 4 bytes each.
        this.fullBytesPerToken = (long) config.layers() * config.kvHeads() * config.headDim() * 2 * KvElementType.F16.bytes();
    }

    public InferenceEngine engine() {
        return engine;
    }

    /**
     * Bytes the uncompressed cache holds per token (keys and values of every layer and KV head): an upper bound
     * until the first generation has measured the store, exact afterwards.
     */
    public long fullBytesPerToken() {
        return fullBytesPerToken;
    }

    /**
     * Bytes of keys and values the kept sequence held after the last generation. Between generations they stay
     * allocated for prefix reuse. The dense cache is allocated at full context size whatever it holds, so this
     * counts what is used, not what is allocated.
     */
    public long kvBytesHeld() {
        return kvBytesHeld;
    }

    /** Whether new generations are accepted (false once closed). */
    public boolean accepting() {
        return !thread.isShutdown();
    }

    /** Generations waiting or running. */
    public int queued() {
        return queued.get();
    }

    /**
     * The prompt's token ids, rendered with the model's chat template and tokenized, on the caller's thread so
     * that a bad conversation or an over-long prompt fails before it queues.
     *
     * @throws PromptTooLongException if the prompt leaves no room for a single generated token
     */
    public int[] encodeChat(List<ChatMessage> messages) {
        String prompt = engine.chatTemplate().render(messages, true);
        int[] ids = engine.tokenizer().encode(prompt, true, true);
        int context = engine.options().contextLength();
        if (ids.length >= context) {
            throw new PromptTooLongException(ids.length, context);
        }
        return ids;
    }

    /**
     * Queues a generation.
     *
     * @param tenant    whose generation this is (null: none), for the reuse of cached tokens
     * @param onText    receives the text as it becomes final, on the worker thread
     * @param cancelled polled before the start and after every piece of text; true stops the generation and
     *                  completes the future with {@link GenerationCancelledException}
     */
    public CompletableFuture<Completion> submit(String tenant, KvPolicy policy, int[] promptIds,
                                                GenerationRequest request, Consumer<String> onText,
                                                BooleanSupplier cancelled) {
        queued.incrementAndGet();
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return run(tenant, policy, promptIds, request, onText, cancelled);
                } finally {
                    queued.decrementAndGet();
                }
            }, thread);
        } catch (RuntimeException rejected) {
            queued.decrementAndGet();
            throw rejected;
        }
    }

    private Completion run(String tenant, KvPolicy policy, int[] promptIds, GenerationRequest request,
                           Consumer<String> onText, BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) {
            throw new GenerationCancelledException();
        }
        if (sequence == null || !policy.equals(sequencePolicy)) {
            // A sequence is compressed by one policy for its life; a tenant whose policy changed starts afresh.
            sequence = engine.newSequence(policy.engine());
            sequencePolicy = policy;
        } else if (!Objects.equals(sequenceTenant, tenant)) {
            sequence.reset();
        }
        sequenceTenant = tenant;
        try {
            GenerationResult result = generator.generate(sequence, promptIds, request, text -> {
                onText.accept(text);
                if (cancelled.getAsBoolean()) {
                    throw new GenerationCancelledException();
                }
            });
            kvBytesHeld = result.kvBytes();
            fullBytesPerToken = sequence.length() > 0 ? sequence.fullKvBytes() / sequence.length() : fullBytesPerToken;
            return new Completion(result, sequence.fullKvBytes());
        } catch (RuntimeException e) {
            // A generation cut short leaves the sequence consistent only between tokens; start clean to be sure.
            sequence.reset();
            kvBytesHeld = 0;
            throw e;
        }
    }

    /** Stops accepting work, lets the running generation finish (briefly) and leaves the engine to its owner. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A finished generation.
     *
     * @param kvBytesFull bytes the uncompressed cache would hold for the same tokens
     */
    public record Completion(GenerationResult result, long kvBytesFull) {
    }

    /** The consumer of a generation went away. */
    public static final class GenerationCancelledException extends RuntimeException {
        public GenerationCancelledException() {
            super("the generation was cancelled", null, false, false);
        }
    }

    /** The prompt fills the context on its own. */
    public static final class PromptTooLongException extends IllegalArgumentException {
        private final int promptTokens;
        private final int contextTokens;

        public PromptTooLongException(int promptTokens, int contextTokens) {
            super("the prompt has " + promptTokens + " tokens but the context holds " + contextTokens
                    + " (prompt and reply together)");
            this.promptTokens = promptTokens;
            this.contextTokens = contextTokens;
        }

        public int promptTokens() {
            return promptTokens;
        }

        public int contextTokens() {
            return contextTokens;
        }
    }
}

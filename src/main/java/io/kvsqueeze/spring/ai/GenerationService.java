package io.kvsqueeze.spring.ai;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.chat.ChatMessage;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.generate.GenerationRequest;
import io.kvsqueeze.engine.scheduler.Scheduler;
import io.kvsqueeze.engine.scheduler.SchedulerStats;
import io.kvsqueeze.engine.scheduler.ServeRequest;
import io.kvsqueeze.engine.scheduler.ServeResult;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The Spring side's door to the engine: prompts are rendered and tokenized here, on the caller's thread, and
 * generations go to the engine's {@link Scheduler}, which batches every running generation into one pass over
 * the weights under one KV pool. A generation's pages come from that pool and go back when it ends, except that
 * the tenant's last sequence stays cached for its next request; one tenant's cache never serves another.
 */
public final class GenerationService {
    private final InferenceEngine engine;
    private final Scheduler scheduler;

    public GenerationService(InferenceEngine engine, Scheduler scheduler) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    public InferenceEngine engine() {
        return engine;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    /** Bytes the uncompressed cache holds per token: keys and values of every layer and KV head. */
    public long fullBytesPerToken() {
        return scheduler.fullBytesPerToken();
    }

    /** Whether new generations are accepted (false once the scheduler is closed). */
    public boolean accepting() {
        return !scheduler.isClosed();
    }

    /** Generations waiting for room or running. */
    public int inFlight() {
        SchedulerStats stats = scheduler.stats();
        return stats.queued() + stats.running();
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
     * Queues a generation. Cancelling the future stops it at the next step and returns its KV pages to the pool.
     * The finished sequence stays cached for the tenant (while it holds every entry and the pool has room), so
     * the tenant's next request computes only what its prompt adds to the last one; tenants never share it.
     *
     * @param tenant whose generation this is (null: calls outside any tenant, which share one cache)
     * @param onText receives the text as it becomes final, on the scheduler's thread: it must not block
     * @throws io.kvsqueeze.engine.scheduler.AdmissionRejectedException at once when the queue is full, the
     *         request could never fit the KV pool, or the scheduler is closed; the future fails with it when the
     *         request waits past the queue timeout
     */
    public CompletableFuture<ServeResult> submit(@Nullable String tenant, KvPolicy policy, int[] promptIds,
                                                 GenerationRequest request, Consumer<String> onText) {
        String reuseKey = tenant == null ? "no-tenant" : "tenant:" + tenant;
        return scheduler.submit(new ServeRequest(promptIds, policy, request, onText, reuseKey));
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

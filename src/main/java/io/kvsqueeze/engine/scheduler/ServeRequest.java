package io.kvsqueeze.engine.scheduler;

import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.generate.GenerationRequest;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One request to the {@link Scheduler}: a tokenized prompt, the KV policy its sequence is compressed by, what
 * to generate, and where the text goes as it becomes final (called on the scheduler's thread: keep it short; an
 * exception thrown there cancels the request).
 *
 * @param reuseKey null, or the key under which the finished sequence stays cached so that the next request of
 *                 the same key (a conversation's next turn) computes only what its prompt adds. Requests of
 *                 different keys never share a cache: key by tenant, or finer.
 */
public record ServeRequest(int[] promptIds, KvPolicy policy, GenerationRequest generation, Consumer<String> onText,
                           String reuseKey) {

    public ServeRequest(int[] promptIds, KvPolicy policy, GenerationRequest generation, Consumer<String> onText) {
        this(promptIds, policy, generation, onText, null);
    }

    public ServeRequest {
        Objects.requireNonNull(promptIds, "promptIds");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(generation, "generation");
        onText = onText == null ? text -> { } : onText;
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
    }
}

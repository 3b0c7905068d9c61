package io.kvsqueeze.engine.model;

import io.kvsqueeze.engine.cpu.ThreadPool;
import io.kvsqueeze.engine.kv.AttentionObserver;
import io.kvsqueeze.engine.kv.HiddenStateObserver;
import io.kvsqueeze.engine.kv.KvCache;

/**
 * One sequence's view of the {@link Transformer}: its KV cache, the observers compression installs on it, and
 * the logits of its last token. Sequences that share a transformer can run in one batch ({@link
 * Transformer#add}); {@link #forward} runs this sequence alone.
 */
public final class ForwardPass {
    private final Transformer transformer;
    private final KvCache cache;
    private final int batchCapacity;
    private final float[] logits;

    // Hooks for KV compression, null when off.
    private AttentionObserver attentionObserver;
    private HiddenStateObserver hiddenStateObserver;

    /** A pass with a transformer of its own, for {@code batchCapacity} tokens per call. */
    public ForwardPass(LlamaModel model, KvCache cache, ThreadPool pool, Rope rope, int batchCapacity) {
        this(new Transformer(model, pool, rope, batchCapacity, cache.capacity()), cache, batchCapacity);
    }

    /** A pass on a shared transformer; a call or a segment of this sequence has at most {@code batchCapacity} tokens. */
    public ForwardPass(Transformer transformer, KvCache cache, int batchCapacity) {
        if (batchCapacity < 1 || batchCapacity > transformer.rowCapacity()) {
            throw new IllegalArgumentException("batch of " + batchCapacity + " tokens, the transformer runs "
                    + transformer.rowCapacity());
        }
        if (cache.capacity() > transformer.attentionCapacity()) {
            throw new IllegalArgumentException("a cache of " + cache.capacity()
                    + " entries per head is longer than the transformer attends to (" + transformer.attentionCapacity() + ")");
        }
        this.transformer = transformer;
        this.cache = cache;
        this.batchCapacity = batchCapacity;
        this.logits = new float[transformer.config().vocabSize()];
    }

    public Transformer transformer() {
        return transformer;
    }

    public int batchCapacity() {
        return batchCapacity;
    }

    public LlamaConfig config() {
        return transformer.config();
    }

    public KvCache cache() {
        return cache;
    }

    /** Members of the thread team, the bound of the {@code thread} argument an {@link AttentionObserver} gets. */
    public int threads() {
        return transformer.threads();
    }

    /** The logits after this sequence's last batch that asked for them; reused by the next. */
    public float[] logits() {
        return logits;
    }

    /** Sets (or, with null, removes) the observer of attention probabilities. */
    public void attentionObserver(AttentionObserver observer) {
        this.attentionObserver = observer;
    }

    public AttentionObserver attentionObserver() {
        return attentionObserver;
    }

    /** Sets (or, with null, removes) the observer of each layer's input and post-attention residual stream. */
    public void hiddenStateObserver(HiddenStateObserver observer) {
        this.hiddenStateObserver = observer;
    }

    public HiddenStateObserver hiddenStateObserver() {
        return hiddenStateObserver;
    }

    /**
     * Runs {@code count} tokens of this sequence alone, at consecutive positions from {@code startPosition},
     * appending their keys and values to the cache. Returns the logits of the last token, or null when {@code
     * computeLogits} is false (then the last layer stops after writing its keys and values, which is all later
     * tokens need). The returned array is reused by the next call.
     */
    public float[] forward(int[] tokenIds, int from, int count, int startPosition, boolean computeLogits) {
        if (count < 1 || count > batchCapacity) {
            throw new IllegalArgumentException("batch of " + count + " tokens, capacity " + batchCapacity);
        }
        transformer.clear();
        transformer.add(this, tokenIds, from, count, startPosition, computeLogits);
        transformer.run();
        return computeLogits ? logits : null;
    }
}

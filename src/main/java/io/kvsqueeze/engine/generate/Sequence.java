package io.kvsqueeze.engine.generate;

import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.model.ForwardPass;

/**
 * One token sequence and its KV cache. Feeding a prompt reuses the longest prefix already in the cache, so a
 * chat that grows turn by turn only computes the new tokens, unless compression dropped entries (see
 * {@link KvCompression#keepsEveryEntry}). Not thread-safe: one caller at a time.
 */
public final class Sequence {
    private final ForwardPass pass;
    private final KvCompression compression;
    private final int[] tokens;
    private int length;

    /** A sequence with a full (uncompressed) cache. */
    public Sequence(ForwardPass pass) {
        this(pass, KvCompression.NONE);
    }

    public Sequence(ForwardPass pass, KvCompression compression) {
        this.pass = pass;
        this.compression = compression;
        this.tokens = new int[pass.cache().capacity()];
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return tokens.length;
    }

    public int[] tokens() {
        return tokens;
    }

    public ForwardPass forwardPass() {
        return pass;
    }

    public KvCompression compression() {
        return compression;
    }

    /** Bytes the KV cache would hold without compression: every token of the sequence in every head. */
    public long fullKvBytes() {
        KvCache cache = pass.cache();
        return (long) length * cache.layers() * cache.kvHeads() * cache.headDim() * 2L
                * cache.elementType().bytes();
    }

    /**
     * Makes the sequence equal to {@code prompt} and returns the logits after its last token. Tokens shared
     * with what is already cached are not recomputed (the last prompt token always is, for its logits).
     */
    public float[] prefill(int[] prompt) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (prompt.length > tokens.length) {
            throw new IllegalArgumentException("the prompt has " + prompt.length
                    + " tokens but the context holds " + tokens.length);
        }
        int common = reusablePrefix(prompt);
        pass.cache().truncate(common);
        length = common;
        float[] logits = null;
        int batch = pass.batchCapacity();
        compression.beforePrefill(pass, common, prompt.length);
        try {
            for (int from = common; from < prompt.length; from += batch) {
                int count = Math.min(batch, prompt.length - from);
                boolean last = from + count == prompt.length;
                logits = pass.forward(prompt, from, count, from, last);
            }
        } catch (RuntimeException e) {
            pass.cache().truncate(common); // a failed batch (e.g. the KV pool ran out) may have appended to some heads
            compression.abandon(pass);
            throw e;
        }
        System.arraycopy(prompt, common, tokens, common, prompt.length - common);
        length = prompt.length;
        // The logits above saw the whole prompt, as in SnapKV: eviction shapes what later tokens attend to.
        compression.afterPrefill(pass, prompt.length);
        return logits;
    }

    /**
     * How many leading tokens of {@code prompt} are already cached and would not be recomputed by
     * {@link #prefill}: the common prefix, short of the prompt's last token.
     */
    public int reusablePrefix(int[] prompt) {
        if (!compression.keepsEveryEntry()) {
            // The kept entries were chosen for the last prompt's question: reusing them would make this
            // answer depend on what was asked before, so a compressed sequence starts over.
            return 0;
        }
        int limit = Math.min(length, prompt.length - 1);
        int common = 0;
        while (common < limit && tokens[common] == prompt[common]) {
            common++;
        }
        return common;
    }

    /** Appends one generated token and returns the logits that follow it. */
    public float[] append(int token) {
        if (length == tokens.length) {
            throw new IllegalStateException("the context of " + tokens.length + " tokens is full");
        }
        tokens[length] = token;
        float[] logits;
        compression.beforeAppend(pass, length);
        try {
            logits = pass.forward(tokens, length, 1, length, true);
        } catch (RuntimeException e) {
            pass.cache().truncate(length); // drop what the failed token appended to some heads
            compression.abandon(pass);
            throw e;
        }
        length++;
        compression.afterAppend(pass, length);
        return logits;
    }

    /**
     * Makes this sequence a copy of {@code source}: its tokens and every cache entry with its position (an
     * evaluation prefills a prompt once and compresses copies of it with each policy). Both caches must have
     * the same shape.
     */
    public void copyFrom(Sequence source) {
        KvCache from = source.pass.cache();
        KvCache to = pass.cache();
        if (from.layers() != to.layers() || from.kvHeads() != to.kvHeads() || from.headDim() != to.headDim()
                || source.length > tokens.length) {
            throw new IllegalArgumentException("cannot copy a sequence of another shape or a longer context");
        }
        to.clear();
        compression.abandon(pass);
        float[] key = new float[from.headDim()];
        float[] value = new float[from.headDim()];
        for (int layer = 0; layer < from.layers(); layer++) {
            for (int kvHead = 0; kvHead < from.kvHeads(); kvHead++) {
                for (int i = 0; i < from.length(layer, kvHead); i++) {
                    from.key(layer, kvHead, i, key, 0);
                    from.value(layer, kvHead, i, value, 0);
                    to.append(layer, kvHead, from.position(layer, kvHead, i), key, 0, value, 0);
                }
            }
        }
        System.arraycopy(source.tokens, 0, tokens, 0, source.length);
        length = source.length;
    }

    /** Forgets everything (the next prefill starts from an empty cache). */
    public void reset() {
        pass.cache().clear();
        compression.abandon(pass);
        length = 0;
    }
}

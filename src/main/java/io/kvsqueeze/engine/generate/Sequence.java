package io.kvsqueeze.engine.generate;

import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.model.ForwardPass;
import io.kvsqueeze.engine.model.Transformer;

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
    private int[] prompting; // the prompt being prefilled, null otherwise
    private int pending;     // tokens of the segment in the current batch

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
        startPrefill(prompt);
        Transformer transformer = pass.transformer();
        while (prefillRemaining() > 0) {
            transformer.clear();
            addPrefillChunk(pass.batchCapacity());
            runAlone(transformer);
        }
        return finishPrefill();
    }

    /**
     * Starts making the sequence equal to {@code prompt}, to be run chunk by chunk ({@link #addPrefillChunk}),
     * possibly in batches with other sequences, and ended by {@link #finishPrefill}.
     */
    public void startPrefill(int[] prompt) {
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
        prompting = prompt;
        compression.beforePrefill(pass, common, prompt.length);
    }

    /** Prompt tokens not yet run. */
    public int prefillRemaining() {
        return prompting == null ? 0 : prompting.length - length;
    }

    /**
     * Adds the next at most {@code maxTokens} prompt tokens as this sequence's segment of the transformer's
     * batch (the last chunk asks for logits) and returns how many; they count as run once the batch has run.
     */
    public int addPrefillChunk(int maxTokens) {
        int count = Math.min(Math.min(maxTokens, pass.batchCapacity()), prefillRemaining());
        boolean last = length + count == prompting.length;
        pass.transformer().add(pass, prompting, length, count, length, last);
        pending = count;
        return count;
    }

    /** Ends the prompt once it has all run: compression evicts here. Returns the logits after its last token. */
    public float[] finishPrefill() {
        if (prompting == null || prefillRemaining() > 0) {
            throw new IllegalStateException("the prompt has not run to its end");
        }
        prompting = null;
        // The logits above saw the whole prompt, as in SnapKV: eviction shapes what later tokens attend to.
        compression.afterPrefill(pass, length);
        return pass.logits();
    }

    /** Adds {@code token}, generated after the sequence's last one, as this sequence's segment of the batch. */
    public void addDecode(int token) {
        if (length == tokens.length) {
            throw new IllegalStateException("the context of " + tokens.length + " tokens is full");
        }
        if (prompting != null) {
            throw new IllegalStateException("the prompt has not run to its end");
        }
        tokens[length] = token;
        compression.beforeAppend(pass, length);
        pass.transformer().add(pass, tokens, length, 1, length, true);
        pending = 1;
    }

    /**
     * The batch holding this sequence's segment ran: its tokens now count. After a decoded token, returns the
     * logits that follow it (after a prompt chunk, null: see {@link #finishPrefill}).
     */
    public float[] batchRan() {
        if (prompting != null) {
            System.arraycopy(prompting, length, tokens, length, pending);
            length += pending;
            pending = 0;
            return null;
        }
        length += pending;
        pending = 0;
        compression.afterAppend(pass, length);
        return pass.logits();
    }

    /**
     * The batch holding this sequence's segment failed: the cache is cut back to the tokens that count, and an
     * unfinished prompt is dropped (its observations are incomplete), leaving the sequence as before it.
     */
    public void batchFailed() {
        pending = 0;
        if (prompting != null) {
            prompting = null;
        }
        pass.cache().truncate(length);
        compression.abandon(pass);
    }

    private void runAlone(Transformer transformer) {
        try {
            transformer.run();
        } catch (RuntimeException e) {
            batchFailed();
            throw e;
        }
        batchRan();
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
        Transformer transformer = pass.transformer();
        transformer.clear();
        addDecode(token);
        runAlone(transformer);
        return pass.logits();
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
        prompting = null;
        pending = 0;
        pass.cache().clear();
        compression.abandon(pass);
        length = 0;
    }
}

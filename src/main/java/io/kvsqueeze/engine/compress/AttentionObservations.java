package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * What a scorer learns from one layer's prefill attention: per KV head, the sum over the observed queries of
 * their softmax probabilities on every key (column sums), {@code [kvHeads][promptLength]}.
 *
 * <p>Both attention scorers reduce over queries with a sum: SnapKV over the last {@code window} queries (§1.1),
 * H2O over all of them (§4.1). Summing in the engine as the probabilities are produced is therefore exact and
 * costs {@code kvHeads * promptLength} floats per layer, allocated once and {@link #reset} per prompt; nothing
 * is allocated per token.
 *
 * <p>GQA (§12.0.1): the engine adds each query head's row with weight {@code 1 / groupSize} into its KV head's
 * sums, so the score is the <em>mean</em> over the group, reduced <em>before</em> pooling, as ADAKV and KVF's
 * kv-head mode do (§1.1, §5.4). Sum and mean commute, so this equals reducing the per-head window scores.
 * Probabilities are those of §12.0.6: fp32 softmax over all keys with the causal mask, not renormalised.
 */
public final class AttentionObservations {
    private final int kvHeads;
    private final float[][] columnSums;
    private int promptLength;

    /** @param maxPromptLength the longest prompt this object will observe (the cache capacity). */
    public AttentionObservations(int kvHeads, int maxPromptLength) {
        this.kvHeads = kvHeads;
        this.columnSums = new float[kvHeads][maxPromptLength];
    }

    /** Clears the sums for a prompt of {@code promptLength} tokens. */
    public void reset(int promptLength) {
        if (promptLength < 0 || promptLength > columnSums[0].length) {
            throw new IllegalArgumentException("promptLength " + promptLength + " outside [0, "
                    + columnSums[0].length + "]");
        }
        this.promptLength = promptLength;
        for (float[] row : columnSums) {
            Arrays.fill(row, 0, promptLength, 0f);
        }
    }

    /**
     * Adds {@code weight * probabilities[offset + j]} to column {@code j} of {@code kvHead} for
     * {@code j < keys}: one query's attention row over the keys it sees (causal: {@code keys = query + 1}).
     */
    public void addQuery(int kvHead, float[] probabilities, int offset, int keys, float weight) {
        if (keys > promptLength) {
            throw new IllegalArgumentException("row of " + keys + " keys for a prompt of " + promptLength);
        }
        float[] sums = columnSums[kvHead];
        for (int j = 0; j < keys; j++) {
            sums[j] += weight * probabilities[offset + j];
        }
    }

    /** The live sums of {@code kvHead}; the engine may also accumulate into it directly. */
    public float[] columnSums(int kvHead) {
        return columnSums[kvHead];
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int promptLength() {
        return promptLength;
    }
}

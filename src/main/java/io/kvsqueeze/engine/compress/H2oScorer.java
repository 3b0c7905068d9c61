package io.kvsqueeze.engine.compress;

/**
 * H2O as KVCache-Factory runs it at prefill (kv-compression.md §4.1, §12.4): the column sums of the causal
 * attention of all prompt queries, no pooling. With {@code normalize}, column {@code j} is divided by the
 * {@code promptLength - j} queries that see it (kvpress ObservedAttention), removing the bias toward early
 * tokens.
 */
public final class H2oScorer implements TokenScorer {
    private final int window;
    private final boolean normalize;

    public H2oScorer(int window, boolean normalize) {
        this.window = window;
        this.normalize = normalize;
    }

    @Override
    public int window() {
        return window;
    }

    @Override
    public int firstObservedQuery(int promptLength) {
        return 0;
    }

    @Override
    public void score(AttentionObservations observations, int promptLength, float[][] scores) {
        int prefixLength = Math.max(0, promptLength - window);
        for (int kvHead = 0; kvHead < observations.kvHeads(); kvHead++) {
            float[] sums = observations.columnSums(kvHead);
            float[] out = scores[kvHead];
            for (int j = 0; j < prefixLength; j++) {
                out[j] = normalize ? sums[j] / (promptLength - j) : sums[j];
            }
        }
    }
}

package io.kvsqueeze.engine.compress;

/**
 * SnapKV's observation-window score (kv-compression.md §1.1, §2.1, §12.1): the attention the last
 * {@code window} prompt queries pay to each prefix key, summed over those queries (SNAP/KVF; ADAKV's mean gives
 * the same selection), reduced over the GQA group by mean (see {@link AttentionObservations}), then pooled with
 * PyTorch semantics over the prefix columns only.
 */
public final class SnapKvScorer implements TokenScorer {
    private final int window;
    private final Pooling pooling;
    private final int kernel;

    public SnapKvScorer(int window, Pooling pooling, int kernel) {
        this.window = window;
        this.pooling = pooling;
        this.kernel = kernel;
    }

    @Override
    public int window() {
        return window;
    }

    @Override
    public int firstObservedQuery(int promptLength) {
        return Math.max(0, promptLength - window);
    }

    @Override
    public void score(AttentionObservations observations, int promptLength, float[][] scores) {
        int prefixLength = Math.max(0, promptLength - window);
        for (int kvHead = 0; kvHead < observations.kvHeads(); kvHead++) {
            pooling.pool(observations.columnSums(kvHead), prefixLength, kernel, scores[kvHead]);
        }
    }
}

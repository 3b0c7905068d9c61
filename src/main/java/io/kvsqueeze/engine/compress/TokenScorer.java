package io.kvsqueeze.engine.compress;

/**
 * Turns one layer's attention observations into per-KV-head importance scores over the prompt positions the
 * method may evict, {@code [0, promptLength - window)}. The last {@link #window()} positions are always kept
 * and get no score. Implementations hold their scratch buffers and are not thread-safe.
 */
public interface TokenScorer {

    /** Trailing prompt tokens always kept (the observation window or recent window). */
    int window();

    /**
     * The first prompt query the engine must add to the {@link AttentionObservations}: queries
     * {@code [firstObservedQuery, promptLength)} are observed. {@code promptLength} means none.
     */
    int firstObservedQuery(int promptLength);

    /**
     * Writes {@code scores[kvHead][j]} for {@code j} in {@code [0, promptLength - window())}. Higher means more
     * worth keeping. {@code observations} may be null for a scorer that observes nothing.
     */
    void score(AttentionObservations observations, int promptLength, float[][] scores);

    static TokenScorer of(ScorerSpec spec) {
        return switch (spec) {
            case ScorerSpec.SnapKv s -> new SnapKvScorer(s.window(), s.pooling(), s.kernel());
            case ScorerSpec.H2o h -> new H2oScorer(h.window(), h.normalize());
            case ScorerSpec.StreamingLlm s -> new StreamingLlmScorer();
            case ScorerSpec.None n -> throw new IllegalArgumentException("scorer none scores nothing");
        };
    }
}

package io.kvsqueeze.engine.compress;

/**
 * StreamingLLM (kv-compression.md §4.2, §12.4): the score of a position is the position itself, so a top-k
 * keeps the most recent tokens; the sinks are protected by the planner. Observes no attention.
 */
public final class StreamingLlmScorer implements TokenScorer {

    @Override
    public int window() {
        return 0;
    }

    @Override
    public int firstObservedQuery(int promptLength) {
        return promptLength;
    }

    @Override
    public void score(AttentionObservations observations, int promptLength, float[][] scores) {
        // Positions stay exact as floats up to 2^24 tokens, far beyond any prompt this engine holds.
        for (float[] row : scores) {
            for (int j = 0; j < promptLength; j++) {
                row[j] = j;
            }
        }
    }
}

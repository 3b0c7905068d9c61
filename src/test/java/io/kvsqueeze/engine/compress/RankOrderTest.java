package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** kv-compression.md §12.0.4: higher score first, then lower position. */
class RankOrderTest {

    @Test
    void higherScoreFirstThenLowerPosition() {
        float[] scores = {0.5f, 0.7f, 0.5f, -1f, 0.7f, Float.NaN, -0f, 0f};
        int[] top = new int[8];
        new RankOrder().top(scores, 0, 8, 8, top);
        assertThat(top).containsExactly(1, 4, 0, 2, 6, 7, 3, 5);
    }

    @Test
    void topOfASubrangeReturnsAbsolutePositions() {
        float[] scores = {9f, 1f, 3f, 2f, 9f};
        int[] top = new int[2];
        new RankOrder().top(scores, 1, 4, 2, top);
        assertThat(top).containsExactly(2, 3);
    }

    @Test
    void infinitiesRankAtTheEnds() {
        assertThat(RankOrder.before(Float.POSITIVE_INFINITY, 9, Float.MAX_VALUE, 0)).isTrue();
        assertThat(RankOrder.before(-Float.MAX_VALUE, 0, Float.NEGATIVE_INFINITY, 9)).isTrue();
        assertThat(RankOrder.before(1f, 3, 1f, 2)).isFalse();
    }
}

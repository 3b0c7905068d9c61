package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** kv-compression.md §12.1: n = 8, w = 2, one head, the two window rows given there. */
class SnapKvScorerTest {
    private static final int N = 8;
    private static final int W = 2;
    private static final float[] ROW0 = {0.30f, 0.05f, 0.20f, 0.03f, 0.15f, 0.07f, 0.20f, 0.00f};
    private static final float[] ROW1 = {0.20f, 0.05f, 0.20f, 0.02f, 0.15f, 0.08f, 0.15f, 0.15f};

    /** The window rows of queries 6 and 7, each over the keys it sees (causal). */
    private static AttentionObservations window(float weight) {
        AttentionObservations observations = new AttentionObservations(1, 64);
        observations.reset(N);
        observations.addQuery(0, ROW0, 0, 7, weight);
        observations.addQuery(0, ROW1, 0, 8, weight);
        return observations;
    }

    private static float[] scores(Pooling pooling, int kernel) {
        float[][] scores = new float[1][N];
        new SnapKvScorer(W, pooling, kernel).score(window(1f), N, scores);
        return Arrays.copyOf(scores[0], N - W);
    }

    private static int[] kept(Pooling pooling, int kernel, int selected, AttentionObservations observations) {
        KvPolicy policy = Plans.policy(new ScorerSpec.SnapKv(W, pooling, kernel), selected + W, 0);
        CompressionPlan plan = new CompressionPlanner(policy, 1, 1)
                .plan(N, new AttentionObservations[] {observations}, null);
        PlanInvariants.check(plan);
        return plan.kept(0, 0);
    }

    @Test
    void windowSumOverThePrefixColumns() {
        assertThat(scores(Pooling.AVG, 1)).containsExactly(new float[] {0.50f, 0.10f, 0.40f, 0.05f, 0.30f, 0.15f},
                within(1e-6f));
    }

    @Test
    void avgPoolingCountsTheZeroPaddingAndMaxPoolingIgnoresIt() {
        assertThat(scores(Pooling.AVG, 3)).containsExactly(
                new float[] {0.2000f, 0.3333f, 0.1833f, 0.2500f, 0.1667f, 0.1500f}, within(1e-4f));
        assertThat(scores(Pooling.MAX, 3)).containsExactly(new float[] {0.50f, 0.50f, 0.40f, 0.40f, 0.30f, 0.30f},
                within(1e-6f));
    }

    @Test
    void keptSetsAreTheTopOfThePooledScoreAndTheWindow() {
        assertThat(kept(Pooling.AVG, 1, 3, window(1f))).containsExactly(0, 2, 4, 6, 7);
        assertThat(kept(Pooling.AVG, 3, 3, window(1f))).containsExactly(0, 1, 3, 6, 7);
        assertThat(kept(Pooling.MAX, 3, 2, window(1f))).containsExactly(0, 1, 6, 7);
        assertThat(kept(Pooling.MAX, 3, 4, window(1f))).containsExactly(0, 1, 2, 3, 6, 7);
    }

    @Test
    void maxPoolingPlateauTieGoesToTheLowerPosition() {
        // Pooled [0.5, 0.5, 0.4, 0.4, ...]: the third place is a tie between 2 and 3 (§12.0.4).
        assertThat(kept(Pooling.MAX, 3, 3, window(1f))).containsExactly(0, 1, 2, 6, 7);
    }

    @Test
    void meanOverTheWindowSelectsLikeTheSum() {
        for (Pooling pooling : Pooling.values()) {
            for (int selected = 1; selected <= 5; selected++) {
                assertThat(kept(pooling, 3, selected, window(0.5f))).as("%s top-%d", pooling, selected)
                        .containsExactly(kept(pooling, 3, selected, window(1f)));
            }
        }
    }

    @Test
    void aPromptShorterThanTheCapacityIsNotCompressed() {
        KvPolicy policy = Plans.policy(new ScorerSpec.SnapKv(W, Pooling.AVG, 3), N + 1, 0);
        CompressionPlanner planner = new CompressionPlanner(policy, 1, 1);
        assertThat(planner.compresses(N)).isFalse();
        assertThat(planner.firstObservedQuery(N)).isEqualTo(N);
        CompressionPlan plan = planner.plan(N, null, null);
        assertThat(plan.compressed()).isFalse();
        assertThat(plan.kept(0, 0)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(new CompressionPlanner(policy.withBudget(new Budget.Tokens(N)), 1, 1).compresses(N)).isFalse();
        assertThat(new CompressionPlanner(policy.withBudget(new Budget.Tokens(N - 1)), 1, 1).compresses(N)).isTrue();
    }

    @Test
    void theEngineObservesOnlyTheWindowQueries() {
        CompressionPlanner planner = new CompressionPlanner(Plans.policy(ScorerSpec.SnapKv.defaults(), 64, 4), 2, 1);
        assertThat(planner.firstObservedQuery(1000)).isEqualTo(968);
    }

    @Test
    void gqaQueryHeadsAreAveragedIntoTheirKvHead() {
        // Two query heads share KV head 0; each adds its row with weight 1/2: the mean of the two rows.
        AttentionObservations observations = new AttentionObservations(1, 8);
        observations.reset(3);
        observations.addQuery(0, new float[] {0.6f, 0.3f, 0.1f}, 0, 3, 0.5f);
        observations.addQuery(0, new float[] {0.2f, 0.3f, 0.5f}, 0, 3, 0.5f);
        assertThat(Arrays.copyOf(observations.columnSums(0), 3))
                .containsExactly(new float[] {0.4f, 0.3f, 0.3f}, within(1e-7f));
    }
}

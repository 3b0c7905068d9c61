package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** kv-compression.md §12.4: uniform causal attention over n = 4 tokens (query i puts 1/(i+1) on keys 0..i). */
class H2oScorerTest {
    private static final int N = 4;

    private static AttentionObservations uniformCausal() {
        AttentionObservations observations = new AttentionObservations(1, N);
        observations.reset(N);
        for (int query = 0; query < N; query++) {
            float[] row = new float[N];
            Arrays.fill(row, 0, query + 1, 1f / (query + 1));
            observations.addQuery(0, row, 0, query + 1, 1f);
        }
        return observations;
    }

    private static float[] scores(boolean normalize) {
        float[][] scores = new float[1][N];
        new H2oScorer(0, normalize).score(uniformCausal(), N, scores);
        return scores[0];
    }

    @Test
    void columnSumsOverAllQueries() {
        assertThat(scores(false)).containsExactly(new float[] {2.0833f, 1.0833f, 0.5833f, 0.2500f}, within(1e-4f));
    }

    @Test
    void observedAttentionDividesByTheQueriesThatSeeTheColumn() {
        assertThat(scores(true)).containsExactly(new float[] {0.5208f, 0.3611f, 0.2917f, 0.2500f}, within(1e-4f));
    }

    @Test
    void everyPromptQueryIsObserved() {
        assertThat(new H2oScorer(8, false).firstObservedQuery(100)).isZero();
    }

    @Test
    void keepsTheTopColumnsPlusTheRecentWindow() {
        KvPolicy policy = Plans.policy(new ScorerSpec.H2o(1, false), 3, 0);
        CompressionPlan plan = new CompressionPlanner(policy, 1, 1)
                .plan(N, new AttentionObservations[] {uniformCausal()}, null);
        PlanInvariants.check(plan);
        assertThat(plan.kept(0, 0)).containsExactly(0, 1, 3);
    }

    @Test
    void normalisationChangesTheChoiceWhenLateColumnsAreDenser() {
        // Column sums [1.0, 0.9, 0.8] over n = 4: raw keeps 0; divided by [4, 3, 2] = [0.25, 0.3, 0.4] keeps 2.
        AttentionObservations sums = Plans.columnSums(new float[] {1.0f, 0.9f, 0.8f, 0.1f});
        for (boolean normalize : new boolean[] {false, true}) {
            KvPolicy policy = Plans.policy(new ScorerSpec.H2o(1, normalize), 2, 0);
            CompressionPlan plan = new CompressionPlanner(policy, 1, 1)
                    .plan(N, new AttentionObservations[] {sums}, null);
            assertThat(plan.kept(0, 0)).as("normalize %s", normalize).containsExactly(normalize ? 2 : 0, 3);
        }
    }
}

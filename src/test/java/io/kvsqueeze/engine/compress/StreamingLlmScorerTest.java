package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** kv-compression.md §12.4: StreamingLLM keeps the first 4 and the last C - 4 tokens. */
class StreamingLlmScorerTest {

    @Test
    void keepsTheSinksAndTheMostRecentTokens() {
        KvPolicy policy = KvPolicy.parse("{\"preset\": \"streaming-llm\", \"budget\": {\"tokens\": 6}}");
        CompressionPlanner planner = new CompressionPlanner(policy, 3, 2);
        assertThat(planner.firstObservedQuery(10)).isEqualTo(10);
        CompressionPlan plan = planner.plan(10, null, null);
        PlanInvariants.check(plan);
        for (int layer = 0; layer < 3; layer++) {
            for (int h = 0; h < 2; h++) {
                assertThat(plan.kept(layer, h)).containsExactly(0, 1, 2, 3, 8, 9);
            }
        }
    }

    @Test
    void isTheKvpressFormWithZeroScoresOnThePrunedRange() {
        // kvpress: score 1 except [n_sink, n_sink + n_pruned) = [4, 8) set to 0; the top 6 are the same set.
        float[] kvpress = {1, 1, 1, 1, 0, 0, 0, 0, 1, 1};
        int[] top = new int[6];
        new RankOrder().top(kvpress, 0, 10, 6, top);
        Arrays.sort(top);
        KvPolicy policy = KvPolicy.parse("{\"preset\": \"streaming-llm\", \"budget\": {\"tokens\": 6}}");
        assertThat(new CompressionPlanner(policy, 1, 1).plan(10, null, null).kept(0, 0)).containsExactly(top);
    }

    @Test
    void theScoreIsThePosition() {
        float[][] scores = new float[2][5];
        new StreamingLlmScorer().score(null, 5, scores);
        assertThat(scores[1]).containsExactly(0, 1, 2, 3, 4);
    }
}

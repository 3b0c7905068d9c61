package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** kv-compression.md §12.9: no-op invariance, set invariants, budget accounting and determinism for every preset. */
class CompressionPlannerTest {
    private static final int LAYERS = 6;
    private static final int KV_HEADS = 3;

    private static AttentionObservations[] randomObservations(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        AttentionObservations[] perLayer = new AttentionObservations[LAYERS];
        for (int layer = 0; layer < LAYERS; layer++) {
            float[][] sums = new float[KV_HEADS][n];
            for (float[] row : sums) {
                double concentration = 1 + random.nextInt(8);
                for (int j = 0; j < n; j++) {
                    // Coarse values make ties (and max-pool plateaus) common, as they are in practice.
                    row[j] = (float) (Math.floor(Math.pow(random.nextDouble(), concentration) * 50) / 50);
                }
            }
            perLayer[layer] = Plans.columnSums(sums);
        }
        return perLayer;
    }

    private static double[] cosines() {
        return new double[] {0.61, 0.55, 0.83, 0.97, 0.95, 0.80};
    }

    private static CompressionPlan plan(KvPolicy policy, int n, long seed) {
        return new CompressionPlanner(policy, LAYERS, KV_HEADS).plan(n, randomObservations(seed, n), cosines());
    }

    @Test
    void everyPresetKeepsTheInvariantsAndTheBudget() {
        for (String name : KvPolicyPresets.names()) {
            for (int budget : new int[] {48, 100, 256}) {
                KvPolicy policy = KvPolicy.parse("{\"preset\": \"" + name + "\", \"budget\": {\"tokens\": " + budget
                        + "}}");
                int n = 1500;
                CompressionPlan plan = plan(policy, n, budget);
                PlanInvariants.check(plan);
                long expected = policy.isFull() ? (long) LAYERS * KV_HEADS * n : (long) LAYERS * KV_HEADS * budget;
                // Exact except for Ada-KV's rounding (at most about one entry per head, §5.2): within 2 %.
                assertThat((double) plan.totalKept()).as("%s at %d", name, budget)
                        .isBetween(expected * 0.98, expected * 1.02);
                if (policy.headAllocation() instanceof HeadAllocation.Uniform) {
                    assertThat(plan.totalKept()).as("%s at %d", name, budget).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void aRatioBudgetIsAFractionOfThePrompt() {
        KvPolicy policy = KvPolicy.parse("{\"preset\": \"pyramidkv\", \"budget\": {\"ratio\": 0.2}}");
        CompressionPlan plan = plan(policy, 1000, 1);
        PlanInvariants.check(plan);
        assertThat(plan.capacity()).isEqualTo(200);
        assertThat(plan.totalKept()).isEqualTo((long) LAYERS * KV_HEADS * 200);
    }

    @Test
    void aBudgetAtLeastThePromptKeepsEverything() {
        for (String name : KvPolicyPresets.names()) {
            KvPolicy policy = KvPolicy.parse("{\"preset\": \"" + name + "\", \"budget\": {\"tokens\": 300}}");
            CompressionPlanner planner = new CompressionPlanner(policy, LAYERS, KV_HEADS);
            for (int n : new int[] {1, 40, 299, 300}) {
                assertThat(planner.compresses(n)).as(name).isFalse();
                CompressionPlan plan = planner.plan(n, null, null);
                assertThat(plan.compressed()).isFalse();
                assertThat(plan.totalKept()).isEqualTo((long) LAYERS * KV_HEADS * n);
                PlanInvariants.check(plan);
            }
            KvPolicy whole = KvPolicy.parse("{\"preset\": \"" + name + "\", \"budget\": {\"ratio\": 1}}");
            assertThat(new CompressionPlanner(whole, LAYERS, KV_HEADS).compresses(5000)).isFalse();
        }
    }

    @Test
    void identicalInputsGiveIdenticalPlans() {
        for (String name : KvPolicyPresets.names()) {
            KvPolicy policy = KvPolicy.parse("{\"preset\": \"" + name + "\", \"budget\": {\"tokens\": 64}}");
            CompressionPlan first = plan(policy, 700, 42);
            CompressionPlanner reused = new CompressionPlanner(policy, LAYERS, KV_HEADS);
            reused.plan(900, randomObservations(7, 900), cosines());
            CompressionPlan second = reused.plan(700, randomObservations(42, 700), cosines());
            for (int layer = 0; layer < LAYERS; layer++) {
                for (int h = 0; h < KV_HEADS; h++) {
                    assertThat(second.kept(layer, h)).as(name).containsExactly(first.kept(layer, h));
                }
            }
        }
    }

    @Test
    void aRatioBudgetBelowTheWindowKeepsOnlyTheNewestTokens() {
        // 10 % of 100 = 10 < window 32 + 4 sinks: window shrinks to 10, no sinks.
        KvPolicy policy = KvPolicy.parse("{\"preset\": \"snapkv\", \"budget\": {\"ratio\": 0.1}}");
        CompressionPlan plan = plan(policy, 100, 3);
        PlanInvariants.check(plan);
        assertThat(plan.kept(2, 1)).containsExactly(90, 91, 92, 93, 94, 95, 96, 97, 98, 99);
    }

    @Test
    void sinksAndWindowAreKeptEvenWhenTheirScoresAreLowest() {
        int n = 60;
        float[] sums = new float[n];
        for (int j = 0; j < n; j++) {
            sums[j] = j < 4 || j >= n - 8 ? 0f : 1f + (j % 7);
        }
        KvPolicy policy = KvPolicy.parse("""
                {"scorer": {"type": "snapkv", "window": 8, "kernel": 1}, "budget": {"tokens": 20}}""");
        CompressionPlan plan = new CompressionPlanner(policy, 1, 1)
                .plan(n, new AttentionObservations[] {Plans.columnSums(sums)}, null);
        PlanInvariants.check(plan);
        assertThat(plan.kept(0, 0)).startsWith(0, 1, 2, 3).endsWith(52, 53, 54, 55, 56, 57, 58, 59).hasSize(20);
        assertThat(plan.sinks()).isEqualTo(4);
        assertThat(plan.window()).isEqualTo(8);
    }

    @Test
    void invariantsCatchABrokenPlan() {
        CompressionPlan duplicate = new CompressionPlan(10, true, 4, 1, 1, new int[] {2},
                new int[][] {{2}}, new int[][][] {{{0, 4, 4, 9}}});
        assertThatThrownBy(() -> PlanInvariants.check(duplicate)).hasMessageContaining("not strictly increasing");
        CompressionPlan missingWindow = new CompressionPlan(10, true, 4, 1, 1, new int[] {2},
                new int[][] {{2}}, new int[][][] {{{0, 3, 4, 8}}});
        assertThatThrownBy(() -> PlanInvariants.check(missingWindow)).hasMessageContaining("window position 9");
        CompressionPlan overBudget = new CompressionPlan(10, true, 4, 1, 1, new int[] {2},
                new int[][] {{2}}, new int[][][] {{{0, 3, 4, 5, 9}}});
        assertThatThrownBy(() -> PlanInvariants.check(overBudget)).hasMessageContaining("keeps 5, scheduled 4");
    }

    @Test
    void observationsMustMatchThePrompt() {
        KvPolicy policy = KvPolicy.parse("{\"preset\": \"snapkv\", \"budget\": {\"tokens\": 40}}");
        CompressionPlanner planner = new CompressionPlanner(policy, LAYERS, KV_HEADS);
        assertThatThrownBy(() -> planner.plan(100, null, null)).hasMessageContaining("need observations");
        assertThatThrownBy(() -> planner.plan(100, randomObservations(1, 90), null))
                .hasMessageContaining("expected 3 over 100");
    }
}

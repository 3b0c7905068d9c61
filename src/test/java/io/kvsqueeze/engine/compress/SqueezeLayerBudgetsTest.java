package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** kv-compression.md §6 and §12.5. */
class SqueezeLayerBudgetsTest {
    private static final double[] COSINE = {0.50, 0.52, 0.80, 0.82, 0.98, 0.99, 0.97, 0.96};

    @Test
    void kMeansFindsTheChecklistClusters() {
        assertThat(OneDimensionalKMeans.cluster(COSINE, 3)).containsExactly(0, 0, 1, 1, 2, 2, 2, 2);
    }

    @Test
    void checklistVectorMovesBudgetFromTheHighSimilarityLayers() {
        // ini = 0.4 of 1000 -> 400 per layer; p3 = 0.2 -> p = 0.5; a = (3.2 - 0.8) / 4 = 0.6.
        int[] budgets = new SqueezeLayerBudgets(0.5).perLayer(8, 400, 1000, COSINE);
        assertThat(budgets).containsExactly(600, 600, 600, 600, 200, 200, 200, 200);
        assertThat(Arrays.stream(budgets).sum()).isEqualTo(8 * 400);
    }

    @Test
    void allEqualSimilaritiesFallBackToUniform() {
        double[] equal = new double[6];
        Arrays.fill(equal, 0.9);
        assertThat(OneDimensionalKMeans.cluster(equal, 3)).containsOnly(0);
        assertThat(new SqueezeLayerBudgets(0.3).perLayer(6, 100, 1000, equal)).containsOnly(100);
    }

    @Test
    void twoDistinctValuesMakeTwoClusters() {
        double[] two = {0.5, 0.9, 0.5, 0.9};
        assertThat(OneDimensionalKMeans.cluster(two, 3)).containsExactly(0, 1, 0, 1);
        // C3 = {1, 3} keeps floor(0.3 * 100) = 30; the others share 400 - 60 = 340.
        assertThat(new SqueezeLayerBudgets(0.3).perLayer(4, 100, 1000, two)).containsExactly(170, 30, 170, 30);
    }

    @Test
    void theRemainderGoesToTheMostImportantLayersFirst() {
        // C3 = {2}: floor(0.3 * 10) = 3; 4 * 10 - 3 = 37 over 3 layers = 12 + 1 for the lowest similarity (layer 1).
        double[] cosine = {0.6, 0.3, 0.99, 0.5};
        assertThat(new SqueezeLayerBudgets(0.3).perLayer(4, 10, 1000, cosine)).containsExactly(12, 13, 3, 12);
    }

    @Test
    void layersAreCappedAtTheSelectableLengthAndTheExcessMovesOn() {
        // Uncapped: [600 x 4, 200 x 4]; with 550 selectable the first four give 50 each to the C3 layers.
        int[] budgets = new SqueezeLayerBudgets(0.5).perLayer(8, 400, 550, COSINE);
        assertThat(budgets).containsExactly(550, 550, 550, 550, 250, 250, 250, 250);
    }

    @Test
    void kMeansIsDeterministicAndOrderIndependent() {
        SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            double[] values = new double[2 + random.nextInt(40)];
            for (int i = 0; i < values.length; i++) {
                values[i] = Math.round(random.nextDouble() * 100) / 100.0;
            }
            int[] labels = OneDimensionalKMeans.cluster(values, 3);
            assertThat(OneDimensionalKMeans.cluster(values.clone(), 3)).containsExactly(labels);
            // Labels are ordered by value: a higher value never has a lower label.
            for (int i = 0; i < values.length; i++) {
                for (int j = 0; j < values.length; j++) {
                    if (values[i] < values[j]) {
                        assertThat(labels[i]).isLessThanOrEqualTo(labels[j]);
                    }
                    if (values[i] == values[j]) {
                        assertThat(labels[i]).isEqualTo(labels[j]);
                    }
                }
            }
        }
    }

    @Test
    void kMeansIsOptimalOnAnExampleWhereAGreedySplitIsNot() {
        // Largest gaps first gives {0}, {0.2 .. 0.7}, {1} (SSE 0.172); the optimum is {0, 0.2}, {0.4 .. 0.7}, {1}
        // (SSE 0.0719, checked by enumerating all 15 splits).
        double[] values = {0.0, 0.2, 0.4, 0.6, 0.65, 0.7, 1.0};
        assertThat(OneDimensionalKMeans.cluster(values, 3)).containsExactly(0, 0, 1, 1, 1, 1, 2);
    }

    @Test
    void hiddenStateSimilarityIsTheMeanTokenCosine() {
        HiddenStateSimilarity similarity = new HiddenStateSimilarity(2);
        similarity.add(0, new float[] {1, 0}, 0, new float[] {1, 0}, 0, 2);     // 1
        similarity.add(0, new float[] {1, 0}, 0, new float[] {0, 3}, 0, 2);     // 0
        similarity.add(1, new float[] {9, 1, 1}, 1, new float[] {2, 2}, 0, 2);  // [1, 1] vs [2, 2]: 1
        assertThat(similarity.meanPerLayer()).containsExactly(new double[] {0.5, 1.0}, within(1e-12));
        assertThat(HiddenStateSimilarity.cosine(new float[] {0, 0}, 0, new float[] {1, 1}, 0, 2)).isZero();
    }

    @Test
    void plannerUsesTheLayerCosines() {
        KvPolicy policy = new KvPolicy(new ScorerSpec.SnapKv(4, Pooling.MAX, 3), new LayerAllocation.Squeeze(0.5),
                new HeadAllocation.Uniform(), Optional.empty(), new Budget.Tokens(44), 0, false);
        CompressionPlanner planner = new CompressionPlanner(policy, 8, 1);
        assertThat(planner.needsLayerCosine()).isTrue();
        float[] sums = new float[200];
        for (int j = 0; j < 200; j++) {
            sums[j] = (j * 37 % 101) / 101f;
        }
        CompressionPlan plan = planner.plan(200, Plans.sameForEveryLayer(8, Plans.columnSums(sums)), COSINE);
        PlanInvariants.check(plan);
        // B = 44 - 4 = 40 -> [60 x 4, 20 x 4] plus the window of 4.
        for (int layer = 0; layer < 8; layer++) {
            assertThat(plan.kept(layer, 0)).hasSize(layer < 4 ? 64 : 24);
        }
        assertThat(plan.totalKept()).isEqualTo(8 * 44);
    }
}

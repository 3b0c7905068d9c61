package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** kv-compression.md §3.1 and §12.3, KVCache-Factory's integer schedule. */
class PyramidLayerBudgetsTest {

    @Test
    void kvfIntegerScheduleOfTheChecklist() {
        // L = 4, B = 40 (C = 48, w = 8), beta = 4, n = 1000: minN 10, maxN 70, steps 20.
        assertThat(PyramidLayerBudgets.kvfSchedule(4, 40, 4, 992)).containsExactly(70, 50, 30, 10);
        assertThat(new PyramidLayerBudgets(4).perLayer(4, 40, 992, null)).containsExactly(70, 50, 30, 10);
    }

    @Test
    void storedLengthsAddTheWindowPerLayer() {
        int n = 1000;
        KvPolicy policy = new KvPolicy(new ScorerSpec.SnapKv(8, Pooling.MAX, 7), new LayerAllocation.Pyramid(4),
                new HeadAllocation.Uniform(), Optional.empty(), new Budget.Tokens(48), 0, false);
        float[] sums = new float[n];
        SplittableRandom random = new SplittableRandom(7);
        for (int j = 0; j < n; j++) {
            sums[j] = (float) random.nextDouble();
        }
        CompressionPlan plan = new CompressionPlanner(policy, 4, 2)
                .plan(n, Plans.sameForEveryLayer(4, Plans.columnSums(sums, sums)), null);
        PlanInvariants.check(plan);
        int[] lengths = new int[4];
        for (int layer = 0; layer < 4; layer++) {
            lengths[layer] = plan.kept(layer, 1).length;
        }
        assertThat(lengths).containsExactly(78, 58, 38, 18);
        assertThat(plan.totalKept()).isEqualTo(4L * 2 * 48);
    }

    @Test
    void kvfFloorOverspendsByFourPointSixPercentAtBudget128() {
        int[] kvf = PyramidLayerBudgets.kvfSchedule(32, 120, 20, 100_000);
        for (int l = 0; l < 32; l++) {
            assertThat(kvf[l]).isEqualTo(234 - 7 * l);
        }
        assertThat(kvf[31]).isEqualTo(17);
        assertThat(Arrays.stream(kvf).sum() / 32.0).isEqualTo(125.5);
    }

    @Test
    void theOverspendIsHandedBackEvenlySoTheTotalIsExact() {
        // Surplus 32 * 5.5 = 176 = 5 per layer + 1 more for the last 16 layers.
        int[] budgets = new PyramidLayerBudgets(20).perLayer(32, 120, 100_000, null);
        for (int l = 0; l < 32; l++) {
            assertThat(budgets[l]).as("layer %d", l).isEqualTo(234 - 7 * l - 5 - (l >= 16 ? 1 : 0));
        }
        assertThat(Arrays.stream(budgets).sum()).isEqualTo(32 * 120);
        for (int l = 1; l < 32; l++) {
            assertThat(budgets[l]).isLessThanOrEqualTo(budgets[l - 1]);
        }
    }

    @Test
    void maxNIsClippedToThePrefix() {
        // B = 120, n - w = 200: maxN = 200, minN = 2B - maxN = 40.
        assertThat(PyramidLayerBudgets.kvfSchedule(2, 120, 20, 200)).containsExactly(200, 40);
    }

    @Test
    void shortPromptsGetTheUniformBudget() {
        // KVF: n < 2B falls back to uniform SnapKV (§3.1).
        assertThat(new PyramidLayerBudgets(20).perLayer(4, 120, 239, null)).containsExactly(120, 120, 120, 120);
        assertThat(new PyramidLayerBudgets(20).perLayer(1, 120, 1000, null)).containsExactly(120);
    }

    @Test
    void budgetsSumExactlyAndStayInRangeForManyShapes() {
        PyramidLayerBudgets pyramid = new PyramidLayerBudgets(20);
        for (int layers = 2; layers <= 40; layers += 3) {
            for (int budget = 0; budget <= 300; budget += 13) {
                for (int selectable : new int[] {2 * budget, 2 * budget + 1, 3 * budget + 7, 10_000}) {
                    int[] b = pyramid.perLayer(layers, budget, selectable, null);
                    assertThat(Arrays.stream(b).sum()).isEqualTo(layers * budget);
                    assertThat(Arrays.stream(b).allMatch(x -> x >= 0 && x <= selectable)).isTrue();
                }
            }
        }
    }
}

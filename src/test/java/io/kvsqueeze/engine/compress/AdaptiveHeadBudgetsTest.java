package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** kv-compression.md §5.2 and §12.2, ADAKV code semantics. */
class AdaptiveHeadBudgetsTest {
    private static final float[] CONCENTRATED = {0.60f, 0.20f, 0.07f, 0.04f, 0.03f, 0.02f, 0.015f, 0.01f};
    private static final float[] DISPERSED = {0.15f, 0.14f, 0.13f, 0.12f, 0.11f, 0.10f, 0.09f, 0.08f};

    @Test
    void checklistVectorGivesThreeAndSeven() {
        // Global top-10: h0 -> 2, h1 -> 8; rint(2 * 0.8 + 1) = 3, rint(8 * 0.8 + 1) = 7.
        assertThat(new AdaptiveHeadBudgets(0.2).perHead(5, new float[][] {CONCENTRATED, DISPERSED}, 0, 8))
                .containsExactly(3, 7);
    }

    @Test
    void alphaZeroIsThePlainGlobalTopK() {
        assertThat(new AdaptiveHeadBudgets(0).perHead(5, new float[][] {CONCENTRATED, DISPERSED}, 0, 8))
                .containsExactly(2, 8);
    }

    @Test
    void eachHeadKeepsItsOwnTopBudget() {
        KvPolicy policy = new KvPolicy(new ScorerSpec.SnapKv(1, Pooling.MAX, 1), new LayerAllocation.Uniform(),
                new HeadAllocation.Adaptive(0.2), Optional.empty(), new Budget.Tokens(6), 0, false);
        // Prompt of 9: prefix 0..7 carries the vectors above (kernel 1 = no pooling), position 8 is the window.
        AttentionObservations observations = Plans.columnSums(Arrays.copyOf(CONCENTRATED, 9),
                Arrays.copyOf(DISPERSED, 9));
        CompressionPlan plan = new CompressionPlanner(policy, 1, 2)
                .plan(9, new AttentionObservations[] {observations}, null);
        PlanInvariants.check(plan);
        assertThat(plan.kept(0, 0)).containsExactly(0, 1, 2, 8);
        assertThat(plan.kept(0, 1)).containsExactly(0, 1, 2, 3, 4, 5, 6, 8);
        assertThat(plan.totalKept()).isEqualTo(2 * 6);
    }

    @Test
    void roundingIsHalfToEven() {
        // c = 2, alpha = 0.25, B = 4: 2 * 0.75 + 1 = 2.5 -> 2, not 3 (§12.0.7).
        assertThat(AdaptiveHeadBudgets.headBudget(2, 4, 0.25)).isEqualTo(2);
        assertThat(AdaptiveHeadBudgets.headBudget(6, 4, 0.25)).isEqualTo(6); // 5.5 -> 6
    }

    @Test
    void theDocumentedDeficitWhenAlphaTimesBudgetIsFractional() {
        // Hs = 2, B = 3, alpha = 0.5, c = [2, 4]: floorC = 1, rint([2, 3]) = [2, 3], sum 5 < 6 (§5.2).
        float[] h0 = {0.9f, 0.8f, 0.01f, 0.01f};
        float[] h1 = {0.7f, 0.6f, 0.5f, 0.4f};
        assertThat(new AdaptiveHeadBudgets(0.5).perHead(3, new float[][] {h0, h1}, 0, 4)).containsExactly(2, 3);
    }

    @Test
    void tiesAcrossHeadsGoToTheLowerPositionThenTheLowerHead() {
        // All scores equal: the global top-3 is (pos 0, h0), (pos 0, h1), (pos 1, h0).
        float[] flat = {1f, 1f, 1f, 1f};
        assertThat(new AdaptiveHeadBudgets(0).perHead(2, new float[][] {flat.clone(), flat.clone()}, 0, 4))
                .containsExactly(2, 2);
        assertThat(new AdaptiveHeadBudgets(0).perHead(1, new float[][] {flat.clone(), flat.clone(), flat.clone()},
                0, 4)).containsExactly(1, 1, 1);
        float[][] onePosition = {flat.clone(), flat.clone()};
        assertThat(new AdaptiveHeadBudgets(0).perHead(1, onePosition, 0, 1)).containsExactly(1, 1);
    }

    @Test
    void onlyTheSelectableRangeCompetes() {
        // Positions outside [1, 4) have huge scores but must not attract budget.
        float[] h0 = {100f, 0.9f, 0.8f, 0.7f, 100f};
        float[] h1 = {100f, 0.1f, 0.2f, 0.3f, 100f};
        assertThat(new AdaptiveHeadBudgets(0).perHead(2, new float[][] {h0, h1}, 1, 4)).containsExactly(3, 1);
    }

    @Test
    void budgetsStayCloseToTheTotalOnRandomScores() {
        SplittableRandom random = new SplittableRandom(11);
        AdaptiveHeadBudgets ada = new AdaptiveHeadBudgets(0.2);
        for (int trial = 0; trial < 200; trial++) {
            int kvHeads = 1 + random.nextInt(8);
            int length = 1 + random.nextInt(300);
            int budget = random.nextInt(length + 1);
            float[][] scores = new float[kvHeads][length];
            for (float[] row : scores) {
                for (int j = 0; j < length; j++) {
                    row[j] = (float) Math.pow(random.nextDouble(), 1 + random.nextInt(6));
                }
            }
            int[] budgets = ada.perHead(budget, scores, 0, length);
            int sum = Arrays.stream(budgets).sum();
            assertThat(Math.abs(sum - kvHeads * budget)).as("trial %d", trial).isLessThanOrEqualTo(kvHeads);
            assertThat(Arrays.stream(budgets).allMatch(b -> b >= 0 && b <= length)).isTrue();
        }
    }
}

package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** kv-compression.md §7.3 and §12.6: Hkv = 2, page 2, 8 selectable tokens. */
class KvCrushSelectorTest {
    private static final float[] H0 = {0.9f, 0.8f, 0.1f, 0.2f, 0.7f, 0.05f, 0.3f, 0.6f};
    private static final float[] H1 = {0.1f, 0.2f, 0.9f, 0.8f, 0.3f, 0.7f, 0.05f, 0.6f};
    private static final float[][] SCORES = {H0, H1};

    private static KvCrushSelector selector(double fraction, KvCrushSpec.Anchor anchor) {
        return new KvCrushSelector(new KvCrushSpec(fraction, anchor, 2));
    }

    private static int[] sorted(int[] positions) {
        int[] copy = positions.clone();
        Arrays.sort(copy);
        return copy;
    }

    @Test
    void pageDistancesToTheAlternateAndMeanAnchors() {
        // Bits: h0 top-4 [1,1,0,0,1,0,0,1], h1 [0,0,1,1,0,1,0,1]; rows g0=[1,0,1,0] g1=[0,1,0,1] g2=[1,0,0,1]
        // g3=[0,0,1,1].
        assertThat(selector(0.5, KvCrushSpec.Anchor.ALTERNATE).pageDistances(SCORES, 0, 8, 4))
                .containsExactly(4, 0, 2, 2);
        assertThat(selector(0.5, KvCrushSpec.Anchor.MEAN).pageDistances(SCORES, 0, 8, 4))
                .containsExactly(3, 1, 1, 1);
        assertThat(selector(0.5, KvCrushSpec.Anchor.ZEROS).pageDistances(SCORES, 0, 8, 4))
                .containsExactly(2, 2, 2, 2);
        assertThat(selector(0.5, KvCrushSpec.Anchor.ONES).pageDistances(SCORES, 0, 8, 4))
                .containsExactly(2, 2, 2, 2);
    }

    @Test
    void eachHeadExcludesItsOwnImportantPage() {
        // Budget 4 per head, half on representatives: 1 important page (h0: g0, h1: g1) + 1 representative.
        // h0 candidates [g1(0), g2(2), g3(2)] -> g1; h1 [g2(2), g3(2), g0(4)] -> g2 (tie: lower page).
        int[][] kept = selector(0.5, KvCrushSpec.Anchor.ALTERNATE).select(SCORES, 0, 8, new int[] {4, 4});
        assertThat(sorted(kept[0])).containsExactly(0, 1, 2, 3);
        assertThat(sorted(kept[1])).containsExactly(2, 3, 4, 5);
    }

    @Test
    void meanAnchorBreaksEqualDistancesByPageIndex() {
        // Distances [3, 1, 1, 1]: h0 candidates [g1, g2, g3] -> g1; h1 [g2, g3, g0] -> g2.
        int[][] kept = selector(0.5, KvCrushSpec.Anchor.MEAN).select(SCORES, 0, 8, new int[] {4, 4});
        assertThat(sorted(kept[0])).containsExactly(0, 1, 2, 3);
        assertThat(sorted(kept[1])).containsExactly(2, 3, 4, 5);
    }

    @Test
    void representativesAreSpreadOverTheDistanceOrder() {
        // Budget 6, fraction 0.7: floor(4.2 / 2) = 2 pages, 2 important tokens; linspace(0, 2, 2) = ranks {0, 2}.
        // h0: [g1(0), g2(2), g3(2)] -> g1, g3.
        int[][] kept = selector(0.7, KvCrushSpec.Anchor.ALTERNATE).select(SCORES, 0, 8, new int[] {6, 6});
        assertThat(sorted(kept[0])).containsExactly(0, 1, 2, 3, 6, 7);
        // h1: important 2, 3 (g1); [g2(2), g3(2), g0(4)] -> g2, g0.
        assertThat(sorted(kept[1])).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void theVllmPrDuplicateCannotHappen() {
        // The PR excludes only head 0's pages and gives g1 to every head, so h1 would hold g1 twice (§7.6).
        int[][] kept = selector(0.5, KvCrushSpec.Anchor.ALTERNATE).select(SCORES, 0, 8, new int[] {4, 4});
        for (int[] head : kept) {
            assertThat(head).doesNotHaveDuplicates();
        }
    }

    @Test
    void tooFewCandidatesAreFilledWithTheNextBestTokens() {
        // One strong token per page: the 4 important tokens (0, 2, 4, 6) touch all 4 pages, so the wanted
        // representative page has no candidate and the next best tokens (1, 3: equal scores, lower first) fill
        // the budget of 6.
        float[][] spread = {{0.9f, 0.1f, 0.8f, 0.1f, 0.7f, 0.1f, 0.6f, 0.1f}};
        int[][] kept = selector(0.34, KvCrushSpec.Anchor.ALTERNATE).select(spread, 0, 8, new int[] {6});
        assertThat(sorted(kept[0])).containsExactly(0, 1, 2, 3, 4, 6);
    }

    @Test
    void aLastPartialPageIsNeverARepresentative() {
        // 7 selectable tokens with page 2: pages g0..g2 are full, token 6 alone would be g3. Bits (top 3): 0, 2, 4.
        // Important 0, 2 take g0 and g1; g2 = [1, 0] is at distance 1 from the zeros anchor, the partial g3 = [0]
        // would be at 0 but is no candidate, so g2 is the representative.
        float[][] scores = {{0.9f, 0.1f, 0.8f, 0.1f, 0.7f, 0.1f, 0.05f}};
        int[][] kept = selector(0.5, KvCrushSpec.Anchor.ZEROS).select(scores, 0, 7, new int[] {4});
        assertThat(sorted(kept[0])).containsExactly(0, 2, 4, 5);
    }

    @Test
    void randomLayersKeepExactBudgetsWithoutDuplicatesThroughThePlanner() {
        SplittableRandom random = new SplittableRandom(5);
        for (int trial = 0; trial < 40; trial++) {
            int kvHeads = 1 + random.nextInt(4);
            int n = 40 + random.nextInt(200);
            int page = 1 + random.nextInt(4);
            KvPolicy policy = new KvPolicy(new ScorerSpec.SnapKv(4, Pooling.MAX, 3), new LayerAllocation.Uniform(),
                    trial % 2 == 0 ? new HeadAllocation.Uniform() : new HeadAllocation.Adaptive(0.2),
                    Optional.of(new KvCrushSpec(0.05 + 0.9 * random.nextDouble(), KvCrushSpec.Anchor.MEAN, page)),
                    new Budget.Tokens(8 + random.nextInt(n - 8)), 4, false);
            float[][] sums = new float[kvHeads][n];
            for (float[] row : sums) {
                for (int j = 0; j < n; j++) {
                    row[j] = (float) random.nextDouble();
                }
            }
            CompressionPlan plan = new CompressionPlanner(policy, 2, kvHeads)
                    .plan(n, Plans.sameForEveryLayer(2, Plans.columnSums(sums)), null);
            PlanInvariants.check(plan);
        }
    }
}

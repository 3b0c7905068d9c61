package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * Ada-KV's head-wise budgets with the official code's semantics (ADAKV {@code AdaptiveSnapKVCluster},
 * kv-compression.md §5.2, §12.2), chosen over kvpress's because it is what the Ada-KV authors ran and it
 * really shrinks heads (kvpress only masks, §5.3):
 *
 * <pre>
 * c[h]   = how many of the top Hkv*B scores of the layer (all heads together) belong to head h
 * B_h    = rint(c[h] * (1 - alpha) + floor(alpha * B))       (half to even, as torch.round)
 * </pre>
 *
 * Head {@code h} then keeps its own top {@code B_h}. Ties in the global top-k follow {@link RankOrder} (score,
 * then position) and then the lower head. ADAKV's optional score normalisation is off (its default) and
 * {@code skip} is 0.
 *
 * <p>Known deficit (§5.2): the budgets sum to {@code Hkv * B} only when {@code alpha * B} is an integer and the
 * roundings cancel; otherwise the sum can differ by up to about {@code Hkv} entries (e.g. 2 heads, B = 3,
 * alpha = 0.5, c = [2, 4] gives [2, 3]). The plan reports the realised budgets.
 */
public final class AdaptiveHeadBudgets implements HeadBudgets {
    private final double alpha;
    private long[] keys = new long[0];

    public AdaptiveHeadBudgets(double alpha) {
        this.alpha = alpha;
    }

    @Override
    public int[] perHead(int budget, float[][] scores, int from, int to) {
        int kvHeads = scores.length;
        int length = to - from;
        if (budget > length) {
            throw new IllegalArgumentException("budget " + budget + " exceeds the " + length + " selectable positions");
        }
        if ((long) length * kvHeads > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many candidates: " + length + " x " + kvHeads);
        }
        int count = length * kvHeads;
        if (keys.length < count) {
            keys = new long[count];
        }
        for (int h = 0; h < kvHeads; h++) {
            for (int j = from; j < to; j++) {
                keys[h * length + (j - from)] = RankOrder.key(scores[h][j], (j - from) * kvHeads + h);
            }
        }
        Arrays.sort(keys, 0, count);
        int[] counts = new int[kvHeads];
        for (int i = 0; i < kvHeads * budget; i++) {
            counts[RankOrder.position(keys[i]) % kvHeads]++;
        }
        int[] budgets = new int[kvHeads];
        for (int h = 0; h < kvHeads; h++) {
            budgets[h] = headBudget(counts[h], budget, alpha);
        }
        return budgets;
    }

    /** {@code rint(count * (1 - alpha) + floor(alpha * budget))}, ADAKV's rounding (§5.2, §12.0.7). */
    public static int headBudget(int count, int budget, double alpha) {
        return (int) Math.rint(count * (1 - alpha) + Math.floor(budget * alpha));
    }
}

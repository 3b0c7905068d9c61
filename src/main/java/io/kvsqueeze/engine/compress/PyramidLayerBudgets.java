package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * PyramidKV's layer schedule, KVCache-Factory's integer version (kv-compression.md §3.1, §12.3):
 *
 * <pre>
 * minN = B / beta;  maxN = 2B - minN;  if maxN >= m: maxN = m, minN = 2B - maxN
 * steps = (maxN - minN) / (L - 1);  B_l = maxN - l * steps
 * </pre>
 *
 * with {@code m} the selectable length (KVF: {@code n - w}; here also minus the sinks). KVF's short-prompt
 * branch is kept: if {@code m < 2B} every layer gets {@code B}.
 *
 * <p>One deliberate difference: KVF floors {@code steps}, so its schedule overspends (+4.6 % for 32 layers at
 * budget 128, §3.1). {@link #perLayer} hands that surplus back evenly, the remainder from the last layers, so the
 * layers sum to exactly {@code L * B}, stay non-increasing and keep KVF's slope; {@link #kvfSchedule}
 * is the unmodified formula.
 */
public final class PyramidLayerBudgets implements LayerBudgets {
    private final int beta;

    public PyramidLayerBudgets(int beta) {
        this.beta = beta;
    }

    @Override
    public int[] perLayer(int layers, int budget, int selectableLength, double[] layerCosine) {
        int[] budgets = new int[layers];
        if (layers == 1 || selectableLength < 2 * budget) {
            Arrays.fill(budgets, Math.min(budget, selectableLength));
            return budgets;
        }
        int[] kvf = kvfSchedule(layers, budget, beta, selectableLength);
        long surplus = -(long) layers * budget;
        for (int b : kvf) {
            surplus += b;
        }
        // surplus = L * (B_{L-1} - minN) / 2, so ceil(surplus / L) <= B_{L-1}: no layer goes negative.
        for (int l = 0; l < layers; l++) {
            budgets[l] = kvf[l] - (int) (surplus / layers) - (l >= layers - surplus % layers ? 1 : 0);
        }
        return budgets;
    }

    /** KVF's formula as published (§3.1), with its floor overspend; {@code layers >= 2}. */
    public static int[] kvfSchedule(int layers, int budget, int beta, int selectableLength) {
        int minN = budget / beta;
        int maxN = 2 * budget - minN;
        if (maxN >= selectableLength) {
            maxN = selectableLength;
            minN = 2 * budget - maxN;
        }
        int steps = (maxN - minN) / (layers - 1);
        int[] budgets = new int[layers];
        for (int l = 0; l < layers; l++) {
            budgets[l] = maxN - l * steps;
        }
        return budgets;
    }
}

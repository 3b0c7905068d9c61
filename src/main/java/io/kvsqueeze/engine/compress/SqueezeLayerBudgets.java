package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * SqueezeAttention's layer budgets (kv-compression.md §6.2, §12.5). The per-layer cosine similarities of the
 * hidden state before and after attention ({@link HiddenStateSimilarity}) are clustered into 3 groups by exact
 * 1-D k-means; the group with the highest centre (C3, attention changes little there) keeps
 * {@code floor(p * B)} entries per head and the other layers share the rest:
 * {@code a * B = (L * B - |C3| * p * B) / (L - |C3|)}.
 *
 * <p>Integer convention: SQZ truncates {@code int(a * base)} and so loses up to one entry per layer; here the
 * remainder goes one entry each to the non-C3 layers with the lowest similarity (most important) first, so
 * the total is exactly {@code L * B}. If a layer would exceed the selectable length it is capped and the
 * excess goes to the other layers, most important first. All similarities equal (a single cluster): uniform.
 */
public final class SqueezeLayerBudgets implements LayerBudgets {
    private final double p;

    public SqueezeLayerBudgets(double p) {
        this.p = p;
    }

    @Override
    public boolean needsLayerCosine() {
        return true;
    }

    @Override
    public int[] perLayer(int layers, int budget, int selectableLength, double[] layerCosine) {
        if (layerCosine == null || layerCosine.length != layers) {
            throw new IllegalArgumentException("squeeze needs one cosine similarity per layer ("
                    + layers + "), was " + (layerCosine == null ? "null" : layerCosine.length));
        }
        int[] budgets = new int[layers];
        int[] labels = OneDimensionalKMeans.cluster(layerCosine, 3);
        int top = Arrays.stream(labels).max().orElse(0);
        if (top == 0) {
            Arrays.fill(budgets, Math.min(budget, selectableLength));
            return budgets;
        }
        Integer[] importance = new Integer[layers];
        for (int l = 0; l < layers; l++) {
            importance[l] = l;
        }
        // Most important first: lowest similarity, then lower layer.
        Arrays.sort(importance, (a, b) -> layerCosine[a] != layerCosine[b]
                ? Double.compare(layerCosine[a], layerCosine[b]) : Integer.compare(a, b));

        int unimportant = (int) Math.floor(p * budget);
        int c3 = 0;
        for (int l = 0; l < layers; l++) {
            if (labels[l] == top) {
                budgets[l] = unimportant;
                c3++;
            }
        }
        long rest = (long) layers * budget - (long) c3 * unimportant;
        int others = layers - c3;
        int remainder = (int) (rest % others);
        for (int l : importance) {
            if (labels[l] != top) {
                budgets[l] = (int) (rest / others) + (remainder-- > 0 ? 1 : 0);
            }
        }
        capAndRedistribute(budgets, selectableLength, importance);
        return budgets;
    }

    /** Caps every layer at {@code cap}; the excess goes to the uncapped layers in {@code importance} order. */
    private static void capAndRedistribute(int[] budgets, int cap, Integer[] importance) {
        long excess = 0;
        for (int l = 0; l < budgets.length; l++) {
            if (budgets[l] > cap) {
                excess += budgets[l] - cap;
                budgets[l] = cap;
            }
        }
        while (excess > 0) {
            int open = 0;
            for (int b : budgets) {
                open += b < cap ? 1 : 0;
            }
            if (open == 0) {
                return;
            }
            long share = Math.max(1, excess / open);
            for (int l : importance) {
                if (excess == 0) {
                    break;
                }
                int add = (int) Math.min(Math.min(share, excess), cap - budgets[l]);
                budgets[l] += add;
                excess -= add;
            }
        }
    }
}

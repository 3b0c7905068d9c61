package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * Splits the selected budget (the entries chosen by score, besides sinks and window) between layers. Every
 * implementation returns budgets in {@code [0, selectableLength]} whose sum is {@code layers * budget}, unless
 * capping at {@code selectableLength} makes that impossible.
 */
public interface LayerBudgets {

    /**
     * @param budget           average selected entries per (layer, head)
     * @param selectableLength positions a head can choose from ({@code promptLength - sinks - window})
     * @param layerCosine      per-layer hidden-state cosine similarity (§6.1); only {@link SqueezeLayerBudgets}
     *                         reads it, others accept null
     */
    int[] perLayer(int layers, int budget, int selectableLength, double[] layerCosine);

    /** True when {@link #perLayer} needs the per-layer cosine similarities. */
    default boolean needsLayerCosine() {
        return false;
    }

    static LayerBudgets of(LayerAllocation allocation) {
        return switch (allocation) {
            case LayerAllocation.Uniform u -> (layers, budget, selectableLength, cosine) -> {
                int[] budgets = new int[layers];
                Arrays.fill(budgets, Math.min(budget, selectableLength));
                return budgets;
            };
            case LayerAllocation.Pyramid p -> new PyramidLayerBudgets(p.beta());
            case LayerAllocation.Squeeze s -> new SqueezeLayerBudgets(s.p());
        };
    }
}

package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/** Splits one layer's selected budget between its KV heads. */
public interface HeadBudgets {

    /**
     * Per-KV-head budgets for a layer whose average selected budget per head is {@code budget}, from the heads'
     * scores over the selectable positions {@code [from, to)} ({@code budget <= to - from}).
     */
    int[] perHead(int budget, float[][] scores, int from, int to);

    static HeadBudgets of(HeadAllocation allocation) {
        return switch (allocation) {
            case HeadAllocation.Uniform u -> (budget, scores, from, to) -> {
                int[] budgets = new int[scores.length];
                Arrays.fill(budgets, budget);
                return budgets;
            };
            case HeadAllocation.Adaptive a -> new AdaptiveHeadBudgets(a.alpha());
        };
    }
}

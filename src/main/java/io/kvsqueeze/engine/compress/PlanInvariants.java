package io.kvsqueeze.engine.compress;

/**
 * The set invariants every plan must satisfy (kv-compression.md §12.9.3), for tests and for the engine's
 * debug checks: in every head the positions are strictly increasing (no duplicates) and inside the prompt,
 * the sinks and the window are present, and the head holds exactly its scheduled budget (sinks + window +
 * its head budget).
 */
public final class PlanInvariants {
    private PlanInvariants() {
    }

    /** @throws IllegalStateException naming the first (layer, head) that breaks an invariant */
    public static void check(CompressionPlan plan) {
        int n = plan.promptLength();
        for (int layer = 0; layer < plan.layers(); layer++) {
            for (int h = 0; h < plan.kvHeads(); h++) {
                int[] kept = plan.kept(layer, h);
                String where = "layer " + layer + " head " + h + ": ";
                int scheduled = plan.compressed() ? plan.sinks() + plan.window() + plan.headBudget(layer, h) : n;
                if (kept.length != scheduled) {
                    throw new IllegalStateException(where + "keeps " + kept.length + ", scheduled " + scheduled);
                }
                for (int i = 0; i < kept.length; i++) {
                    if (kept[i] < 0 || kept[i] >= n) {
                        throw new IllegalStateException(where + "position " + kept[i] + " outside [0, " + n + ")");
                    }
                    if (i > 0 && kept[i] <= kept[i - 1]) {
                        throw new IllegalStateException(where + "positions not strictly increasing at " + kept[i]);
                    }
                }
                for (int j = 0; j < plan.sinks(); j++) {
                    if (kept[j] != j) {
                        throw new IllegalStateException(where + "sink " + j + " missing");
                    }
                }
                for (int i = 0; i < plan.window(); i++) {
                    if (kept[kept.length - 1 - i] != n - 1 - i) {
                        throw new IllegalStateException(where + "window position " + (n - 1 - i) + " missing");
                    }
                }
            }
        }
    }
}

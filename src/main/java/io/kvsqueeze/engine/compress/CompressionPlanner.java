package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * Turns a {@link KvPolicy} and one prompt's prefill observations into a {@link CompressionPlan}. Engine-facing
 * use, once per prompt:
 *
 * <ol>
 * <li>{@link #compresses(int)}: false means keep everything, and no observation is needed.</li>
 * <li>During prefill, for each layer, add the attention rows of queries
 *     {@code [firstObservedQuery(n), n)} to that layer's {@link AttentionObservations} (GQA: weight
 *     {@code 1 / groupSize} per query head); if {@link #needsLayerCosine()}, feed a
 *     {@link HiddenStateSimilarity}.</li>
 * <li>{@link #plan}: the positions each (layer, KV head) keeps.</li>
 * </ol>
 *
 * <p>Budget convention: the policy's budget {@code C} is the average kept entries per (layer, KV head),
 * <em>including</em> the {@code s} sinks and the {@code w} window (kvpress counts the window inside its
 * budget, §1.2; SnapKV's {@code max_capacity_prompt} does too, §2.1). Layer and head allocations move only the
 * {@code B = C - s - w} positions chosen by score from {@code [s, n - w)}; the plan holds
 * {@code L * Hkv * C} entries, exactly for uniform, pyramid and squeeze allocations and up to Ada-KV's rounding
 * deficit for adaptive heads (§5.2). A prompt with {@code n <= C} is not compressed (§12.9.1). If
 * {@code C < s + w} (a small ratio budget), the window shrinks to {@code min(w, C)} and the sinks to what is
 * left: only the newest tokens are kept.
 *
 * <p>Not thread-safe: it reuses its score buffers between plans.
 */
public final class CompressionPlanner {
    private final KvPolicy policy;
    private final int layers;
    private final int kvHeads;
    private final TokenScorer scorer;
    private final LayerBudgets layerBudgets;
    private final HeadBudgets headBudgets;
    private final KvCrushSelector kvCrush;
    private final RankOrder rankOrder = new RankOrder();
    private float[][] scores = new float[0][0];

    public CompressionPlanner(KvPolicy policy, int layers, int kvHeads) {
        if (layers < 1 || kvHeads < 1) {
            throw new IllegalArgumentException("layers and kvHeads must be >= 1, were " + layers + ", " + kvHeads);
        }
        this.policy = policy;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.scorer = policy.isFull() ? null : TokenScorer.of(policy.scorer());
        this.layerBudgets = LayerBudgets.of(policy.layerAllocation());
        this.headBudgets = HeadBudgets.of(policy.headAllocation());
        this.kvCrush = policy.kvcrush().map(KvCrushSelector::new).orElse(null);
    }

    public KvPolicy policy() {
        return policy;
    }

    /** True when a prompt of this length will lose entries. */
    public boolean compresses(int promptLength) {
        return !policy.isFull() && policy.budget().capacity(promptLength) < promptLength;
    }

    /** First prompt query whose attention the engine must observe; {@code promptLength} means none. */
    public int firstObservedQuery(int promptLength) {
        return compresses(promptLength) ? scorer.firstObservedQuery(promptLength) : promptLength;
    }

    public boolean needsLayerCosine() {
        return !policy.isFull() && layerBudgets.needsLayerCosine();
    }

    /**
     * @param observations per layer, filled for this prompt; may be null when
     *                     {@code firstObservedQuery(promptLength) == promptLength}
     * @param layerCosine  per-layer {@link HiddenStateSimilarity#meanPerLayer()}; null unless
     *                     {@link #needsLayerCosine()}
     */
    public CompressionPlan plan(int promptLength, AttentionObservations[] observations, double[] layerCosine) {
        int capacity = policy.isFull() ? Integer.MAX_VALUE : policy.budget().capacity(promptLength);
        if (!compresses(promptLength)) {
            return CompressionPlan.uncompressed(promptLength, layers, kvHeads, capacity);
        }
        boolean observes = scorer.firstObservedQuery(promptLength) < promptLength;
        if (observes) {
            requireObservations(promptLength, observations);
        }
        int window = Math.min(scorer.window(), capacity);
        int sinks = Math.min(policy.sinkTokens(), capacity - window);
        int from = sinks;
        int to = promptLength - window;
        int budget = capacity - window - sinks;

        int[] perLayer = layerBudgets.perLayer(layers, budget, to - from,
                layerBudgets.needsLayerCosine() ? layerCosine : null);
        int[][] perHead = new int[layers][];
        int[][][] kept = new int[layers][kvHeads][];
        ensureScores(promptLength);
        for (int layer = 0; layer < layers; layer++) {
            int[][] selected;
            if (perLayer[layer] == 0) {
                perHead[layer] = new int[kvHeads];
                selected = new int[kvHeads][0];
            } else {
                scorer.score(observes ? observations[layer] : null, promptLength, scores);
                perHead[layer] = headBudgets.perHead(perLayer[layer], scores, from, to);
                selected = kvCrush != null ? kvCrush.select(scores, from, to, perHead[layer])
                        : topPerHead(from, to, perHead[layer]);
            }
            for (int h = 0; h < kvHeads; h++) {
                kept[layer][h] = assemble(sinks, selected[h], to, promptLength);
            }
        }
        return new CompressionPlan(promptLength, true, capacity, sinks, window, perLayer, perHead, kept);
    }

    private int[][] topPerHead(int from, int to, int[] budgets) {
        int[][] selected = new int[kvHeads][];
        for (int h = 0; h < kvHeads; h++) {
            selected[h] = new int[budgets[h]];
            rankOrder.top(scores[h], from, to, budgets[h], selected[h]);
        }
        return selected;
    }

    /** Sinks {@code [0, sinks)}, the selection, and the window {@code [windowStart, promptLength)}, sorted. */
    private static int[] assemble(int sinks, int[] selected, int windowStart, int promptLength) {
        int[] kept = new int[sinks + selected.length + (promptLength - windowStart)];
        int n = 0;
        for (int j = 0; j < sinks; j++) {
            kept[n++] = j;
        }
        int[] middle = selected.clone();
        Arrays.sort(middle);
        for (int j : middle) {
            kept[n++] = j;
        }
        for (int j = windowStart; j < promptLength; j++) {
            kept[n++] = j;
        }
        return kept;
    }

    private void requireObservations(int promptLength, AttentionObservations[] observations) {
        if (observations == null || observations.length != layers) {
            throw new IllegalArgumentException("need observations for each of " + layers + " layers, got "
                    + (observations == null ? "none" : observations.length));
        }
        for (int layer = 0; layer < layers; layer++) {
            AttentionObservations o = observations[layer];
            if (o.kvHeads() != kvHeads || o.promptLength() != promptLength) {
                throw new IllegalArgumentException("layer " + layer + " observed " + o.kvHeads() + " heads over "
                        + o.promptLength() + " tokens, expected " + kvHeads + " over " + promptLength);
            }
        }
    }

    private void ensureScores(int promptLength) {
        if (scores.length != kvHeads || scores[0].length < promptLength) {
            scores = new float[kvHeads][promptLength];
        }
    }
}

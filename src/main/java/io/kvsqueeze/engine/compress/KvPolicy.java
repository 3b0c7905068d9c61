package io.kvsqueeze.engine.compress;

import java.util.Optional;

/**
 * A KV-cache compression policy: what to score, how to split the budget between layers and heads, whether
 * KVCrush representatives are added, how big the budget is, and whether it is kept during generation.
 *
 * <p>Conventions (docs/compression.md, "Policy spec"): the budget is the average number of entries per (layer,
 * KV head) <em>including</em> the sinks and the window; the layer and head allocations move only the part
 * chosen by score. Parse specs with {@link #parse(String)}; presets are in {@link KvPolicyPresets}.
 *
 * @param sinkTokens     the first tokens of the prompt, always kept by every compressing scorer (counted in the
 *                       budget). Default {@link #DEFAULT_SINK_TOKENS} = 4, StreamingLLM's sinks (§4.2).
 * @param decodeEviction keep the budget during generation by evicting one entry per new token
 *                       ({@link DecodeEviction}); default false: compress once at the end of prefill, as SnapKV,
 *                       PyramidKV and Ada-KV do (§1.3).
 */
public record KvPolicy(ScorerSpec scorer, LayerAllocation layerAllocation, HeadAllocation headAllocation,
                       Optional<KvCrushSpec> kvcrush, Budget budget, int sinkTokens, boolean decodeEviction) {
    public static final int DEFAULT_SINK_TOKENS = 4;

    public KvPolicy {
        require(scorer, "scorer");
        require(layerAllocation, "layerAllocation");
        require(headAllocation, "headAllocation");
        require(kvcrush, "kvcrush");
        require(budget, "budget");
        if (sinkTokens < 0) {
            throw KvPolicyException.field("sinkTokens", "be >= 0", sinkTokens);
        }
        boolean scoresAttention = scorer instanceof ScorerSpec.SnapKv || scorer instanceof ScorerSpec.H2o;
        if (scorer instanceof ScorerSpec.None) {
            if (!(layerAllocation instanceof LayerAllocation.Uniform)) {
                throw new KvPolicyException("layerAllocation must be uniform when scorer is none, was "
                        + layerAllocation.type());
            }
            if (decodeEviction) {
                throw new KvPolicyException("decodeEviction must be false when scorer is none, was true");
            }
        }
        if (headAllocation instanceof HeadAllocation.Adaptive && !scoresAttention) {
            throw new KvPolicyException("headAllocation adaptive needs scorer h2o or snapkv, was "
                    + scorer.type());
        }
        if (kvcrush.isPresent() && !scoresAttention) {
            throw new KvPolicyException("kvcrush needs scorer h2o or snapkv, was " + scorer.type());
        }
        if (budget instanceof Budget.Tokens(int tokens) && !(scorer instanceof ScorerSpec.None)
                && tokens < scorer.window() + sinkTokens) {
            throw new KvPolicyException("budget.tokens must be at least scorer.window + sinkTokens = "
                    + (scorer.window() + sinkTokens) + ", was " + tokens);
        }
    }

    private static void require(Object value, String field) {
        if (value == null) {
            throw new KvPolicyException(field + " must be given, was null");
        }
    }

    /** A preset name such as {@code snapkv} or a JSON object; see {@link KvPolicyJson#parse(String)}. */
    public static KvPolicy parse(String spec) {
        return KvPolicyJson.parse(spec);
    }

    public String toJson() {
        return KvPolicyJson.write(this);
    }

    /** True when the policy never drops anything ({@code scorer: none}). */
    public boolean isFull() {
        return scorer instanceof ScorerSpec.None;
    }

    public KvPolicy withBudget(Budget newBudget) {
        return new KvPolicy(scorer, layerAllocation, headAllocation, kvcrush, newBudget, sinkTokens, decodeEviction);
    }
}

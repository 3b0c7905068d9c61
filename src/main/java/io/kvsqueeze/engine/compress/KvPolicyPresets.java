package io.kvsqueeze.engine.compress;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The named policies of the compression issue. Every compressing preset uses the default budget
 * ({@link Budget.Tokens#DEFAULT} entries per layer and head), {@link KvPolicy#DEFAULT_SINK_TOKENS} sinks, the
 * method's default parameters and no decode-time eviction; a JSON spec can override any of these
 * ({@code {"preset": "snapkv", "budget": {"ratio": 0.2}}}).
 */
public final class KvPolicyPresets {
    private static final Map<String, KvPolicy> PRESETS = build();

    private KvPolicyPresets() {
    }

    /** Preset names in documentation order. */
    public static Iterable<String> names() {
        return PRESETS.keySet();
    }

    public static Map<String, KvPolicy> all() {
        return PRESETS;
    }

    public static KvPolicy get(String name) {
        KvPolicy policy = PRESETS.get(name);
        if (policy == null) {
            throw new KvPolicyException("preset must be one of " + String.join(", ", PRESETS.keySet())
                    + ", was \"" + name + '"');
        }
        return policy;
    }

    private static Map<String, KvPolicy> build() {
        ScorerSpec snapKv = ScorerSpec.SnapKv.defaults();
        LayerAllocation uniformLayers = new LayerAllocation.Uniform();
        LayerAllocation pyramid = new LayerAllocation.Pyramid(LayerAllocation.Pyramid.DEFAULT_BETA);
        LayerAllocation squeeze = new LayerAllocation.Squeeze(LayerAllocation.Squeeze.DEFAULT_P);
        HeadAllocation uniformHeads = new HeadAllocation.Uniform();
        HeadAllocation adaptive = new HeadAllocation.Adaptive(HeadAllocation.Adaptive.DEFAULT_ALPHA);
        Optional<KvCrushSpec> crush = Optional.of(KvCrushSpec.defaults());

        Map<String, KvPolicy> presets = new LinkedHashMap<>();
        presets.put("full", policy(new ScorerSpec.None(), uniformLayers, uniformHeads, Optional.empty()));
        presets.put("streaming-llm", policy(new ScorerSpec.StreamingLlm(), uniformLayers, uniformHeads,
                Optional.empty()));
        presets.put("h2o", policy(new ScorerSpec.H2o(ScorerSpec.H2o.DEFAULT_WINDOW, false), uniformLayers,
                uniformHeads, Optional.empty()));
        presets.put("snapkv", policy(snapKv, uniformLayers, uniformHeads, Optional.empty()));
        presets.put("pyramidkv", policy(snapKv, pyramid, uniformHeads, Optional.empty()));
        presets.put("ada-snapkv", policy(snapKv, uniformLayers, adaptive, Optional.empty()));
        presets.put("ada-pyramidkv", policy(snapKv, pyramid, adaptive, Optional.empty()));
        presets.put("squeeze-snapkv", policy(snapKv, squeeze, uniformHeads, Optional.empty()));
        presets.put("squeeze-ada-snapkv", policy(snapKv, squeeze, adaptive, Optional.empty()));
        presets.put("kvcrush-snapkv", policy(snapKv, uniformLayers, uniformHeads, crush));
        presets.put("kvcrush-ada-snapkv", policy(snapKv, uniformLayers, adaptive, crush));
        return Collections.unmodifiableMap(presets);
    }

    private static KvPolicy policy(ScorerSpec scorer, LayerAllocation layers, HeadAllocation heads,
                                   Optional<KvCrushSpec> crush) {
        return new KvPolicy(scorer, layers, heads, crush, new Budget.Tokens(Budget.Tokens.DEFAULT),
                KvPolicy.DEFAULT_SINK_TOKENS, false);
    }
}

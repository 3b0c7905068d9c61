package io.kvsqueeze.engine.compress;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads and writes KV policy specs (docs/compression.md, "Policy spec").
 *
 * <p>A spec is a preset name ({@code snapkv}) or a JSON object. An object may name a {@code preset}; its other
 * fields then replace that preset's fields <em>as a whole</em> (a {@code scorer} object does not inherit the
 * preset's window: omitted parameters take the method's defaults). Without a preset, {@code scorer} is
 * required and every other field has its documented default. Unknown fields, unknown names, wrong types and
 * out-of-range values are rejected with a {@link KvPolicyException} naming the field.
 */
public final class KvPolicyJson {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final Set<String> POLICY_FIELDS = Set.of("preset", "scorer", "layerAllocation",
            "headAllocation", "kvcrush", "budget", "sinkTokens", "decodeEviction");

    private KvPolicyJson() {
    }

    public static KvPolicy parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new KvPolicyException("policy must be a preset name or a JSON object, was empty");
        }
        String trimmed = spec.strip();
        if (!trimmed.startsWith("{")) {
            return KvPolicyPresets.get(trimmed);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(trimmed);
        } catch (JacksonException e) {
            throw new KvPolicyException("policy is not valid JSON: " + e.getOriginalMessage());
        }
        return parse(root);
    }

    static KvPolicy parse(JsonNode root) {
        rejectUnknown(root, "", POLICY_FIELDS);
        KvPolicy base = root.has("preset") ? KvPolicyPresets.get(string(root.get("preset"), "preset")) : null;
        if (base == null && !root.has("scorer")) {
            throw new KvPolicyException("scorer must be given when no preset is named");
        }
        ScorerSpec scorer = root.has("scorer") ? scorer(root.get("scorer")) : base.scorer();
        LayerAllocation layers = root.has("layerAllocation") ? layerAllocation(root.get("layerAllocation"))
                : base != null ? base.layerAllocation() : new LayerAllocation.Uniform();
        HeadAllocation heads = root.has("headAllocation") ? headAllocation(root.get("headAllocation"))
                : base != null ? base.headAllocation() : new HeadAllocation.Uniform();
        Optional<KvCrushSpec> crush = root.has("kvcrush") ? kvcrush(root.get("kvcrush"))
                : base != null ? base.kvcrush() : Optional.empty();
        Budget budget = root.has("budget") ? budget(root.get("budget"))
                : base != null ? base.budget() : new Budget.Tokens(Budget.Tokens.DEFAULT);
        int sinks = root.has("sinkTokens") ? integer(root.get("sinkTokens"), "sinkTokens")
                : base != null ? base.sinkTokens() : KvPolicy.DEFAULT_SINK_TOKENS;
        boolean decodeEviction = root.has("decodeEviction")
                ? bool(root.get("decodeEviction"), "decodeEviction")
                : base != null && base.decodeEviction();
        return new KvPolicy(scorer, layers, heads, crush, budget, sinks, decodeEviction);
    }

    /** The canonical JSON object of a policy: every field explicit, so parsing it gives the same policy. */
    public static String write(KvPolicy policy) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode scorer = root.putObject("scorer").put("type", policy.scorer().type());
        switch (policy.scorer()) {
            case ScorerSpec.SnapKv s -> scorer.put("window", s.window()).put("pooling", s.pooling().jsonName())
                    .put("kernel", s.kernel());
            case ScorerSpec.H2o h -> scorer.put("window", h.window()).put("normalize", h.normalize());
            case ScorerSpec.StreamingLlm s -> { }
            case ScorerSpec.None n -> { }
        }
        ObjectNode layers = root.putObject("layerAllocation").put("type", policy.layerAllocation().type());
        switch (policy.layerAllocation()) {
            case LayerAllocation.Pyramid p -> layers.put("beta", p.beta());
            case LayerAllocation.Squeeze s -> layers.put("p", s.p());
            case LayerAllocation.Uniform u -> { }
        }
        ObjectNode heads = root.putObject("headAllocation").put("type", policy.headAllocation().type());
        if (policy.headAllocation() instanceof HeadAllocation.Adaptive a) {
            heads.put("alpha", a.alpha());
        }
        if (policy.kvcrush().isPresent()) {
            KvCrushSpec crush = policy.kvcrush().get();
            root.putObject("kvcrush").put("fraction", crush.fraction()).put("anchor", crush.anchor().jsonName())
                    .put("page", crush.page());
        } else {
            root.put("kvcrush", false);
        }
        switch (policy.budget()) {
            case Budget.Tokens t -> root.putObject("budget").put("tokens", t.tokens());
            case Budget.Ratio r -> root.putObject("budget").put("ratio", r.ratio());
        }
        root.put("sinkTokens", policy.sinkTokens());
        root.put("decodeEviction", policy.decodeEviction());
        return MAPPER.writeValueAsString(root);
    }

    private static ScorerSpec scorer(JsonNode node) {
        String type = type(node, "scorer");
        return switch (type) {
            case "none" -> {
                rejectUnknown(node, "scorer.", Set.of("type"));
                yield new ScorerSpec.None();
            }
            case "streaming_llm" -> {
                rejectUnknown(node, "scorer.", Set.of("type"));
                yield new ScorerSpec.StreamingLlm();
            }
            case "h2o" -> {
                rejectUnknown(node, "scorer.", Set.of("type", "window", "normalize"));
                yield new ScorerSpec.H2o(intField(node, "window", "scorer.window", ScorerSpec.H2o.DEFAULT_WINDOW),
                        node.has("normalize") && bool(node.get("normalize"), "scorer.normalize"));
            }
            case "snapkv" -> {
                rejectUnknown(node, "scorer.", Set.of("type", "window", "pooling", "kernel"));
                yield new ScorerSpec.SnapKv(
                        intField(node, "window", "scorer.window", ScorerSpec.SnapKv.DEFAULT_WINDOW),
                        node.has("pooling") ? Pooling.fromJson(string(node.get("pooling"), "scorer.pooling"),
                                "scorer.pooling") : ScorerSpec.SnapKv.DEFAULT_POOLING,
                        intField(node, "kernel", "scorer.kernel", ScorerSpec.SnapKv.DEFAULT_KERNEL));
            }
            default -> throw KvPolicyException.field("scorer.type", "be one of none, streaming_llm, h2o, snapkv",
                    '"' + type + '"');
        };
    }

    private static LayerAllocation layerAllocation(JsonNode node) {
        String type = type(node, "layerAllocation");
        return switch (type) {
            case "uniform" -> {
                rejectUnknown(node, "layerAllocation.", Set.of("type"));
                yield new LayerAllocation.Uniform();
            }
            case "pyramid" -> {
                rejectUnknown(node, "layerAllocation.", Set.of("type", "beta"));
                yield new LayerAllocation.Pyramid(
                        intField(node, "beta", "layerAllocation.beta", LayerAllocation.Pyramid.DEFAULT_BETA));
            }
            case "squeeze" -> {
                rejectUnknown(node, "layerAllocation.", Set.of("type", "p"));
                yield new LayerAllocation.Squeeze(
                        doubleField(node, "p", "layerAllocation.p", LayerAllocation.Squeeze.DEFAULT_P));
            }
            default -> throw KvPolicyException.field("layerAllocation.type", "be one of uniform, pyramid, squeeze",
                    '"' + type + '"');
        };
    }

    private static HeadAllocation headAllocation(JsonNode node) {
        String type = type(node, "headAllocation");
        return switch (type) {
            case "uniform" -> {
                rejectUnknown(node, "headAllocation.", Set.of("type"));
                yield new HeadAllocation.Uniform();
            }
            case "adaptive" -> {
                rejectUnknown(node, "headAllocation.", Set.of("type", "alpha"));
                yield new HeadAllocation.Adaptive(
                        doubleField(node, "alpha", "headAllocation.alpha", HeadAllocation.Adaptive.DEFAULT_ALPHA));
            }
            default -> throw KvPolicyException.field("headAllocation.type", "be one of uniform, adaptive",
                    '"' + type + '"');
        };
    }

    private static Optional<KvCrushSpec> kvcrush(JsonNode node) {
        if (node.isNull() || (node.isBoolean() && !node.booleanValue())
                || (node.isString() && node.asString().equals("off"))) {
            return Optional.empty();
        }
        if ((node.isBoolean() && node.booleanValue()) || (node.isString() && node.asString().equals("on"))) {
            return Optional.of(KvCrushSpec.defaults());
        }
        if (!node.isObject()) {
            throw KvPolicyException.field("kvcrush", "be false, \"off\", true, \"on\" or an object", node);
        }
        rejectUnknown(node, "kvcrush.", Set.of("fraction", "anchor", "page"));
        return Optional.of(new KvCrushSpec(
                doubleField(node, "fraction", "kvcrush.fraction", KvCrushSpec.DEFAULT_FRACTION),
                node.has("anchor") ? KvCrushSpec.Anchor.fromJson(string(node.get("anchor"), "kvcrush.anchor"),
                        "kvcrush.anchor") : KvCrushSpec.DEFAULT_ANCHOR,
                intField(node, "page", "kvcrush.page", KvCrushSpec.DEFAULT_PAGE)));
    }

    private static Budget budget(JsonNode node) {
        if (!node.isObject()) {
            throw KvPolicyException.field("budget", "be {\"tokens\": N} or {\"ratio\": r}", node);
        }
        rejectUnknown(node, "budget.", Set.of("tokens", "ratio"));
        if (node.has("tokens") == node.has("ratio")) {
            throw KvPolicyException.field("budget", "have exactly one of tokens and ratio", node);
        }
        return node.has("tokens") ? new Budget.Tokens(integer(node.get("tokens"), "budget.tokens"))
                : new Budget.Ratio(number(node.get("ratio"), "budget.ratio"));
    }

    /** A method given as {@code "name"} or as {@code {"type": "name", ...}}. */
    private static String type(JsonNode node, String path) {
        if (node.isString()) {
            return node.asString();
        }
        if (!node.isObject()) {
            throw KvPolicyException.field(path, "be a name or an object with a type", node);
        }
        if (!node.has("type")) {
            throw new KvPolicyException(path + ".type must be given");
        }
        return string(node.get("type"), path + ".type");
    }

    private static void rejectUnknown(JsonNode node, String prefix, Set<String> known) {
        if (!node.isObject()) {
            return;
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!known.contains(field.getKey())) {
                throw new KvPolicyException(prefix + field.getKey() + " is not a known field (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static int intField(JsonNode node, String name, String path, int fallback) {
        return node.isObject() && node.has(name) ? integer(node.get(name), path) : fallback;
    }

    private static double doubleField(JsonNode node, String name, String path, double fallback) {
        return node.isObject() && node.has(name) ? number(node.get(name), path) : fallback;
    }

    private static int integer(JsonNode node, String path) {
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw KvPolicyException.field(path, "be an integer", node);
        }
        return node.intValue();
    }

    private static double number(JsonNode node, String path) {
        if (!node.isNumber()) {
            throw KvPolicyException.field(path, "be a number", node);
        }
        return node.doubleValue();
    }

    private static boolean bool(JsonNode node, String path) {
        if (!node.isBoolean()) {
            throw KvPolicyException.field(path, "be true or false", node);
        }
        return node.booleanValue();
    }

    private static String string(JsonNode node, String path) {
        if (!node.isString()) {
            throw KvPolicyException.field(path, "be a string", node);
        }
        return node.asString();
    }
}

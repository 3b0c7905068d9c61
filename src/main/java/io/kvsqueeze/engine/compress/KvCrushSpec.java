package io.kvsqueeze.engine.compress;

/**
 * KVCrush (§7): part of each head's budget goes to representatives of the tokens the importance score would
 * prune, chosen by the Hamming distance of their binary head signatures to an anchor.
 *
 * @param fraction share of the selected budget spent on representatives. Default 0.25, the vLLM PR's class
 *                 default {@code kvcrush_ratio} (§7.3).
 * @param anchor   the anchor signature. Default {@link Anchor#MEAN}, the vLLM PR's env default (§7.2).
 * @param page     tokens per page; a representative is a whole page. Default 1: a token's signature is its bit
 *                 in every KV head, the paper's per-token representation (§7.1); the vLLM PR uses its KV block as
 *                 the page (§7.3).
 */
public record KvCrushSpec(double fraction, Anchor anchor, int page) {
    public static final double DEFAULT_FRACTION = 0.25;
    public static final Anchor DEFAULT_ANCHOR = Anchor.MEAN;
    public static final int DEFAULT_PAGE = 1;

    public KvCrushSpec {
        if (!(fraction > 0 && fraction < 1)) {
            throw KvPolicyException.field("kvcrush.fraction", "be in (0, 1)", fraction);
        }
        if (anchor == null) {
            throw new KvPolicyException("kvcrush.anchor must be one of alternate, mean, zeros, ones, was null");
        }
        if (page < 1) {
            throw KvPolicyException.field("kvcrush.page", "be >= 1", page);
        }
    }

    public static KvCrushSpec defaults() {
        return new KvCrushSpec(DEFAULT_FRACTION, DEFAULT_ANCHOR, DEFAULT_PAGE);
    }

    /**
     * The signature every page is compared with (§7.3, §7.4). The random anchor of OpenVINO and the vLLM PR is
     * left out: the deterministic ones need no seed and keep plans reproducible (§12.9.5).
     */
    public enum Anchor {
        /** {@code [0, 1, 0, 1, ...]}. */
        ALTERNATE("alternate"),
        /** Per bit, 1 where more than half of the candidate pages have a 1. */
        MEAN("mean"),
        ZEROS("zeros"),
        ONES("ones");

        private final String jsonName;

        Anchor(String jsonName) {
            this.jsonName = jsonName;
        }

        public String jsonName() {
            return jsonName;
        }

        static Anchor fromJson(String name, String path) {
            for (Anchor anchor : values()) {
                if (anchor.jsonName.equals(name)) {
                    return anchor;
                }
            }
            throw KvPolicyException.field(path, "be one of alternate, mean, zeros, ones", '"' + name + '"');
        }
    }
}

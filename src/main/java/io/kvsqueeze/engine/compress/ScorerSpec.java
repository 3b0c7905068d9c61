package io.kvsqueeze.engine.compress;

/**
 * Which token importance score a policy uses (kv-compression.md §1.1, §2, §4). Each variant knows its JSON
 * name ({@code scorer.type}) and how many trailing prompt tokens it always keeps ({@link #window()}).
 */
public sealed interface ScorerSpec {

    String type();

    /** Trailing prompt tokens kept unconditionally and not scored (the observation or recent window). */
    int window();

    /** No compression at all: the full cache. */
    record None() implements ScorerSpec {
        @Override
        public String type() {
            return "none";
        }

        @Override
        public int window() {
            return 0;
        }
    }

    /**
     * StreamingLLM: the sink tokens plus the most recent tokens (§4.2). The score is the position, so the
     * selection keeps the newest tokens; the sinks come from {@link KvPolicy#sinkTokens()}.
     */
    record StreamingLlm() implements ScorerSpec {
        @Override
        public String type() {
            return "streaming_llm";
        }

        @Override
        public int window() {
            return 0;
        }
    }

    /**
     * H2O as implemented by KVCache-Factory (§4.1): column sums of the causal attention of <em>all</em> prompt
     * queries, no pooling, top-k plus the last {@code window} tokens.
     *
     * @param window    trailing tokens always kept. Default {@link #DEFAULT_WINDOW} = 32, the SnapKV window (§2.2),
     *                  so H2O and SnapKV differ only in their score (KVF runs both with 8, §1.2 and KVF issue #16).
     * @param normalize divide column {@code j} by the {@code n - j} queries that can see it, kvpress's
     *                  ObservedAttention variant (§4.1, §12.4). Default false (KVF H2O).
     */
    record H2o(int window, boolean normalize) implements ScorerSpec {
        public static final int DEFAULT_WINDOW = 32;

        public H2o {
            if (window < 0) {
                throw KvPolicyException.field("scorer.window", "be >= 0", window);
            }
        }

        @Override
        public String type() {
            return "h2o";
        }
    }

    /**
     * SnapKV's observation-window score (§1.1, §2.1).
     *
     * @param window  the last {@code window} prompt queries are observed and those tokens are always kept.
     *                Default 32 (SnapKV code and paper configs, ADAKV: §1.2, §2.2, §5.7).
     * @param pooling default {@link Pooling#MAX}: SnapKV's published LongBench configs ({@code w32_k7_maxpool},
     *                §2.2) and Ada-KV (§5.7) use max pooling; only the SnapKV code default is avg (§1.2).
     * @param kernel  pooling kernel, odd. Default 7 (same sources as {@code pooling}).
     */
    record SnapKv(int window, Pooling pooling, int kernel) implements ScorerSpec {
        public static final int DEFAULT_WINDOW = 32;
        public static final Pooling DEFAULT_POOLING = Pooling.MAX;
        public static final int DEFAULT_KERNEL = 7;

        public SnapKv {
            if (window < 1) {
                throw KvPolicyException.field("scorer.window", "be >= 1", window);
            }
            if (pooling == null) {
                throw new KvPolicyException("scorer.pooling must be avg or max, was null");
            }
            if (kernel < 1 || kernel % 2 == 0) {
                throw KvPolicyException.field("scorer.kernel", "be a positive odd number", kernel);
            }
        }

        public static SnapKv defaults() {
            return new SnapKv(DEFAULT_WINDOW, DEFAULT_POOLING, DEFAULT_KERNEL);
        }

        @Override
        public String type() {
            return "snapkv";
        }
    }
}

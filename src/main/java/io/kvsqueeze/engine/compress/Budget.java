package io.kvsqueeze.engine.compress;

/**
 * The KV budget: the <em>average</em> number of entries kept per (layer, KV head), counting the sinks and the
 * window. A compressed cache of {@code L} layers and {@code Hkv} KV heads holds {@code L * Hkv * capacity}
 * entries in total, whatever the layer and head allocations do with it.
 */
public sealed interface Budget {

    /** Entries per (layer, KV head) for a prompt of {@code promptLength} tokens, before capping at the prompt. */
    int capacity(int promptLength);

    /**
     * A budget as written on a command line: a whole number is entries per (layer, KV head) ({@code "128"}), a
     * fraction is a ratio of the prompt ({@code "0.2"}).
     */
    static Budget parse(String text) {
        String trimmed = text.trim();
        try {
            if (trimmed.matches("\\d+")) {
                return new Tokens(Integer.parseInt(trimmed));
            }
            return new Ratio(Double.parseDouble(trimmed));
        } catch (NumberFormatException e) {
            throw KvPolicyException.field("budget", "be a token count such as 128 or a ratio such as 0.2", text);
        }
    }

    /**
     * A fixed number of entries per (layer, KV head). Default {@link #DEFAULT} = 512, ADAKV's
     * {@code base_capacity} example (§5.7; its LongBench budgets are 128 to 1024, also counting the window).
     */
    record Tokens(int tokens) implements Budget {
        public static final int DEFAULT = 512;

        public Tokens {
            if (tokens < 1) {
                throw KvPolicyException.field("budget.tokens", "be >= 1", tokens);
            }
        }

        @Override
        public int capacity(int promptLength) {
            return tokens;
        }
    }

    /**
     * A fraction of the prompt kept per (layer, KV head): {@code floor(ratio * promptLength)}, truncated like
     * kvpress's {@code n_kept = int(k_len * (1 - r))} (§8.1), whose ratio is the fraction removed.
     */
    record Ratio(double ratio) implements Budget {
        public Ratio {
            if (!(ratio > 0 && ratio <= 1)) {
                throw KvPolicyException.field("budget.ratio", "be in (0, 1]", ratio);
            }
        }

        @Override
        public int capacity(int promptLength) {
            return (int) Math.floor(ratio * promptLength);
        }
    }
}

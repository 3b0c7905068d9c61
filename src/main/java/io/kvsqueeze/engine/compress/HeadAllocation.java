package io.kvsqueeze.engine.compress;

/** How a layer's budget is split between its KV heads ({@code headAllocation.type}). */
public sealed interface HeadAllocation {

    String type();

    /** Every KV head of a layer gets the layer's budget. */
    record Uniform() implements HeadAllocation {
        @Override
        public String type() {
            return "uniform";
        }
    }

    /**
     * Ada-KV (§5.2): one global top-k over the scores of all heads of a layer decides each head's share.
     *
     * @param alpha safeguard: each head is guaranteed {@code floor(alpha * B)} entries. Default 0.2, ADAKV's
     *              {@code pred.py} default and its advice for GQA models (§5.4, §5.7).
     */
    record Adaptive(double alpha) implements HeadAllocation {
        public static final double DEFAULT_ALPHA = 0.2;

        public Adaptive {
            if (!(alpha >= 0 && alpha <= 1)) {
                throw KvPolicyException.field("headAllocation.alpha", "be in [0, 1]", alpha);
            }
        }

        @Override
        public String type() {
            return "adaptive";
        }
    }
}

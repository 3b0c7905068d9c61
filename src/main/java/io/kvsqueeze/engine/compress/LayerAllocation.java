package io.kvsqueeze.engine.compress;

/** How the average budget is split between layers ({@code layerAllocation.type}). */
public sealed interface LayerAllocation {

    String type();

    /** Every layer gets the average budget. */
    record Uniform() implements LayerAllocation {
        @Override
        public String type() {
            return "uniform";
        }
    }

    /**
     * PyramidKV's linear schedule, most budget to layer 0 (§3.1, KVCache-Factory integer formula).
     *
     * @param beta {@code minN = B // beta}. Default 20 (KVF, ADAKV {@code pyram_beta}, kvpress: §3.1, §5.2).
     */
    record Pyramid(int beta) implements LayerAllocation {
        public static final int DEFAULT_BETA = 20;

        public Pyramid {
            if (beta < 1) {
                throw KvPolicyException.field("layerAllocation.beta", "be >= 1", beta);
            }
        }

        @Override
        public String type() {
            return "pyramid";
        }
    }

    /**
     * SqueezeAttention (§6.2): layers are clustered by the cosine similarity of their hidden state before and
     * after attention; the cluster with the highest similarity (least important) keeps {@code p} times the
     * average budget, the rest is spread over the other layers.
     *
     * @param p fraction of the average budget the unimportant layers keep, {@code KV_class3 / ini_size} in SQZ's
     *          terms (§6.2). Default 0.3, the value: SQZ ships no default, its README examples use 0.38 and
     *          0.63 (§6.2).
     */
    record Squeeze(double p) implements LayerAllocation {
        public static final double DEFAULT_P = 0.3;

        public Squeeze {
            if (!(p > 0 && p <= 1)) {
                throw KvPolicyException.field("layerAllocation.p", "be in (0, 1]", p);
            }
        }

        @Override
        public String type() {
            return "squeeze";
        }
    }
}

package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * Accumulates SqueezeAttention's layer importance during prefill (kv-compression.md §6.1): for each layer, the
 * mean over prompt tokens of the cosine similarity between the hidden state entering the layer (before its
 * input RMSNorm) and the hidden state after the attention residual add (before the MLP). High similarity means
 * attention changed the residual stream little: the layer matters less. Allocation-free per token.
 */
public final class HiddenStateSimilarity {
    private final double[] sums;
    private final int[] tokens;

    public HiddenStateSimilarity(int layers) {
        this.sums = new double[layers];
        this.tokens = new int[layers];
    }

    public void reset() {
        Arrays.fill(sums, 0);
        Arrays.fill(tokens, 0);
    }

    /** Adds one token of {@code layer}: {@code before[beforeOffset, +dim)} against {@code after[afterOffset, +dim)}. */
    public void add(int layer, float[] before, int beforeOffset, float[] after, int afterOffset, int dim) {
        sums[layer] += cosine(before, beforeOffset, after, afterOffset, dim);
        tokens[layer]++;
    }

    /** Per-layer mean similarity of the tokens added so far. */
    public double[] meanPerLayer() {
        double[] means = new double[sums.length];
        for (int l = 0; l < sums.length; l++) {
            if (tokens[l] == 0) {
                throw new IllegalStateException("layer " + l + " has no tokens");
            }
            means[l] = sums[l] / tokens[l];
        }
        return means;
    }

    /**
     * Cosine similarity in double precision. PyTorch's {@code cosine_similarity} clamps each norm at 1e-8; a
     * zero vector therefore gives 0 here too.
     */
    public static double cosine(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        double dot = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < dim; i++) {
            double x = a[aOffset + i];
            double y = b[bOffset + i];
            dot += x * y;
            aa += x * x;
            bb += y * y;
        }
        return dot / (Math.max(Math.sqrt(aa), 1e-8) * Math.max(Math.sqrt(bb), 1e-8));
    }
}

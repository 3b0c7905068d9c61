package io.kvsqueeze.engine.model;

/**
 * Rotary position embedding with precomputed cos/sin tables, applied at an explicit (logical) position: a
 * compressed KV cache keeps each entry's original position, so rotation never uses a compacted index.
 */
public final class Rope {
    private final int headDim;
    private final int pairs;
    private final boolean neox;
    private final int maxPositions;
    private final float[] cos;
    private final float[] sin;

    /**
     * @param freqFactors per-pair divisors of the frequency (Llama 3.1's {@code rope_freqs.weight}), or null
     */
    public Rope(int headDim, int maxPositions, float theta, float positionScale, float[] freqFactors, boolean neox) {
        this.headDim = headDim;
        this.pairs = headDim / 2;
        this.neox = neox;
        this.maxPositions = maxPositions;
        this.cos = new float[maxPositions * pairs];
        this.sin = new float[maxPositions * pairs];
        // ggml's arithmetic: the angle of pair i is pos * theta^(-2i/headDim), the power built up by repeated
        // float multiplication, so that the tables equal llama.cpp's to the last bit as far as possible.
        float thetaScale = (float) Math.pow(theta, -2.0 / headDim);
        for (int pos = 0; pos < maxPositions; pos++) {
            float angle = pos / positionScale;
            for (int i = 0; i < pairs; i++) {
                float scaled = freqFactors != null ? angle / freqFactors[i] : angle;
                cos[pos * pairs + i] = (float) Math.cos(scaled);
                sin[pos * pairs + i] = (float) Math.sin(scaled);
                angle *= thetaScale;
            }
        }
    }

    public int maxPositions() {
        return maxPositions;
    }

    /** Rotates {@code heads} consecutive head vectors of {@code vec} starting at {@code offset}. */
    public void apply(float[] vec, int offset, int heads, int position) {
        if (position < 0 || position >= maxPositions) {
            throw new IllegalArgumentException("position " + position + " outside the context of " + maxPositions);
        }
        int table = position * pairs;
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            for (int i = 0; i < pairs; i++) {
                int a = neox ? base + i : base + 2 * i;
                int b = neox ? a + pairs : a + 1;
                float c = cos[table + i];
                float s = sin[table + i];
                float x0 = vec[a];
                float x1 = vec[b];
                vec[a] = x0 * c - x1 * s;
                vec[b] = x0 * s + x1 * c;
            }
        }
    }
}

package io.kvsqueeze.engine.compress;

/**
 * 1-D pooling of a score row with stride 1 and padding {@code kernel / 2}, exactly as PyTorch's
 * {@code F.avg_pool1d} / {@code F.max_pool1d} (kv-compression.md §1, §12.0.5): average pooling counts the zero
 * padding in the denominator ({@code count_include_pad=True}), so edge values are divided by {@code kernel};
 * max pooling ignores the padding. The kernel must be odd so the output has the input's length.
 */
public enum Pooling {
    AVG("avg"),
    MAX("max");

    private final String jsonName;

    Pooling(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    static Pooling fromJson(String name, String path) {
        for (Pooling pooling : values()) {
            if (pooling.jsonName.equals(name)) {
                return pooling;
            }
        }
        throw KvPolicyException.field(path, "be avg or max", '"' + name + '"');
    }

    /** Pools {@code in[0, length)} into {@code out[0, length)}; {@code out} must not alias {@code in}. */
    public void pool(float[] in, int length, int kernel, float[] out) {
        if (kernel % 2 == 0 || kernel < 1) {
            throw new IllegalArgumentException("kernel must be a positive odd number, was " + kernel);
        }
        int half = kernel / 2;
        for (int j = 0; j < length; j++) {
            int from = Math.max(0, j - half);
            int to = Math.min(length, j + half + 1);
            if (this == AVG) {
                float sum = 0f;
                for (int i = from; i < to; i++) {
                    sum += in[i];
                }
                out[j] = sum / kernel;
            } else {
                float max = Float.NEGATIVE_INFINITY;
                for (int i = from; i < to; i++) {
                    max = Math.max(max, in[i]);
                }
                out[j] = max;
            }
        }
    }
}

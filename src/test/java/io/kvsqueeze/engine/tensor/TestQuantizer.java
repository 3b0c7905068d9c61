package io.kvsqueeze.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import io.kvsqueeze.engine.gguf.GgmlType;

/**
 * Test-side quantizers: float rows into the exact GGUF byte layout of every format the engine computes with.
 * Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 follow ggml's {@code quantize_row_*_ref} step by step (the bytes match
 * llama.cpp's reference quantizer); the K-quants use a plain min/max fit (not ggml's iterative search), which
 * yields valid blocks whose dequantization approximates the input. Used by the tensor tests and to build tiny
 * random models.
 */
public final class TestQuantizer {
    private TestQuantizer() {
    }

    /** {@code values} (a multiple of the block size, for a whole tensor: rows one after the other) encoded. */
    public static byte[] quantize(GgmlType type, float[] values) {
        if (values.length % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " needs a multiple of " + type.blockSize() + " values");
        }
        byte[] out = new byte[Math.toIntExact(type.bytesFor(values.length))];
        int blocks = values.length / type.blockSize();
        for (int b = 0; b < blocks; b++) {
            int in = b * type.blockSize();
            int at = b * type.blockBytes();
            switch (type) {
                case F32 -> putInt(out, at, Float.floatToRawIntBits(values[in]));
                case F16 -> putShort(out, at, Float.floatToFloat16(values[in]));
                case BF16 -> putShort(out, at, toBf16(values[in]));
                case Q4_0 -> q4_0(values, in, out, at);
                case Q4_1 -> q4_1(values, in, out, at);
                case Q5_0 -> q5_0(values, in, out, at);
                case Q5_1 -> q5_1(values, in, out, at);
                case Q8_0 -> q8_0(values, in, out, at);
                case Q4_K -> q4_k(values, in, out, at);
                case Q5_K -> q5_k(values, in, out, at);
                case Q6_K -> q6_k(values, in, out, at);
                default -> throw new IllegalArgumentException("no test quantizer for " + type);
            }
        }
        return out;
    }

    /** {@code bytes} copied into a fresh read-only off-heap segment (lives as long as the JVM). */
    public static MemorySegment segment(byte[] bytes) {
        MemorySegment segment = Arena.ofAuto().allocate(Math.max(1, bytes.length), 64).asSlice(0, bytes.length);
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return segment.asReadOnly();
    }

    /** Quantizes {@code values} as a {@code rows x cols} tensor named {@code name}. */
    public static WeightTensor tensor(String name, GgmlType type, int cols, float[] values) {
        return WeightTensor.of(name, type, cols, values.length / cols, segment(quantize(type, values)));
    }

    /** fp32 → bf16 with round-to-nearest-even, NaN kept quiet, as ggml's {@code ggml_compute_fp32_to_bf16}. */
    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7FFF + ((bits >>> 16) & 1))) >>> 16);
    }

    // ---- 32-element formats, as quantize_row_*_ref ---------------------------------------------------------

    private static void q4_0(float[] x, int in, byte[] out, int at) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[in + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putShort(out, at, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(15, (byte) (int) (x[in + j] * id + 8.5f));
            int xi1 = Math.min(15, (byte) (int) (x[in + 16 + j] * id + 8.5f));
            out[at + 2 + j] = (byte) (xi0 | (xi1 << 4));
        }
    }

    private static void q4_1(float[] x, int in, byte[] out, int at) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[in + j];
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float d = (max - min) / 15;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putShort(out, at, Float.floatToFloat16(d));
        putShort(out, at + 2, Float.floatToFloat16(min));
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(15, (byte) (int) ((x[in + j] - min) * id + 0.5f));
            int xi1 = Math.min(15, (byte) (int) ((x[in + 16 + j] - min) * id + 0.5f));
            out[at + 4 + j] = (byte) (xi0 | (xi1 << 4));
        }
    }

    private static void q5_0(float[] x, int in, byte[] out, int at) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[in + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putShort(out, at, Float.floatToFloat16(d));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(31, (byte) (int) (x[in + j] * id + 16.5f));
            int xi1 = Math.min(31, (byte) (int) (x[in + 16 + j] * id + 16.5f));
            out[at + 6 + j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        putInt(out, at + 2, qh);
    }

    private static void q5_1(float[] x, int in, byte[] out, int at) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[in + j];
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float d = (max - min) / 31;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putShort(out, at, Float.floatToFloat16(d));
        putShort(out, at + 2, Float.floatToFloat16(min));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = ((int) ((x[in + j] - min) * id + 0.5f)) & 0xFF;
            int xi1 = ((int) ((x[in + 16 + j] - min) * id + 0.5f)) & 0xFF;
            out[at + 8 + j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        putInt(out, at + 4, qh);
    }

    private static void q8_0(float[] x, int in, byte[] out, int at) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[in + j]));
        }
        float d = amax / 127;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putShort(out, at, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            out[at + 2 + j] = (byte) roundf(x[in + j] * id);
        }
    }

    // ---- K-quants: min/max fit into the exact ggml layout --------------------------------------------------

    private static void q4_k(float[] x, int in, byte[] out, int at) {
        int[] levels = new int[256];
        packScaledMins(x, in, 15, out, at, levels);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                out[at + 16 + 32 * c + l] = (byte) (levels[64 * c + l] | (levels[64 * c + 32 + l] << 4));
            }
        }
    }

    private static void q5_k(float[] x, int in, byte[] out, int at) {
        int[] levels = new int[256];
        packScaledMins(x, in, 31, out, at, levels);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int l1 = levels[64 * c + l];
                int l2 = levels[64 * c + 32 + l];
                if (l1 > 15) {
                    l1 -= 16;
                    out[at + 16 + l] |= (byte) (1 << (2 * c));
                }
                if (l2 > 15) {
                    l2 -= 16;
                    out[at + 16 + l] |= (byte) (2 << (2 * c));
                }
                out[at + 48 + 32 * c + l] = (byte) (l1 | (l2 << 4));
            }
        }
    }

    /**
     * Q4_K/Q5_K header: per 32-element sub-block x ≈ d·sc·q - dmin·m with 6-bit sc, m; writes d, dmin and the
     * packed scales at {@code at}, the levels (0..nmax) to {@code levels}.
     */
    private static void packScaledMins(float[] x, int in, int nmax, byte[] out, int at, int[] levels) {
        float[] scales = new float[8];
        float[] mins = new float[8];
        float maxScale = 0f;
        float maxMin = 0f;
        for (int j = 0; j < 8; j++) {
            float lo = 0f;
            float hi = 0f;
            for (int l = 0; l < 32; l++) {
                lo = Math.min(lo, x[in + 32 * j + l]);
                hi = Math.max(hi, x[in + 32 * j + l]);
            }
            scales[j] = (hi - lo) / nmax;
            mins[j] = -lo;
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float d = Float.float16ToFloat(Float.floatToFloat16(maxScale / 63));
        float dmin = Float.float16ToFloat(Float.floatToFloat16(maxMin / 63));
        putShort(out, at, Float.floatToFloat16(maxScale / 63));
        putShort(out, at + 2, Float.floatToFloat16(maxMin / 63));
        for (int j = 0; j < 8; j++) {
            int ls = d > 0 ? Math.min(63, Math.round(scales[j] / d)) : 0;
            int lm = dmin > 0 ? Math.min(63, Math.round(mins[j] / dmin)) : 0;
            if (j < 4) {
                out[at + 4 + j] = (byte) ls;
                out[at + 4 + j + 4] = (byte) lm;
            } else {
                out[at + 4 + j + 4] = (byte) ((ls & 0x0F) | ((lm & 0x0F) << 4));
                out[at + 4 + j - 4] |= (byte) ((ls >>> 4) << 6);
                out[at + 4 + j] |= (byte) ((lm >>> 4) << 6);
            }
            float sd = d * ls;
            float sm = dmin * lm;
            for (int l = 0; l < 32; l++) {
                int q = sd > 0 ? Math.round((x[in + 32 * j + l] + sm) / sd) : 0;
                levels[32 * j + l] = Math.max(0, Math.min(nmax, q));
            }
        }
    }

    private static void q6_k(float[] x, int in, byte[] out, int at) {
        float[] scales = new float[16];
        float maxAbsScale = 0f;
        for (int s = 0; s < 16; s++) {
            float amax = 0f;
            float max = 0f;
            for (int l = 0; l < 16; l++) {
                float v = x[in + 16 * s + l];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            scales[s] = max / -32;
            maxAbsScale = Math.max(maxAbsScale, Math.abs(scales[s]));
        }
        float d = Float.float16ToFloat(Float.floatToFloat16(maxAbsScale / 127));
        putShort(out, at + 208, Float.floatToFloat16(maxAbsScale / 127));
        int[] levels = new int[256];
        for (int s = 0; s < 16; s++) {
            int sc = d > 0 ? Math.max(-127, Math.min(127, Math.round(scales[s] / d))) : 0;
            out[at + 192 + s] = (byte) sc;
            float step = d * sc;
            for (int l = 0; l < 16; l++) {
                int q = step != 0 ? Math.round(x[in + 16 * s + l] / step) : 0;
                levels[16 * s + l] = Math.max(-32, Math.min(31, q)) + 32;
            }
        }
        for (int n = 0; n < 2; n++) {
            for (int l = 0; l < 32; l++) {
                int q1 = levels[128 * n + l];
                int q2 = levels[128 * n + l + 32];
                int q3 = levels[128 * n + l + 64];
                int q4 = levels[128 * n + l + 96];
                out[at + 64 * n + l] = (byte) ((q1 & 0x0F) | ((q3 & 0x0F) << 4));
                out[at + 64 * n + l + 32] = (byte) ((q2 & 0x0F) | ((q4 & 0x0F) << 4));
                out[at + 128 + 32 * n + l] = (byte) ((q1 >>> 4) | ((q2 >>> 4) << 2) | ((q3 >>> 4) << 4)
                        | ((q4 >>> 4) << 6));
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** C's {@code roundf}: ties away from zero. */
    public static int roundf(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    static void putShort(byte[] out, int at, short value) {
        out[at] = (byte) value;
        out[at + 1] = (byte) (value >>> 8);
    }

    static void putInt(byte[] out, int at, int value) {
        out[at] = (byte) value;
        out[at + 1] = (byte) (value >>> 8);
        out[at + 2] = (byte) (value >>> 16);
        out[at + 3] = (byte) (value >>> 24);
    }
}

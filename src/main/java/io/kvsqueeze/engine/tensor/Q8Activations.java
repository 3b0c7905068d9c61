package io.kvsqueeze.engine.tensor;

import java.util.Objects;

/**
 * One activation vector quantized to int8 in 32-element blocks, as ggml's x86 {@code quantize_row_q8_0} /
 * {@code quantize_row_q8_1} do it: per block {@code amax = max|x|}, {@code d = amax / 127},
 * {@code q = rint(x * (127/amax))} (ties to even), the scale stored as fp16 and, for the Q8_1 view,
 * {@code s = fp16(d * Σq)} with the unrounded {@code d}. One instance serves both views: Q4_0, Q5_0 and Q8_0
 * weights read {@code d} (block_q8_0), Q4_1 and Q5_1 also read {@code s} (block_q8_1).
 *
 * <p>Sized once with a capacity and reused; {@link #quantize} allocates nothing. Not thread-safe for writing;
 * any number of threads may read a quantized vector.
 */
public final class Q8Activations {
    static final int BLOCK = 32;

    private final int capacity;
    /** Quants [capacity], as bytes (what ggml stores). */
    final byte[] qs;
    /** The same quants widened to short [capacity]: what the integer kernels load. */
    final short[] q16;
    /** Per-block scale d [capacity/32], already rounded through fp16. */
    final float[] d;
    /** Per-block d·Σq [capacity/32], rounded through fp16 (block_q8_1's s). */
    final float[] s;
    /** d · 2^112 and s · 2^112 (exact): partners of {@link Simd#half112} in the kernels. */
    final float[] d112;
    final float[] s112;
    private int length;

    public Q8Activations(int capacity) {
        if (capacity <= 0 || capacity % BLOCK != 0) {
            throw new IllegalArgumentException("capacity must be a positive multiple of 32, got " + capacity);
        }
        this.capacity = capacity;
        this.qs = new byte[capacity];
        this.q16 = new short[capacity];
        this.d = new float[capacity / BLOCK];
        this.s = new float[capacity / BLOCK];
        this.d112 = new float[capacity / BLOCK];
        this.s112 = new float[capacity / BLOCK];
    }

    /** Quantizes {@code x[offset, offset+length)}; {@code length} must be a multiple of 32 within capacity. */
    public void quantize(float[] x, int offset, int length) {
        if (length <= 0 || length % BLOCK != 0 || length > capacity) {
            throw new IllegalArgumentException(
                    "length must be a positive multiple of 32 up to " + capacity + ", got " + length);
        }
        Objects.checkFromIndexSize(offset, length, x.length);
        byte[] qs = this.qs;
        short[] q16 = this.q16;
        int blocks = length / BLOCK;
        for (int b = 0; b < blocks; b++) {
            int base = offset + b * BLOCK;
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) {
                float a = Math.abs(x[base + j]);
                amax = amax > a ? amax : a;
            }
            float scale = amax / 127f;
            // ggml's x86 quantize_row_q8_0/q8_1 (what llama.cpp runs on this hardware) multiply by 127 / amax and
            // round half to even; the portable C reference uses 1 / d and rounds half away from zero.
            float inverse = amax != 0f ? 127f / amax : 0f;
            int sum = 0;
            int out = b * BLOCK;
            for (int j = 0; j < BLOCK; j++) {
                int q = (int) Math.rint(x[base + j] * inverse);
                qs[out + j] = (byte) q;
                q16[out + j] = (short) q;
                sum += q;
            }
            d[b] = Float.float16ToFloat(Float.floatToFloat16(scale));
            s[b] = Float.float16ToFloat(Float.floatToFloat16(sum * scale));
            d112[b] = d[b] * 0x1p112f;
            s112[b] = s[b] * 0x1p112f;
        }
        this.length = length;
    }

    /** Elements quantized by the last {@link #quantize} (0 before the first). */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Blocks of 32 quantized by the last {@link #quantize}. */
    public int blocks() {
        return length / BLOCK;
    }

    /** The int8 quant of element {@code i}. */
    public byte quant(int i) {
        Objects.checkIndex(i, length);
        return qs[i];
    }

    /** The fp16-rounded scale {@code d} of block {@code block}. */
    public float scale(int block) {
        Objects.checkIndex(block, blocks());
        return d[block];
    }

    /** The fp16-rounded {@code s = d·Σq} of block {@code block} (block_q8_1). */
    public float sum(int block) {
        Objects.checkIndex(block, blocks());
        return s[block];
    }
}

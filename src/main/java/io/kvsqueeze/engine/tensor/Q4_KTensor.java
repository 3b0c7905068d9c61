package io.kvsqueeze.engine.tensor;

import static io.kvsqueeze.engine.tensor.Simd.F;
import static io.kvsqueeze.engine.tensor.Simd.F_LANES;
import static io.kvsqueeze.engine.tensor.Simd.HALF_F_PARTS;
import static io.kvsqueeze.engine.tensor.Simd.INT_LE;

import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K weights: super-blocks of 256 as {@code fp16 d, fp16 dmin, u8 scales[12], u8 qs[128]} (144 bytes).
 * Eight sub-blocks of 32 have a 6-bit scale and a 6-bit min packed in {@code scales} (ggml's
 * {@code get_scale_min_k4}); 64-element chunk j holds sub-block 2j in the low nibbles of qs[32j..32j+31] and
 * sub-block 2j+1 in the high nibbles, {@code x = d·sc·q - dmin·m}.
 */
public final class Q4_KTensor extends WeightTensor {
    static final int BLOCK_BYTES = 144;

    Q4_KTensor(String name, int cols, long rows, MemorySegment data) {
        super(name, GgmlType.Q4_K, cols, rows, data);
    }

    /** 6-bit scale of sub-block j (0..7) from the 12 scale bytes read as three little-endian ints. */
    static int scaleK(int s0, int s1, int s2, int j) {
        if (j < 4) {
            return (s0 >>> (8 * j)) & 63;
        }
        int k = 8 * (j - 4);
        return ((s2 >>> k) & 0x0F) | (((s0 >>> k) & 0xC0) >>> 2);
    }

    /** 6-bit min of sub-block j (0..7), see {@link #scaleK}. */
    static int minK(int s0, int s1, int s2, int j) {
        if (j < 4) {
            return (s1 >>> (8 * j)) & 63;
        }
        int k = 8 * (j - 4);
        return ((s2 >>> k) & 0xF0) >>> 4 | (((s1 >>> k) & 0xC0) >>> 2);
    }

    @Override
    public void dequantizeRow(long row, float[] out, int outOffset) {
        long base = rowOffset(row);
        Objects.checkFromIndexSize(outOffset, cols, out.length);
        MemorySegment data = this.data;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Simd.f16(data, off);
            float dmin = Simd.f16(data, off + 2);
            int s0 = data.get(INT_LE, off + 4);
            int s1 = data.get(INT_LE, off + 8);
            int s2 = data.get(INT_LE, off + 12);
            int o = outOffset + b * 256;
            for (int j = 0; j < 4; j++) {
                float d1 = d * scaleK(s0, s1, s2, 2 * j);
                float m1 = dmin * minK(s0, s1, s2, 2 * j);
                float d2 = d * scaleK(s0, s1, s2, 2 * j + 1);
                float m2 = dmin * minK(s0, s1, s2, 2 * j + 1);
                for (int l = 0; l < 32; l++) {
                    int packed = data.get(ValueLayout.JAVA_BYTE, off + 16 + 32 * j + l) & 0xFF;
                    out[o + 64 * j + l] = d1 * (packed & 0x0F) - m1;
                    out[o + 64 * j + 32 + l] = d2 * (packed >>> 4) - m2;
                }
            }
        }
    }

    @Override
    public float dotScalar(long row, float[] x, int xOffset) {
        long base = rowOffset(row);
        checkX(x, xOffset);
        MemorySegment data = this.data;
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Simd.f16(data, off);
            float dmin = Simd.f16(data, off + 2);
            int s0 = data.get(INT_LE, off + 4);
            int s1 = data.get(INT_LE, off + 8);
            int s2 = data.get(INT_LE, off + 12);
            int o = xOffset + b * 256;
            for (int j = 0; j < 4; j++) {
                float d1 = d * scaleK(s0, s1, s2, 2 * j);
                float m1 = dmin * minK(s0, s1, s2, 2 * j);
                float d2 = d * scaleK(s0, s1, s2, 2 * j + 1);
                float m2 = dmin * minK(s0, s1, s2, 2 * j + 1);
                for (int l = 0; l < 32; l++) {
                    int packed = data.get(ValueLayout.JAVA_BYTE, off + 16 + 32 * j + l) & 0xFF;
                    sum += (d1 * (packed & 0x0F) - m1) * x[o + 64 * j + l];
                    sum += (d2 * (packed >>> 4) - m2) * x[o + 64 * j + 32 + l];
                }
            }
        }
        return sum;
    }

    @Override
    public float dot(long row, float[] x, int xOffset) {
        long base = rowOffset(row);
        checkX(x, xOffset);
        MemorySegment data = this.data;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Simd.half(data.get(Simd.SHORT_LE, off));
            float dmin = Simd.half(data.get(Simd.SHORT_LE, off + 2));
            int s0 = data.get(INT_LE, off + 4);
            int s1 = data.get(INT_LE, off + 8);
            int s2 = data.get(INT_LE, off + 12);
            for (int j = 0; j < 4; j++) {
                FloatVector d1 = FloatVector.broadcast(F, d * scaleK(s0, s1, s2, 2 * j));
                FloatVector m1 = FloatVector.broadcast(F, -(dmin * minK(s0, s1, s2, 2 * j)));
                FloatVector d2 = FloatVector.broadcast(F, d * scaleK(s0, s1, s2, 2 * j + 1));
                FloatVector m2 = FloatVector.broadcast(F, -(dmin * minK(s0, s1, s2, 2 * j + 1)));
                long qs = off + 16 + 32 * j;
                int xi = xOffset + b * 256 + 64 * j;
                for (int half = 0; half < 2; half++) {
                    for (int p = 0; p < HALF_F_PARTS; p++) {
                        IntVector q = Simd.ubytesAsInts(data, qs + 16 * half, p);
                        int xo = xi + 16 * half + p * F_LANES;
                        FloatVector w0 = Simd.toFloats(q.and(0x0F)).fma(d1, m1);
                        FloatVector w1 = Simd.toFloats(q.lanewise(VectorOperators.LSHR, 4)).fma(d2, m2);
                        acc0 = w0.fma(FloatVector.fromArray(F, x, xo), acc0);
                        acc1 = w1.fma(FloatVector.fromArray(F, x, xo + 32), acc1);
                    }
                }
            }
        }
        return VectorOps.sumLanes(acc0.add(acc1));
    }

    @Override
    public void matmul(float[] x, float[] out, int rowStart, int rowEnd) {
        checkRange(rowStart, rowEnd, out.length);
        for (int r = rowStart; r < rowEnd; r++) {
            out[r] = dot(r, x, 0);
        }
    }
}

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
 * Q5_K weights: super-blocks of 256 as {@code fp16 d, fp16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]}
 * (176 bytes). Scales and mins as in Q4_K; in 64-element chunk j, element l (l < 32) is the low nibble of
 * qs[32j+l] plus bit 2j of qh[l] as bit 4, element 32+l the high nibble plus bit 2j+1,
 * {@code x = d·sc·q - dmin·m}.
 */
public final class Q5_KTensor extends WeightTensor {
    private static final int BLOCK_BYTES = 176;

    Q5_KTensor(String name, int cols, long rows, MemorySegment data) {
        super(name, GgmlType.Q5_K, cols, rows, data);
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
                float d1 = d * Q4_KTensor.scaleK(s0, s1, s2, 2 * j);
                float m1 = dmin * Q4_KTensor.minK(s0, s1, s2, 2 * j);
                float d2 = d * Q4_KTensor.scaleK(s0, s1, s2, 2 * j + 1);
                float m2 = dmin * Q4_KTensor.minK(s0, s1, s2, 2 * j + 1);
                for (int l = 0; l < 32; l++) {
                    int packed = data.get(ValueLayout.JAVA_BYTE, off + 48 + 32 * j + l) & 0xFF;
                    int high = data.get(ValueLayout.JAVA_BYTE, off + 16 + l) & 0xFF;
                    int q0 = (packed & 0x0F) + (((high >>> (2 * j)) & 1) << 4);
                    int q1 = (packed >>> 4) + (((high >>> (2 * j + 1)) & 1) << 4);
                    out[o + 64 * j + l] = d1 * q0 - m1;
                    out[o + 64 * j + 32 + l] = d2 * q1 - m2;
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
                float d1 = d * Q4_KTensor.scaleK(s0, s1, s2, 2 * j);
                float m1 = dmin * Q4_KTensor.minK(s0, s1, s2, 2 * j);
                float d2 = d * Q4_KTensor.scaleK(s0, s1, s2, 2 * j + 1);
                float m2 = dmin * Q4_KTensor.minK(s0, s1, s2, 2 * j + 1);
                for (int l = 0; l < 32; l++) {
                    int packed = data.get(ValueLayout.JAVA_BYTE, off + 48 + 32 * j + l) & 0xFF;
                    int high = data.get(ValueLayout.JAVA_BYTE, off + 16 + l) & 0xFF;
                    int q0 = (packed & 0x0F) + (((high >>> (2 * j)) & 1) << 4);
                    int q1 = (packed >>> 4) + (((high >>> (2 * j + 1)) & 1) << 4);
                    sum += (d1 * q0 - m1) * x[o + 64 * j + l];
                    sum += (d2 * q1 - m2) * x[o + 64 * j + 32 + l];
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
                FloatVector d1 = FloatVector.broadcast(F, d * Q4_KTensor.scaleK(s0, s1, s2, 2 * j));
                FloatVector m1 = FloatVector.broadcast(F, -(dmin * Q4_KTensor.minK(s0, s1, s2, 2 * j)));
                FloatVector d2 = FloatVector.broadcast(F, d * Q4_KTensor.scaleK(s0, s1, s2, 2 * j + 1));
                FloatVector m2 = FloatVector.broadcast(F, -(dmin * Q4_KTensor.minK(s0, s1, s2, 2 * j + 1)));
                long qs = off + 48 + 32 * j;
                int xi = xOffset + b * 256 + 64 * j;
                for (int half = 0; half < 2; half++) {
                    for (int p = 0; p < HALF_F_PARTS; p++) {
                        IntVector q = Simd.ubytesAsInts(data, qs + 16 * half, p);
                        IntVector high = Simd.ubytesAsInts(data, off + 16 + 16 * half, p);
                        IntVector q0 = q.and(0x0F)
                                .or(high.lanewise(VectorOperators.LSHR, 2 * j).and(1).lanewise(VectorOperators.LSHL, 4));
                        IntVector q1 = q.lanewise(VectorOperators.LSHR, 4)
                                .or(high.lanewise(VectorOperators.LSHR, 2 * j + 1).and(1)
                                        .lanewise(VectorOperators.LSHL, 4));
                        int xo = xi + 16 * half + p * F_LANES;
                        acc0 = Simd.toFloats(q0).fma(d1, m1).fma(FloatVector.fromArray(F, x, xo), acc0);
                        acc1 = Simd.toFloats(q1).fma(d2, m2).fma(FloatVector.fromArray(F, x, xo + 32), acc1);
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

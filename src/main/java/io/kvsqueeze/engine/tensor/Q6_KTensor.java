package io.kvsqueeze.engine.tensor;

import static io.kvsqueeze.engine.tensor.Simd.F;
import static io.kvsqueeze.engine.tensor.Simd.F_LANES;
import static io.kvsqueeze.engine.tensor.Simd.HALF_F_PARTS;

import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K weights: super-blocks of 256 as {@code u8 ql[128], u8 qh[64], i8 scales[16], fp16 d} (210 bytes). Each
 * 128-element half n uses ql[64n..], qh[32n..] and scales[8n..]: for l < 32, element l takes the low nibble of
 * ql[l] and bits 0-1 of qh[l], element l+32 the low nibble of ql[l+32] and bits 2-3, element l+64 the high
 * nibble of ql[l] and bits 4-5, element l+96 the high nibble of ql[l+32] and bits 6-7; {@code x = d·sc·(q - 32)}
 * with one int8 scale per 16 elements.
 */
public final class Q6_KTensor extends WeightTensor {
    private static final int BLOCK_BYTES = 210;

    Q6_KTensor(String name, int cols, long rows, MemorySegment data) {
        super(name, GgmlType.Q6_K, cols, rows, data);
    }

    @Override
    public void dequantizeRow(long row, float[] out, int outOffset) {
        long base = rowOffset(row);
        Objects.checkFromIndexSize(outOffset, cols, out.length);
        MemorySegment data = this.data;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Simd.f16(data, off + 208);
            for (int n = 0; n < 2; n++) {
                long ql = off + 64 * n;
                long qh = off + 128 + 32 * n;
                long sc = off + 192 + 8 * n;
                int o = outOffset + b * 256 + 128 * n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = data.get(ValueLayout.JAVA_BYTE, ql + l) & 0xFF;
                    int c = data.get(ValueLayout.JAVA_BYTE, ql + l + 32) & 0xFF;
                    int h = data.get(ValueLayout.JAVA_BYTE, qh + l) & 0xFF;
                    int q1 = ((a & 0x0F) | ((h & 3) << 4)) - 32;
                    int q2 = ((c & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((c >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    out[o + l] = d * data.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                    out[o + l + 32] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                    out[o + l + 64] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                    out[o + l + 96] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
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
            float d = Simd.f16(data, off + 208);
            for (int n = 0; n < 2; n++) {
                long ql = off + 64 * n;
                long qh = off + 128 + 32 * n;
                long sc = off + 192 + 8 * n;
                int o = xOffset + b * 256 + 128 * n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = data.get(ValueLayout.JAVA_BYTE, ql + l) & 0xFF;
                    int c = data.get(ValueLayout.JAVA_BYTE, ql + l + 32) & 0xFF;
                    int h = data.get(ValueLayout.JAVA_BYTE, qh + l) & 0xFF;
                    int q1 = ((a & 0x0F) | ((h & 3) << 4)) - 32;
                    int q2 = ((c & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((c >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    sum += d * data.get(ValueLayout.JAVA_BYTE, sc + is) * q1 * x[o + l];
                    sum += d * data.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2 * x[o + l + 32];
                    sum += d * data.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3 * x[o + l + 64];
                    sum += d * data.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4 * x[o + l + 96];
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
            float d = Simd.half(data.get(Simd.SHORT_LE, off + 208));
            for (int n = 0; n < 2; n++) {
                long ql = off + 64 * n;
                long qh = off + 128 + 32 * n;
                long sc = off + 192 + 8 * n;
                int xi = xOffset + b * 256 + 128 * n;
                for (int half = 0; half < 2; half++) {
                    // One int8 scale per 16 elements: elements 16·half.. of each 32-element quarter.
                    FloatVector s1 = FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, sc + half));
                    FloatVector s2 = FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, sc + half + 2));
                    FloatVector s3 = FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, sc + half + 4));
                    FloatVector s4 = FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, sc + half + 6));
                    for (int p = 0; p < HALF_F_PARTS; p++) {
                        IntVector a = Simd.ubytesAsInts(data, ql + 16 * half, p);
                        IntVector c = Simd.ubytesAsInts(data, ql + 32 + 16 * half, p);
                        IntVector h = Simd.ubytesAsInts(data, qh + 16 * half, p);
                        IntVector q1 = a.and(0x0F).or(h.and(0x03).lanewise(VectorOperators.LSHL, 4)).sub(32);
                        IntVector q2 = c.and(0x0F).or(h.and(0x0C).lanewise(VectorOperators.LSHL, 2)).sub(32);
                        IntVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(h.and(0x30)).sub(32);
                        IntVector q4 = c.lanewise(VectorOperators.LSHR, 4)
                                .or(h.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                        int xo = xi + 16 * half + p * F_LANES;
                        acc0 = Simd.toFloats(q1).mul(s1).fma(FloatVector.fromArray(F, x, xo), acc0);
                        acc1 = Simd.toFloats(q2).mul(s2).fma(FloatVector.fromArray(F, x, xo + 32), acc1);
                        acc0 = Simd.toFloats(q3).mul(s3).fma(FloatVector.fromArray(F, x, xo + 64), acc0);
                        acc1 = Simd.toFloats(q4).mul(s4).fma(FloatVector.fromArray(F, x, xo + 96), acc1);
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

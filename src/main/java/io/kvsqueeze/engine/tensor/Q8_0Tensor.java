package io.kvsqueeze.engine.tensor;

import static io.kvsqueeze.engine.tensor.Simd.F;
import static io.kvsqueeze.engine.tensor.Simd.F_LANES;
import static io.kvsqueeze.engine.tensor.Simd.HALF_F_PARTS;
import static io.kvsqueeze.engine.tensor.Simd.S;
import static io.kvsqueeze.engine.tensor.Simd.SHORT_LE;
import static io.kvsqueeze.engine.tensor.Simd.S_LANES;
import static io.kvsqueeze.engine.tensor.Simd.S_PARTS;

import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

/**
 * Q8_0 weights: blocks of 32 as {@code fp16 d, int8 qs[32]} (34 bytes), {@code x[j] = qs[j]·d}.
 * Integer path against Q8_0 activations: {@code Σ_blocks (d·d8)·Σ qs·q8}.
 */
public final class Q8_0Tensor extends WeightTensor {
    private static final int BLOCK_BYTES = 34;

    Q8_0Tensor(String name, int cols, long rows, MemorySegment data) {
        super(name, GgmlType.Q8_0, cols, rows, data);
    }

    @Override
    public void dequantizeRow(long row, float[] out, int outOffset) {
        long base = rowOffset(row);
        Objects.checkFromIndexSize(outOffset, cols, out.length);
        MemorySegment data = this.data;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Simd.f16(data, off);
            int o = outOffset + b * 32;
            for (int j = 0; j < 32; j++) {
                out[o + j] = data.get(ValueLayout.JAVA_BYTE, off + 2 + j) * d;
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
            int o = xOffset + b * 32;
            for (int j = 0; j < 32; j++) {
                sum += data.get(ValueLayout.JAVA_BYTE, off + 2 + j) * d * x[o + j];
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
        int b = 0;
        for (; b + 2 <= blocks; b += 2) {
            long off = base + (long) b * BLOCK_BYTES;
            int xi = xOffset + b * 32;
            acc0 = blockDot(data, off, x, xi, acc0);
            acc1 = blockDot(data, off + BLOCK_BYTES, x, xi + 32, acc1);
        }
        if (b < blocks) {
            acc0 = blockDot(data, base + (long) b * BLOCK_BYTES, x, xOffset + b * 32, acc0);
        }
        return VectorOps.sumLanes(acc0.add(acc1));
    }

    /** acc + d · Σ_j qs[j]·x[xi+j] for the block at {@code off}. */
    private static FloatVector blockDot(MemorySegment data, long off, float[] x, int xi, FloatVector acc) {
        FloatVector sum = FloatVector.zero(F);
        for (int p = 0; p < HALF_F_PARTS; p++) {
            int xo = xi + p * F_LANES;
            sum = Simd.bytesAsFloats(data, off + 2, p).fma(FloatVector.fromArray(F, x, xo), sum);
            sum = Simd.bytesAsFloats(data, off + 18, p).fma(FloatVector.fromArray(F, x, xo + 16), sum);
        }
        return sum.fma(FloatVector.broadcast(F, Simd.half(data.get(SHORT_LE, off))), acc);
    }

    @Override
    public void matmul(float[] x, float[] out, int rowStart, int rowEnd) {
        checkRange(rowStart, rowEnd, out.length);
        for (int r = rowStart; r < rowEnd; r++) {
            out[r] = dot(r, x, 0);
        }
    }

    // ---- int8 activations ------------------------------------------------------------------------------

    @Override
    public boolean supportsQ8() {
        return true;
    }

    @Override
    public float dotQ8(long row, Q8Activations a) {
        checkQ8(a);
        return dotQ8At(rowOffset(row), a);
    }

    private float dotQ8At(long base, Q8Activations a) {
        MemorySegment data = this.data;
        short[] q = a.q16;
        float[] d8 = a.d112;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int b = 0;
        for (; b + 2 <= blocks; b += 2) {
            long off0 = base + (long) b * BLOCK_BYTES;
            long off1 = off0 + BLOCK_BYTES;
            float scale0 = Simd.half112(data.get(SHORT_LE, off0)) * d8[b];
            float scale1 = Simd.half112(data.get(SHORT_LE, off1)) * d8[b + 1];
            acc0 = blockQ8(data, off0, q, b * 32, scale0, acc0);
            acc1 = blockQ8(data, off1, q, b * 32 + 32, scale1, acc1);
        }
        if (b < blocks) {
            long off = base + (long) b * BLOCK_BYTES;
            acc0 = blockQ8(data, off, q, b * 32, Simd.half112(data.get(SHORT_LE, off)) * d8[b], acc0);
        }
        return VectorOps.sumLanes(acc0.add(acc1));
    }

    /** acc + scale · Σ_j qs[j]·q8[qi+j] for the block at {@code off}; scale = d·d8. */
    private static FloatVector blockQ8(MemorySegment data, long off, short[] q, int qi, float scale,
                                       FloatVector acc) {
        FloatVector scaleV = FloatVector.broadcast(F, scale);
        for (int h = 0; h < S_PARTS; h++) {
            int qo = qi + h * S_LANES;
            // |qs·q8| <= 128·127, so the sum of two products still fits a short.
            ShortVector p = Simd.mulAdd(Simd.bytesAsShorts(data, off + 2, h), ShortVector.fromArray(S, q, qo),
                    Simd.bytesAsShorts(data, off + 18, h), ShortVector.fromArray(S, q, qo + 16));
            acc = Simd.fmaShorts(p, scaleV, acc);
        }
        return acc;
    }

    @Override
    public void matmulQ8(Q8Activations a, float[] out, int rowStart, int rowEnd) {
        checkQ8(a);
        checkRange(rowStart, rowEnd, out.length);
        int half = (rowEnd - rowStart) / 2;
        for (int r = rowStart; r < rowStart + half; r++) {
            rows2(a, out, r, r + half);
        }
        if (((rowEnd - rowStart) & 1) != 0) {
            out[rowEnd - 1] = dotQ8At((rowEnd - 1) * rowBytes, a);
        }
    }

    /** out[r], out[r1] for one token; each block's activation vectors are loaded once for both rows. */
    private void rows2(Q8Activations a, float[] out, int r, int r1) {
        MemorySegment data = this.data;
        long o0 = r * rowBytes;
        long o1 = r1 * rowBytes;
        short[] q = a.q16;
        float[] d8 = a.d112;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long bo = (long) b * BLOCK_BYTES;
            float db = d8[b];
            FloatVector scale0 = FloatVector.broadcast(F, Simd.half112(data.get(SHORT_LE, o0 + bo)) * db);
            FloatVector scale1 = FloatVector.broadcast(F, Simd.half112(data.get(SHORT_LE, o1 + bo)) * db);
            for (int h = 0; h < S_PARTS; h++) {
                int qo = b * 32 + h * S_LANES;
                ShortVector a0 = ShortVector.fromArray(S, q, qo);
                ShortVector a1 = ShortVector.fromArray(S, q, qo + 16);
                acc0 = Simd.fmaShorts(Simd.mulAdd(Simd.bytesAsShorts(data, o0 + bo + 2, h), a0,
                        Simd.bytesAsShorts(data, o0 + bo + 18, h), a1), scale0, acc0);
                acc1 = Simd.fmaShorts(Simd.mulAdd(Simd.bytesAsShorts(data, o1 + bo + 2, h), a0,
                        Simd.bytesAsShorts(data, o1 + bo + 18, h), a1), scale1, acc1);
            }
        }
        out[r] = VectorOps.sumLanes(acc0);
        out[r1] = VectorOps.sumLanes(acc1);
    }

    @Override
    public void matmulQ8Batch(Q8Activations[] a, int tokens, float[][] out, int rowStart, int rowEnd) {
        checkBatch(a, tokens, out, rowStart, rowEnd);
        // Rows paired as in matmulQ8, so every output equals the per-token matmulQ8 bit for bit.
        int half = (rowEnd - rowStart) / 2;
        for (int r = rowStart; r < rowStart + half; r++) {
            // The two rows (2 x rowBytes) stay in L1 while every token pair streams past them.
            int t = 0;
            for (; t + 2 <= tokens; t += 2) {
                tile2x2(a[t], a[t + 1], out[t], out[t + 1], r, r + half);
            }
            if (t < tokens) {
                rows2(a[t], out[t], r, r + half);
            }
        }
        if (((rowEnd - rowStart) & 1) != 0) {
            long base = (rowEnd - 1) * rowBytes;
            for (int t = 0; t < tokens; t++) {
                out[t][rowEnd - 1] = dotQ8At(base, a[t]);
            }
        }
    }

    /** Rows r, r1 × two tokens: each weight block is decoded once for both tokens. */
    private void tile2x2(Q8Activations x0, Q8Activations x1, float[] out0, float[] out1, int r, int r1) {
        MemorySegment data = this.data;
        long o0 = r * rowBytes;
        long o1 = r1 * rowBytes;
        short[] q0 = x0.q16;
        short[] q1 = x1.q16;
        float[] d80 = x0.d112;
        float[] d81 = x1.d112;
        FloatVector acc00 = FloatVector.zero(F);
        FloatVector acc10 = FloatVector.zero(F);
        FloatVector acc01 = FloatVector.zero(F);
        FloatVector acc11 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long bo = (long) b * BLOCK_BYTES;
            float d0 = Simd.half112(data.get(SHORT_LE, o0 + bo));
            float d1 = Simd.half112(data.get(SHORT_LE, o1 + bo));
            float db0 = d80[b];
            float db1 = d81[b];
            for (int h = 0; h < S_PARTS; h++) {
                int qo = b * 32 + h * S_LANES;
                ShortVector lo0 = Simd.bytesAsShorts(data, o0 + bo + 2, h);
                ShortVector hi0 = Simd.bytesAsShorts(data, o0 + bo + 18, h);
                ShortVector lo1 = Simd.bytesAsShorts(data, o1 + bo + 2, h);
                ShortVector hi1 = Simd.bytesAsShorts(data, o1 + bo + 18, h);
                ShortVector a00 = ShortVector.fromArray(S, q0, qo);
                ShortVector a10 = ShortVector.fromArray(S, q0, qo + 16);
                ShortVector a01 = ShortVector.fromArray(S, q1, qo);
                ShortVector a11 = ShortVector.fromArray(S, q1, qo + 16);
                acc00 = Simd.fmaShorts(Simd.mulAdd(lo0, a00, hi0, a10), FloatVector.broadcast(F, d0 * db0), acc00);
                acc10 = Simd.fmaShorts(Simd.mulAdd(lo1, a00, hi1, a10), FloatVector.broadcast(F, d1 * db0), acc10);
                acc01 = Simd.fmaShorts(Simd.mulAdd(lo0, a01, hi0, a11), FloatVector.broadcast(F, d0 * db1), acc01);
                acc11 = Simd.fmaShorts(Simd.mulAdd(lo1, a01, hi1, a11), FloatVector.broadcast(F, d1 * db1), acc11);
            }
        }
        out0[r] = VectorOps.sumLanes(acc00);
        out0[r1] = VectorOps.sumLanes(acc10);
        out1[r] = VectorOps.sumLanes(acc01);
        out1[r1] = VectorOps.sumLanes(acc11);
    }
}

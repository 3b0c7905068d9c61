package io.kvsqueeze.engine.tensor;

import static io.kvsqueeze.engine.tensor.Simd.F;
import static io.kvsqueeze.engine.tensor.Simd.F_LANES;
import static io.kvsqueeze.engine.tensor.Simd.HALF_F_PARTS;
import static io.kvsqueeze.engine.tensor.Simd.INT_LE;
import static io.kvsqueeze.engine.tensor.Simd.S;
import static io.kvsqueeze.engine.tensor.Simd.S_LANES;
import static io.kvsqueeze.engine.tensor.Simd.S_PARTS;

import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_1 weights: blocks of 32 as {@code fp16 d, fp16 m, u8 qs[16]} (20 bytes); byte j holds element j in its
 * low nibble and element j+16 in its high nibble, {@code x = q·d + m}.
 * Integer path against Q8_1 activations: {@code Σ_blocks (d·d8)·Σ q·q8 + m·s8}.
 */
public final class Q4_1Tensor extends WeightTensor {
    private static final int BLOCK_BYTES = 20;

    Q4_1Tensor(String name, int cols, long rows, MemorySegment data) {
        super(name, GgmlType.Q4_1, cols, rows, data);
    }

    @Override
    public void dequantizeRow(long row, float[] out, int outOffset) {
        long base = rowOffset(row);
        Objects.checkFromIndexSize(outOffset, cols, out.length);
        MemorySegment data = this.data;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Simd.f16(data, off);
            float m = Simd.f16(data, off + 2);
            int o = outOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int packed = data.get(ValueLayout.JAVA_BYTE, off + 4 + j) & 0xFF;
                out[o + j] = (packed & 0x0F) * d + m;
                out[o + j + 16] = (packed >>> 4) * d + m;
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
            float m = Simd.f16(data, off + 2);
            int o = xOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int packed = data.get(ValueLayout.JAVA_BYTE, off + 4 + j) & 0xFF;
                sum += ((packed & 0x0F) * d + m) * x[o + j];
                sum += ((packed >>> 4) * d + m) * x[o + j + 16];
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
            int dm = data.get(INT_LE, off);
            boolean finite = Simd.finitePair(dm);
            FloatVector d = FloatVector.broadcast(F, Simd.half112((short) dm, finite) * 0x1p112f);
            FloatVector m = FloatVector.broadcast(F, Simd.half112((short) (dm >>> 16), finite) * 0x1p112f);
            int xi = xOffset + b * 32;
            for (int p = 0; p < HALF_F_PARTS; p++) {
                IntVector q = Simd.ubytesAsInts(data, off + 4, p);
                int xo = xi + p * F_LANES;
                FloatVector w0 = Simd.toFloats(q.and(0x0F)).fma(d, m);
                FloatVector w1 = Simd.toFloats(q.lanewise(VectorOperators.LSHR, 4)).fma(d, m);
                acc0 = w0.fma(FloatVector.fromArray(F, x, xo), acc0);
                acc1 = w1.fma(FloatVector.fromArray(F, x, xo + 16), acc1);
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
        float[] s8 = a.s112;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        float min0 = 0f;
        float min1 = 0f;
        int b = 0;
        for (; b + 2 <= blocks; b += 2) {
            long off0 = base + (long) b * BLOCK_BYTES;
            long off1 = off0 + BLOCK_BYTES;
            int dm0 = data.get(INT_LE, off0);
            int dm1 = data.get(INT_LE, off1);
            boolean finite0 = Simd.finitePair(dm0);
            boolean finite1 = Simd.finitePair(dm1);
            min0 += Simd.half112((short) (dm0 >>> 16), finite0) * s8[b];
            min1 += Simd.half112((short) (dm1 >>> 16), finite1) * s8[b + 1];
            acc0 = blockQ8(data, off0, q, b * 32, Simd.half112((short) dm0, finite0) * d8[b], acc0);
            acc1 = blockQ8(data, off1, q, b * 32 + 32, Simd.half112((short) dm1, finite1) * d8[b + 1], acc1);
        }
        if (b < blocks) {
            long off = base + (long) b * BLOCK_BYTES;
            int dm = data.get(INT_LE, off);
            boolean finite = Simd.finitePair(dm);
            min0 += Simd.half112((short) (dm >>> 16), finite) * s8[b];
            acc0 = blockQ8(data, off, q, b * 32, Simd.half112((short) dm, finite) * d8[b], acc0);
        }
        return VectorOps.sumLanes(acc0.add(acc1)) + (min0 + min1);
    }

    /** acc + scale · Σ_j q[j]·q8[qi+j] for the block at {@code off}; scale = d·d8. */
    private static FloatVector blockQ8(MemorySegment data, long off, short[] q, int qi, float scale,
                                       FloatVector acc) {
        FloatVector scaleV = FloatVector.broadcast(F, scale);
        for (int h = 0; h < S_PARTS; h++) {
            int qo = qi + h * S_LANES;
            ShortVector w = Simd.ubytesAsShorts(data, off + 4, h);
            ShortVector p = Simd.mulAdd(w.and(Simd.LOW_NIBBLE), ShortVector.fromArray(S, q, qo),
                    w.lanewise(VectorOperators.LSHR, 4), ShortVector.fromArray(S, q, qo + 16));
            acc = Simd.fmaShorts(p, scaleV, acc);
        }
        return acc;
    }

    @Override
    public void matmulQ8(Q8Activations a, float[] out, int rowStart, int rowEnd) {
        checkQ8(a);
        checkRange(rowStart, rowEnd, out.length);
        // Row r pairs with row r + half: two sequential streams the prefetchers follow, where adjacent rows
        // (one interleaved stream 1 row apart) halved the bandwidth on matrices larger than the L2.
        int half = (rowEnd - rowStart) / 2;
        for (int r = rowStart; r < rowStart + half; r++) {
            rows2(a, out, r, r + half);
        }
        if (((rowEnd - rowStart) & 1) != 0) {
            out[rowEnd - 1] = dotQ8At((rowEnd - 1) * rowBytes, a);
        }
    }

    /**
     * out[r], out[r1] for one token; each block's activation vectors are loaded once for both rows. Two rows,
     * not four: C2 stops inlining Vector API calls past ~18000 parse nodes (NodeCountInliningCutoff, fixed in
     * product JVMs), which four rows of this body exceed, and every vector would then be boxed.
     */
    private void rows2(Q8Activations a, float[] out, int r, int r1) {
        MemorySegment data = this.data;
        long o0 = r * rowBytes;
        long o1 = r1 * rowBytes;
        short[] q = a.q16;
        float[] d8 = a.d112;
        float[] s8 = a.s112;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        float min0 = 0f;
        float min1 = 0f;
        for (int b = 0; b < blocks; b++) {
            long bo = (long) b * BLOCK_BYTES;
            float db = d8[b];
            float sb = s8[b];
            int dm0 = data.get(INT_LE, o0 + bo);
            int dm1 = data.get(INT_LE, o1 + bo);
            boolean finite0 = Simd.finitePair(dm0);
            boolean finite1 = Simd.finitePair(dm1);
            min0 += Simd.half112((short) (dm0 >>> 16), finite0) * sb;
            min1 += Simd.half112((short) (dm1 >>> 16), finite1) * sb;
            FloatVector scale0 = FloatVector.broadcast(F, Simd.half112((short) dm0, finite0) * db);
            FloatVector scale1 = FloatVector.broadcast(F, Simd.half112((short) dm1, finite1) * db);
            for (int h = 0; h < S_PARTS; h++) {
                int qo = b * 32 + h * S_LANES;
                ShortVector a0 = ShortVector.fromArray(S, q, qo);
                ShortVector a1 = ShortVector.fromArray(S, q, qo + 16);
                ShortVector w0 = Simd.ubytesAsShorts(data, o0 + bo + 4, h);
                ShortVector w1 = Simd.ubytesAsShorts(data, o1 + bo + 4, h);
                acc0 = Simd.fmaShorts(Simd.mulAdd(w0.and(Simd.LOW_NIBBLE), a0,
                        w0.lanewise(VectorOperators.LSHR, 4), a1), scale0, acc0);
                acc1 = Simd.fmaShorts(Simd.mulAdd(w1.and(Simd.LOW_NIBBLE), a0,
                        w1.lanewise(VectorOperators.LSHR, 4), a1), scale1, acc1);
            }
        }
        out[r] = VectorOps.sumLanes(acc0) + min0;
        out[r1] = VectorOps.sumLanes(acc1) + min1;
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
        float[] s80 = x0.s112;
        float[] s81 = x1.s112;
        FloatVector acc00 = FloatVector.zero(F);
        FloatVector acc10 = FloatVector.zero(F);
        FloatVector acc01 = FloatVector.zero(F);
        FloatVector acc11 = FloatVector.zero(F);
        float min00 = 0f;
        float min10 = 0f;
        float min01 = 0f;
        float min11 = 0f;
        for (int b = 0; b < blocks; b++) {
            long bo = (long) b * BLOCK_BYTES;
            int dm0 = data.get(INT_LE, o0 + bo);
            int dm1 = data.get(INT_LE, o1 + bo);
            boolean finite0 = Simd.finitePair(dm0);
            boolean finite1 = Simd.finitePair(dm1);
            float d0 = Simd.half112((short) dm0, finite0);
            float d1 = Simd.half112((short) dm1, finite1);
            float m0 = Simd.half112((short) (dm0 >>> 16), finite0);
            float m1 = Simd.half112((short) (dm1 >>> 16), finite1);
            min00 += m0 * s80[b];
            min10 += m1 * s80[b];
            min01 += m0 * s81[b];
            min11 += m1 * s81[b];
            float db0 = d80[b];
            float db1 = d81[b];
            for (int h = 0; h < S_PARTS; h++) {
                int qo = b * 32 + h * S_LANES;
                ShortVector w0 = Simd.ubytesAsShorts(data, o0 + bo + 4, h);
                ShortVector w1 = Simd.ubytesAsShorts(data, o1 + bo + 4, h);
                ShortVector lo0 = w0.and(Simd.LOW_NIBBLE);
                ShortVector hi0 = w0.lanewise(VectorOperators.LSHR, 4);
                ShortVector lo1 = w1.and(Simd.LOW_NIBBLE);
                ShortVector hi1 = w1.lanewise(VectorOperators.LSHR, 4);
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
        if (F_LANES == 16) {
            // VectorOps.sumLanes written out: this method is past C2's inlining node budget, where a call
            // taking a vector would box it, while the JDK's own vector methods are still inlined.
            FloatVector s00 = acc00.add(acc00.rearrange(VectorOps.FOLD_16_8));
            FloatVector s10 = acc10.add(acc10.rearrange(VectorOps.FOLD_16_8));
            FloatVector s01 = acc01.add(acc01.rearrange(VectorOps.FOLD_16_8));
            FloatVector s11 = acc11.add(acc11.rearrange(VectorOps.FOLD_16_8));
            s00 = s00.add(s00.rearrange(VectorOps.FOLD_16_4));
            s10 = s10.add(s10.rearrange(VectorOps.FOLD_16_4));
            s01 = s01.add(s01.rearrange(VectorOps.FOLD_16_4));
            s11 = s11.add(s11.rearrange(VectorOps.FOLD_16_4));
            s00 = s00.add(s00.rearrange(VectorOps.FOLD_16_2));
            s10 = s10.add(s10.rearrange(VectorOps.FOLD_16_2));
            s01 = s01.add(s01.rearrange(VectorOps.FOLD_16_2));
            s11 = s11.add(s11.rearrange(VectorOps.FOLD_16_2));
            out0[r] = s00.add(s00.rearrange(VectorOps.FOLD_16_1)).lane(0) + min00;
            out0[r1] = s10.add(s10.rearrange(VectorOps.FOLD_16_1)).lane(0) + min10;
            out1[r] = s01.add(s01.rearrange(VectorOps.FOLD_16_1)).lane(0) + min01;
            out1[r1] = s11.add(s11.rearrange(VectorOps.FOLD_16_1)).lane(0) + min11;
        } else {
            out0[r] = VectorOps.sumLanes(acc00) + min00;
            out0[r1] = VectorOps.sumLanes(acc10) + min10;
            out1[r] = VectorOps.sumLanes(acc01) + min01;
            out1[r1] = VectorOps.sumLanes(acc11) + min11;
        }
    }
}

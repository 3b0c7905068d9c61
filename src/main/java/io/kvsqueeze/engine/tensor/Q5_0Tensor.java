package io.kvsqueeze.engine.tensor;

import static io.kvsqueeze.engine.tensor.Simd.F;
import static io.kvsqueeze.engine.tensor.Simd.F_LANES;
import static io.kvsqueeze.engine.tensor.Simd.HALF_F_PARTS;
import static io.kvsqueeze.engine.tensor.Simd.INT_LE;
import static io.kvsqueeze.engine.tensor.Simd.LONG_LE;
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
 * Q5_0 weights: blocks of 32 as {@code fp16 d, u32 qh, u8 qs[16]} (22 bytes); element j (j < 16) is the low
 * nibble of qs[j] plus bit j of qh as bit 4, element j+16 the high nibble plus bit j+16,
 * {@code x = (q - 16)·d}. Integer path against Q8_0 activations: {@code Σ_blocks (d·d8)·Σ (q-16)·q8}.
 */
public final class Q5_0Tensor extends WeightTensor {
    private static final int BLOCK_BYTES = 22;

    Q5_0Tensor(String name, int cols, long rows, MemorySegment data) {
        super(name, GgmlType.Q5_0, cols, rows, data);
    }

    @Override
    public void dequantizeRow(long row, float[] out, int outOffset) {
        long base = rowOffset(row);
        Objects.checkFromIndexSize(outOffset, cols, out.length);
        MemorySegment data = this.data;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Simd.f16(data, off);
            int qh = data.get(INT_LE, off + 2);
            int o = outOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int packed = data.get(ValueLayout.JAVA_BYTE, off + 6 + j) & 0xFF;
                int x0 = ((packed & 0x0F) | (((qh >>> j) << 4) & 0x10)) - 16;
                int x1 = ((packed >>> 4) | ((qh >>> (j + 12)) & 0x10)) - 16;
                out[o + j] = x0 * d;
                out[o + j + 16] = x1 * d;
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
            int qh = data.get(INT_LE, off + 2);
            int o = xOffset + b * 32;
            for (int j = 0; j < 16; j++) {
                int packed = data.get(ValueLayout.JAVA_BYTE, off + 6 + j) & 0xFF;
                int x0 = ((packed & 0x0F) | (((qh >>> j) << 4) & 0x10)) - 16;
                int x1 = ((packed >>> 4) | ((qh >>> (j + 12)) & 0x10)) - 16;
                sum += x0 * d * x[o + j];
                sum += x1 * d * x[o + j + 16];
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

    /** acc + d · Σ_j (q[j]-16)·x[xi+j] for the block at {@code off}. */
    private static FloatVector blockDot(MemorySegment data, long off, float[] x, int xi, FloatVector acc) {
        long header = data.get(LONG_LE, off);
        int qh = (int) (header >>> 16);
        FloatVector sum = FloatVector.zero(F);
        for (int p = 0; p < HALF_F_PARTS; p++) {
            IntVector q = Simd.ubytesAsInts(data, off + 6, p);
            IntVector lo = q.and(0x0F).lanewise(VectorOperators.OR, 0x10, Simd.intBitMask(qh, p)).sub(16);
            IntVector hi = q.lanewise(VectorOperators.LSHR, 4)
                    .lanewise(VectorOperators.OR, 0x10, Simd.intBitMask(qh >>> 16, p)).sub(16);
            int xo = xi + p * F_LANES;
            sum = Simd.toFloats(lo).fma(FloatVector.fromArray(F, x, xo), sum);
            sum = Simd.toFloats(hi).fma(FloatVector.fromArray(F, x, xo + 16), sum);
        }
        return sum.fma(FloatVector.broadcast(F, Simd.half((short) header)), acc);
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
            acc0 = blockQ8(data, off0, q, b * 32, d8[b], acc0);
            acc1 = blockQ8(data, off1, q, b * 32 + 32, d8[b + 1], acc1);
        }
        if (b < blocks) {
            acc0 = blockQ8(data, base + (long) b * BLOCK_BYTES, q, b * 32, d8[b], acc0);
        }
        return VectorOps.sumLanes(acc0.add(acc1));
    }

    /** acc + d·d8 · Σ_j (q[j]-16)·q8[qi+j] for the block at {@code off}; d8 pre-scaled by 2^112. */
    private static FloatVector blockQ8(MemorySegment data, long off, short[] q, int qi, float d8,
                                       FloatVector acc) {
        long header = data.get(LONG_LE, off);
        int qh = (int) (header >>> 16);
        FloatVector scaleV = FloatVector.broadcast(F, Simd.half112((short) header) * d8);
        for (int h = 0; h < S_PARTS; h++) {
            int qo = qi + h * S_LANES;
            ShortVector w = Simd.ubytesAsShorts(data, off + 6, h);
            ShortVector p = Simd.mulAdd(lo(w, qh, h), ShortVector.fromArray(S, q, qo),
                    hi(w, qh, h), ShortVector.fromArray(S, q, qo + 16));
            acc = Simd.fmaShorts(p, scaleV, acc);
        }
        return acc;
    }

    /** Elements j: low nibble, bit j of qh as bit 4, minus 16 (16·127·2 fits a short). */
    private static ShortVector lo(ShortVector packed, int qh, int part) {
        return packed.and(Simd.LOW_NIBBLE)
                .lanewise(VectorOperators.OR, (short) 0x10, Simd.shortBitMask(qh, part)).sub(Simd.SIXTEEN);
    }

    /** Elements j+16: high nibble, bit j+16 of qh as bit 4, minus 16. */
    private static ShortVector hi(ShortVector packed, int qh, int part) {
        return packed.lanewise(VectorOperators.LSHR, 4)
                .lanewise(VectorOperators.OR, (short) 0x10, Simd.shortBitMask(qh >>> 16, part))
                .sub(Simd.SIXTEEN);
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
            long header0 = data.get(LONG_LE, o0 + bo);
            long header1 = data.get(LONG_LE, o1 + bo);
            int qh0 = (int) (header0 >>> 16);
            int qh1 = (int) (header1 >>> 16);
            FloatVector scale0 = FloatVector.broadcast(F, Simd.half112((short) header0) * db);
            FloatVector scale1 = FloatVector.broadcast(F, Simd.half112((short) header1) * db);
            for (int h = 0; h < S_PARTS; h++) {
                int qo = b * 32 + h * S_LANES;
                ShortVector a0 = ShortVector.fromArray(S, q, qo);
                ShortVector a1 = ShortVector.fromArray(S, q, qo + 16);
                ShortVector w0 = Simd.ubytesAsShorts(data, o0 + bo + 6, h);
                ShortVector w1 = Simd.ubytesAsShorts(data, o1 + bo + 6, h);
                acc0 = Simd.fmaShorts(Simd.mulAdd(lo(w0, qh0, h), a0, hi(w0, qh0, h), a1), scale0, acc0);
                acc1 = Simd.fmaShorts(Simd.mulAdd(lo(w1, qh1, h), a0, hi(w1, qh1, h), a1), scale1, acc1);
            }
        }
        out[r] = VectorOps.sumLanes(acc0);
        out[r1] = VectorOps.sumLanes(acc1);
    }

    /**
     * Row pairs per token: the Q5 decode (masks for the fifth bit) makes a 2 rows × 2 tokens tile exceed C2's
     * inlining budget, so the batch reuses each decoded weight block from L1 instead of from registers.
     */
    @Override
    public void matmulQ8Batch(Q8Activations[] a, int tokens, float[][] out, int rowStart, int rowEnd) {
        checkBatch(a, tokens, out, rowStart, rowEnd);
        int half = (rowEnd - rowStart) / 2;
        for (int r = rowStart; r < rowStart + half; r++) {
            for (int t = 0; t < tokens; t++) {
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
}

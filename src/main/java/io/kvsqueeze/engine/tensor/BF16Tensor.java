package io.kvsqueeze.engine.tensor;

import static io.kvsqueeze.engine.tensor.Simd.F;
import static io.kvsqueeze.engine.tensor.Simd.F_LANES;
import static io.kvsqueeze.engine.tensor.Simd.H;
import static io.kvsqueeze.engine.tensor.Simd.LE;
import static io.kvsqueeze.engine.tensor.Simd.SHORT_LE;

import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

/** bfloat16 weights: 2 bytes per element, the upper half of a float. */
public final class BF16Tensor extends WeightTensor {
    BF16Tensor(String name, int cols, long rows, MemorySegment data) {
        super(name, GgmlType.BF16, cols, rows, data);
    }

    @Override
    public void dequantizeRow(long row, float[] out, int outOffset) {
        long base = rowOffset(row);
        java.util.Objects.checkFromIndexSize(outOffset, cols, out.length);
        MemorySegment data = this.data;
        for (int i = 0; i < cols; i++) {
            out[outOffset + i] = bf16(data.get(SHORT_LE, base + 2L * i));
        }
    }

    @Override
    public float dotScalar(long row, float[] x, int xOffset) {
        long base = rowOffset(row);
        checkX(x, xOffset);
        MemorySegment data = this.data;
        float sum = 0f;
        for (int i = 0; i < cols; i++) {
            sum += bf16(data.get(SHORT_LE, base + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public float dot(long row, float[] x, int xOffset) {
        long base = rowOffset(row);
        checkX(x, xOffset);
        MemorySegment data = this.data;
        int cols = this.cols;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int i = 0;
        for (int upper = cols - 4 * F_LANES; i <= upper; i += 4 * F_LANES) {
            long o = base + 2L * i;
            acc0 = Simd.bf16ToFloat(ShortVector.fromMemorySegment(H, data, o, LE))
                    .fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = Simd.bf16ToFloat(ShortVector.fromMemorySegment(H, data, o + 2L * F_LANES, LE))
                    .fma(FloatVector.fromArray(F, x, xOffset + i + F_LANES), acc1);
            acc2 = Simd.bf16ToFloat(ShortVector.fromMemorySegment(H, data, o + 4L * F_LANES, LE))
                    .fma(FloatVector.fromArray(F, x, xOffset + i + 2 * F_LANES), acc2);
            acc3 = Simd.bf16ToFloat(ShortVector.fromMemorySegment(H, data, o + 6L * F_LANES, LE))
                    .fma(FloatVector.fromArray(F, x, xOffset + i + 3 * F_LANES), acc3);
        }
        for (int upper = cols - F_LANES; i <= upper; i += F_LANES) {
            acc0 = Simd.bf16ToFloat(ShortVector.fromMemorySegment(H, data, base + 2L * i, LE))
                    .fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = VectorOps.sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < cols; i++) {
            sum += bf16(data.get(SHORT_LE, base + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public void matmul(float[] x, float[] out, int rowStart, int rowEnd) {
        checkRange(rowStart, rowEnd, out.length);
        for (int r = rowStart; r < rowEnd; r++) {
            out[r] = dot(r, x, 0);
        }
    }

    /** bf16 bits → float: the bits are the upper 16 bits of the float. */
    static float bf16(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }
}

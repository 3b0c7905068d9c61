package io.kvsqueeze.engine.kv;

import io.kvsqueeze.engine.cpu.VectorOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels with one operand stored as IEEE half-precision bits: {@link #widen} (used by the paged store's
 * score kernel) and an axpy that widens the halves to float in registers and then does exactly what
 * {@code VectorOps.axpy} does (same species, same lane-wise fma, same scalar tail), so a head stored in F16
 * gives bit-identical results to the same already-half-rounded values stored in F32.
 *
 * <p>The Vector API has no half-to-float conversion, so it is done with integer operations: shift the 15
 * exponent-and-significand bits into a float's place and multiply by 2^112, which rebases the exponent bias
 * from 15 to 127 and normalises subnormal halves exactly; infinities and NaNs get an all-ones exponent; the
 * sign bit is put back last. The result equals {@link Float#float16ToFloat} for every half.
 */
final class HalfKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    private HalfKernels() {
    }

    /** {@code F.length()} halves from {@code halves[offset..]}, widened to float. */
    static FloatVector widen(short[] halves, int offset) {
        IntVector bits = (IntVector) ShortVector.fromArray(S, halves, offset).convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = bits.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        IntVector finite = magnitude.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> infOrNaN = bits.and(0x7c00).eq(0x7c00);
        IntVector widened = finite.blend(magnitude.or(0x7f800000), infOrNaN);
        return widened.or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** {@code y += alpha * half(x)} over {@code length} elements. */
    static void axpy(float alpha, short[] x, int xOffset, float[] y, int yOffset, int length) {
        int i = 0;
        FloatVector a = FloatVector.broadcast(F, alpha);
        for (int upper = F.loopBound(length); i < upper; i += F.length()) {
            widen(x, xOffset + i).fma(a, FloatVector.fromArray(F, y, yOffset + i)).intoArray(y, yOffset + i);
        }
        for (; i < length; i++) {
            y[yOffset + i] += alpha * Float.float16ToFloat(x[xOffset + i]);
        }
    }

    /** {@code out[outOffset + i] = half(x[xOffset + i])}, rounding to nearest even. */
    static void toHalf(float[] x, int xOffset, short[] out, int outOffset, int length) {
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = Float.floatToFloat16(x[xOffset + i]);
        }
    }

    /** {@code out[outOffset + i] = float(x[xOffset + i])}. */
    static void toFloat(short[] x, int xOffset, float[] out, int outOffset, int length) {
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = Float.float16ToFloat(x[xOffset + i]);
        }
    }
}

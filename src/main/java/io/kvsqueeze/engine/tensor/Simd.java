package io.kvsqueeze.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector species and small shared helpers of the tensor kernels, chosen once per JVM.
 *
 * <p>The float species is the preferred one (512 bits on AVX-512, 256 on AVX2, 128 on NEON), clamped to
 * 128..512 bits; the system property {@code kvsqueeze.vectorBits} (128, 256 or 512) overrides it, which is how
 * the narrower code paths are tested on a wide machine. Integer kernels work on 16-element half blocks held in
 * {@link #S} (16 shorts, or 8 shorts twice where floats have only 4 lanes).
 */
final class Simd {
    private Simd() {
    }

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** Float species of every float kernel: F_LANES is 4, 8 or 16. */
    static final VectorSpecies<Float> F = floatSpecies();
    static final int F_LANES = F.length();
    /** Int species with the lanes of {@link #F}, for fp16/bf16 bit conversion. */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Short species with the lanes of {@link #F}: 16-bit float loads (F16, BF16). */
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F_LANES * 16));
    /** Byte species of 16 lanes: one half block (16 quant bytes, or the nibble bytes of a 32-block). */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** Short species of the integer kernels: 16 lanes, or 8 where floats have 4 lanes. */
    static final VectorSpecies<Short> S = F_LANES >= 8 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
    static final int S_LANES = S.length();
    /** Short vectors per 16-element half block (1 or 2). */
    static final int S_PARTS = 16 / S_LANES;
    /** Float vectors per short vector (1 or 2). */
    static final int SF_PARTS = S_LANES / F_LANES;
    /** Float vectors per 16-element half block (1, 2 or 4). */
    static final int HALF_F_PARTS = 16 / F_LANES;

    private static VectorSpecies<Float> floatSpecies() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String forced = System.getProperty("kvsqueeze.vectorBits");
        if (forced != null && !forced.isBlank()) {
            int wanted = Integer.parseInt(forced.trim());
            if (wanted != 128 && wanted != 256 && wanted != 512) {
                throw new IllegalArgumentException("kvsqueeze.vectorBits must be 128, 256 or 512, got " + forced);
            }
            bits = wanted;
        }
        bits = Math.max(128, Math.min(512, bits));
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }


    /** A human-readable description of the chosen species, for start-up logs and benchmarks. */
    static String describe() {
        return "float " + F_LANES + " lanes (" + F.vectorBitSize() + " bit), int8 path " + S_LANES + " x short";
    }

    /** The fp16 value at byte offset {@code offset}, widened exactly. */
    static float f16(MemorySegment data, long offset) {
        return Float.float16ToFloat(data.get(SHORT_LE, offset));
    }


    /** Sixteen bytes at {@code offset}, as shorts (sign-extended), part {@code part} of {@link #S_PARTS}. */
    static ShortVector bytesAsShorts(MemorySegment data, long offset, int part) {
        return (ShortVector) ByteVector.fromMemorySegment(B16, data, offset, LE)
                .convertShape(VectorOperators.B2S, S, part);
    }

    /** Sixteen bytes at {@code offset}, as shorts (zero-extended), part {@code part} of {@link #S_PARTS}. */
    static ShortVector ubytesAsShorts(MemorySegment data, long offset, int part) {
        return (ShortVector) ByteVector.fromMemorySegment(B16, data, offset, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, part);
    }

    /** Sixteen bytes at {@code offset} zero-extended to ints, part {@code part} of {@link #HALF_F_PARTS}. */
    static IntVector ubytesAsInts(MemorySegment data, long offset, int part) {
        return (IntVector) ByteVector.fromMemorySegment(B16, data, offset, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
    }

    /** Sixteen bytes at {@code offset} sign-extended to floats, part {@code part} of {@link #HALF_F_PARTS}. */
    static FloatVector bytesAsFloats(MemorySegment data, long offset, int part) {
        return (FloatVector) ByteVector.fromMemorySegment(B16, data, offset, LE)
                .convertShape(VectorOperators.B2F, F, part);
    }

    static FloatVector toFloats(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /**
     * Lanes of int part {@code part} (of {@link #HALF_F_PARTS}) whose bit is set in the 16-bit {@code bits}:
     * lane j tests bit {@code part * F_LANES + j}. Used for the fifth bit of Q5 quants.
     */
    static VectorMask<Integer> intBitMask(int bits, int part) {
        return VectorMask.fromLong(I, (bits >>> (part * F_LANES)) & ((1L << F_LANES) - 1));
    }

    /** Lanes of short part {@code part} (of {@link #S_PARTS}) whose bit is set in the 16-bit {@code bits}. */
    static VectorMask<Short> shortBitMask(int bits, int part) {
        return VectorMask.fromLong(S, (bits >>> (part * S_LANES)) & ((1L << S_LANES) - 1));
    }

    /** 0x0F in every lane of {@link #S}. */
    static final ShortVector LOW_NIBBLE = ShortVector.broadcast(S, (short) 0x0F);
    /** 8 and 16 in every lane of {@link #S}: the Q4_0 and Q5_0 offsets. */
    static final ShortVector EIGHT = ShortVector.broadcast(S, (short) 8);
    static final ShortVector SIXTEEN = ShortVector.broadcast(S, (short) 16);

    /** Part {@code part} of {@link #SF_PARTS} of a short vector, as floats. */
    static FloatVector shortsAsFloats(ShortVector v, int part) {
        return (FloatVector) v.convertShape(VectorOperators.S2F, F, part);
    }

    /** {@code lo·a0 + hi·a1} lane-wise in 16 bits (callers guarantee the sums fit). */
    static ShortVector mulAdd(ShortVector lo, ShortVector a0, ShortVector hi, ShortVector a1) {
        return lo.mul(a0).add(hi.mul(a1));
    }

    /** {@code acc + float(p) · scale} over the {@link #SF_PARTS} float parts of {@code p}. */
    static FloatVector fmaShorts(ShortVector p, FloatVector scale, FloatVector acc) {
        for (int k = 0; k < SF_PARTS; k++) {
            acc = ((FloatVector) p.convertShape(VectorOperators.S2F, F, k)).fma(scale, acc);
        }
        return acc;
    }

    /**
     * 2^-112 times the fp16 {@code h}: the half's exponent and mantissa moved into float position, which is exact
     * for every finite half (subnormals become float subnormals) and costs two integer ops instead of a
     * {@code vcvtph2ps} (slow on Zen 4). Callers multiply by a factor pre-scaled by 2^112, so a product such as
     * {@code d·d8} is rounded once, exactly as {@code fp16(d)·d8} would be. Inf and NaN take the exact,
     * never-taken branch.
     */
    static float half112(short h) {
        return half112(h, (h & 0x7C00) != 0x7C00);
    }

    /** {@link #half112} when the caller already knows whether {@code h} is finite ({@link #finitePair}). */
    static float half112(short h, boolean finite) {
        if (!finite) {
            return Float.float16ToFloat(h) * 0x1p-112f;
        }
        // (h << 13) puts exponent and mantissa at bits 13..27 and the sign-extended sign at 28..31; the mask
        // keeps bits 13..27 and 31.
        return Float.intBitsToFloat((h << 13) & 0x8FFFE000);
    }

    /**
     * Whether neither fp16 of a little-endian pair (d and m of a Q4_1/Q5_1 block) is inf or NaN: adding 1 to an
     * all-ones exponent carries into the half's sign bit, one test for both halves.
     */
    static boolean finitePair(int pair) {
        return (((pair & 0x7C007C00) + 0x04000400) & 0x80008000) == 0;
    }

    /** The fp16 {@code h}, exact: {@link #half112} rescaled. */
    static float half(short h) {
        return half112(h) * 0x1p112f;
    }



    /** Exact fp16 → fp32 of {@link #F_LANES} half floats (subnormals, signed zero, inf and NaN kept). */
    static FloatVector halfToFloat(ShortVector halves) {
        IntVector h = (IntVector) halves.convertShape(VectorOperators.S2I, I, 0);
        // Exponent and mantissa move to float position; a scale by 2^112 rebiases the exponent (15 → 127)
        // and turns half subnormals into the right float normals without a branch.
        IntVector magnitude = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        VectorMask<Integer> infOrNan = h.and(0x7C00).compare(VectorOperators.EQ, 0x7C00);
        IntVector bits = magnitude.or(sign).lanewise(VectorOperators.OR, 0x7F800000, infOrNan);
        return bits.reinterpretAsFloats().mul(0x1p112f);
    }

    /** bf16 → fp32 of {@link #F_LANES} values: the upper 16 bits of a float. */
    static FloatVector bf16ToFloat(ShortVector halves) {
        IntVector h = (IntVector) halves.convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}

package io.kvsqueeze.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Small float-array kernels of the forward pass, on the Vector API where the loop is long enough to matter. */
public final class VectorOps {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    // Lane i takes lane i + h (mod lanes): the folds of sumLanes. Constants, so C2 can intrinsify rearrange
    // (a shuffle read from an array is not, and the fallback boxes every vector).
    public static final VectorShuffle<Float> FOLD_16_8 = fold(FloatVector.SPECIES_512, 8);
    public static final VectorShuffle<Float> FOLD_16_4 = fold(FloatVector.SPECIES_512, 4);
    public static final VectorShuffle<Float> FOLD_16_2 = fold(FloatVector.SPECIES_512, 2);
    public static final VectorShuffle<Float> FOLD_16_1 = fold(FloatVector.SPECIES_512, 1);
    private static final VectorShuffle<Float> FOLD_8_4 = fold(FloatVector.SPECIES_256, 4);
    private static final VectorShuffle<Float> FOLD_8_2 = fold(FloatVector.SPECIES_256, 2);
    private static final VectorShuffle<Float> FOLD_8_1 = fold(FloatVector.SPECIES_256, 1);
    private static final VectorShuffle<Float> FOLD_4_2 = fold(FloatVector.SPECIES_128, 2);
    private static final VectorShuffle<Float> FOLD_4_1 = fold(FloatVector.SPECIES_128, 1);

    private VectorOps() {
    }

    /**
     * The sum of a vector's lanes in one fixed order: lanes half a vector apart are added, then a quarter
     * apart, and so on, so 16 lanes sum as a balanced tree. {@code reduceLanes(ADD)} leaves the order to the
     * implementation, and it does change: the interpreter adds lane by lane, C2 in a tree, so the same dot
     * product gave a different last bit before and after a kernel was compiled, and int8 activations turned
     * that bit into logits up to 0.5 apart between two runs of one prompt. Every float reduction of the engine
     * goes through here, which makes results independent of JIT state (and of the thread count).
     */
    public static float sumLanes(FloatVector v) {
        // A chain of methods of under 35 bytecodes each, which C2 inlines at any call site (a larger method
        // is inlined only where the call is hot, and a call that is not inlined boxes its vector argument).
        return v.length() == 16 ? fold16(v) : foldNarrow(v);
    }

    private static float fold16(FloatVector v) {
        return fold8Of16(v.add(v.rearrange(FOLD_16_8)));
    }

    private static float fold8Of16(FloatVector v) {
        return fold4Of16(v.add(v.rearrange(FOLD_16_4)));
    }

    private static float fold4Of16(FloatVector v) {
        return fold2Of16(v.add(v.rearrange(FOLD_16_2)));
    }

    private static float fold2Of16(FloatVector v) {
        return v.add(v.rearrange(FOLD_16_1)).lane(0);
    }

    private static float foldNarrow(FloatVector v) {
        return v.length() == 8 ? fold8(v) : v.length() == 4 ? fold4(v) : unsupported(v);
    }

    private static float unsupported(FloatVector v) {
        throw new IllegalArgumentException("unsupported float vector of " + v.length() + " lanes");
    }

    private static float fold8(FloatVector v) {
        return fold4Of8(v.add(v.rearrange(FOLD_8_4)));
    }

    private static float fold4Of8(FloatVector v) {
        return fold2Of8(v.add(v.rearrange(FOLD_8_2)));
    }

    private static float fold2Of8(FloatVector v) {
        return v.add(v.rearrange(FOLD_8_1)).lane(0);
    }

    private static float fold4(FloatVector v) {
        return fold2Of4(v.add(v.rearrange(FOLD_4_2)));
    }

    private static float fold2Of4(FloatVector v) {
        return v.add(v.rearrange(FOLD_4_1)).lane(0);
    }

    private static VectorShuffle<Float> fold(VectorSpecies<Float> species, int half) {
        int lanes = species.length();
        return VectorShuffle.fromOp(species, i -> (i + half) % lanes);
    }

    /** y += alpha * x. */
    public static void axpy(float alpha, float[] x, int xOffset, float[] y, int yOffset, int length) {
        int i = 0;
        FloatVector a = FloatVector.broadcast(F, alpha);
        for (int upper = F.loopBound(length); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).fma(a, FloatVector.fromArray(F, y, yOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < length; i++) {
            y[yOffset + i] += alpha * x[xOffset + i];
        }
    }

    /** y += x. */
    public static void add(float[] x, int xOffset, float[] y, int yOffset, int length) {
        int i = 0;
        for (int upper = F.loopBound(length); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).add(FloatVector.fromArray(F, y, yOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < length; i++) {
            y[yOffset + i] += x[xOffset + i];
        }
    }

    /**
     * out = x / rms(x) * weight, in ggml's arithmetic (squares summed in double, the mean and the scale in
     * float), so that the result does not depend on the vector width and matches llama.cpp's.
     */
    public static void rmsNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int length,
                               float eps) {
        double sumOfSquares = 0;
        for (int i = 0; i < length; i++) {
            float v = x[xOffset + i];
            sumOfSquares += v * v;
        }
        float mean = (float) (sumOfSquares / length);
        float scale = 1f / (float) Math.sqrt(mean + eps);
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = x[xOffset + i] * scale * weight[i];
        }
    }

    /** gate = silu(gate) * up, elementwise over [from, to). */
    public static void swiGlu(float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    /** In-place softmax of x[offset, offset+length) with the maximum subtracted first and the sum in double. */
    public static void softmax(float[] x, int offset, int length) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            max = Math.max(max, x[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < length; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inverse = (float) (1.0 / sum);
        for (int i = 0; i < length; i++) {
            x[offset + i] *= inverse;
        }
    }

    /** Rounds x[offset, offset+length) to the nearest half-precision values, in place. */
    public static void roundToHalf(float[] x, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        }
    }

    public static int argmax(float[] x, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}

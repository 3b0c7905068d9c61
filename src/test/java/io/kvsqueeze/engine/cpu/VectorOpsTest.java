package io.kvsqueeze.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class VectorOpsTest {

    @Test
    void lanesSumAsABalancedTreeOfHalves() {
        for (VectorSpecies<Float> species : java.util.List.of(
                FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512)) {
            float[] lanes = new float[species.length()];
            SplittableRandom random = new SplittableRandom(species.length());
            for (int i = 0; i < lanes.length; i++) {
                // magnitudes 1e-4..1e4: the order of the additions shows in the last bits
                lanes[i] = (float) ((random.nextBoolean() ? 1 : -1) * Math.pow(10, random.nextDouble(-4, 4)));
            }
            assertThat(VectorOps.sumLanes(FloatVector.fromArray(species, lanes, 0)))
                    .isEqualTo(treeSum(lanes, 0, lanes.length));
        }
    }

    /** lanes i and i + n/2 first, recursively: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) for 8. */
    private static float treeSum(float[] lanes, int from, int n) {
        float[] folded = java.util.Arrays.copyOfRange(lanes, from, from + n);
        for (int h = n / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) {
                folded[i] = folded[i] + folded[i + h];
            }
        }
        return folded[0];
    }

    /** A dot-product kernel in the shape of the engine's: fma into lanes, then the fixed-order lane sum. */
    private static float dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        FloatVector acc = FloatVector.zero(species);
        int i = 0;
        for (; i < species.loopBound(length); i += species.length()) {
            acc = FloatVector.fromArray(species, a, aOffset + i).fma(FloatVector.fromArray(species, b, bOffset + i), acc);
        }
        float sum = VectorOps.sumLanes(acc);
        for (; i < length; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    @Test
    void dotGivesTheSameBitsBeforeAndAfterTheJitCompilesIt() {
        // With reduceLanes(ADD), 136 of these 200 dot products changed their last bits once C2 compiled the
        // loop, which made two runs of one prompt differ; the fixed-order sum must not.
        int vectors = 200;
        SplittableRandom random = new SplittableRandom(3);
        float[] a = new float[64 * vectors];
        float[] b = new float[64 * vectors];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (random.nextDouble(-1, 1) * Math.pow(10, random.nextDouble(-3, 3)));
            b[i] = (float) random.nextDouble(-1, 1);
        }
        float[] first = new float[vectors];
        for (int v = 0; v < vectors; v++) {
            first[v] = dot(a, 64 * v, b, 64 * v, 64);
        }
        for (int round = 0; round < 3000; round++) {
            for (int v = 0; v < vectors; v++) {
                dot(a, 64 * v, b, 64 * v, 64);
            }
        }
        for (int v = 0; v < vectors; v++) {
            assertThat(dot(a, 64 * v, b, 64 * v, 64)).as("vector %d", v).isEqualTo(first[v]);
        }
    }

    @Test
    void rmsNormDividesByTheRootMeanSquareAndScales() {
        // x = [3, 4]: mean of squares 12.5, rms = 3.5355; weight [1, 2]
        float[] out = new float[2];
        VectorOps.rmsNorm(out, 0, new float[] {3f, 4f}, 0, new float[] {1f, 2f}, 2, 0f);
        assertThat(out[0]).isCloseTo(0.848528f, within(1e-6f));
        assertThat(out[1]).isCloseTo(2.262742f, within(1e-6f));
    }

    @Test
    void rmsNormEpsilonKeepsZeroInputFinite() {
        float[] out = new float[4];
        VectorOps.rmsNorm(out, 0, new float[4], 0, new float[] {1, 1, 1, 1}, 4, 1e-5f);
        assertThat(out).containsOnly(0f);
    }

    @Test
    void softmaxMatchesTheDefinitionAndSurvivesLargeLogits() {
        float[] x = {1f, 2f, 3f};
        VectorOps.softmax(x, 0, 3);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertThat(x[0]).isCloseTo((float) (Math.exp(1) / z), within(1e-6f));
        assertThat(x[2]).isCloseTo((float) (Math.exp(3) / z), within(1e-6f));
        float[] big = {1000f, 1000f, -1000f};
        VectorOps.softmax(big, 0, 3);
        assertThat(big).containsExactly(0.5f, 0.5f, 0f);
    }

    @Test
    void softmaxWorksOnASliceOnly() {
        float[] x = {9f, 0f, 0f, 9f};
        VectorOps.softmax(x, 1, 2);
        assertThat(x).containsExactly(9f, 0.5f, 0.5f, 9f);
    }

    @Test
    void vectorDotAndAxpyEqualScalarLoopsForAllLengths() {
        SplittableRandom random = new SplittableRandom(11);
        for (int length = 0; length < 100; length++) {
            float[] a = new float[length + 3];
            float[] b = new float[length + 5];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextGaussian();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) random.nextGaussian();
            }
            double expected = 0;
            for (int i = 0; i < length; i++) {
                expected += (double) a[3 + i] * b[5 + i];
            }
            assertThat(dot(a, 3, b, 5, length)).isCloseTo((float) expected, within(1e-4f));

            float[] y = b.clone();
            VectorOps.axpy(0.5f, a, 3, y, 5, length);
            for (int i = 0; i < length; i++) {
                assertThat(y[5 + i]).isCloseTo(b[5 + i] + 0.5f * a[3 + i], within(1e-6f));
            }
            assertThat(y[0]).isEqualTo(b[0]);
        }
    }

    @Test
    void swiGluIsSiluOfGateTimesUp() {
        float[] gate = {0f, 1f, -2f};
        float[] up = {5f, 2f, 3f};
        VectorOps.swiGlu(gate, up, 0, 3);
        assertThat(gate[0]).isZero();
        assertThat(gate[1]).isCloseTo((float) (1 / (1 + Math.exp(-1)) * 2), within(1e-6f));
        assertThat(gate[2]).isCloseTo((float) (-2 / (1 + Math.exp(2)) * 3), within(1e-6f));
    }

    @Test
    void argmaxPrefersTheLowerIndexOnATie() {
        assertThat(VectorOps.argmax(new float[] {1f, 3f, 3f, 2f}, 4)).isEqualTo(1);
        assertThat(VectorOps.argmax(new float[] {1f, 3f, 9f}, 2)).isEqualTo(1);
    }
}

package io.kvsqueeze.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VectorOpsTest {

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
            assertThat(VectorOps.dot(a, 3, b, 5, length)).isCloseTo((float) expected, within(1e-4f));

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
}

package io.kvsqueeze.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SoftmaxTest {

    @Test
    void matchesTheHandComputedValues() {
        // e^1, e^2, e^3 = 2.718282, 7.389056, 20.085537; sum 30.192875.
        float[] x = {1, 2, 3};
        Softmax.softmax(x, 0, 3);
        assertThat(x[0]).isCloseTo(0.090031f, within(1e-6f));
        assertThat(x[1]).isCloseTo(0.244728f, within(1e-6f));
        assertThat(x[2]).isCloseTo(0.665241f, within(1e-6f));
    }

    @Test
    void largeLogitsDoNotOverflow() {
        // exp(1000) overflows a double; shifted by the max it is e^-1 : e^0.
        float[] x = {1000, 1001};
        Softmax.softmax(x, 0, 2);
        assertThat(x[0]).isCloseTo(0.268941f, within(1e-6f));
        assertThat(x[1]).isCloseTo(0.731059f, within(1e-6f));
    }

    @Test
    void touchesOnlyTheSlice() {
        float[] x = {7, 0, 0, 7};
        Softmax.softmax(x, 1, 2);
        assertThat(x).containsExactly(7f, 0.5f, 0.5f, 7f);
    }

    @Test
    void negativeInfinityBecomesZero() {
        float[] x = {Float.NEGATIVE_INFINITY, 0, 0};
        Softmax.softmax(x, 0, 3);
        assertThat(x).containsExactly(0f, 0.5f, 0.5f);
    }

    @Test
    void aLargeRowSumsToOne() {
        SplittableRandom random = new SplittableRandom(1);
        float[] x = new float[49_152];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * 5);
        }
        Softmax.softmax(x, 0, x.length);
        double sum = 0;
        for (float p : x) {
            assertThat(p).isBetween(0f, 1f);
            sum += p;
        }
        assertThat(sum).isCloseTo(1.0, within(1e-4));
    }

    @Test
    void rejectsRowsWithoutAMeaningfulSoftmax() {
        assertThatThrownBy(() -> Softmax.softmax(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-Infinity");
        assertThatThrownBy(() -> Softmax.softmax(new float[] {0, Float.NaN}, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> Softmax.softmax(new float[] {0, Float.POSITIVE_INFINITY}, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Infinity");
        assertThatThrownBy(() -> Softmax.softmax(new float[2], 1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}

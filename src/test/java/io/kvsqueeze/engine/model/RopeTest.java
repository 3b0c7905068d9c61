package io.kvsqueeze.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RopeTest {

    @Test
    void adjacentPairsRotateByPositionTimesFrequency() {
        // headDim 4, theta 100: pair 0 frequency 1, pair 1 frequency 100^(-1/2) = 0.1. Position 2.
        Rope rope = new Rope(4, 8, 100f, 1f, null, false);
        float[] v = {1f, 0f, 1f, 0f};
        rope.apply(v, 0, 1, 2);
        assertThat(v[0]).isCloseTo((float) Math.cos(2), within(1e-6f));
        assertThat(v[1]).isCloseTo((float) Math.sin(2), within(1e-6f));
        assertThat(v[2]).isCloseTo((float) Math.cos(0.2), within(1e-6f));
        assertThat(v[3]).isCloseTo((float) Math.sin(0.2), within(1e-6f));
    }

    @Test
    void neoxRotatesTheHalvesAgainstEachOther() {
        Rope rope = new Rope(4, 8, 100f, 1f, null, true);
        float[] v = {1f, 1f, 0f, 0f};
        rope.apply(v, 0, 1, 2);
        // pairs (0, 2) at frequency 1 and (1, 3) at 0.1
        assertThat(v[0]).isCloseTo((float) Math.cos(2), within(1e-6f));
        assertThat(v[2]).isCloseTo((float) Math.sin(2), within(1e-6f));
        assertThat(v[1]).isCloseTo((float) Math.cos(0.2), within(1e-6f));
        assertThat(v[3]).isCloseTo((float) Math.sin(0.2), within(1e-6f));
    }

    @Test
    void linearScalingAndFrequencyFactorsSlowTheRotation() {
        Rope scaled = new Rope(2, 8, 10000f, 2f, null, false);
        float[] v = {1f, 0f};
        scaled.apply(v, 0, 1, 4);
        assertThat(v[0]).isCloseTo((float) Math.cos(2), within(1e-6f));
        Rope factors = new Rope(2, 8, 10000f, 1f, new float[] {4f}, false);
        float[] w = {1f, 0f};
        factors.apply(w, 0, 1, 4);
        assertThat(w[0]).isCloseTo((float) Math.cos(1), within(1e-6f));
    }

    @Test
    void positionZeroIsTheIdentityAndEveryHeadRotates() {
        Rope rope = new Rope(4, 8, 10000f, 1f, null, false);
        float[] v = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f};
        rope.apply(v, 0, 2, 0);
        assertThat(v).containsExactly(1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f);
        rope.apply(v, 0, 2, 3);
        assertThat(v[4]).isCloseTo((float) (5 * Math.cos(3) - 6 * Math.sin(3)), within(1e-5f));
    }

    @Test
    void rejectsPositionsOutsideTheTable() {
        Rope rope = new Rope(4, 8, 10000f, 1f, null, false);
        assertThatThrownBy(() -> rope.apply(new float[4], 0, 1, 8)).hasMessageContaining("position 8");
    }
}

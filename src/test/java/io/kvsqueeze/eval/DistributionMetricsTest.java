package io.kvsqueeze.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DistributionMetricsTest {

    @Test
    void klOfKnownDistributions() {
        // p = softmax(ln[0.5, 0.25, 0.25]) = [0.5, 0.25, 0.25]; q = [0.25, 0.5, 0.25]
        // KL = 0.5 ln 2 + 0.25 ln 0.5 + 0 = 0.25 ln 2
        float[] p = {(float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.25)};
        float[] q = {(float) Math.log(0.25) + 3, (float) Math.log(0.5) + 3, (float) Math.log(0.25) + 3};
        assertThat(DistributionMetrics.klDivergence(p, q, 3)).isCloseTo(0.25 * Math.log(2), within(1e-6));
    }

    @Test
    void klIsZeroForTheSameLogitsAndSurvivesLargeOnes() {
        float[] logits = {1000f, 999f, -1000f};
        assertThat(DistributionMetrics.klDivergence(logits, logits, 3)).isZero();
        assertThat(DistributionMetrics.logSumExp(logits, 3)).isCloseTo(1000 + Math.log(1 + Math.exp(-1)), within(1e-9));
    }
}

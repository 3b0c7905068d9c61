package io.kvsqueeze.eval;

/**
 * How far a compressed cache's next-token distribution is from the full cache's: the KL divergence
 * KL(full || compressed) in nats, computed from raw logits in double precision (top-1 agreement compares
 * {@code VectorOps.argmax}, the greedy sampler's choice).
 */
public final class DistributionMetrics {
    private DistributionMetrics() {
    }

    /**
     * KL(p || q) where p = softmax(reference) and q = softmax(candidate): Σ p_i (log p_i − log q_i), computed
     * with log-sum-exp so large logits do not overflow.
     */
    public static double klDivergence(float[] reference, float[] candidate, int vocab) {
        double logZp = logSumExp(reference, vocab);
        double logZq = logSumExp(candidate, vocab);
        double kl = 0;
        for (int i = 0; i < vocab; i++) {
            double logP = reference[i] - logZp;
            double p = Math.exp(logP);
            if (p > 0) {
                kl += p * (logP - (candidate[i] - logZq));
            }
        }
        return Math.max(0, kl); // rounding can leave a tiny negative for identical distributions
    }

    static double logSumExp(float[] logits, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[i] - max);
        }
        return max + Math.log(sum);
    }
}

package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * The one ranking every selection uses (kv-compression.md §12.0.4): higher score first, then lower position.
 * PyTorch's {@code topk} leaves ties unspecified and max pooling makes plateaus, so ties are common; this order
 * makes every plan reproducible.
 *
 * <p>Each candidate is packed into one {@code long} (inverted order-preserving score bits, then the position)
 * and the keys are sorted as primitives: no boxing, no comparator. NaN scores rank below every number and
 * {@code -0.0} equals {@code 0.0}.
 */
public final class RankOrder {
    private long[] keys = new long[0];

    /**
     * Writes to {@code out[0, k)} the positions in {@code [from, to)} with the {@code k} best
     * {@code scores[position]}, best first. Positions must be below 2<sup>31</sup>.
     */
    public void top(float[] scores, int from, int to, int k, int[] out) {
        if (k < 0 || k > to - from) {
            throw new IllegalArgumentException("k = " + k + " outside [0, " + (to - from) + "]");
        }
        int count = rank(scores, from, to);
        for (int i = 0; i < k && i < count; i++) {
            out[i] = position(keys[i]);
        }
    }

    /** Ranks {@code [from, to)}; {@link #rankedPosition(int)} then reads the ranking, best first. */
    public int rank(float[] scores, int from, int to) {
        int count = to - from;
        ensure(count);
        for (int j = from; j < to; j++) {
            keys[j - from] = key(scores[j], j);
        }
        Arrays.sort(keys, 0, count);
        return count;
    }

    public int rankedPosition(int rank) {
        return position(keys[rank]);
    }

    /** The sort key: ascending keys are descending scores, then ascending {@code tieBreak}. */
    public static long key(float score, int tieBreak) {
        return ((long) ~orderedBits(score) << 32) | (tieBreak & 0xFFFF_FFFFL);
    }

    public static int position(long key) {
        return (int) key;
    }

    /** True when {@code a} ranks before {@code b} (score, then lower position). */
    public static boolean before(float scoreA, int positionA, float scoreB, int positionB) {
        return key(scoreA, positionA) < key(scoreB, positionB);
    }

    /** An int whose signed order is the float's numeric order; NaN below everything. */
    private static int orderedBits(float score) {
        if (Float.isNaN(score)) {
            return Integer.MIN_VALUE;
        }
        int bits = Float.floatToIntBits(score == 0f ? 0f : score);
        return bits ^ ((bits >> 31) & 0x7FFF_FFFF);
    }

    private void ensure(int count) {
        if (keys.length < count) {
            keys = new long[Math.max(count, keys.length * 2)];
        }
    }
}

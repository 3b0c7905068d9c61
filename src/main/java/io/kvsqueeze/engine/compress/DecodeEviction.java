package io.kvsqueeze.engine.compress;

/**
 * Keeps a head within its budget during generation ({@link KvPolicy#decodeEviction()}): before a new token is
 * appended to a head that holds {@link CompressionPlan#decodeCapacity} entries, the engine drops the entry
 * {@link #victim} names.
 *
 * <ul>
 * <li>{@link Mode#RECENT} (StreamingLLM, §4.2): the oldest entry that is not a sink, so the cache is the sinks
 *     plus the most recent tokens.</li>
 * <li>{@link Mode#ACCUMULATED_ATTENTION} (H2O-style, §4.3 {@code SUM}; SnapKV and H2O scorers): the entry with
 *     the lowest running score, the attention every decode query paid to it (GQA: mean over the group, as at
 *     prefill). The engine owns the running scores, one per entry, adds each step's probabilities with
 *     {@link #accumulate}, and may start them from the prefill column sums
 *     ({@link AttentionObservations#columnSums}) of the kept positions.</li>
 * </ul>
 *
 * Sinks (positions below {@code sinkTokens}) and the newest {@code recentWindow} entries are never evicted.
 * Ties follow {@link RankOrder} reversed: the entry that would be ranked last goes (lowest score, then highest
 * position), the same order that chose the entries at prefill.
 */
public final class DecodeEviction {
    public enum Mode { RECENT, ACCUMULATED_ATTENTION }

    private final Mode mode;
    private final int sinkTokens;
    private final int recentWindow;

    public DecodeEviction(Mode mode, int sinkTokens, int recentWindow) {
        this.mode = mode;
        this.sinkTokens = sinkTokens;
        this.recentWindow = recentWindow;
    }

    /** The eviction a policy asks for; the recent window is the scorer's window. */
    public static DecodeEviction forPolicy(KvPolicy policy) {
        if (!policy.decodeEviction()) {
            throw new IllegalArgumentException("the policy has decodeEviction false");
        }
        Mode mode = policy.scorer() instanceof ScorerSpec.StreamingLlm ? Mode.RECENT : Mode.ACCUMULATED_ATTENTION;
        return new DecodeEviction(mode, policy.sinkTokens(), policy.scorer().window());
    }

    public Mode mode() {
        return mode;
    }

    /**
     * Index in {@code [0, length)} of the entry to drop, or -1 when every entry is protected.
     *
     * @param positions     the head's entry positions, ascending (the {@code KvCache} order)
     * @param runningScores one score per entry; ignored in {@link Mode#RECENT}, may be null there
     */
    public int victim(int[] positions, float[] runningScores, int length) {
        int last = length - recentWindow;
        int victim = -1;
        for (int i = 0; i < last; i++) {
            if (positions[i] < sinkTokens) {
                continue;
            }
            if (mode == Mode.RECENT) {
                return i;
            }
            if (victim < 0 || RankOrder.before(runningScores[victim], positions[victim], runningScores[i],
                    positions[i])) {
                victim = i;
            }
        }
        return victim;
    }

    /** Adds {@code weight * probabilities[offset + i]} to {@code runningScores[i]} for {@code i < length}. */
    public static void accumulate(float[] runningScores, float[] probabilities, int offset, int length,
                                  float weight) {
        for (int i = 0; i < length; i++) {
            runningScores[i] += weight * probabilities[offset + i];
        }
    }
}

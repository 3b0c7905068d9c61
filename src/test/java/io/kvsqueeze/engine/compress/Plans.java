package io.kvsqueeze.engine.compress;

import java.util.Arrays;
import java.util.Optional;

/** Test helpers: policies and observations built from the hand-computed vectors of kv-compression.md §12. */
final class Plans {
    private Plans() {
    }

    static KvPolicy policy(ScorerSpec scorer, int capacity, int sinks) {
        return new KvPolicy(scorer, new LayerAllocation.Uniform(), new HeadAllocation.Uniform(), Optional.empty(),
                new Budget.Tokens(capacity), sinks, false);
    }

    /** Observations of one layer where head {@code h}'s column sums are exactly {@code sums[h]}. */
    static AttentionObservations columnSums(float[]... sums) {
        AttentionObservations observations = new AttentionObservations(sums.length, sums[0].length);
        observations.reset(sums[0].length);
        for (int h = 0; h < sums.length; h++) {
            observations.addQuery(h, sums[h], 0, sums[h].length, 1f);
        }
        return observations;
    }

    static AttentionObservations[] sameForEveryLayer(int layers, AttentionObservations observations) {
        AttentionObservations[] perLayer = new AttentionObservations[layers];
        Arrays.fill(perLayer, observations);
        return perLayer;
    }
}

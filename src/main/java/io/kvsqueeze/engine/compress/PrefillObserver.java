package io.kvsqueeze.engine.compress;

import io.kvsqueeze.engine.kv.AttentionObserver;
import io.kvsqueeze.engine.kv.HiddenStateObserver;

/**
 * Fills, during one prefill from an empty cache, what {@link CompressionPlanner#plan} needs: per layer the
 * column sums of the attention that queries from {@code firstObservedQuery} on paid to each entry, and, when
 * asked, SqueezeAttention's per-layer cosine similarities. Several first-observed queries can be collected in
 * one prefill (the evaluation plans many policies from one prompt).
 *
 * <p>The attention hook runs on every member of the thread team: each member adds into its own
 * {@link AttentionObservations}, and {@link #observations} sums them once the prefill is over, so the hot path
 * takes no lock and allocates nothing. In a fresh prefill an entry's index is its position, which is how the
 * column sums line up with prompt positions.
 */
public final class PrefillObserver implements AttentionObserver, HiddenStateObserver {
    private final int[] firstObserved;
    private final float groupWeight;
    private final AttentionObservations[][][] perThread; // [first-observed choice][thread][layer]
    private final HiddenStateSimilarity similarity;
    private final float[][] layerInputs;                 // [position % batch][dim] until afterAttention

    /**
     * @param firstObserved first observed query of each sums to collect (ascending not required)
     * @param cosines       whether to collect per-layer cosine similarities
     */
    public PrefillObserver(int threads, int layers, int kvHeads, int queriesPerKvHead, int dim, int batchCapacity,
                           int promptLength, int[] firstObserved, boolean cosines) {
        this.firstObserved = firstObserved.clone();
        this.groupWeight = 1f / queriesPerKvHead;
        this.perThread = new AttentionObservations[firstObserved.length][threads][layers];
        for (int c = 0; c < firstObserved.length; c++) {
            for (int t = 0; t < threads; t++) {
                for (int l = 0; l < layers; l++) {
                    AttentionObservations observations = new AttentionObservations(kvHeads, promptLength);
                    observations.reset(promptLength);
                    perThread[c][t][l] = observations;
                }
            }
        }
        this.similarity = cosines ? new HiddenStateSimilarity(layers) : null;
        this.layerInputs = cosines ? new float[batchCapacity][dim] : null;
    }

    @Override
    public void attention(int thread, int layer, int position, int queryHead, int kvHead, float[] probabilities,
                          int visible) {
        for (int c = 0; c < firstObserved.length; c++) {
            if (position >= firstObserved[c]) {
                perThread[c][thread][layer].addQuery(kvHead, probabilities, 0, visible, groupWeight);
            }
        }
    }

    @Override
    public void layerInput(int layer, int position, float[] x, int dim) {
        if (similarity != null) {
            System.arraycopy(x, 0, layerInputs[position % layerInputs.length], 0, dim);
        }
    }

    @Override
    public void afterAttention(int layer, int position, float[] x, int dim) {
        if (similarity != null) {
            similarity.add(layer, layerInputs[position % layerInputs.length], 0, x, 0, dim);
        }
    }

    /** The per-layer sums for queries from {@code firstObserved[choice]} on, summed over threads (once). */
    public AttentionObservations[] observations(int choice) {
        AttentionObservations[][] threads = perThread[choice];
        for (int t = 1; t < threads.length; t++) {
            for (int l = 0; l < threads[0].length; l++) {
                AttentionObservations into = threads[0][l];
                for (int h = 0; h < into.kvHeads(); h++) {
                    float[] total = into.columnSums(h);
                    float[] part = threads[t][l].columnSums(h);
                    for (int j = 0; j < into.promptLength(); j++) {
                        total[j] += part[j];
                    }
                    java.util.Arrays.fill(part, 0, into.promptLength(), 0f); // summed once, never twice
                }
            }
        }
        return threads[0];
    }

    /** Per-layer mean cosine similarities, or null when not collected. */
    public double[] layerCosines() {
        return similarity == null ? null : similarity.meanPerLayer();
    }
}

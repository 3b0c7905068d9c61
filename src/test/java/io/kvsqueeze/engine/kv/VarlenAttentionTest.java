package io.kvsqueeze.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kvsqueeze.engine.cpu.VectorOps;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Attention over a head's kept entries equals dense attention over all entries with the dropped ones masked to
 * -inf (the survey's §12.0.8): random Q/K/V, a different random keep-mask per head, GQA groups, F32.
 */
class VarlenAttentionTest {
    private static final int LAYERS = 2;
    private static final int KV_HEADS = 2;
    private static final int QUERIES_PER_KV_HEAD = 3;
    private static final int HEAD_DIM = 48;
    private static final int ENTRIES = 70;

    @Test
    void keptEntriesGiveTheSameAttentionAsMaskingTheDroppedOnes() {
        check(() -> PagedKvCache.create(KvElementType.F32, LAYERS, KV_HEADS, HEAD_DIM, ENTRIES));
        check(() -> new DenseKvCache(LAYERS, KV_HEADS, HEAD_DIM, ENTRIES));
    }

    private static void check(Supplier<KvCache> caches) {
        Random random = new Random(11);
        for (int trial = 0; trial < 5; trial++) {
            KvCache cache = caches.get();
            float[][][] keys = new float[LAYERS * KV_HEADS][ENTRIES][HEAD_DIM];
            float[][][] values = new float[LAYERS * KV_HEADS][ENTRIES][HEAD_DIM];
            boolean[][] kept = new boolean[LAYERS * KV_HEADS][ENTRIES];
            for (int layer = 0; layer < LAYERS; layer++) {
                for (int kvHead = 0; kvHead < KV_HEADS; kvHead++) {
                    int h = layer * KV_HEADS + kvHead;
                    for (int i = 0; i < ENTRIES; i++) {
                        for (int d = 0; d < HEAD_DIM; d++) {
                            keys[h][i][d] = (float) random.nextGaussian();
                            values[h][i][d] = (float) random.nextGaussian();
                        }
                        cache.append(layer, kvHead, 3 * i, keys[h][i], 0, values[h][i], 0);
                    }
                    // Per head its own keep rate, from nearly everything to a single entry.
                    double rate = random.nextDouble();
                    int[] keep = new int[ENTRIES];
                    int count = 0;
                    for (int i = 0; i < ENTRIES; i++) {
                        if (random.nextDouble() < rate || (i == ENTRIES - 1 && count == 0)) {
                            keep[count++] = i;
                            kept[h][i] = true;
                        }
                    }
                    cache.retain(layer, kvHead, keep, count);
                    assertThat(cache.length(layer, kvHead)).isEqualTo(count);
                }
            }
            float scale = (float) (1 / Math.sqrt(HEAD_DIM));
            float[] query = new float[KV_HEADS * QUERIES_PER_KV_HEAD * HEAD_DIM];
            float[] probabilities = new float[ENTRIES];
            float[] out = new float[query.length];
            for (int layer = 0; layer < LAYERS; layer++) {
                for (int d = 0; d < query.length; d++) {
                    query[d] = (float) random.nextGaussian();
                }
                for (int head = 0; head < KV_HEADS * QUERIES_PER_KV_HEAD; head++) {
                    int kvHead = head / QUERIES_PER_KV_HEAD;
                    int h = layer * KV_HEADS + kvHead;
                    int visible = cache.length(layer, kvHead);
                    cache.scores(layer, kvHead, query, head * HEAD_DIM, scale, visible, probabilities);
                    VectorOps.softmax(probabilities, 0, visible);
                    cache.weightedValues(layer, kvHead, probabilities, visible, out, head * HEAD_DIM);

                    double[] expected = maskedDenseAttention(query, head * HEAD_DIM, scale, keys[h], values[h],
                            kept[h]);
                    for (int d = 0; d < HEAD_DIM; d++) {
                        assertThat((double) out[head * HEAD_DIM + d]).as("trial %d layer %d head %d dim %d", trial,
                                layer, head, d).isCloseTo(expected[d], within(1e-5));
                    }
                }
            }
        }
    }

    /** softmax(q·K / sqrt(d) + mask) V in double, the mask -inf on every entry not kept. */
    private static double[] maskedDenseAttention(float[] query, int offset, float scale, float[][] keys,
                                                 float[][] values, boolean[] kept) {
        double[] logits = new double[keys.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < keys.length; i++) {
            double dot = 0;
            for (int d = 0; d < HEAD_DIM; d++) {
                dot += (double) query[offset + d] * keys[i][d];
            }
            logits[i] = kept[i] ? dot * scale : Double.NEGATIVE_INFINITY;
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < keys.length; i++) {
            logits[i] = Math.exp(logits[i] - max);
            sum += logits[i];
        }
        double[] out = new double[HEAD_DIM];
        for (int i = 0; i < keys.length; i++) {
            for (int d = 0; d < HEAD_DIM; d++) {
                out[d] += logits[i] / sum * values[i][d];
            }
        }
        return out;
    }
}

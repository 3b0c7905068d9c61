package io.kvsqueeze.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PagedKvCacheTest {
    private static final int LAYERS = 2;
    private static final int KV_HEADS = 3;
    private static final int HEAD_DIM = 40; // whole vectors and a scalar tail at 256 and 512 bits
    private static final int PAGE = 4;

    /**
     * Multiples of 1/8 in [-2, 2]: every product and sum the kernels form with them is exact in float, so the
     * results do not depend on the summation order, which the Vector API leaves to the JIT (reduceLanes).
     */
    private static float[] dyadic(Random random, int length) {
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (random.nextInt(33) - 16) / 8f;
        }
        return x;
    }

    /** Appends {@code count} entries to every head of the caches, at increasing positions with gaps. */
    private static void fill(Random random, int count, KvCache... caches) {
        for (int n = 0; n < count; n++) {
            for (int layer = 0; layer < LAYERS; layer++) {
                for (int kvHead = 0; kvHead < KV_HEADS; kvHead++) {
                    float[] key = dyadic(random, HEAD_DIM + 1);
                    float[] value = dyadic(random, HEAD_DIM + 2);
                    int length = caches[0].length(layer, kvHead);
                    int position = (length == 0 ? 0 : caches[0].position(layer, kvHead, length - 1) + 1)
                            + random.nextInt(2);
                    for (KvCache cache : caches) {
                        cache.append(layer, kvHead, position, key, 1, value, 2);
                    }
                }
            }
        }
    }

    private static PagedKvCache paged(KvElementType type, int capacity) {
        return new PagedKvCache(LAYERS, KV_HEADS, capacity,
                KvPagePool.forHeads(type, HEAD_DIM, PAGE, LAYERS * KV_HEADS, capacity));
    }

    /** A random strictly ascending subset of [0, length), returned as its size; the indices go to keep. */
    private static int randomSubset(Random random, int length, int[] keep) {
        int count = 0;
        for (int i = 0; i < length; i++) {
            if (random.nextInt(3) > 0) {
                keep[count++] = i;
            }
        }
        return count;
    }

    /** Same lengths, positions, keys, values, scores and weighted values in every head, bit for bit. */
    private static void assertSameContents(KvCache expected, KvCache actual, Random random) {
        float[] a = new float[HEAD_DIM];
        float[] b = new float[HEAD_DIM];
        for (int layer = 0; layer < LAYERS; layer++) {
            for (int kvHead = 0; kvHead < KV_HEADS; kvHead++) {
                int length = expected.length(layer, kvHead);
                assertThat(actual.length(layer, kvHead)).as("length of %d/%d", layer, kvHead).isEqualTo(length);
                for (int i = 0; i < length; i++) {
                    assertThat(actual.position(layer, kvHead, i)).isEqualTo(expected.position(layer, kvHead, i));
                    expected.key(layer, kvHead, i, a, 0);
                    actual.key(layer, kvHead, i, b, 0);
                    assertThat(b).as("key %d of %d/%d", i, layer, kvHead).containsExactly(a);
                    expected.value(layer, kvHead, i, a, 0);
                    actual.value(layer, kvHead, i, b, 0);
                    assertThat(b).as("value %d of %d/%d", i, layer, kvHead).containsExactly(a);
                }
                float[] query = dyadic(random, HEAD_DIM + 5);
                float[] expectedScores = new float[length];
                float[] actualScores = new float[length];
                expected.scores(layer, kvHead, query, 5, 0.25f, length, expectedScores);
                actual.scores(layer, kvHead, query, 5, 0.25f, length, actualScores);
                assertThat(actualScores).containsExactly(expectedScores);
                float[] expectedOut = new float[HEAD_DIM + 3];
                float[] actualOut = new float[HEAD_DIM + 3];
                java.util.Arrays.fill(expectedOut, 9f); // written, not added to
                java.util.Arrays.fill(actualOut, 9f);
                expected.weightedValues(layer, kvHead, expectedScores, length, expectedOut, 3);
                actual.weightedValues(layer, kvHead, actualScores, length, actualOut, 3);
                assertThat(actualOut).containsExactly(expectedOut);
                assertThat(actualOut[0]).isEqualTo(9f);
            }
        }
    }

    /** Bytes and slack from first principles: kept entries, and the pages a head of that length holds. */
    private static void assertExactAccounting(PagedKvCache cache) {
        long entries = 0;
        long pages = 0;
        for (int layer = 0; layer < LAYERS; layer++) {
            for (int kvHead = 0; kvHead < KV_HEADS; kvHead++) {
                int length = cache.length(layer, kvHead);
                entries += length;
                pages += (length + PAGE - 1) / PAGE;
            }
        }
        int element = cache.elementType().bytes();
        assertThat(cache.bytes()).isEqualTo(entries * HEAD_DIM * 2 * element);
        assertThat(cache.pages()).isEqualTo(pages);
        assertThat(cache.slackBytes()).isEqualTo(pages * PAGE * HEAD_DIM * 2 * element - cache.bytes());
        assertThat(cache.pool().usedBytes()).isEqualTo(pages * cache.pool().pageBytes());
    }

    @ParameterizedTest
    @EnumSource(KvElementType.class)
    void appendsRetainsAndTruncatesExactlyLikeTheDenseCache(KvElementType type) {
        Random random = new Random(1);
        DenseKvCache dense = new DenseKvCache(LAYERS, KV_HEADS, HEAD_DIM, 40);
        PagedKvCache paged = paged(type, 40);
        int[] keep = new int[40];
        for (int round = 0; round < 4; round++) {
            fill(random, 1 + 3 * round, dense, paged);
            assertSameContents(dense, paged, random);
            assertExactAccounting(paged);
            for (int layer = 0; layer < LAYERS; layer++) {
                for (int kvHead = 0; kvHead < KV_HEADS; kvHead++) {
                    int count = randomSubset(random, dense.length(layer, kvHead), keep);
                    dense.retain(layer, kvHead, keep, count);
                    paged.retain(layer, kvHead, keep, count);
                }
            }
            assertSameContents(dense, paged, random);
            assertExactAccounting(paged);
        }
        int cut = paged.position(1, 2, paged.length(1, 2) / 2);
        dense.truncate(cut);
        paged.truncate(cut);
        assertSameContents(dense, paged, random);
        assertExactAccounting(paged);
        for (int layer = 0; layer < LAYERS; layer++) {
            for (int kvHead = 0; kvHead < KV_HEADS; kvHead++) {
                int length = paged.length(layer, kvHead);
                assertThat(length == 0 || paged.position(layer, kvHead, length - 1) < cut).isTrue();
            }
        }
        fill(random, 5, dense, paged); // appending after compaction and truncation
        assertSameContents(dense, paged, random);
        assertExactAccounting(paged);
    }

    @Test
    void groupKernelsGiveEachQueryTheBitsOfTheOneQueryCall() {
        // random (not dyadic) data: the order of the fmas shows; pages of 4 (scalar path) and 16 (vector path)
        for (int pageSize : new int[] {4, 16}) {
            for (KvElementType type : KvElementType.values()) {
                int headDim = 64;
                PagedKvCache cache = new PagedKvCache(1, 1, 80,
                        KvPagePool.forHeads(type, headDim, pageSize, 1, 80));
                Random random = new Random(pageSize * 10 + type.ordinal());
                for (int position = 0; position < 77; position++) {
                    float[] key = new float[headDim];
                    float[] value = new float[headDim];
                    for (int d = 0; d < headDim; d++) {
                        key[d] = Float.float16ToFloat(Float.floatToFloat16((float) random.nextGaussian()));
                        value[d] = Float.float16ToFloat(Float.floatToFloat16((float) random.nextGaussian()));
                    }
                    cache.append(0, 0, position, key, 0, value, 0);
                }
                int count = 7;
                float[][] queries = new float[count][headDim + 3];
                int[] offsets = new int[count];
                int[] visible = new int[count];
                float[][] scores = new float[count][80];
                float[][] outputs = new float[count][headDim + 5];
                for (int j = 0; j < count; j++) {
                    for (int d = 0; d < queries[j].length; d++) {
                        queries[j][d] = (float) random.nextGaussian();
                    }
                    offsets[j] = j % 4;
                    visible[j] = 70 + j; // ends inside a page for most of them
                }
                cache.scores(0, 0, queries, offsets, count, 0.125f, visible, scores);
                for (int j = 0; j < count; j++) {
                    float[] alone = new float[80];
                    cache.scores(0, 0, queries[j], offsets[j], 0.125f, visible[j], alone);
                    assertThat(java.util.Arrays.copyOf(scores[j], visible[j]))
                            .as("scores of query %d, %s, pages of %d", j, type, pageSize)
                            .containsExactly(java.util.Arrays.copyOf(alone, visible[j]));
                    float acc = 0f; // the documented summation: an fma chain over dimensions from zero
                    float[] key = new float[headDim];
                    cache.key(0, 0, 5, key, 0);
                    for (int d = 0; d < headDim; d++) {
                        acc = Math.fma(queries[j][offsets[j] + d], key[d], acc);
                    }
                    assertThat(scores[j][5]).isEqualTo(acc * 0.125f);
                    for (int i = 0; i < visible[j]; i++) {
                        scores[j][i] = Math.abs(scores[j][i]);
                    }
                }
                cache.weightedValues(0, 0, scores, visible, count, outputs, offsets);
                for (int j = 0; j < count; j++) {
                    float[] alone = new float[headDim + 5];
                    cache.weightedValues(0, 0, scores[j], visible[j], alone, offsets[j]);
                    assertThat(outputs[j]).as("values of query %d, %s, pages of %d", j, type, pageSize)
                            .containsExactly(alone);
                }
            }
        }
    }

    @Test
    void retainMovesKeptEntriesWithTheirPositionsAndReturnsEmptiedPagesForReuse() {
        PagedKvCache cache = paged(KvElementType.F32, 40);
        float[] key = new float[HEAD_DIM];
        float[] value = new float[HEAD_DIM];
        for (int position = 0; position < 10; position++) {
            java.util.Arrays.fill(key, position);
            java.util.Arrays.fill(value, -position);
            cache.append(1, 2, 100 + position, key, 0, value, 0);
        }
        assertThat(cache.pages()).isEqualTo(3);
        long pageBytes = cache.pool().pageBytes();
        assertThat(pageBytes).isEqualTo(PAGE * HEAD_DIM * 2 * 4);
        assertThat(cache.bytes()).isEqualTo(10 * HEAD_DIM * 2 * 4);
        assertThat(cache.slackBytes()).isEqualTo(2 * HEAD_DIM * 2 * 4);

        cache.retain(1, 2, new int[] {1, 4, 5, 9, -1}, 4);

        assertThat(cache.length(1, 2)).isEqualTo(4);
        int[] expected = {1, 4, 5, 9};
        for (int i = 0; i < 4; i++) {
            assertThat(cache.position(1, 2, i)).isEqualTo(100 + expected[i]);
            cache.key(1, 2, i, key, 0);
            cache.value(1, 2, i, value, 0);
            assertThat(key[HEAD_DIM - 1]).isEqualTo(expected[i]);
            assertThat(value[0]).isEqualTo(-expected[i]);
        }
        assertThat(cache.pages()).isEqualTo(1);
        assertThat(cache.pool().usedBytes()).isEqualTo(pageBytes);
        assertThat(cache.slackBytes()).isZero();
        assertThat(cache.pool().highWaterBytes()).isEqualTo(3 * pageBytes);

        for (int position = 10; position < 18; position++) { // grows back into the freed pages
            cache.append(1, 2, 100 + position, key, 0, value, 0);
        }
        assertThat(cache.pages()).isEqualTo(3);
        assertThat(cache.pool().highWaterBytes()).isEqualTo(3 * pageBytes);

        cache.retain(1, 2, new int[0], 0);
        assertThat(cache.length(1, 2)).isZero();
        assertThat(cache.pool().usedBytes()).isZero();
    }

    @Test
    void f16StoresTheNearestHalfAndF32StoresTheFloat() {
        Random random = new Random(3);
        PagedKvCache half = paged(KvElementType.F16, 8);
        PagedKvCache single = paged(KvElementType.F32, 8);
        float[] key = new float[HEAD_DIM];
        float[] value = new float[HEAD_DIM];
        for (int i = 0; i < HEAD_DIM; i++) {
            key[i] = (float) random.nextGaussian() * 1000;
            value[i] = (float) random.nextGaussian() / 1000;
        }
        key[0] = 1e6f;      // beyond the half range
        value[1] = 1e-7f;   // a half subnormal
        half.append(0, 1, 7, key, 0, value, 0);
        single.append(0, 1, 7, key, 0, value, 0);
        float[] out = new float[HEAD_DIM];
        half.key(0, 1, 0, out, 0);
        for (int i = 0; i < HEAD_DIM; i++) {
            assertThat(out[i]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(key[i])));
        }
        assertThat(out[0]).isEqualTo(Float.POSITIVE_INFINITY);
        half.value(0, 1, 0, out, 0);
        for (int i = 0; i < HEAD_DIM; i++) {
            assertThat(out[i]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(value[i])));
        }
        assertThat(out[1]).isNotZero();
        single.key(0, 1, 0, out, 0);
        assertThat(out).containsExactly(key);
        assertThat(half.bytes()).isEqualTo(HEAD_DIM * 2 * 2);
        assertThat(single.bytes()).isEqualTo(HEAD_DIM * 2 * 4);
        assertThat(half.slackBytes()).isEqualTo(3 * HEAD_DIM * 2 * 2);
    }

    @Test
    void anExhaustedPoolFailsClearlyAndLeavesTheCachesAsTheyWere() {
        KvPagePool pool = new KvPagePool(KvElementType.F16, HEAD_DIM, PAGE, 3L * PAGE * HEAD_DIM * 2 * 2 + 100);
        PagedKvCache first = new PagedKvCache(LAYERS, KV_HEADS, 64, pool);
        PagedKvCache second = new PagedKvCache(LAYERS, KV_HEADS, 64, pool); // shares the byte cap
        float[] x = new float[HEAD_DIM];
        for (int position = 0; position < 2 * PAGE; position++) {
            first.append(0, 0, position, x, 0, x, 0);
        }
        second.append(1, 1, 0, x, 0, x, 0);
        long bytes = first.bytes();
        assertThatThrownBy(() -> second.append(0, 2, 0, x, 0, x, 0))
                .isInstanceOf(KvPoolExhaustedException.class)
                .hasMessageContaining("KV page pool exhausted")
                .hasMessageContaining("all 3 pages of " + PAGE * HEAD_DIM * 2 * 2 + " bytes");
        assertThat(second.length(0, 2)).isZero();
        assertThat(second.length(1, 1)).isEqualTo(1);
        assertThat(first.bytes()).isEqualTo(bytes);
        assertThat(pool.usedPages()).isEqualTo(3);
        second.append(1, 1, 1, x, 0, x, 0); // room left in a held page needs no new one

        first.retain(0, 0, new int[] {0, 5}, 2); // frees a page, which the other cache then gets
        second.append(0, 2, 0, x, 0, x, 0);
        assertThat(second.length(0, 2)).isEqualTo(1);
        assertThat(first.position(0, 0, 1)).isEqualTo(5);
        assertThat(pool.highWaterBytes()).isEqualTo(3L * pool.pageBytes());

        first.clear();
        second.clear();
        assertThat(pool.usedBytes()).isZero();
    }

    @Test
    void rejectsBadArgumentsWithoutChangingAnything() {
        PagedKvCache cache = paged(KvElementType.F32, 6);
        float[] x = new float[HEAD_DIM];
        for (int position = 0; position < 6; position++) {
            cache.append(0, 0, 2 * position, x, 0, x, 0);
        }
        assertThatThrownBy(() -> cache.append(0, 0, 20, x, 0, x, 0)).hasMessageContaining("KV cache full");
        cache.append(0, 1, 0, x, 0, x, 0);
        assertThatThrownBy(() -> cache.append(0, 1, 0, x, 0, x, 0))
                .hasMessageContaining("position 0 is not after the last cached position 0");
        assertThatThrownBy(() -> cache.retain(0, 0, new int[] {0, 3, 2}, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("strictly ascending");
        assertThatThrownBy(() -> cache.retain(0, 0, new int[] {1, 1}, 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cache.retain(0, 0, new int[] {4, 6}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 6)");
        assertThat(cache.length(0, 0)).isEqualTo(6);
        assertThat(cache.position(0, 0, 5)).isEqualTo(10);
        assertThatThrownBy(() -> cache.scores(0, 0, x, 0, 1f, 7, new float[8]))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> cache.position(0, 0, 6)).isInstanceOf(IndexOutOfBoundsException.class);
        KvPagePool pool = new KvPagePool(KvElementType.F32, HEAD_DIM, PAGE, 1 << 20);
        int page = pool.allocate();
        assertThatCode(() -> pool.free(page)).doesNotThrowAnyException();
        assertThatThrownBy(() -> pool.free(page)).hasMessageContaining("not allocated");
    }
}

package io.kvsqueeze.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.engine.cpu.ThreadPool;
import io.kvsqueeze.engine.kv.AttentionObserver;
import io.kvsqueeze.engine.kv.DenseKvCache;
import io.kvsqueeze.engine.kv.HiddenStateObserver;
import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.kv.KvElementType;
import io.kvsqueeze.engine.kv.PagedKvCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The forward pass over the paged store: uncompressed identity, the masking oracle after compaction, hooks. */
class CompressedForwardPassTest {
    private static final int[] PROMPT = {104, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33, 256, 259, 10, 65};
    private static final int[] FOLLOW_UP = {17, 200, 3, 99, 45, 7, 250, 12, 5, 31};
    private static final int CONTEXT = 64;

    @TempDir
    Path dir;

    private static ForwardPass pass(LlamaModel model, KvCache cache, ThreadPool pool, int batch) {
        LlamaConfig c = model.config();
        Rope rope = new Rope(c.headDim(), CONTEXT, c.ropeTheta(), c.ropeScale(), model.weights().ropeFreqFactors(),
                c.ropeNeox());
        return new ForwardPass(model, cache, pool, rope, batch);
    }

    private static PagedKvCache paged(LlamaModel model, KvElementType type) {
        LlamaConfig c = model.config();
        return PagedKvCache.create(type, c.layers(), c.kvHeads(), c.headDim(), CONTEXT);
    }

    private static DenseKvCache dense(LlamaModel model) {
        LlamaConfig c = model.config();
        return new DenseKvCache(c.layers(), c.kvHeads(), c.headDim(), CONTEXT);
    }

    /** The prompt in batches, then the follow-up one token at a time: the logits after every call. */
    private static List<float[]> run(ForwardPass pass, int batch) {
        List<float[]> logits = new ArrayList<>();
        for (int from = 0; from < PROMPT.length; from += batch) {
            int count = Math.min(batch, PROMPT.length - from);
            float[] out = pass.forward(PROMPT, from, count, from, true);
            logits.add(out.clone());
        }
        for (int t = 0; t < FOLLOW_UP.length; t++) {
            logits.add(pass.forward(FOLLOW_UP, t, 1, PROMPT.length + t, true).clone());
        }
        return logits;
    }

    @Test
    void theUncompressedPagedStoreGivesBitIdenticalLogitsToTheDenseCacheInF32AndF16() {
        try (LlamaModel model = LlamaModel.load(new TinyModel().write(dir.resolve("tiny.gguf")));
             ThreadPool pool = new ThreadPool(2)) {
            warmUp(model, pool);
            List<float[]> expected = run(pass(model, dense(model), pool, 5), 5);
            for (KvElementType type : KvElementType.values()) {
                List<float[]> actual = run(pass(model, paged(model, type), pool, 5), 5);
                for (int step = 0; step < expected.size(); step++) {
                    assertThat(actual.get(step)).as("%s, call %d", type, step).containsExactly(expected.get(step));
                }
            }
        }
    }

    /**
     * The Vector API's lane reduction (reduceLanes) may sum in another order once C2 compiles a kernel, and the
     * int8 activations can amplify that last-bit change. Comparisons between two runs therefore first bring
     * every kernel they use to its compiled state.
     */
    private static void warmUp(LlamaModel model, ThreadPool pool) {
        for (int i = 0; i < 20; i++) {
            run(pass(model, dense(model), pool, 5), 5);
            run(pass(model, paged(model, KvElementType.F16), pool, 5), 5);
            run(pass(model, paged(model, KvElementType.F32), pool, 16), 16);
        }
    }

    @ParameterizedTest
    @EnumSource(KvElementType.class)
    void afterRetainingRandomEntriesTheLogitsEqualThoseOfMaskingExactlyTheDroppedOnes(KvElementType type) {
        try (LlamaModel model = LlamaModel.load(new TinyModel().write(dir.resolve("tiny.gguf")));
             ThreadPool pool = new ThreadPool(2)) {
            warmUp(model, pool);
            LlamaConfig c = model.config();
            PagedKvCache store = paged(model, type);
            MaskingKvCache oracle = new MaskingKvCache(dense(model));
            ForwardPass compressed = pass(model, store, pool, 5);
            ForwardPass reference = pass(model, oracle, pool, 5);
            Random random = new Random(5);

            float[] logits = null;
            float[] expected = null;
            for (int from = 0; from < PROMPT.length; from += 5) { // prefill attends over everything
                int count = Math.min(5, PROMPT.length - from);
                logits = compressed.forward(PROMPT, from, count, from, true);
                expected = reference.forward(PROMPT, from, count, from, true);
            }
            assertThat(ForwardPassTest.maxAbsDiff(logits, expected)).isLessThan(1e-4f);

            int position = PROMPT.length;
            for (int round = 0; round < 3; round++) {
                evictRandomly(store, oracle, random, c);
                assertThat(store.bytes()).isLessThan(oracle.bytes());
                // A batch after compaction (a new chat turn), then single tokens: each sees the kept entries
                // plus the new ones, at their logical positions.
                int batch = round == 0 ? 3 : 1;
                for (int t = 0; t < 3; t += batch) {
                    int count = Math.min(batch, 3 - t);
                    logits = compressed.forward(FOLLOW_UP, round * 3 + t, count, position, true);
                    expected = reference.forward(FOLLOW_UP, round * 3 + t, count, position, true);
                    position += count;
                    assertThat(ForwardPassTest.maxAbsDiff(logits, expected))
                            .as("%s, round %d, position %d", type, round, position - 1).isLessThan(1e-4f);
                }
            }
            assertThat(oracle.maskedCount()).isGreaterThan(10);
        }
    }

    /** Drops a random subset of every head of the store (a different one per head) and masks it in the oracle. */
    private static void evictRandomly(PagedKvCache store, MaskingKvCache oracle, Random random, LlamaConfig c) {
        int[] keep = new int[store.capacity()];
        for (int layer = 0; layer < c.layers(); layer++) {
            for (int kvHead = 0; kvHead < c.kvHeads(); kvHead++) {
                double rate = 0.2 + 0.7 * random.nextDouble();
                int count = 0;
                for (int i = 0; i < store.length(layer, kvHead); i++) {
                    if (random.nextDouble() < rate) {
                        keep[count++] = i;
                    } else {
                        oracle.mask(layer, kvHead, store.position(layer, kvHead, i));
                    }
                }
                store.retain(layer, kvHead, keep, count);
            }
        }
    }

    @Test
    void observersSeeEveryLayerHeadAndTokenWithoutChangingTheLogits() {
        try (LlamaModel model = LlamaModel.load(new TinyModel().write(dir.resolve("tiny.gguf")));
             ThreadPool pool = new ThreadPool(2)) {
            warmUp(model, pool);
            LlamaConfig c = model.config();
            ForwardPass unobserved = pass(model, paged(model, KvElementType.F16), pool, 16);
            unobserved.forward(PROMPT, 0, 8, 0, false);
            float[] plain = unobserved.forward(PROMPT, 8, 8, 8, true);

            ForwardPass pass = pass(model, paged(model, KvElementType.F16), pool, 16);
            AtomicInteger attentionCalls = new AtomicInteger();
            List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
            AttentionObserver attention = (thread, layer, position, queryHead, kvHead, probabilities, visible) -> {
                attentionCalls.incrementAndGet();
                double sum = 0;
                for (int i = 0; i < visible; i++) {
                    sum += probabilities[i];
                }
                int expectedVisible = position + 1; // nothing evicted: every earlier position and itself
                if (thread < 0 || thread >= pass.threads() || kvHead != queryHead / c.queriesPerKvHead()
                        || visible != expectedVisible || Math.abs(sum - 1) > 1e-5
                        || pass.cache().position(layer, kvHead, visible - 1) != position) {
                    problems.add("thread " + thread + " layer " + layer + " position " + position + " head "
                            + queryHead + "/" + kvHead + " visible " + visible + " sum " + sum);
                }
            };
            List<String> hidden = new ArrayList<>();
            float[] embedding = new float[c.dim()];
            HiddenStateObserver states = new HiddenStateObserver() {
                @Override
                public void layerInput(int layer, int position, float[] x, int dim) {
                    hidden.add("in " + layer + " " + position);
                    if (layer == 0) {
                        model.weights().tokenEmbedding().dequantizeRow(PROMPT[position], embedding, 0);
                        if (!java.util.Arrays.equals(java.util.Arrays.copyOf(x, dim), embedding)) {
                            problems.add("layer 0 input of position " + position + " is not its embedding");
                        }
                    }
                }

                @Override
                public void afterAttention(int layer, int position, float[] x, int dim) {
                    hidden.add("mid " + layer + " " + position);
                }
            };
            pass.attentionObserver(attention);
            pass.hiddenStateObserver(states);

            // A prefill batch without logits still shows the last layer to the observers.
            pass.forward(PROMPT, 0, 8, 0, false);
            assertThat(attentionCalls.get()).isEqualTo(8 * c.heads() * c.layers());
            List<String> expectedOrder = new ArrayList<>();
            for (int layer = 0; layer < c.layers(); layer++) {
                for (int t = 0; t < 8; t++) {
                    expectedOrder.add("in " + layer + " " + t);
                }
                for (int t = 0; t < 8; t++) {
                    expectedOrder.add("mid " + layer + " " + t);
                }
            }
            assertThat(hidden).containsExactlyElementsOf(expectedOrder);
            float[] observed = pass.forward(PROMPT, 8, 8, 8, true);
            pass.attentionObserver(null);
            pass.hiddenStateObserver(null);
            assertThat(problems).isEmpty();
            assertThat(attentionCalls.get()).isEqualTo(PROMPT.length * c.heads() * c.layers());
            assertThat(ForwardPassTest.maxAbsDiff(observed, plain)).isLessThan(1e-6f);
        }
    }
}

package io.kvsqueeze.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.engine.cpu.ThreadPool;
import io.kvsqueeze.engine.gguf.GgmlType;
import io.kvsqueeze.engine.kv.DenseKvCache;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ForwardPassTest {
    private static final int[] PROMPT = {104, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33, 256, 259, 10, 65};

    @TempDir
    Path dir;

    private LlamaModel load(TinyModel tiny) {
        return LlamaModel.load(tiny.write(dir.resolve("tiny.gguf")));
    }

    private static ForwardPass pass(LlamaModel model, ThreadPool pool, int batch) {
        LlamaConfig c = model.config();
        Rope rope = new Rope(c.headDim(), 64, c.ropeTheta(), c.ropeScale(), model.weights().ropeFreqFactors(), c.ropeNeox());
        return new ForwardPass(model, new DenseKvCache(c.layers(), c.kvHeads(), c.headDim(), 64), pool, rope, batch);
    }

    @ParameterizedTest(name = "{0} matrices, {1} embeddings, arch {2}, tied {3}")
    @CsvSource({
            "Q4_1, Q8_0, llama, true",
            "Q4_0, Q8_0, llama, false",
            "Q8_0, Q4_1, llama, true",
            "Q5_0, Q8_0, llama, true",
            "Q5_1, F16, llama, false",
            "F16, F32, llama, true",
            "Q4_1, Q8_0, qwen2, false"})
    void matchesTheNaiveReferenceAtEveryPosition(GgmlType matrices, GgmlType embeddings, String arch, boolean tied) {
        try (LlamaModel model = load(new TinyModel().matrixType(matrices).embeddingType(embeddings)
                .architecture(arch).tiedEmbeddings(tied));
             ThreadPool pool = new ThreadPool(2)) {
            ReferenceLlama reference = new ReferenceLlama(model);
            ForwardPass pass = pass(model, pool, 4);
            for (int t = 0; t < PROMPT.length; t++) {
                float[] logits = pass.forward(PROMPT, t, 1, t, true);
                float[] expected = reference.logits(java.util.Arrays.copyOf(PROMPT, t + 1));
                assertThat(cosine(logits, expected)).as("position %d", t).isGreaterThan(0.9999); // an activation that rounds the other way at a .5 tie is amplified by random weights
                assertThat(maxAbsDiff(logits, expected)).as("position %d", t).isLessThan(5e-3f * maxAbs(expected));
            }
        }
    }

    @Test
    void batchedPrefillEqualsTokenByTokenDecode() {
        try (LlamaModel model = load(new TinyModel()); ThreadPool pool = new ThreadPool(2)) {
            ForwardPass oneByOne = pass(model, pool, 1);
            float[] expected = null;
            for (int t = 0; t < PROMPT.length; t++) {
                expected = oneByOne.forward(PROMPT, t, 1, t, true).clone();
            }
            for (int batch : new int[] {2, 5, 16}) {
                ForwardPass batched = pass(model, pool, batch);
                float[] logits = null;
                for (int from = 0; from < PROMPT.length; from += batch) {
                    int count = Math.min(batch, PROMPT.length - from);
                    logits = batched.forward(PROMPT, from, count, from, from + count == PROMPT.length);
                }
                assertThat(maxAbsDiff(logits, expected)).as("batch %d", batch).isLessThan(1e-4f);
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        try (LlamaModel model = load(new TinyModel())) {
            // Compile the kernels first: reduceLanes may sum lanes in another order once C2 compiles them, which
            // would make the first run differ from later ones for reasons unrelated to the thread count.
            try (ThreadPool pool = new ThreadPool(2)) {
                for (int i = 0; i < 200; i++) {
                    pass(model, pool, 8).forward(PROMPT, 0, 8, 0, true);
                }
            }
            float[] reference = null;
            for (int threads : new int[] {1, 2, 3}) {
                try (ThreadPool pool = new ThreadPool(threads)) {
                    float[] logits = pass(model, pool, 8).forward(PROMPT, 0, 8, 0, true).clone();
                    if (reference == null) {
                        reference = logits;
                    }
                    assertThat(logits).as("%d threads", threads).containsExactly(reference);
                }
            }
        }
    }

    @Test
    void rejectsTokensOutsideTheVocabularyAndOversizedBatches() {
        try (LlamaModel model = load(new TinyModel()); ThreadPool pool = new ThreadPool(1)) {
            ForwardPass pass = pass(model, pool, 2);
            assertThatThrownBy(() -> pass.forward(new int[] {model.config().vocabSize()}, 0, 1, 0, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
            assertThatThrownBy(() -> pass.forward(PROMPT, 0, 3, 0, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity 2");
        }
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static float maxAbsDiff(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    static float maxAbs(float[] a) {
        float max = 0;
        for (float v : a) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}

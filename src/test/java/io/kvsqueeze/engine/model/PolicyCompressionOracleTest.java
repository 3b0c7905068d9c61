package io.kvsqueeze.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kvsqueeze.engine.compress.CompressionPlan;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.compress.PlanInvariants;
import io.kvsqueeze.engine.compress.PolicyKvCompression;
import io.kvsqueeze.engine.cpu.ThreadPool;
import io.kvsqueeze.engine.generate.Sequence;
import io.kvsqueeze.engine.kv.DenseKvCache;
import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.kv.KvElementType;
import io.kvsqueeze.engine.kv.PagedKvCache;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kv-compression.md §12.9.2: every policy, run through the engine, gives the logits of the uncompressed engine
 * with exactly the evicted (layer, KV head, position) entries masked out, at every decode step; and §12.9.1: a
 * budget that fits the prompt changes nothing.
 */
class PolicyCompressionOracleTest {
    private static final int CONTEXT = 192;
    private static final int PROMPT_LENGTH = 130;
    private static final int DECODE_STEPS = 12;

    @TempDir
    static Path dir;
    private static Path modelFile;

    @BeforeAll
    static void writeModel() {
        modelFile = new TinyModel().write(dir.resolve("tiny.gguf"));
    }

    private static ForwardPass pass(LlamaModel model, KvCache cache, ThreadPool pool) {
        LlamaConfig c = model.config();
        Rope rope = new Rope(c.headDim(), CONTEXT, c.ropeTheta(), c.ropeScale(), model.weights().ropeFreqFactors(),
                c.ropeNeox());
        return new ForwardPass(model, cache, pool, rope, 16);
    }

    private static int[] tokens(int count, long seed, int vocab) {
        return new Random(seed).ints(count, 0, vocab).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming-llm", "h2o", "snapkv", "pyramidkv", "ada-snapkv", "ada-pyramidkv",
            "squeeze-snapkv", "squeeze-ada-snapkv", "kvcrush-snapkv", "kvcrush-ada-snapkv",
            "{\"preset\": \"snapkv\", \"decodeEviction\": true}",
            "{\"preset\": \"h2o\", \"decodeEviction\": true}",
            "{\"preset\": \"streaming-llm\", \"decodeEviction\": true}"})
    void compressedLogitsEqualTheMaskedUncompressedOnesAtEveryStep(String spec) {
        KvPolicy policy = KvPolicy.parse(spec).withBudget(new io.kvsqueeze.engine.compress.Budget.Tokens(48));
        try (LlamaModel model = LlamaModel.load(modelFile); ThreadPool pool = new ThreadPool(2)) {
            LlamaConfig c = model.config();
            int[] prompt = tokens(PROMPT_LENGTH, 11, c.vocabSize());
            int[] followUp = tokens(DECODE_STEPS, 12, c.vocabSize());

            PagedKvCache store = PagedKvCache.create(KvElementType.F32, c.layers(), c.kvHeads(), c.headDim(), CONTEXT);
            PolicyKvCompression compression = new PolicyKvCompression(policy, c.layers(), c.kvHeads());
            Sequence compressed = new Sequence(pass(model, store, pool), compression);
            MaskingKvCache oracleCache = new MaskingKvCache(
                    new DenseKvCache(c.layers(), c.kvHeads(), c.headDim(), CONTEXT));
            ForwardPass oracle = pass(model, oracleCache, pool);

            float[] logits = compressed.prefill(prompt);
            float[] expected = null;
            for (int from = 0; from < PROMPT_LENGTH; from += 16) {
                int count = Math.min(16, PROMPT_LENGTH - from);
                expected = oracle.forward(prompt, from, count, from, from + count == PROMPT_LENGTH);
            }
            assertThat(logits).as("the prompt's own logits saw everything").containsExactly(expected);

            CompressionPlan plan = compression.lastPlan();
            assertThat(plan.compressed()).isTrue();
            PlanInvariants.check(plan);
            assertThat(store.bytes()).isEqualTo(plan.totalKept() * c.headDim() * 2L * Float.BYTES);
            long budget = (long) c.layers() * c.kvHeads() * 48;
            assertThat((double) plan.totalKept()).as("kept entries against the budget")
                    .isCloseTo(budget, within(budget * 0.02));

            for (int step = 0; step < DECODE_STEPS; step++) {
                int position = PROMPT_LENGTH + step;
                logits = compressed.append(followUp[step]);
                maskWhatTheStoreDropped(store, oracleCache, position);
                expected = oracle.forward(followUp, step, 1, position, true);
                for (int i = 0; i < logits.length; i++) {
                    assertThat(logits[i]).as("%s, step %d, logit %d", spec, step, i)
                            .isCloseTo(expected[i], within(1e-4f));
                }
            }
            for (int layer = 0; layer < c.layers(); layer++) {
                for (int kvHead = 0; kvHead < c.kvHeads(); kvHead++) {
                    int planned = plan.kept(layer, kvHead).length;
                    // with decode eviction each head stays at its planned size; without, it grows by the steps
                    assertThat(store.length(layer, kvHead)).as("%s, head %d/%d", spec, layer, kvHead)
                            .isEqualTo(policy.decodeEviction() ? planned : planned + DECODE_STEPS);
                }
            }
        }
    }

    /** Masks in the oracle every position before {@code newest} that a head of the store no longer holds. */
    private static void maskWhatTheStoreDropped(KvCache store, MaskingKvCache oracle, int newest) {
        for (int layer = 0; layer < store.layers(); layer++) {
            for (int kvHead = 0; kvHead < store.kvHeads(); kvHead++) {
                Set<Integer> held = new HashSet<>();
                for (int i = 0; i < store.length(layer, kvHead); i++) {
                    held.add(store.position(layer, kvHead, i));
                }
                for (int position = 0; position < newest; position++) {
                    if (!held.contains(position)) {
                        oracle.mask(layer, kvHead, position);
                    }
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aCompressedSequenceStartsOverInsteadOfReusingItsPrefix() {
        try (LlamaModel model = LlamaModel.load(modelFile); ThreadPool pool = new ThreadPool(2)) {
            LlamaConfig c = model.config();
            int[] prompt = tokens(PROMPT_LENGTH, 31, c.vocabSize());
            KvPolicy policy = KvPolicy.parse("snapkv").withBudget(new io.kvsqueeze.engine.compress.Budget.Tokens(48));
            Sequence sequence = new Sequence(pass(model,
                    PagedKvCache.create(KvElementType.F16, c.layers(), c.kvHeads(), c.headDim(), CONTEXT), pool),
                    new PolicyKvCompression(policy, c.layers(), c.kvHeads()));
            float[] first = sequence.prefill(prompt).clone();
            long bytes = sequence.forwardPass().cache().bytes();
            assertThat(sequence.compression().keepsEveryEntry()).isFalse();
            assertThat(sequence.reusablePrefix(prompt)).isZero();
            // the same request again gets the same answer: the prompt runs over the full cache once more
            assertThat(sequence.prefill(prompt)).containsExactly(first);
            assertThat(sequence.forwardPass().cache().bytes()).isEqualTo(bytes);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"snapkv", "squeeze-ada-snapkv", "kvcrush-snapkv"})
    void aBudgetThatFitsThePromptChangesNothing(String preset) {
        try (LlamaModel model = LlamaModel.load(modelFile); ThreadPool pool = new ThreadPool(2)) {
            LlamaConfig c = model.config();
            int[] prompt = tokens(PROMPT_LENGTH, 21, c.vocabSize());
            int[] followUp = tokens(DECODE_STEPS, 22, c.vocabSize());
            KvPolicy policy = KvPolicy.parse(preset).withBudget(new io.kvsqueeze.engine.compress.Budget.Tokens(
                    PROMPT_LENGTH));
            Sequence full = new Sequence(pass(model,
                    PagedKvCache.create(KvElementType.F16, c.layers(), c.kvHeads(), c.headDim(), CONTEXT), pool));
            Sequence fitted = new Sequence(pass(model,
                    PagedKvCache.create(KvElementType.F16, c.layers(), c.kvHeads(), c.headDim(), CONTEXT), pool),
                    new PolicyKvCompression(policy, c.layers(), c.kvHeads()));
            assertThat(fitted.prefill(prompt)).containsExactly(full.prefill(prompt));
            for (int token : followUp) {
                assertThat(fitted.append(token)).containsExactly(full.append(token));
            }
            assertThat(fitted.forwardPass().cache().bytes()).isEqualTo(full.forwardPass().cache().bytes());
        }
    }
}

package io.kvsqueeze.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.engine.cpu.ThreadPool;
import io.kvsqueeze.engine.kv.KvElementType;
import io.kvsqueeze.engine.kv.KvPagePool;
import io.kvsqueeze.engine.kv.KvPoolExhaustedException;
import io.kvsqueeze.engine.kv.PagedKvCache;
import io.kvsqueeze.engine.model.ForwardPass;
import io.kvsqueeze.engine.model.LlamaConfig;
import io.kvsqueeze.engine.model.LlamaModel;
import io.kvsqueeze.engine.model.Rope;
import io.kvsqueeze.engine.model.TinyModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sequence over a byte-capped page pool: running out fails the token and leaves the sequence usable. */
class SequenceKvTest {
    private static final int[] PROMPT = {104, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33, 256, 259, 10, 65};

    @TempDir
    Path dir;

    @Test
    void aTokenThatExhaustsThePoolIsRolledBackInEveryHead() {
        try (LlamaModel model = LlamaModel.load(new TinyModel().write(dir.resolve("tiny.gguf")));
             ThreadPool threads = new ThreadPool(2)) {
            LlamaConfig c = model.config();
            int heads = c.layers() * c.kvHeads();
            // Four pages of 4 entries per head for the prompt, and one more page: the 17th token gets that
            // page in the first head and fails in the second, after it was appended to the first.
            KvPagePool pool = new KvPagePool(KvElementType.F16, c.headDim(), 4,
                    (4L * heads + 1) * 4 * c.headDim() * 2 * 2);
            PagedKvCache cache = new PagedKvCache(c.layers(), c.kvHeads(), 64, pool);
            Rope rope = new Rope(c.headDim(), 64, c.ropeTheta(), c.ropeScale(), model.weights().ropeFreqFactors(),
                    c.ropeNeox());
            Sequence sequence = new Sequence(new ForwardPass(model, cache, threads, rope, 8));
            float[] first = sequence.prefill(PROMPT).clone();
            assertThat(pool.usedPages()).isEqualTo(4 * heads);

            assertThatThrownBy(() -> sequence.append(42)).isInstanceOf(KvPoolExhaustedException.class)
                    .hasMessageContaining("KV page pool exhausted");
            assertThat(sequence.length()).isEqualTo(PROMPT.length);
            for (int layer = 0; layer < c.layers(); layer++) {
                for (int kvHead = 0; kvHead < c.kvHeads(); kvHead++) {
                    assertThat(cache.length(layer, kvHead)).isEqualTo(PROMPT.length);
                }
            }
            assertThat(pool.usedPages()).isEqualTo(4 * heads);
            assertThat(cache.bytes()).isEqualTo((long) heads * PROMPT.length * c.headDim() * 2 * 2);

            // Compressing two heads to half frees four pages; the sequence goes on from where it was.
            int[] keep = new int[PROMPT.length];
            for (int i = 0; i < 8; i++) {
                keep[i] = 8 + i;
            }
            cache.retain(0, 0, keep, 8);
            cache.retain(1, 1, keep, 8);
            assertThat(sequence.append(42)).hasSize(c.vocabSize());
            assertThat(sequence.length()).isEqualTo(PROMPT.length + 1);

            sequence.reset();
            assertThat(pool.usedBytes()).isZero();
            float[] again = sequence.prefill(PROMPT);
            for (int i = 0; i < first.length; i++) { // not bit for bit: the JIT may have changed a lane sum order
                assertThat(again[i]).isCloseTo(first[i], org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }
}

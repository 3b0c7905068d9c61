package io.kvsqueeze.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.engine.EngineOptions;
import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.ReferenceModel;
import io.kvsqueeze.engine.kv.KvElementType;
import io.kvsqueeze.engine.kv.PagedKvCache;
import org.junit.jupiter.api.Test;

/** KV bytes per token of the reference model (30 layers, 3 KV heads, headDim 64) in F16 and F32. */
class KvMemoryTest {

    @Test
    void theReferenceModelHoldsHalfAsManyKvBytesPerTokenInF16() {
        try (InferenceEngine engine = InferenceEngine.load(ReferenceModel.pathOrSkip(), new EngineOptions(2, 256, 32))) {
            var config = engine.model().config();
            assertThat(new int[] {config.layers(), config.kvHeads(), config.headDim()}).containsExactly(30, 3, 64);
            int[] prompt = engine.tokenizer().encode("Paged KV caches keep memory proportional to what is kept.", true, true);
            for (KvElementType type : KvElementType.values()) {
                Sequence sequence = engine.newSequence(type);
                sequence.prefill(prompt);
                PagedKvCache cache = (PagedKvCache) sequence.forwardPass().cache();
                long perToken = 30L * 3 * 64 * 2 * type.bytes(); // 23,040 bytes in F16, 46,080 in F32
                assertThat(cache.bytes()).as("%s", type).isEqualTo(prompt.length * perToken);
                int pagesPerHead = (prompt.length + cache.pageSize() - 1) / cache.pageSize();
                assertThat(cache.bytes() + cache.slackBytes()).isEqualTo(90L * pagesPerHead * cache.pool().pageBytes());
                assertThat(cache.pool().usedBytes()).isEqualTo(cache.bytes() + cache.slackBytes());
            }
        }
    }
}

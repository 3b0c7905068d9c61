package io.kvsqueeze.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Facts about the reference model, checked only where it has been downloaded. */
class GgufReferenceModelTest {
    static final String MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";

    /** {@code $KVSQUEEZE_HOME/models/...}, with KVSQUEEZE_HOME defaulting to ~/.cache/kvsqueeze. */
    static Path referenceModel() {
        String home = System.getenv("KVSQUEEZE_HOME");
        Path kvsqueezeHome = home != null && !home.isBlank()
                ? Path.of(home)
                : Path.of(System.getProperty("user.home"), ".cache", "kvsqueeze");
        return kvsqueezeHome.resolve("models").resolve(MODEL_FILE);
    }

    @Test
    void theReferenceModelParsesWithTheExpectedFacts() throws Exception {
        Path model = referenceModel();
        assumeTrue(Files.isRegularFile(model), "reference model not found at " + model
                + " (set KVSQUEEZE_HOME or download " + MODEL_FILE + " into ~/.cache/kvsqueeze/models)");

        try (GgufFile file = GgufFile.open(model)) {
            assertThat(file.version()).isEqualTo(3);
            assertThat(file.tensors()).hasSize(272);
            assertThat(file.alignment()).isEqualTo(32);

            GgufMetadata m = file.metadata();
            assertThat(m.getString("general.architecture")).isEqualTo("llama");
            assertThat(m.getInt("llama.block_count")).isEqualTo(30);
            assertThat(m.getInt("llama.embedding_length")).isEqualTo(576);
            assertThat(m.getInt("llama.attention.head_count")).isEqualTo(9);
            assertThat(m.getInt("llama.attention.head_count_kv")).isEqualTo(3);
            assertThat(m.getFloat("llama.rope.freq_base")).isEqualTo(100000f);
            assertThat(m.getStringArray("tokenizer.ggml.tokens")).hasSize(49152);
            assertThat(m.getStringArray("tokenizer.ggml.merges")).hasSize(48900);
            assertThat(m.getIntArray("tokenizer.ggml.token_type")).hasSize(49152);

            GgufTensorInfo embeddings = file.requireTensor("token_embd.weight");
            assertThat(embeddings.type()).isEqualTo(GgmlType.Q8_0);
            assertThat(embeddings.dims()).containsExactly(576, 49152);
            assertThat(file.tensorData(embeddings).byteSize()).isEqualTo(49152L * 576 / 32 * 34);

            GgufTensorInfo query = file.requireTensor("blk.0.attn_q.weight");
            assertThat(query.type()).isEqualTo(GgmlType.Q4_1);
            assertThat(query.dims()).containsExactly(576, 576);

            // Every tensor's bytes lie inside the file; touching the last byte of each proves the mapping.
            long fileSize = Files.size(model);
            for (GgufTensorInfo tensor : file.tensors()) {
                assertThat(file.dataOffset() + tensor.offset() + tensor.byteSize()).isLessThanOrEqualTo(fileSize);
                file.tensorData(tensor).get(ValueLayout.JAVA_BYTE, tensor.byteSize() - 1);
            }
        }
    }
}

package io.kvsqueeze.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.engine.ReferenceModel;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeOutputTest {

    /** ids 0, 1: control tokens; 2..4: "h", "i", "hi" with the merge "h i". */
    private static GgufMetadata tinyModel(boolean addBos) {
        Map<String, Object> values = new HashMap<>();
        values.put("tokenizer.ggml.model", "gpt2");
        values.put("tokenizer.ggml.pre", "smollm");
        values.put("tokenizer.ggml.tokens", new String[] {"<|im_start|>", "<|im_end|>", "h", "i", "hi"});
        values.put("tokenizer.ggml.token_type", new int[] {3, 3, 1, 1, 1});
        values.put("tokenizer.ggml.merges", new String[] {"h i"});
        values.put("tokenizer.ggml.bos_token_id", 0L);
        values.put("tokenizer.ggml.eos_token_id", 1L);
        values.put("tokenizer.ggml.add_bos_token", addBos);
        return new GgufMetadata("tiny.gguf", values);
    }

    @Test
    void printsIdsSpaceSeparatedOrAsJson() {
        assertThat(TokenizeOutput.format(tinyModel(false), "<|im_start|>hi<|im_end|>", true, false)).isEqualTo("0 4 1");
        assertThat(TokenizeOutput.format(tinyModel(false), "<|im_start|>hi<|im_end|>", true, true))
                .isEqualTo("{\"ids\":[0,4,1],\"count\":3}");
        assertThat(TokenizeOutput.format(tinyModel(false), "", true, true)).isEqualTo("{\"ids\":[],\"count\":0}");
        assertThat(TokenizeOutput.format(tinyModel(false), "", true, false)).isEmpty();
    }

    @Test
    void addsBosWhenTheModelAsksForIt() {
        assertThat(TokenizeOutput.format(tinyModel(true), "hi", true, false)).isEqualTo("0 4");
    }

    @Test
    void withoutSpecialParsingControlTokenTextsAreTokenizedAsText() {
        // The tiny vocabulary has no tokens for "<", "|", ..., so treating the text as text fails loudly.
        assertThatThrownBy(() -> TokenizeOutput.format(tinyModel(false), "<|im_start|>hi", false, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x3C");
    }

    @Test
    void aMissingModelFileIsReportedWithItsPath(@TempDir Path folder) throws IOException {
        Path missing = folder.resolve("nope.gguf");
        Path present = Files.createFile(folder.resolve("model.gguf"));

        assertThatThrownBy(() -> TokenizeOutput.requireModelFile(missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("KVSQUEEZE_HOME");
        assertThatThrownBy(() -> TokenizeOutput.requireModelFile(folder)).isInstanceOf(IllegalArgumentException.class);
        assertThat(TokenizeOutput.requireModelFile(present)).isEqualTo(present);
    }

    @Test
    void smolLm2IdsForAChatTurnMatchLlamaCpp() {
        GgufMetadata smolLm2 = ReferenceModel.metadataOrSkip();

        // llama.cpp: tokenize("<|im_start|>user\nhi<|im_end|>", add_bos=True, special=True); SmolLM2 adds no BOS.
        assertThat(TokenizeOutput.format(smolLm2, "<|im_start|>user\nhi<|im_end|>", true, false))
                .isEqualTo("1 4093 198 6004 2");
        assertThat(TokenizeOutput.format(smolLm2, "<|im_start|>user\nhi<|im_end|>", true, true))
                .isEqualTo("{\"ids\":[1,4093,198,6004,2],\"count\":5}");
    }
}

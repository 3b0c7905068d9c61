package io.kvsqueeze.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.engine.ReferenceModel;
import io.kvsqueeze.engine.chat.ChatTemplate;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import io.kvsqueeze.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

class PasskeyPromptTest {

    private static PasskeyPrompt prompts() {
        GgufMetadata metadata = ReferenceModel.metadataOrSkip();
        Tokenizer tokenizer = Tokenizer.fromGguf(metadata);
        return new PasskeyPrompt(tokenizer, ChatTemplate.fromGguf(metadata, tokenizer));
    }

    @Test
    void promptsHitTheTargetLengthAndHideTheKeyAtTheDepth() {
        PasskeyPrompt prompts = prompts();
        Tokenizer tokenizer = Tokenizer.fromGguf(ReferenceModel.metadataOrSkip());
        for (int target : new int[] {256, 1024}) {
            PasskeyPrompt.Case shallow = prompts.build(target, 0.0, 0, 7);
            PasskeyPrompt.Case deep = prompts.build(target, 1.0, 0, 7);
            for (PasskeyPrompt.Case c : new PasskeyPrompt.Case[] {shallow, deep}) {
                // within one filler sentence (about 25 tokens) below the target, never above it
                assertThat(c.promptIds().length).isBetween(target - 30, target);
                assertThat(c.passkey()).hasSize(5);
            }
            String shallowText = tokenizer.decode(shallow.promptIds());
            String deepText = tokenizer.decode(deep.promptIds());
            // depth 0: before every filler sentence; depth 1: after all of them
            assertThat(shallowText.indexOf(shallow.passkey())).isLessThan(shallowText.indexOf(PasskeyPrompt.FILLER));
            assertThat(deepText.indexOf(deep.passkey())).isGreaterThan(deepText.lastIndexOf(PasskeyPrompt.FILLER));
            assertThat(deepText).endsWith(PasskeyPrompt.ANSWER_START);
        }
    }

    @Test
    void keysAreReproduciblePerCellAndDifferBetweenCells() {
        PasskeyPrompt prompts = prompts();
        assertThat(prompts.build(256, 0.5, 0, 1).passkey()).isEqualTo(prompts.build(256, 0.5, 0, 1).passkey());
        assertThat(java.util.stream.IntStream.range(0, 8).mapToObj(t -> prompts.build(256, 0.5, t, 1).passkey())
                .distinct().count()).isGreaterThan(1);
        PasskeyPrompt.Case c = prompts.build(256, 0.5, 0, 1);
        assertThat(PasskeyPrompt.correct(c, " " + c.passkey() + ".")).isTrue();
        assertThat(PasskeyPrompt.correct(c, " " + c.passkey().substring(0, 4) + ".")).isFalse();
    }

    @Test
    void depthOutsideTheHaystackIsRejected() {
        PasskeyPrompt prompts = prompts();
        assertThatThrownBy(() -> prompts.build(256, 1.5, 0, 1)).hasMessageContaining("depth");
    }
}

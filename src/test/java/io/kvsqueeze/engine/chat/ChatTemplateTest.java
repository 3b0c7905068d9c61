package io.kvsqueeze.engine.chat;

import static io.kvsqueeze.engine.chat.ChatMessage.assistant;
import static io.kvsqueeze.engine.chat.ChatMessage.system;
import static io.kvsqueeze.engine.chat.ChatMessage.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import io.kvsqueeze.engine.tokenizer.Tokenizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Templates rendered as Hugging Face's apply_chat_template renders them; every expected string here is what
 * Python's Jinja2 produced with HF's settings (trim_blocks, lstrip_blocks, raise_exception, strftime_now,
 * HF's tojson) for the same template and messages.
 */
class ChatTemplateTest {
    private static final Clock JULY_26_2024 = Clock.fixed(Instant.parse("2024-07-26T09:30:00Z"), ZoneOffset.UTC);
    private static final List<ChatMessage> SYSTEM_AND_USER = List.of(system("You are terse."), user("  Hi there!  "));
    private static final List<ChatMessage> THREE_TURNS =
            List.of(user("What is 2+2?"), assistant("4"), user("And 3+3?"));

    static String resource(String name) {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ChatTemplate template(String resourceName, String bos, String eos) {
        return new ChatTemplate(resource(resourceName), bos, eos, JULY_26_2024);
    }

    private static ChatTemplate smolLm2() {
        return template("smollm2-135m-instruct.jinja", "<|im_start|>", "<|im_end|>");
    }

    @Test
    void smolLm2AddsItsDefaultSystemPromptWhenTheConversationHasNone() {
        assertThat(smolLm2().render(List.of(user("  Hi there!  ")), true)).isEqualTo(
                "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                        + "<|im_start|>user\n  Hi there!  <|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void smolLm2KeepsAGivenSystemPrompt() {
        assertThat(smolLm2().render(SYSTEM_AND_USER, true)).isEqualTo(
                "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n  Hi there!  <|im_end|>\n"
                        + "<|im_start|>assistant\n");
    }

    @Test
    void withoutGenerationPromptTheRenderEndsAfterTheLastTurn() {
        assertThat(smolLm2().render(THREE_TURNS, false)).isEqualTo(
                "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                        + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"
                        + "<|im_start|>user\nAnd 3+3?<|im_end|>\n");
    }

    @Test
    void llama3TrimsContentWithAFilterInsideConcatenationAndStartsWithBos() {
        ChatTemplate llama3 = template("llama3-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");

        assertThat(llama3.render(SYSTEM_AND_USER, true)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void mistralRendersAlternatingTurns() {
        ChatTemplate mistral = template("mistral-instruct.jinja", "<s>", "</s>");

        assertThat(mistral.render(THREE_TURNS, false))
                .isEqualTo("<s>[INST] What is 2+2? [/INST]4</s>[INST] And 3+3? [/INST]");
    }

    @Test
    void raiseExceptionInATemplateBecomesAnExceptionWithItsMessage() {
        ChatTemplate mistral = template("mistral-instruct.jinja", "<s>", "</s>");

        assertThatThrownBy(() -> mistral.render(List.of(user("a"), user("b")), false))
                .isInstanceOf(ChatTemplateException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Conversation roles must alternate user/assistant/user/assistant/...");
        assertThatThrownBy(() -> mistral.render(SYSTEM_AND_USER, false))
                .hasMessageContaining("Conversation roles must alternate");
    }

    @Test
    void pythonStringMethodsNamespaceStrftimeAndTojsonWorkAsInHuggingFace() {
        ChatTemplate features = template("python-features.jinja", "<s>", "</s>");
        List<ChatMessage> withThinking = List.of(user("Q"), assistant("<think>hmm</think>\n  A  "), user("Q2"));

        assertThat(features.render(withThinking, true)).isEqualTo(
                "<s><|system|>Today is 26 Jul 2024.\n<|USER|>Q\n\n<|ASSISTANT|>A\n\n<|USER*|>Q2</s>\n"
                        + "<|ASSISTANT|>{\"n\": 3, \"roles\": [\"user\", \"assistant\", \"user\"]}");
        assertThat(features.render(SYSTEM_AND_USER, false)).isEqualTo(
                "<s><|SYSTEM|>You are terse.\n\n<|USER*|>Hi there!</s>\n{\"n\": 2, \"roles\": [\"system\", \"user\"]}");
    }

    @Test
    void chatMlIsTheFallback() {
        ChatTemplate chatMl = ChatTemplate.chatMl("", "");

        assertThat(chatMl.render(List.of(system("S"), user("U")), true))
                .isEqualTo("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
        assertThat(chatMl.render(List.of(user("U")), false)).isEqualTo("<|im_start|>user\nU<|im_end|>\n");
        assertThat(chatMl.render(List.of(), false)).isEmpty();
    }

    @Test
    void aMalformedTemplateFailsWithTheProblemNamed() {
        ChatTemplate unclosed = new ChatTemplate("{% for m in messages %}{{ m.content }}", "", "");
        ChatTemplate unknownTag = new ChatTemplate("{% frobnicate %}", "", "");

        assertThatThrownBy(() -> unclosed.render(List.of(user("x")), false))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("endfor");
        assertThatThrownBy(() -> unknownTag.render(List.of(user("x")), false))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("frobnicate");
    }

    @Test
    void anUnknownFunctionFailsWithItsName() {
        ChatTemplate callsMissing = new ChatTemplate("{{ render_tools(messages) }}", "", "");

        assertThatThrownBy(() -> callsMissing.render(List.of(user("x")), false))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("render_tools");
    }

    @Test
    void stripTrimLoopFlagsNamespaceAndTojsonWithIndentInline() {
        ChatTemplate inline = new ChatTemplate("{% set ns = namespace(count=0) %}"
                + "{% for m in messages %}{% set ns.count = ns.count + 1 %}"
                + "[{{ 'first' if loop.first }}{{ 'last' if loop.last }} {{ m['content'].strip() }}|{{ m.content | trim }}]{% endfor %}"
                + " {{ ns.count }} {{ messages[0] | tojson(indent=2) }}", "", "");

        assertThat(inline.render(List.of(user(" a "), assistant("b\n")), false)).isEqualTo(
                "[first a|a][last b|b] 2 {\n  \"role\": \"user\",\n  \"content\": \" a \"\n}");
    }

    private static GgufMetadata chatMlVocabulary(String chatTemplate) {
        Map<String, Object> values = new HashMap<>();
        values.put("tokenizer.ggml.model", "gpt2");
        values.put("tokenizer.ggml.pre", "smollm");
        values.put("tokenizer.ggml.tokens", new String[] {"<|im_start|>", "<|im_end|>", "a"});
        values.put("tokenizer.ggml.token_type", new int[] {3, 3, 1});
        values.put("tokenizer.ggml.merges", new String[0]);
        values.put("tokenizer.ggml.bos_token_id", 0L);
        values.put("tokenizer.ggml.eos_token_id", 1L);
        if (chatTemplate != null) {
            values.put("tokenizer.chat_template", chatTemplate);
        }
        return new GgufMetadata("test.gguf", values);
    }

    @Test
    void fromGgufUsesTheModelsTemplateWithItsBosAndEosTexts() {
        GgufMetadata metadata = chatMlVocabulary("{{ bos_token }}{{ messages[0].content }}{{ eos_token }}");

        ChatTemplate template = ChatTemplate.fromGguf(metadata, Tokenizer.fromGguf(metadata));

        assertThat(template.render(List.of(user("a")), false)).isEqualTo("<|im_start|>a<|im_end|>");
    }

    @Test
    void fromGgufFallsBackToChatMlWithoutATemplate() {
        GgufMetadata metadata = chatMlVocabulary(null);

        ChatTemplate template = ChatTemplate.fromGguf(metadata, Tokenizer.fromGguf(metadata));

        assertThat(template.source()).isEqualTo(ChatTemplate.CHATML_SOURCE);
        assertThat(template.render(List.of(user("a")), true))
                .isEqualTo("<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n");
    }
}

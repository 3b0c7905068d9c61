package io.kvsqueeze.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Word splits for each pre-tokenizer. The expected words are what llama.cpp's {@code unicode_regex_split}
 * returned for the same text and regex list (run from its sources for this test's inputs).
 */
class PreTokenizerTest {

    static Stream<Arguments> llamaCppSplits() {
        return Stream.of(
                Arguments.of("gpt-2", "Hello  world 123", List.of("Hello", " ", " world", " 123")),
                Arguments.of("smollm", "Hello  world 123", List.of("Hello", " ", " world", " ", "1", "2", "3")),
                Arguments.of("llama-bpe", "Hello  world 123", List.of("Hello", " ", " world", " ", "123")),
                Arguments.of("qwen2", "Hello  world 123", List.of("Hello", " ", " world", " ", "1", "2", "3")),
                Arguments.of("default", "Hello  world 123", List.of("Hello", " ", " world", " ", "123")),

                Arguments.of("gpt-2", "don't I'LL 'S", List.of("don", "'t", " I", "'", "LL", " '", "S")),
                Arguments.of("llama-bpe", "don't I'LL 'S", List.of("don", "'t", " I", "'LL", " '", "S")),
                Arguments.of("default", "don't I'LL 'S", List.of("don", "'", "t", " I", "'", "LL", " ", "'", "S")),

                Arguments.of("smollm", "x\n\n  y", List.of("x", "\n\n ", " y")),
                Arguments.of("llama-bpe", "x\n\n  y", List.of("x", "\n\n", " ", " y")),
                Arguments.of("smollm", "  \n\t  z", List.of("  \n\t ", " z")),
                Arguments.of("qwen2", "  \n\t  z", List.of("  \n", "\t ", " z")),
                Arguments.of("smollm", "a\t\tb", List.of("a", "\t", "\t", "b")),
                Arguments.of("llama-bpe", "a\t\tb", List.of("a", "\t", "\tb")),
                Arguments.of("smollm", "end   ", List.of("end", "   ")),

                Arguments.of("gpt-2", "ab12345678cd", List.of("ab", "12345678", "cd")),
                Arguments.of("smollm", "ab12345678cd", List.of("ab", "1", "2", "3", "4", "5", "6", "7", "8", "cd")),
                Arguments.of("llama-bpe", "ab12345678cd", List.of("ab", "123", "456", "78", "cd")),
                Arguments.of("default", "ab12345678cd", List.of("ab", "123", "456", "78", "cd")),
                Arguments.of("smollm", "$1,234.56", List.of("$", "1", ",", "2", "3", "4", ".", "5", "6")),

                Arguments.of("smollm", "!!!  ???", List.of("!!!", " ", " ???")),
                Arguments.of("default", "!!!  ???", List.of("!!!", "  ", "???")),
                Arguments.of("llama-bpe", "x²+y³", List.of("x", "²", "+y", "³")),
                Arguments.of("smollm", "x²+y³", List.of("x", "²", "+", "y", "³")),
                // No-break spaces are whitespace (Unicode White_Space), as in llama.cpp.
                Arguments.of("smollm", "a\u00a0\u00a0b", List.of("a", "\u00a0", "\u00a0", "b")),
                Arguments.of("qwen2", "a\u00a0\u00a0b", List.of("a", "\u00a0", "\u00a0b")),
                // Roman numeral twelve and Arabic-Indic three are both \p{N}.
                Arguments.of("gpt-2", "Ⅻ٣", List.of("Ⅻ٣")),
                Arguments.of("smollm", "Ⅻ٣", List.of("Ⅻ", "٣")));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("llamaCppSplits")
    void splitsLikeLlamaCpp(String preTokenizer, String text, List<String> expectedWords) {
        assertThat(PreTokenizer.forName(preTokenizer).split(text)).containsExactlyElementsOf(expectedWords);
    }

    @Test
    void theWordsAlwaysConcatenateToTheText() {
        String text = "Mixed: 12ab \t\n'll ÄÖÜ 你好 😀👍🏽 $%^ end  ";
        for (String name : List.of("default", "gpt-2", "smollm", "starcoder", "llama-bpe", "qwen2")) {
            assertThat(String.join("", PreTokenizer.forName(name).split(text))).as(name).isEqualTo(text);
        }
    }

    @Test
    void emptyTextHasNoWords() {
        assertThat(PreTokenizer.forName("smollm").split("")).isEmpty();
    }

    @Test
    void aliasesShareTheirFamilysPatternsAndFlags() {
        PreTokenizer llama3 = PreTokenizer.forName("llama3");
        assertThat(llama3.wholeWordTokensSkipMerges()).isTrue();
        assertThat(llama3.addsBosByDefault()).isTrue();
        assertThat(llama3.split("ab12345678cd")).containsExactly("ab", "123", "456", "78", "cd");

        assertThat(PreTokenizer.forName("smollm").cleansSpacesOnDecode()).isFalse();
        assertThat(PreTokenizer.forName("starcoder").cleansSpacesOnDecode()).isTrue();
        assertThat(PreTokenizer.forName("qwen2").cleansSpacesOnDecode()).isFalse();
        assertThat(PreTokenizer.forName("").name()).isEqualTo("default");
    }

    @Test
    void anUnknownNameIsRejectedWithTheName() {
        assertThatThrownBy(() -> PreTokenizer.forName("gemma4"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'gemma4'")
                .hasMessageContaining("tokenizer.ggml.pre");
    }
}

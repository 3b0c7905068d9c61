package io.kvsqueeze.engine.tokenizer;

import static io.kvsqueeze.engine.tokenizer.TestVocabulary.byteId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.engine.gguf.GgufFormatException;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ByteLevelBpeTokenizerTest {

    @Test
    void mergesWordsWithTheirRanksAfterPreTokenizing() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        vocabulary.merge("h", "e");
        vocabulary.merge("l", "l");
        vocabulary.merge("he", "ll");
        int hello = vocabulary.merge("hell", "o");
        vocabulary.merge("Ġ", "w");
        vocabulary.merge("o", "r");
        int spaceWor = vocabulary.merge("Ġw", "or");
        Tokenizer tokenizer = Tokenizer.fromGguf(vocabulary.gpt2("gpt-2"));

        // " world" is one word (the space belongs to it); "ld" has no merge, so l and d stay single bytes.
        assertThat(tokenizer.encode("hello world", false))
                .containsExactly(hello, spaceWor, byteId('l'), byteId('d'));
    }

    @Test
    void appliesTheLowestRankedMergeFirst() {
        TestVocabulary bcFirst = TestVocabulary.byteLevel();
        int bc = bcFirst.merge("b", "c");
        bcFirst.merge("a", "b");
        TestVocabulary abFirst = TestVocabulary.byteLevel();
        int ab = abFirst.merge("a", "b");
        abFirst.merge("b", "c");

        assertThat(Tokenizer.fromGguf(bcFirst.gpt2("gpt-2")).encode("abc", false)).containsExactly(byteId('a'), bc);
        assertThat(Tokenizer.fromGguf(abFirst.gpt2("gpt-2")).encode("abc", false)).containsExactly(ab, byteId('c'));
    }

    @Test
    void mergesTheLeftmostPairOnEqualRanks() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int aa = vocabulary.merge("a", "a");

        assertThat(Tokenizer.fromGguf(vocabulary.gpt2("gpt-2")).encode("aaa", false)).containsExactly(aa, byteId('a'));
    }

    @Test
    void keepsMergingUntilNoRulePairsTwoNeighbours() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int aa = vocabulary.merge("a", "a");
        int aaaa = vocabulary.merge("aa", "aa");
        String text = "a".repeat(11); // 4 + 4 + 2 + 1

        assertThat(Tokenizer.fromGguf(vocabulary.gpt2("gpt-2")).encode(text, false))
                .containsExactly(aaaa, aaaa, aa, byteId('a'));
    }

    @Test
    void smolLmIsolatesEveryDigitBeforeMerging() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int twelve = vocabulary.merge("1", "2");

        assertThat(Tokenizer.fromGguf(vocabulary.gpt2("smollm")).encode("12", false))
                .containsExactly(byteId('1'), byteId('2'));
        assertThat(Tokenizer.fromGguf(vocabulary.gpt2("gpt-2")).encode("12", false)).containsExactly(twelve);
    }

    @Test
    void llama3UsesAWordThatIsATokenWithoutMerging() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int ab = vocabulary.merge("a", "b");
        int abc = vocabulary.normal("abc"); // reachable by no merge rule

        assertThat(Tokenizer.fromGguf(vocabulary.gpt2("llama-bpe")).encode("abc", false)).containsExactly(abc);
        assertThat(Tokenizer.fromGguf(vocabulary.gpt2("gpt-2")).encode("abc", false)).containsExactly(ab, byteId('c'));
    }

    @Test
    void aMergeResultMissingFromTheVocabularyFallsBackToItsBytes() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        vocabulary.mergeRuleOnly("x", "y");

        assertThat(Tokenizer.fromGguf(vocabulary.gpt2("gpt-2")).encode("xy", false))
                .containsExactly(byteId('x'), byteId('y'));
    }

    @Test
    void aByteWithoutATokenBecomesTheUnknownTokenOrFailsButIsNeverDropped() {
        TestVocabulary withoutZ = TestVocabulary.empty();
        withoutZ.normal("a");
        int unknown = withoutZ.control("<unk>");
        GgufMetadata noUnknown = withoutZ.gpt2("gpt-2");

        assertThatThrownBy(() -> Tokenizer.fromGguf(noUnknown).encode("az", false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x7A");

        Tokenizer withUnknown = Tokenizer.fromGguf(withoutZ.with("tokenizer.ggml.unknown_token_id", (long) unknown)
                .gpt2("gpt-2"));
        assertThat(withUnknown.encode("az", false)).containsExactly(0, unknown);
    }

    @Test
    void multiByteCharactersRoundTripThroughTheirByteTokens() {
        Tokenizer tokenizer = Tokenizer.fromGguf(TestVocabulary.byteLevel().gpt2("gpt-2"));

        int[] ids = tokenizer.encode("é€😀", false);

        assertThat(ids).hasSize(2 + 3 + 4);
        assertThat(ids[0]).isEqualTo(0xC3);
        assertThat(tokenizer.tokenBytes(ids[0])).containsExactly(0xC3);
        assertThat(tokenizer.decode(ids)).isEqualTo("é€😀");
    }

    @Test
    void unpairedSurrogatesAreEncodedAsReplacementCharacters() {
        Tokenizer tokenizer = Tokenizer.fromGguf(TestVocabulary.byteLevel().gpt2("gpt-2"));

        assertThat(tokenizer.encode("a\uD800", false)).containsExactly('a', 0xEF, 0xBF, 0xBD);
    }

    @Test
    void controlTokensAreRecognisedInTextOnlyWhenParsingSpecials() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int imStart = vocabulary.control("<|im_start|>");
        int imEnd = vocabulary.control("<|im_end|>");
        Tokenizer tokenizer = Tokenizer.fromGguf(vocabulary.gpt2("smollm"));
        String text = "<|im_start|>hi<|im_end|>";

        assertThat(tokenizer.encode(text, false, true)).containsExactly(imStart, byteId('h'), byteId('i'), imEnd);
        int[] asText = tokenizer.encode(text, false, false);
        assertThat(asText).doesNotContain(imStart, imEnd);
        assertThat(tokenizer.decode(asText)).isEqualTo(text);
    }

    @Test
    void userDefinedTokensAreAlwaysSplitOut() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int tool = vocabulary.userDefined("<tool>");
        Tokenizer tokenizer = Tokenizer.fromGguf(vocabulary.gpt2("gpt-2"));

        assertThat(tokenizer.encode("a<tool>", false, false)).containsExactly(byteId('a'), tool);
    }

    @Test
    void theLongestSpecialTokenWinsWhereTwoOverlap() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int end = vocabulary.control("<|end|>");
        int endOfText = vocabulary.control("<|end|><|text|>");
        Tokenizer tokenizer = Tokenizer.fromGguf(vocabulary.gpt2("gpt-2"));

        assertThat(tokenizer.encode("<|end|><|text|><|end|>", false, true)).containsExactly(endOfText, end);
    }

    @Test
    void addSpecialHonoursTheVocabularysBosAndEosFlags() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int bos = vocabulary.control("<s>");
        int eos = vocabulary.control("</s>");
        vocabulary.with("tokenizer.ggml.bos_token_id", (long) bos).with("tokenizer.ggml.eos_token_id", (long) eos);

        Tokenizer bosOnly = Tokenizer.fromGguf(vocabulary.with("tokenizer.ggml.add_bos_token", true).gpt2("gpt-2"));
        assertThat(bosOnly.encode("a", true)).containsExactly(bos, 'a');
        assertThat(bosOnly.encode("a", false)).containsExactly('a');

        Tokenizer both = Tokenizer.fromGguf(vocabulary.with("tokenizer.ggml.add_eos_token", true).gpt2("gpt-2"));
        assertThat(both.encode("a", true)).containsExactly(bos, 'a', eos);

        Tokenizer neither = Tokenizer.fromGguf(vocabulary.with("tokenizer.ggml.add_bos_token", false)
                .with("tokenizer.ggml.add_eos_token", false).gpt2("gpt-2"));
        assertThat(neither.encode("a", true)).containsExactly('a');
        assertThat(neither.encode("", true)).isEmpty();
    }

    @Test
    void llama3AddsBosUnlessTheGgufSaysOtherwise() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int bos = vocabulary.control("<|begin_of_text|>");
        vocabulary.with("tokenizer.ggml.bos_token_id", (long) bos);

        assertThat(Tokenizer.fromGguf(vocabulary.gpt2("llama-bpe")).encode("a", true)).containsExactly(bos, 'a');
        assertThat(Tokenizer.fromGguf(vocabulary.with("tokenizer.ggml.add_bos_token", false).gpt2("llama-bpe"))
                .encode("a", true)).containsExactly('a');
    }

    @Test
    void endOfGenerationCoversEosEotAndChatEndTokensFoundByText() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int endOfText = vocabulary.control("<|endoftext|>");
        int imStart = vocabulary.control("<|im_start|>");
        int imEnd = vocabulary.normal("<|im_end|>"); // mistyped NORMAL by a converter
        int eot = vocabulary.control("<my_eot>");
        int eos = vocabulary.control("<my_eos>");
        Tokenizer tokenizer = Tokenizer.fromGguf(vocabulary
                .with("tokenizer.ggml.eos_token_id", (long) eos)
                .with("tokenizer.ggml.eot_token_id", (long) eot)
                .gpt2("smollm"));

        assertThat(tokenizer.isEndOfGeneration(imEnd)).isTrue();
        assertThat(tokenizer.isEndOfGeneration(endOfText)).isTrue();
        assertThat(tokenizer.isEndOfGeneration(eot)).isTrue();
        assertThat(tokenizer.isEndOfGeneration(eos)).isTrue();
        assertThat(tokenizer.isEndOfGeneration(imStart)).isFalse();
        assertThat(tokenizer.isEndOfGeneration('a')).isFalse();
        assertThat(tokenizer.isEndOfGeneration(-1)).isFalse();
        // llama.cpp promotes the mistyped end token to a control token, so it is split out and hidden.
        assertThat(tokenizer.isControl(imEnd)).isTrue();
        assertThat(tokenizer.encode("<|im_end|>", false, true)).containsExactly(imEnd);
        assertThat(tokenizer.decode(new int[] {'a', imEnd}, false)).isEqualTo("a");
    }

    @Test
    void gptOssStyleEndIsNotEndOfGenerationWhenReturnAndCallExist() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int end = vocabulary.control("<|end|>");
        int returnToken = vocabulary.control("<|return|>");
        vocabulary.control("<|call|>");
        Tokenizer tokenizer = Tokenizer.fromGguf(vocabulary.gpt2("gpt-2"));

        assertThat(tokenizer.isEndOfGeneration(end)).isFalse();
        assertThat(tokenizer.isEndOfGeneration(returnToken)).isTrue();
        assertThat(tokenizer.isControl(end)).isFalse(); // rendered as text between messages
    }

    @Test
    void controlTokensDecodeToTheirTextOnlyWhenRenderingSpecials() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int imStart = vocabulary.control("<|im_start|>");
        Tokenizer tokenizer = Tokenizer.fromGguf(vocabulary.gpt2("smollm"));
        int[] ids = {imStart, 'h', 'i'};

        assertThat(tokenizer.decode(ids)).isEqualTo("<|im_start|>hi");
        assertThat(tokenizer.decode(ids, false)).isEqualTo("hi");
        assertThat(tokenizer.tokenBytes(imStart, false)).isEmpty();
        assertThat(new String(tokenizer.tokenBytes(imStart), StandardCharsets.UTF_8)).isEqualTo("<|im_start|>");
        assertThat(tokenizer.tokenText(imStart)).isEqualTo("<|im_start|>");
        assertThat(tokenizer.tokenText(' ')).isEqualTo("Ġ");
    }

    @Test
    void decodingCleansSpacesBeforePunctuationOnlyWhereThePreTokenizerAsksForIt() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        Tokenizer gpt2 = Tokenizer.fromGguf(vocabulary.gpt2("gpt-2"));
        Tokenizer smolLm = Tokenizer.fromGguf(vocabulary.gpt2("smollm"));
        String text = "a . b , c ' d 's e 're f 't";

        assertThat(gpt2.decode(gpt2.encode(text, false))).isEqualTo("a. b, c'd's e're f 't");
        assertThat(smolLm.decode(smolLm.encode(text, false))).isEqualTo(text);
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() {
        Tokenizer tokenizer = Tokenizer.fromGguf(TestVocabulary.byteLevel().gpt2("gpt-2"));

        assertThatThrownBy(() -> tokenizer.decode(new int[] {256})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256");
        assertThatThrownBy(() -> tokenizer.tokenText(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(tokenizer.vocabularySize()).isEqualTo(256);
    }

    @Test
    void unsupportedTokenizerModelsAndPreTokenizersAreNamedInTheError() {
        Map<String, Object> bert = new HashMap<>(TestVocabulary.byteLevel().gpt2("gpt-2").asMap());
        bert.put("tokenizer.ggml.model", "bert");

        assertThatThrownBy(() -> Tokenizer.fromGguf(new GgufMetadata("m.gguf", bert)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bert'");
        assertThatThrownBy(() -> Tokenizer.fromGguf(TestVocabulary.byteLevel().gpt2("tekken-9")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'tekken-9'");
    }

    @Test
    void aGpt2VocabularyWithoutMergesIsRejected() {
        Map<String, Object> values = new HashMap<>(TestVocabulary.byteLevel().gpt2("gpt-2").asMap());
        values.remove("tokenizer.ggml.merges");

        assertThatThrownBy(() -> Tokenizer.fromGguf(new GgufMetadata("m.gguf", values)))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("tokenizer.ggml.merges");
    }

    @Test
    void aMissingPreTokenizerMeansLlamaCppsDefault() {
        TestVocabulary vocabulary = TestVocabulary.byteLevel();
        int spaceBang = vocabulary.merge("Ġ", "!");
        Map<String, Object> values = new HashMap<>(vocabulary.gpt2("gpt-2").asMap());
        values.remove("tokenizer.ggml.pre");
        Tokenizer withoutPre = Tokenizer.fromGguf(new GgufMetadata("m.gguf", values));

        // The default list first isolates punctuation runs, so the space cannot join "!!" as under gpt-2.
        assertThat(withoutPre.encode(" !!", false)).containsExactly(' ', '!', '!');
        assertThat(Tokenizer.fromGguf(vocabulary.gpt2("gpt-2")).encode(" !!", false)).containsExactly(spaceBang, '!');
        assertThat(((ByteLevelBpeTokenizer) withoutPre).preTokenizerName()).isEqualTo("default");
    }
}

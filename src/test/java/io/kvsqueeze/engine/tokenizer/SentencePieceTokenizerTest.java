package io.kvsqueeze.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A small SentencePiece vocabulary. Unless a test says otherwise, the expected ids and texts are what llama.cpp
 * (llama-cpp-python 0.3.36) produced for a GGUF holding exactly this vocabulary; see
 * {@code golden/make_sentencepiece_expectations.py}.
 */
class SentencePieceTokenizerTest {
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int FIRST_BYTE_TOKEN = 3;

    private TestVocabulary vocabulary;
    private int boundary;
    private int hello;
    private int world;
    private int a;
    private int bc;
    private int ni;
    private int spaceHi;
    private int twoSpaces;
    private int he;
    private int llo;
    private int inst;
    private int endInst;
    private int tool;
    private Tokenizer tokenizer;

    @BeforeEach
    void buildVocabulary() {
        vocabulary = TestVocabulary.empty();
        vocabulary.add("<unk>", TokenType.UNKNOWN, 0f);
        vocabulary.control("<s>");
        vocabulary.control("</s>");
        for (int b = 0; b < 256; b++) {
            vocabulary.add(String.format("<0x%02X>", b), TokenType.BYTE, 0f);
        }
        boundary = vocabulary.scored("▁", -1);
        String[] singles = {"e", "h", "l", "o", "w", "r", "d", "a", "b", "c"};
        for (int i = 0; i < singles.length; i++) {
            int id = vocabulary.scored(singles[i], -2 - i);
            if (singles[i].equals("a")) {
                a = id;
            }
        }
        vocabulary.scored("▁h", -12);
        he = vocabulary.scored("he", -13);
        vocabulary.scored("ll", -14);
        vocabulary.scored("▁he", -15);
        llo = vocabulary.scored("llo", -16);
        hello = vocabulary.scored("▁hello", -17);
        vocabulary.scored("▁w", -18);
        vocabulary.scored("or", -19);
        vocabulary.scored("▁wor", -20);
        vocabulary.scored("ld", -21);
        world = vocabulary.scored("▁world", -22);
        vocabulary.scored("ab", -30);
        bc = vocabulary.scored("bc", -25); // outscores "ab", so "abc" splits as a + bc
        ni = vocabulary.scored("你", -40);
        vocabulary.scored("i", -41);
        spaceHi = vocabulary.scored("▁hi", -42);
        twoSpaces = vocabulary.scored("▁▁", -43);
        inst = vocabulary.control("[INST]");
        endInst = vocabulary.control("[/INST]");
        tool = vocabulary.userDefined("<tool>");
        tokenizer = Tokenizer.fromGguf(vocabulary.llama());
    }

    private static int byteToken(int byteValue) {
        return FIRST_BYTE_TOKEN + byteValue;
    }

    @Test
    void mergesByScoreWithASpacePrefixAndAddsBosByDefault() {
        assertThat(tokenizer.encode("hello world", true)).containsExactly(BOS, hello, world);
        assertThat(tokenizer.encode("hello world", false)).containsExactly(hello, world);
        assertThat(tokenizer.encode("abc", false)).containsExactly(boundary, a, bc);
        assertThat(tokenizer.encode("  hello", false)).containsExactly(twoSpaces, hello);
        assertThat(tokenizer.encode("", true)).containsExactly(BOS);
        assertThat(tokenizer.encode("", false)).isEmpty();
        assertThat(tokenizer.bosId()).isEqualTo(BOS);
        assertThat(tokenizer.eosId()).isEqualTo(EOS);
    }

    @Test
    void charactersWithoutATokenBecomeByteTokens() {
        assertThat(tokenizer.encode("é", false)).containsExactly(boundary, byteToken(0xC3), byteToken(0xA9));
        assertThat(tokenizer.encode("你好", false))
                .containsExactly(boundary, ni, byteToken(0xE5), byteToken(0xA5), byteToken(0xBD));
        assertThat(tokenizer.encode("x", false)).containsExactly(boundary, byteToken('x'));
    }

    @Test
    void specialTokensGetASpacePrefixAfterThemWhenParsed() {
        assertThat(tokenizer.encode("[INST] hi [/INST]", true, true))
                .containsExactly(BOS, inst, boundary, spaceHi, boundary, endInst);
        assertThat(tokenizer.encode("[INST]hello", false, true)).containsExactly(inst, hello);
        assertThat(tokenizer.encode("[INST]hello", false, false)).containsExactly(boundary, byteToken('['),
                byteToken('I'), byteToken('N'), byteToken('S'), byteToken('T'), byteToken(']'), he, llo);
        assertThat(tokenizer.encode("hello<tool>world", false, false)).containsExactly(hello, tool, world);
        int[] asText = tokenizer.encode("[INST] hi [/INST]", false, false);
        assertThat(asText).containsExactly(boundary, byteToken('['), byteToken('I'), byteToken('N'), byteToken('S'),
                byteToken('T'), byteToken(']'), spaceHi, boundary, byteToken('['), byteToken('/'), byteToken('I'),
                byteToken('N'), byteToken('S'), byteToken('T'), byteToken(']'));
        assertThat(tokenizer.decode(asText)).isEqualTo("[INST] hi [/INST]");
    }

    @Test
    void decodingTurnsBoundariesIntoSpacesAndReassemblesBytes() {
        assertThat(tokenizer.decode(new int[] {BOS, hello, world}, true)).isEqualTo("<s> hello world");
        assertThat(tokenizer.decode(new int[] {BOS, hello, world}, false)).isEqualTo(" hello world");
        // Without BOS, the space prefix added when encoding is removed from the first token.
        assertThat(tokenizer.decode(new int[] {hello, world})).isEqualTo("hello world");
        assertThat(tokenizer.decode(new int[] {boundary, byteToken(0xC3), byteToken(0xA9)})).isEqualTo("é");
        assertThat(tokenizer.decode(new int[] {inst, boundary, spaceHi, boundary, endInst}, true))
                .isEqualTo("[INST]  hi [/INST]");
        assertThat(tokenizer.decode(new int[] {inst, boundary, spaceHi, boundary, endInst}, false))
                .isEqualTo("  hi ");
        assertThat(tokenizer.decode(new int[] {hello, tool, world})).isEqualTo("hello<tool> world");
        assertThat(tokenizer.tokenBytes(byteToken(0xC3))).containsExactly(0xC3);
    }

    @Test
    void theSpacePrefixCanBeSwitchedOff() { // by llama.cpp's rules, not run through llama.cpp
        Tokenizer withoutPrefix = Tokenizer.fromGguf(
                vocabulary.with("tokenizer.ggml.add_space_prefix", false).llama());

        assertThat(withoutPrefix.encode("hello", false)).containsExactly(he, llo);
        assertThat(withoutPrefix.decode(new int[] {hello})).isEqualTo(" hello");
    }

    @Test
    void withoutByteTokensAnUncoveredCharacterBecomesUnknown() { // llama.cpp aborts here instead
        TestVocabulary small = TestVocabulary.empty();
        int unknown = small.add("<unk>", TokenType.UNKNOWN, 0f);
        small.control("<s>");
        small.control("</s>");
        int space = small.scored("▁", -1);
        Tokenizer tokenizer = Tokenizer.fromGguf(small.llama());

        assertThat(tokenizer.encode("é", false)).containsExactly(space, unknown, unknown);
        assertThat(tokenizer.decode(new int[] {unknown}, true)).isEqualTo("<unk>");
        assertThat(tokenizer.decode(new int[] {unknown}, false)).isEmpty();
    }

    @Test
    void eosIsTheEndOfGeneration() {
        assertThat(tokenizer.isEndOfGeneration(EOS)).isTrue();
        assertThat(tokenizer.isEndOfGeneration(BOS)).isFalse();
        assertThat(tokenizer.isControl(inst)).isTrue();
        assertThat(tokenizer.isControl(tool)).isFalse();
    }
}

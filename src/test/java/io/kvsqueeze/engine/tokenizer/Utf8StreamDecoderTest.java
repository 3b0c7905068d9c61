package io.kvsqueeze.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8StreamDecoderTest {
    // Byte-level vocabulary without merges: ids 0..255 are the bytes, so every multi-byte character is split.
    private final TestVocabulary vocabulary = TestVocabulary.byteLevel();
    private final int imEnd = vocabulary.control("<|im_end|>");
    private final int bytesAcrossCharacters = vocabulary.normal("©a" + ByteLevelEncoding.charOfByte(0xE2)); // A9 'a' E2
    private final Tokenizer tokenizer = Tokenizer.fromGguf(vocabulary.gpt2("smollm"));

    private static List<String> stream(Utf8StreamDecoder decoder, int... ids) {
        List<String> outputs = new ArrayList<>();
        for (int id : ids) {
            outputs.add(decoder.accept(id));
        }
        return outputs;
    }

    @Test
    void holdsASplitCharacterBackUntilItIsComplete() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder(tokenizer);

        assertThat(stream(decoder, 'a', 0xC3, 0xA9, 'b')).containsExactly("a", "", "é", "b");
        assertThat(stream(decoder, 0xF0, 0x9F, 0x98, 0x80)).containsExactly("", "", "", "😀");
        assertThat(decoder.hasPendingBytes()).isFalse();
        assertThat(decoder.finish()).isEmpty();
    }

    @Test
    void aTokenCanCompleteOneCharacterAndStartTheNext() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder(tokenizer);

        assertThat(stream(decoder, 0xC3, bytesAcrossCharacters, 0x82, 0xAC)).containsExactly("", "éa", "", "€");
    }

    @Test
    void anIncompleteCharacterLeftAtTheEndBecomesAReplacementCharacterOnlyAtFinish() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder(tokenizer);

        assertThat(stream(decoder, 'x', 0xE2, 0x82)).containsExactly("x", "", "");
        assertThat(decoder.hasPendingBytes()).isTrue();
        assertThat(decoder.finish()).isEqualTo("\uFFFD");
        assertThat(decoder.hasPendingBytes()).isFalse();
        assertThat(decoder.finish()).isEmpty();
    }

    @Test
    void bytesNoContinuationCouldRepairAreReplacedAtOnce() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder(tokenizer);

        assertThat(decoder.accept(0x80)).isEqualTo("\uFFFD"); // stray continuation byte
        assertThat(decoder.accept(0xFF)).isEqualTo("\uFFFD"); // never a UTF-8 byte
        assertThat(decoder.accept(0xC0)).isEqualTo("\uFFFD"); // would be an overlong form
        assertThat(decoder.accept(0xE0)).isEmpty();           // a valid start...
        assertThat(decoder.accept(0x80)).matches("\uFFFD+"); // ...that E0 80 makes overlong
        assertThat(decoder.accept(0xED)).isEmpty();
        assertThat(decoder.accept(0xA0)).matches("\uFFFD+"); // ED A0 would start a surrogate
        assertThat(decoder.hasPendingBytes()).isFalse();
    }

    @Test
    void controlTokensGiveNoTextUnlessRendered() {
        assertThat(stream(new Utf8StreamDecoder(tokenizer), 'h', 'i', imEnd)).containsExactly("h", "i", "");
        assertThat(stream(new Utf8StreamDecoder(tokenizer, true), 'h', 'i', imEnd))
                .containsExactly("h", "i", "<|im_end|>");
    }

    @Test
    void streamedTextEqualsTheWholeTextForAnyInput() {
        Random random = new Random(42);
        int[] alphabet = "aé€😀你 \n".codePoints().toArray();
        for (int round = 0; round < 200; round++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(12); i > 0; i--) {
                text.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
            }
            Utf8StreamDecoder decoder = new Utf8StreamDecoder(tokenizer);
            StringBuilder streamed = new StringBuilder();
            for (int id : tokenizer.encode(text.toString(), false)) {
                String piece = decoder.accept(id);
                assertThat(piece).doesNotContain("\uFFFD");
                streamed.append(piece);
            }
            streamed.append(decoder.finish());
            assertThat(streamed.toString()).isEqualTo(text.toString());
        }
    }
}

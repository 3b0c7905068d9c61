package io.kvsqueeze.engine.tokenizer;

import java.util.Arrays;

/**
 * Hugging Face's {@code clean_up_tokenization_spaces} in the form llama.cpp applies it when detokenizing with
 * vocabularies that ask for it: no space before {@code ? ! . ,}, none around a lone apostrophe
 * ({@code " ' "} → {@code "'"}), and none before the contractions {@code 's 'm 're 've}. It works on bytes, so
 * multi-byte characters pass through untouched. This makes decoding lossy ("a ." decodes as "a."), which is
 * what those tokenizers do.
 */
final class TokenizationSpaceCleanup {
    private TokenizationSpaceCleanup() {
    }

    static byte[] clean(byte[] text) {
        return dropSpaceBeforeContractions(dropSpacesAroundLoneApostrophe(dropSpaceBeforePunctuation(text)));
    }

    private static byte[] dropSpaceBeforePunctuation(byte[] text) {
        byte[] kept = new byte[text.length];
        int keptCount = 0;
        for (int i = 0; i < text.length; i++) {
            byte current = text[i];
            if (i > 0 && text[i - 1] == ' ' && (current == '?' || current == '!' || current == '.' || current == ',')) {
                keptCount--; // the space just kept
            }
            kept[keptCount++] = current;
        }
        return Arrays.copyOf(kept, keptCount);
    }

    private static byte[] dropSpacesAroundLoneApostrophe(byte[] input) {
        byte[] text = input.clone(); // the space after a removed apostrophe is blanked so it cannot match again
        byte[] kept = new byte[text.length];
        int keptCount = 0;
        for (int i = 0; i < text.length; i++) {
            byte current = text[i];
            if (i > 0 && current == '\'' && i + 1 < text.length && text[i - 1] == ' ' && text[i + 1] == ' ') {
                keptCount--;
                text[i + 1] = 0;
                i++; // skip the following space
            }
            kept[keptCount++] = current;
        }
        return Arrays.copyOf(kept, keptCount);
    }

    private static byte[] dropSpaceBeforeContractions(byte[] text) {
        byte[] kept = new byte[text.length];
        int keptCount = 0;
        for (int i = 0; i < text.length; i++) {
            byte current = text[i];
            if (i > 0 && text[i - 1] == ' ' && current == '\'' && i + 1 < text.length) {
                byte next = text[i + 1];
                boolean shortContraction = next == 's' || next == 'm';
                boolean longContraction = i + 2 < text.length && text[i + 2] == 'e' && (next == 'r' || next == 'v');
                if (shortContraction || longContraction) {
                    keptCount--;
                }
            }
            kept[keptCount++] = current;
        }
        return Arrays.copyOf(kept, keptCount);
    }
}

package io.kvsqueeze.engine.tokenizer;

import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE ({@code tokenizer.ggml.model = llama}): Llama 1/2, Mistral, CodeLlama and others,
 * as llama.cpp's {@code llm_tokenizer_spm} does it. Spaces become U+2581 ({@code ▁}), a space is put in front
 * of the text and after every special token when {@code tokenizer.ggml.add_space_prefix} (default true), and
 * adjacent symbols are merged while their concatenation is a vocabulary token, the highest-scoring
 * ({@code tokenizer.ggml.scores}) first, leftmost on ties. Characters no token covers become byte tokens
 * {@code <0xNN>}.
 */
final class SentencePieceTokenizer extends VocabularyTokenizer {
    private static final char WORD_BOUNDARY = '\u2581';

    /** A candidate merge of symbol {@code left} with its right neighbour {@code right}, {@code length} chars in all. */
    private record Candidate(int left, int right, float score, int length) {
    }

    private static final Comparator<Candidate> HIGHEST_SCORE_THEN_LEFTMOST =
            Comparator.comparingDouble((Candidate candidate) -> candidate.score()).reversed()
                    .thenComparingInt(Candidate::left);

    private final int[] byteTokenIds = new int[256];

    private SentencePieceTokenizer(Vocabulary vocabulary) {
        super(vocabulary, false);
        for (int b = 0; b < 256; b++) {
            int id = vocabulary.idOf(String.format("<0x%02X>", b));
            if (id == Vocabulary.NO_TOKEN && b < 0x80) {
                id = vocabulary.idOf(String.valueOf((char) b)); // llama.cpp's fallback: the byte as a one-char token
            }
            byteTokenIds[b] = id;
        }
    }

    static SentencePieceTokenizer fromGguf(GgufMetadata metadata) {
        // llama.cpp's defaults for SentencePiece vocabularies: <unk> 0, <s> 1, </s> 2, BOS added, space prefix.
        return new SentencePieceTokenizer(Vocabulary.fromGguf(metadata, new Vocabulary.Defaults(1, 2, 0, true, true)));
    }

    @Override
    void encodeText(String text, boolean atStartOrAfterSpecial, TokenIdBuffer out) {
        String prefixed = vocabulary.addSpacePrefix() && atStartOrAfterSpecial ? " " + text : text;
        String escaped = prefixed.replace(' ', WORD_BOUNDARY);

        int symbolCount = escaped.codePointCount(0, escaped.length());
        int[] start = new int[symbolCount];
        int[] length = new int[symbolCount];
        int[] previous = new int[symbolCount];
        int[] next = new int[symbolCount];
        for (int i = 0, offset = 0; i < symbolCount; i++) {
            start[i] = offset;
            length[i] = Character.charCount(escaped.codePointAt(offset));
            offset += length[i];
            previous[i] = i - 1;
            next[i] = i + 1 < symbolCount ? i + 1 : -1;
        }
        PriorityQueue<Candidate> candidates =
                new PriorityQueue<>(Math.max(1, symbolCount), HIGHEST_SCORE_THEN_LEFTMOST);
        for (int i = 1; i < symbolCount; i++) {
            offerCandidate(escaped, i - 1, i, start, length, candidates);
        }
        while (!candidates.isEmpty()) {
            Candidate candidate = candidates.poll();
            int left = candidate.left();
            int right = candidate.right();
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != candidate.length()) {
                continue; // stale: a side has merged since
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                previous[next[right]] = left;
            }
            if (previous[left] >= 0) {
                offerCandidate(escaped, previous[left], left, start, length, candidates);
            }
            if (next[left] >= 0) {
                offerCandidate(escaped, left, next[left], start, length, candidates);
            }
        }
        for (int i = 0; i >= 0 && symbolCount > 0; i = next[i]) {
            emitSymbol(escaped.substring(start[i], start[i] + length[i]), out);
        }
    }

    private void offerCandidate(String text, int left, int right, int[] start, int[] length,
                                PriorityQueue<Candidate> candidates) {
        int merged = vocabulary.idOf(text.substring(start[left], start[right] + length[right]));
        if (merged != Vocabulary.NO_TOKEN) {
            candidates.add(new Candidate(left, right, vocabulary.score(merged), length[left] + length[right]));
        }
    }

    /**
     * A symbol is a token unless it is a single character the vocabulary lacks (merges only make tokens);
     * such a character is written as its UTF-8 byte tokens.
     */
    private void emitSymbol(String symbol, TokenIdBuffer out) {
        int id = vocabulary.idOf(symbol);
        if (id != Vocabulary.NO_TOKEN) {
            out.add(id);
            return;
        }
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            addByteToken(b & 0xFF, byteTokenIds[b & 0xFF], out);
        }
    }

    @Override
    byte[] normalTokenBytes(int id) {
        return vocabulary.text(id).replace(WORD_BOUNDARY, ' ').getBytes(StandardCharsets.UTF_8);
    }
}

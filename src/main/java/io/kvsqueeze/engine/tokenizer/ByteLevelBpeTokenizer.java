package io.kvsqueeze.engine.tokenizer;

import io.kvsqueeze.engine.gguf.GgufFormatException;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Byte-level BPE ({@code tokenizer.ggml.model = gpt2}): GPT-2, Llama 3, Qwen 2, SmolLM, StarCoder and others.
 * Text is split into words by the {@link PreTokenizer} named in {@code tokenizer.ggml.pre}; each word's UTF-8
 * bytes are written as GPT-2 stand-in characters ({@link ByteLevelEncoding}) and merged pair by pair, always
 * the adjacent pair with the lowest rank in {@code tokenizer.ggml.merges}, leftmost first on ties.
 */
final class ByteLevelBpeTokenizer extends VocabularyTokenizer {

    /** Two adjacent symbols' texts; a merge rule's key. */
    private record SymbolPair(String left, String right) {
    }

    /** A candidate merge of symbol {@code left} with its right neighbour {@code right}, {@code length} chars in all. */
    private record Candidate(int left, int right, int rank, int length) {
    }

    private static final Comparator<Candidate> LOWEST_RANK_THEN_LEFTMOST =
            Comparator.comparingInt(Candidate::rank).thenComparingInt(Candidate::left);

    private final PreTokenizer preTokenizer;
    private final Map<SymbolPair, Integer> mergeRanks;
    private final int[] byteTokenIds = new int[256];

    private ByteLevelBpeTokenizer(Vocabulary vocabulary, PreTokenizer preTokenizer, String[] merges) {
        super(vocabulary, preTokenizer.cleansSpacesOnDecode());
        this.preTokenizer = preTokenizer;
        this.mergeRanks = new HashMap<>(merges.length * 2);
        for (int rank = 0; rank < merges.length; rank++) {
            // "left right", split at the first space after the first character, as llama.cpp does.
            int separator = merges[rank].indexOf(' ', 1);
            if (separator > 0) {
                mergeRanks.putIfAbsent(new SymbolPair(merges[rank].substring(0, separator),
                        merges[rank].substring(separator + 1)), rank);
            }
        }
        for (int b = 0; b < 256; b++) {
            byteTokenIds[b] = vocabulary.idOf(String.valueOf(ByteLevelEncoding.charOfByte(b)));
        }
    }

    static ByteLevelBpeTokenizer fromGguf(GgufMetadata metadata) {
        PreTokenizer preTokenizer = PreTokenizer.forName(metadata.getString("tokenizer.ggml.pre", "default"));
        if (!metadata.contains("tokenizer.ggml.merges")) {
            throw new GgufFormatException(metadata.source() + ": a gpt2 tokenizer needs tokenizer.ggml.merges");
        }
        // llama.cpp's defaults for gpt2 vocabularies when the GGUF names no BOS/EOS: id 11 for both.
        Vocabulary vocabulary = Vocabulary.fromGguf(metadata,
                new Vocabulary.Defaults(11, 11, Vocabulary.NO_TOKEN, preTokenizer.addsBosByDefault(), false));
        return new ByteLevelBpeTokenizer(vocabulary, preTokenizer, metadata.getStringArray("tokenizer.ggml.merges"));
    }

    /** The pre-tokenizer's name, for diagnostics. */
    String preTokenizerName() {
        return preTokenizer.name();
    }

    @Override
    void encodeText(String text, boolean atStartOrAfterSpecial, TokenIdBuffer out) {
        for (String word : preTokenizer.split(text)) {
            mergeWord(ByteLevelEncoding.encode(word), out);
        }
    }

    /** BPE over one word with a priority queue of candidate merges and a linked list of symbols: O(n log n). */
    private void mergeWord(String word, TokenIdBuffer out) {
        if (preTokenizer.wholeWordTokensSkipMerges()) {
            int wholeWord = vocabulary.idOf(word);
            if (wholeWord != Vocabulary.NO_TOKEN) {
                out.add(wholeWord);
                return;
            }
        }
        int symbolCount = word.length(); // one stand-in char per byte to start with
        int[] start = new int[symbolCount];
        int[] length = new int[symbolCount];
        int[] previous = new int[symbolCount];
        int[] next = new int[symbolCount];
        for (int i = 0; i < symbolCount; i++) {
            start[i] = i;
            length[i] = 1;
            previous[i] = i - 1;
            next[i] = i + 1 < symbolCount ? i + 1 : -1;
        }
        PriorityQueue<Candidate> candidates = new PriorityQueue<>(Math.max(1, symbolCount), LOWEST_RANK_THEN_LEFTMOST);
        for (int i = 1; i < symbolCount; i++) {
            offerCandidate(word, i - 1, i, start, length, candidates);
        }
        while (!candidates.isEmpty()) {
            Candidate candidate = candidates.poll();
            int left = candidate.left();
            int right = candidate.right();
            // Stale if either side has merged since: the right one is then empty, or a side has grown.
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != candidate.length()) {
                continue;
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                previous[next[right]] = left;
            }
            if (previous[left] >= 0) {
                offerCandidate(word, previous[left], left, start, length, candidates);
            }
            if (next[left] >= 0) {
                offerCandidate(word, left, next[left], start, length, candidates);
            }
        }
        for (int i = 0; i >= 0 && symbolCount > 0; i = next[i]) {
            emitSymbol(word.substring(start[i], start[i] + length[i]), out);
        }
    }

    private void offerCandidate(String word, int left, int right, int[] start, int[] length,
                                PriorityQueue<Candidate> candidates) {
        String leftText = word.substring(start[left], start[left] + length[left]);
        String rightText = word.substring(start[right], start[right] + length[right]);
        Integer rank = mergeRanks.get(new SymbolPair(leftText, rightText));
        if (rank != null) {
            candidates.add(new Candidate(left, right, rank, length[left] + length[right]));
        }
    }

    private void emitSymbol(String symbol, TokenIdBuffer out) {
        int id = vocabulary.idOf(symbol);
        if (id != Vocabulary.NO_TOKEN) {
            out.add(id);
            return;
        }
        // A merge result the vocabulary lacks: fall back to one token per byte.
        for (int i = 0; i < symbol.length(); i++) {
            int byteValue = ByteLevelEncoding.byteOfChar(symbol.charAt(i));
            addByteToken(byteValue, byteTokenIds[byteValue], out);
        }
    }

    @Override
    byte[] normalTokenBytes(int id) {
        String text = vocabulary.text(id);
        byte[] bytes = new byte[text.length()];
        int count = 0;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            i += Character.charCount(codePoint);
            int byteValue = ByteLevelEncoding.byteOfChar(codePoint);
            if (byteValue >= 0) {
                bytes[count++] = (byte) byteValue;
            } else {
                // Not a stand-in character (a converter left raw text in the vocabulary): keep its own UTF-8
                // rather than llama.cpp's "[UNK_BYTE_0x..]" marker.
                byte[] raw = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
                if (count + raw.length > bytes.length) {
                    bytes = Arrays.copyOf(bytes, bytes.length + text.length() * 4);
                }
                System.arraycopy(raw, 0, bytes, count, raw.length);
                count += raw.length;
            }
        }
        return Arrays.copyOf(bytes, count);
    }
}

package io.kvsqueeze.engine.tokenizer;

import io.kvsqueeze.engine.gguf.GgufFormatException;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The token table of a GGUF vocabulary with the per-token attributes and special ids that llama.cpp derives
 * from it ({@code llama_vocab::impl::load}): which tokens are control tokens, which end generation, and which
 * are split out of raw text before the subword model sees it.
 *
 * <p>llama.cpp does not trust the metadata alone: it recognises end-of-turn, fill-in-the-middle and
 * end-of-generation tokens by their text and promotes them to control tokens. We repeat those rules because
 * a prompt tokenized differently, or a stop token missed, changes what the model generates.
 */
final class Vocabulary {
    // Attribute bits (llama.cpp's llama_token_attr). A token can hold more than one after a promotion,
    // e.g. a NORMAL "<|im_end|>" that the end-of-generation rule also marks CONTROL. Zero means UNDEFINED.
    static final int NORMAL = 1;
    static final int UNKNOWN = 1 << 1;
    static final int CONTROL = 1 << 2;
    static final int USER_DEFINED = 1 << 3;
    static final int UNUSED = 1 << 4;
    static final int BYTE = 1 << 5;

    static final int NO_TOKEN = -1;

    /** The special ids and flags a tokenizer model assumes when the GGUF does not say. */
    record Defaults(int bos, int eos, int unknown, boolean addBos, boolean addSpacePrefix) {
    }

    // Texts llama.cpp uses to find special tokens that the converter did not declare in the metadata.
    private static final Set<String> END_OF_TURN_TEXTS = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
            "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    private static final Set<String> END_OF_MESSAGE_TEXTS = Set.of("<|eom_id|>");
    private static final Set<String> FIM_PREFIX_TEXTS = Set.of(
            "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
            "<|code_prefix|>", "<|prefix|>");
    private static final Set<String> FIM_SUFFIX_TEXTS = Set.of(
            "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
            "<|code_suffix|>", "<|suffix|>");
    private static final Set<String> FIM_MIDDLE_TEXTS = Set.of(
            "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
            "<|code_middle|>", "<|middle|>");
    private static final Set<String> FIM_PAD_TEXTS = Set.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
    private static final Set<String> FIM_REPO_TEXTS = Set.of(
            "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
    private static final Set<String> FIM_FILE_SEPARATOR_TEXTS = Set.of("<|file_sep|>");
    private static final Set<String> END_OF_GENERATION_TEXTS = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");
    // gpt-oss renders these structural tokens as text, so llama.cpp makes them user-defined.
    private static final Set<String> ALWAYS_RENDERED_TEXTS = Set.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>");

    private final String source;
    private final String[] texts;
    private final int[] attributes;
    private final float[] scores;
    private final Map<String, Integer> idsByText;
    private final int bos;
    private final int eos;
    private final int unknown;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSpacePrefix;
    private final BitSet endOfGeneration;
    private final int[] splittableSpecialIdsLongestFirst;

    private Vocabulary(GgufMetadata metadata, Defaults defaults) {
        source = metadata.source();
        texts = readTexts(metadata);
        int size = texts.length;
        attributes = readAttributes(metadata, size);
        scores = readScores(metadata, size);
        idsByText = new HashMap<>(size * 2);
        for (int id = 0; id < size; id++) {
            idsByText.put(texts[id], id); // duplicates: the last id wins, as in llama.cpp
        }

        bos = declaredId(metadata, "tokenizer.ggml.bos_token_id", defaults.bos());
        eos = declaredId(metadata, "tokenizer.ggml.eos_token_id", defaults.eos());
        unknown = declaredId(metadata, "tokenizer.ggml.unknown_token_id", defaults.unknown());
        int endOfTurn = declaredId(metadata, "tokenizer.ggml.eot_token_id", NO_TOKEN);
        int endOfMessage = declaredId(metadata, "tokenizer.ggml.eom_token_id", NO_TOKEN);
        // The deprecated prefix/suffix/middle keys are read after the fim_* keys and win, as in llama.cpp.
        int fimPrefix = declaredId(metadata, "tokenizer.ggml.prefix_token_id",
                declaredId(metadata, "tokenizer.ggml.fim_pre_token_id", NO_TOKEN));
        int fimSuffix = declaredId(metadata, "tokenizer.ggml.suffix_token_id",
                declaredId(metadata, "tokenizer.ggml.fim_suf_token_id", NO_TOKEN));
        int fimMiddle = declaredId(metadata, "tokenizer.ggml.middle_token_id",
                declaredId(metadata, "tokenizer.ggml.fim_mid_token_id", NO_TOKEN));
        int fimPad = declaredId(metadata, "tokenizer.ggml.fim_pad_token_id", NO_TOKEN);
        int fimRepo = declaredId(metadata, "tokenizer.ggml.fim_rep_token_id", NO_TOKEN);
        int fimFileSeparator = declaredId(metadata, "tokenizer.ggml.fim_sep_token_id", NO_TOKEN);

        addBos = metadata.getBoolean("tokenizer.ggml.add_bos_token", defaults.addBos());
        addEos = metadata.getBoolean("tokenizer.ggml.add_eos_token", false);
        addSpacePrefix = metadata.getBoolean("tokenizer.ggml.add_space_prefix", defaults.addSpacePrefix());

        // Undeclared special tokens are found by text and promoted to control tokens. llama.cpp walks a hash
        // map, so when several texts match, which one it picks is unspecified; we take the lowest id.
        endOfTurn = detectByText(endOfTurn, END_OF_TURN_TEXTS);
        endOfMessage = detectByText(endOfMessage, END_OF_MESSAGE_TEXTS);
        detectByText(fimPrefix, FIM_PREFIX_TEXTS);
        detectByText(fimSuffix, FIM_SUFFIX_TEXTS);
        detectByText(fimMiddle, FIM_MIDDLE_TEXTS);
        fimPad = detectByText(fimPad, FIM_PAD_TEXTS);
        fimRepo = detectByText(fimRepo, FIM_REPO_TEXTS);
        fimFileSeparator = detectByText(fimFileSeparator, FIM_FILE_SEPARATOR_TEXTS);

        endOfGeneration = new BitSet(size);
        for (int id : new int[] {fimPad, fimRepo, fimFileSeparator}) {
            if (id != NO_TOKEN) {
                endOfGeneration.set(id);
            }
        }
        for (int id = 0; id < size; id++) {
            if (END_OF_GENERATION_TEXTS.contains(texts[id])) {
                endOfGeneration.set(id);
                attributes[id] |= CONTROL;
            }
        }
        for (int id = 0; id < size; id++) {
            if (ALWAYS_RENDERED_TEXTS.contains(texts[id])) {
                attributes[id] = USER_DEFINED;
            }
        }
        for (int id : new int[] {eos, endOfTurn, endOfMessage}) {
            if (id != NO_TOKEN) {
                endOfGeneration.set(id);
            }
        }
        dropAmbiguousEndOfGenerationTokens();

        splittableSpecialIdsLongestFirst = collectSplittableSpecialTokens();
    }

    static Vocabulary fromGguf(GgufMetadata metadata, Defaults defaults) {
        return new Vocabulary(metadata, defaults);
    }

    private static String[] readTexts(GgufMetadata metadata) {
        String[] declared = metadata.getStringArray("tokenizer.ggml.tokens");
        if (declared.length == 0) {
            throw new GgufFormatException(metadata.source() + ": tokenizer.ggml.tokens is empty");
        }
        String[] texts = declared.clone();
        for (int id = 0; id < texts.length; id++) {
            if (texts[id] == null || texts[id].isEmpty()) {
                // An empty token could never be matched or printed; llama.cpp gives it a visible placeholder.
                texts[id] = "[EMPTY_" + id + "]";
            }
        }
        return texts;
    }

    private static int[] readAttributes(GgufMetadata metadata, int size) {
        int[] attributes = new int[size];
        if (!metadata.contains("tokenizer.ggml.token_type")) {
            Arrays.fill(attributes, NORMAL);
            return attributes;
        }
        int[] types = metadata.getIntArray("tokenizer.ggml.token_type");
        if (types.length < size) {
            throw new GgufFormatException(metadata.source() + ": tokenizer.ggml.token_type has " + types.length
                    + " entries for " + size + " tokens");
        }
        for (int id = 0; id < size; id++) {
            attributes[id] = switch (TokenType.fromGgufCode(types[id])) {
                case NORMAL -> NORMAL;
                case UNKNOWN -> UNKNOWN;
                case CONTROL -> CONTROL;
                case USER_DEFINED -> USER_DEFINED;
                case UNUSED -> UNUSED;
                case BYTE -> BYTE;
                case UNDEFINED -> 0;
            };
        }
        return attributes;
    }

    private static float[] readScores(GgufMetadata metadata, int size) {
        float[] scores = new float[size];
        Object value = metadata.get("tokenizer.ggml.scores").orElse(null);
        if (value == null) {
            return scores;
        }
        float[] declared;
        if (value instanceof float[] floats) {
            declared = floats;
        } else {
            int[] ints = metadata.getIntArray("tokenizer.ggml.scores");
            declared = new float[ints.length];
            for (int i = 0; i < ints.length; i++) {
                declared[i] = ints[i];
            }
        }
        if (declared.length < size) {
            throw new GgufFormatException(metadata.source() + ": tokenizer.ggml.scores has " + declared.length
                    + " entries for " + size + " tokens");
        }
        System.arraycopy(declared, 0, scores, 0, size);
        return scores;
    }

    /** An id from the metadata; one outside the vocabulary is ignored in favour of the default, as in llama.cpp. */
    private int declaredId(GgufMetadata metadata, String key, int defaultId) {
        int fallback = defaultId >= 0 && defaultId < texts.length ? defaultId : NO_TOKEN;
        if (!metadata.contains(key)) {
            return fallback;
        }
        long declared = metadata.getLong(key);
        return declared >= 0 && declared < texts.length ? (int) declared : fallback;
    }

    private int detectByText(int declaredId, Set<String> candidateTexts) {
        if (declaredId != NO_TOKEN) {
            return declaredId;
        }
        for (int id = 0; id < texts.length; id++) {
            if (candidateTexts.contains(texts[id])) {
                attributes[id] |= CONTROL;
                return id;
            }
        }
        return NO_TOKEN;
    }

    /**
     * Vocabularies with {@code <|return|>}/{@code <|call|>} (gpt-oss) or {@code <|calls|>}/{@code <|flush|>}
     * use {@code <|end|>} between messages, not at the end of generation; and where {@code </s>} sits next to
     * {@code <|tool_response>} or {@code <|plamo:eos|>} it is ordinary text. llama.cpp drops both from its set.
     */
    private void dropAmbiguousEndOfGenerationTokens() {
        boolean hasReturn = false;
        boolean hasCall = false;
        boolean hasFlush = false;
        boolean hasNormalClosingTagMarker = false;
        int end = NO_TOKEN;
        int closingTag = NO_TOKEN;
        for (int id = endOfGeneration.nextSetBit(0); id >= 0; id = endOfGeneration.nextSetBit(id + 1)) {
            switch (texts[id]) {
                case "<|return|>" -> hasReturn = true;
                case "<|call|>", "<|calls|>" -> hasCall = true;
                case "<|flush|>" -> hasFlush = true;
                case "<|end|>" -> end = id;
                case "<|tool_response>", "<|plamo:eos|>" -> hasNormalClosingTagMarker = true;
                case "</s>" -> closingTag = id;
                default -> { }
            }
        }
        if (end != NO_TOKEN && hasCall && (hasReturn || hasFlush)) {
            endOfGeneration.clear(end);
            attributes[end] = USER_DEFINED;
        }
        if (closingTag != NO_TOKEN && hasNormalClosingTagMarker) {
            endOfGeneration.clear(closingTag);
            attributes[closingTag] = NORMAL;
        }
    }

    private int[] collectSplittableSpecialTokens() {
        List<Integer> ids = new ArrayList<>();
        for (int id = 0; id < texts.length; id++) {
            if ((attributes[id] & (CONTROL | USER_DEFINED | UNKNOWN)) != 0) {
                ids.add(id);
            }
        }
        // Longest first, so that a special token containing another one (e.g. "<|end|>" inside a longer
        // marker) wins; llama.cpp compares UTF-8 byte lengths.
        ids.sort(Comparator.comparingInt((Integer id) -> texts[id].getBytes(StandardCharsets.UTF_8).length)
                .reversed().thenComparingInt(id -> id));
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    String source() {
        return source;
    }

    int size() {
        return texts.length;
    }

    String text(int id) {
        return texts[checkId(id)];
    }

    int attributes(int id) {
        return attributes[checkId(id)];
    }

    boolean has(int id, int attribute) {
        return (attributes[checkId(id)] & attribute) != 0;
    }

    float score(int id) {
        return scores[id];
    }

    /** The id of the token with exactly this text, or {@link #NO_TOKEN}. */
    int idOf(String text) {
        Integer id = idsByText.get(text);
        return id == null ? NO_TOKEN : id;
    }

    int bos() {
        return bos;
    }

    int eos() {
        return eos;
    }

    int unknown() {
        return unknown;
    }

    boolean addBos() {
        return addBos;
    }

    boolean addEos() {
        return addEos;
    }

    boolean addSpacePrefix() {
        return addSpacePrefix;
    }

    boolean isEndOfGeneration(int id) {
        return id >= 0 && id < texts.length && endOfGeneration.get(id);
    }

    /** Control, user-defined and unknown tokens, longest text first: the order in which they are split out. */
    int[] splittableSpecialIdsLongestFirst() {
        return splittableSpecialIdsLongestFirst;
    }

    int checkId(int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.."
                    + (texts.length - 1) + ") of " + source);
        }
        return id;
    }
}

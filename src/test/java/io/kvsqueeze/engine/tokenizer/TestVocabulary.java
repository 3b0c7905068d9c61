package io.kvsqueeze.engine.tokenizer;

import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the tokenizer part of GGUF metadata by hand, for tests with small vocabularies. */
final class TestVocabulary {
    private final List<String> tokens = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private final List<Float> scores = new ArrayList<>();
    private final List<String> merges = new ArrayList<>();
    private final Map<String, Object> extra = new LinkedHashMap<>();

    /** A byte-level vocabulary that starts with the 256 GPT-2 stand-in characters, ids 0..255 in byte order. */
    static TestVocabulary byteLevel() {
        TestVocabulary vocabulary = new TestVocabulary();
        for (int b = 0; b < 256; b++) {
            vocabulary.normal(String.valueOf(ByteLevelEncoding.charOfByte(b)));
        }
        return vocabulary;
    }

    static TestVocabulary empty() {
        return new TestVocabulary();
    }

    int add(String text, TokenType type, float score) {
        tokens.add(text);
        types.add(type.ggufCode());
        scores.add(score);
        return tokens.size() - 1;
    }

    int normal(String text) {
        return add(text, TokenType.NORMAL, 0f);
    }

    int scored(String text, float score) {
        return add(text, TokenType.NORMAL, score);
    }

    int control(String text) {
        return add(text, TokenType.CONTROL, 0f);
    }

    int userDefined(String text) {
        return add(text, TokenType.USER_DEFINED, 0f);
    }

    /** Adds the merge "left right" with the next rank, and its result as a token; returns the token's id. */
    int merge(String left, String right) {
        merges.add(left + " " + right);
        return normal(left + right);
    }

    /** Adds the merge rule only, without a token for its result. */
    void mergeRuleOnly(String left, String right) {
        merges.add(left + " " + right);
    }

    /** The id of the stand-in character for {@code byteValue} in a {@link #byteLevel()} vocabulary. */
    static int byteId(int byteValue) {
        return byteValue;
    }

    int idOf(String text) {
        return tokens.indexOf(text);
    }

    TestVocabulary with(String key, Object value) {
        extra.put(key, value);
        return this;
    }

    GgufMetadata gpt2(String preTokenizer) {
        Map<String, Object> values = common("gpt2");
        values.put("tokenizer.ggml.pre", preTokenizer);
        values.put("tokenizer.ggml.merges", merges.toArray(String[]::new));
        values.putAll(extra);
        return new GgufMetadata("test vocabulary", values);
    }

    GgufMetadata llama() {
        Map<String, Object> values = common("llama");
        float[] scoreArray = new float[scores.size()];
        for (int i = 0; i < scoreArray.length; i++) {
            scoreArray[i] = scores.get(i);
        }
        values.put("tokenizer.ggml.scores", scoreArray);
        values.putAll(extra);
        return new GgufMetadata("test vocabulary", values);
    }

    private Map<String, Object> common(String model) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("tokenizer.ggml.model", model);
        values.put("tokenizer.ggml.tokens", tokens.toArray(String[]::new));
        values.put("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray());
        return values;
    }
}

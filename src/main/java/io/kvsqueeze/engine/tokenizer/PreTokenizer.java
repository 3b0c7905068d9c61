package io.kvsqueeze.engine.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words that byte-level BPE merges within, as selected by {@code tokenizer.ggml.pre}.
 *
 * <p>Each pre-tokenizer is a list of regular expressions applied in sequence, with llama.cpp's
 * {@code unicode_regex_split} semantics: every regex re-splits each span the previous one produced, and both
 * its matches and the gaps between them stay as spans. (Hugging Face's {@code Split(..., "isolated")}.) So for
 * {@code smollm}, {@code \p{N}} first isolates each digit, then the GPT-2 pattern splits the rest.
 *
 * <p>The patterns are llama.cpp's, which for GPT-2, Llama 3 and Qwen 2 runs hand-written scanners instead of
 * a regex engine. Java's engine gives the same spans for these patterns: they use no possessive or atomic
 * groups, a span is matched as a string of its own (so {@code (?!\S)} sees the span's end as the text's end),
 * and {@link Pattern#UNICODE_CHARACTER_CLASS} makes {@code \s} Unicode's White_Space set, the set llama.cpp
 * uses. Letter and number classes come from the JDK's Unicode tables, which can differ from llama.cpp's for
 * code points assigned in newer Unicode versions. The golden tests check this against llama.cpp.
 */
final class PreTokenizer {
    // The contractions are written out case by case because llama.cpp's std::regex fallback has no (?i:...).
    private static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String LLAMA3 =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private final String name;
    private final List<Pattern> patterns;
    private final boolean wholeWordTokensSkipMerges;
    private final boolean cleansSpacesOnDecode;
    private final boolean addsBosByDefault;

    private PreTokenizer(String name, List<String> regexes, boolean wholeWordTokensSkipMerges,
                         boolean cleansSpacesOnDecode, boolean addsBosByDefault) {
        this.name = name;
        this.patterns = regexes.stream().map(regex -> Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS)).toList();
        this.wholeWordTokensSkipMerges = wholeWordTokensSkipMerges;
        this.cleansSpacesOnDecode = cleansSpacesOnDecode;
        this.addsBosByDefault = addsBosByDefault;
    }

    /**
     * The pre-tokenizer llama.cpp uses for {@code tokenizer.ggml.pre = name}, with the flags llama.cpp sets for it:
     * whether a word that is itself a token skips merging ({@code ignore_merges}), whether decoding removes
     * spaces before punctuation ({@code clean_spaces}), and whether BOS is added when the GGUF does not say.
     * A missing or empty name means llama.cpp's {@code default}.
     *
     * @throws IllegalArgumentException for a name this engine does not know
     */
    static PreTokenizer forName(String name) {
        String key = name == null || name.isEmpty() ? "default" : name;
        return switch (key) {
            case "default" -> new PreTokenizer(key, List.of(
                    "[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"), false, true, false);
            // "gpt2" is not a llama.cpp name (it spells it "gpt-2"); accepted because it is what people write.
            case "gpt-2", "gpt2", "phi-2", "mpt", "olmo" -> new PreTokenizer(key, List.of(GPT2), false, true, false);
            case "smollm", "command-r" -> new PreTokenizer(key, List.of("\\p{N}", GPT2), false, false, false);
            case "starcoder", "refact", "codeshell", "exaone", "minerva-7b" ->
                    new PreTokenizer(key, List.of("\\p{N}", GPT2), false, true, false);
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral" ->
                    new PreTokenizer(key, List.of(LLAMA3), true, true, true);
            case "dbrx", "smaug-bpe" -> new PreTokenizer(key, List.of(LLAMA3), false, true, false);
            case "qwen2", "deepseek-r1-qwen" -> new PreTokenizer(key, List.of(QWEN2), false, false, false);
            case "stablelm2" -> new PreTokenizer(key, List.of(QWEN2), false, true, false);
            default -> throw new IllegalArgumentException("tokenizer.ggml.pre '" + name + "' is not a pre-tokenizer"
                    + " this engine knows (known: default, gpt-2, smollm, starcoder, refact, command-r,"
                    + " llama-bpe/llama3, dbrx, smaug-bpe, qwen2, stablelm2 and aliases)");
        };
    }

    String name() {
        return name;
    }

    boolean wholeWordTokensSkipMerges() {
        return wholeWordTokensSkipMerges;
    }

    boolean cleansSpacesOnDecode() {
        return cleansSpacesOnDecode;
    }

    boolean addsBosByDefault() {
        return addsBosByDefault;
    }

    /** The words of {@code text}, in order; concatenated they give {@code text} back. */
    List<String> split(String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        // Spans as [start, end) pairs into text; each regex turns every span into matches and gaps.
        int[] bounds = {0, text.length()};
        int spanCount = 1;
        for (Pattern pattern : patterns) {
            int[] next = new int[Math.max(8, bounds.length * 2)];
            int nextCount = 0;
            Matcher matcher = pattern.matcher(text);
            for (int span = 0; span < spanCount; span++) {
                int spanStart = bounds[2 * span];
                int spanEnd = bounds[2 * span + 1];
                // Default region bounds are opaque: lookarounds cannot see past the span, as if it were all the text.
                matcher.region(spanStart, spanEnd);
                int gapStart = spanStart;
                while (matcher.find()) {
                    if (matcher.end() == matcher.start()) {
                        continue; // none of these patterns can match empty; a zero-length match splits nothing
                    }
                    if (nextCount * 2 + 4 > next.length) {
                        next = Arrays.copyOf(next, next.length * 2);
                    }
                    if (matcher.start() > gapStart) {
                        next[2 * nextCount] = gapStart;
                        next[2 * nextCount + 1] = matcher.start();
                        nextCount++;
                    }
                    next[2 * nextCount] = matcher.start();
                    next[2 * nextCount + 1] = matcher.end();
                    nextCount++;
                    gapStart = matcher.end();
                }
                if (gapStart < spanEnd) {
                    if (nextCount * 2 + 2 > next.length) {
                        next = Arrays.copyOf(next, next.length * 2);
                    }
                    next[2 * nextCount] = gapStart;
                    next[2 * nextCount + 1] = spanEnd;
                    nextCount++;
                }
            }
            bounds = next;
            spanCount = nextCount;
        }
        List<String> words = new ArrayList<>(spanCount);
        for (int span = 0; span < spanCount; span++) {
            words.add(text.substring(bounds[2 * span], bounds[2 * span + 1]));
        }
        return words;
    }
}

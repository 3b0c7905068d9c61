package io.kvsqueeze.eval;

import io.kvsqueeze.engine.chat.ChatMessage;
import io.kvsqueeze.engine.chat.ChatTemplate;
import io.kvsqueeze.engine.tokenizer.Tokenizer;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Needle-in-a-haystack as passkey retrieval (the task of Mohtashami and Jaggi's landmark-attention paper, used
 * by the KV-compression papers): repeated filler sentences with one "the pass key is N" sentence at a chosen
 * depth, then the question. The prompt is a chat turn whose answer is started for the model ("The pass key
 * is"), so a small model only has to copy five digits, and the score is whether they appear in its answer.
 */
public final class PasskeyPrompt {
    static final String INTRO = "There is an important piece of information hidden inside a lot of irrelevant text. "
            + "Find it and memorize it. I will quiz you about it.\n\n";
    static final String FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ";
    static final String QUESTION = "\n\nWhat is the pass key?";
    static final String ANSWER_START = "The pass key is";

    /** One prompt: its ids and the passkey it hides. */
    public record Case(int targetTokens, double depth, int trial, String passkey, int[] promptIds) {
    }

    private final Tokenizer tokenizer;
    private final ChatTemplate template;

    public PasskeyPrompt(Tokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
    }

    /**
     * A prompt of about {@code targetTokens} tokens (whole filler sentences, so within one filler's length of
     * it) with the needle after {@code depth} of the filler. The passkey is drawn from {@code seed}, the
     * length, the depth and the trial number, so every cell of a grid gets its own reproducible key.
     */
    public Case build(int targetTokens, double depth, int trial, long seed) {
        if (depth < 0 || depth > 1) {
            throw new IllegalArgumentException("depth must be in [0, 1], was " + depth);
        }
        long cellSeed = seed ^ (31L * targetTokens + Double.hashCode(depth)) * 0x9E3779B97F4A7C15L ^ trial;
        String passkey = String.valueOf(10_000 + new SplittableRandom(cellSeed).nextInt(90_000));
        String needle = "The pass key is " + passkey + ". Remember it. " + passkey + " is the pass key. ";

        int overhead = encode(render("")).length + encode(needle).length;
        int fillerTokens = encode(FILLER.repeat(8)).length / 8;
        int fillers = Math.max(0, (targetTokens - overhead) / fillerTokens);
        int before = (int) Math.rint(depth * fillers);

        String haystack = FILLER.repeat(before) + needle + FILLER.repeat(fillers - before);
        return new Case(targetTokens, depth, trial, passkey, encode(render(haystack)));
    }

    /** Whether the model's answer contains the passkey. */
    public static boolean correct(Case c, String answer) {
        return answer.contains(c.passkey());
    }

    private String render(String haystack) {
        String chat = template.render(List.of(ChatMessage.user(INTRO + haystack + QUESTION)), true);
        return chat + ANSWER_START;
    }

    private int[] encode(String text) {
        return tokenizer.encode(text, true, true);
    }
}

package io.kvsqueeze.engine.sampling;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How the next token is chosen from the logits. Defaults follow llama.cpp's: temperature 0.8, top-k 40,
 * top-p 0.95, min-p 0.05, repetition penalty 1.0 (off) over the last 64 tokens.
 *
 * @param temperature       divides the logits before the softmax; 0 means greedy (argmax)
 * @param topK              keep only the k most likely tokens; 0 turns the filter off
 * @param topP              keep the smallest set of most likely tokens whose probability mass reaches p; 1 is off
 * @param minP              drop tokens less likely than {@code minP} times the most likely one; 0 is off
 * @param repetitionPenalty penalty for tokens seen in the last {@code repeatLastN} tokens; 1 is off
 * @param repeatLastN       how many of the most recent tokens the repetition penalty looks at; 0 is off
 * @param seed              seeds the random draw: the same seed, options and logits give the same tokens
 */
public record SamplingOptions(float temperature, int topK, float topP, float minP, float repetitionPenalty,
                              int repeatLastN, long seed) {

    public static final float DEFAULT_TEMPERATURE = 0.8f;
    public static final int DEFAULT_TOP_K = 40;
    public static final float DEFAULT_TOP_P = 0.95f;
    public static final float DEFAULT_MIN_P = 0.05f;
    public static final float DEFAULT_REPETITION_PENALTY = 1.0f;
    public static final int DEFAULT_REPEAT_LAST_N = 64;

    public SamplingOptions {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 turns it off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 turns it off), got " + topP);
        }
        if (!(minP >= 0 && minP < 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1) (0 turns it off), got " + minP);
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException(
                    "repetitionPenalty must be a finite number > 0 (1 turns it off), got " + repetitionPenalty);
        }
        if (repeatLastN < 0) {
            throw new IllegalArgumentException("repeatLastN must be >= 0 (0 turns it off), got " + repeatLastN);
        }
    }

    /** llama.cpp's defaults with a fresh random seed; use {@link #withSeed} for reproducible output. */
    public static SamplingOptions defaults() {
        return new SamplingOptions(DEFAULT_TEMPERATURE, DEFAULT_TOP_K, DEFAULT_TOP_P, DEFAULT_MIN_P,
                DEFAULT_REPETITION_PENALTY, DEFAULT_REPEAT_LAST_N, ThreadLocalRandom.current().nextLong());
    }

    /**
     * Always the most likely token. The truncation filters are off because none of them can remove the most
     * likely token, so they could not change the result; the seed is fixed because nothing is drawn.
     */
    public static SamplingOptions greedy() {
        return new SamplingOptions(0f, 0, 1f, 0f, DEFAULT_REPETITION_PENALTY, DEFAULT_REPEAT_LAST_N, 0L);
    }

    public SamplingOptions withTemperature(float temperature) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingOptions withTopK(int topK) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingOptions withTopP(float topP) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingOptions withMinP(float minP) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingOptions withRepetitionPenalty(float repetitionPenalty) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingOptions withRepeatLastN(int repeatLastN) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, seed);
    }

    public SamplingOptions withSeed(long seed) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, repeatLastN, seed);
    }

    /** Whether {@link Sampler} takes the argmax instead of drawing. */
    public boolean isGreedy() {
        return temperature == 0;
    }
}

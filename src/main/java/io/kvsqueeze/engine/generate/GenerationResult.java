package io.kvsqueeze.engine.generate;

/**
 * What one generation produced, with its timings.
 *
 * @param tokenIds        generated token ids, the end-of-generation token excluded
 * @param text            generated text, cut before a stop string when one ended it
 * @param promptTokens    tokens of the prompt
 * @param reusedTokens    prompt tokens whose keys and values were already cached
 * @param prefillNanos    time to process the prompt and produce the first logits
 * @param decodeNanos     time of the decode steps (each step appends one token)
 * @param decodeSteps     number of decode steps
 */
public record GenerationResult(
        int[] tokenIds,
        String text,
        FinishReason finishReason,
        int promptTokens,
        int reusedTokens,
        long prefillNanos,
        long decodeNanos,
        int decodeSteps,
        long kvBytes) {

    public double prefillMillis() {
        return prefillNanos / 1e6;
    }

    public double decodeTokensPerSecond() {
        return decodeSteps == 0 ? 0 : decodeSteps / (decodeNanos / 1e9);
    }
}

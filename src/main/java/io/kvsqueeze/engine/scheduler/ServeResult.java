package io.kvsqueeze.engine.scheduler;

import io.kvsqueeze.engine.generate.FinishReason;

/**
 * A finished request and what it cost.
 *
 * @param tokenIds            generated token ids, the end-of-generation token excluded
 * @param text                generated text, cut before a stop string when one ended it
 * @param promptTokens        tokens of the prompt
 * @param reusedTokens        of those, how many were already in the cache of the same reuse key (not recomputed)
 * @param kvBytes             KV bytes the sequence held at its end (after compression and eviction)
 * @param kvBytesFull         KV bytes an uncompressed cache would hold for the same tokens
 * @param queuedNanos         from submission to admission
 * @param firstTokenNanos     from submission to the first generated token (time to first token)
 * @param totalNanos          from submission to the end
 */
public record ServeResult(int[] tokenIds, String text, FinishReason finishReason, int promptTokens,
                          int reusedTokens, long kvBytes, long kvBytesFull, long queuedNanos, long firstTokenNanos, long totalNanos) {

    public int completionTokens() {
        return tokenIds.length;
    }
}

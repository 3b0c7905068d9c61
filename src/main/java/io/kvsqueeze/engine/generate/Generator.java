package io.kvsqueeze.engine.generate;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.tokenizer.Tokenizer;
import java.util.function.Consumer;

/**
 * The generation loop: prefill the prompt, then sample, stream and append one token at a time until an
 * end-of-generation token, a stop string, the token limit or a full context.
 */
public final class Generator {
    private final InferenceEngine engine;

    public Generator(InferenceEngine engine) {
        this.engine = engine;
    }

    /**
     * Generates a continuation of {@code promptIds} in {@code sequence}, reusing whatever prefix of the prompt
     * the sequence already holds. {@code onText} receives the text as it becomes final: whole UTF-8 characters,
     * and never a part of a stop string.
     */
    public GenerationResult generate(Sequence sequence, int[] promptIds, GenerationRequest request,
                                     Consumer<String> onText) {
        Tokenizer tokenizer = engine.tokenizer();
        int reused = sequence.reusablePrefix(promptIds);
        long start = System.nanoTime();
        float[] logits = sequence.prefill(promptIds);
        long prefillNanos = System.nanoTime() - start;

        GenerationState state = new GenerationState(tokenizer, logits.length, request, onText);
        long decodeNanos = 0;
        int decodeSteps = 0;
        int token;
        while ((token = state.next(logits, sequence)) >= 0) {
            long stepStart = System.nanoTime();
            logits = sequence.append(token);
            decodeNanos += System.nanoTime() - stepStart;
            decodeSteps++;
        }
        return new GenerationResult(state.tokenIds(), state.text(), state.finishReason(), promptIds.length,
                reused, prefillNanos, decodeNanos, decodeSteps, sequence.forwardPass().cache().bytes());
    }
}

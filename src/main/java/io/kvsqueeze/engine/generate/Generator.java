package io.kvsqueeze.engine.generate;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.sampling.Sampler;
import io.kvsqueeze.engine.sampling.StopSequences;
import io.kvsqueeze.engine.tokenizer.Tokenizer;
import io.kvsqueeze.engine.tokenizer.Utf8StreamDecoder;
import java.util.Arrays;
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

        Sampler sampler = new Sampler(request.sampling(), logits.length);
        Utf8StreamDecoder decoder = new Utf8StreamDecoder(tokenizer);
        StopSequences stops = new StopSequences(request.stopStrings());
        StringBuilder text = new StringBuilder();
        StringBuilder released = new StringBuilder();
        int[] generated = new int[request.maxTokens()];
        int count = 0;
        long decodeNanos = 0;
        int decodeSteps = 0;
        FinishReason finish;
        while (true) {
            int token = sampler.sample(logits, sequence.tokens(), sequence.length());
            if (tokenizer.isEndOfGeneration(token)) {
                finish = FinishReason.STOP;
                break;
            }
            generated[count++] = token;
            released.setLength(0);
            boolean stopped = stops.append(decoder.accept(token), released);
            emit(released, text, onText);
            if (stopped) {
                finish = FinishReason.STOP;
                break;
            }
            if (count == request.maxTokens()) {
                finish = FinishReason.LENGTH;
                break;
            }
            if (sequence.length() == sequence.capacity()) {
                finish = FinishReason.CONTEXT_FULL;
                break;
            }
            long stepStart = System.nanoTime();
            logits = sequence.append(token);
            decodeNanos += System.nanoTime() - stepStart;
            decodeSteps++;
        }
        if (!stops.stopped()) {
            released.setLength(0);
            if (!stops.append(decoder.finish(), released)) {
                stops.finish(released);
            }
            emit(released, text, onText);
        }
        return new GenerationResult(Arrays.copyOf(generated, count), text.toString(), finish, promptIds.length,
                reused, prefillNanos, decodeNanos, decodeSteps, sequence.forwardPass().cache().bytes());
    }

    private static void emit(StringBuilder released, StringBuilder text, Consumer<String> onText) {
        if (!released.isEmpty()) {
            text.append(released);
            onText.accept(released.toString());
        }
    }
}

package io.kvsqueeze.engine.generate;

import io.kvsqueeze.engine.sampling.Sampler;
import io.kvsqueeze.engine.sampling.StopSequences;
import io.kvsqueeze.engine.tokenizer.Tokenizer;
import io.kvsqueeze.engine.tokenizer.Utf8StreamDecoder;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * What one generation has produced so far, and the decision after each forward pass: sample the next token from
 * the logits, stream the text it makes final, and say whether to go on. Shared by the one-sequence
 * {@link Generator} and the batching scheduler, so both stop, stream and count the same way.
 */
public final class GenerationState {
    private final Tokenizer tokenizer;
    private final GenerationRequest request;
    private final Consumer<String> onText;
    private final Sampler sampler;
    private final Utf8StreamDecoder decoder;
    private final StopSequences stops;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder released = new StringBuilder();
    private final int[] generated;
    private int count;
    private FinishReason finish;

    public GenerationState(Tokenizer tokenizer, int vocabSize, GenerationRequest request, Consumer<String> onText) {
        this.tokenizer = tokenizer;
        this.request = request;
        this.onText = onText;
        this.sampler = new Sampler(request.sampling(), vocabSize);
        this.decoder = new Utf8StreamDecoder(tokenizer);
        this.stops = new StopSequences(request.stopStrings());
        this.generated = new int[request.maxTokens()];
    }

    /**
     * Samples the token that follows {@code sequence} from {@code logits} (those after its last token) and
     * returns it when it is to be appended, or -1 when the generation is over: an end-of-generation token, a stop
     * string, the token limit or a full context. The text the token made final goes to {@code onText} first.
     */
    public int next(float[] logits, Sequence sequence) {
        if (finish != null) {
            throw new IllegalStateException("the generation is over");
        }
        int token = sampler.sample(logits, sequence.tokens(), sequence.length());
        if (tokenizer.isEndOfGeneration(token) && !request.ignoreEndOfGeneration()) {
            return end(FinishReason.STOP);
        }
        generated[count++] = token;
        released.setLength(0);
        boolean stopped = stops.append(decoder.accept(token), released);
        emit();
        if (stopped) {
            return end(FinishReason.STOP);
        }
        if (count == request.maxTokens()) {
            return end(FinishReason.LENGTH);
        }
        if (sequence.length() == sequence.capacity()) {
            return end(FinishReason.CONTEXT_FULL);
        }
        return token;
    }

    private int end(FinishReason reason) {
        finish = reason;
        if (!stops.stopped()) {
            released.setLength(0);
            if (!stops.append(decoder.finish(), released)) {
                stops.finish(released);
            }
            emit();
        }
        return -1;
    }

    private void emit() {
        if (!released.isEmpty()) {
            text.append(released);
            onText.accept(released.toString());
        }
    }

    /** Null until the generation is over. */
    public FinishReason finishReason() {
        return finish;
    }

    /** Tokens generated so far (an end-of-generation token is not counted). */
    public int generatedTokens() {
        return count;
    }

    /** Generated token ids, the end-of-generation token excluded. */
    public int[] tokenIds() {
        return Arrays.copyOf(generated, count);
    }

    /** The text streamed so far. */
    public String text() {
        return text.toString();
    }
}

package io.kvsqueeze.engine.generate;

import io.kvsqueeze.engine.sampling.SamplingOptions;
import java.util.List;

/**
 * What to generate: at most {@code maxTokens} tokens sampled with {@code sampling}, ending early at an
 * end-of-generation token (unless {@code ignoreEndOfGeneration}: benchmarks generate a fixed number of tokens,
 * as llama-bench does) or when the text contains one of {@code stopStrings}.
 */
public record GenerationRequest(int maxTokens, SamplingOptions sampling, List<String> stopStrings,
                                boolean ignoreEndOfGeneration) {

    public GenerationRequest(int maxTokens, SamplingOptions sampling, List<String> stopStrings) {
        this(maxTokens, sampling, stopStrings, false);
    }

    public GenerationRequest {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling options are required");
        }
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String stop : stopStrings) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
    }

    public static GenerationRequest greedy(int maxTokens) {
        return new GenerationRequest(maxTokens, SamplingOptions.greedy(), List.of());
    }

    /** Exactly {@code maxTokens} greedy tokens (fewer only when the context fills), for benchmarks. */
    public static GenerationRequest greedyFixedLength(int maxTokens) {
        return new GenerationRequest(maxTokens, SamplingOptions.greedy(), List.of(), true);
    }
}

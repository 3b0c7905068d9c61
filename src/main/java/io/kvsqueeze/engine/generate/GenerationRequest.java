package io.kvsqueeze.engine.generate;

import io.kvsqueeze.engine.sampling.SamplingOptions;
import java.util.List;

/**
 * What to generate: at most {@code maxTokens} tokens sampled with {@code sampling}, ending early at an
 * end-of-generation token or when the text contains one of {@code stopStrings}.
 */
public record GenerationRequest(int maxTokens, SamplingOptions sampling, List<String> stopStrings) {

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
}

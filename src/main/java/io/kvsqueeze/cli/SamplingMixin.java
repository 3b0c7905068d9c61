package io.kvsqueeze.cli;

import io.kvsqueeze.engine.generate.GenerationRequest;
import io.kvsqueeze.engine.sampling.SamplingOptions;
import java.util.List;
import picocli.CommandLine.Option;

/** Sampling and stopping options shared by {@code generate} and {@code chat}; defaults are llama.cpp's. */
final class SamplingMixin {
    private static final SamplingOptions DEFAULTS = SamplingOptions.defaults();

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256",
            description = "most tokens to generate (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", paramLabel = "X", description = "0 = greedy (default: 0.8)")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "keep the K most likely tokens, 0 = off (default: 40)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "nucleus sampling mass (default: 0.95)")
    Float topP;

    @Option(names = "--min-p", paramLabel = "P", description = "drop tokens below P x the top probability (default: 0.05)")
    Float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", description = "penalty on recent tokens, 1 = off (default: 1.0)")
    Float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", description = "window of the repeat penalty (default: 64)")
    Integer repeatLastN;

    @Option(names = "--seed", paramLabel = "S", description = "random seed (default: random)")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop when this text appears (repeatable)")
    List<String> stop = List.of();

    GenerationRequest request() {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
        }
        SamplingOptions options = new SamplingOptions(
                temperature != null ? temperature : DEFAULTS.temperature(),
                topK != null ? topK : DEFAULTS.topK(),
                topP != null ? topP : DEFAULTS.topP(),
                minP != null ? minP : DEFAULTS.minP(),
                repeatPenalty != null ? repeatPenalty : DEFAULTS.repetitionPenalty(),
                repeatLastN != null ? repeatLastN : DEFAULTS.repeatLastN(),
                seed != null ? seed : DEFAULTS.seed());
        return new GenerationRequest(maxTokens, options, stop);
    }
}

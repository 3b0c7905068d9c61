package io.kvsqueeze.cli;

import io.kvsqueeze.engine.EngineOptions;
import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.ModelLocations;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the commands that load a model. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "PATH",
            description = "GGUF model file (default: ${KVSQUEEZE_HOME:-~/.cache/kvsqueeze}/models/SmolLM2-135M-Instruct.Q4_1.gguf)")
    Path model;

    @Option(names = "--threads", paramLabel = "N", description = "compute threads (default: all cores)")
    Integer threads;

    @Option(names = "--context", paramLabel = "TOKENS", defaultValue = "" + EngineOptions.DEFAULT_CONTEXT_LENGTH,
            description = "tokens a sequence can hold (default: ${DEFAULT-VALUE})")
    int context;

    @Option(names = "--batch", paramLabel = "TOKENS", defaultValue = "" + EngineOptions.DEFAULT_BATCH_SIZE,
            description = "prompt tokens per forward pass during prefill (default: ${DEFAULT-VALUE})")
    int batch;

    Path modelPath() {
        return model != null ? model : ModelLocations.defaultModel();
    }

    EngineOptions engineOptions() {
        int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        return new EngineOptions(threadCount, context, batch);
    }

    InferenceEngine load() {
        return InferenceEngine.load(modelPath(), engineOptions());
    }
}

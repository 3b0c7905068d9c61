package io.kvsqueeze.engine;

/**
 * How the engine runs a model.
 *
 * @param threads       members of the compute thread team (the caller included)
 * @param contextLength tokens one sequence can hold: sizes the KV cache and the RoPE tables
 * @param batchSize     prompt tokens processed per forward pass during prefill
 */
public record EngineOptions(int threads, int contextLength, int batchSize) {

    public static final int DEFAULT_CONTEXT_LENGTH = 2048;
    public static final int DEFAULT_BATCH_SIZE = 32;

    public EngineOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (contextLength < 1) {
            throw new IllegalArgumentException("contextLength must be at least 1, got " + contextLength);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
    }

    public static EngineOptions defaults() {
        return new EngineOptions(Runtime.getRuntime().availableProcessors(), DEFAULT_CONTEXT_LENGTH, DEFAULT_BATCH_SIZE);
    }

    public EngineOptions withThreads(int threads) {
        return new EngineOptions(threads, contextLength, batchSize);
    }

    public EngineOptions withContextLength(int contextLength) {
        return new EngineOptions(threads, contextLength, batchSize);
    }
}

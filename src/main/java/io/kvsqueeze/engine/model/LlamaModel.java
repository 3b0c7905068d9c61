package io.kvsqueeze.engine.model;

import io.kvsqueeze.engine.gguf.GgufFile;
import io.kvsqueeze.engine.tensor.WeightTensor;
import java.nio.file.Path;

/** A loaded Llama-family model: the memory-mapped GGUF, its hyper-parameters and its weights. */
public final class LlamaModel implements AutoCloseable {
    private final GgufFile file;
    private final LlamaConfig config;
    private final LlamaWeights weights;

    private LlamaModel(GgufFile file, LlamaConfig config, LlamaWeights weights) {
        this.file = file;
        this.config = config;
        this.weights = weights;
    }

    public static LlamaModel load(Path path) {
        GgufFile file = GgufFile.open(path);
        try {
            int vocabSize = Math.toIntExact(file.requireTensor("token_embd.weight").rows());
            LlamaConfig config = LlamaConfig.fromGguf(file.metadata(), vocabSize);
            return new LlamaModel(file, config, LlamaWeights.load(file, config));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public GgufFile file() {
        return file;
    }

    public LlamaConfig config() {
        return config;
    }

    public LlamaWeights weights() {
        return weights;
    }

    /** Bytes of weights a decode step reads: every matrix once (the embedding only one row). */
    public long weightBytesPerToken() {
        long bytes = weights.output().rowBytes() * weights.output().rows();
        for (LlamaWeights.Layer layer : weights.layers()) {
            bytes += size(layer.wq()) + size(layer.wk()) + size(layer.wv()) + size(layer.wo())
                    + size(layer.ffnGate()) + size(layer.ffnUp()) + size(layer.ffnDown());
        }
        return bytes;
    }

    private static long size(WeightTensor tensor) {
        return tensor.rowBytes() * tensor.rows();
    }

    @Override
    public void close() {
        file.close();
    }
}

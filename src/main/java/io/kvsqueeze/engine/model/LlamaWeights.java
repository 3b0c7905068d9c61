package io.kvsqueeze.engine.model;

import io.kvsqueeze.engine.gguf.GgmlType;
import io.kvsqueeze.engine.gguf.GgufFile;
import io.kvsqueeze.engine.gguf.GgufFormatException;
import io.kvsqueeze.engine.gguf.GgufTensorInfo;
import io.kvsqueeze.engine.tensor.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The tensors of a Llama-family GGUF: matrices stay quantized in the memory-mapped file; the small norm
 * vectors and biases are copied to float arrays.
 */
public record LlamaWeights(
        WeightTensor tokenEmbedding,
        Layer[] layers,
        float[] outputNorm,
        WeightTensor output,
        float[] ropeFreqFactors) {

    /** One transformer block; the biases are null unless the architecture has them (Qwen2's q/k/v). */
    public record Layer(
            float[] attentionNorm,
            WeightTensor wq, WeightTensor wk, WeightTensor wv, WeightTensor wo,
            float[] bq, float[] bk, float[] bv,
            float[] ffnNorm,
            WeightTensor ffnGate, WeightTensor ffnUp, WeightTensor ffnDown) {
    }

    public static LlamaWeights load(GgufFile file, LlamaConfig config) {
        Loader loader = new Loader(file);
        WeightTensor embedding = loader.matrix("token_embd.weight", config.dim(), config.vocabSize());
        Layer[] layers = new Layer[config.layers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            layers[i] = new Layer(
                    loader.vector(p + "attn_norm.weight", config.dim()),
                    loader.matrix(p + "attn_q.weight", config.dim(), config.heads() * config.headDim()),
                    loader.matrix(p + "attn_k.weight", config.dim(), config.kvDim()),
                    loader.matrix(p + "attn_v.weight", config.dim(), config.kvDim()),
                    loader.matrix(p + "attn_output.weight", config.heads() * config.headDim(), config.dim()),
                    loader.optionalVector(p + "attn_q.bias", config.heads() * config.headDim()),
                    loader.optionalVector(p + "attn_k.bias", config.kvDim()),
                    loader.optionalVector(p + "attn_v.bias", config.kvDim()),
                    loader.vector(p + "ffn_norm.weight", config.dim()),
                    loader.matrix(p + "ffn_gate.weight", config.dim(), config.ffnDim()),
                    loader.matrix(p + "ffn_up.weight", config.dim(), config.ffnDim()),
                    loader.matrix(p + "ffn_down.weight", config.ffnDim(), config.dim()));
        }
        float[] outputNorm = loader.vector("output_norm.weight", config.dim());
        // Tied embeddings (SmolLM2, Llama 3.2): no output matrix, the embedding table doubles as the head.
        WeightTensor output = file.tensor("output.weight").isPresent()
                ? loader.matrix("output.weight", config.dim(), config.vocabSize())
                : embedding;
        float[] ropeFreqs = loader.optionalVector("rope_freqs.weight", config.headDim() / 2);
        return new LlamaWeights(embedding, layers, outputNorm, output, ropeFreqs);
    }

    private static final ValueLayout.OfFloat LITTLE_ENDIAN_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private record Loader(GgufFile file) {

        WeightTensor matrix(String name, int cols, int rows) {
            GgufTensorInfo info = file.requireTensor(name);
            if (info.columns() != cols || info.rows() != rows) {
                throw new GgufFormatException(file.path() + ": tensor '" + name + "' has shape "
                        + info.columns() + "x" + info.rows() + ", expected " + cols + "x" + rows);
            }
            return WeightTensor.of(name, info.type(), cols, rows, file.tensorData(info));
        }

        float[] vector(String name, int length) {
            return optionalVector(name, length, true);
        }

        float[] optionalVector(String name, int length) {
            return optionalVector(name, length, false);
        }

        private float[] optionalVector(String name, int length, boolean required) {
            Optional<GgufTensorInfo> found = file.tensor(name);
            if (found.isEmpty()) {
                if (required) {
                    file.requireTensor(name);
                }
                return null;
            }
            GgufTensorInfo info = found.get();
            if (info.elementCount() != length) {
                throw new GgufFormatException(file.path() + ": tensor '" + name + "' has " + info.elementCount()
                        + " elements, expected " + length);
            }
            float[] values = new float[length];
            MemorySegment data = file.tensorData(info);
            if (info.type() == GgmlType.F32) {
                MemorySegment.copy(data, LITTLE_ENDIAN_FLOAT, 0, values, 0, length);
            } else {
                WeightTensor.of(name, info.type(), length, 1, data).dequantizeRow(0, values, 0);
            }
            return values;
        }
    }
}

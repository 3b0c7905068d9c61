package io.kvsqueeze.engine.model;

import io.kvsqueeze.engine.gguf.GgufFormatException;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.util.Set;

/**
 * Hyper-parameters of a Llama-family model, read from GGUF metadata ({@code <arch>.*} keys).
 *
 * @param ropeNeox      true when RoPE rotates the pairs (i, i + headDim/2) — Qwen2 — rather than adjacent
 *                      pairs (2i, 2i+1) as GGUF's llama architecture does (its converter permutes Q/K rows)
 * @param ropeScale     linear RoPE scaling: positions are divided by this factor (1 when absent)
 */
public record LlamaConfig(
        String architecture,
        int dim,
        int ffnDim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float rmsEps,
        float ropeTheta,
        float ropeScale,
        boolean ropeNeox) {

    /** Architectures whose GGUF tensors and hyper-parameters this forward pass implements. */
    public static final Set<String> SUPPORTED_ARCHITECTURES = Set.of("llama", "qwen2");

    public LlamaConfig {
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads + ")");
        }
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Query heads that share one KV head (grouped-query attention). */
    public int queriesPerKvHead() {
        return heads / kvHeads;
    }

    public static LlamaConfig fromGguf(GgufMetadata metadata, int vocabSizeFromTokens) {
        String arch = metadata.getString("general.architecture");
        if (!SUPPORTED_ARCHITECTURES.contains(arch)) {
            throw new GgufFormatException(metadata.source() + ": architecture '" + arch
                    + "' is not supported (supported: " + SUPPORTED_ARCHITECTURES + ")");
        }
        int dim = metadata.getInt(arch + ".embedding_length");
        int heads = metadata.getInt(arch + ".attention.head_count");
        int kvHeads = metadata.getInt(arch + ".attention.head_count_kv", heads);
        int headDim = metadata.getInt(arch + ".attention.key_length", dim / heads);
        int ropeDims = metadata.getInt(arch + ".rope.dimension_count", headDim);
        if (ropeDims != headDim) {
            throw new GgufFormatException(metadata.source() + ": partial RoPE (" + arch + ".rope.dimension_count="
                    + ropeDims + " < head size " + headDim + ") is not supported");
        }
        String scalingType = metadata.getString(arch + ".rope.scaling.type", "none");
        float ropeScale = switch (scalingType) {
            case "none" -> 1f;
            case "linear" -> metadata.getFloat(arch + ".rope.scaling.factor", 1f);
            default -> throw new GgufFormatException(metadata.source() + ": RoPE scaling '" + scalingType
                    + "' is not supported (none, linear, and llama3 frequency factors are)");
        };
        return new LlamaConfig(
                arch,
                dim,
                metadata.getInt(arch + ".feed_forward_length"),
                metadata.getInt(arch + ".block_count"),
                heads,
                kvHeads,
                headDim,
                metadata.getInt(arch + ".vocab_size", vocabSizeFromTokens),
                metadata.getInt(arch + ".context_length", 2048),
                metadata.getFloat(arch + ".attention.layer_norm_rms_epsilon", 1e-5f),
                metadata.getFloat(arch + ".rope.freq_base", 10000f),
                ropeScale == 0f ? 1f : ropeScale,
                arch.equals("qwen2"));
    }
}

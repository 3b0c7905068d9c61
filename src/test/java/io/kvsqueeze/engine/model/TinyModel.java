package io.kvsqueeze.engine.model;

import io.kvsqueeze.engine.gguf.GgmlType;
import io.kvsqueeze.engine.gguf.GgufValueType;
import io.kvsqueeze.engine.gguf.GgufWriter;
import io.kvsqueeze.engine.tensor.TestQuantizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a tiny Llama-family GGUF with random weights: a byte-level BPE vocabulary (the 256 byte symbols, a
 * few merges, ChatML control tokens) and the tensors a real model has, quantized in the formats the reference
 * model uses. Tests of the forward pass and generation run on it without downloading anything.
 */
public final class TinyModel {
    public static final int DIM = 64;
    public static final int HEADS = 4;
    public static final int KV_HEADS = 2;
    public static final int HEAD_DIM = DIM / HEADS;
    public static final int FFN = 128;
    public static final int LAYERS = 2;

    private String architecture = "llama";
    private GgmlType matrixType = GgmlType.Q4_1;
    private GgmlType embeddingType = GgmlType.Q8_0;
    private boolean tiedEmbeddings = true;
    private long seed = 7;

    public TinyModel architecture(String architecture) {
        this.architecture = architecture;
        return this;
    }

    public TinyModel matrixType(GgmlType type) {
        this.matrixType = type;
        return this;
    }

    public TinyModel embeddingType(GgmlType type) {
        this.embeddingType = type;
        return this;
    }

    public TinyModel tiedEmbeddings(boolean tied) {
        this.tiedEmbeddings = tied;
        return this;
    }

    public TinyModel seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** The vocabulary: 256 byte-level symbols, merges for "he", "ll", "hell", "hello", then control tokens. */
    public static List<String> tokens() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(byteSymbol(b));
        }
        tokens.addAll(List.of("he", "ll", "hell", "hello", "<|endoftext|>", "<|im_start|>", "<|im_end|>"));
        // Pad to a multiple of 32 rows so every embedding format has whole blocks of rows.
        while (tokens.size() % 32 != 0) {
            tokens.add("<pad" + tokens.size() + ">");
        }
        return tokens;
    }

    public Path write(Path path) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> tokens = tokens();
        int vocab = tokens.size();
        int[] tokenTypes = new int[vocab];
        for (int i = 0; i < vocab; i++) {
            tokenTypes[i] = i >= 256 + 4 ? 3 : 1; // CONTROL for the specials and pads, NORMAL otherwise
        }
        String a = architecture;
        GgufWriter writer = new GgufWriter()
                .putString("general.architecture", a)
                .putString("general.name", "tiny-random")
                .putUint32(a + ".block_count", LAYERS)
                .putUint32(a + ".context_length", 256)
                .putUint32(a + ".embedding_length", DIM)
                .putUint32(a + ".feed_forward_length", FFN)
                .putUint32(a + ".attention.head_count", HEADS)
                .putUint32(a + ".attention.head_count_kv", KV_HEADS)
                .putFloat32(a + ".rope.freq_base", 10000f)
                .putFloat32(a + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "smollm")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens.toArray(String[]::new))
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, tokenTypes)
                .putArray("tokenizer.ggml.merges", GgufValueType.STRING, new String[] {"h e", "l l", "he ll", "hell o"})
                .putUint32("tokenizer.ggml.bos_token_id", 256 + 5)
                .putUint32("tokenizer.ggml.eos_token_id", 256 + 6)
                .putBool("tokenizer.ggml.add_bos_token", false);
        writer.tensor("token_embd.weight", embeddingType, new long[] {DIM, vocab},
                quantize(embeddingType, random, DIM * vocab, 1.0f));
        for (int layer = 0; layer < LAYERS; layer++) {
            String p = "blk." + layer + ".";
            writer.tensor(p + "attn_norm.weight", GgmlType.F32, new long[] {DIM}, norm(random, DIM));
            writer.tensor(p + "attn_q.weight", matrixType, new long[] {DIM, DIM}, quantize(matrixType, random, DIM * DIM, 0.25f));
            writer.tensor(p + "attn_k.weight", matrixType, new long[] {DIM, KV_HEADS * HEAD_DIM},
                    quantize(matrixType, random, DIM * KV_HEADS * HEAD_DIM, 0.25f));
            writer.tensor(p + "attn_v.weight", matrixType, new long[] {DIM, KV_HEADS * HEAD_DIM},
                    quantize(matrixType, random, DIM * KV_HEADS * HEAD_DIM, 0.25f));
            if (a.equals("qwen2")) {
                writer.tensor(p + "attn_q.bias", GgmlType.F32, new long[] {DIM}, floats(random, DIM, 0.1f));
                writer.tensor(p + "attn_k.bias", GgmlType.F32, new long[] {KV_HEADS * HEAD_DIM},
                        floats(random, KV_HEADS * HEAD_DIM, 0.1f));
                writer.tensor(p + "attn_v.bias", GgmlType.F32, new long[] {KV_HEADS * HEAD_DIM},
                        floats(random, KV_HEADS * HEAD_DIM, 0.1f));
            }
            writer.tensor(p + "attn_output.weight", matrixType, new long[] {DIM, DIM}, quantize(matrixType, random, DIM * DIM, 0.25f));
            writer.tensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {DIM}, norm(random, DIM));
            writer.tensor(p + "ffn_gate.weight", matrixType, new long[] {DIM, FFN}, quantize(matrixType, random, DIM * FFN, 0.25f));
            writer.tensor(p + "ffn_up.weight", matrixType, new long[] {DIM, FFN}, quantize(matrixType, random, DIM * FFN, 0.25f));
            writer.tensor(p + "ffn_down.weight", matrixType, new long[] {FFN, DIM}, quantize(matrixType, random, FFN * DIM, 0.25f));
        }
        writer.tensor("output_norm.weight", GgmlType.F32, new long[] {DIM}, norm(random, DIM));
        if (!tiedEmbeddings) {
            writer.tensor("output.weight", embeddingType, new long[] {DIM, vocab},
                    quantize(embeddingType, random, DIM * vocab, 0.5f));
        }
        return writer.write(path);
    }

    private static byte[] quantize(GgmlType type, SplittableRandom random, int count, float scale) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return TestQuantizer.quantize(type, values);
    }

    private static byte[] norm(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = 1f + (float) (random.nextGaussian() * 0.1);
        }
        return TestQuantizer.quantize(GgmlType.F32, values);
    }

    private static byte[] floats(SplittableRandom random, int count, float scale) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return TestQuantizer.quantize(GgmlType.F32, values);
    }

    /** GPT-2's byte-to-unicode mapping: printable bytes map to themselves, the rest to U+0100 upwards. */
    static String byteSymbol(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
            return String.valueOf((char) b);
        }
        int shifted = 0;
        for (int c = 0; c < b; c++) {
            if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))) {
                shifted++;
            }
        }
        return String.valueOf((char) (256 + shifted));
    }
}

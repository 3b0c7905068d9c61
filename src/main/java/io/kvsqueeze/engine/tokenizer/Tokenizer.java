package io.kvsqueeze.engine.tokenizer;

import io.kvsqueeze.engine.gguf.GgufMetadata;

/**
 * Text to token ids and back, with the same results as llama.cpp for the same GGUF vocabulary.
 *
 * <p>Token ids are indexes into {@code tokenizer.ggml.tokens}. Methods taking an id throw
 * {@link IllegalArgumentException} for one outside {@code 0..vocabularySize()-1}. Instances are immutable and
 * safe to share between threads.
 */
public interface Tokenizer {

    /**
     * Tokenizes {@code text} treating special-token texts such as {@code <|im_start|>} as plain text, the safe
     * choice for user input (llama.cpp's {@code common_tokenize} default).
     *
     * @param addSpecial whether to add BOS/EOS where the vocabulary asks for them
     *                   ({@code tokenizer.ggml.add_bos_token}, {@code add_eos_token})
     */
    default int[] encode(String text, boolean addSpecial) {
        return encode(text, addSpecial, false);
    }

    /**
     * Tokenizes {@code text}.
     *
     * @param addSpecial   whether to add BOS/EOS where the vocabulary asks for them
     * @param parseSpecial whether the texts of control tokens (e.g. {@code <|im_start|>}) become those tokens;
     *                     they are split out before pre-tokenization. User-defined tokens are split out either
     *                     way, as in llama.cpp and Hugging Face tokenizers.
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** The text of {@code ids}, control tokens included as their text (llama.cpp's detokenize with special=true). */
    default String decode(int[] ids) {
        return decode(ids, true);
    }

    /**
     * The text of {@code ids}, as llama.cpp's {@code llama_detokenize} without removing specials: bytes that do
     * not form valid UTF-8 become U+FFFD.
     *
     * @param renderSpecial whether control and unknown tokens appear as their text or not at all
     */
    String decode(int[] ids, boolean renderSpecial);

    /** The bytes token {@code id} stands for, control tokens as their text. A piece may be part of a UTF-8 sequence. */
    default byte[] tokenBytes(int id) {
        return tokenBytes(id, true);
    }

    /**
     * The bytes token {@code id} stands for (llama.cpp's {@code llama_token_to_piece} without stripping).
     *
     * @param renderSpecial whether a control or unknown token gives its text or nothing
     */
    byte[] tokenBytes(int id, boolean renderSpecial);

    int vocabularySize();

    /** The beginning-of-sequence id, or -1 if the vocabulary has none. */
    int bosId();

    /** The end-of-sequence id, or -1 if the vocabulary has none. */
    int eosId();

    /**
     * Whether generation should stop at {@code id}: EOS, the end-of-turn and end-of-message tokens, and the
     * tokens llama.cpp recognises by text ({@code <|im_end|>}, {@code <|eot_id|>}, {@code <|end|>},
     * {@code <end_of_turn>}, {@code <|endoftext|>}, ...), plus the fill-in-the-middle pad/repo/file-separator
     * tokens. False for ids outside the vocabulary.
     */
    boolean isEndOfGeneration(int id);

    /** Whether {@code id} is a control token: typed CONTROL in the GGUF or promoted to one by llama.cpp's rules. */
    boolean isControl(int id);

    /** The token's entry in {@code tokenizer.ggml.tokens}, e.g. {@code "Ġhello"} or {@code "▁hello"}. */
    String tokenText(int id);

    /**
     * The tokenizer the GGUF metadata describes, chosen by {@code tokenizer.ggml.model}: {@code gpt2} for
     * byte-level BPE (pre-tokenizer from {@code tokenizer.ggml.pre}), {@code llama} for SentencePiece-style
     * score-based BPE.
     *
     * @throws IllegalArgumentException for another tokenizer model or an unknown pre-tokenizer
     */
    static Tokenizer fromGguf(GgufMetadata metadata) {
        String model = metadata.getString("tokenizer.ggml.model");
        return switch (model) {
            case "gpt2" -> ByteLevelBpeTokenizer.fromGguf(metadata);
            case "llama" -> SentencePieceTokenizer.fromGguf(metadata);
            default -> throw new IllegalArgumentException(metadata.source() + ": tokenizer.ggml.model '" + model
                    + "' is not supported (supported: 'gpt2' byte-level BPE, 'llama' SentencePiece)");
        };
    }
}

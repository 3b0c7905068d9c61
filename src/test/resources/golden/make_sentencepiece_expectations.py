#!/usr/bin/env python3
"""Prints what llama.cpp makes of the small SentencePiece vocabulary in SentencePieceTokenizerTest.

No Llama-2-style GGUF is at hand, so this writes one holding exactly the test's vocabulary (same ids, scores
and token types), loads it with llama-cpp-python (vocab_only) and prints ids and detokenized text for the
texts the test uses. The expected values in SentencePieceTokenizerTest were copied from this output.

Needs a Python with both llama-cpp-python and the gguf package, e.g.
    PYTHONPATH=/path/to/site-packages-with-gguf /work/tmp/llvenv/bin/python make_sentencepiece_expectations.py
"""

import ctypes
import os
import tempfile

import gguf
import llama_cpp

UNKNOWN, CONTROL, USER_DEFINED, BYTE, NORMAL = 2, 3, 4, 6, 1

PIECES = [("▁", -1), ("e", -2), ("h", -3), ("l", -4), ("o", -5), ("w", -6), ("r", -7), ("d", -8), ("a", -9),
          ("b", -10), ("c", -11), ("▁h", -12), ("he", -13), ("ll", -14), ("▁he", -15), ("llo", -16),
          ("▁hello", -17), ("▁w", -18), ("or", -19), ("▁wor", -20), ("ld", -21), ("▁world", -22), ("ab", -30),
          ("bc", -25), ("你", -40), ("i", -41), ("▁hi", -42), ("▁▁", -43)]

TEXTS = ["hello world", "abc", "  hello", "é", "你好", "x", "", "[INST] hi [/INST]", "[INST]hello",
         "hello<tool>world"]


def vocabulary():
    tokens, scores, types = [], [], []

    def add(text, score, token_type):
        tokens.append(text)
        scores.append(float(score))
        types.append(token_type)

    add("<unk>", 0, UNKNOWN)
    add("<s>", 0, CONTROL)
    add("</s>", 0, CONTROL)
    for b in range(256):
        add("<0x%02X>" % b, 0, BYTE)
    for text, score in PIECES:
        add(text, score, NORMAL)
    add("[INST]", 0, CONTROL)
    add("[/INST]", 0, CONTROL)
    add("<tool>", 0, USER_DEFINED)
    return tokens, scores, types


def write_gguf(path):
    tokens, scores, types = vocabulary()
    writer = gguf.GGUFWriter(path, "llama")
    # Hyperparameters llama.cpp reads even for a vocabulary-only load.
    writer.add_context_length(512)
    writer.add_embedding_length(64)
    writer.add_block_count(1)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(4)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(16)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def detokenize(vocab, ids, unparse_special):
    array = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
    buffer = ctypes.create_string_buffer(4096)
    n = llama_cpp.llama_detokenize(vocab, array, len(ids), buffer, 4096, False, unparse_special)
    return buffer.raw[:n].decode("utf-8", errors="replace")


def main():
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "tiny-spm.gguf")
        write_gguf(path)
        llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        for text in TEXTS:
            for add_bos in (True, False):
                for special in (True, False):
                    ids = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)
                    print(repr(text), f"add_bos={add_bos} parse_special={special}", ids,
                          repr(detokenize(vocab, ids, True)), repr(detokenize(vocab, ids, False)))
        print("end of generation:", [t for t in range(llama_cpp.llama_vocab_n_tokens(vocab))
                                     if llama_cpp.llama_vocab_is_eog(vocab, t)])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes tokenizer-smollm2.json: what llama.cpp (through llama-cpp-python) makes of a fixed corpus with the
SmolLM2-135M-Instruct GGUF vocabulary. The Java tokenizer tests compare against this file.

Run with a Python that has llama-cpp-python installed, e.g.
    /work/tmp/llvenv/bin/python src/test/resources/golden/make_tokenizer_goldens.py [--model PATH] [--out PATH]

Besides the model's own pre-tokenizer (smollm) it re-tokenizes the corpus with tokenizer.ggml.pre overridden
(llama-bpe, qwen2, default, gpt-2, starcoder), so the other pre-tokenizers are checked against llama.cpp with
the same vocabulary.
"""

import argparse
import ctypes
import hashlib
import json
import os
import struct
from pathlib import Path

import llama_cpp

LONG_PARAGRAPH = (
    "The quick brown fox jumps over the lazy dog. In 1997, roughly 3.2 million people visited the park; "
    "by 2023 that number had grown to 12,450,000 -- an increase of 289%. Researchers (Smith et al., 2021) "
    "argue that \"accessibility\" isn't the only factor: weather, ticket prices ($15.99 vs. $24.50) and "
    "social media all played a role. Still, it's hard to say what'll happen next year... Won't it? "
    "Meanwhile, in Zürich, São Paulo and Kraków, similar trends were observed -- though less pronounced. "
    "E-mail info@example.org or visit https://example.org/parks/stats?year=2023&format=csv for details.\n\n"
    "Finally: don't forget that 1/3 of visitors arrive before 9:30 a.m., and 42% leave after 5 p.m."
)

PYTHON_SNIPPET = (
    "def fibonacci(n: int) -> int:\n"
    "    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"
    "    if n < 2:\n"
    "        return n\n"
    "    a, b = 0, 1\n"
    "    for _ in range(n - 1):\n"
    "        a, b = b, a + b\n"
    "    return b\n"
)

JAVA_SNIPPET = (
    "public final class Main {\n"
    "\tpublic static void main(String[] args) {\n"
    "\t\tfor (int i = 0; i < args.length; i++) {\n"
    "\t\t\tSystem.out.println(i + \": \" + args[i]);\n"
    "\t\t}\n"
    "\t}\n"
    "}\n"
)

CORPUS = [
    ("digits", "12345 1,234.56"),
    ("digits_long", "3.14159265358979 and 2718281828 and 0x1F and 1e-9"),
    ("whitespace_mix", "a  b   c\t\td\n\ne \n \n\tf   "),
    ("leading_trailing_spaces", "   leading and trailing   "),
    ("newline", "\n"),
    ("two_newlines", "\n\n"),
    ("tab", "\t"),
    ("crlf", "line1\r\nline2\r\n\r\nline3"),
    ("many_spaces", "x" + " " * 40 + "y"),
    ("code_python", PYTHON_SNIPPET),
    ("code_java_tabs", JAVA_SNIPPET),
    ("code_json", "{\n  \"name\": \"kvsqueeze\",\n  \"tags\": [\"a\", \"b\"],\n  \"n\": 3\n}"),
    ("emoji", "👍 🙂😂 Great job!! 🎉🎉"),
    ("emoji_zwj_family", "👨‍👩‍👧‍👦 family"),
    ("emoji_rainbow_flag", "🏳️‍🌈"),
    ("emoji_flags", "🇺🇸🇩🇪🇯🇵 flags"),
    ("emoji_skin_tone", "👋🏽 wave"),
    ("cjk_chinese", "你好，世界！今天天气很好。"),
    ("cjk_japanese", "こんにちは世界、カタカナとひらがな。"),
    ("korean", "안녕하세요 세계"),
    ("accented_latin", "Crème brûlée à la française, naïve façade, Ångström, Ørsted, Straße"),
    ("combining_accent", "Cafe\u0301 vs Café"),
    ("arabic", "مرحبا بالعالم ١٢٣"),
    ("hebrew", "שלום עולם"),
    ("devanagari", "नमस्ते दुनिया"),
    ("thai", "สวัสดีชาวโลก"),
    ("greek_cyrillic", "Αλφα Βήτα и Привет мир"),
    ("special_chatml_turn", "<|im_start|>user\nhi<|im_end|>"),
    ("special_endoftext", "<|endoftext|>"),
    ("special_conversation",
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
     "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"),
    ("special_adjacent", "<|im_start|><|im_end|><|endoftext|>"),
    ("special_partial", "<|im_start <|im_end| im_end|>"),
    ("special_in_words", "before<|im_end|>after <|endoftext|> end"),
    ("special_repo", "<reponame>kvsqueeze<file_sep>src/Main.java"),
    ("contractions", "don't I'll"),
    ("contractions_more", "I'm you're we've she'd it's DON'T I'LL 'S 'll"),
    ("quotes", "''quoted'' 'single' \"double\" `back`"),
    ("url", "https://example.com/path/to/page?q=1&lang=en#frag"),
    ("email", "first.last+tag@sub.example.co.uk"),
    ("empty", ""),
    ("single_space", " "),
    ("two_spaces", "  "),
    ("punctuation", "Hello, world! How are you? ... --- *** ;;; (a) [b] {c}"),
    ("space_before_punctuation", "a . b , c ! d ? e ' f 's g 're"),
    ("currency", "$100 €50 ¥30 £20 ₹99"),
    ("superscripts_fractions", "x² + y³ = z⁴, ½ ¼ ⅓ Ⅻ"),
    ("unicode_spaces", "a\u00a0b\u2003c\u3000d\u2028e\u0085f\u000bg\u000ch"),
    ("zero_width", "a\u200bb\u200dc\ufeffd"),
    ("control_chars", "nul\u0000soh\u0001us\u001fdel\u007f"),
    ("latin1_bytes", "ÿ þ ß ¡ ¬ ® \u00ad"),
    ("repeated", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa !!!!!!!!!!!! ============"),
    ("markdown", "# Title\n\n- item 1\n- item 2\n\n**bold** _it_ `code`\n"),
    ("html", "<div class=\"x\">Hi &amp; bye</div>"),
    ("mixed_versions", "GPT-4o and Llama-3.1-8B-Instruct cost $0.15/1M tokens (≈€0.14)"),
    ("long_paragraph", LONG_PARAGRAPH),
]

PRE_TOKENIZER_VARIANTS = ["llama-bpe", "qwen2", "default", "gpt-2", "starcoder"]


def default_model_path():
    home = os.environ.get("KVSQUEEZE_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "kvsqueeze")
    return os.path.join(home, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")


def detokenize(vocab, ids, unparse_special):
    """llama.cpp's own llama_detokenize (not llama-cpp-python's per-piece join), keeping special tokens."""
    array = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
    capacity = 64 + 64 * len(ids)
    while True:
        buffer = ctypes.create_string_buffer(capacity)
        n = llama_cpp.llama_detokenize(vocab, array, len(ids), buffer, capacity, False, unparse_special)
        if n >= 0:
            return buffer.raw[:n]
        capacity = -n + 1


def token_piece(vocab, token, special):
    capacity = 64
    while True:
        buffer = ctypes.create_string_buffer(capacity)
        n = llama_cpp.llama_token_to_piece(vocab, token, buffer, capacity, 0, special)
        if n >= 0:
            return buffer.raw[:n]
        capacity = -n + 1


def pieces_digest(vocab, n_vocab, special):
    """SHA-256 over every token's piece, each prefixed by its length as a 4-byte big-endian int."""
    digest = hashlib.sha256()
    for token in range(n_vocab):
        piece = token_piece(vocab, token, special)
        digest.update(struct.pack(">I", len(piece)))
        digest.update(piece)
    return digest.hexdigest()


def as_text(raw):
    return raw.decode("utf-8", errors="replace")


def load(model, pre=None):
    overrides = {"tokenizer.ggml.pre": pre} if pre else None
    return llama_cpp.Llama(model_path=model, vocab_only=True, verbose=False, kv_overrides=overrides)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=default_model_path())
    parser.add_argument("--out", default=str(Path(__file__).with_name("tokenizer-smollm2.json")))
    args = parser.parse_args()

    llm = load(args.model)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)

    cases = []
    for name, text in CORPUS:
        data = text.encode("utf-8")
        ids_special = llm.tokenize(data, add_bos=False, special=True)
        cases.append({
            "name": name,
            "text": text,
            "ids_parse_special": ids_special,
            "ids_no_parse_special": llm.tokenize(data, add_bos=False, special=False),
            "ids_add_special_parse_special": llm.tokenize(data, add_bos=True, special=True),
            "detokenized_render_special": as_text(detokenize(vocab, ids_special, True)),
            "detokenized_hide_special": as_text(detokenize(vocab, ids_special, False)),
        })

    variants = {}
    for pre in PRE_TOKENIZER_VARIANTS:
        variant = load(args.model, pre)
        variant_vocab = llama_cpp.llama_model_get_vocab(variant.model)
        variant_cases = []
        for name, text in CORPUS:
            ids = variant.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            variant_cases.append({
                "name": name,
                "ids_parse_special": ids,
                "detokenized_render_special": as_text(detokenize(variant_vocab, ids, True)),
            })
        variants[pre] = variant_cases

    golden = {
        "generator": "make_tokenizer_goldens.py with llama-cpp-python " + llama_cpp.__version__,
        "model": os.path.basename(args.model),
        "vocabulary_size": n_vocab,
        "bos": llama_cpp.llama_vocab_bos(vocab),
        "eos": llama_cpp.llama_vocab_eos(vocab),
        "end_of_generation_ids": [t for t in range(n_vocab) if llama_cpp.llama_vocab_is_eog(vocab, t)],
        "control_ids": [t for t in range(n_vocab) if llama_cpp.llama_vocab_is_control(vocab, t)],
        "pieces_sha256_render_special": pieces_digest(vocab, n_vocab, True),
        "pieces_sha256_hide_special": pieces_digest(vocab, n_vocab, False),
        "cases": cases,
        "pre_tokenizer_variants": variants,
    }
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(golden, out, ensure_ascii=False, indent=1)
        out.write("\n")
    print(f"wrote {args.out}: {len(cases)} texts, {len(variants)} pre-tokenizer variants")


if __name__ == "__main__":
    main()

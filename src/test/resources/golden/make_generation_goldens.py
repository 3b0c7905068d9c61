#!/usr/bin/env python3
"""Greedy continuations of the reference model by llama.cpp (llama-cpp-python), the goldens of GoldenGenerationTest.

For every case it records llama.cpp's greedy tokens, its top-5 logits at each generated step (teacher-forced on
its own tokens), and how far its greedy output agrees with itself when the prompt is fed one token at a time
(n_batch=1) instead of in one batch: the measure of llama.cpp's own numerical noise (docs/testing.md).

Usage: python3 make_generation_goldens.py MODEL.gguf > generation-smollm2.json
Needs: pip install llama-cpp-python==0.3.36 jinja2 numpy (llama.cpp is compiled from the sdist on install).
"""
import json
import sys

import jinja2
import numpy
from llama_cpp import Llama

GENERATED_TOKENS = 48

PLAIN_PROMPTS = [
    "The capital of France is",
    "def fibonacci(n):\n    ",
    "Once upon a time, in a small village by the sea,",
    "1, 2, 3, 4, 5,",
]
CHAT_CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You are a concise assistant."},
     {"role": "user", "content": "Name three primary colors."}],
    [{"role": "user", "content": "Write a haiku about autumn."}],
    [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help you today?"},
     {"role": "user", "content": "Explain what a KV cache is in one sentence."}],
]


def greedy(llm, prompt_ids):
    llm.reset()
    out = []
    for token in llm.generate(prompt_ids, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
        if llm.token_eos() == token or token in EOG:
            out.append(token)
            break
        out.append(token)
        if len(out) >= GENERATED_TOKENS:
            break
    return out


def top_logits(model_path, ids, prompt_length):
    """llama.cpp's five best (id, logit) pairs before each generated token, teacher-forced."""
    llm = Llama(model_path=model_path, n_ctx=2048, n_threads=2, n_batch=512, seed=0, verbose=False, logits_all=True)
    llm.eval(ids)
    rows = numpy.array(llm.scores[prompt_length - 1:len(ids) - 1])
    return [[[int(i), float(row[i])] for i in numpy.argsort(-row, kind="stable")[:5]] for row in rows]


def agreement(a, b):
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


def main():
    model_path = sys.argv[1]
    llm = Llama(model_path=model_path, n_ctx=2048, n_threads=2, n_batch=512, seed=0, verbose=False, logits_all=False)
    one_by_one = Llama(model_path=model_path, n_ctx=2048, n_threads=2, n_batch=1, n_ubatch=1, seed=0, verbose=False)
    global EOG
    EOG = {i for i in range(llm.n_vocab()) if llm._model.token_is_eog(i)} if hasattr(llm._model, "token_is_eog") else set()
    template = jinja2.Environment(loader=jinja2.BaseLoader()).from_string(llm.metadata["tokenizer.chat_template"])
    cases = []
    for prompt in PLAIN_PROMPTS:
        ids = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        cases.append({"kind": "plain", "prompt": prompt, "prompt_ids": ids, "generated_ids": greedy(llm, ids)})
    for messages in CHAT_CONVERSATIONS:
        rendered = template.render(messages=messages, add_generation_prompt=True)
        ids = llm.tokenize(rendered.encode(), add_bos=False, special=True)
        cases.append({"kind": "chat", "messages": messages, "rendered": rendered, "prompt_ids": ids,
                      "generated_ids": greedy(llm, ids)})
    for case in cases:
        case["generated_text"] = llm.detokenize(case["generated_ids"]).decode("utf-8", errors="replace")
        case["self_agreement_n_batch_1"] = agreement(case["generated_ids"], greedy(one_by_one, case["prompt_ids"]))
        case["top_logits"] = top_logits(model_path, case["prompt_ids"] + case["generated_ids"], len(case["prompt_ids"]))
    json.dump({"generator": "llama-cpp-python " + __import__("llama_cpp").__version__,
               "model_sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
               "generated_tokens": GENERATED_TOKENS, "cases": cases}, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Time llama.cpp's model load, the closest equivalent of KVSqueeze's load_ms, in a fresh process.

Run by bench/compare-llama-cpp.sh with PYTHONPATH pointing at the pinned llama-cpp-python sdist (only its
ctypes bindings are used) and LLAMA_CPP_LIB_PATH pointing at the libllama.so built next to llama-bench, so
the library measured here is the very build llama-bench runs.

Phases, each timed with time.perf_counter() around the llama.cpp calls only (interpreter start-up, Python
imports and loading libllama.so/libggml*.so into the process are not counted, as JVM start-up is not part of
KVSqueeze's load_ms):

  model_load_ms   llama_backend_init + llama_model_load_from_file (default params: mmap on, no mlock):
                  open + mmap the GGUF, parse metadata, build the vocabulary/tokenizer tables, create the
                  tensors over the mapping (plus CPU weight repacking where the quant type has one).
  context_ms      llama_init_from_model: KV cache (n_ctx cells, f16) and compute buffers, graph reservation.
  warmup_ms       tokenize a fixed text to P prompt tokens, decode them as one batch, then D greedy
                  single-token decode steps (argmax of the logits with numpy).  Mirrors KVSqueeze's
                  "one warm-up prompt + 16 decode steps", which for the JVM is what JIT-compiles the kernels.
  total_ms        model_load_ms + context_ms + warmup_ms: the like-for-like counterpart of load_ms.
  llama_t_load_ms llama.cpp's own "load time" (llama_perf_context_print): from the start of model load to the
                  end of the first llama_decode (the prompt batch), so it includes the first page faults
                  of the mapping that mmap defers.

Prints one JSON object on stdout.
"""

import argparse
import ctypes
import json
import os
import sys
import time

WARMUP_TEXT = (
    "The quick brown fox jumps over the lazy dog. A benchmark harness measures how long a language model "
    "takes to load its weights, build its tokenizer, and run a first short prompt before it starts to "
    "answer questions about memory bandwidth, caches, threads and the speed of matrix multiplication."
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--ctx", type=int, required=True, help="context size (KV cache cells)")
    parser.add_argument("--warmup-prompt", type=int, default=16, help="warm-up prompt tokens")
    parser.add_argument("--warmup-decode", type=int, default=16, help="warm-up decode steps")
    parser.add_argument("--expect-version", default=None, help="fail unless llama_cpp.__version__ matches")
    args = parser.parse_args()

    if args.warmup_prompt < 1 or args.warmup_prompt + args.warmup_decode > args.ctx:
        print("llama_load_probe: need 1 <= warm-up prompt and prompt + decode <= ctx", file=sys.stderr)
        return 2

    import numpy as np  # noqa: E402  (imported before timing starts)
    import llama_cpp  # noqa: E402
    import llama_cpp.llama_cpp as L  # noqa: E402

    if args.expect_version is not None and llama_cpp.__version__ != args.expect_version:
        print(f"llama_load_probe: llama_cpp {llama_cpp.__version__} loaded from {llama_cpp.__file__}, "
              f"expected {args.expect_version}", file=sys.stderr)
        return 2
    lib_path = os.environ.get("LLAMA_CPP_LIB_PATH")

    t0 = time.perf_counter()
    L.llama_backend_init()
    mparams = L.llama_model_default_params()
    model = L.llama_model_load_from_file(args.model.encode(), mparams)
    t1 = time.perf_counter()
    if not model:
        print(f"llama_load_probe: llama.cpp could not load {args.model}", file=sys.stderr)
        return 1

    cparams = L.llama_context_default_params()
    cparams.n_ctx = args.ctx
    cparams.n_batch = max(args.warmup_prompt, 1)
    cparams.n_ubatch = max(args.warmup_prompt, 1)
    cparams.n_threads = args.threads
    cparams.n_threads_batch = args.threads
    ctx = L.llama_init_from_model(model, cparams)
    t2 = time.perf_counter()
    if not ctx:
        print("llama_load_probe: llama.cpp could not create a context", file=sys.stderr)
        return 1

    vocab = L.llama_model_get_vocab(model)
    n_vocab = L.llama_vocab_n_tokens(vocab)
    text = WARMUP_TEXT.encode()
    capacity = len(text) + 16
    tokens = (L.llama_token * capacity)()
    n = L.llama_tokenize(vocab, text, len(text), tokens, capacity, True, False)
    if n <= 0:
        print("llama_load_probe: tokenization failed", file=sys.stderr)
        return 1
    prompt = [tokens[i % n] for i in range(args.warmup_prompt)]
    prompt_array = (L.llama_token * len(prompt))(*prompt)
    if L.llama_decode(ctx, L.llama_batch_get_one(prompt_array, len(prompt))) != 0:
        print("llama_load_probe: prompt decode failed", file=sys.stderr)
        return 1
    one = (L.llama_token * 1)()
    for _ in range(args.warmup_decode):
        logits = np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, -1), shape=(n_vocab,))
        one[0] = int(np.argmax(logits))
        if L.llama_decode(ctx, L.llama_batch_get_one(one, 1)) != 0:
            print("llama_load_probe: decode step failed", file=sys.stderr)
            return 1
    t3 = time.perf_counter()

    perf = L.llama_perf_context(ctx)
    result = {
        "model_load_ms": (t1 - t0) * 1e3,
        "context_ms": (t2 - t1) * 1e3,
        "warmup_ms": (t3 - t2) * 1e3,
        "total_ms": (t3 - t0) * 1e3,
        "llama_t_load_ms": perf.t_load_ms,
        "threads": args.threads,
        "ctx": args.ctx,
        "warmup_prompt_tokens": args.warmup_prompt,
        "warmup_decode_steps": args.warmup_decode,
        "llama_cpp_python": llama_cpp.__version__,
        "lib_path": lib_path,
    }
    L.llama_free(ctx)
    L.llama_model_free(model)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

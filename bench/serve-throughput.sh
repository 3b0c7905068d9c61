#!/usr/bin/env bash
# The serving benchmarks of docs/benchmarks.md, in one run on this machine:
#   1. batched decode: `kvsqueeze bench serve` with 1 and with 8 concurrent requests of short prompts, and
#      llama.cpp's llama-batched-bench on the same GGUF with the same thread count (-npl 1,8);
#   2. throughput under one KV pool: the same workload with the full cache and with a compressed policy.
# Usage: bench/serve-throughput.sh [--out DIR] [--threads T] [--pool BYTES] [--prompt-tokens P]
#          [--gen-tokens G] [--requests N] [--policy PRESET] [--budget B]
# Writes DIR/serve-*.json (one JSON object per measured command) and prints a Markdown table.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KVSQUEEZE_HOME=${KVSQUEEZE_HOME:-$HOME/.cache/kvsqueeze}
MODEL=$KVSQUEEZE_HOME/models/SmolLM2-135M-Instruct.Q4_1.gguf
OUT=$REPO_ROOT/docs/results/$(date -u +%F)
THREADS=2
POOL=100MiB
PROMPT=2048
GEN=128
REQUESTS=16
POLICY=ada-snapkv
BUDGET=0.2
DECODE_GEN=128

while [[ $# -gt 0 ]]; do
  case $1 in
    --out) OUT=${2:?}; shift 2 ;;
    --threads) THREADS=${2:?}; shift 2 ;;
    --pool) POOL=${2:?}; shift 2 ;;
    --prompt-tokens) PROMPT=${2:?}; shift 2 ;;
    --gen-tokens) GEN=${2:?}; shift 2 ;;
    --requests) REQUESTS=${2:?}; shift 2 ;;
    --policy) POLICY=${2:?}; shift 2 ;;
    --budget) BUDGET=${2:?}; shift 2 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "serve-throughput: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -f $MODEL ]] || { echo "serve-throughput: no model at $MODEL; run ./kvsqueeze model fetch" >&2; exit 1; }
mkdir -p "$OUT"
BIN=$("$REPO_ROOT/bench/compare-llama-cpp.sh" --build-only)
KVSQUEEZE=$REPO_ROOT/kvsqueeze

echo "batched decode: llama.cpp" >&2
"$BIN/llama-batched-bench" -m "$MODEL" -t "$THREADS" -c 4096 -b 512 -ub 512 -npp 8 -ntg "$DECODE_GEN" \
  -npl 1,8 --output-format jsonl 2>/dev/null | grep '^{' >"$OUT/serve-llama-batched.jsonl"
for concurrency in 1 8; do
  echo "batched decode: kvsqueeze, $concurrency concurrent" >&2
  "$KVSQUEEZE" bench serve --threads "$THREADS" --requests 8 --concurrency "$concurrency" --prompt-tokens 8 \
    --gen-tokens "$DECODE_GEN" --kv-pool 256MiB --json 2>/dev/null >"$OUT/serve-decode-c$concurrency.json"
done
for policy in full "$POLICY"; do
  echo "throughput under a $POOL pool: $policy" >&2
  budget=()
  [[ $policy == full ]] || budget=(--kv-budget "$BUDGET")
  "$KVSQUEEZE" bench serve --threads "$THREADS" --requests "$REQUESTS" --concurrency "$REQUESTS" \
    --prompt-tokens "$PROMPT" --gen-tokens "$GEN" --kv-pool "$POOL" --kv-policy "$policy" "${budget[@]}" \
    --json 2>/dev/null >"$OUT/serve-pool-$policy.json"
done

python3 - "$OUT" "$POLICY" <<'PY'
import json, sys, pathlib
out, policy = pathlib.Path(sys.argv[1]), sys.argv[2]
llama = {}
for line in (out / "serve-llama-batched.jsonl").read_text().splitlines():
    r = json.loads(line)
    llama[r["pl"]] = r["speed_tg"]
ours = {c: json.loads((out / f"serve-decode-c{c}.json").read_text()) for c in (1, 8)}
print("| batched decode (prompt 8, 128 generated) | 1 sequence t/s | 8 sequences t/s | ratio |")
print("|---|---|---|---|")
print(f"| llama.cpp llama-batched-bench | {llama[1]:.1f} | {llama[8]:.1f} | {llama[8] / llama[1]:.2f}x |")
o1, o8 = ours[1]["throughput_tokens_per_s"], ours[8]["throughput_tokens_per_s"]
print(f"| kvsqueeze bench serve | {o1:.1f} | {o8:.1f} | {o8 / o1:.2f}x |")
print()
full = json.loads((out / "serve-pool-full.json").read_text())
comp = json.loads((out / f"serve-pool-{policy}.json").read_text())
print("| policy | generated t/s | prompt t/s | TTFT p50 ms | TTFT p99 ms | peak pool MiB | KV per request MiB |")
print("|---|---|---|---|---|---|---|")
for name, r in (("full", full), (f"{policy} @ {comp['kv_budget']}", comp)):
    print(f"| {name} | {r['throughput_tokens_per_s']:.1f} | {r['prompt_tokens_per_s']:.1f} | {r['ttft_ms_p50']:.0f} "
          f"| {r['ttft_ms_p99']:.0f} | {r['kv_pool_peak_bytes'] / 2**20:.1f} | {r['kv_bytes_per_request_mean'] / 2**20:.2f} |")
print(f"\nthroughput ratio {policy} / full: {comp['throughput_tokens_per_s'] / full['throughput_tokens_per_s']:.2f}x")
PY

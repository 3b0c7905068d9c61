#!/usr/bin/env bash
# Benchmark KVSqueeze side by side with llama.cpp on this machine: same GGUF file, same thread count,
# same prompt and generation lengths, runs interleaved so drift hits both engines alike.
#
#   bench/compare-llama-cpp.sh [options]            Markdown table on stdout (for docs/benchmarks.md)
#   bench/compare-llama-cpp.sh --json               the raw numbers as JSON instead
#
# What it does, in order:
#   1. builds llama.cpp's llama-bench, once, into ${KVSQUEEZE_HOME:-~/.cache/kvsqueeze}/llama.cpp-0.3.36/
#      from the llama-cpp-python 0.3.36 sdist on PyPI (SHA-256 pinned below; its vendor/llama.cpp is built
#      with exactly the cmake flags below), plus a small venv for the load probe;
#   2. measures read bandwidth of main memory with bench/membw.c (1 GiB, 1 thread and T threads);
#   3. for each round: for each prompt length N: `llama-bench -m MODEL -t T -p N -n M -r R -o json`, then
#      `kvsqueeze bench --threads T --prompt-tokens N --gen-tokens M --repetitions R --json`; then the llama.cpp
#      load probe (bench/llama_load_probe.py) a few times. Everything runs under `taskset -c 0-(T-1)`.
#      The tg row comes from the first prompt length's runs (llama-bench gets -n 0 for the others);
#   4. prints the table (bench/compare_llama_cpp.py report).
# Before each measured command it waits (up to --idle-timeout s) for other processes to go quiet, records
# how many cores other processes used during the run, runs it again (--retries) when that was more than
# --max-background cores, and the table warns when it stayed significant. See bench/README.md.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION=0.3.36
# sha256 of llama_cpp_python-0.3.36.tar.gz as served by PyPI (pip download --no-deps --no-binary=:all:).
LLAMA_CPP_PYTHON_SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
CMAKE_FLAGS=(-DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF
             -DGGML_NATIVE=ON)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=$REPO_ROOT/bench
KVSQUEEZE_HOME=${KVSQUEEZE_HOME:-$HOME/.cache/kvsqueeze}
CACHE=$KVSQUEEZE_HOME/llama.cpp-$LLAMA_CPP_PYTHON_VERSION
SRC=$CACHE/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION
LLAMA_DIR=$SRC/vendor/llama.cpp
LLAMA_BENCH=$LLAMA_DIR/build/bin/llama-bench
LLAMA_BATCHED_BENCH=$LLAMA_DIR/build/bin/llama-batched-bench  # used by bench/serve-throughput.sh
VENV=$CACHE/probe-venv

MODEL=$KVSQUEEZE_HOME/models/SmolLM2-135M-Instruct.Q4_1.gguf
THREADS=2
PROMPTS=128,512
GEN=64
REPS=5
ROUNDS=2
LOAD_RUNS=3
WARMUP_PROMPT=16
WARMUP_DECODE=16
KVSQUEEZE_CMD=$REPO_ROOT/kvsqueeze
KVSQUEEZE_ARGS=
SKIP_KVSQUEEZE=0
BUILD_ONLY=0
OUTPUT=markdown
JSON_OUT=
RAW_DIR=
IDLE_THRESHOLD=0.2
IDLE_TIMEOUT=120
MAX_BACKGROUND=0.25
RETRIES=3
BUILD_JOBS=$(nproc 2>/dev/null || echo 2)

usage() {
  cat <<EOF
Usage: bench/compare-llama-cpp.sh [options]

  --model PATH            GGUF model (default \$KVSQUEEZE_HOME/models/SmolLM2-135M-Instruct.Q4_1.gguf)
  --threads T             threads for both engines, pinned to CPUs 0..T-1 (default $THREADS)
  --prompt-tokens N[,N]   prompt lengths, one pair of runs each (default $PROMPTS)
  --gen-tokens M          generated tokens (default $GEN)
  --repetitions R         repetitions per run, as llama-bench -r (default $REPS)
  --rounds K              interleaved rounds llama.cpp, kvsqueeze, llama.cpp, kvsqueeze... (default $ROUNDS)
  --load-runs L           llama.cpp load probes per round, each a fresh process (default $LOAD_RUNS)
  --warmup-prompt W       llama.cpp load probe: warm-up prompt tokens (default $WARMUP_PROMPT)
  --warmup-decode D       llama.cpp load probe: warm-up decode steps (default $WARMUP_DECODE)
  --kvsqueeze CMD         the kvsqueeze launcher, split on spaces (default ./kvsqueeze in the repository)
  --kvsqueeze-args ARGS   extra arguments for 'kvsqueeze bench', split on spaces (e.g. its model option)
  --skip-kvsqueeze        measure llama.cpp only
  --build-only            build llama-bench and llama-batched-bench, print their directory, and stop
  --json                  print the raw numbers as JSON instead of the Markdown table
  --json-out FILE         also write the raw numbers as JSON to FILE
  --raw-dir DIR           keep every run's raw output in DIR, replacing its *.out, *.err, *.meta.json
                          (default: a temporary folder, removed at exit)
  --idle-threshold C      cores other processes may use before a run starts (default $IDLE_THRESHOLD)
  --idle-timeout S        seconds to wait for that before measuring anyway; 0 = never wait (default $IDLE_TIMEOUT)
  --max-background C      measure a run again when other processes used more cores than this meanwhile
                          (default $MAX_BACKGROUND)
  --retries N             at most this many times per run (default $RETRIES)
  -h, --help              this help

Environment: KVSQUEEZE_HOME (default ~/.cache/kvsqueeze) holds the model and the llama.cpp build.
Needs: python3 with pip and venv, cmake, make, a C and C++ compiler (cc, c++), tar, sha256sum;
taskset (util-linux) for pinning, git for llama-bench's own commit string (optional).
EOF
}

log() { printf '%s\n' "$*" >&2; }
die() { printf 'compare-llama-cpp: %s\n' "$*" >&2; exit 1; }
need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found: $2"
}
positive_int() {
  [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"
}

while (($#)); do
  case $1 in
    --model) MODEL=${2:?--model needs a value}; shift 2 ;;
    --threads) THREADS=${2:?}; shift 2 ;;
    --prompt-tokens) PROMPTS=${2:?}; shift 2 ;;
    --gen-tokens) GEN=${2:?}; shift 2 ;;
    --repetitions) REPS=${2:?}; shift 2 ;;
    --rounds) ROUNDS=${2:?}; shift 2 ;;
    --load-runs) LOAD_RUNS=${2:?}; shift 2 ;;
    --warmup-prompt) WARMUP_PROMPT=${2:?}; shift 2 ;;
    --warmup-decode) WARMUP_DECODE=${2:?}; shift 2 ;;
    --kvsqueeze) KVSQUEEZE_CMD=${2:?}; shift 2 ;;
    --kvsqueeze-args) KVSQUEEZE_ARGS=${2?}; shift 2 ;;
    --skip-kvsqueeze) SKIP_KVSQUEEZE=1; shift ;;
    --build-only) BUILD_ONLY=1; shift ;;
    --json) OUTPUT=json; shift ;;
    --json-out) JSON_OUT=${2:?}; shift 2 ;;
    --raw-dir) RAW_DIR=${2:?}; shift 2 ;;
    --idle-threshold) IDLE_THRESHOLD=${2:?}; shift 2 ;;
    --idle-timeout) IDLE_TIMEOUT=${2:?}; shift 2 ;;
    --max-background) MAX_BACKGROUND=${2:?}; shift 2 ;;
    --retries) RETRIES=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

positive_int --threads "$THREADS"
positive_int --gen-tokens "$GEN"
positive_int --repetitions "$REPS"
positive_int --rounds "$ROUNDS"
positive_int --warmup-prompt "$WARMUP_PROMPT"
positive_int --warmup-decode "$WARMUP_DECODE"
[[ $LOAD_RUNS =~ ^[0-9]+$ ]] || die "--load-runs must be a number, got '$LOAD_RUNS'"
[[ $RETRIES =~ ^[0-9]+$ ]] || die "--retries must be a number, got '$RETRIES'"
for v in "$IDLE_THRESHOLD" "$IDLE_TIMEOUT" "$MAX_BACKGROUND"; do
  [[ $v =~ ^[0-9]+([.][0-9]+)?$ ]] || die "idle/background options take a number, got '$v'"
done
IFS=, read -ra PROMPT_LIST <<<"$PROMPTS"
((${#PROMPT_LIST[@]})) || die "--prompt-tokens is empty"
for p in "${PROMPT_LIST[@]}"; do positive_int --prompt-tokens "$p"; done
[[ -f $MODEL ]] || die "model not found: $MODEL (download it into \$KVSQUEEZE_HOME/models or pass --model)"
MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
read -ra KVS_CMD <<<"$KVSQUEEZE_CMD"
read -ra KVS_ARGS <<<"$KVSQUEEZE_ARGS"
((${#KVS_CMD[@]})) || die "--kvsqueeze is empty"
# kvsqueeze runs from the repository root: make a relative launcher path absolute first.
if [[ ${KVS_CMD[0]} == */* && ${KVS_CMD[0]} != /* ]]; then
  KVS_CMD[0]=$PWD/${KVS_CMD[0]}
fi
if ((!SKIP_KVSQUEEZE)); then
  command -v "${KVS_CMD[0]}" >/dev/null 2>&1 || [[ -x ${KVS_CMD[0]} ]] \
    || die "kvsqueeze launcher not found: ${KVS_CMD[0]} (build it, pass --kvsqueeze CMD, or --skip-kvsqueeze)"
fi

need python3 "install Python 3 (apt-get install python3 python3-venv python3-pip)"
need cc "install a C compiler (apt-get install build-essential)"

# ------------------------------------------------------------------------------ llama.cpp build

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

build_llama_bench() {
  local stamp=$CACHE/llama-bench.stamp
  local want="sdist_sha256=$LLAMA_CPP_PYTHON_SHA256 cmake=${CMAKE_FLAGS[*]} target=llama-bench,llama-batched-bench"
  if [[ -x $LLAMA_BENCH && -x $LLAMA_BATCHED_BENCH && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  need cmake "install CMake >= 3.14 (apt-get install cmake)"
  need make "install make (apt-get install build-essential)"
  need c++ "install a C++ compiler (apt-get install build-essential)"
  need tar "install tar"
  need sha256sum "install coreutils"
  python3 -m pip --version >/dev/null 2>&1 || die "pip is missing for python3 (apt-get install python3-pip)"
  mkdir -p "$CACHE"
  local tarball=$CACHE/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz
  if [[ ! -f $tarball || "$(sha256_of "$tarball")" != "$LLAMA_CPP_PYTHON_SHA256" ]]; then
    rm -f "$tarball"
    local dl
    dl=$(mktemp -d "$CACHE/download.XXXXXX")
    log "Downloading llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION sdist from PyPI..."
    python3 -m pip download --quiet --no-deps --no-binary=:all: \
      "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$dl" >&2 \
      || { rm -rf "$dl"; die "pip download of llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION failed"; }
    [[ -f $dl/$(basename "$tarball") ]] || { rm -rf "$dl"; die "pip download did not produce $(basename "$tarball")"; }
    mv "$dl/$(basename "$tarball")" "$tarball"
    rm -rf "$dl"
  fi
  local got
  got=$(sha256_of "$tarball")
  if [[ $got != "$LLAMA_CPP_PYTHON_SHA256" ]]; then
    rm -f "$tarball"
    die "SHA-256 mismatch for $(basename "$tarball"): got $got, pinned $LLAMA_CPP_PYTHON_SHA256"
  fi
  log "Building llama-bench in $LLAMA_DIR/build (log: $CACHE/build.log; takes a few minutes)..."
  rm -rf "$SRC" "$stamp"
  tar -xzf "$tarball" -C "$CACHE"
  [[ -f $LLAMA_DIR/CMakeLists.txt ]] || die "the sdist has no vendor/llama.cpp/CMakeLists.txt"
  if ! (cd "$LLAMA_DIR" && cmake -B build "${CMAKE_FLAGS[@]}" \
        && cmake --build build -j "$BUILD_JOBS" --target llama-bench llama-batched-bench) >"$CACHE/build.log" 2>&1; then
    tail -n 30 "$CACHE/build.log" >&2
    die "building llama-bench failed; full log in $CACHE/build.log"
  fi
  [[ -x $LLAMA_BENCH ]] || die "build finished but $LLAMA_BENCH is missing"
  printf '%s\n' "$want" >"$stamp"
}

setup_probe_venv() {
  local stamp=$VENV/.requirements.sha256 want
  want=$(sha256_of "$BENCH_DIR/llama-probe-requirements.txt")
  if [[ -x $VENV/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  log "Creating the load-probe venv in $VENV..."
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2 || die "python3 -m venv failed (apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet -r "$BENCH_DIR/llama-probe-requirements.txt" >&2 \
    || die "pip install of bench/llama-probe-requirements.txt into $VENV failed"
  printf '%s\n' "$want" >"$stamp"
}

llama_cpp_commit() {
  # The sdist ships the submodule's git metadata; read it without git if need be.
  local commit=""
  if command -v git >/dev/null 2>&1; then
    commit=$(git -C "$LLAMA_DIR" rev-parse HEAD 2>/dev/null || true)
  fi
  if [[ -z $commit && -f $SRC/.git/modules/vendor/llama.cpp/HEAD ]]; then
    commit=$(tr -d '[:space:]' <"$SRC/.git/modules/vendor/llama.cpp/HEAD")
  fi
  printf '%s\n' "${commit:-unknown}"
}

build_llama_bench
if [[ $BUILD_ONLY == 1 ]]; then
  printf '%s\n' "$LLAMA_DIR/build/bin"
  exit 0
fi
setup_probe_venv
LLAMA_COMMIT=$(llama_cpp_commit)
LLAMA_VERSION_LINE=$("$LLAMA_BENCH" --version 2>&1 | grep -m1 '^version' || true)
log "llama.cpp: build: ${LLAMA_COMMIT:0:7} ($LLAMA_VERSION_LINE; full commit $LLAMA_COMMIT)"

# -------------------------------------------------------------------------------- work folder

if [[ -n $RAW_DIR ]]; then
  mkdir -p "$RAW_DIR"
  WORK=$(cd "$RAW_DIR" && pwd)
  rm -f "$WORK"/*.out "$WORK"/*.err "$WORK"/*.meta.json "$WORK/manifest.tsv"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/compare-llama-cpp.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
fi
: >"$WORK/manifest.tsv"

PIN=()
PINNING="none (taskset not found)"
if command -v taskset >/dev/null 2>&1; then
  if taskset -c "0-$((THREADS - 1))" true 2>/dev/null; then
    PIN=(taskset -c "0-$((THREADS - 1))")
    PINNING="taskset -c 0-$((THREADS - 1))"
  else
    PINNING="none (taskset -c 0-$((THREADS - 1)) refused: fewer CPUs?)"
  fi
fi
[[ ${#PIN[@]} -gt 0 ]] || log "warning: not pinned: $PINNING"

HELPER=(python3 "$BENCH_DIR/compare_llama_cpp.py")
QUIET_ARGS=(--idle-threshold "$IDLE_THRESHOLD" --idle-timeout "$IDLE_TIMEOUT" --max-background "$MAX_BACKGROUND"
            --retries "$RETRIES")

# measured KIND ROUND PROMPT GEN NAME -- COMMAND...: one measured run, listed in the manifest.
measured() {
  local kind=$1 round=$2 prompt=$3 gen=$4 name=$5
  shift 6
  printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$round" "$prompt" "$gen" "$name" >>"$WORK/manifest.tsv"
  "${HELPER[@]}" run --prefix "$WORK/$name" --cwd "$REPO_ROOT" "${QUIET_ARGS[@]}" -- "$@" || {
    log "--- last lines of $name's stderr:"
    tail -n 20 "$WORK/$name.err" >&2 || true
    die "$kind run failed: $*"
  }
}

# ---------------------------------------------------------------------------------- machine facts

CPU_MODEL=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1 || true)
CPU_MODEL=${CPU_MODEL:-$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //' || true)}
CPU_FLAGS=$(grep -m1 '^flags' /proc/cpuinfo || true)
for f in avx512f avx512_vnni; do
  if [[ $CPU_FLAGS == *" $f"* ]]; then CPU_MODEL="$CPU_MODEL, $f"; fi
done
JDK=$( (. "$REPO_ROOT/.mvn/select-jdk.sh" && kvsqueeze_select_jdk && "$JAVA_HOME/bin/java" -version) 2>&1 \
  | grep -m1 -iE 'version' || true)
JDK=${JDK:-unknown (no JDK 25 found by .mvn/select-jdk.sh)}
KVS_COMMIT=$(git -C "$REPO_ROOT" describe --always --dirty 2>/dev/null || echo unknown)
COMPILER=$(grep -m1 '^CMAKE_C_COMPILER:' "$LLAMA_DIR/build/CMakeCache.txt" 2>/dev/null | cut -d= -f2- || true)
COMPILER="$("${COMPILER:-cc}" --version 2>/dev/null | head -n1)"

log "Hashing the model..."
MODEL_SHA=$(sha256_of "$MODEL")
MODEL_BYTES=$(stat -c %s "$MODEL")

# ------------------------------------------------------------------------------------ bandwidth

log "Compiling bench/membw.c and measuring memory bandwidth (1 GiB read, 1 and $THREADS threads)..."
cc -O2 -march=native -pthread -o "$WORK/membw" "$BENCH_DIR/membw.c" -lm \
  || die "compiling bench/membw.c failed"
BW_THREADS=(1)
if ((THREADS > 1)); then BW_THREADS+=("$THREADS"); fi
"${HELPER[@]}" run --prefix "$WORK/membw" "${QUIET_ARGS[@]}" \
  -- "${PIN[@]}" "$WORK/membw" 1024 10 "${BW_THREADS[@]}" || die "membw failed: $(cat "$WORK/membw.err")"

# ------------------------------------------------------------------------------------- the runs

MAX_PROMPT=0
for p in "${PROMPT_LIST[@]}"; do
  if ((p > MAX_PROMPT)); then MAX_PROMPT=$p; fi
done
PROBE_CTX=$((MAX_PROMPT + GEN))
((PROBE_CTX >= WARMUP_PROMPT + WARMUP_DECODE)) || PROBE_CTX=$((WARMUP_PROMPT + WARMUP_DECODE))

for ((round = 1; round <= ROUNDS; round++)); do
  for i in "${!PROMPT_LIST[@]}"; do
    p=${PROMPT_LIST[$i]}
    n_gen=$GEN
    ((i == 0)) || n_gen=0
    if ((n_gen)); then log "round $round/$ROUNDS: llama.cpp pp$p tg$GEN..."; else log "round $round/$ROUNDS: llama.cpp pp$p..."; fi
    measured llama "$round" "$p" "$GEN" "llama-r$round-p$p" -- "${PIN[@]}" "$LLAMA_BENCH" \
      -m "$MODEL" -t "$THREADS" -p "$p" -n "$n_gen" -r "$REPS" -o json
    if ((!SKIP_KVSQUEEZE)); then
      log "round $round/$ROUNDS: kvsqueeze pp$p tg$GEN..."
      measured kvsqueeze "$round" "$p" "$GEN" "kvsqueeze-r$round-p$p" -- "${PIN[@]}" "${KVS_CMD[@]}" \
        bench --threads "$THREADS" --prompt-tokens "$p" --gen-tokens "$GEN" --repetitions "$REPS" --json \
        "${KVS_ARGS[@]}"
    fi
  done
  for ((j = 1; j <= LOAD_RUNS; j++)); do
    log "round $round/$ROUNDS: llama.cpp load probe $j/$LOAD_RUNS..."
    measured probe "$round" 0 0 "probe-r$round-$j" -- "${PIN[@]}" env \
      PYTHONPATH="$SRC" LLAMA_CPP_LIB_PATH="$LLAMA_DIR/build/bin" "$VENV/bin/python" \
      "$BENCH_DIR/llama_load_probe.py" --model "$MODEL" --threads "$THREADS" --ctx "$PROBE_CTX" \
      --warmup-prompt "$WARMUP_PROMPT" --warmup-decode "$WARMUP_DECODE" \
      --expect-version "$LLAMA_CPP_PYTHON_VERSION"
  done
done

# ------------------------------------------------------------------------------------- the report

PROMPTS_JSON=$(IFS=,; echo "[${PROMPT_LIST[*]}]")
"${HELPER[@]}" meta --out "$WORK/meta.json" \
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" cpu="$CPU_MODEL" cpus:="$(nproc)" kernel="$(uname -sr)" jdk="$JDK" \
  kvsqueeze_commit="$KVS_COMMIT" kvsqueeze_command="${KVS_CMD[*]} bench ... ${KVS_ARGS[*]}" \
  kvsqueeze_skipped:="$( ((SKIP_KVSQUEEZE)) && echo true || echo false)" \
  llama_cpp_commit="$LLAMA_COMMIT" llama_bench_version="$LLAMA_VERSION_LINE" \
  llama_cpp_python="$LLAMA_CPP_PYTHON_VERSION" sdist_sha256="$LLAMA_CPP_PYTHON_SHA256" \
  cmake_flags="${CMAKE_FLAGS[*]}" compiler="$COMPILER" \
  model="$MODEL" model_bytes:="$MODEL_BYTES" model_sha256="$MODEL_SHA" \
  threads:="$THREADS" pinning="$PINNING" prompts:="$PROMPTS_JSON" gen:="$GEN" repetitions:="$REPS" \
  rounds:="$ROUNDS" load_runs_per_round:="$LOAD_RUNS"

REPORT_ARGS=(--work "$WORK" --model "$MODEL" --threads "$THREADS" --prompts "$PROMPTS" --gen "$GEN" --reps "$REPS")
if [[ $OUTPUT == json ]]; then REPORT_ARGS+=(--json); fi
if [[ -n $JSON_OUT ]]; then REPORT_ARGS+=(--json-out "$JSON_OUT"); fi
"${HELPER[@]}" report "${REPORT_ARGS[@]}"

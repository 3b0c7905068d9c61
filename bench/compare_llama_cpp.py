"""Helper of bench/compare-llama-cpp.sh (standard library only).

  run     runs one measured command: first waits (bounded) for the machine to be idle, then runs the command
          with stdout to a file and records wall time, the command's own CPU time and the CPU time the rest of
          the machine used meanwhile ("background cores"), so a comparison spoiled by other work shows it.
  report  reads every run of a harness invocation from its work folder and prints the Markdown table
          (or, with --json, the raw numbers).

Statistics: each engine reports per-repetition tokens/s like llama-bench (avg_ts is the mean of the
per-repetition rates, stddev_ts their sample standard deviation).  Runs from several interleaved rounds are
pooled exactly: pooled mean of all repetitions, pooled sample sd from the per-run (mean, sd, n).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

KVSQUEEZE_KEYS = (
    "model", "threads", "prompt_tokens", "gen_tokens", "repetitions", "load_ms",
    "prefill_tokens_per_s", "prefill_tokens_per_s_sd", "decode_tokens_per_s", "decode_tokens_per_s_sd",
    "weight_bytes_per_token", "decode_effective_gb_per_s",
)


class HarnessError(Exception):
    pass


# ---------------------------------------------------------------------------------------------- run


def cpu_jiffies():
    """(busy, steal, total) jiffies summed over all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + idle + iowait + steal


def busy_cores(seconds):
    hz = os.sysconf("SC_CLK_TCK")
    b0, _, _ = cpu_jiffies()
    time.sleep(seconds)
    b1, _, _ = cpu_jiffies()
    return (b1 - b0) / hz / seconds


def wait_for_idle(threshold, timeout):
    """Waits until other processes use at most `threshold` cores; returns (seconds waited, reached)."""
    if timeout <= 0:
        return 0.0, True
    start = time.monotonic()
    while True:
        load = busy_cores(1.0)
        if load <= threshold:
            return time.monotonic() - start, True
        if time.monotonic() - start >= timeout:
            print(f"  warning: machine still busy ({load:.2f} cores used by other processes) after "
                  f"{timeout:.0f} s; measuring anyway", file=sys.stderr)
            return time.monotonic() - start, False


def run_once(command, prefix, cwd):
    hz = os.sysconf("SC_CLK_TCK")
    with open(prefix + ".out", "wb") as out, open(prefix + ".err", "wb") as err:
        b0, s0, _ = cpu_jiffies()
        t0 = time.monotonic()
        try:
            proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        except OSError as e:
            raise HarnessError(f"cannot run {command[0]}: {e}")
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        b1, s1, _ = cpu_jiffies()
    own_cpu = usage.ru_utime + usage.ru_stime
    system_busy = (b1 - b0) / hz
    return {
        "rc": os.waitstatus_to_exitcode(status),
        "wall_s": wall,
        "own_cpu_s": own_cpu,
        "own_cores": own_cpu / wall if wall > 0 else 0.0,
        "background_cores": max(0.0, system_busy - own_cpu) / wall if wall > 0 else 0.0,
        "steal_cores": (s1 - s0) / hz / wall if wall > 0 else 0.0,
    }


def cmd_run(args):
    """Runs the command into PREFIX.out/.err/.meta.json, again while other work disturbed it too much."""
    command = args.command
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise HarnessError("run: no command given")
    attempts = []
    while True:
        waited, idle = wait_for_idle(args.idle_threshold, args.idle_timeout)
        result = run_once(command, args.prefix, args.cwd)
        result.update(waited_for_idle_s=waited, idle_before=idle)
        attempts.append(result)
        if result["rc"] != 0 or result["background_cores"] <= args.max_background \
                or len(attempts) > args.retries:
            break
        print(f"  disturbed: other processes used {result['background_cores']:.2f} cores during the run; "
              f"again ({len(attempts)}/{args.retries})", file=sys.stderr)
    meta = {"command": command, **attempts[-1], "attempts": len(attempts),
            "discarded_background_cores": [a["background_cores"] for a in attempts[:-1]]}
    with open(args.prefix + ".meta.json", "w") as f:
        json.dump(meta, f)
    return meta["rc"]


# ------------------------------------------------------------------------------------------- parse


def pooled(groups):
    """Exact pooled (mean, sample sd, n) of several samples given as (mean, sd, n)."""
    groups = [(m, s or 0.0, n) for m, s, n in groups if n > 0]
    total = sum(n for _, _, n in groups)
    if total == 0:
        return None
    mean = sum(m * n for m, _, n in groups) / total
    ss = sum((n - 1) * s * s + n * (m - mean) ** 2 for m, s, n in groups)
    sd = math.sqrt(ss / (total - 1)) if total > 1 else 0.0
    return {"mean": mean, "sd": sd, "n": total}


def stats(values):
    return pooled([(v, 0.0, 1) for v in values])


def parse_kvsqueeze(text, expect, path):
    """The one JSON object of `kvsqueeze bench --json`, found among whatever else was printed."""
    candidates = []
    stripped = text.strip()
    if stripped.startswith("{"):
        candidates.append(stripped)
    candidates.extend(line.strip() for line in reversed(text.splitlines()) if line.strip().startswith("{"))
    obj = None
    for c in candidates:
        try:
            value = json.loads(c)
        except ValueError:
            continue
        if isinstance(value, dict) and "prefill_tokens_per_s" in value:
            obj = value
            break
    if obj is None:
        raise HarnessError(f"{path}: no `kvsqueeze bench --json` object found in its output")
    missing = [k for k in KVSQUEEZE_KEYS if k not in obj]
    if missing:
        raise HarnessError(f"{path}: kvsqueeze JSON lacks {', '.join(missing)}")
    for key, want in expect.items():
        if obj[key] != want:
            raise HarnessError(f"{path}: kvsqueeze ran with {key}={obj[key]!r}, the harness asked for {want!r}")
    for key in KVSQUEEZE_KEYS[5:]:
        if obj[key] is not None and not isinstance(obj[key], (int, float)):
            raise HarnessError(f"{path}: kvsqueeze JSON {key} is not a number: {obj[key]!r}")
    return obj


def same_model(reported, model_path):
    """kvsqueeze's "model" may be a path or a name; it must name the file llama-bench ran."""
    if not isinstance(reported, str) or not reported:
        return False
    model = Path(model_path)
    if os.path.exists(reported):
        return os.path.realpath(reported) == os.path.realpath(model)
    name = Path(reported).name
    return name == model.name or name == model.stem


def load_runs(work):
    runs = []
    manifest = Path(work) / "manifest.tsv"
    if not manifest.exists():
        raise HarnessError(f"{manifest} is missing: nothing was measured")
    for line in manifest.read_text().splitlines():
        if not line.strip():
            continue
        kind, rnd, prompt, gen, name = line.split("\t")
        prefix = Path(work) / name
        meta = json.loads(Path(f"{prefix}.meta.json").read_text())
        runs.append({"kind": kind, "round": int(rnd), "prompt": int(prompt), "gen": int(gen), "prefix": prefix,
                     "text": Path(f"{prefix}.out").read_text(errors="replace"), "meta": meta})
    return runs


def collect(args):
    work = Path(args.work)
    prompts = [int(p) for p in args.prompts.split(",")]
    gen = args.gen
    tests = {}  # (test, engine) -> list of (mean, sd, n)
    kvs_extra_tg = []
    kvs_raw, llama_raw, probe_raw = [], [], []
    bg = {"llama.cpp": [], "kvsqueeze": [], "llama.cpp load": []}
    kvs_load, kvs_open, kvs_bytes, kvs_eff = [], [], [], []
    llama_model_size = None
    llama_build_commit = None
    reruns = 0

    for run in load_runs(work):
        meta, text, path = run["meta"], run["text"], f"{run['prefix']}.out"
        reruns += meta.get("attempts", 1) - 1
        if meta["rc"] != 0:
            err = Path(f"{run['prefix']}.err").read_text(errors="replace").strip().splitlines()[-15:]
            raise HarnessError(f"{' '.join(meta['command'])} exited with {meta['rc']}:\n  " + "\n  ".join(err))
        if run["kind"] == "llama":
            bg["llama.cpp"].append(meta["background_cores"])
            try:
                entries = json.loads(text)
            except ValueError as e:
                raise HarnessError(f"{path}: llama-bench output is not JSON ({e})")
            for e in entries:
                llama_raw.append({"round": run["round"], **{k: e.get(k) for k in (
                    "n_prompt", "n_gen", "n_threads", "avg_ts", "stddev_ts", "samples_ts", "build_commit",
                    "model_size", "model_type", "test_time")}})
                if e.get("n_threads") != args.threads:
                    raise HarnessError(f"{path}: llama-bench ran with {e.get('n_threads')} threads")
                llama_model_size = e.get("model_size", llama_model_size)
                llama_build_commit = e.get("build_commit", llama_build_commit)
                samples = e.get("samples_ts") or []
                test = f"pp{e['n_prompt']}" if e["n_gen"] == 0 else f"tg{e['n_gen']}"
                if e["n_prompt"] and e["n_gen"]:
                    test = f"pp{e['n_prompt']}+tg{e['n_gen']}"
                tests.setdefault((test, "llama.cpp"), []).extend((s, 0.0, 1) for s in samples)
        elif run["kind"] == "kvsqueeze":
            bg["kvsqueeze"].append(meta["background_cores"])
            expect = {"threads": args.threads, "prompt_tokens": run["prompt"], "gen_tokens": run["gen"],
                      "repetitions": args.reps}
            obj = parse_kvsqueeze(text, expect, path)
            if not same_model(obj["model"], args.model):
                raise HarnessError(
                    f"{path}: kvsqueeze benchmarked model {obj['model']!r}, llama.cpp ran {args.model}; "
                    f"pass the model to kvsqueeze with --kvsqueeze-args")
            kvs_raw.append({"round": run["round"], **obj})
            n = obj["repetitions"]
            tests.setdefault((f"pp{run['prompt']}", "kvsqueeze"), []).append(
                (obj["prefill_tokens_per_s"], obj["prefill_tokens_per_s_sd"], n))
            tg = (obj["decode_tokens_per_s"], obj["decode_tokens_per_s_sd"], n)
            if run["prompt"] == prompts[0]:
                tests.setdefault((f"tg{gen}", "kvsqueeze"), []).append(tg)
            else:
                kvs_extra_tg.append({"prompt_tokens": run["prompt"], "round": run["round"],
                                     "decode_tokens_per_s": tg[0], "decode_tokens_per_s_sd": tg[1]})
            kvs_load.append(obj["load_ms"])
            if obj.get("open_ms") is not None:
                kvs_open.append(obj["open_ms"])
            if obj["weight_bytes_per_token"] is not None:
                kvs_bytes.append(obj["weight_bytes_per_token"])
            if obj["decode_effective_gb_per_s"] is not None and run["prompt"] == prompts[0]:
                kvs_eff.append(obj["decode_effective_gb_per_s"])
        elif run["kind"] == "probe":
            bg["llama.cpp load"].append(meta["background_cores"])
            try:
                probe_raw.append(json.loads(text.strip().splitlines()[-1]))
            except (ValueError, IndexError) as e:
                raise HarnessError(f"{path}: load probe printed no JSON ({e})")
        else:
            raise HarnessError(f"unknown run kind {run['kind']}")

    order = [f"pp{p}" for p in prompts] + [f"tg{gen}"]
    rows = []
    for test in order:
        llama = pooled(tests.get((test, "llama.cpp"), []))
        kvs = pooled(tests.get((test, "kvsqueeze"), []))
        ratio = ratio_sd = None
        if llama and kvs and llama["mean"] > 0:
            ratio = kvs["mean"] / llama["mean"]
            rel = math.hypot(kvs["sd"] / kvs["mean"] if kvs["mean"] else 0.0, llama["sd"] / llama["mean"])
            ratio_sd = ratio * rel
        rows.append({"test": test, "llama.cpp": llama, "kvsqueeze": kvs, "ratio": ratio, "ratio_sd": ratio_sd})

    load = {
        "llama.cpp": {k: stats([p[k] for p in probe_raw]) for k in (
            "model_load_ms", "context_ms", "warmup_ms", "total_ms", "llama_t_load_ms")} if probe_raw else None,
        "kvsqueeze": {"load_ms": stats(kvs_load), **({"open_ms": stats(kvs_open)} if kvs_open else {})}
        if kvs_load else None,
    }
    if probe_raw:
        p0 = probe_raw[0]
        load["llama.cpp_probe"] = {k: p0[k] for k in ("ctx", "warmup_prompt_tokens", "warmup_decode_steps")}

    bandwidth = []
    bw_file = work / "membw.out"
    if bw_file.exists():
        bandwidth = [json.loads(line) for line in bw_file.read_text().splitlines() if line.strip()]

    tg_row = next(r for r in rows if r["test"] == f"tg{gen}")
    traffic = {}
    bytes_per_token = stats(kvs_bytes)["mean"] if kvs_bytes else None
    traffic["kvsqueeze_weight_bytes_per_token"] = bytes_per_token
    traffic["llama_bench_model_size_bytes"] = llama_model_size
    if kvs_eff:
        traffic["kvsqueeze_decode_effective_gb_per_s"] = stats(kvs_eff)
    if tg_row["llama.cpp"]:
        tg = tg_row["llama.cpp"]["mean"]
        if bytes_per_token:
            traffic["llama.cpp_decode_effective_gb_per_s"] = bytes_per_token * tg / 1e9
            traffic["llama.cpp_bytes_per_token_source"] = "kvsqueeze weight_bytes_per_token"
        elif llama_model_size:
            traffic["llama.cpp_decode_effective_gb_per_s"] = llama_model_size * tg / 1e9
            traffic["llama.cpp_bytes_per_token_source"] = "llama-bench model_size (all tensor bytes)"

    background = {k: ({"mean": sum(v) / len(v), "max": max(v)} if v else None) for k, v in bg.items()}
    background["disturbed_runs_repeated"] = reruns

    meta = json.loads((work / "meta.json").read_text())
    meta["llama_bench_build_commit"] = llama_build_commit
    return {
        "meta": meta,
        "rows": rows,
        "load": load,
        "bandwidth": bandwidth,
        "weight_traffic": traffic,
        "background_cores": background,
        "raw": {"llama_bench": llama_raw, "kvsqueeze": kvs_raw, "kvsqueeze_tg_other_prompts": kvs_extra_tg,
                "llama_load_probe": probe_raw},
    }


# ------------------------------------------------------------------------------------------ render


def fmt(s, digits=1):
    if not s:
        return "—"
    return f"{s['mean']:.{digits}f} ± {s['sd']:.{digits}f}"


def render_markdown(r):
    m = r["meta"]
    out = []
    model = Path(m["model"]).name
    out.append(f"### KVSqueeze vs llama.cpp: {model}, {m['threads']} threads")
    out.append("")
    out.append(f"Tokens per second, mean ± sd over {m['rounds']} interleaved rounds × {m['repetitions']} "
               f"repetitions (n = samples); ratio = kvsqueeze / llama.cpp.")
    out.append("")
    out.append("| test | llama.cpp t/s | n | kvsqueeze t/s | n | kvsqueeze / llama.cpp |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in r["rows"]:
        l, k = row["llama.cpp"], row["kvsqueeze"]
        ratio = f"{row['ratio']:.2f} ± {row['ratio_sd']:.2f}" if row["ratio"] is not None else "—"
        out.append(f"| {row['test']} | {fmt(l)} | {l['n'] if l else '—'} | {fmt(k)} | {k['n'] if k else '—'} "
                   f"| {ratio} |")
    out.append("")

    load = r["load"]
    probe = load.get("llama.cpp_probe") or {}
    out.append("| load | ms (mean ± sd) | n | includes |")
    out.append("| --- | ---: | ---: | --- |")
    if load.get("kvsqueeze"):
        s = load["kvsqueeze"]["load_ms"]
        out.append(f"| kvsqueeze load_ms | {fmt(s)} | {s['n']} | open + mmap GGUF, build tokenizer, then a "
                   f"16-token prompt + 16 greedy decode steps (the JIT compiles the kernels meanwhile); "
                   f"not JVM start-up |")
        if load["kvsqueeze"].get("open_ms"):
            s = load["kvsqueeze"]["open_ms"]
            out.append(f"| · open | {fmt(s)} | {s['n']} | open + mmap GGUF, metadata, tensor checks, "
                       f"tokenizer (the counterpart of llama.cpp's model load) |")
    else:
        out.append("| kvsqueeze load_ms | — | — | not measured |")
    if load.get("llama.cpp"):
        s = load["llama.cpp"]
        wp, wd = probe.get("warmup_prompt_tokens"), probe.get("warmup_decode_steps")
        out.append(f"| llama.cpp load + warm-up | {fmt(s['total_ms'])} | {s['total_ms']['n']} | sum of the "
                   f"three rows below: the like-for-like counterpart of load_ms |")
        out.append(f"| · model load | {fmt(s['model_load_ms'])} | {s['model_load_ms']['n']} | "
                   f"llama_model_load_from_file: open + mmap GGUF, metadata, vocab/tokenizer, tensors |")
        out.append(f"| · context | {fmt(s['context_ms'])} | {s['context_ms']['n']} | "
                   f"llama_init_from_model: KV cache ({probe.get('ctx')} cells, f16), compute buffers |")
        out.append(f"| · warm-up | {fmt(s['warmup_ms'])} | {s['warmup_ms']['n']} | "
                   f"{wp}-token prompt + {wd} greedy decode steps |")
        out.append(f"| llama.cpp's own load time | {fmt(s['llama_t_load_ms'])} | {s['llama_t_load_ms']['n']} | "
                   f"llama_perf t_load_ms: model load start → end of first decode |")
    out.append("")

    if r["bandwidth"]:
        out.append("| memory read bandwidth (membw, 1 GiB) | best GB/s | mean ± sd GB/s |")
        out.append("| --- | ---: | ---: |")
        for b in r["bandwidth"]:
            out.append(f"| {b['threads']} thread{'s' if b['threads'] != 1 else ''} | {b['best_gb_per_s']:.1f} "
                       f"| {b['mean_gb_per_s']:.1f} ± {b['sd_gb_per_s']:.1f} |")
        out.append("")

    t = r["weight_traffic"]
    best_t = next((b for b in r["bandwidth"] if b["threads"] == m["threads"]), None)
    lines = []
    if t.get("kvsqueeze_decode_effective_gb_per_s"):
        s = t["kvsqueeze_decode_effective_gb_per_s"]
        pct = f" ({s['mean'] / best_t['best_gb_per_s'] * 100:.0f}% of best {m['threads']}-thread bandwidth)" \
            if best_t else ""
        lines.append(f"kvsqueeze {s['mean']:.2f} GB/s{pct}")
    if t.get("llama.cpp_decode_effective_gb_per_s"):
        v = t["llama.cpp_decode_effective_gb_per_s"]
        pct = f" ({v / best_t['best_gb_per_s'] * 100:.0f}%)" if best_t else ""
        lines.append(f"llama.cpp {v:.2f} GB/s{pct}, bytes/token from {t['llama.cpp_bytes_per_token_source']}")
    if lines:
        bpt = t.get("kvsqueeze_weight_bytes_per_token") or t.get("llama_bench_model_size_bytes")
        out.append(f"Decode weight traffic (bytes/token × tg t/s; {bpt / 1e6:.1f} MB/token): " + "; ".join(lines)
                   + ".")
        out.append("")

    bg = {k: v for k, v in r["background_cores"].items() if isinstance(v, dict)}
    reruns = r["background_cores"]["disturbed_runs_repeated"]
    worst = max((v["max"] for v in bg.values()), default=0.0)
    out.append("| setting | value |")
    out.append("| --- | --- |")
    out.append(f"| date (UTC) | {m['date']} |")
    out.append(f"| CPU | {m['cpu']} ({m['cpus']} CPUs online) |")
    out.append(f"| kernel | {m['kernel']} |")
    out.append(f"| JDK | {m['jdk']} |")
    out.append(f"| kvsqueeze | {m['kvsqueeze_commit']} |")
    commit = m["llama_cpp_commit"]
    out.append(f"| llama.cpp | {commit} (llama-bench build {r['meta'].get('llama_bench_build_commit')}), "
               f"vendored in llama-cpp-python {m['llama_cpp_python']} sdist, sha256 {m['sdist_sha256'][:16]}… |")
    out.append(f"| llama.cpp build | cmake {m['cmake_flags']}; {m['compiler']} |")
    out.append(f"| model | {model}, {m['model_bytes']} bytes, sha256 {m['model_sha256'][:16]}… |")
    out.append(f"| threads / pinning | {m['threads']} / {m['pinning']} |")
    out.append(f"| lengths | prompt {', '.join(map(str, m['prompts']))} tokens; generate {m['gen']} tokens |")
    out.append(f"| background CPU during runs | " + ", ".join(
        f"{k} {v['mean']:.2f} avg / {v['max']:.2f} max cores" for k, v in bg.items())
        + f"; {reruns} disturbed run{'s' if reruns != 1 else ''} discarded and repeated |")
    out.append("")
    if worst > 0.25:
        out.append(f"> **Warning:** other processes used up to {worst:.2f} cores while these numbers were taken; "
                   f"rerun on an idle machine before publishing them.")
        out.append("")
    return "\n".join(out)


def cmd_meta(args):
    """key=value stores a string, key:=value a JSON value."""
    meta = {}
    for item in args.items:
        if ":=" in item and item.index(":=") + 1 == item.index("="):
            key, value = item.split(":=", 1)
            try:
                meta[key] = json.loads(value)
            except ValueError:
                raise HarnessError(f"meta: {key} is not JSON: {value!r}")
        elif "=" in item:
            key, value = item.split("=", 1)
            meta[key] = value
        else:
            raise HarnessError(f"meta: expected key=value, got {item!r}")
    Path(args.out).write_text(json.dumps(meta, indent=2) + "\n")
    return 0


def cmd_report(args):
    result = collect(args)
    text = json.dumps(result, indent=2)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n")
    print(text if args.json else render_markdown(result))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--prefix", required=True, help="writes PREFIX.out, PREFIX.err, PREFIX.meta.json")
    run.add_argument("--cwd", default=None)
    run.add_argument("--idle-threshold", type=float, default=0.2, help="cores other processes may use")
    run.add_argument("--idle-timeout", type=float, default=120.0, help="seconds to wait for idle; 0 = don't")
    run.add_argument("--max-background", type=float, default=0.25,
                     help="run again when other processes used more cores than this meanwhile")
    run.add_argument("--retries", type=int, default=3)
    run.add_argument("command", nargs=argparse.REMAINDER)
    rep = sub.add_parser("report")
    rep.add_argument("--work", required=True)
    rep.add_argument("--model", required=True)
    rep.add_argument("--threads", type=int, required=True)
    rep.add_argument("--prompts", required=True)
    rep.add_argument("--gen", type=int, required=True)
    rep.add_argument("--reps", type=int, required=True)
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--json-out", default=None)
    meta = sub.add_parser("meta")
    meta.add_argument("--out", required=True)
    meta.add_argument("items", nargs="*")
    args = parser.parse_args()
    try:
        return {"run": cmd_run, "report": cmd_report, "meta": cmd_meta}[args.cmd](args)
    except HarnessError as e:
        print(f"compare-llama-cpp: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

package io.kvsqueeze.cli;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.compress.PolicyKvCompression;
import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.generate.Sequence;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prefill and decode speed, measured like llama-bench: random prompt tokens, a warm-up run first, then
 * repetitions of a prompt of N tokens followed by M greedy decode steps that ignore end-of-generation.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = BenchServeCommand.class,
        description = "Measure prefill and decode tokens/s and the effective weight bandwidth.")
final class BenchCommand implements Callable<Integer> {
    private static final int WARM_UP_TOKENS = 16;
    private static final long WARM_UP_NANOS = 8_000_000_000L;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    KvPolicyOptions kvPolicy;

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "128",
            description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--gen-tokens", paramLabel = "M", defaultValue = "64",
            description = "decode steps after the prompt (default: ${DEFAULT-VALUE})")
    int genTokens;

    @Option(names = "--repetitions", paramLabel = "R", defaultValue = "3",
            description = "measured runs after the warm-up (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() {
        if (promptTokens < 1 || genTokens < 1 || repetitions < 1) {
            throw new IllegalArgumentException("--prompt-tokens, --gen-tokens and --repetitions must be at least 1");
        }
        KvPolicy policy = kvPolicy.policy();
        modelOptions.context = Math.max(modelOptions.context, promptTokens + genTokens);
        long loadStart = System.nanoTime();
        try (InferenceEngine engine = modelOptions.load()) {
            // With a policy, prefill includes observing attention, planning and evicting: its cost shows as
            // the difference from the full policy's prefill rate.
            Sequence sequence = engine.newSequence(policy);
            int vocab = engine.model().config().vocabSize();
            double openMillis = (System.nanoTime() - loadStart) / 1e6;
            int[] prompt = new SplittableRandom(42).ints(promptTokens, 0, vocab).toArray();
            // Load ends after the first answer of a small request, like llama.cpp's load probe (16 prompt
            // tokens + 16 decode steps): the JIT has compiled the kernels by then, at least at a first tier.
            run(sequence, Arrays.copyOf(prompt, Math.min(promptTokens, WARM_UP_TOKENS)), WARM_UP_TOKENS);
            double loadMillis = (System.nanoTime() - loadStart) / 1e6;
            // Unmeasured runs at the measured size (llama-bench does one) for at least WARM_UP_NANOS: C2 compiles
            // the kernels at their final tier only after several seconds on two busy cores (with two runs only,
            // the first four of twelve timed decode runs were a third slower than the rest), so the timed runs
            // see the final code.
            long warmUpStart = System.nanoTime();
            for (int warmUp = 0; warmUp < 2 || System.nanoTime() - warmUpStart < WARM_UP_NANOS; warmUp++) {
                run(sequence, prompt, genTokens);
            }

            List<double[]> runs = new ArrayList<>();
            for (int r = 0; r < repetitions; r++) {
                runs.add(run(sequence, prompt, genTokens));
            }
            double prefill = mean(runs, 0);
            double decode = mean(runs, 1);
            double bytesPerToken = engine.model().weightBytesPerToken();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("model", modelOptions.modelPath().toString());
            result.put("threads", engine.options().threads());
            result.put("prompt_tokens", promptTokens);
            result.put("gen_tokens", genTokens);
            result.put("repetitions", repetitions);
            result.put("kv_policy", kvPolicy.policy);
            result.put("kv_bytes", sequence.forwardPass().cache().bytes());
            result.put("kv_bytes_full", sequence.fullKvBytes());
            result.put("load_ms", round(loadMillis));
            result.put("open_ms", round(openMillis));
            result.put("prefill_tokens_per_s", round(prefill));
            result.put("prefill_tokens_per_s_sd", round(stddev(runs, 0, prefill)));
            result.put("decode_tokens_per_s", round(decode));
            result.put("decode_tokens_per_s_sd", round(stddev(runs, 1, decode)));
            // planning and evicting after each prefill, inside the prefill time above (observing is spread
            // through the prefill itself)
            result.put("compression_ms", round(mean(runs, 2)));
            result.put("compression_share_of_prefill", Math.round(mean(runs, 2) / mean(runs, 3) * 1e5) / 1e5);
            result.put("prefill_samples", runs.stream().map(r -> round(r[0])).toList());
            result.put("decode_samples", runs.stream().map(r -> round(r[1])).toList());
            result.put("weight_bytes_per_token", (long) bytesPerToken);
            result.put("decode_effective_gb_per_s", round(bytesPerToken * decode / 1e9));
            if (json) {
                System.out.println(JsonMapper.builder().build().writeValueAsString(result));
            } else {
                System.out.printf("model    %s (%d threads)%n", result.get("model"), engine.options().threads());
                System.out.printf("load     %.1f ms (open %.1f ms: mmap, tokenizer; then a %d + %d token warm-up)%n",
                        loadMillis, openMillis, WARM_UP_TOKENS, WARM_UP_TOKENS);
                System.out.printf("prefill  %.1f ± %.1f tokens/s (pp%d)%n", prefill, result.get("prefill_tokens_per_s_sd"), promptTokens);
                System.out.printf("decode   %.1f ± %.1f tokens/s (tg%d)%n", decode, result.get("decode_tokens_per_s_sd"), genTokens);
                System.out.printf("weights  %.1f MB per token -> %.2f GB/s effective%n", bytesPerToken / 1e6,
                        bytesPerToken * decode / 1e9);
            }
        }
        return 0;
    }

    /**
     * One prompt then {@code steps} greedy decode steps; returns {prefill tokens/s, decode tokens/s, compression
     * ms, prefill ms}.
     */
    private static double[] run(Sequence sequence, int[] prompt, int steps) {
        sequence.reset();
        long start = System.nanoTime();
        float[] logits = sequence.prefill(prompt);
        long prefillNanos = System.nanoTime() - start;
        int vocab = logits.length;
        start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            logits = sequence.append(VectorOps.argmax(logits, vocab));
        }
        long decodeNanos = System.nanoTime() - start;
        double compressionMillis = sequence.compression() instanceof PolicyKvCompression compression
                ? compression.lastCompressionNanos() / 1e6 : 0;
        return new double[] {prompt.length / (prefillNanos / 1e9), steps / (decodeNanos / 1e9), compressionMillis,
                prefillNanos / 1e6};
    }

    private static double mean(List<double[]> runs, int column) {
        return runs.stream().mapToDouble(r -> r[column]).average().orElse(0);
    }

    private static double stddev(List<double[]> runs, int column, double mean) {
        if (runs.size() < 2) {
            return 0;
        }
        double sum = runs.stream().mapToDouble(r -> (r[column] - mean) * (r[column] - mean)).sum();
        return Math.sqrt(sum / (runs.size() - 1));
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}

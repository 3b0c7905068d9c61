package io.kvsqueeze.cli;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.generate.GenerationRequest;
import io.kvsqueeze.engine.scheduler.Scheduler;
import io.kvsqueeze.engine.scheduler.SchedulerOptions;
import io.kvsqueeze.engine.scheduler.SchedulerStats;
import io.kvsqueeze.engine.scheduler.ServeRequest;
import io.kvsqueeze.engine.scheduler.ServeResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/**
 * Serving throughput: drives the {@link Scheduler} in-process with a fixed mixed workload and reports generated
 * tokens/s, time to first token and peak KV pool use. {@code --concurrency} clients each send their next
 * request when the last one ends (a closed loop), so the pool decides how many run at once.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Measure serving throughput under a KV pool: continuous batching of concurrent requests.")
final class BenchServeCommand implements Callable<Integer> {
    private static final long WARM_UP_NANOS = 8_000_000_000L;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    KvPolicyOptions kvPolicy;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "16",
            description = "requests measured (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "16",
            description = "clients sending requests at once (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--prompt-tokens", paramLabel = "P", defaultValue = "512",
            description = "longest prompt; the workload cycles through P, 7P/8, 3P/4 and 5P/8 (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--gen-tokens", paramLabel = "G", defaultValue = "128",
            description = "tokens generated per request, end-of-generation ignored (default: ${DEFAULT-VALUE})")
    int genTokens;

    @Option(names = "--kv-pool", paramLabel = "BYTES", defaultValue = "512MiB",
            description = "KV pool capacity shared by all sequences, e.g. 256MiB, 1GiB, 100000000 (default: ${DEFAULT-VALUE})")
    String kvPool;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || concurrency < 1 || promptTokens < 8 || genTokens < 1) {
            throw new IllegalArgumentException("--requests, --concurrency and --gen-tokens must be at least 1 and "
                    + "--prompt-tokens at least 8");
        }
        long poolBytes = ByteSizes.parse("--kv-pool", kvPool);
        KvPolicy policy = kvPolicy.policy();
        modelOptions.context = Math.max(modelOptions.context, promptTokens + genTokens);
        SchedulerOptions options = new SchedulerOptions(poolBytes, concurrency, Math.max(requests, 8),
                Duration.ofHours(1), SchedulerOptions.DEFAULT_PREFILL_TOKENS);
        try (InferenceEngine engine = modelOptions.load()) {
            int vocab = engine.model().config().vocabSize();
            // Unmeasured rounds of small requests first, batched as the measured ones will be, until C2 has had
            // time to compile the kernels at their final tier (with less, the first measured requests ran at
            // two thirds of the speed of the last). They run on a scheduler of their own, so the measured one
            // starts with an empty pool and fresh statistics.
            try (Scheduler warmUp = new Scheduler(engine, options)) {
                SplittableRandom random = new SplittableRandom(7);
                long warmUpStart = System.nanoTime();
                for (int round = 0; round < 2 || System.nanoTime() - warmUpStart < WARM_UP_NANOS; round++) {
                    drive(warmUp, policy, random, vocab, Math.min(concurrency, 8), Math.min(promptTokens, 64),
                            Math.min(genTokens, 32));
                }
            }
            try (Scheduler scheduler = new Scheduler(engine, options)) {
                long start = System.nanoTime();
                List<ServeResult> results = drive(scheduler, policy, new SplittableRandom(42), vocab, requests,
                        promptTokens, genTokens);
                double seconds = (System.nanoTime() - start) / 1e9;
                report(engine, policy, poolBytes, results, seconds, scheduler.stats());
            }
        }
        return 0;
    }

    /** Runs {@code count} requests from {@code concurrency} closed-loop clients and returns their results. */
    private List<ServeResult> drive(Scheduler scheduler, KvPolicy policy, SplittableRandom random, int vocab,
                                    int count, int longestPrompt, int generate) throws Exception {
        Semaphore clients = new Semaphore(concurrency);
        List<CompletableFuture<ServeResult>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int length = longestPrompt - (i % 4) * longestPrompt / 8;
            int[] prompt = random.ints(length, 0, vocab).toArray();
            clients.acquire();
            CompletableFuture<ServeResult> future = scheduler.submit(new ServeRequest(prompt, policy,
                    GenerationRequest.greedyFixedLength(generate), null));
            future.whenComplete((result, error) -> clients.release());
            futures.add(future);
        }
        List<ServeResult> results = new ArrayList<>();
        for (CompletableFuture<ServeResult> future : futures) {
            results.add(future.get());
        }
        return results;
    }

    private void report(InferenceEngine engine, KvPolicy policy, long poolBytes, List<ServeResult> results,
                        double seconds, SchedulerStats stats) throws Exception {
        long generated = results.stream().mapToLong(ServeResult::completionTokens).sum();
        long prompted = results.stream().mapToLong(ServeResult::promptTokens).sum();
        double[] ttft = results.stream().mapToDouble(r -> r.firstTokenNanos() / 1e6).sorted().toArray();
        double meanKvBytes = results.stream().mapToLong(ServeResult::kvBytes).average().orElse(0);
        double meanKvBytesFull = results.stream().mapToLong(ServeResult::kvBytesFull).average().orElse(0);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", modelOptions.modelPath().toString());
        out.put("threads", engine.options().threads());
        out.put("requests", requests);
        out.put("concurrency", concurrency);
        out.put("prompt_tokens", promptTokens);
        out.put("gen_tokens", genTokens);
        out.put("kv_policy", kvPolicy.policy);
        out.put("kv_budget", kvPolicy.budget);
        out.put("kv_pool_bytes", poolBytes);
        out.put("seconds", round(seconds));
        out.put("generated_tokens", generated);
        out.put("throughput_tokens_per_s", round(generated / seconds));
        out.put("prompt_tokens_per_s", round(prompted / seconds));
        out.put("ttft_ms_p50", round(percentile(ttft, 0.50)));
        out.put("ttft_ms_p99", round(percentile(ttft, 0.99)));
        out.put("kv_pool_peak_bytes", stats.kvPoolHighWaterBytes());
        out.put("peak_running", stats.peakRunning());
        out.put("kv_pool_peak_share", Math.round(1e4 * stats.kvPoolHighWaterBytes() / (double) poolBytes) / 1e4);
        out.put("kv_bytes_per_request_mean", Math.round(meanKvBytes));
        out.put("kv_bytes_full_per_request_mean", Math.round(meanKvBytesFull));
        if (json) {
            System.out.println(JsonMapper.builder().build().writeValueAsString(out));
            return;
        }
        System.out.printf("model       %s (%d threads), policy %s%n", out.get("model"), engine.options().threads(),
                policy.isFull() ? "full" : kvPolicy.policy + (kvPolicy.budget == null ? "" : " @ " + kvPolicy.budget));
        System.out.printf("workload    %d requests, %d clients, prompts of %d..%d tokens, %d generated each%n",
                requests, concurrency, promptTokens - 3 * promptTokens / 8, promptTokens, genTokens);
        System.out.printf("throughput  %.1f generated tokens/s (%d in %.1f s; prompts %.1f tokens/s)%n",
                generated / seconds, generated, seconds, prompted / seconds);
        System.out.printf("ttft        p50 %.0f ms, p99 %.0f ms%n", out.get("ttft_ms_p50"), out.get("ttft_ms_p99"));
        System.out.printf("kv pool     peak %.1f MiB of %.1f MiB; a request holds %.1f MiB at its end (%.1f MiB uncompressed)%n",
                stats.kvPoolHighWaterBytes() / 1048576.0, poolBytes / 1048576.0, meanKvBytes / 1048576.0,
                meanKvBytesFull / 1048576.0);
        System.out.printf("running     at most %d sequences at once%n", stats.peakRunning());
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}

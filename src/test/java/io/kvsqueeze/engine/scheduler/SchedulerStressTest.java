package io.kvsqueeze.engine.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.engine.EngineOptions;
import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.generate.GenerationRequest;
import io.kvsqueeze.engine.model.TinyModel;
import io.kvsqueeze.engine.sampling.SamplingOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random arrivals, policies, lengths, sampling and cancellations on tiny pools (24 pages hold one request of the
 * largest kind): every request ends (no deadlock), none fails for want of pages (admission's reservations hold),
 * and the pool comes back empty.
 */
class SchedulerStressTest {
    private static final String[] POLICIES = {"full", "{\"preset\":\"snapkv\",\"budget\":{\"tokens\":40}}",
            "{\"preset\":\"ada-snapkv\",\"budget\":{\"ratio\":0.25}}", "{\"preset\":\"squeeze-ada-snapkv\",\"budget\":{\"ratio\":0.3}}",
            "{\"preset\":\"h2o\",\"budget\":{\"tokens\":44},\"decodeEviction\":true}", "streaming-llm"};

    @TempDir
    Path dir;

    @ParameterizedTest(name = "pool of {0} pages")
    @ValueSource(ints = {24, 40, 96})
    void neverOverflowsNeverDeadlocksAndReturnsEveryPage(int poolPages) throws Exception {
        Path model = new TinyModel().write(dir.resolve("tiny.gguf"));
        int pageBytes = 16 * TinyModel.HEAD_DIM * 2 * 2;
        Random random = new Random(poolPages);
        try (InferenceEngine engine = InferenceEngine.load(model, new EngineOptions(2, 128, 8));
             Scheduler scheduler = new Scheduler(engine, new SchedulerOptions((long) poolPages * pageBytes, 5, 40,
                     Duration.ofSeconds(30), 8))) {
            List<CompletableFuture<ServeResult>> futures = new ArrayList<>();
            java.util.Map<String, int[]> lastPrompt = new java.util.HashMap<>();
            java.util.Map<String, String> lastPolicy = new java.util.HashMap<>();
            java.util.Map<String, CompletableFuture<ServeResult>> lastRequest = new java.util.HashMap<>();
            int rejectedAtOnce = 0;
            for (int i = 0; i < 120; i++) {
                // Most requests carry one of four reuse keys, and half of those continue their key's last prompt.
                String key = random.nextInt(3) == 0 ? null : "k" + random.nextInt(4);
                int[] previous = key == null ? null : lastPrompt.get(key);
                int[] prompt;
                String policy = POLICIES[random.nextInt(POLICIES.length)];
                if (previous != null && previous.length < 70 && random.nextBoolean()) {
                    policy = lastPolicy.get(key); // a conversation keeps its policy
                    prompt = java.util.Arrays.copyOf(previous, previous.length + 1 + random.nextInt(20));
                    // A conversation's next turn follows its last one (whatever became of it).
                    CompletableFuture<ServeResult> last = lastRequest.get(key);
                    if (last != null) {
                        last.handle((result, error) -> null).get(120, TimeUnit.SECONDS);
                    }
                } else {
                    prompt = new int[1 + random.nextInt(60)];
                }
                for (int t = previous == null || prompt.length <= previous.length ? 0 : previous.length;
                     t < prompt.length; t++) {
                    prompt[t] = random.nextInt(256); // byte tokens: never end-of-generation
                }
                if (key != null) {
                    lastPrompt.put(key, prompt);
                    lastPolicy.put(key, policy);
                }
                SamplingOptions sampling = random.nextBoolean() ? SamplingOptions.greedy()
                        : new SamplingOptions(0.9f, 20, 0.9f, 0f, 1.1f, 64, random.nextLong());
                GenerationRequest generation = new GenerationRequest(1 + random.nextInt(30), sampling, List.of());
                try {
                    CompletableFuture<ServeResult> future = scheduler.submit(new ServeRequest(prompt,
                            KvPolicy.parse(policy), generation, null, key));
                    futures.add(future);
                    if (key != null) {
                        lastRequest.put(key, future);
                    }
                    Thread.sleep(random.nextInt(8));
                    if (random.nextInt(5) == 0) {
                        Thread.sleep(random.nextInt(3));
                        future.cancel(true);
                    }
                } catch (AdmissionRejectedException e) {
                    assertThat(e.reason()).isIn(AdmissionRejectedException.Reason.QUEUE_FULL,
                            AdmissionRejectedException.Reason.EXCEEDS_POOL);
                    rejectedAtOnce++;
                    Thread.sleep(random.nextInt(5));
                }
                assertThat(scheduler.stats().kvPoolUsedBytes()).isLessThanOrEqualTo(scheduler.stats().kvPoolCapacityBytes());
            }
            int finished = 0;
            int reused = 0;
            for (CompletableFuture<ServeResult> future : futures) {
                try {
                    ServeResult result = future.get(120, TimeUnit.SECONDS);
                    assertThat(result.finishReason()).isNotNull();
                    assertThat(result.reusedTokens()).isBetween(0, result.promptTokens() - 1);
                    finished++;
                    reused += result.reusedTokens() > 0 ? 1 : 0;
                } catch (CancellationException cancelled) {
                    // ours
                } catch (TimeoutException e) {
                    throw new AssertionError("a request never ended: the scheduler is stuck", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).as("only a queue timeout may end a request otherwise")
                            .isInstanceOf(AdmissionRejectedException.class);
                }
            }
            SchedulerTest.awaitIdle(scheduler);
            SchedulerStats stats = scheduler.stats();
            assertThat(finished).as("requests that ran to their end").isGreaterThan(30);
            assertThat(reused).as("requests that continued a parked sequence").isPositive();
            // Only parked sequences hold pages now, each reserving exactly what it holds.
            assertThat(stats.parked()).isBetween(0, 4);
            assertThat(stats.kvPoolUsedBytes()).isEqualTo(stats.kvParkedBytes());
            assertThat(stats.kvReservedBytes()).isEqualTo(stats.kvParkedBytes());
            assertThat(stats.kvPoolHighWaterBytes()).isLessThanOrEqualTo(stats.kvPoolCapacityBytes());
            assertThat(stats.completed() + stats.failed() + stats.rejected()).isEqualTo(120);
            assertThat(stats.rejected()).isGreaterThanOrEqualTo(rejectedAtOnce);
            scheduler.close();
            assertThat(scheduler.stats().kvPoolUsedBytes()).as("every page back after close").isZero();
            assertThat(scheduler.stats().kvReservedBytes()).isZero();
        }
    }
}

package io.kvsqueeze.engine.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.engine.EngineOptions;
import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.ReferenceModel;
import io.kvsqueeze.engine.chat.ChatMessage;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.generate.GenerationRequest;
import io.kvsqueeze.engine.generate.GenerationResult;
import io.kvsqueeze.engine.generate.Generator;
import io.kvsqueeze.engine.generate.Sequence;
import io.kvsqueeze.engine.sampling.SamplingOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The scheduler on the reference model: batched equals one at a time, and the pool always comes back. */
class SchedulerTest {
    private static final String[] POLICIES = {"full", "{\"preset\":\"snapkv\",\"budget\":{\"tokens\":48}}",
            "{\"preset\":\"ada-snapkv\",\"budget\":{\"ratio\":0.3}}", "squeeze-ada-snapkv",
            "{\"preset\":\"h2o\",\"budget\":{\"tokens\":40},\"decodeEviction\":true}", "pyramidkv"};

    private static InferenceEngine engine;

    @BeforeAll
    static void load() {
        engine = InferenceEngine.load(ReferenceModel.pathOrSkip(), new EngineOptions(2, 512, 32));
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    /** Prompts of about 30 to 250 tokens. */
    private static int[] prompt(int i) {
        String filler = "The lighthouse keeper wrote down the weather every hour. ".repeat(i * 4);
        String text = filler + "Question " + i + ": name three colours of the sea and say why in one sentence.";
        return engine.tokenizer().encode(engine.chatTemplate().render(List.of(ChatMessage.user(text)), true), true, true);
    }

    private static GenerationRequest greedy(int maxTokens) {
        return GenerationRequest.greedy(maxTokens);
    }

    @Test
    void batchedOutputsEqualTheSameRequestsRunOneAtATime() throws Exception {
        int requests = 8;
        List<int[]> expected = new ArrayList<>();
        Generator generator = new Generator(engine);
        for (int i = 0; i < requests; i++) {
            Sequence alone = engine.newSequence(KvPolicy.parse(POLICIES[i % POLICIES.length]));
            GenerationResult result = generator.generate(alone, prompt(i), greedy(12 + 3 * i), text -> { });
            expected.add(result.tokenIds());
        }
        try (Scheduler scheduler = new Scheduler(engine, SchedulerOptions.defaults().withKvPoolBytes(64L << 20))) {
            List<CompletableFuture<ServeResult>> futures = new ArrayList<>();
            List<StringBuilder> streamed = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                StringBuilder text = new StringBuilder();
                streamed.add(text);
                futures.add(scheduler.submit(new ServeRequest(prompt(i), KvPolicy.parse(POLICIES[i % POLICIES.length]),
                        greedy(12 + 3 * i), text::append)));
            }
            for (int i = 0; i < requests; i++) {
                ServeResult result = futures.get(i).get(120, TimeUnit.SECONDS);
                assertThat(result.tokenIds()).as("request %d (%s)", i, POLICIES[i % POLICIES.length])
                        .containsExactly(expected.get(i));
                assertThat(result.text()).isEqualTo(streamed.get(i).toString());
                assertThat(result.promptTokens()).isEqualTo(prompt(i).length);
                assertThat(result.kvBytes()).isPositive().isLessThanOrEqualTo(result.kvBytesFull());
                assertThat(result.firstTokenNanos()).isPositive().isLessThanOrEqualTo(result.totalNanos());
            }
            SchedulerStats stats = scheduler.stats();
            assertThat(stats.kvPoolUsedBytes()).isZero();
            assertThat(stats.kvReservedBytes()).isZero();
            assertThat(stats.completed()).isEqualTo(requests);
            assertThat(stats.kvPoolHighWaterBytes()).isPositive().isLessThanOrEqualTo(stats.kvPoolCapacityBytes());
        }
    }

    /**
     * A conversation's next turn under the same reuse key computes only its new tokens, and answers exactly as a
     * fresh sequence would; another key never reuses it; the parked pages come back at close.
     */
    @Test
    void aNextTurnReusesItsKeysParkedSequenceAndAnswersTheSame() throws Exception {
        int[] first = prompt(2);
        int[] expectedNext;
        ServeResult fresh;
        try (Scheduler scheduler = new Scheduler(engine, SchedulerOptions.defaults().withKvPoolBytes(64L << 20))) {
            ServeResult turn = scheduler.submit(new ServeRequest(first, KvPolicy.parse("full"), greedy(8), null,
                    "tenant:a")).get(60, TimeUnit.SECONDS);
            assertThat(turn.reusedTokens()).isZero();
            awaitIdle(scheduler);
            assertThat(scheduler.stats().parked()).isEqualTo(1);
            assertThat(scheduler.stats().kvParkedBytes()).isPositive().isEqualTo(scheduler.stats().kvPoolUsedBytes());

            // The next turn: the first prompt, the reply, and a follow-up question.
            int[] followUp = engine.tokenizer().encode(" And which colour is the rarest?", false, false);
            expectedNext = concat(first, turn.tokenIds(), followUp);
            ServeResult other = scheduler.submit(new ServeRequest(expectedNext, KvPolicy.parse("full"), greedy(8), null,
                    "tenant:b")).get(60, TimeUnit.SECONDS);
            assertThat(other.reusedTokens()).as("another key").isZero();
            ServeResult next = scheduler.submit(new ServeRequest(expectedNext, KvPolicy.parse("full"), greedy(8), null,
                    "tenant:a")).get(60, TimeUnit.SECONDS);
            // Every token the first turn fed (its prompt and all but its last generated token) is reused.
            assertThat(next.reusedTokens()).isEqualTo(first.length + turn.tokenIds().length - 1);
            fresh = other;
            assertThat(next.tokenIds()).containsExactly(fresh.tokenIds());
            awaitIdle(scheduler);
            assertThat(scheduler.stats().parked()).isEqualTo(2);
            scheduler.close();
            assertThat(scheduler.stats().kvPoolUsedBytes()).isZero();
            assertThat(scheduler.stats().kvReservedBytes()).isZero();
            assertThat(scheduler.stats().parked()).isZero();
        }
    }

    /** Parked sequences are a cache: a request that needs their room takes it instead of waiting. */
    @Test
    void waitingRequestsTakeTheRoomOfParkedSequences() throws Exception {
        int[] prompt = prompt(6);
        long pageBytes = new io.kvsqueeze.engine.kv.KvPagePool(io.kvsqueeze.engine.kv.KvElementType.F16,
                engine.model().config().headDim(), io.kvsqueeze.engine.kv.PagedKvCache.DEFAULT_PAGE_SIZE, 1 << 20)
                .pageBytes();
        int heads = engine.model().config().layers() * engine.model().config().kvHeads();
        int pageSize = io.kvsqueeze.engine.kv.PagedKvCache.DEFAULT_PAGE_SIZE;
        // Room for one such request and not two: the second key's request fits only once the first is dropped.
        long onePages = (long) heads * ((prompt.length + 16 + pageSize - 1) / pageSize);
        SchedulerOptions options = SchedulerOptions.defaults().withKvPoolBytes((onePages * 3 / 2) * pageBytes)
                .withQueueTimeout(Duration.ofSeconds(30));
        try (Scheduler scheduler = new Scheduler(engine, options)) {
            scheduler.submit(new ServeRequest(prompt, KvPolicy.parse("full"), greedy(16), null, "tenant:a"))
                    .get(60, TimeUnit.SECONDS);
            awaitIdle(scheduler);
            assertThat(scheduler.stats().parked()).isEqualTo(1);
            ServeResult second = scheduler.submit(new ServeRequest(prompt, KvPolicy.parse("full"), greedy(16), null,
                    "tenant:b")).get(60, TimeUnit.SECONDS);
            assertThat(second.reusedTokens()).isZero();
            awaitIdle(scheduler);
            assertThat(scheduler.stats().parked()).as("a's sequence gave way to b's").isEqualTo(1);
            assertThat(scheduler.stats().kvPoolHighWaterBytes()).isLessThanOrEqualTo(scheduler.stats().kvPoolCapacityBytes());
            // A changed policy cannot reuse a sequence compressed (or not) by another.
            ServeResult compressed = scheduler.submit(new ServeRequest(prompt, KvPolicy.parse("snapkv"), greedy(4),
                    null, "tenant:b")).get(60, TimeUnit.SECONDS);
            assertThat(compressed.reusedTokens()).isZero();
        }
    }

    private static int[] concat(int[]... parts) {
        int length = 0;
        for (int[] part : parts) {
            length += part.length;
        }
        int[] all = new int[length];
        int at = 0;
        for (int[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    @Test
    void cancelledAndFailedRequestsReturnTheirPages() throws Exception {
        try (Scheduler scheduler = new Scheduler(engine, SchedulerOptions.defaults().withKvPoolBytes(32L << 20))) {
            CountDownLatch streaming = new CountDownLatch(1);
            CompletableFuture<ServeResult> cancelled = scheduler.submit(new ServeRequest(prompt(3), KvPolicy.parse("full"),
                    greedy(400), text -> streaming.countDown()));
            CompletableFuture<ServeResult> failing = scheduler.submit(new ServeRequest(prompt(2),
                    KvPolicy.parse("snapkv"), greedy(400), text -> {
                        throw new IllegalStateException("the client went away");
                    }));
            assertThat(streaming.await(60, TimeUnit.SECONDS)).isTrue();
            cancelled.cancel(true);
            assertThatThrownBy(() -> failing.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasRootCauseMessage("the client went away");
            assertThatThrownBy(cancelled::join).isInstanceOf(CancellationException.class);
            awaitIdle(scheduler);
            assertThat(scheduler.stats().kvPoolUsedBytes()).isZero();
            assertThat(scheduler.stats().kvReservedBytes()).isZero();
            assertThat(scheduler.stats().failed()).isEqualTo(2);
        }
    }

    @Test
    void rejectsWhatCanNeverFitAndAFullQueueAtOnce() {
        SchedulerOptions tiny = SchedulerOptions.defaults().withKvPoolBytes(10L << 20).withMaxRunning(1).withMaxQueued(1);
        try (Scheduler scheduler = new Scheduler(engine, tiny)) {
            assertThatThrownBy(() -> scheduler.submit(new ServeRequest(prompt(9), KvPolicy.parse("full"), greedy(200),
                    null))).isInstanceOfSatisfying(AdmissionRejectedException.class,
                    e -> assertThat(e.reason()).isEqualTo(AdmissionRejectedException.Reason.EXCEEDS_POOL));
            AtomicBoolean release = new AtomicBoolean();
            CompletableFuture<ServeResult> running = scheduler.submit(new ServeRequest(prompt(0), KvPolicy.parse("full"),
                    greedy(300), text -> {
                        while (!release.get()) {
                            Thread.onSpinWait();
                        }
                    }));
            CompletableFuture<ServeResult> queued = null;
            try {
                awaitRunning(scheduler);
                queued = scheduler.submit(new ServeRequest(prompt(0), KvPolicy.parse("full"), greedy(4), null));
                assertThatThrownBy(() -> scheduler.submit(new ServeRequest(prompt(0), KvPolicy.parse("full"), greedy(4),
                        null))).isInstanceOfSatisfying(AdmissionRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(AdmissionRejectedException.Reason.QUEUE_FULL));
            } finally {
                release.set(true);
            }
            running.cancel(true);
            assertThat(queued.join().tokenIds()).hasSize(4);
            assertThat(scheduler.stats().rejected()).isEqualTo(2);
            assertThat(scheduler.stats().rejectedByReason()).containsEntry(AdmissionRejectedException.Reason.EXCEEDS_POOL, 1L)
                    .containsEntry(AdmissionRejectedException.Reason.QUEUE_FULL, 1L);
        }
    }

    /** The running request's client callback blocks the scheduler thread; the timeout must fire regardless. */
    @Test
    void aRequestThatWaitsPastTheTimeoutIsRejected() {
        SchedulerOptions options = SchedulerOptions.defaults().withKvPoolBytes(10L << 20).withMaxRunning(1)
                .withQueueTimeout(Duration.ofMillis(200));
        try (Scheduler scheduler = new Scheduler(engine, options)) {
            AtomicBoolean release = new AtomicBoolean();
            CompletableFuture<ServeResult> running = scheduler.submit(new ServeRequest(prompt(0), KvPolicy.parse("full"),
                    greedy(300), text -> {
                        while (!release.get()) {
                            Thread.onSpinWait();
                        }
                    }));
            awaitRunning(scheduler);
            CompletableFuture<ServeResult> waiting = scheduler.submit(new ServeRequest(prompt(0), KvPolicy.parse("full"),
                    greedy(4), null));
            assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(AdmissionRejectedException.class)
                    .cause().extracting(e -> ((AdmissionRejectedException) e).reason())
                    .isEqualTo(AdmissionRejectedException.Reason.QUEUE_TIMEOUT);
            assertThat(scheduler.stats().rejectedByReason()).containsEntry(AdmissionRejectedException.Reason.QUEUE_TIMEOUT, 1L);
            assertThat(scheduler.stats().queued()).isZero();
            release.set(true);
            running.cancel(true);
        }
    }

    @Test
    void aClosedSchedulerRejectsNewRequests() {
        Scheduler scheduler = new Scheduler(engine, SchedulerOptions.defaults().withKvPoolBytes(10L << 20));
        assertThat(scheduler.isClosed()).isFalse();
        scheduler.close();
        assertThat(scheduler.isClosed()).isTrue();
        assertThatThrownBy(() -> scheduler.submit(new ServeRequest(prompt(0), KvPolicy.parse("full"), greedy(4), null)))
                .isInstanceOfSatisfying(AdmissionRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(AdmissionRejectedException.Reason.SHUT_DOWN));
    }

    @Test
    void optionsRefuseAnEmptyQueueAndAZeroTimeout() {
        assertThatThrownBy(() -> SchedulerOptions.defaults().withMaxQueued(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxQueued (0)");
        assertThatThrownBy(() -> SchedulerOptions.defaults().withQueueTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("queueTimeout must be positive");
    }

    private static void awaitRunning(Scheduler scheduler) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (scheduler.stats().running() == 0 || scheduler.stats().kvPoolUsedBytes() == 0) {
            assertThat(System.nanoTime()).as("the request starts").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    static void awaitIdle(Scheduler scheduler) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (scheduler.stats().running() > 0 || scheduler.stats().queued() > 0) {
            assertThat(System.nanoTime()).as("the scheduler drains").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}

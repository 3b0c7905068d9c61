package io.kvsqueeze.engine.scheduler;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.generate.GenerationState;
import io.kvsqueeze.engine.generate.Sequence;
import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.kv.KvElementType;
import io.kvsqueeze.engine.kv.KvPagePool;
import io.kvsqueeze.engine.kv.PagedKvCache;
import io.kvsqueeze.engine.model.LlamaConfig;
import io.kvsqueeze.engine.model.Transformer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous (iteration-level) batching of many requests on one engine, under one KV pool.
 *
 * <p>One thread runs steps. A step is one batch through the {@link Transformer}: one token of every decoding
 * sequence plus up to {@code prefillTokens} prompt tokens of the sequences being prefilled, so every matrix is
 * read once for all of them and a long prompt advances chunk by chunk without stalling the decodes. Requests
 * join and leave at step boundaries. Each has its own {@link io.kvsqueeze.engine.compress.KvPolicy} and
 * sampling options, and its own paged cache whose pages come from the shared {@link KvPagePool}.
 *
 * <p>Admission reserves, per request, the most pages its sequence can ever hold, so running sequences never
 * make the pool overflow and nothing needs preempting. Until its prompt has been compressed a sequence needs
 * the whole prompt in the cache (scoring reads it all), so the reservation is the uncompressed prompt plus the
 * new tokens; once compressed it shrinks to the exact bound, {@code Σ_heads pages(length + tokens still
 * allowed)}, which is what lets a compressed workload run more sequences at once. Requests that do not fit
 * wait in a bounded FIFO queue; a full queue rejects at once, and a request that waits longer than the queue
 * timeout is rejected, both with an {@link AdmissionRejectedException} naming the reason. Timeouts fire on a
 * timer thread of their own, so a step that takes long (a slow client callback, a long prompt chunk) does not
 * keep a waiting request past its timeout.
 *
 * <p>{@link #submit} returns a future; cancelling it stops the request at the next step and returns its pages
 * to the pool. A request ends with a {@link ServeResult} carrying its accounting.
 *
 * <p>A request with a {@link ServeRequest#reuseKey} leaves its finished sequence parked, pages and all, when the
 * sequence still holds every entry (nothing was compressed away): the next request of that key starts from the
 * longest prefix they share, so a conversation's next turn computes only its new tokens. Parked sequences are a
 * cache, not a claim: admission drops them, least recently used first, whenever a waiting request needs their
 * room, and at most {@code maxRunning} are kept.
 */
public final class Scheduler implements AutoCloseable {
    private final InferenceEngine engine;
    private final SchedulerOptions options;
    private final KvPagePool pool;
    private final Transformer transformer;
    private final int heads;          // layers x KV heads: each holds its own pages
    private final int pageSize;
    private final int contextLength;
    private final long fullBytesPerToken;
    private final Thread thread;
    private final ScheduledThreadPoolExecutor timer;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Active> waiting = new ArrayDeque<>();  // guarded by lock
    private final List<Active> running = new ArrayList<>();        // scheduler thread only
    private final List<Active> batch = new ArrayList<>();          // scheduler thread only
    // Finished sequences kept for their reuse key, least recently used first; scheduler thread, under the lock.
    private final LinkedHashMap<String, Parked> parked = new LinkedHashMap<>(16, 0.75f, true);
    private volatile long parkedPages;
    private volatile boolean closed;
    // Written by the scheduler thread (or under the lock), read by stats().
    private volatile long reservedPages;
    private volatile int runningCount;
    private volatile int peakRunning;
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<AdmissionRejectedException.Reason, AtomicLong> rejected =
            new EnumMap<>(AdmissionRejectedException.Reason.class);

    public Scheduler(InferenceEngine engine, SchedulerOptions options) {
        this.engine = engine;
        this.options = options;
        LlamaConfig config = engine.model().config();
        this.pool = new KvPagePool(KvElementType.F16, config.headDim(), PagedKvCache.DEFAULT_PAGE_SIZE,
                options.kvPoolBytes());
        this.transformer = engine.newTransformer(options.maxRunning() + options.prefillTokens());
        this.heads = config.layers() * config.kvHeads();
        this.pageSize = pool.pageSize();
        this.contextLength = engine.options().contextLength();
        this.fullBytesPerToken = (long) heads * config.headDim() * 2L * KvElementType.F16.bytes();
        for (AdmissionRejectedException.Reason reason : AdmissionRejectedException.Reason.values()) {
            rejected.put(reason, new AtomicLong());
        }
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread timerThread = new Thread(runnable, "kvsqueeze-scheduler-timeouts");
            timerThread.setDaemon(true);
            return timerThread;
        });
        this.timer.setRemoveOnCancelPolicy(true); // an admitted request's timeout goes at once, not after it
        this.thread = new Thread(this::loop, "kvsqueeze-scheduler");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public InferenceEngine engine() {
        return engine;
    }

    public SchedulerOptions options() {
        return options;
    }

    /** Bytes one token takes in an uncompressed cache of this scheduler's pool: keys and values of every head. */
    public long fullBytesPerToken() {
        return fullBytesPerToken;
    }

    /**
     * Queues a request. The future completes with its result, or exceptionally with an {@link
     * AdmissionRejectedException} (it timed out in the queue, or the scheduler closed) or the failure that
     * ended it; cancelling the future cancels the request.
     *
     * @throws AdmissionRejectedException at once when the queue is full, the request could never fit the pool,
     *                                    or the scheduler is closed
     */
    public CompletableFuture<ServeResult> submit(ServeRequest request) {
        if (request.promptIds().length >= contextLength) {
            throw new IllegalArgumentException("the prompt has " + request.promptIds().length
                    + " tokens but the context holds " + contextLength + " (prompt and reply together)");
        }
        long pages = projectedPages(request);
        if (pages > pool.capacityBytes() / pool.pageBytes()) {
            throw reject(AdmissionRejectedException.Reason.EXCEEDS_POOL,
                    "the request needs up to " + pages * pool.pageBytes() + " bytes of KV cache (a prompt of "
                            + request.promptIds().length + " tokens and up to " + request.generation().maxTokens()
                            + " new ones) but the whole KV pool holds " + pool.capacityBytes());
        }
        Active active = new Active(request, pages);
        lock.lock();
        try {
            if (closed) {
                throw reject(AdmissionRejectedException.Reason.SHUT_DOWN, "the scheduler is shut down");
            }
            if (waiting.size() >= options.maxQueued()) {
                throw reject(AdmissionRejectedException.Reason.QUEUE_FULL,
                        "the queue of " + options.maxQueued() + " waiting requests is full; retry later");
            }
            waiting.addLast(active);
            active.timeout = timer.schedule(() -> expire(active), options.queueTimeout().toNanos(),
                    TimeUnit.NANOSECONDS);
            work.signal();
        } finally {
            lock.unlock();
        }
        active.future.whenComplete((result, error) -> wake()); // a cancelled request frees its pages soon
        return active.future;
    }

    /** Rejects a request that still waits when its queue timeout fires (on the timer thread). */
    private void expire(Active active) {
        lock.lock();
        try {
            if (!waiting.remove(active)) {
                return; // admitted meanwhile
            }
            if (active.future.isDone()) {
                failed.incrementAndGet(); // cancelled while waiting
                return;
            }
            active.future.completeExceptionally(reject(AdmissionRejectedException.Reason.QUEUE_TIMEOUT,
                    "no room in the KV pool for " + options.queueTimeout().toMillis()
                            + " ms; retry later or ask for fewer tokens"));
        } finally {
            lock.unlock();
        }
    }

    private AdmissionRejectedException reject(AdmissionRejectedException.Reason reason, String message) {
        rejected.get(reason).incrementAndGet();
        return new AdmissionRejectedException(reason, message);
    }

    /** Pages a request may hold before its prompt is compressed: the uncompressed prompt and every new token. */
    private long projectedPages(ServeRequest request) {
        int entries = Math.min(request.promptIds().length + request.generation().maxTokens(), contextLength);
        return (long) heads * pagesFor(entries);
    }

    private int pagesFor(int entries) {
        return (entries + pageSize - 1) / pageSize;
    }

    public SchedulerStats stats() {
        Map<AdmissionRejectedException.Reason, Long> rejections = new EnumMap<>(AdmissionRejectedException.Reason.class);
        rejected.forEach((reason, count) -> rejections.put(reason, count.get()));
        int queued;
        int parkedCount;
        lock.lock();
        try {
            queued = waiting.size();
            parkedCount = parked.size();
        } finally {
            lock.unlock();
        }
        return new SchedulerStats(pool.capacityBytes(), pool.usedBytes(), pool.highWaterBytes(),
                reservedPages * pool.pageBytes(), parkedPages * pool.pageBytes(), parkedCount, runningCount, queued,
                completed.get(), failed.get(), Map.copyOf(rejections), peakRunning);
    }

    /** True once {@link #close()} was called: every later submission is rejected. */
    public boolean isClosed() {
        return closed;
    }

    private void wake() {
        lock.lock();
        try {
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    // ---- the scheduler thread ----

    private void loop() {
        while (true) {
            if (!admit()) {
                break;
            }
            dropCancelled();
            if (running.isEmpty()) {
                continue;
            }
            step();
        }
        for (Active active : running) {
            end(active, new AdmissionRejectedException(AdmissionRejectedException.Reason.SHUT_DOWN,
                    "the scheduler was shut down while the request ran"));
        }
        running.clear();
        runningCount = 0;
        lock.lock();
        try {
            while (!parked.isEmpty()) {
                dropParked(parked.keySet().iterator().next());
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves waiting requests into the running set, in arrival order, while their reservations fit; rejects the
     * ones that waited too long. Waits when there is nothing to run. Returns false once closed.
     */
    private boolean admit() {
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    for (Active active : waiting) {
                        active.timeout.cancel(false);
                        active.future.completeExceptionally(reject(AdmissionRejectedException.Reason.SHUT_DOWN,
                                "the scheduler was shut down"));
                    }
                    waiting.clear();
                    return false;
                }
                long now = System.nanoTime();
                for (Iterator<Active> it = waiting.iterator(); it.hasNext(); ) {
                    Active active = it.next();
                    if (active.future.isDone()) { // cancelled while waiting
                        it.remove();
                        active.timeout.cancel(false);
                        failed.incrementAndGet();
                    }
                }
                long capacityPages = pool.capacityBytes() / pool.pageBytes();
                while (!waiting.isEmpty() && running.size() < options.maxRunning()) {
                    Active active = waiting.peekFirst();
                    String key = active.request.reuseKey();
                    Parked own = key == null ? null : parked.get(key);
                    if (own != null && !own.policy().equals(active.request.policy())) {
                        dropParked(key); // a sequence is compressed by one policy for its life
                        own = null;
                    }
                    long ownPages = own == null ? 0 : own.pages();
                    // Until its prompt has started, the reused sequence still holds all its old pages.
                    long need = Math.max(active.reservedPages, ownPages);
                    while (reservedPages - ownPages + need > capacityPages && dropLeastRecentlyUsedExcept(key)) {
                        // parked sequences give their room to waiting requests
                    }
                    if (reservedPages - ownPages + need > capacityPages) {
                        break;
                    }
                    waiting.pollFirst();
                    active.timeout.cancel(false);
                    if (own != null) {
                        parked.remove(key);
                        parkedPages -= ownPages;
                        reservedPages -= ownPages;
                        active.sequence = own.sequence();
                    }
                    active.reservedPages = need;
                    reservedPages += active.reservedPages;
                    active.admitted = now;
                    running.add(active);
                }
                runningCount = running.size();
                peakRunning = Math.max(peakRunning, runningCount);
                if (!running.isEmpty()) {
                    return true;
                }
                try {
                    work.await();
                } catch (InterruptedException e) {
                    closed = true;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void dropCancelled() {
        for (Iterator<Active> it = running.iterator(); it.hasNext(); ) {
            Active active = it.next();
            if (active.future.isDone()) {
                it.remove();
                release(active);
                failed.incrementAndGet();
            }
        }
        runningCount = running.size();
    }

    /** One batch: a token of every decoding sequence, then prompt chunks in arrival order. */
    private void step() {
        transformer.clear();
        batch.clear();
        int prefillBudget = options.prefillTokens();
        for (Active active : running) {
            try {
                if (active.state == null) {
                    if (prefillBudget == 0) {
                        continue;
                    }
                    if (active.sequence == null) {
                        active.sequence = engine.newSequence(transformer, pool, active.request.policy());
                    }
                    // A parked sequence keeps the prefix it shares with this prompt and frees the rest.
                    active.sequence.startPrefill(active.request.promptIds());
                    active.reusedTokens = active.sequence.length();
                    active.state = new GenerationState(engine.tokenizer(), engine.model().config().vocabSize(),
                            active.request.generation(), active.request.onText());
                }
                if (active.sequence.prefillRemaining() > 0) {
                    if (prefillBudget > 0) {
                        prefillBudget -= active.sequence.addPrefillChunk(prefillBudget);
                        batch.add(active);
                    }
                } else {
                    active.sequence.addDecode(active.nextToken);
                    batch.add(active);
                }
            } catch (RuntimeException e) {
                active.error = e;
            }
        }
        try {
            transformer.run();
        } catch (RuntimeException e) {
            // Reservations make this unexpected; fail the batch rather than guess what each cache holds.
            for (Active active : batch) {
                active.sequence.batchFailed();
                active.error = e;
            }
            batch.clear();
        }
        for (Active active : batch) {
            try {
                advance(active);
            } catch (RuntimeException e) {
                active.error = e;
            }
        }
        for (Iterator<Active> it = running.iterator(); it.hasNext(); ) {
            Active active = it.next();
            if (active.error != null || active.state != null && active.state.finishReason() != null
                    || active.future.isDone()) {
                it.remove();
                end(active, active.error);
            }
        }
        runningCount = running.size();
    }

    /** After the batch ran: count the tokens, end a finished prompt, sample the next token. */
    private void advance(Active active) {
        Sequence sequence = active.sequence;
        float[] logits = sequence.batchRan();
        if (logits == null) {
            if (sequence.prefillRemaining() > 0) {
                return;
            }
            logits = sequence.finishPrefill();
        }
        int token = active.state.next(logits, sequence);
        if (active.firstToken == 0) {
            active.firstToken = System.nanoTime();
        }
        active.nextToken = token;
        if (token >= 0) {
            reserve(active, exactPages(active));
        }
    }

    /** The most pages the sequence can still hold: every head grows by at most one entry per new token. */
    private long exactPages(Active active) {
        int remaining = active.request.generation().maxTokens() - active.state.generatedTokens();
        return pages(active.sequence, remaining);
    }

    /** Pages the sequence's heads hold once each has grown by {@code growth} entries (at most to the context). */
    private long pages(Sequence sequence, int growth) {
        KvCache cache = sequence.forwardPass().cache();
        long pages = 0;
        for (int layer = 0; layer < cache.layers(); layer++) {
            for (int kvHead = 0; kvHead < cache.kvHeads(); kvHead++) {
                pages += pagesFor(Math.min(cache.length(layer, kvHead) + growth, contextLength));
            }
        }
        return pages;
    }

    private void reserve(Active active, long pages) {
        if (pages < active.reservedPages) { // reservations only shrink, so admission's promise holds
            lock.lock();
            try {
                reservedPages -= active.reservedPages - pages;
                active.reservedPages = pages;
            } finally {
                lock.unlock();
            }
        }
    }

    private void end(Active active, Throwable error) {
        long kvBytes = active.sequence == null ? 0 : active.sequence.forwardPass().cache().bytes();
        long kvBytesFull = active.sequence == null ? 0 : active.sequence.length() * fullBytesPerToken;
        if (error == null && !active.future.isDone() && active.request.reuseKey() != null && active.sequence != null
                && active.sequence.compression().keepsEveryEntry()) {
            park(active);
        } else {
            release(active);
        }
        if (error != null) {
            failed.incrementAndGet();
            active.future.completeExceptionally(error);
            return;
        }
        if (active.future.isDone()) {
            failed.incrementAndGet();
            return;
        }
        long now = System.nanoTime();
        GenerationState state = active.state;
        completed.incrementAndGet();
        active.future.complete(new ServeResult(state.tokenIds(), state.text(), state.finishReason(),
                active.request.promptIds().length, active.reusedTokens, kvBytes, kvBytesFull,
                active.admitted - active.submitted,
                active.firstToken - active.submitted, now - active.submitted));
    }

    /** Keeps a finished sequence under its reuse key, reserving exactly the pages it holds. */
    private void park(Active active) {
        String key = active.request.reuseKey();
        long pages = pages(active.sequence, 0);
        lock.lock();
        try {
            if (parked.containsKey(key)) {
                dropParked(key); // an older turn of the same key, finished while this one ran
            }
            reservedPages -= active.reservedPages - pages;
            active.reservedPages = 0;
            parked.put(key, new Parked(active.sequence, active.request.policy(), pages));
            parkedPages += pages;
            while (parked.size() > options.maxRunning()) {
                dropParked(parked.keySet().iterator().next());
            }
            work.signal();
        } finally {
            lock.unlock();
        }
        active.sequence = null;
    }

    /** Frees a parked sequence's pages and reservation. Under the lock, on the scheduler thread. */
    private void dropParked(String key) {
        Parked dropped = parked.remove(key);
        dropped.sequence().reset();
        parkedPages -= dropped.pages();
        reservedPages -= dropped.pages();
    }

    /** Drops the least recently used parked sequence not under {@code key}; false when there is none. */
    private boolean dropLeastRecentlyUsedExcept(String key) {
        for (String candidate : parked.keySet()) {
            if (!candidate.equals(key)) {
                dropParked(candidate);
                return true;
            }
        }
        return false;
    }

    /** Returns the sequence's pages and its reservation to the pool. */
    private void release(Active active) {
        if (active.sequence != null) {
            active.sequence.reset();
            active.sequence = null;
        }
        lock.lock();
        try {
            reservedPages -= active.reservedPages;
            active.reservedPages = 0;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Rejects what waits, fails what runs, and stops the scheduler thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
    }

    /** A finished sequence kept for the next request of its reuse key, and the pages it holds. */
    private record Parked(Sequence sequence, io.kvsqueeze.engine.compress.KvPolicy policy, long pages) {
    }

    /** A request from submission to its end. */
    private static final class Active {
        final ServeRequest request;
        final CompletableFuture<ServeResult> future = new CompletableFuture<>();
        final long submitted = System.nanoTime();
        long reservedPages;
        long admitted;
        long firstToken;
        ScheduledFuture<?> timeout;  // the queue timeout, cancelled on admission
        int reusedTokens;
        Sequence sequence;
        GenerationState state;
        int nextToken;
        RuntimeException error;

        Active(ServeRequest request, long reservedPages) {
            this.request = request;
            this.reservedPages = reservedPages;
        }
    }
}

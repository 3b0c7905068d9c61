package io.kvsqueeze.engine.scheduler;

import java.time.Duration;

/**
 * How a {@link Scheduler} shares the engine.
 *
 * @param kvPoolBytes   hard cap on the KV bytes (keys and values) of all running sequences together
 * @param maxRunning    most sequences in one batch (prefilling and decoding together)
 * @param maxQueued     most requests waiting for admission; one more is rejected at once. At least one: every
 *                      request passes through the queue, even one admitted at once
 * @param queueTimeout  how long a request may wait for admission before it is rejected
 * @param prefillTokens prompt tokens run per step, shared by the prompts being prefilled, beside one token of
 *                      each decoding sequence: small enough that a long prompt does not stall the decodes
 */
public record SchedulerOptions(long kvPoolBytes, int maxRunning, int maxQueued, Duration queueTimeout,
                               int prefillTokens) {

    public static final long DEFAULT_KV_POOL_BYTES = 512L << 20;
    public static final int DEFAULT_MAX_RUNNING = 16;
    public static final int DEFAULT_MAX_QUEUED = 64;
    public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_PREFILL_TOKENS = 32;

    public SchedulerOptions {
        if (kvPoolBytes < 1) {
            throw new IllegalArgumentException("the KV pool needs a positive capacity, got " + kvPoolBytes + " bytes");
        }
        if (maxRunning < 1 || maxQueued < 1 || prefillTokens < 1) {
            throw new IllegalArgumentException("maxRunning (" + maxRunning + "), maxQueued (" + maxQueued
                    + ") and prefillTokens (" + prefillTokens + ") must be positive");
        }
        // Zero would reject every request that is not admitted before its timer fires: a race, not a policy.
        if (queueTimeout == null || !queueTimeout.isPositive()) {
            throw new IllegalArgumentException("queueTimeout must be positive, got " + queueTimeout);
        }
    }

    public static SchedulerOptions defaults() {
        return new SchedulerOptions(DEFAULT_KV_POOL_BYTES, DEFAULT_MAX_RUNNING, DEFAULT_MAX_QUEUED,
                DEFAULT_QUEUE_TIMEOUT, DEFAULT_PREFILL_TOKENS);
    }

    public SchedulerOptions withKvPoolBytes(long bytes) {
        return new SchedulerOptions(bytes, maxRunning, maxQueued, queueTimeout, prefillTokens);
    }

    public SchedulerOptions withMaxRunning(int running) {
        return new SchedulerOptions(kvPoolBytes, running, maxQueued, queueTimeout, prefillTokens);
    }

    public SchedulerOptions withMaxQueued(int queued) {
        return new SchedulerOptions(kvPoolBytes, maxRunning, queued, queueTimeout, prefillTokens);
    }

    public SchedulerOptions withQueueTimeout(Duration timeout) {
        return new SchedulerOptions(kvPoolBytes, maxRunning, maxQueued, timeout, prefillTokens);
    }
}

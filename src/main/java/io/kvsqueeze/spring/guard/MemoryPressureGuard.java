package io.kvsqueeze.spring.guard;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.kvsqueeze.spring.ai.AdmissionGuard;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Refuses new generations while memory is short, through one global Resilience4j circuit breaker used as a hard
 * gate with hysteresis: a sample above the high watermark forces it open, a sample below the low watermark
 * closes it again, anything in between leaves it as it is (so it does not flap at a single threshold). Memory is
 * the heap's fill level ({@link HeapProbe}) and, when a KV budget is set, the KV cache bytes in use. The breaker's state, transitions and
 * health come with Resilience4j's Spring Boot integration (metrics {@code resilience4j.circuitbreaker.*}).
 */
public class MemoryPressureGuard implements AutoCloseable {
    public static final String BREAKER_NAME = "kvsqueeze-memory";
    private static final Log log = LogFactory.getLog(MemoryPressureGuard.class);

    private final CircuitBreaker breaker;
    private final MemoryProbe probe;
    private final Watermarks watermarks;
    private final long retryAfterSeconds;
    private final @Nullable ScheduledExecutorService sampler;
    private volatile String lastReading = "not sampled yet";

    /**
     * @param sampleInterval how often memory is sampled in the background; zero samples only on {@link #sample()}
     */
    public MemoryPressureGuard(CircuitBreaker breaker, MemoryProbe probe, Watermarks watermarks,
                               Duration sampleInterval) {
        this.breaker = Objects.requireNonNull(breaker, "breaker");
        this.probe = Objects.requireNonNull(probe, "probe");
        this.watermarks = Objects.requireNonNull(watermarks, "watermarks");
        this.retryAfterSeconds = Math.max(1, (sampleInterval.toMillis() + 999) / 1000);
        if (sampleInterval.isPositive()) {
            sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "kvsqueeze-memory-guard");
                thread.setDaemon(true);
                return thread;
            });
            sampler.scheduleWithFixedDelay(this::sample, 0, sampleInterval.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            sampler = null;
        }
    }

    /** Takes one reading and opens or closes the breaker accordingly. */
    public synchronized void sample() {
        double heap = probe.heapUsedFraction();
        long kvBytes = probe.kvBytesInUse();
        boolean high = heap > watermarks.heapHigh()
                || (watermarks.kvBytesHigh() != null && kvBytes > watermarks.kvBytesHigh());
        boolean low = heap < watermarks.heapLow()
                && (watermarks.kvBytesHigh() == null || kvBytes < watermarks.kvBytesLow());
        lastReading = String.format("heap %.0f%% of max, KV %d bytes", heap * 100, kvBytes);
        CircuitBreaker.State state = breaker.getState();
        if (high && state != CircuitBreaker.State.FORCED_OPEN) {
            breaker.transitionToForcedOpenState();
            log.warn("KVSqueeze memory pressure (" + lastReading + "): refusing new generations until it eases");
        } else if (low && state == CircuitBreaker.State.FORCED_OPEN) {
            breaker.transitionToClosedState();
            log.info("KVSqueeze memory pressure eased (" + lastReading + "): accepting generations again");
        }
    }

    /** Whether a new generation may start now (the breaker is not open). */
    public boolean admits() {
        if (!breaker.tryAcquirePermission()) {
            return false;
        }
        // Only admission is gated; no call outcome is recorded, so the permission is handed straight back.
        breaker.releasePermission();
        return true;
    }

    /** Refuses unless {@link #admits()}: the {@code reject} mode. */
    public void admit() {
        if (!admits()) {
            throw overloaded();
        }
    }

    /** The refusal while the breaker is open, with the last reading and the Retry-After. */
    public AdmissionGuard.OverloadedException overloaded() {
        return new AdmissionGuard.OverloadedException("the server is short of memory (" + lastReading + "); retry in "
                + retryAfterSeconds + " s", retryAfterSeconds, AdmissionGuard.OverloadedException.MEMORY_PRESSURE);
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
    }

    /** What the guard measures. */
    public interface MemoryProbe {
        /** Heap in use as a fraction of the maximum heap, 0 to 1. */
        double heapUsedFraction();

        /** Bytes of keys and values held by KV caches now. */
        long kvBytesInUse();

        static MemoryProbe of(java.util.function.DoubleSupplier heap, LongSupplier kvBytes) {
            return new MemoryProbe() {
                @Override
                public double heapUsedFraction() {
                    return heap.getAsDouble();
                }

                @Override
                public long kvBytesInUse() {
                    return kvBytes.getAsLong();
                }
            };
        }
    }

    /**
     * @param heapHigh    open above this heap fraction
     * @param heapLow     close again below it
     * @param kvBytesHigh open above this many KV bytes in use; null: KV bytes are not watched
     * @param kvBytesLow  close again below it
     */
    public record Watermarks(double heapHigh, double heapLow, @Nullable Long kvBytesHigh, long kvBytesLow) {
        public Watermarks {
            if (!(heapLow > 0 && heapLow <= heapHigh && heapHigh <= 1)) {
                throw new IllegalArgumentException("heap watermarks need 0 < low <= high <= 1, got low " + heapLow
                        + ", high " + heapHigh);
            }
            if (kvBytesHigh != null && !(kvBytesLow > 0 && kvBytesLow <= kvBytesHigh)) {
                throw new IllegalArgumentException("KV watermarks need 0 < low <= high, got low " + kvBytesLow
                        + ", high " + kvBytesHigh);
            }
        }
    }
}

package io.kvsqueeze.spring.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.kvsqueeze.spring.ai.AdmissionGuard.OverloadedException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The guard's hysteresis on a probe the test controls. */
class MemoryPressureGuardTest {
    private final AtomicReference<Double> heap = new AtomicReference<>(0.5);
    private final AtomicLong kvBytes = new AtomicLong();
    private final CircuitBreaker breaker = CircuitBreakerRegistry.ofDefaults().circuitBreaker("test");

    private MemoryPressureGuard guard(Long kvHigh, long kvLow) {
        return new MemoryPressureGuard(breaker, MemoryPressureGuard.MemoryProbe.of(heap::get, kvBytes::get),
                new MemoryPressureGuard.Watermarks(0.9, 0.8, kvHigh, kvLow), Duration.ZERO);
    }

    @Test
    void opensAboveTheHighWatermarkAndClosesOnlyBelowTheLowOne() {
        MemoryPressureGuard guard = guard(null, 0);
        guard.sample();
        assertThatCode(guard::admit).doesNotThrowAnyException();

        heap.set(0.95);
        guard.sample();
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.FORCED_OPEN);
        assertThatThrownBy(guard::admit).isInstanceOfSatisfying(OverloadedException.class, e -> {
            assertThat(e.retryAfterSeconds()).isEqualTo(1);
            assertThat(e.getMessage()).contains("heap 95%");
        });

        heap.set(0.85);
        guard.sample();
        assertThatThrownBy(guard::admit).as("between the watermarks nothing changes").isInstanceOf(OverloadedException.class);

        heap.set(0.7);
        guard.sample();
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThatCode(guard::admit).doesNotThrowAnyException();
    }

    @Test
    void watchesKvBytesWhenABudgetIsSet() {
        MemoryPressureGuard guard = guard(1000L, 800L);
        kvBytes.set(1001);
        guard.sample();
        assertThatThrownBy(guard::admit).isInstanceOf(OverloadedException.class);
        kvBytes.set(900);
        guard.sample();
        assertThatThrownBy(guard::admit).isInstanceOf(OverloadedException.class);
        kvBytes.set(100);
        guard.sample();
        assertThatCode(guard::admit).doesNotThrowAnyException();
    }

    @Test
    void refusesInconsistentWatermarks() {
        assertThatThrownBy(() -> new MemoryPressureGuard.Watermarks(0.8, 0.9, null, 0)).hasMessageContaining("heap");
        assertThatThrownBy(() -> new MemoryPressureGuard.Watermarks(0.9, 0.8, 100L, 200)).hasMessageContaining("KV");
    }

    @Test
    void readsTheHeapAsAFraction() {
        assertThat(HeapProbe.usedFraction()).isBetween(0.0, 1.0);
    }
}

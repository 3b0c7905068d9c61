package io.kvsqueeze.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ThreadPoolTest {

    @Test
    void everyMemberRunsItsShareOncePerRegion() {
        try (ThreadPool pool = new ThreadPool(3)) {
            int items = 1000;
            AtomicIntegerArray hits = new AtomicIntegerArray(items);
            for (int region = 0; region < 500; region++) {
                pool.run((thread, threads) -> {
                    for (int i = ThreadPool.rangeStart(items, thread, threads);
                         i < ThreadPool.rangeStart(items, thread + 1, threads); i++) {
                        hits.incrementAndGet(i);
                    }
                });
            }
            for (int i = 0; i < items; i++) {
                assertThat(hits.get(i)).isEqualTo(500);
            }
        }
    }

    @Test
    void aFailureInAWorkerReachesTheCallerAndThePoolStaysUsable() {
        try (ThreadPool pool = new ThreadPool(2)) {
            assertThatThrownBy(() -> pool.run((thread, threads) -> {
                if (thread == 1) {
                    throw new IllegalStateException("boom in worker");
                }
            })).hasMessage("boom in worker");
            int[] ran = new int[2];
            pool.run((thread, threads) -> ran[thread]++);
            assertThat(ran).containsExactly(1, 1);
        }
    }

    @Test
    void rangesCoverEverythingWithoutOverlap() {
        for (int threads = 1; threads <= 7; threads++) {
            for (int count = 0; count < 50; count++) {
                assertThat(ThreadPool.rangeStart(count, 0, threads)).isZero();
                assertThat(ThreadPool.rangeStart(count, threads, threads)).isEqualTo(count);
                for (int t = 0; t < threads; t++) {
                    assertThat(ThreadPool.rangeStart(count, t + 1, threads))
                            .isGreaterThanOrEqualTo(ThreadPool.rangeStart(count, t, threads));
                }
            }
        }
    }

    @Test
    void rejectsWorkAfterClose() {
        ThreadPool pool = new ThreadPool(2);
        pool.close();
        assertThatThrownBy(() -> pool.run((thread, threads) -> { })).isInstanceOf(IllegalStateException.class);
    }
}

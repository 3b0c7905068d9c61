package io.kvsqueeze.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of platform threads that runs one {@link Task} at a time on all of them, ggml style: every
 * thread gets its index and the team size and takes its own share of the work, and {@link #run} returns when
 * all shares are done. The caller is member 0, so a team of one runs inline.
 *
 * <p>Why not a ForkJoinPool or parallel streams: a forward pass of a small model has ~150 parallel regions
 * per token, each a few microseconds long, so hand-offs must cost well under a microsecond. Workers spin on a
 * generation counter for a short while after each region (the next one usually follows at once) and only then
 * park, so an idle engine uses no CPU. Nothing is allocated per region.
 */
public final class ThreadPool implements AutoCloseable {

    /** One parallel region; {@code thread} is in {@code [0, threads)}. */
    @FunctionalInterface
    public interface Task {
        void run(int thread, int threads);
    }

    private static final long SPIN_NANOS = 2_000_000L;
    private static final int SPINS_BEFORE_YIELD = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile Task current;
    private volatile boolean closed;
    private volatile Throwable failure;

    public ThreadPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 1; i < threads; i++) {
            int index = i;
            Thread worker = new Thread(() -> workLoop(index), "kvsqueeze-worker-" + index);
            worker.setDaemon(true);
            workers[i - 1] = worker;
            worker.start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} on every member of the team and waits for all of them. Not reentrant. */
    public void run(Task task) {
        if (closed) {
            throw new IllegalStateException("thread pool is closed");
        }
        if (threads == 1) {
            task.run(0, 1);
            return;
        }
        current = task;
        pending.set(threads - 1);
        generation++;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        Throwable own = null;
        try {
            task.run(0, threads);
        } catch (Throwable t) {
            own = t;
        }
        // Spin briefly, then yield: if a worker lost its core to another process, spinning on would only keep it
        // waiting longer.
        for (int spins = 0; pending.get() != 0; spins++) {
            if (spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        current = null;
        Throwable workerFailure = failure;
        failure = null;
        if (own != null) {
            throwUnchecked(own);
        }
        if (workerFailure != null) {
            throwUnchecked(workerFailure);
        }
    }

    private void workLoop(int index) {
        long seen = 0;
        while (!closed) {
            long now = generation;
            if (now == seen) {
                long spinStart = System.nanoTime();
                while ((now = generation) == seen && !closed) {
                    long spinning = System.nanoTime() - spinStart;
                    if (spinning > SPIN_NANOS) {
                        LockSupport.parkNanos(this, 1_000_000L);
                    } else if (spinning > SPIN_NANOS / 20) {
                        Thread.yield();
                    } else {
                        Thread.onSpinWait();
                    }
                }
                if (closed) {
                    return;
                }
            }
            seen = now;
            try {
                current.run(index, threads);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    /** Start (inclusive) of member {@code thread}'s share of {@code count} items split in contiguous ranges. */
    public static int rangeStart(int count, int thread, int threads) {
        return (int) ((long) count * thread / threads);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void throwUnchecked(Throwable t) throws T {
        throw (T) t;
    }
}

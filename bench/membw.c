/*
 * membw: STREAM-like read bandwidth of main memory, for bench/compare-llama-cpp.sh.
 *
 * Usage: membw SIZE_MIB PASSES THREADS...
 *   e.g. membw 1024 10 1 2   measures a 1 GiB buffer with 1 thread, then with 2 threads.
 *
 * For each thread count: a buffer of SIZE_MIB MiB is split into one contiguous slice per thread; every
 * thread first writes its own slice (so pages are faulted in before timing), then all threads read their
 * slices PASSES + 1 times, summing 64-byte vectors into four independent accumulators; the first pass is a
 * warm-up and is not counted. A pass is timed by thread 0 from one barrier (all threads ready) to the next
 * (all threads done), so it includes the slowest thread. GB/s = bytes read / seconds / 1e9.
 *
 * Prints one JSON object per thread count on stdout:
 *   {"threads":T,"bytes":B,"passes":P,"best_gb_per_s":x,"mean_gb_per_s":y,"sd_gb_per_s":z}
 * "best" is what STREAM reports; "mean" and "sd" are over the counted passes.
 *
 * Build: cc -O2 -march=native -pthread -o membw membw.c   (the vector type needs GCC or Clang)
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int64_t vec64 __attribute__((vector_size(64)));

struct job {
    const vec64 *begin;
    size_t count; /* in vec64 units, a multiple of 4 */
    int id;
    int passes;
    double *pass_seconds; /* filled by thread 0 only */
    vec64 *mutable_begin;
};

static pthread_barrier_t barrier;
static volatile int64_t sink;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int64_t read_slice(const vec64 *p, size_t count) {
    vec64 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (size_t i = 0; i < count; i += 4) {
        a0 += p[i];
        a1 += p[i + 1];
        a2 += p[i + 2];
        a3 += p[i + 3];
    }
    vec64 s = (a0 + a1) + (a2 + a3);
    int64_t total = 0;
    for (int k = 0; k < 8; k++) {
        total += s[k];
    }
    return total;
}

static void *run_job(void *arg) {
    struct job *job = arg;
    /* First touch: each thread faults in and writes its own slice. */
    int64_t *w = (int64_t *) job->mutable_begin;
    size_t words = job->count * 8;
    for (size_t i = 0; i < words; i++) {
        w[i] = (int64_t) i ^ job->id;
    }
    int64_t local = 0;
    for (int pass = 0; pass <= job->passes; pass++) {
        pthread_barrier_wait(&barrier);
        double start = job->id == 0 ? now_seconds() : 0.0;
        local += read_slice(job->begin, job->count);
        pthread_barrier_wait(&barrier);
        if (job->id == 0 && pass > 0) {
            job->pass_seconds[pass - 1] = now_seconds() - start;
        }
    }
    sink += local; /* racy on purpose: only there to keep the reads alive */
    return NULL;
}

static int measure(size_t bytes, int passes, int threads) {
    size_t vectors = bytes / sizeof(vec64);
    size_t per_thread = (vectors / (size_t) threads) / 4 * 4;
    if (per_thread == 0) {
        fprintf(stderr, "membw: buffer too small for %d threads\n", threads);
        return 1;
    }
    vec64 *buffer = aligned_alloc(4096, bytes);
    double *pass_seconds = calloc((size_t) passes, sizeof(double));
    pthread_t *tids = calloc((size_t) threads, sizeof(pthread_t));
    struct job *jobs = calloc((size_t) threads, sizeof(struct job));
    if (buffer == NULL || pass_seconds == NULL || tids == NULL || jobs == NULL) {
        fprintf(stderr, "membw: cannot allocate %zu bytes\n", bytes);
        return 1;
    }
    pthread_barrier_init(&barrier, NULL, (unsigned) threads);
    for (int t = 0; t < threads; t++) {
        jobs[t].begin = buffer + (size_t) t * per_thread;
        jobs[t].mutable_begin = buffer + (size_t) t * per_thread;
        jobs[t].count = per_thread;
        jobs[t].id = t;
        jobs[t].passes = passes;
        jobs[t].pass_seconds = pass_seconds;
    }
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tids[t], NULL, run_job, &jobs[t]) != 0) {
            fprintf(stderr, "membw: cannot start thread %d\n", t);
            return 1;
        }
    }
    run_job(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        pthread_join(tids[t], NULL);
    }
    pthread_barrier_destroy(&barrier);

    double read_bytes = (double) per_thread * (double) threads * (double) sizeof(vec64);
    double best = 0.0, sum = 0.0, sum_sq = 0.0;
    for (int p = 0; p < passes; p++) {
        double gbps = read_bytes / pass_seconds[p] / 1e9;
        if (gbps > best) {
            best = gbps;
        }
        sum += gbps;
        sum_sq += gbps * gbps;
    }
    double mean = sum / passes;
    double var = passes > 1 ? (sum_sq - passes * mean * mean) / (passes - 1) : 0.0;
    printf("{\"threads\":%d,\"bytes\":%.0f,\"passes\":%d,\"best_gb_per_s\":%.3f,"
           "\"mean_gb_per_s\":%.3f,\"sd_gb_per_s\":%.3f}\n",
           threads, read_bytes, passes, best, mean, var > 0 ? sqrt(var) : 0.0);
    fflush(stdout);
    free(jobs);
    free(tids);
    free(pass_seconds);
    free(buffer);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s SIZE_MIB PASSES THREADS...\n", argv[0]);
        return 2;
    }
    long mib = strtol(argv[1], NULL, 10);
    long passes = strtol(argv[2], NULL, 10);
    if (mib <= 0 || passes <= 0) {
        fprintf(stderr, "membw: SIZE_MIB and PASSES must be positive\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        long threads = strtol(argv[i], NULL, 10);
        if (threads <= 0 || threads > 1024) {
            fprintf(stderr, "membw: bad thread count '%s'\n", argv[i]);
            return 2;
        }
        if (measure((size_t) mib << 20, (int) passes, (int) threads) != 0) {
            return 1;
        }
    }
    return 0;
}

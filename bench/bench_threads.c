/* bench_threads.c -- parallel calls: the built-in pool and a host executor against one thread and a copy.
 * SPDX-License-Identifier: MIT
 *
 * Usage: bench_threads [--quick] [--reps N] [--size N]     (--quick: one call per cell, 2^18 elements)
 * Three tables, every ratio from this one run (the rows of a table are measured round-robin, repetition
 * by repetition, so a change in the machine's load hits them alike):
 *   1. f32 and f64 forward and backward at 32M elements (--size) -- the strict tier, then the fast tier's
 *      f32 (memory-bound here: the rows that test the bandwidth) and bf16/f16 forward -- with 1, 2, ... N
 *      threads (N = the CPUs
 *      of the affinity mask): the built-in pool (softplus_set_num_threads) and a plain pthread executor
 *      given through softplus_set_parallel_for (threads made per call, one range each), beside a copy of
 *      the output's bytes split over the same threads. GB/s counts every operand's bytes (forward reads
 *      x and writes y; backward reads dy and x and writes dx; the copy reads and writes once).
 *   2. 1K and 32K elements, serial and with N pool threads: below the grain a call must cost what a
 *      serial call costs.
 *   3. The grain: f32 and f64 forward with the grain lowered (the library's internal sp_parallel_grain)
 *      so that every size from 16K up splits in two, 2 pool threads against serial: the size where two
 *      threads start to win, halved, is the smallest task worth a thread.
 * The machine may be shared: the load average is printed before and after.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_machine.h"
#include "parallel.h"
#include "softplus.h"

/* ---- a plain pthread executor: one range per thread, threads made per call ----------------------- */

typedef struct plain_pool {
    size_t threads;
} plain_pool;

typedef struct plain_range {
    softplus_task_fn task;
    void *task_ctx;
    size_t begin, end;
} plain_range;

static void *plain_thread(void *arg)
{
    const plain_range *r = arg;
    r->task(r->task_ctx, r->begin, r->end);
    return NULL;
}

static void plain_parallel_for(void *pool_ctx, size_t n, size_t grain, softplus_task_fn task, void *task_ctx)
{
    const plain_pool *p = pool_ctx;
    size_t ranges = p->threads;
    if (ranges > n / grain)
        ranges = n / grain;
    if (ranges < 1)
        ranges = 1;
    plain_range r[64];
    pthread_t tid[64];
    int started[64] = {0};
    if (ranges > 64)
        ranges = 64;
    for (size_t i = 0; i < ranges; i++)
        r[i] = (plain_range){task, task_ctx, n * i / ranges, n * (i + 1) / ranges};
    for (size_t i = 1; i < ranges; i++)
        started[i] = pthread_create(&tid[i], NULL, plain_thread, &r[i]) == 0;
    plain_thread(&r[0]);
    for (size_t i = 1; i < ranges; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            plain_thread(&r[i]);
    }
}

/* ---- the copy reference: the output's bytes copied over `threads` threads of the plain executor ----- */

typedef struct copy_job {
    char *dst;
    const char *src;
} copy_job;

static void copy_task(void *ctx, size_t begin, size_t end)
{
    const copy_job *c = ctx;
    memcpy(c->dst + begin, c->src + begin, end - begin);
}

static void copy_threads(size_t threads, void *dst, const void *src, size_t bytes)
{
    plain_pool p = {threads};
    copy_job c = {dst, src};
    if (threads == 1)
        copy_task(&c, 0, bytes);
    else
        plain_parallel_for(&p, bytes, 4096, copy_task, &c);
}

/* ---- the calls measured --------------------------------------------------------------------------- */

/* The strict tier's f32 and f64 calls, the fast tier's f32 (memory-bound at this size: the rows that
 * show the bandwidth) and the half types' forward. */
typedef enum { FWD_F32, BWD_F32, FWD_F64, BWD_F64, FWD_F32_FAST, BWD_F32_FAST, FWD_BF16, FWD_F16, NCALLS } call_kind;
static const char *const call_names[] = {"forward f32",      "backward f32",      "forward f64",  "backward f64",
                                         "forward f32 fast", "backward f32 fast", "forward bf16", "forward f16"};
static const size_t call_elem[] = {4, 4, 8, 8, 4, 4, 2, 2};
static const size_t call_operands[] = {2, 3, 2, 3, 2, 3, 2, 2};
/* the rows of tables 2 and 3 */
#define SMALL_CALLS 4

typedef struct buffers {
    void *x, *dy, *out;
} buffers;

static void run_call(call_kind k, const buffers *b, size_t n)
{
    const size_t shape[1] = {n};
    const int fast = k == FWD_F32_FAST || k == BWD_F32_FAST;
    softplus_status s = softplus_set_accuracy(fast ? SOFTPLUS_ACCURACY_FAST : SOFTPLUS_ACCURACY_STRICT);
    switch (s == SOFTPLUS_OK ? k : NCALLS) {
    case FWD_F32:
    case FWD_F32_FAST: s = softplus_forward_f32(1, shape, b->x, NULL, b->out, NULL, 1.0f, 20.0f); break;
    case BWD_F32:
    case BWD_F32_FAST: s = softplus_backward_f32(1, shape, b->dy, NULL, b->x, NULL, b->out, NULL, 1.0f, 20.0f); break;
    case FWD_F64: s = softplus_forward_f64(1, shape, b->x, NULL, b->out, NULL, 1.0, 20.0); break;
    case BWD_F64: s = softplus_backward_f64(1, shape, b->dy, NULL, b->x, NULL, b->out, NULL, 1.0, 20.0); break;
    case FWD_BF16: s = softplus_forward_bf16(1, shape, b->x, NULL, b->out, NULL, 1.0f, 20.0f); break;
    case FWD_F16: s = softplus_forward_f16(1, shape, b->x, NULL, b->out, NULL, 1.0f, 20.0f); break;
    case NCALLS: break;
    }
    if (s != SOFTPLUS_OK) {
        fprintf(stderr, "bench_threads: %s\n", softplus_status_string(s));
        exit(1);
    }
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Values for the dtype of call k in the first n elements: x in [-20, 20], dy in (0, 1]. */
static void fill_for(call_kind k, buffers *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const double x = (double)(i % 4093) / 4093.0 * 40.0 - 20.0, dy = 1.0 - (double)(i % 7) * 0.125;
        switch (call_elem[k]) {
        case 8: ((double *)b->x)[i] = x, ((double *)b->dy)[i] = dy; break;
        case 4: ((float *)b->x)[i] = (float)x, ((float *)b->dy)[i] = (float)dy; break;
        default:
            ((uint16_t *)b->x)[i] = k == FWD_F16 ? bench_f16_bits((float)x) : bench_bf16_bits((float)x);
            ((uint16_t *)b->dy)[i] = k == FWD_F16 ? bench_f16_bits((float)dy) : bench_bf16_bits((float)dy);
        }
    }
}

/* How a row runs: threads, and the pool or the plain executor or a plain copy. */
typedef enum { VIA_POOL, VIA_PLAIN, VIA_COPY } via;
static const char *const via_names[] = {"pool", "pthread executor", "copy"};

static plain_pool plain;
static int quick; /* --quick: a smoke test (ctest, valgrind included): one call per measurement */

static void set_mode(via v, size_t threads)
{
    if (v == VIA_PLAIN) {
        plain.threads = threads;
        softplus_set_num_threads(1);
        softplus_set_parallel_for(plain_parallel_for, &plain);
    } else {
        softplus_set_parallel_for(NULL, NULL);
        softplus_set_num_threads(threads);
    }
}

/* ---- table 1 ------------------------------------------------------------------------------------------ */

static void table_large(buffers *b, size_t n, size_t maxthreads, int reps)
{
    printf("\n## %zu elements (%.0fM), median of %d, 1..%zu threads\n\n", n, (double)n / (1 << 20), reps,
           maxthreads);
    printf("| call | threads | via | ms | GB/s | vs 1 thread | vs copy, same threads |\n");
    printf("|---|---:|---|---:|---:|---:|---:|\n");
    for (call_kind k = 0; k < NCALLS; k++) {
        fill_for(k, b, n);
        /* rows: for t in 1..max: pool, plain (t > 1), copy */
        enum { MAXROWS = 3 * 64 };
        size_t row_threads[MAXROWS];
        via row_via[MAXROWS];
        size_t rows = 0;
        for (size_t t = 1; t <= maxthreads && rows + 3 <= MAXROWS; t++) {
            row_threads[rows] = t, row_via[rows++] = VIA_POOL;
            if (t > 1)
                row_threads[rows] = t, row_via[rows++] = VIA_PLAIN;
            row_threads[rows] = t, row_via[rows++] = VIA_COPY;
        }
        double *times = calloc((size_t)reps * rows, sizeof *times);
        const size_t bytes = n * call_elem[k];
        for (size_t r = 0; r < rows && !quick; r++) { /* warm up: pages touched, pool threads made */
            set_mode(row_via[r], row_threads[r]);
            if (row_via[r] == VIA_COPY)
                copy_threads(row_threads[r], b->out, b->x, bytes);
            else
                run_call(k, b, n);
        }
        for (int rep = 0; rep < reps; rep++)
            for (size_t r = 0; r < rows; r++) {
                set_mode(row_via[r], row_threads[r]);
                const double t0 = now_seconds();
                if (row_via[r] == VIA_COPY)
                    copy_threads(row_threads[r], b->out, b->x, bytes);
                else
                    run_call(k, b, n);
                times[r * (size_t)reps + (size_t)rep] = now_seconds() - t0;
            }
        double med[MAXROWS];
        for (size_t r = 0; r < rows; r++)
            med[r] = median(times + r * (size_t)reps, (size_t)reps);
        for (size_t r = 0; r < rows; r++) {
            const double moved = (double)bytes * (double)(row_via[r] == VIA_COPY ? 2 : call_operands[k]);
            double one = med[0], copy = med[r];
            for (size_t q = 0; q < rows; q++)
                if (row_via[q] == VIA_COPY && row_threads[q] == row_threads[r])
                    copy = med[q];
            const double copy_gbs = 2.0 * (double)bytes / copy, gbs = moved / med[r];
            if (row_via[r] == VIA_COPY)
                printf("| copy of the output's bytes | %zu | copy | %.2f | %.1f | | |\n", row_threads[r],
                       med[r] * 1e3, gbs / 1e9);
            else
                printf("| %s | %zu | %s | %.2f | %.1f | %.2fx | %.0f%% of its GB/s |\n", call_names[k],
                       row_threads[r], via_names[row_via[r]], med[r] * 1e3, gbs / 1e9, one / med[r],
                       100.0 * gbs / copy_gbs);
        }
        free(times);
    }
    set_mode(VIA_POOL, 1);
}

/* ---- table 2 ------------------------------------------------------------------------------------------ */

static double per_call_ns(call_kind k, buffers *b, size_t n, size_t threads, int reps)
{
    set_mode(VIA_POOL, threads);
    const size_t calls = quick ? 1 : (size_t)(4e6 / (double)n) + 1;
    double t[64];
    if (reps > 64)
        reps = 64;
    for (int rep = 0; rep < reps; rep++) {
        const double t0 = now_seconds();
        for (size_t c = 0; c < calls; c++)
            run_call(k, b, n);
        t[rep] = (now_seconds() - t0) / (double)calls * 1e9;
    }
    return median(t, (size_t)reps);
}

static void table_small(buffers *b, size_t maxthreads, int reps)
{
    printf("\n## Small calls: serial and with %zu pool threads (per call, median of %d)\n\n", maxthreads, reps);
    printf("| call | elements | serial ns | %zu threads ns | ratio |\n|---|---:|---:|---:|---:|\n", maxthreads);
    static const size_t sizes[] = {1024, 32768};
    for (call_kind k = 0; k < SMALL_CALLS; k++) {
        fill_for(k, b, 32768);
        for (size_t s = 0; s < 2; s++) {
            double serial[16], par[16];
            for (int rep = 0; rep < 16 && rep < reps; rep++) { /* alternating, one rep each */
                serial[rep] = per_call_ns(k, b, sizes[s], 1, 1);
                par[rep] = per_call_ns(k, b, sizes[s], maxthreads, 1);
            }
            const int m = reps < 16 ? reps : 16;
            const double ms = median(serial, (size_t)m), mp = median(par, (size_t)m);
            printf("| %s | %zu | %.0f | %.0f | %.3f |\n", call_names[k], sizes[s], ms, mp, mp / ms);
        }
    }
    set_mode(VIA_POOL, 1);
}

/* ---- table 3 ------------------------------------------------------------------------------------------ */

static void table_grain(buffers *b, int reps)
{
    printf("\n## The grain: every size split in two (grain lowered to 1024), 2 pool threads vs serial\n\n");
    printf("| call | elements | serial us | 2 threads us | serial / 2 threads |\n|---|---:|---:|---:|---:|\n");
    const size_t saved = sp_parallel_grain;
    sp_parallel_grain = 1024;
    static const call_kind kinds[] = {FWD_F32, FWD_F64};
    for (size_t i = 0; i < 2; i++) {
        const call_kind k = kinds[i];
        fill_for(k, b, (size_t)1 << 21);
        for (size_t n = (size_t)1 << 14; n <= (size_t)1 << 21; n *= 2) {
            double serial[32], par[32];
            const int m = reps < 32 ? reps : 32;
            for (int rep = 0; rep < m; rep++) {
                serial[rep] = per_call_ns(k, b, n, 1, 1);
                par[rep] = per_call_ns(k, b, n, 2, 1);
            }
            const double ms = median(serial, (size_t)m), mp = median(par, (size_t)m);
            printf("| %s | %zu | %.1f | %.1f | %.2f |\n", call_names[k], n, ms / 1e3, mp / 1e3, ms / mp);
        }
    }
    sp_parallel_grain = saved;
    set_mode(VIA_POOL, 1);
}

static void threads_hang(int sig)
{
    static const char msg[] = "bench_threads: a new thread never started (seen under qemu-user 7.2 on Linux 6.x): "
                              "skipping\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to say */
    }
    _exit(77);
}

static void *probe_thread(void *arg)
{
    return arg;
}

/* Some emulators never return from pthread_create: exit 77 (ctest: skipped) rather than hang. */
static void require_working_threads(void)
{
    signal(SIGALRM, threads_hang);
    alarm(10);
    pthread_t t;
    if (pthread_create(&t, NULL, probe_thread, NULL) != 0) {
        fprintf(stderr, "bench_threads: cannot create a thread here: skipping\n");
        exit(77);
    }
    pthread_join(t, NULL);
    alarm(0);
    signal(SIGALRM, SIG_DFL);
}

int main(int argc, char **argv)
{
    size_t n = (size_t)32 << 20;
    int reps = 9;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            n = (size_t)strtoull(argv[++i], NULL, 0);
        else {
            fprintf(stderr, "usage: bench_threads [--quick] [--reps N] [--size N]\n");
            return 2;
        }
    }
    if (quick) {
        n = 2 * SP_PARALLEL_GRAIN; /* the smallest call that splits */
        reps = 1;
    }
    if (reps < 1)
        reps = 1;
    require_working_threads();
    cpu_set_t set;
    size_t cpus = 1;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        cpus = (size_t)CPU_COUNT(&set);
    char model[256];
    cpu_model(model, sizeof model);
    printf("# bench_threads: %s, %zu CPUs, kernels %s, load average %.2f\n", model, cpus,
           softplus_isa_name(softplus_active_isa()), load_average());
    buffers b;
    /* the grain table (not in --quick) needs 2M elements */
    const size_t big = quick || n > ((size_t)1 << 21) ? n : ((size_t)1 << 21);
    b.x = malloc(big * 8);
    b.dy = malloc(big * 8);
    b.out = malloc(big * 8);
    if (!b.x || !b.dy || !b.out) {
        fprintf(stderr, "bench_threads: out of memory\n");
        return 1;
    }
    memset(b.out, 0, big * 8);
    table_large(&b, n, cpus, reps);
    table_small(&b, cpus, quick ? 1 : 15);
    if (!quick)
        table_grain(&b, 9);
    printf("\nload average after: %.2f\n", load_average());
    free(b.x);
    free(b.dy);
    free(b.out);
    return 0;
}

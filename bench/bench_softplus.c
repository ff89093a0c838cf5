/* bench_softplus.c -- throughput of every kernel set this CPU runs, beside a copy and a naive libm loop.
 * SPDX-License-Identifier: MIT
 *
 * What is measured, for each dtype (f32, f64, bf16, f16), op and size tier (L1, L2, LLC, DRAM):
 *   kernel     the ISA's contiguous kernel called directly (sp_kernels_for_isa), one call over n elements;
 *              each accuracy tier with kernels of its own gets its rows ("avx512_fast": the fast tier,
 *              its api/stride2/transposed columns with softplus_set_accuracy(SOFTPLUS_ACCURACY_FAST))
 *   copy       memcpy of the same number of elements: forward y <- x; backward dx <- dy, i.e. one of
 *              backward's two input streams, so backward's own memory ceiling is below this rate
 *   libm       the stable formula written naively with libm (bench/baselines.c), one call per element;
 *              for bf16 and f16 the column is "f32" instead: the same ISA's strict f32 kernel at the same
 *              size from this run's f32 table (issue 13's target: the half kernels at 1.5x it in L1/L2,
 *              and at DRAM size at 50% of the copy of the same bytes, the k/copy column)
 *   api        the public API on the same contiguous tensor, with that ISA forced by softplus_set_isa
 *   stride2    the public API with every operand at inner stride 2 (x[::2] -> y[::2])
 *   transposed the public API on a 2-D rows x cols tensor whose inputs are transposed views
 *              (strides {1, rows}) and whose output is contiguous, so no dimension can be merged
 * and the per-call cost of the public API for n = 1. Rates are Gelem/s (10^9 elements per second):
 * the median over repetitions, each repetition timing enough calls to last about 2 ms, on one pinned
 * CPU. A repetition during which the scheduler ran another process is retried (see measure()).
 *
 * Sizes come from the cache hierarchy (sysfs, else sysconf, else assumed): a tier's n is the largest power of two whose f64 backward
 * working set (3 arrays x 8 bytes) fits in half of that cache, so every dtype/op of the tier sits in it;
 * DRAM is 32M elements (128 MiB per f32 array).
 *
 * Cache-resident tiers repeat the same input, and a modern branch predictor learns its outcomes: on an
 * AMD EPYC (Zen 5) the libm backward loop ran at 0.37 Gelem/s on one repeated 1024-element window and
 * at 0.13 on 64 rotating windows. Branch-free SIMD kernels and the copy are unaffected; for branchy
 * code (scalar kernels, the libm loop) the LLC and DRAM tiers are the honest numbers, and the output
 * says so.
 */
#define _GNU_SOURCE /* sched_setaffinity/sched_getcpu for best-effort pinning; _SC_LEVEL*_CACHE_SIZE */

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_machine.h"
#include "baselines.h"
#include "dispatch.h"
#include "kernels.h"
#include "registry.h"
#include "softplus.h"

#define BENCH_BETA 1.0
#define BENCH_THRESHOLD 20.0
#define BENCH_DRAM_ELEMS ((size_t)32 << 20)
#define BENCH_MAX_TIERS 4
/* The ISAs of src/lists.h are SOFTPLUS_ISA_<TAG> = 1 .. BENCH_NUM_ISAS - 1 without gaps (registry.c
 * asserts it): the loops below visit every listed ISA. */
#define BENCH_ISA_ONE(ctx, tag, TAG, fallback, priority, features) +1
#define BENCH_NUM_ISAS (1 SP_ISAS(BENCH_ISA_ONE, ~))

/* ---- options and run-wide state ----------------------------------------------------------------- */

typedef struct options {
    int quick;
    const char *csv_path;
    int isa_only;        /* 0: every supported ISA */
    size_t size;         /* 0: the cache tiers */
} options;

typedef struct timing_policy {
    int min_reps, max_reps;
    double rep_seconds;  /* calls are batched until one repetition lasts about this long */
    double cell_seconds; /* stop adding repetitions (beyond min_reps) once a cell has run this long */
} timing_policy;

static timing_policy policy;
static FILE *csv;
static volatile double sink; /* results are read into it so no timed store is dead */

static void die(const char *what)
{
    fprintf(stderr, "bench_softplus: %s\n", what);
    exit(2);
}

/* CPU seconds this process has used. The benchmark never sleeps, so wall time beyond it is time
 * the scheduler gave to other processes. */
static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1.0;
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

/* ---- the machine -------------------------------------------------------------------------------- */

/* Size in bytes of the data or unified cache at level on cpu, from sysfs; 0 if unknown. */
static size_t sysfs_cache_size(int cpu, int level)
{
    for (int index = 0; index < 8; index++) {
        char path[128], text[64];
        int lvl = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cache/index%d/level", cpu, index);
        FILE *f = fopen(path, "r");
        if (!f)
            return 0;
        const int ok = fscanf(f, "%d", &lvl) == 1;
        fclose(f);
        if (!ok || lvl != level)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cache/index%d/type", cpu, index);
        f = fopen(path, "r");
        if (!f || !fgets(text, sizeof text, f)) {
            if (f)
                fclose(f);
            continue;
        }
        fclose(f);
        if (strncmp(text, "Instruction", 11) == 0)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cache/index%d/size", cpu, index);
        f = fopen(path, "r");
        unsigned long value = 0;
        char unit = 0;
        const int got = f ? fscanf(f, "%lu%c", &value, &unit) : 0;
        if (f)
            fclose(f);
        if (got < 1)
            continue;
        if (unit == 'K')
            value <<= 10;
        else if (unit == 'M')
            value <<= 20;
        return (size_t)value;
    }
    return 0;
}

static size_t sysconf_cache_size(int level)
{
    long v = -1;
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE) && defined(_SC_LEVEL3_CACHE_SIZE)
    v = sysconf(level == 1   ? _SC_LEVEL1_DCACHE_SIZE
                : level == 2 ? _SC_LEVEL2_CACHE_SIZE
                             : _SC_LEVEL3_CACHE_SIZE);
#else
    (void)level;
#endif
    return v > 0 ? (size_t)v : 0;
}

typedef struct tier {
    const char *name;
    size_t n;
} tier;

typedef struct machine {
    char model[128];
    int pinned_cpu;
    size_t cache[4];          /* bytes, levels 1..3 */
    const char *cache_source[4];
    tier tiers[BENCH_MAX_TIERS];
    int ntiers;
} machine;

static size_t pow2_floor(size_t v)
{
    size_t p = 1;
    while (p <= v / 2)
        p *= 2;
    return p;
}

/* The largest power of two whose f64 backward working set (3 arrays of 8 bytes) fits in half of it. */
static size_t tier_elems(size_t cache_bytes)
{
    const size_t n = pow2_floor(cache_bytes / 2 / 24);
    return n < 256 ? 256 : n;
}

static void describe_machine(machine *m, const options *o)
{
    static const size_t fallback[4] = {0, 32u << 10, 512u << 10, 8u << 20};
    cpu_model(m->model, sizeof m->model);
    m->pinned_cpu = pin_to_current_cpu();
    const int cpu = m->pinned_cpu >= 0 ? m->pinned_cpu : 0;
    for (int level = 1; level <= 3; level++) {
        /* sysfs first: under some hypervisors sysconf reports a whole package's L3 (or worse). */
        size_t bytes = sysfs_cache_size(cpu, level);
        m->cache_source[level] = "sysfs";
        if (bytes == 0) {
            bytes = sysconf_cache_size(level);
            m->cache_source[level] = "sysconf";
        }
        if (bytes == 0) {
            bytes = fallback[level];
            m->cache_source[level] = "assumed";
        }
        m->cache[level] = bytes;
    }
    m->ntiers = 0;
    if (o->size) {
        m->tiers[m->ntiers++] = (tier){"size", o->size};
        return;
    }
    m->tiers[m->ntiers++] = (tier){"L1", tier_elems(m->cache[1])};
    m->tiers[m->ntiers++] = (tier){"L2", tier_elems(m->cache[2])};
    if (o->quick)
        return;
    size_t llc = tier_elems(m->cache[3]);
    if (llc > BENCH_DRAM_ELEMS / 16)
        llc = BENCH_DRAM_ELEMS / 16; /* keep the DRAM tier well beyond it */
    m->tiers[m->ntiers++] = (tier){"LLC", llc};
    m->tiers[m->ntiers++] = (tier){"DRAM", BENCH_DRAM_ELEMS};
}

/* ---- inputs ------------------------------------------------------------------------------------- */

static uint64_t rng_state = BENCH_XORSHIFT_SEED; /* the inputs: bench_draw_x, bench_draw_dy (bench_machine.h) */

/* ---- one measured cell -------------------------------------------------------------------------- */

/* The dtypes of src/lists.h, in its order (dtype == sp_dtype). */
typedef enum dtype { DT_F32, DT_F64, DT_BF16, DT_F16, DT_COUNT } dtype;
_Static_assert((int)DT_COUNT == (int)SP_DTYPE_COUNT && (int)DT_BF16 == (int)SP_DTYPE_BF16 &&
                   (int)DT_F16 == (int)SP_DTYPE_F16,
               "bench_softplus's dtypes follow src/lists.h");
static const char *const dtype_name[] = {"f32", "f64", "bf16", "f16"};
/* beta and threshold are float for every dtype but f64 */
static int float_params(dtype dt)
{
    return dt != DT_F64;
}
static int half_dtype(dtype dt)
{
    return dt == DT_BF16 || dt == DT_F16;
}

/* Longest single call a cell may need (see run_throughput): 1 s is 32M elements at 0.034 Gelem/s. */
#define SLOW_CALL_SECONDS 1.0
/* The ops of src/lists.h, in its order (op_kind == sp_op). */
typedef enum op_kind { OP_FWD, OP_BWD, OP_DBWD, OP_INV, OP_BBETA, OP_COUNT } op_kind;
_Static_assert((int)OP_COUNT == (int)SP_OP_COUNT && (int)OP_DBWD == (int)SP_OP_DBWD && (int)OP_INV == (int)SP_OP_INV &&
                   (int)OP_BBETA == (int)SP_OP_BBETA,
               "bench_softplus's ops follow src/lists.h");
#define OP_NAME_(ctx, tag, TAG, public, inputs) #tag,
#define OP_PUBLIC_(ctx, tag, TAG, public, inputs) #public,
static const char *const op_tag[] = {SP_OPS(OP_NAME_, ~)};
static const char *const op_public[] = {SP_OPS(OP_PUBLIC_, ~)};
typedef enum run_kind {
    RUN_KERNEL, RUN_API, RUN_STRIDE2, RUN_TRANSPOSED, RUN_COPY, RUN_LIBM, RUN_API_N1, RUN_API_N1_STRIDES
} run_kind;

static const char *const layout_name[] = {"kernel", "api-contig", "api-stride2", "api-transposed",
                                          "copy", "libm", "api-n1", "api-n1-strides"};

typedef struct job {
    run_kind kind;
    dtype dt;
    op_kind op;
    size_t n;
    size_t rows, cols;  /* RUN_TRANSPOSED: the logical shape, rows * cols = n */
    const sp_kernel_set *ks;
    softplus_accuracy tier; /* RUN_KERNEL: the registry entry of this tier; the API runs set it */
    void *x, *dy, *out;
    softplus_status status;
} job;

static size_t elem_size(dtype dt)
{
    return half_dtype(dt) ? 2 : dt == DT_F32 ? sizeof(float) : sizeof(double);
}

/* The public API for the bf16 and f16 tensors (beta, threshold float). */
static softplus_status api_half(const job *j, size_t ndim, const size_t *shape, const ptrdiff_t *is,
                                const ptrdiff_t *os, float b, float t)
{
    const int f16 = j->dt == DT_F16;
    const uint16_t *x = j->x, *dy = j->dy;
    uint16_t *out = j->out;
    switch (j->op) {
    case OP_FWD:
        return (f16 ? softplus_forward_f16 : softplus_forward_bf16)(ndim, shape, x, is, out, os, b, t);
    case OP_BWD:
        return (f16 ? softplus_backward_f16 : softplus_backward_bf16)(ndim, shape, dy, is, x, is, out, os, b, t);
    case OP_DBWD:
        return (f16 ? softplus_double_backward_f16 : softplus_double_backward_bf16)(ndim, shape, dy, is, x, is, out,
                                                                                    os, b, t);
    case OP_INV:
        return (f16 ? softplus_inverse_f16 : softplus_inverse_bf16)(ndim, shape, dy, is, out, os, b, t);
    default:
        return (f16 ? softplus_backward_beta_f16 : softplus_backward_beta_bf16)(ndim, shape, dy, is, x, is, out, os,
                                                                                b, t);
    }
}

static void run_once(job *j)
{
    const sp_params_f32 p32 = {(float)BENCH_BETA, (float)BENCH_THRESHOLD};
    const sp_params_f64 p64 = {BENCH_BETA, BENCH_THRESHOLD};
    const float b32 = (float)BENCH_BETA, t32 = (float)BENCH_THRESHOLD;
    const double b64 = BENCH_BETA, t64 = BENCH_THRESHOLD;
    const int f32 = float_params(j->dt), fwd = j->op == OP_FWD;
    const void *in1 = j->op == OP_FWD ? j->x : j->dy; /* the first input: x, y (inverse) or the multiplier */
    softplus_status st = SOFTPLUS_OK;

    switch (j->kind) {
    case RUN_KERNEL: {
        void *const ptrs[3] = {j->out, (void *)in1, j->x}; /* output, then the inputs */
        sp_kernel_of(j->ks, j->tier, (sp_op)j->op, (sp_dtype)j->dt)
            ->run(j->n, ptrs, f32 ? (const void *)&p32 : (const void *)&p64);
        break;
    }
    case RUN_COPY:
        bench_copy(j->out, in1, j->n * elem_size(j->dt));
        break;
    case RUN_LIBM:
        if (f32 && fwd)
            bench_libm_fwd_f32(j->n, j->x, j->out, b32, t32);
        else if (f32)
            bench_libm_bwd_f32(j->n, j->dy, j->x, j->out, b32, t32);
        else if (fwd)
            bench_libm_fwd_f64(j->n, j->x, j->out, b64, t64);
        else
            bench_libm_bwd_f64(j->n, j->dy, j->x, j->out, b64, t64);
        break;
    case RUN_API:
    case RUN_STRIDE2:
    case RUN_TRANSPOSED:
    case RUN_API_N1:
    case RUN_API_N1_STRIDES: {
        size_t shape[2] = {j->n, 1};
        ptrdiff_t in_s[2] = {1, 1}, out_s[2] = {1, 1};
        size_t ndim = 1;
        const ptrdiff_t *is = NULL, *os = NULL;
        if (j->kind == RUN_API_N1_STRIDES) { /* a framework's call: its (contiguous) strides spelled out */
            is = in_s;
            os = out_s;
        } else if (j->kind == RUN_STRIDE2) {
            in_s[0] = out_s[0] = 2;
            is = in_s;
            os = out_s;
        } else if (j->kind == RUN_TRANSPOSED) {
            ndim = 2;
            shape[0] = j->rows;
            shape[1] = j->cols;
            in_s[0] = 1;
            in_s[1] = (ptrdiff_t)j->rows;
            is = in_s;
        }
        if (half_dtype(j->dt)) {
            st = api_half(j, ndim, shape, is, os, b32, t32);
            break;
        }
        switch (j->op * 2 + !f32) {
        case OP_FWD * 2: st = softplus_forward_f32(ndim, shape, j->x, is, j->out, os, b32, t32); break;
        case OP_FWD * 2 + 1: st = softplus_forward_f64(ndim, shape, j->x, is, j->out, os, b64, t64); break;
        case OP_BWD * 2: st = softplus_backward_f32(ndim, shape, j->dy, is, j->x, is, j->out, os, b32, t32); break;
        case OP_BWD * 2 + 1: st = softplus_backward_f64(ndim, shape, j->dy, is, j->x, is, j->out, os, b64, t64); break;
        case OP_DBWD * 2:
            st = softplus_double_backward_f32(ndim, shape, j->dy, is, j->x, is, j->out, os, b32, t32);
            break;
        case OP_DBWD * 2 + 1:
            st = softplus_double_backward_f64(ndim, shape, j->dy, is, j->x, is, j->out, os, b64, t64);
            break;
        case OP_INV * 2: st = softplus_inverse_f32(ndim, shape, j->dy, is, j->out, os, b32, t32); break;
        case OP_INV * 2 + 1: st = softplus_inverse_f64(ndim, shape, j->dy, is, j->out, os, b64, t64); break;
        case OP_BBETA * 2:
            st = softplus_backward_beta_f32(ndim, shape, j->dy, is, j->x, is, j->out, os, b32, t32);
            break;
        default:
            st = softplus_backward_beta_f64(ndim, shape, j->dy, is, j->x, is, j->out, os, b64, t64);
            break;
        }
        break;
    }
    }
    if (st != SOFTPLUS_OK)
        j->status = st;
}

typedef struct stats {
    double median, min, max; /* Gelem/s */
    int reps;
} stats;

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* CPU time of this thread: a repetition whose wall time exceeds it was preempted. */
static double thread_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int noisy_cells; /* cells that had to use preempted repetitions */

static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Times j: calibration batches (which also warm the caches, the predictors and the clock), then
 * repetitions of `inner` calls each, so that a repetition lasts about policy.rep_seconds. Time is wall
 * time (CLOCK_MONOTONIC); a repetition during which the scheduler ran something else on this CPU (its
 * thread CPU time falls short of its wall time) is set aside and retried, within a budget. Only when
 * too few clean repetitions come are the preempted ones used too, and the cell counts as noisy. */
static stats measure(job *j)
{
    enum { MAX_ATTEMPTS = 64 };
    double clean[MAX_ATTEMPTS], all[MAX_ATTEMPTS];
    int nclean = 0, nall = 0;
    j->status = SOFTPLUS_OK;
    size_t inner = 1;
    double dt, dc;
    for (;;) {
        const double t0 = now_seconds(), c0 = thread_seconds();
        for (size_t i = 0; i < inner; i++)
            run_once(j);
        dt = now_seconds() - t0;
        dc = thread_seconds() - c0;
        if (dt >= policy.rep_seconds / 8 || inner >= ((size_t)1 << 30))
            break;
        inner *= 8;
    }
    double start = now_seconds();
    if (inner == 1 && dt > policy.cell_seconds / 4) {
        /* A call this long streams in steady state from its start: the warm-up counts as a repetition. */
        all[nall++] = (double)j->n / dt * 1e-9;
        if (dc >= 0.98 * dt)
            clean[nclean++] = all[nall - 1];
        start -= dt;
    } else if (dt < policy.rep_seconds) {
        inner = (size_t)((double)inner * policy.rep_seconds / dt) + 1;
    }
    for (;;) {
        const double elapsed = now_seconds() - start;
        if (nclean >= policy.max_reps || (nclean >= policy.min_reps && elapsed >= policy.cell_seconds))
            break;
        if (nall >= MAX_ATTEMPTS || (nall >= policy.min_reps && elapsed >= 4 * policy.cell_seconds))
            break;
        const double t0 = now_seconds(), c0 = thread_seconds();
        for (size_t i = 0; i < inner; i++)
            run_once(j);
        dt = now_seconds() - t0;
        dc = thread_seconds() - c0;
        all[nall++] = (double)j->n * (double)inner / (dt > 1e-9 ? dt : 1e-9) * 1e-9;
        if (dc >= 0.98 * dt)
            clean[nclean++] = all[nall - 1];
    }
    if (j->status != SOFTPLUS_OK) {
        fprintf(stderr, "bench_softplus: %s %s on %zu elements returned %s\n", layout_name[j->kind],
                op_public[j->op], j->n, softplus_status_string(j->status));
        exit(1);
    }
    sink += half_dtype(j->dt) ? (double)((const uint16_t *)j->out)[j->n / 2]
            : j->dt == DT_F32 ? (double)((const float *)j->out)[j->n / 2]
                              : ((const double *)j->out)[j->n / 2];
    double *v = clean;
    int n = nclean;
    if (nclean < policy.min_reps) {
        v = all;
        n = nall;
        noisy_cells++;
    }
    const double med = median_of(v, n);
    stats st = {med, v[0], v[n - 1], n};
    return st;
}

/* ---- buffers ------------------------------------------------------------------------------------ */

typedef struct buffers {
    size_t cap; /* elements per array: twice the largest n, for the stride-2 views */
    void *x, *dy, *out;
} buffers;

static void *alloc_array(size_t bytes)
{
    bytes = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, bytes);
}

/* v as bf16 or f16 bits (bench_machine.h) */
static uint16_t half_bits(dtype dt, float v)
{
    return dt == DT_F16 ? bench_f16_bits(v) : bench_bf16_bits(v);
}

static float half_value(dtype dt, uint16_t h)
{
    if (dt == DT_F16) {
        const int e = (h >> 10) & 31, m = h & 1023;
        const float v = e == 31 ? (m ? NAN : INFINITY) : ldexpf((float)(e ? 1024 + m : m), (e ? e : 1) - 25);
        return (h & 0x8000) ? -v : v;
    }
    const uint32_t u = (uint32_t)h << 16;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static int make_buffers(buffers *b, dtype dt, size_t max_n)
{
    const size_t es = elem_size(dt);
    b->cap = 2 * max_n;
    b->x = alloc_array(b->cap * es);
    b->dy = alloc_array(b->cap * es);
    b->out = alloc_array(b->cap * es);
    if (!b->x || !b->dy || !b->out) {
        free(b->x);
        free(b->dy);
        free(b->out);
        return 0;
    }
    rng_state = BENCH_XORSHIFT_SEED; /* the same values for f32 and f64 */
    for (size_t i = 0; i < b->cap; i++) {
        const double x = bench_draw_x(&rng_state), dy = bench_draw_dy(&rng_state);
        if (half_dtype(dt)) {
            ((uint16_t *)b->x)[i] = half_bits(dt, (float)x);
            ((uint16_t *)b->dy)[i] = half_bits(dt, (float)dy);
        } else if (dt == DT_F32) {
            ((float *)b->x)[i] = (float)x;
            ((float *)b->dy)[i] = (float)dy;
        } else {
            ((double *)b->x)[i] = x;
            ((double *)b->dy)[i] = dy;
        }
    }
    memset(b->out, 0, b->cap * es); /* fault the pages in before any timing */
    return 1;
}

static void free_buffers(buffers *b)
{
    free(b->x);
    free(b->dy);
    free(b->out);
}

/* ---- the tables --------------------------------------------------------------------------------- */

static void csv_row(const char *kernel, dtype dt, op_kind op, size_t n, run_kind layout, double rate,
                    double copy, double libm)
{
    if (!csv)
        return;
    /* The n = 1 rows have no copy or libm counterpart: those fields stay empty. */
    char c[32] = "", l[32] = "";
    if (!isnan(copy))
        snprintf(c, sizeof c, "%.6g", copy);
    if (!isnan(libm))
        snprintf(l, sizeof l, "%.6g", libm);
    fprintf(csv, "%s,%s,%s,%zu,%s,%.6g,%s,%s\n", kernel, dtype_name[dt],
            op_tag[op], n, layout_name[layout], rate, c, l);
}

/* The ISA whose kernel runs for (dtype, op) in isa's set when isa has none of its own (the registry
 * entry's origin), else -1. */
static int borrowed_from(int isa, dtype dt, op_kind op)
{
    const sp_kernel *k = sp_kernel_of(sp_kernels_for_isa((softplus_isa)isa), SOFTPLUS_ACCURACY_STRICT, (sp_op)op,
                                      (sp_dtype)dt);
    return (int)k->origin != isa ? (int)k->origin : -1;
}

static int isa_selected(const options *o, int isa)
{
    return sp_kernels_for_isa((softplus_isa)isa) && (!o->isa_only || o->isa_only == isa);
}

static size_t transposed_rows(size_t n)
{
    size_t r = (size_t)sqrt((double)n);
    while (r > 1 && n % r)
        r--;
    return r;
}

static size_t tiers_max(const machine *m)
{
    size_t max_n = 0;
    for (int t = 0; t < m->ntiers; t++)
        if (m->tiers[t].n > max_n)
            max_n = m->tiers[t].n;
    return max_n;
}

/* "" for strict, "_fast" for the fast tier: the kernel-name suffix of src/lists.h */
static const char *const tier_suffix[] = {
#define BENCH_TIER_SUFFIX(ctx, tag, TAG, suffix) [SOFTPLUS_ACCURACY_##TAG] = #suffix,
    SP_ACCURACIES(BENCH_TIER_SUFFIX, ~)
#undef BENCH_TIER_SUFFIX
};

/* The strict f32 kernel's rate per op, tier and ISA, from the f32 tables (run first): the reference of
 * the bf16 and f16 rows (issue 13's target: 1.5x it in L1/L2). */
static double f32_strict_rate[OP_COUNT][BENCH_MAX_TIERS][BENCH_NUM_ISAS];

/* The throughput tables of one dtype; the number of cells measured, or -1 when the buffers for
 * max_n elements cannot be allocated. */
static int run_throughput(const options *o, const machine *m, dtype dt, size_t max_n)
{
    buffers b;
    if (!make_buffers(&b, dt, max_n)) {
        fprintf(stderr, "bench_softplus: cannot allocate 3 x %zu MiB for %s\n",
                2 * max_n * elem_size(dt) >> 20, dtype_name[dt]);
        return -1;
    }
    int cells = 0;
    for (int opi = 0; opi < OP_COUNT; opi++) {
        const op_kind op = (op_kind)opi;
        const char *dname = dtype_name[dt];
        /* the inverse reads y in softplus's range, y = softplus(x), from the dy buffer (the beta gradient after
         * it takes those as its multipliers: its speed does not depend on them) */
        if (op == OP_INV)
            for (size_t i = 0; i < b.cap; i++) {
                if (half_dtype(dt))
                    ((uint16_t *)b.dy)[i] = half_bits(dt, log1pf(expf(half_value(dt, ((uint16_t *)b.x)[i]))));
                else if (dt == DT_F32)
                    ((float *)b.dy)[i] = log1pf(expf(((float *)b.x)[i]));
                else
                    ((double *)b.dy)[i] = log1p(exp(((double *)b.x)[i]));
            }
        const int has_libm = (op == OP_FWD || op == OP_BWD) && !half_dtype(dt);
        if (half_dtype(dt))
            printf("\n== %s %s == copy: memcpy(%s), the same bytes; f32: strict f32 kernel, same ISA; Gelem/s\n",
                   dname, op_public[op], op == OP_FWD ? "y <- x" : op == OP_INV ? "x <- y" : "out <- multiplier");
        else
            printf("\n== %s %s == copy: memcpy(%s); libm: %s loop; Gelem/s\n", dname, op_public[op],
                   op == OP_FWD ? "y <- x" : op == OP_INV ? "x <- y" : "out <- multiplier",
                   !has_libm ? "(none)" : dt == DT_F32 ? (op == OP_FWD ? "expf+log1pf" : "expf")
                                                        : (op == OP_FWD ? "exp+log1p" : "exp"));
        printf("%-4s %9s %-11s %7s %5s %7s %6s %7s %6s | %7s %7s %4s %7s %4s\n", "tier", "elements", "isa",
               "kernel", "+-%", "copy", "k/copy", half_dtype(dt) ? "f32" : "libm", half_dtype(dt) ? "k/f32" : "k/libm",
               "api", "stride2", "%api", "transp", "%api");
        double last_rate[BENCH_NUM_ISAS][SP_ACCURACY_COUNT] = {{0.0}}; /* Gelem/s at the previous tier */
        for (int t = 0; t < m->ntiers; t++) {
            const size_t n = m->tiers[t].n;
            job base = {.dt = dt, .op = op, .n = n, .x = b.x, .dy = b.dy, .out = b.out};
            base.kind = RUN_COPY;
            const stats copy = measure(&base);
            base.kind = RUN_LIBM;
            const stats libm = has_libm ? measure(&base) : (stats){NAN, NAN, NAN, 0};
            csv_row("memcpy", dt, op, n, RUN_COPY, copy.median, copy.median, libm.median);
            csv_row("libm", dt, op, n, RUN_LIBM, libm.median, copy.median, libm.median);
            cells += 2;
            for (int isa = SOFTPLUS_ISA_SCALAR; isa < BENCH_NUM_ISAS; isa++) {
                if (!isa_selected(o, isa))
                    continue;
                const char *iname = softplus_isa_name((softplus_isa)isa);
                const int lender = o->isa_only ? -1 : borrowed_from(isa, dt, op);
                if (lender >= 0) {
                    printf("%-4s %9zu %-11s   (no %s kernel of its own: uses %s's)\n", m->tiers[t].name, n,
                           iname, dname, softplus_isa_name((softplus_isa)lender));
                    continue;
                }
                for (int acc = 0; acc < SP_ACCURACY_COUNT; acc++) {
                    const sp_kernel_set *ks = sp_kernels_for_isa((softplus_isa)isa);
                    /* a tier without a kernel of its own here runs the strict one: measured once */
                    if (sp_kernel_of(ks, (softplus_accuracy)acc, (sp_op)op, (sp_dtype)dt)->tier !=
                        (softplus_accuracy)acc)
                        continue;
                    char label[32];
                    snprintf(label, sizeof label, "%s%s", iname, tier_suffix[acc]);
                    /* a kernel whose one call at this size would take longer than SLOW_CALL_SECONDS at the
                     * previous tier's rate (the reference-quality scalar kernels of release 1.1's ops) is
                     * not measured here: its four layouts times the repetitions would take minutes */
                    const double last = last_rate[isa][acc];
                    if (last > 0.0 && (double)n / (last * 1e9) > SLOW_CALL_SECONDS) {
                        printf("%-4s %9zu %-11s   (not measured: one call would take ~%.1f s at %.4f Gelem/s)\n",
                               m->tiers[t].name, n, label, (double)n / (last * 1e9), last);
                        continue;
                    }
                    job j = base;
                    j.ks = ks;
                    j.tier = (softplus_accuracy)acc;
                    j.kind = RUN_KERNEL;
                    const stats k = measure(&j);
                    last_rate[isa][acc] = k.median;
                    if (dt == DT_F32 && acc == SOFTPLUS_ACCURACY_STRICT)
                        f32_strict_rate[op][t][isa] = k.median;
                    /* the reference column: libm, or for the half types the strict f32 kernel */
                    const double ref = half_dtype(dt) ? f32_strict_rate[op][t][isa] : libm.median;
                    if (softplus_set_isa((softplus_isa)isa) != SOFTPLUS_OK ||
                        softplus_set_accuracy((softplus_accuracy)acc) != SOFTPLUS_OK)
                        die("softplus_set_isa/softplus_set_accuracy refused what the registry offers");
                    j.kind = RUN_API;
                    const stats api = measure(&j);
                    j.kind = RUN_STRIDE2;
                    const stats s2 = measure(&j);
                    j.kind = RUN_TRANSPOSED;
                    j.rows = transposed_rows(n);
                    j.cols = n / j.rows;
                    const stats tr = measure(&j);
                    (void)softplus_set_accuracy(SOFTPLUS_ACCURACY_STRICT);
                    cells += 4;
                    printf("%-4s %9zu %-11s %7.3f %5.1f %7.3f %6.3f %7.3f %6.2f | %7.3f %7.3f %4.0f %7.3f %4.0f\n",
                           m->tiers[t].name, n, label, k.median, 50.0 * (k.max - k.min) / k.median, copy.median,
                           k.median / copy.median, ref > 0.0 ? ref : NAN, k.median / (ref > 0.0 ? ref : NAN),
                           api.median, s2.median,
                           100.0 * s2.median / api.median, tr.median, 100.0 * tr.median / api.median);
                    fflush(stdout);
                    csv_row(label, dt, op, n, RUN_KERNEL, k.median, copy.median, libm.median);
                    csv_row(label, dt, op, n, RUN_API, api.median, copy.median, libm.median);
                    csv_row(label, dt, op, n, RUN_STRIDE2, s2.median, copy.median, libm.median);
                    csv_row(label, dt, op, n, RUN_TRANSPOSED, tr.median, copy.median, libm.median);
                }
            }
        }
    }
    free_buffers(&b);
    return cells;
}

/* ns per public-API call on one element, per ISA, dtype and op. */
static int run_overhead(const options *o)
{
    float xf[1] = {0.5f}, dyf[1] = {1.0f}, of[1];
    double xd[1] = {0.5}, dyd[1] = {1.0}, od[1];
    uint16_t xh[DT_COUNT][1], dyh[DT_COUNT][1], oh[1];
    for (dtype dt = DT_BF16; dt <= DT_F16; dt++) {
        xh[dt][0] = half_bits(dt, 0.5f);
        dyh[dt][0] = half_bits(dt, 1.0f);
    }
    void *const x_of[DT_COUNT] = {xf, xd, xh[DT_BF16], xh[DT_F16]};
    void *const dy_of[DT_COUNT] = {dyf, dyd, dyh[DT_BF16], dyh[DT_F16]};
    void *const out_of[DT_COUNT] = {of, od, oh, oh};
    int cells = 0;
    printf("\n== per-call overhead, public API, n = 1 (ns/call, median; libm: the naive loop on one element) ==\n");
    printf("(+strides: the same call with its strides {1} given, as a framework passes them)\n");
    printf("%-16s %8s %8s %8s %8s %9s %9s %8s %8s\n", "isa", "f32 fwd", "f32 bwd", "f64 fwd", "f64 bwd", "bf16 fwd",
           "bf16 bwd", "f16 fwd", "f16 bwd");
    /* the reference: the naive libm loop (bench/baselines.c) called on the same one element */
    printf("%-16s", "libm");
    for (int c = 0; c < 4; c++) {
        const dtype dt = c < 2 ? DT_F32 : DT_F64;
        job j = {.kind = RUN_LIBM, .dt = dt, .op = c % 2 ? OP_BWD : OP_FWD, .n = 1};
        j.x = dt == DT_F32 ? (void *)xf : (void *)xd;
        j.dy = dt == DT_F32 ? (void *)dyf : (void *)dyd;
        j.out = dt == DT_F32 ? (void *)of : (void *)od;
        const stats s = measure(&j);
        printf(" %8.1f", 1.0 / s.median);
        csv_row("libm", dt, j.op, 1, RUN_LIBM, s.median, NAN, NAN);
        cells++;
    }
    printf("\n");
    for (int isa = SOFTPLUS_ISA_SCALAR; isa < BENCH_NUM_ISAS; isa++) {
        if (!isa_selected(o, isa))
            continue;
        softplus_set_isa((softplus_isa)isa);
        for (run_kind kind = RUN_API_N1; kind <= RUN_API_N1_STRIDES; kind++) {
            char label[32];
            snprintf(label, sizeof label, "%s%s", softplus_isa_name((softplus_isa)isa),
                     kind == RUN_API_N1 ? "" : " +strides");
            printf("%-16s", label);
            for (int c = 0; c < 2 * DT_COUNT; c++) {
                const dtype dt = (dtype)(c / 2);
                const op_kind op = c % 2 ? OP_BWD : OP_FWD;
                job j = {.kind = kind, .dt = dt, .op = op, .n = 1, .x = x_of[dt], .dy = dy_of[dt], .out = out_of[dt]};
                const stats s = measure(&j);
                printf(dt == DT_BF16 ? " %9.1f" : " %8.1f", 1.0 / s.median);
                csv_row(softplus_isa_name((softplus_isa)isa), dt, op, 1, kind, s.median, NAN, NAN);
                cells++;
            }
            printf("\n");
        }
    }
    softplus_set_isa(SOFTPLUS_ISA_AUTO);
    return cells;
}

/* ---- main --------------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_softplus [--quick] [--csv FILE] [--isa NAME] [--size N]\n"
               "  --quick     L1 and L2 sizes only, fewer repetitions (a smoke run)\n"
               "  --csv FILE  also write kernel,dtype,op,size,layout,gelem_s,copy_gelem_s,libm_gelem_s\n"
               "  --isa NAME  only this kernel set (scalar, sse41, avx2, avx512, neon)\n"
               "  --size N    one size of N elements instead of the cache tiers\n");
}

static options parse(int argc, char **argv)
{
    options o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) {
            o.quick = 1;
        } else if (strcmp(a, "--csv") == 0 && i + 1 < argc) {
            o.csv_path = argv[++i];
        } else if (strcmp(a, "--isa") == 0 && i + 1 < argc) {
            const char *name = argv[++i];
            for (int isa = SOFTPLUS_ISA_SCALAR; isa < BENCH_NUM_ISAS; isa++)
                if (strcmp(name, softplus_isa_name((softplus_isa)isa)) == 0)
                    o.isa_only = isa;
            if (!o.isa_only) {
                fprintf(stderr, "bench_softplus: unknown ISA '%s'\n", name);
                exit(2);
            }
            if (!sp_kernels_for_isa((softplus_isa)o.isa_only)) {
                fprintf(stderr, "bench_softplus: ISA '%s' is not compiled in or not supported here\n", name);
                exit(2);
            }
        } else if (strcmp(a, "--size") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            const unsigned long long v = strtoull(argv[++i], &end, 10);
            if (errno || *end || v == 0 || v > ((size_t)1 << 32)) {
                fprintf(stderr, "bench_softplus: --size wants an element count in 1..2^32\n");
                exit(2);
            }
            o.size = (size_t)v;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            usage(stderr);
            exit(2);
        }
    }
    return o;
}

int main(int argc, char **argv)
{
    const options o = parse(argc, argv);
    policy = o.quick ? (timing_policy){3, 5, 1e-3, 0.02} : (timing_policy){3, 11, 2e-3, 0.25};
    if (o.csv_path) {
        csv = fopen(o.csv_path, "w");
        if (!csv) {
            perror(o.csv_path);
            return 2;
        }
        fprintf(csv, "kernel,dtype,op,size,layout,gelem_s,copy_gelem_s,libm_gelem_s\n");
    }
    const double t_start = now_seconds();
    const double load_before = load_average();
    const double cpu_before = cpu_seconds();

    machine m;
    describe_machine(&m, &o);

    printf("libsoftplus %s benchmark%s\n", softplus_version_string(), o.quick ? " (--quick)" : "");
    if (m.pinned_cpu >= 0)
        printf("cpu: %s; pinned to CPU %d\n", m.model, m.pinned_cpu);
    else
        printf("cpu: %s; not pinned (sched_setaffinity failed)\n", m.model);
    printf("caches: L1d %zu KiB (%s), L2 %zu KiB (%s), LLC %zu KiB (%s)\n", m.cache[1] >> 10,
           m.cache_source[1], m.cache[2] >> 10, m.cache_source[2], m.cache[3] >> 10, m.cache_source[3]);
    printf("sizes (elements):");
    for (int t = 0; t < m.ntiers; t++)
        printf(" %s %zu", m.tiers[t].name, m.tiers[t].n);
    printf("\nkernel sets here:");
    for (int isa = SOFTPLUS_ISA_SCALAR; isa < BENCH_NUM_ISAS; isa++)
        if (sp_kernels_for_isa((softplus_isa)isa))
            printf(" %s", softplus_isa_name((softplus_isa)isa));
    printf("; auto picks %s\n", softplus_isa_name(softplus_active_isa()));
    printf("params: beta %g, threshold %g; inputs: x 90%% uniform [-20,20] + 10%% uniform (20,40] (linear\n"
           "  branch), drawn per element; dy uniform [-1,1]; fixed seed\n",
           BENCH_BETA, BENCH_THRESHOLD);
    printf("method: Gelem/s = 1e9 elements/s, median of %d..%d repetitions of ~%.0f ms each, after warm-up\n"
           "  calls; repetitions preempted by other processes are retried (+-%% = half the min..max\n"
           "  spread of the kernel's repetitions)\n",
           policy.min_reps, policy.max_reps, policy.rep_seconds * 1e3);
    printf("columns: kernel = ISA kernel called directly on contiguous arrays; copy = memcpy of the same\n"
           "  elements (backward: dy only, one of its two input streams); libm = naive C loop with libm\n"
           "  (bf16/f16 tables: f32 = the same ISA's strict f32 kernel, k/f32 the ratio to it);\n"
           "  api = public API, same contiguous tensor, that ISA forced; stride2 = public API, every\n"
           "  operand at inner stride 2; transp = public API, 2-D inputs as transposed views (strides\n"
           "  {1,rows}), output contiguous; %%api = that layout's rate as a percentage of api\n"
           "caveat: the L1 and L2 tiers call the same n elements again and again, and branch\n"
           "  predictors learn tens of thousands of outcomes of a repeated input: branchy code (the\n"
           "  scalar kernels, the libm loop) runs faster there than on data it has not seen. Compare\n"
           "  those at LLC and DRAM.\n");
    fflush(stdout);

    /* Let the core reach its steady clock before the first cell is timed. */
    {
        float w[1024];
        for (size_t i = 0; i < 1024; i++)
            w[i] = (float)i * 0x1p-6f - 8.0f;
        const double until = now_seconds() + (o.quick ? 0.02 : 0.2);
        while (now_seconds() < until)
            bench_libm_fwd_f32(1024, w, w, 1.0f, 20.0f);
        sink += w[7];
    }

    int cells = 0;
    for (int d = 0; d < DT_COUNT; d++) {
        int got;
        while ((got = run_throughput(&o, &m, (dtype)d, tiers_max(&m))) < 0) {
            tier *last = &m.tiers[m.ntiers - 1];
            if (o.size || strcmp(last->name, "DRAM") != 0 || last->n <= ((size_t)1 << 20))
                return 1;
            last->n /= 2; /* not enough memory for the DRAM tier: halve it and say so */
            fprintf(stderr, "bench_softplus: DRAM tier reduced to %zu elements\n", last->n);
        }
        cells += got;
    }
    cells += run_overhead(&o);

    const double wall = now_seconds() - t_start, cpu = cpu_seconds() - cpu_before;
    printf("\n%d cells in %.1f s, on the CPU %.0f%% of that time; load average %.2f before, %.2f after\n",
           cells, wall, 100.0 * cpu / wall, load_before, load_average());
    if (noisy_cells)
        printf("warning: %d cells had fewer than %d repetitions free of preemption and include\n"
               "  preempted ones: other processes competed for this CPU; rerun on a quiet machine\n",
               noisy_cells, policy.min_reps);
    if (csv && fclose(csv) != 0) {
        perror(o.csv_path);
        return 1;
    }
    return cells > 0 ? 0 : 1;
}

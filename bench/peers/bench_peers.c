/* bench_peers.c -- libsoftplus beside oneDNN, SLEEF, glibc libmvec and libm: speed and accuracy, same inputs.
 * SPDX-License-Identifier: MIT
 *
 * For each dtype (f32, f64) and op (forward, backward), every runnable candidate is timed at each size
 * on the same arrays, and its worst error over the benchmark's inputs is measured against an accurate
 * reference, so speed and accuracy read side by side. Candidates (bench/peers/peers.h has the formulas):
 *   ours     the public API (contiguous 1-D tensor), each kernel set this CPU runs, forced with
 *            softplus_set_isa: scalar, sse41, avx2, avx512 (neon on aarch64)
 *   ours_fast  the same in the fast accuracy tier (softplus_set_accuracy), f32, on the sets with fast
 *            kernels (avx512, avx2, neon); ratios stay relative to the strict "ours"
 *   sleef    max(z,0) + log1p(exp(-|z|)) on SLEEF's u10 exp/log1p of each width (scalar, sse41 = sse4,
 *            avx2, avx512 = avx512f), then /beta and the threshold rule; backward dy * sigmoid from
 *            e = exp(-|z|)
 *   libmvec  the same in plain C, vectorised by GCC -O3 -ffast-math for each width (libmvec variants)
 *   libm     the same plain C without -ffast-math: scalar glibc calls
 *   onednn   eltwise soft_relu forward (inference) and backward, f32 only, no beta/threshold
 * PyTorch is measured by bench/bench_torch.py, on the same inputs (this file's generator, rewritten in
 * numpy: the digests printed by both must agree), and appended to the same CSV.
 *
 * Inputs (beta = 1, threshold = 20): element i of x is drawn from a counter-based generator (splitmix64
 * of the index), so every size is a prefix of the largest and f32 and f64 see the same values (rounded
 * to f32): with probability 0.9 uniform in [-20, 20]; else a log-uniform tail, +-(1+u)*2^k with k
 * uniform in -20..7, i.e. |x| in [2^-20, 2^8), either sign -- down to the underflow of the f32 result and
 * past the threshold. dy is uniform in [-1, 1].
 *
 * Speed: Gelem/s (10^9 elements per second) of one call over n contiguous elements, the median of
 * repetitions of about 2 ms each after warm-up calls, on one pinned CPU; a repetition during which the
 * scheduler ran another process (thread CPU time short of wall time) is retried. Ratios are each
 * candidate's rate over our best kernel set's rate at the same dtype, op and size (> 1: faster than us).
 * A second table gives ns per call at n = 1 through each API.
 *
 * Accuracy: the worst error in ULP over the first --acc inputs (default: all of the largest size),
 * |got - want| / ulp(want), ulp taken in the result's format at the exact value (never below the
 * smallest subnormal step); want is computed in double for f32 results and in long double for f64
 * results (exact z = beta*x, as beta = 1), with the threshold rule decided on fl(beta*x) as PyTorch
 * does. Backward is dx against dy*sigmoid(beta*x) exactly, with the benchmark's dy (not dy = 1), so a
 * kernel whose sigmoid is within B ULP can show up to about 2B + 0.5 (the ULP of dx can be half the
 * ULP of sigmoid times dy); a second figure runs backward with dy = 1, the sigmoid's own error, and a
 * third keeps the inputs with |x| <= 20 (the uniform core, without the tail).
 *
 * --inputs core keeps only the uniform core (every x in [-20, 20]): the difference is what the tail costs.
 *
 * CSV (--csv FILE), one row per candidate, dtype, op and size (size 1: the per-call table):
 *   peer,isa,impl,dtype,op,size,gelem_s,ns_per_call,ratio_to_ours_best,ours_best_isa,reps,spread_pct,
 *   max_ulp,ulp_inputs,worst_x,worst_dy,worst_got,worst_want,core_max_ulp,core_worst_x,dy1_max_ulp,dy1_worst_x
 * bench/peers/README.md documents each column.
 */
#define _GNU_SOURCE /* sched_setaffinity, sched_getcpu */

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h> /* _mm_getcsr: the FTZ/DAZ check */
#endif

#include "../bench_machine.h"
#include "peers.h"
#include "softplus.h"

#define BENCH_BETA 1.0
#define BENCH_THRESHOLD 20.0
#define BENCH_SEED 0x736f6674706c7573u /* "softplus"; bench/bench_torch.py uses the same */
#define MAX_SIZES 8
#define ACC_CHUNK ((size_t)65536)

/* ---- inputs: shared with bench/bench_torch.py, which must reproduce them bit for bit ---------- */

static uint64_t mix(uint64_t k)
{
    uint64_t z = BENCH_SEED + k * 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* core_only (--inputs core): every element from the uniform core [-20, 20], no tail. */
static double input_x(uint64_t i, int core_only)
{
    const uint64_t r0 = mix(3 * i), r1 = mix(3 * i + 1);
    const double u = (double)(r0 >> 11) * 0x1p-53;
    if (core_only || (double)(r1 >> 11) * 0x1p-53 < 0.9)
        return -20.0 + 40.0 * u;
    const int k = (int)(((r1 & 0xffffffffu) * 28) >> 32) - 20;
    const double m = ldexp(1.0 + u, k);
    return (r1 >> 32) & 1 ? -m : m;
}

static double input_dy(uint64_t i)
{
    return 2.0 * ((double)(mix(3 * i + 2) >> 11) * 0x1p-53) - 1.0;
}

/* sum over i of (bits(x_i) * 0x9e3779b97f4a7c15 + bits(dy_i)) * (2i + 1), mod 2^64 */
static uint64_t digest(const void *x, const void *dy, size_t n, int f32)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t bx, bd;
        if (f32) {
            uint32_t a, b;
            memcpy(&a, (const float *)x + i, 4);
            memcpy(&b, (const float *)dy + i, 4);
            bx = a;
            bd = b;
        } else {
            memcpy(&bx, (const double *)x + i, 8);
            memcpy(&bd, (const double *)dy + i, 8);
        }
        h += (bx * 0x9e3779b97f4a7c15u + bd) * (2 * (uint64_t)i + 1);
    }
    return h;
}

/* ---- the accurate reference ------------------------------------------------------------------- */

static long double ref_fwd_f32(float x)
{
    if ((float)BENCH_BETA * x > (float)BENCH_THRESHOLD)
        return x;
    const double z = (double)x * BENCH_BETA; /* exact: a product of two floats */
    return (fmax(z, 0.0) + log1p(exp(-fabs(z)))) / BENCH_BETA;
}

static long double ref_bwd_f32(float dy, float x)
{
    if ((float)BENCH_BETA * x > (float)BENCH_THRESHOLD)
        return dy;
    const double z = (double)x * BENCH_BETA, e = exp(-fabs(z));
    return (double)dy * (z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e));
}

static long double ref_fwd_f64(double x)
{
    if (BENCH_BETA * x > BENCH_THRESHOLD)
        return x;
    const long double z = (long double)x * BENCH_BETA; /* exact for beta = 1 */
    return (fmaxl(z, 0.0L) + log1pl(expl(-fabsl(z)))) / BENCH_BETA;
}

static long double ref_bwd_f64(double dy, double x)
{
    if (BENCH_BETA * x > BENCH_THRESHOLD)
        return dy;
    const long double z = (long double)x * BENCH_BETA, e = expl(-fabsl(z));
    return (long double)dy * (z >= 0 ? 1.0L / (1.0L + e) : e / (1.0L + e));
}

/* |got - want| in ULP of the result's format (p bits, minimum normal exponent emin) at want. */
static double ulp_error(double got, long double want, int p, int emin)
{
    if (isnan(got) || isnan(want))
        return isnan(got) && isnan(want) ? 0.0 : INFINITY;
    if ((long double)got == want)
        return 0.0;
    if (isinf(got) || isinf(want))
        return INFINITY;
    int e = want == 0 ? emin : ilogbl(want);
    if (e < emin)
        e = emin;
    return (double)(fabsl((long double)got - want) / ldexpl(1.0L, e - (p - 1)));
}

/* ---- candidates --------------------------------------------------------------------------------- */

typedef enum { DT_F32, DT_F64 } dtype;
typedef enum { OP_FWD, OP_BWD } op_kind;
static const char *const dtype_name[] = {"f32", "f64"};
static const char *const op_name[] = {"fwd", "bwd"};

typedef struct accuracy {
    double max_ulp;   /* over every input */
    double x, dy, got;
    long double want;
    size_t inputs;
    double core_ulp;  /* over the inputs with |x| <= 20, the uniform core */
    double core_x;
    double dy1_ulp;   /* backward with dy = 1: the error of the sigmoid itself */
    double dy1_x;
} accuracy;

typedef struct candidate {
    const char *peer, *isa;
    char what[160];      /* the functions or primitive it runs */
    const char *absent;  /* NULL when it runs here; else why not */
    softplus_isa ours;   /* peers "ours" and "ours_fast": its kernel set */
    softplus_accuracy tier; /* ... and its accuracy tier */
    peer_fwd_f32 fwd_f32;
    peer_bwd_f32 bwd_f32;
    peer_fwd_f64 fwd_f64;
    peer_bwd_f64 bwd_f64;
    /* results, [dtype][op] */
    double rate[2][2][MAX_SIZES], spread[2][2][MAX_SIZES];
    int reps[2][2][MAX_SIZES];
    double rate_n1[2][2];
    accuracy acc[2][2];
} candidate;

static int has_op(const candidate *c, dtype dt, op_kind op)
{
    if (c->absent)
        return 0;
    if (dt == DT_F32)
        return op == OP_FWD ? c->fwd_f32 != NULL : c->bwd_f32 != NULL;
    return op == OP_FWD ? c->fwd_f64 != NULL : c->bwd_f64 != NULL;
}

static void api_failed(softplus_status st)
{
    fprintf(stderr, "bench_peers: libsoftplus returned %s\n", softplus_status_string(st));
    exit(1);
}

static void ours_fwd_f32(size_t n, const float *x, float *y, float beta, float threshold)
{
    const size_t shape[1] = {n};
    const softplus_status st = softplus_forward_f32(1, shape, x, NULL, y, NULL, beta, threshold);
    if (st != SOFTPLUS_OK)
        api_failed(st);
}

static void ours_bwd_f32(size_t n, const float *dy, const float *x, float *dx, float beta, float threshold)
{
    const size_t shape[1] = {n};
    const softplus_status st = softplus_backward_f32(1, shape, dy, NULL, x, NULL, dx, NULL, beta, threshold);
    if (st != SOFTPLUS_OK)
        api_failed(st);
}

static void ours_fwd_f64(size_t n, const double *x, double *y, double beta, double threshold)
{
    const size_t shape[1] = {n};
    const softplus_status st = softplus_forward_f64(1, shape, x, NULL, y, NULL, beta, threshold);
    if (st != SOFTPLUS_OK)
        api_failed(st);
}

static void ours_bwd_f64(size_t n, const double *dy, const double *x, double *dx, double beta, double threshold)
{
    const size_t shape[1] = {n};
    const softplus_status st = softplus_backward_f64(1, shape, dy, NULL, x, NULL, dx, NULL, beta, threshold);
    if (st != SOFTPLUS_OK)
        api_failed(st);
}

enum { MAX_CANDIDATES = 24 };
static candidate cands[MAX_CANDIDATES];
static int ncands;

static candidate *add(const char *peer, const char *isa, const char *absent)
{
    candidate *c = &cands[ncands++];
    memset(c, 0, sizeof *c);
    c->peer = peer;
    c->isa = isa;
    c->absent = absent;
    return c;
}

/* Whether this CPU runs a peer built for the library's ISA tag (the peers need F only for AVX-512). */
static const char *cpu_lacks(const char *isa)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (strcmp(isa, "sse41") == 0)
        return __builtin_cpu_supports("sse4.1") ? NULL : "CPU lacks SSE4.1";
    if (strcmp(isa, "avx2") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? NULL : "CPU lacks AVX2+FMA";
    if (strcmp(isa, "avx512") == 0)
        return __builtin_cpu_supports("avx512f") ? NULL : "CPU lacks AVX-512F";
    return NULL;
#else
    return strcmp(isa, "scalar") == 0 ? NULL : "not x86";
#endif
}

/* The peer files this build compiled (bench/peers/CMakeLists.txt), widest first; {NULL} ends a list. */
typedef struct peer_entry {
    const char *isa, *what;
    peer_fwd_f32 fwd_f32;
    peer_bwd_f32 bwd_f32;
    peer_fwd_f64 fwd_f64;
    peer_bwd_f64 bwd_f64;
} peer_entry;

#define PEER_ENTRY(prefix, isa, what) \
    {#isa, what, prefix##_fwd_f32_##isa, prefix##_bwd_f32_##isa, prefix##_fwd_f64_##isa, prefix##_bwd_f64_##isa}

static const peer_entry sleef_entries[] = {
#if defined(SP_PEER_HAVE_SLEEF_AVX512)
    PEER_ENTRY(peer_sleef, avx512, "Sleef_expf16_u10avx512f+Sleef_log1pf16_u10avx512f; f64: _d8_u10avx512f"),
#endif
#if defined(SP_PEER_HAVE_SLEEF_AVX2)
    PEER_ENTRY(peer_sleef, avx2, "Sleef_expf8_u10avx2+Sleef_log1pf8_u10avx2; f64: _d4_u10avx2"),
#endif
#if defined(SP_PEER_HAVE_SLEEF_SSE41)
    PEER_ENTRY(peer_sleef, sse41, "Sleef_expf4_u10sse4+Sleef_log1pf4_u10sse4; f64: _d2_u10sse4"),
#endif
#if defined(SP_PEER_HAVE_SLEEF_SCALAR)
    PEER_ENTRY(peer_sleef, scalar, "Sleef_expf_u10+Sleef_log1pf_u10; f64: Sleef_exp_u10+Sleef_log1p_u10"),
#endif
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static const peer_entry mvec_entries[] = {
#if defined(SP_PEER_HAVE_MVEC_AVX512)
    PEER_ENTRY(peer_mvec, avx512, "_ZGVeN16v_expf+_ZGVeN16v_log1pf; f64: _ZGVeN8v_exp+_ZGVeN8v_log1p"),
#endif
#if defined(SP_PEER_HAVE_MVEC_AVX2)
    PEER_ENTRY(peer_mvec, avx2, "_ZGVdN8v_expf+_ZGVdN8v_log1pf; f64: _ZGVdN4v_exp+_ZGVdN4v_log1p"),
#endif
#if defined(SP_PEER_HAVE_MVEC_SSE41)
    PEER_ENTRY(peer_mvec, sse41, "_ZGVbN4v_expf+_ZGVbN4v_log1pf; f64: _ZGVbN2v_exp+_ZGVbN2v_log1p"),
#endif
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static void set_entry(candidate *c, const peer_entry *e, const char *family)
{
    c->fwd_f32 = e->fwd_f32;
    c->bwd_f32 = e->bwd_f32;
    c->fwd_f64 = e->fwd_f64;
    c->bwd_f64 = e->bwd_f64;
    snprintf(c->what, sizeof c->what, "%s %s", family, e->what);
}

static char dnnl_info[256] = "oneDNN: not installed (Debian: libdnnl-dev)";

static void build_candidates(void)
{
    for (int isa = SOFTPLUS_ISA_AVX512 + 1; isa-- > SOFTPLUS_ISA_SCALAR;) {
        if (!softplus_isa_supported((softplus_isa)isa))
            continue;
        candidate *c = add("ours", softplus_isa_name((softplus_isa)isa), NULL);
        c->ours = (softplus_isa)isa;
        snprintf(c->what, sizeof c->what, "libsoftplus %s public API; softplus_set_isa(%s)",
                 softplus_version_string(), c->isa);
        c->fwd_f32 = ours_fwd_f32;
        c->bwd_f32 = ours_bwd_f32;
        c->fwd_f64 = ours_fwd_f64;
        c->bwd_f64 = ours_bwd_f64;
    }
    /* the fast tier, f32 only (f64 is strict in both tiers), on the sets with fast kernels */
    static const softplus_isa fast_sets[] = {SOFTPLUS_ISA_AVX512, SOFTPLUS_ISA_AVX2, SOFTPLUS_ISA_NEON};
    for (size_t i = 0; i < sizeof fast_sets / sizeof fast_sets[0]; i++) {
        if (!softplus_isa_supported(fast_sets[i]))
            continue;
        candidate *c = add("ours_fast", softplus_isa_name(fast_sets[i]), NULL);
        c->ours = fast_sets[i];
        c->tier = SOFTPLUS_ACCURACY_FAST;
        snprintf(c->what, sizeof c->what, "libsoftplus %s public API; softplus_set_isa(%s), "
                 "softplus_set_accuracy(SOFTPLUS_ACCURACY_FAST)", softplus_version_string(), c->isa);
        c->fwd_f32 = ours_fwd_f32;
        c->bwd_f32 = ours_bwd_f32;
    }
    if (softplus_isa_supported(SOFTPLUS_ISA_NEON)) {
        candidate *c = add("ours", "neon", NULL);
        c->ours = SOFTPLUS_ISA_NEON;
        snprintf(c->what, sizeof c->what, "libsoftplus %s public API; softplus_set_isa(neon)",
                 softplus_version_string());
        c->fwd_f32 = ours_fwd_f32;
        c->bwd_f32 = ours_bwd_f32;
        c->fwd_f64 = ours_fwd_f64;
        c->bwd_f64 = ours_bwd_f64;
    }

    /* SLEEF, then libmvec: each width this build compiled, widest first. */
    for (const peer_entry *e = sleef_entries; e->isa; e++) {
        candidate *c = add("sleef", e->isa, cpu_lacks(e->isa));
        set_entry(c, e, "SLEEF");
    }
#if !defined(SP_PEER_SLEEF)
    add("sleef", "-", "not installed (Debian: libsleef-dev)");
#endif
    for (const peer_entry *e = mvec_entries; e->isa; e++) {
        candidate *c = add("libmvec", e->isa, cpu_lacks(e->isa));
        set_entry(c, e, "glibc libmvec via gcc -O3 -ffast-math:");
    }
#if !defined(SP_PEER_LIBMVEC)
    add("libmvec", "-", "not built (needs GCC and glibc >= 2.35 on x86-64)");
#endif
    {
        candidate *c = add("libm", "scalar", NULL);
        static const peer_entry libm = PEER_ENTRY(peer_libm, scalar, "expf+log1pf; f64: exp+log1p");
        set_entry(c, &libm, "glibc libm, no -ffast-math:");
    }

#if defined(SP_PEER_DNNL)
    {
        const int ok = peer_dnnl_init(dnnl_info, sizeof dnnl_info);
        candidate *c = add("onednn", ok ? peer_dnnl_isa() : "-", ok ? NULL : "cannot run here (see the oneDNN line)");
        c->fwd_f32 = peer_dnnl_fwd_f32;
        c->bwd_f32 = ok && peer_dnnl_has_backward() ? peer_dnnl_bwd_f32 : NULL;
        snprintf(c->what, sizeof c->what, "oneDNN eltwise soft_relu, forward %s, backward %s (f32 only)",
                 peer_dnnl_impl(0), peer_dnnl_has_backward() ? peer_dnnl_impl(1) : "none");
    }
#else
    add("onednn", "-", "not installed (Debian: libdnnl-dev)");
#endif
}

/* ---- timing ------------------------------------------------------------------------------------- */

typedef struct timing_policy {
    int min_reps, max_reps;
    double rep_seconds, cell_seconds;
} timing_policy;

static timing_policy policy;
static volatile double sink;
static int noisy_cells;

static double thread_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct job {
    const candidate *c;
    dtype dt;
    op_kind op;
    size_t n;
    void *x, *dy, *out;
} job;

static void run_once(const job *j)
{
    const candidate *c = j->c;
    const float b32 = (float)BENCH_BETA, t32 = (float)BENCH_THRESHOLD;
    if (j->dt == DT_F32) {
        if (j->op == OP_FWD)
            c->fwd_f32(j->n, j->x, j->out, b32, t32);
        else
            c->bwd_f32(j->n, j->dy, j->x, j->out, b32, t32);
    } else {
        if (j->op == OP_FWD)
            c->fwd_f64(j->n, j->x, j->out, BENCH_BETA, BENCH_THRESHOLD);
        else
            c->bwd_f64(j->n, j->dy, j->x, j->out, BENCH_BETA, BENCH_THRESHOLD);
    }
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct stats {
    double median, spread_pct; /* Gelem/s; half the min..max range as a percentage of the median */
    int reps;
} stats;

/* Calibration batches (which warm caches, predictors and the clock), then repetitions of `inner`
 * calls lasting about policy.rep_seconds each; a repetition whose thread CPU time falls short of its
 * wall time was preempted and is set aside, within a budget (bench_softplus's method). */
static stats measure(const job *j)
{
    enum { MAX_ATTEMPTS = 64 };
    double clean[MAX_ATTEMPTS], all[MAX_ATTEMPTS];
    int nclean = 0, nall = 0;
    if (j->c->ours) {
        softplus_set_isa(j->c->ours);
        softplus_set_accuracy(j->c->tier);
    }
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
    int min_reps = policy.min_reps;
    if (inner == 1 && dt > policy.cell_seconds / 4) {
        /* A call this long (the slow kernels at the DRAM size: seconds) streams in steady state from
         * its start: the warm-up counts as a repetition, and three make the median. */
        min_reps = 3;
        all[nall++] = (double)j->n / dt * 1e-9;
        if (dc >= 0.98 * dt)
            clean[nclean++] = all[nall - 1];
        start -= dt;
    } else if (dt < policy.rep_seconds) {
        inner = (size_t)((double)inner * policy.rep_seconds / dt) + 1;
    }
    for (;;) {
        const double elapsed = now_seconds() - start;
        if (nclean >= policy.max_reps || (nclean >= min_reps && elapsed >= policy.cell_seconds))
            break;
        if (nall >= MAX_ATTEMPTS || (nall >= min_reps && elapsed >= 4 * policy.cell_seconds))
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
    sink += j->dt == DT_F32 ? (double)((const float *)j->out)[j->n / 2] : ((const double *)j->out)[j->n / 2];
    double *v = clean;
    int n = nclean;
    if (nclean < min_reps) {
        v = all;
        n = nall;
        noisy_cells++;
    }
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    const double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    return (stats){med, 50.0 * (v[n - 1] - v[0]) / med, n};
}

/* ---- accuracy ----------------------------------------------------------------------------------- */

/* Every candidate's worst error for one dtype and op over the first acc_n inputs, in chunks: the
 * reference once per chunk, then each candidate on that chunk. */
static void measure_accuracy(dtype dt, op_kind op, const void *x, const void *dy, size_t acc_n)
{
    const size_t es = dt == DT_F32 ? sizeof(float) : sizeof(double);
    long double *want = malloc(ACC_CHUNK * sizeof *want), *want1 = malloc(ACC_CHUNK * sizeof *want1);
    void *out = malloc(ACC_CHUNK * es), *ones = malloc(ACC_CHUNK * es);
    if (!want || !want1 || !out || !ones) {
        fprintf(stderr, "bench_peers: out of memory for the accuracy pass\n");
        exit(1);
    }
    for (int k = 0; k < ncands; k++) {
        cands[k].acc[dt][op] = (accuracy){0};
        cands[k].acc[dt][op].max_ulp = cands[k].acc[dt][op].core_ulp = cands[k].acc[dt][op].dy1_ulp = -1;
    }
    for (size_t i = 0; i < ACC_CHUNK; i++) {
        if (dt == DT_F32)
            ((float *)ones)[i] = 1.0f;
        else
            ((double *)ones)[i] = 1.0;
    }
    for (size_t base = 0; base < acc_n; base += ACC_CHUNK) {
        const size_t m = acc_n - base < ACC_CHUNK ? acc_n - base : ACC_CHUNK;
        const float *xf = (const float *)x + base, *dyf = (const float *)dy + base;
        const double *xd = (const double *)x + base, *dyd = (const double *)dy + base;
        for (size_t i = 0; i < m; i++) {
            if (dt == DT_F32) {
                want[i] = op == OP_FWD ? ref_fwd_f32(xf[i]) : ref_bwd_f32(dyf[i], xf[i]);
                want1[i] = op == OP_FWD ? 0 : ref_bwd_f32(1.0f, xf[i]);
            } else {
                want[i] = op == OP_FWD ? ref_fwd_f64(xd[i]) : ref_bwd_f64(dyd[i], xd[i]);
                want1[i] = op == OP_FWD ? 0 : ref_bwd_f64(1.0, xd[i]);
            }
        }
        for (int k = 0; k < ncands; k++) {
            candidate *c = &cands[k];
            if (!has_op(c, dt, op))
                continue;
            if (c->ours) {
                softplus_set_isa(c->ours);
                softplus_set_accuracy(c->tier);
            }
            const job j = {c, dt, op, m, (void *)(dt == DT_F32 ? (const void *)xf : (const void *)xd),
                           (void *)(dt == DT_F32 ? (const void *)dyf : (const void *)dyd), out};
            run_once(&j);
            accuracy *a = &c->acc[dt][op];
            a->inputs += m;
            for (size_t i = 0; i < m; i++) {
                const double got = dt == DT_F32 ? (double)((const float *)out)[i] : ((const double *)out)[i];
                const double xi = dt == DT_F32 ? (double)xf[i] : xd[i];
                const double e = ulp_error(got, want[i], dt == DT_F32 ? 24 : 53, dt == DT_F32 ? -126 : -1022);
                if (e > a->max_ulp) {
                    a->max_ulp = e;
                    a->x = xi;
                    a->dy = op == OP_FWD ? NAN : dt == DT_F32 ? (double)dyf[i] : dyd[i];
                    a->got = got;
                    a->want = want[i];
                }
                if (fabs(xi) <= 20.0 && e > a->core_ulp) {
                    a->core_ulp = e;
                    a->core_x = xi;
                }
            }
            if (op == OP_FWD)
                continue;
            const job j1 = {c, dt, op, m, j.x, ones, out};
            run_once(&j1);
            for (size_t i = 0; i < m; i++) {
                const double got = dt == DT_F32 ? (double)((const float *)out)[i] : ((const double *)out)[i];
                const double e = ulp_error(got, want1[i], dt == DT_F32 ? 24 : 53, dt == DT_F32 ? -126 : -1022);
                if (e > a->dy1_ulp) {
                    a->dy1_ulp = e;
                    a->dy1_x = dt == DT_F32 ? (double)xf[i] : xd[i];
                }
            }
        }
    }
    free(want);
    free(want1);
    free(out);
    free(ones);
}

/* ---- tables and CSV ----------------------------------------------------------------------------- */

typedef struct options {
    int quick;
    int core_inputs; /* --inputs core */
    const char *csv_path;
    size_t sizes[MAX_SIZES];
    int nsizes;
    size_t acc_n; /* 0: the largest size */
} options;

/* Our best kernel set's rate at [dt][op][size] (rate_n1 when s < 0); its index into cands in *who. */
static double ours_best(dtype dt, op_kind op, int s, int *who)
{
    double best = 0;
    *who = -1;
    for (int k = 0; k < ncands; k++) {
        if (strcmp(cands[k].peer, "ours") != 0 || !has_op(&cands[k], dt, op))
            continue;
        const double r = s < 0 ? cands[k].rate_n1[dt][op] : cands[k].rate[dt][op][s];
        if (r > best) {
            best = r;
            *who = k;
        }
    }
    return best;
}

static void print_table(const options *o, dtype dt, op_kind op)
{
    printf("\n== %s %s == Gelem/s, median; (x) = / ours' best at that size; worst ULP: all inputs, those\n"
           "   with |x| <= 20%s\n",
           dtype_name[dt], op == OP_FWD ? "forward" : "backward",
           op == OP_BWD ? ", and all inputs with dy = 1 (the sigmoid's own error)" : "");
    printf("%-8s %-7s", "peer", "isa");
    for (int s = 0; s < o->nsizes; s++)
        printf(" %17zu", o->sizes[s]);
    printf(" %9s %9s%s\n", "ULP", "|x|<=20", op == OP_BWD ? "      dy=1" : "");
    for (int k = 0; k < ncands; k++) {
        const candidate *c = &cands[k];
        printf("%-8s %-7s", c->peer, c->isa);
        if (c->absent) {
            printf(" %s\n", c->absent);
            continue;
        }
        if (!has_op(c, dt, op)) {
            printf(" (no %s %s)\n", dtype_name[dt], op == OP_FWD ? "forward" : "backward");
            continue;
        }
        for (int s = 0; s < o->nsizes; s++) {
            int who;
            const double best = ours_best(dt, op, s, &who);
            printf(" %8.3f (%5.2fx)", c->rate[dt][op][s], best > 0 ? c->rate[dt][op][s] / best : NAN);
        }
        const accuracy *a = &c->acc[dt][op];
        printf(" %9.3g %9.3g", a->max_ulp, a->core_ulp);
        if (op == OP_BWD)
            printf(" %9.3g", a->dy1_ulp);
        printf("\n");
    }
    printf("worst cases (ULP: x, dy -> got, want):\n");
    for (int k = 0; k < ncands; k++) {
        const candidate *c = &cands[k];
        if (!has_op(c, dt, op))
            continue;
        const accuracy *a = &c->acc[dt][op];
        printf("  %-8s %-7s %9.4g ULP: x = %a", c->peer, c->isa, a->max_ulp, a->x);
        if (op == OP_BWD)
            printf(", dy = %a", a->dy);
        printf(" -> got %a, want %.21Lg; |x|<=20: x = %a", a->got, a->want, a->core_x);
        if (op == OP_BWD)
            printf("; dy=1: x = %a", a->dy1_x);
        printf("\n");
    }
    fflush(stdout);
}

static void print_n1_table(void)
{
    printf("\n== one element per call (n = 1): ns/call, median ==\n");
    printf("%-8s %-7s %8s %8s %8s %8s\n", "peer", "isa", "f32 fwd", "f32 bwd", "f64 fwd", "f64 bwd");
    for (int k = 0; k < ncands; k++) {
        const candidate *c = &cands[k];
        if (c->absent)
            continue;
        printf("%-8s %-7s", c->peer, c->isa);
        for (int cell = 0; cell < 4; cell++) {
            const dtype dt = cell < 2 ? DT_F32 : DT_F64;
            const op_kind op = cell % 2 ? OP_BWD : OP_FWD;
            if (has_op(c, dt, op))
                printf(" %8.1f", 1.0 / c->rate_n1[dt][op]);
            else
                printf(" %8s", "-");
        }
        printf("\n");
    }
}

/* What oneDNN says it runs (its implementation name), or the candidate's description. */
static const char *impl_of(const candidate *c, op_kind op)
{
#if defined(SP_PEER_DNNL)
    static char buf[2][160];
    if (strcmp(c->peer, "onednn") == 0 && !c->absent) {
        snprintf(buf[op], sizeof buf[op], "oneDNN %s eltwise soft_relu %s", op == OP_FWD ? "forward_inference" : "backward",
                 peer_dnnl_impl(op == OP_BWD));
        return buf[op];
    }
#else
    (void)op;
#endif
    return c->what;
}

static void csv_row(FILE *f, const candidate *c, dtype dt, op_kind op, size_t n, double rate, double spread,
                    int reps, int s)
{
    int who;
    const double best = ours_best(dt, op, s, &who);
    const accuracy *a = &c->acc[dt][op];
    const char *impl = impl_of(c, op);
    fprintf(f, "%s,%s,\"%s\",%s,%s,%zu,%.6g,%.6g,%.6g,%s,%d,%.3g,", c->peer, c->isa, impl, dtype_name[dt],
            op_name[op], n, rate, (double)n / rate, best > 0 ? rate / best : NAN,
            who >= 0 ? cands[who].isa : "", reps, spread);
    if (a->inputs)
        fprintf(f, "%.6g,%zu,%a,%a,%a,%.21Lg,%.6g,%a,", a->max_ulp, a->inputs, a->x, op == OP_BWD ? a->dy : NAN,
                a->got, a->want, a->core_ulp, a->core_x);
    else
        fprintf(f, ",,,,,,,,");
    if (a->inputs && op == OP_BWD)
        fprintf(f, "%.6g,%a\n", a->dy1_ulp, a->dy1_x);
    else
        fprintf(f, ",\n");
}

/* ---- main --------------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_peers [--quick] [--inputs mix|core] [--csv FILE] [--sizes N,N,...] [--acc N]\n"
               "  --quick         sizes 4096,65536 only (no DRAM size), fewer repetitions\n"
               "  --inputs core   x uniform in [-20,20] only, without the log-uniform tail (default: mix)\n"
               "  --csv FILE      write the rows (format: bench/peers/README.md)\n"
               "  --sizes N,...   element counts to time (default 4096,65536,33554432)\n"
               "  --acc N         measure accuracy over the first N inputs (default: the largest size)\n");
}

static size_t parse_count(const char *s, const char *what)
{
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || (*end && *end != ',') || v == 0 || v > ((size_t)1 << 32)) {
        fprintf(stderr, "bench_peers: %s wants element counts in 1..2^32\n", what);
        exit(2);
    }
    return (size_t)v;
}

static options parse(int argc, char **argv)
{
    options o = {0};
    int sizes_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) {
            o.quick = 1;
        } else if (strcmp(a, "--inputs") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "core") != 0 && strcmp(v, "mix") != 0) {
                fprintf(stderr, "bench_peers: --inputs is mix or core\n");
                exit(2);
            }
            o.core_inputs = strcmp(v, "core") == 0;
        } else if (strcmp(a, "--csv") == 0 && i + 1 < argc) {
            o.csv_path = argv[++i];
        } else if (strcmp(a, "--sizes") == 0 && i + 1 < argc) {
            const char *p = argv[++i];
            o.nsizes = 0;
            sizes_given = 1;
            for (;;) {
                if (o.nsizes == MAX_SIZES) {
                    fprintf(stderr, "bench_peers: at most %d sizes\n", MAX_SIZES);
                    exit(2);
                }
                o.sizes[o.nsizes++] = parse_count(p, "--sizes");
                p = strchr(p, ',');
                if (!p)
                    break;
                p++;
            }
        } else if (strcmp(a, "--acc") == 0 && i + 1 < argc) {
            o.acc_n = parse_count(argv[++i], "--acc");
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            usage(stderr);
            exit(2);
        }
    }
    if (!sizes_given) {
        o.sizes[o.nsizes++] = 4096;
        o.sizes[o.nsizes++] = 65536;
        if (!o.quick)
            o.sizes[o.nsizes++] = (size_t)32 << 20;
    }
    return o;
}

static void *alloc_array(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

/* oneDNN runs on OpenMP here, and libgomp reads OMP_NUM_THREADS once, when it is loaded: set it and
 * start again, so oneDNN runs one thread as every other candidate does. */
static void single_threaded_openmp(char **argv)
{
#if defined(SP_PEER_DNNL)
    const char *v = getenv("OMP_NUM_THREADS");
    if (v && strcmp(v, "1") == 0)
        return;
    setenv("OMP_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "bench_peers: could not re-execute with OMP_NUM_THREADS=1 (%s); oneDNN may use more "
                    "than one thread\n", strerror(errno));
#else
    (void)argv;
#endif
}

int main(int argc, char **argv)
{
    single_threaded_openmp(argv);
    const options o = parse(argc, argv);
    policy = o.quick ? (timing_policy){3, 5, 1e-3, 0.02} : (timing_policy){5, 11, 2e-3, 0.25};
    FILE *csv = NULL;
    if (o.csv_path && !(csv = fopen(o.csv_path, "w"))) {
        perror(o.csv_path);
        return 2;
    }
    const double t_start = now_seconds(), load_before = load_average();
    size_t max_n = 0;
    for (int s = 0; s < o.nsizes; s++)
        if (o.sizes[s] > max_n)
            max_n = o.sizes[s];
    const size_t acc_n = o.acc_n ? o.acc_n : max_n;
    const size_t cap = acc_n > max_n ? acc_n : max_n;

    char model[128];
    cpu_model(model, sizeof model);
    const int cpu = pin_to_current_cpu();
    build_candidates();

    printf("libsoftplus %s beside its peers%s\n", softplus_version_string(), o.quick ? " (--quick)" : "");
    printf("cpu: %s; %s %d; load average %.2f\n", model, cpu >= 0 ? "pinned to CPU" : "not pinned, CPU", cpu,
           load_before);
#if defined(__x86_64__) || defined(__i386__)
    const unsigned csr = _mm_getcsr();
    printf("MXCSR 0x%04x: FTZ %s, DAZ %s (every candidate runs in this mode)\n", csr, csr & 0x8000 ? "on" : "off",
           csr & 0x0040 ? "on" : "off");
#endif
    printf("%s\n", dnnl_info);
    if (o.core_inputs)
        printf("params: beta %g, threshold %g; inputs (--inputs core): x uniform [-20,20]; dy uniform [-1,1];\n"
               "  counter-based generator, seed 0x%016llx\n", BENCH_BETA, BENCH_THRESHOLD,
               (unsigned long long)BENCH_SEED);
    else
        printf("params: beta %g, threshold %g; inputs: x 90%% uniform [-20,20], 10%% +-(1+u)*2^k, k uniform in "
               "-20..7\n  (|x| in [2^-20, 2^8)); dy uniform [-1,1]; counter-based generator, seed 0x%016llx\n",
               BENCH_BETA, BENCH_THRESHOLD, (unsigned long long)BENCH_SEED);
    printf("method: Gelem/s = 1e9 elements/s, median of %d..%d repetitions of ~%.0f ms on one pinned CPU;\n"
           "  accuracy over the first %zu inputs against double (f32) / long double (f64) references\n",
           policy.min_reps, policy.max_reps, policy.rep_seconds * 1e3, acc_n);
    printf("candidates:\n");
    for (int k = 0; k < ncands; k++)
        printf("  %-8s %-7s %s\n", cands[k].peer, cands[k].isa, cands[k].absent ? cands[k].absent : cands[k].what);
    fflush(stdout);

    /* Let the core reach its steady clock before the first cell. */
    {
        float w[1024];
        for (size_t i = 0; i < 1024; i++)
            w[i] = (float)i * 0x1p-6f - 8.0f;
        const double until = now_seconds() + (o.quick ? 0.02 : 0.2);
        while (now_seconds() < until)
            peer_libm_fwd_f32_scalar(1024, w, w, 1.0f, 20.0f);
        sink += w[7];
    }

    for (int d = 0; d < 2; d++) {
        const dtype dt = (dtype)d;
        const size_t es = dt == DT_F32 ? sizeof(float) : sizeof(double);
        void *x = alloc_array(cap * es), *dy = alloc_array(cap * es), *out = alloc_array(cap * es);
        if (!x || !dy || !out) {
            fprintf(stderr, "bench_peers: cannot allocate 3 x %zu MiB (use --sizes / --acc)\n", cap * es >> 20);
            return 1;
        }
        for (size_t i = 0; i < cap; i++) {
            const double xv = input_x(i, o.core_inputs), dv = input_dy(i);
            if (dt == DT_F32) {
                ((float *)x)[i] = (float)xv;
                ((float *)dy)[i] = (float)dv;
            } else {
                ((double *)x)[i] = xv;
                ((double *)dy)[i] = dv;
            }
        }
        memset(out, 0, cap * es); /* fault the pages in before any timing */
        printf("\n%s inputs digest:", dtype_name[dt]);
        for (int s = 0; s < o.nsizes; s++)
            printf(" n=%zu %016llx", o.sizes[s], (unsigned long long)digest(x, dy, o.sizes[s], dt == DT_F32));
        printf(" (bench_torch.py prints the same)\n");
        for (int opi = 0; opi < 2; opi++) {
            const op_kind op = (op_kind)opi;
            for (int s = 0; s < o.nsizes; s++)
                for (int k = 0; k < ncands; k++) {
                    candidate *c = &cands[k];
                    if (!has_op(c, dt, op))
                        continue;
                    const job j = {c, dt, op, o.sizes[s], x, dy, out};
                    const stats st = measure(&j);
                    c->rate[dt][op][s] = st.median;
                    c->spread[dt][op][s] = st.spread_pct;
                    c->reps[dt][op][s] = st.reps;
                }
            measure_accuracy(dt, op, x, dy, acc_n);
            print_table(&o, dt, op);
        }
        /* One element per call, on the first input. */
        for (int opi = 0; opi < 2; opi++)
            for (int k = 0; k < ncands; k++) {
                candidate *c = &cands[k];
                if (!has_op(c, dt, (op_kind)opi))
                    continue;
                const job j = {c, dt, (op_kind)opi, 1, x, dy, out};
                c->rate_n1[dt][opi] = measure(&j).median;
            }
        free(x);
        free(dy);
        free(out);
    }
    softplus_set_isa(SOFTPLUS_ISA_AUTO);
    print_n1_table();

    if (csv) {
        fprintf(csv, "peer,isa,impl,dtype,op,size,gelem_s,ns_per_call,ratio_to_ours_best,ours_best_isa,reps,"
                     "spread_pct,max_ulp,ulp_inputs,worst_x,worst_dy,worst_got,worst_want,core_max_ulp,core_worst_x,"
                     "dy1_max_ulp,dy1_worst_x\n");
        for (int d = 0; d < 2; d++)
            for (int opi = 0; opi < 2; opi++)
                for (int k = 0; k < ncands; k++) {
                    const candidate *c = &cands[k];
                    if (!has_op(c, (dtype)d, (op_kind)opi))
                        continue;
                    for (int s = 0; s < o.nsizes; s++)
                        csv_row(csv, c, (dtype)d, (op_kind)opi, o.sizes[s], c->rate[d][opi][s], c->spread[d][opi][s],
                                c->reps[d][opi][s], s);
                    csv_row(csv, c, (dtype)d, (op_kind)opi, 1, c->rate_n1[d][opi], NAN, 0, -1);
                }
        if (fclose(csv) != 0) {
            perror(o.csv_path);
            return 1;
        }
    }
    const double wall = now_seconds() - t_start;
    printf("\ndone in %.1f s; load average %.2f before, %.2f after\n", wall, load_before, load_average());
    if (noisy_cells)
        printf("warning: %d cells had fewer than %d repetitions free of preemption: other processes competed\n"
               "  for this CPU; rerun on a quiet machine\n", noisy_cells, policy.min_reps);
    return 0;
}

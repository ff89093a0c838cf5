/* ulp_sweep.c -- checks every compiled kernel this CPU runs against the reference over all (or every
 * N-th of the) 2^32 float inputs, or over a long stream of double inputs, in one pass.
 * SPDX-License-Identifier: MIT
 *
 *   ulp_sweep [--beta B] [--threshold T]... [--step N] [--isa NAME]... [--op NAME[:K]]... [--threads N]
 *   ulp_sweep --f64 [--count N] [--seed S] [--beta B] [--threshold T]... [--isa NAME]... [--op NAME[:K]]...
 *
 * The inputs are cut into blocks; a thread takes the next block, computes the reference for it once
 * (softplus, sigmoid and the rounded product beta*x that decides the threshold rule) and runs every
 * kernel and op of src/lists.h (a multiplier of 1 where the op has one), for every threshold on it; --op
 * limits the ops, and NAME:K checks that one on every K-th input only (its reference is then computed
 * for those alone). A kernel whose results of a block are bit-identical to those of the tier's kernel
 * before it (AVX-512 and AVX2) takes that one's stat for the block (twin_of). Each (kernel, op, threshold) keeps
 * its worst error with the input that shows it and how many results are over 0.5 ULP and over the
 * kernel's bound (SP_MAX_ULP_*, see ulp.h for how errors are measured). The exit status is 1 when any
 * kernel exceeds its bound anywhere, 2 for a usage error, else 0.
 *
 * Defaults: beta = 1, thresholds +inf and 20 (see FAR_SAMPLE for what a finite one's run checks), step 1
 * (all 2^32 floats), 2 threads, f64 count 10^8. With --step N input i is the bit pattern
 * i*N + (i*0x9e3779b1 mod N): every N-th pattern, jittered so that the low significand bits still vary.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ulp.h"

enum { BLOCK = 1 << 14, MAX_THRESHOLDS = 4, MAX_KERNELS = ULP_MAX_KERNELS, MAX_THREADS = 64, OPS = SP_OP_COUNT };

#define OP_NAME(ctx, tag, TAG, public, inputs) [SP_OP_##TAG] = #tag,
static const char *const op_names[OPS] = {SP_OPS(OP_NAME, ~)};

/* One (kernel, op, threshold): its worst error and the first input that shows it. */
typedef struct sweep_stat {
    double worst;        /* INFINITY after a NaN, infinity or linear-branch mismatch */
    uint64_t index;      /* input index of the worst (lowest index among equals) */
    uint64_t x_bits;
    uint64_t got_bits;
    long double want;
    uint64_t over_half;  /* results more than 0.5 ULP off */
    uint64_t over_bound; /* results over the kernel's bound */
    int seen;
    /* zero results with the wrong sign, counted apart (and measured as the right zero above) */
    uint64_t sign_wrong;
    uint64_t sign_index, sign_x_bits, sign_got_bits;
    long double sign_want;
} sweep_stat;

typedef struct config {
    int f64;
    double beta;
    double thresholds[MAX_THRESHOLDS];
    int threshold_count;
    uint64_t step;
    uint64_t count;   /* inputs */
    uint64_t seed;
    int threads;
    const char *isas[MAX_KERNELS];
    int isa_count;
    /* the ops checked, and each one's sub-step: every op_step[op]-th input of the sweep (0: not checked) */
    uint64_t op_step[OPS];
    /* the kernel files to run (ulp.h) */
    ulp_kernel kernels[MAX_KERNELS];
    int kernel_count;
    int twin[MAX_KERNELS][OPS]; /* twin_of, or -1 */
    atomic_uint_fast64_t next_block;
} config;

/* One f32 op's inputs in a block, compacted to every op_step-th input (index i of input first + i*step),
 * with what checking a result needs: the rounded product beta*x that decides the threshold rule, the
 * linear branch's value, the reference and its 1/ulp (f32_error_scale). */
typedef struct f32_op_block {
    float x[BLOCK], zf[BLOCK], linear_value[BLOCK];
    double ref[BLOCK], scale[BLOCK];
} f32_op_block;

/* A thread's block buffers: inputs, each kernel's outputs, dy = 1, the rounded products and the references. */
typedef struct buffers {
    union { float f32[BLOCK]; double f64[BLOCK]; } x, ones, zf, xs; /* xs: every op_step-th x */
    union { float f32[BLOCK]; double f64[BLOCK]; } out[MAX_KERNELS];
    long double ref[OPS][BLOCK]; /* f64 */
    f32_op_block f32_ops[OPS], f32_far; /* f32_far: every FAR_SAMPLE-th of one op's, far below a threshold */
} buffers;

typedef struct worker {
    config *cfg;
    pthread_t thread;
    buffers *buf;
    sweep_stat stats[MAX_KERNELS][OPS][MAX_THRESHOLDS];
    /* set once a kernel's results differ in some block from those of its twin (twin_of) */
    unsigned char differs[MAX_KERNELS][OPS][MAX_THRESHOLDS];
} worker;

/* The kernel before k of the same tier that runs op, or -1. The FMA kernels of a tier return the same
 * bits (AVX2, AVX-512: tests/accuracy/test_digest.c), so with their results compared first (memcmp, a
 * fraction of checking them) a block whose results equal the twin's takes the twin's stat, which is then
 * exactly what checking them would give: it was, up to this block, and the same results change it alike. */
static int twin_of(const config *cfg, int k, int op)
{
    for (int j = k - 1; j >= 0; j--)
        if (cfg->kernels[j].tier == cfg->kernels[k].tier && ulp_kernel_owns(&cfg->kernels[j], op))
            return j;
    return -1;
}

/* Whether kernel k's results of this block for (op, threshold t) are its twin's, so that its stat is the
 * twin's; once a block differs, never again (its stat has gone its own way). */
static int same_as_twin(worker *w, int k, sp_op op, int t, size_t bytes)
{
    const int j = w->cfg->twin[k][op];
    if (j < 0 || w->differs[k][op][t] || memcmp(&w->buf->out[k], &w->buf->out[j], bytes) != 0) {
        w->differs[k][op][t] = 1;
        return 0;
    }
    w->stats[k][op][t] = w->stats[j][op][t];
    return 1;
}

static void note(sweep_stat *s, double err, double bound, uint64_t index, uint64_t x_bits, uint64_t got_bits,
                 long double want)
{
    if (err > 0.5)
        s->over_half++;
    if (err > bound)
        s->over_bound++;
    if (!s->seen || err > s->worst || (err == s->worst && index < s->index)) {
        s->seen = 1;
        s->worst = err;
        s->index = index;
        s->x_bits = x_bits;
        s->got_bits = got_bits;
        s->want = want;
    }
}

static void note_sign(sweep_stat *s, uint64_t index, uint64_t x_bits, uint64_t got_bits, long double want)
{
    if (s->sign_wrong++ == 0 || index < s->sign_index) {
        s->sign_index = index;
        s->sign_x_bits = x_bits;
        s->sign_got_bits = got_bits;
        s->sign_want = want;
    }
}

static void merge(sweep_stat *into, const sweep_stat *from)
{
    into->over_half += from->over_half;
    into->over_bound += from->over_bound;
    if (from->sign_wrong && (!into->sign_wrong || from->sign_index < into->sign_index)) {
        into->sign_index = from->sign_index;
        into->sign_x_bits = from->sign_x_bits;
        into->sign_got_bits = from->sign_got_bits;
        into->sign_want = from->sign_want;
    }
    into->sign_wrong += from->sign_wrong;
    if (from->seen &&
        (!into->seen || from->worst > into->worst || (from->worst == into->worst && from->index < into->index))) {
        into->seen = 1;
        into->worst = from->worst;
        into->index = from->index;
        into->x_bits = from->x_bits;
        into->got_bits = from->got_bits;
        into->want = from->want;
    }
}

static uint64_t f32_input_count(uint64_t step)
{
    return ((1ull << 32) + step - 1) / step;
}

static uint32_t f32_pattern(uint64_t i, uint64_t step)
{
    const uint64_t p = i * step + (step > 1 ? (i * 0x9e3779b1u) % step : 0);
    return (uint32_t)(p < (1ull << 32) ? p : i * step);
}

static double f64_near_threshold(const config *cfg)
{
    for (int t = 0; t < cfg->threshold_count; t++)
        if (isfinite(cfg->thresholds[t]))
            return cfg->thresholds[t];
    return INFINITY;
}


/* 1/ulp(ref) of the f32 format at a finite ref (a power of two, so |got - ref| * scale is ulp_error_f32's
 * |got - ref| / ulp exactly), NaN at an infinite or NaN one. */
static double f32_error_scale(double ref)
{
    if (!isfinite(ref))
        return NAN;
    int e = (int)((bits_f64(ref) >> 52) & 0x7ff) - 1023;
    if (e < FLT_MIN_EXP - 1)
        e = FLT_MIN_EXP - 1; /* below 2^-126 the f32 ulp stays 2^-149 */
    return f64_from_bits((uint64_t)(-(e - (FLT_MANT_DIG - 1)) + 1023) << 52);
}

/* Result i of a kernel's block, checked in full (ulp_check_f32 and the zero-sign rule) and noted. */
static void f32_check_one(sweep_stat *s, const f32_op_block *b, size_t i, float got, float threshold, double bound,
                          uint64_t index)
{
    const int linear = b->zf[i] > threshold;
    const double want = linear ? (double)b->linear_value[i] : b->ref[i];
    double err = ulp_check_f32(got, want, linear);
    if (!linear && ulp_zero_sign_wrong_f32(got, want)) {
        note_sign(s, index, bits_f32(b->x[i]), bits_f32(got), want);
        err = ulp_error_f32(-got, want);
    }
    if (err > 0.5 || err >= s->worst || !s->seen)
        note(s, err, bound, index, bits_f32(b->x[i]), bits_f32(got), want);
}

/* The 2^34-odd checks of a full sweep: a result's error is |got - ref| * scale or 0 (an exact linear result),
 * computed branch-free, and NaN where it needs f32_check_one (a wrong linear result, an infinite or NaN
 * result or reference, a zero of the wrong sign); only errors that would change the stat go further: over
 * the worst so far (an error equal to the worst changes nothing, as a worker's indices only grow) to
 * f32_check_one, others over 0.5 to the counts. */
static void f32_check_block(sweep_stat *s, const f32_op_block *b, const float *y, size_t m, float threshold,
                            double bound, uint64_t first, uint64_t step)
{
    double settled = s->seen ? fmin(s->worst, 0.5) : -INFINITY; /* errors up to this change nothing */
    for (size_t i = 0; i < m; i++) {
        const uint32_t yb = bits_f32(y[i]);
        const int linear = b->zf[i] > threshold;
        const int exact = yb == bits_f32(b->linear_value[i]);
        const int zero_sign = (yb << 1) == 0 && (yb >> 31) != (uint32_t)(bits_f64(b->ref[i]) >> 63);
        const double e = fabs((double)y[i] - b->ref[i]) * b->scale[i];
        const double err = linear ? (exact ? 0.0 : NAN) : (zero_sign ? NAN : e);
        if (err <= settled)
            continue;
        if (s->seen && err <= s->worst) { /* over 0.5, not over the worst: only the counts change */
            s->over_half++;
            s->over_bound += err > bound;
            continue;
        }
        f32_check_one(s, b, i, y[i], threshold, bound, first + i * step);
        settled = fmin(s->worst, 0.5);
    }
}

/* A finite threshold changes a result only where fl(beta*x) > threshold, and the run with +inf checks every
 * input: so where +inf is among the thresholds, a finite one's run takes every FAR_SAMPLE-th input of a
 * block (of an op's inputs) none of which comes within |threshold|/2 + 1 of it, and every input of the
 * others (the linear branch, the switch and well beyond, NaN). About 3/4 of all floats are that far below
 * 20, so the beta = 1 sweep runs 0.6x the kernel calls. */
enum { FAR_SAMPLE = 16 };

static int far_below(const f32_op_block *b, size_t m, double threshold)
{
    const float reach = (float)(threshold - fabs(threshold) / 2 - 1);
    int near = 0;
    for (size_t i = 0; i < m; i++)
        near |= !(b->zf[i] <= reach);
    return !near;
}

static void sweep_block_f32(worker *w, uint64_t first, size_t n)
{
    const config *cfg = w->cfg;
    const float beta = (float)cfg->beta;
    float *ones = w->buf->ones.f32;
    int has_inf = 0;
    for (int t = 0; t < cfg->threshold_count; t++)
        has_inf |= cfg->thresholds[t] == INFINITY;
    for (int op = 0; op < OPS; op++) {
        const uint64_t st = cfg->op_step[op];
        if (!st)
            continue;
        f32_op_block *b = &w->buf->f32_ops[op];
        for (size_t i = 0; i * st < n; i++) {
            const float x = f32_from_bits(f32_pattern(first + i * st, cfg->step));
            b->x[i] = x;
            b->zf[i] = (float)((double)beta * (double)x);
            b->linear_value[i] = (float)ref_linear_value((sp_op)op, x, 1.0);
            b->ref[i] = ref_curve_f32((sp_op)op, x, beta);
            b->scale[i] = f32_error_scale(b->ref[i]);
            ones[i] = 1.0f;
        }
    }
    for (int t = 0; t < cfg->threshold_count; t++) {
        const sp_params_f32 p = {beta, (float)cfg->thresholds[t]};
        for (int op = 0; op < OPS; op++) {
            if (!cfg->op_step[op])
                continue;
            const f32_op_block *b = &w->buf->f32_ops[op];
            size_t st = (size_t)cfg->op_step[op], m = (n + st - 1) / st;
            if (has_inf && isfinite(cfg->thresholds[t]) && far_below(b, m, cfg->thresholds[t])) {
                f32_op_block *far = &w->buf->f32_far;
                size_t k = 0;
                for (size_t i = 0; i < m; i += FAR_SAMPLE, k++) {
                    far->x[k] = b->x[i];
                    far->zf[k] = b->zf[i];
                    far->linear_value[k] = b->linear_value[i];
                    far->ref[k] = b->ref[i];
                    far->scale[k] = b->scale[i];
                }
                b = far;
                m = k;
                st *= FAR_SAMPLE;
            }
            for (int k = 0; k < cfg->kernel_count; k++) {
                const ulp_kernel *kern = &cfg->kernels[k];
                if (!ulp_kernel_owns(kern, (sp_op)op))
                    continue;
                float *y = w->buf->out[k].f32;
                void *const ptrs[3] = {y, ulp_op_inputs((sp_op)op) == 2 ? (void *)ones : (void *)b->x, (void *)b->x};
                kern->op[op]->run(m, ptrs, &p);
                if (!same_as_twin(w, k, (sp_op)op, t, m * sizeof *y))
                    f32_check_block(&w->stats[k][op][t], b, y, m, p.threshold, ulp_bound(kern->op[op], beta), first,
                                    st);
            }
        }
    }
}

static void sweep_block_f64(worker *w, uint64_t first, size_t n)
{
    const config *cfg = w->cfg;
    const double beta = cfg->beta;
    const double near = f64_near_threshold(cfg);
    double *x = w->buf->x.f64, *ones = w->buf->ones.f64, *zf = w->buf->zf.f64;
    for (size_t j = 0; j < n; j++) {
        x[j] = ulp_sample_f64(cfg->seed, first + j, beta, near);
        ones[j] = 1.0;
        for (int op = 0; op < OPS; op++)
            if (cfg->op_step[op] && j % cfg->op_step[op] == 0)
                w->buf->ref[op][j] = ref_curve_f64((sp_op)op, x[j], beta);
        zf[j] = beta * x[j];
    }
    for (int t = 0; t < cfg->threshold_count; t++) {
        const sp_params_f64 p = {beta, cfg->thresholds[t]};
        for (int op = 0; op < OPS; op++) {
            if (!cfg->op_step[op])
                continue;
            const size_t st = (size_t)cfg->op_step[op], m = (n + st - 1) / st;
            double *in = x;
            if (st > 1) {
                in = w->buf->xs.f64;
                for (size_t i = 0; i < m; i++)
                    in[i] = x[i * st];
            }
            const long double *ref = w->buf->ref[op];
            for (int k = 0; k < cfg->kernel_count; k++) {
                const ulp_kernel *kern = &cfg->kernels[k];
                if (!ulp_kernel_owns(kern, (sp_op)op))
                    continue;
                const double bound = ulp_bound(kern->op[op], beta);
                double *y = w->buf->out[k].f64;
                void *const ptrs[3] = {y, ulp_op_inputs((sp_op)op) == 2 ? (void *)ones : (void *)in, in};
                kern->op[op]->run(m, ptrs, &p);
                if (same_as_twin(w, k, (sp_op)op, t, m * sizeof *y))
                    continue;
                sweep_stat *s = &w->stats[k][op][t];
                for (size_t i = 0; i < m; i++) {
                    const size_t j = i * st;
                    const int linear = zf[j] > p.threshold;
                    const long double want = linear ? (long double)ref_linear_value((sp_op)op, x[j], 1.0) : ref[j];
                    double err = ulp_check_f64(y[i], want, linear);
                    if (!linear && ulp_zero_sign_wrong_f64(y[i], want)) {
                        note_sign(s, first + j, bits_f64(x[j]), bits_f64(y[i]), want);
                        err = ulp_error_f64(-y[i], want);
                    }
                    if (err > 0.5 || err >= s->worst || !s->seen)
                        note(s, err, bound, first + j, bits_f64(x[j]), bits_f64(y[i]), want);
                }
            }
        }
    }
}

static void *work(void *arg)
{
    worker *w = arg;
    config *cfg = w->cfg;
    const uint64_t blocks = (cfg->count + BLOCK - 1) / BLOCK;
    for (;;) {
        const uint64_t b = atomic_fetch_add_explicit(&cfg->next_block, 1, memory_order_relaxed);
        if (b >= blocks)
            break;
        const uint64_t first = b * BLOCK;
        const size_t n = (size_t)(cfg->count - first < BLOCK ? cfg->count - first : BLOCK);
        if (cfg->f64)
            sweep_block_f64(w, first, n);
        else
            sweep_block_f32(w, first, n);
    }
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ulp_sweep [--beta B] [--threshold T]... [--step N] [--isa NAME]... [--threads N]\n"
            "       ulp_sweep --f64 [--count N] [--seed S] [--beta B] [--threshold T]... [--isa NAME]...\n"
            "  --beta B       finite, non-zero (default 1)\n"
            "  --threshold T  repeatable, at most %d, 'inf' allowed (default: inf and 20)\n"
            "  --step N       f32: every N-th bit pattern of the 2^32 (default 1: all)\n"
            "  --f64          sweep double inputs instead (see ulp_sample_f64 in tests/ulp.h)\n"
            "  --count N      f64: number of inputs (default 100000000)\n"
            "  --seed S       f64: input stream (default 1)\n"
            "  --isa NAME     only the kernels of this ISA (repeatable; default: all this CPU runs)\n"
            "  --op NAME[:K]  only this op (fwd, bwd, dbwd, inv, bbeta; repeatable; default: all), checked on\n"
            "                 every K-th input of the sweep (K a power of two up to 16384; default 1)\n"
            "  --threads N    worker threads (default 2)\n",
            MAX_THRESHOLDS);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end); /* accepts 1e8 as well as 100000000 */
    if (errno || *end || !(v >= 1.0) || v > 0x1p63 || v != floor(v))
        return 0;
    *out = (uint64_t)v;
    return 1;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    /* strtod reports ERANGE for a subnormal result too: that one is a valid beta or threshold */
    const int subnormal = errno == ERANGE && *out != 0.0 && fabs(*out) < DBL_MIN;
    return (!errno || subnormal) && *end == '\0' && end != s;
}

/* NAME or NAME:K for --op: the first --op drops the default (every op, every input). */
static int parse_op(const char *v, config *cfg)
{
    static int explicit_ops;
    if (!explicit_ops) {
        explicit_ops = 1;
        memset(cfg->op_step, 0, sizeof cfg->op_step);
    }
    const char *colon = strchr(v, ':');
    const size_t len = colon ? (size_t)(colon - v) : strlen(v);
    uint64_t k = 1;
    if (colon && (!parse_u64(colon + 1, &k) || k > BLOCK || (k & (k - 1))))
        return 0;
    for (int op = 0; op < OPS; op++)
        if (strlen(op_names[op]) == len && strncmp(v, op_names[op], len) == 0) {
            cfg->op_step[op] = k;
            return 1;
        }
    return 0;
}

static int parse_args(int argc, char **argv, config *cfg)
{
    for (int op = 0; op < OPS; op++)
        cfg->op_step[op] = 1;
    cfg->beta = 1.0;
    cfg->step = 1;
    cfg->count = 100000000u;
    cfg->seed = 1;
    cfg->threads = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (strcmp(a, "--f64") == 0) {
            cfg->f64 = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (!v) {
            fprintf(stderr, "ulp_sweep: %s needs a value\n", a);
            return 0;
        }
        i++;
        if (strcmp(a, "--beta") == 0) {
            if (!parse_double(v, &cfg->beta) || !isfinite(cfg->beta) || cfg->beta == 0.0) {
                fprintf(stderr, "ulp_sweep: bad beta '%s'\n", v);
                return 0;
            }
        } else if (strcmp(a, "--threshold") == 0) {
            double t;
            if (!parse_double(v, &t) || isnan(t) || cfg->threshold_count == MAX_THRESHOLDS) {
                fprintf(stderr, "ulp_sweep: bad or too many thresholds at '%s'\n", v);
                return 0;
            }
            cfg->thresholds[cfg->threshold_count++] = t;
        } else if (strcmp(a, "--step") == 0 && parse_u64(v, &u) && u <= (1ull << 32)) {
            cfg->step = u;
        } else if (strcmp(a, "--count") == 0 && parse_u64(v, &u)) {
            cfg->count = u;
        } else if (strcmp(a, "--seed") == 0 && parse_u64(v, &u)) {
            cfg->seed = u;
        } else if (strcmp(a, "--op") == 0 && parse_op(v, cfg)) {
            continue;
        } else if (strcmp(a, "--threads") == 0 && parse_u64(v, &u) && u <= MAX_THREADS) {
            cfg->threads = (int)u;
        } else if (strcmp(a, "--isa") == 0 && cfg->isa_count < MAX_KERNELS) {
            cfg->isas[cfg->isa_count++] = v;
        } else {
            fprintf(stderr, "ulp_sweep: bad option or value: %s %s\n", a, v);
            return 0;
        }
    }
    if (cfg->threshold_count == 0) {
        cfg->thresholds[cfg->threshold_count++] = INFINITY;
        cfg->thresholds[cfg->threshold_count++] = 20.0;
    }
    if (!cfg->f64) {
        /* the f32 kernels take a float beta: 7.3 means 7.3f */
        cfg->beta = (float)cfg->beta;
        if (!isfinite(cfg->beta) || cfg->beta == 0.0) {
            fprintf(stderr, "ulp_sweep: beta is 0 or infinite as a float\n");
            return 0;
        }
    }
    if (!cfg->f64)
        cfg->count = f32_input_count(cfg->step);
    return 1;
}

static int wanted(const config *cfg, const char *name)
{
    if (cfg->isa_count == 0)
        return 1;
    for (int i = 0; i < cfg->isa_count; i++)
        if (strcmp(cfg->isas[i], name) == 0)
            return 1;
    return 0;
}

static void select_kernels(config *cfg)
{
    ulp_kernel all[ULP_MAX_KERNELS];
    const size_t total = ulp_kernels(cfg->f64 ? SP_DTYPE_F64 : SP_DTYPE_F32, all);
    for (size_t k = 0; k < total && cfg->kernel_count < MAX_KERNELS; k++) {
        const char *name = all[k].name;
        const softplus_isa isa = all[k].isa;
        if (!wanted(cfg, name))
            continue;
        if (!ulp_isa_runnable(isa)) {
            printf("  %-11s skipped: this CPU does not run %s\n", name, softplus_isa_name(isa));
            continue;
        }
        cfg->kernels[cfg->kernel_count++] = all[k];
    }
    for (int k = 0; k < cfg->kernel_count; k++)
        for (int op = 0; op < OPS; op++)
            cfg->twin[k][op] = twin_of(cfg, k, op);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int report(const config *cfg, sweep_stat (*stats)[OPS][MAX_THRESHOLDS])
{
    int failed = 0;
    printf("%-11s %-5s %9s %12s  %-16s %-16s %-26s %12s %12s %6s\n", "kernel", "op", "threshold", "worst ULP",
           "at x", "got", "want", ">0.5 ULP", ">bound", "bound");
    for (int k = 0; k < cfg->kernel_count; k++) {
        const char *name = cfg->kernels[k].name;
        for (int op = 0; op < OPS; op++) {
            if (!ulp_kernel_owns(&cfg->kernels[k], (sp_op)op) || !cfg->op_step[op])
                continue;
            const double bound = ulp_bound(cfg->kernels[k].op[op], cfg->f64 ? cfg->beta : (double)(float)cfg->beta);
            for (int t = 0; t < cfg->threshold_count; t++) {
                const sweep_stat *s = &stats[k][op][t];
                char xs[40], gs[40], ws[48];
                if (cfg->f64) {
                    snprintf(xs, sizeof xs, "%a", f64_from_bits(s->x_bits));
                    snprintf(gs, sizeof gs, "%a", f64_from_bits(s->got_bits));
                    snprintf(ws, sizeof ws, "%La", s->want);
                } else {
                    snprintf(xs, sizeof xs, "%a", (double)f32_from_bits((uint32_t)s->x_bits));
                    snprintf(gs, sizeof gs, "%a", (double)f32_from_bits((uint32_t)s->got_bits));
                    snprintf(ws, sizeof ws, "%a", (double)s->want);
                }
                const int bad = s->over_bound > 0 || s->sign_wrong > 0;
                failed |= bad;
                printf("%-11s %-5s %9g %12.6f  %-16s %-16s %-26s %12" PRIu64 " %12" PRIu64 " %6.2f%s\n", name,
                       op_names[op], cfg->thresholds[t], s->worst, xs, gs, ws, s->over_half, s->over_bound,
                       bound, bad ? "  FAIL" : "");
                if (s->sign_wrong) {
                    const double sx = cfg->f64 ? f64_from_bits(s->sign_x_bits)
                                               : (double)f32_from_bits((uint32_t)s->sign_x_bits);
                    const double sg = cfg->f64 ? f64_from_bits(s->sign_got_bits)
                                               : (double)f32_from_bits((uint32_t)s->sign_got_bits);
                    printf("%-11s %-5s %9g   %" PRIu64 " zero results with the wrong sign, first at x = %a: got %a, "
                           "want %La  FAIL\n",
                           name, op_names[op], cfg->thresholds[t], s->sign_wrong, sx, sg, s->sign_want);
                }
            }
        }
    }
    return failed;
}

int main(int argc, char **argv)
{
    static config cfg;
    if (!parse_args(argc, argv, &cfg)) {
        usage(stderr);
        return 2;
    }
    if (cfg.f64 && !ref_f64_is_accurate())
        printf("warning: long double has fewer than 64 significand bits; f64 errors are approximate\n");
    printf("ulp_sweep: %s, beta %g (%a), %" PRIu64 " inputs", cfg.f64 ? "f64" : "f32", cfg.beta, cfg.beta,
           cfg.count);
    if (cfg.f64)
        printf(" (seed %" PRIu64 ")", cfg.seed);
    else
        printf(" (step %" PRIu64 ")", cfg.step);
    printf(", %d threads, thresholds", cfg.threads);
    int has_inf = 0, has_finite = 0;
    for (int t = 0; t < cfg.threshold_count; t++) {
        printf(" %g", cfg.thresholds[t]);
        has_inf |= cfg.thresholds[t] == INFINITY;
        has_finite |= isfinite(cfg.thresholds[t]);
    }
    if (!cfg.f64 && has_inf && has_finite)
        printf(" (a finite one: every %dth input of blocks far below it)", FAR_SAMPLE);
    printf("\n");
    select_kernels(&cfg);
    if (cfg.kernel_count == 0) {
        printf("ulp_sweep: no kernel selected\n");
        return 2;
    }
    fflush(stdout);

    static worker workers[MAX_THREADS];
    const double start = now_seconds();
    atomic_init(&cfg.next_block, 0);
    for (int i = 0; i < cfg.threads; i++) {
        workers[i].cfg = &cfg;
        workers[i].buf = malloc(sizeof *workers[i].buf);
        if (!workers[i].buf) {
            fprintf(stderr, "ulp_sweep: out of memory\n");
            return 2;
        }
    }
    /* One thread runs here: no pthread_create, which also keeps --threads 1 usable under emulators
     * whose thread support is broken (qemu-user 7.2 hangs in it for dynamically linked aarch64). */
    int started = 0;
    for (int i = 0; i < cfg.threads && cfg.threads > 1; i++) {
        if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0)
            break;
        started++;
    }
    if (started == 0)
        work(&workers[0]); /* no threads available: do it all here */
    for (int i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
    const double elapsed = now_seconds() - start;
    for (int i = 0; i < cfg.threads; i++)
        free(workers[i].buf);

    static sweep_stat total[MAX_KERNELS][OPS][MAX_THRESHOLDS];
    for (int i = 0; i < (started ? started : 1); i++)
        for (int k = 0; k < cfg.kernel_count; k++)
            for (int op = 0; op < OPS; op++)
                for (int t = 0; t < cfg.threshold_count; t++)
                    merge(&total[k][op][t], &workers[i].stats[k][op][t]);
    const int failed = report(&cfg, total);
    printf("ulp_sweep: %.1f s, %s\n", elapsed, failed ? "FAILED: a kernel exceeds its bound" : "all within bounds");
    return failed ? 1 : 0;
}

/* test_half_cheap.c -- the bounds of the half formats' cheap forward and backward at every finite float.
 * SPDX-License-Identifier: MIT
 *
 * The bf16 and f16 forward with beta = 1 (arch/softplus_half_fused.h: sp_half_cheap_front, then
 * sp_fwd_finish_of with H of degree 7 for f16, 6 for bf16) is a cheaper evaluation than the fast f32 tier's;
 * its results are correct only because the fused loop's near-boundary check redoes every lane within E
 * float steps of a rounding boundary, E the least integer above B = SP_HALF_CHEAP_ULP_F16 / _BF16
 * (src/kernels.h; the windows' derivation: arch/softplus_half_fused.h, "the near windows"). This test is
 * that bound's proof: it runs each format's evaluation (sp_half_cheap_fwd_<isa>, mode 2, no threshold)
 * of every vector set this CPU runs at every
 * finite float x (--step K: every K-th bit pattern), compares with max(x, 0) + log1p(exp(-|x|)) in
 * double (error below 2^-50 relative: far below the bounds) and fails if any error exceeds B ULP of the
 * float result (ulp of the reference, 2^-149 in the subnormal range), or if two sets differ in a bit.
 * The backward with beta = 1 (sp_half_cheap_bwd_front with the fast tier's sp_bwd_finish) is checked
 * the same way at dy = 1 (sp_half_cheap_bwd_<isa>) against sigmoid(x) = (x < 0 ? e : 1) / (1 + e) in
 * double, e = exp(-|x|) shared with the forward's reference, under SP_HALF_CHEAP_BWD_ULP_BF16 / _F16:
 * the fused loop's window for the product dy*s, the least integer above 2B + 1.5, rests on that bound.
 * The second derivative (sp_half_tail_front, sp_half_dbwd_finish: any beta of the fast tier's vector
 * range; each format's evaluation, bf16's a degree cheaper) is checked at g = 1 against beta e / (1 + e)^2
 * in double (e = exp(-|beta x|), beta x exact in double) under SP_HALF_CHEAP_DBWD_ULP_F16 / _BF16, and the
 * beta gradient (sp_half_bbeta_finish) at dy = 1 against -(a e/(1 + e) + log1p(e))/beta^2 (a = |beta x|)
 * under SP_HALF_CHEAP_BBETA_ULP_F16 / _BF16: at beta = 1 at the
 * same patterns, at the other betas of tail_betas at every K-th of them (--beta-step K, 16 by default; the
 * suite's exhaustive entry takes 64 to keep CI's time) (the lanes the fused loop flags
 * special are skipped: fl(beta*x) not finite, and for the beta gradient |fl(beta*x)| > 128); and the
 * inverse (sp_half_inv_front/finish) against v/beta, v = log(expm1(beta y)) in double (the middle range as
 * log1p(2 expm1(d)), d = beta y - ln 2 with ln 2 in two doubles: relatively exact where v crosses 0) under
 * SP_HALF_CHEAP_INV_ULP_F16 / _BF16, at the y with fl(beta*y) in [2^-100, inf) (the others are special or
 * zeros). Each kind's reference is computed once per input and serves both formats' evaluations.
 * The half kernels widen exactly, so every x a bf16 or f16 input gives (any beta: this path runs only
 * where beta = 1) is among these; NaN and infinite x are the fused loop's special lanes.
 * Options: --step K, --threads N, --beta-step K. The CMake entries: every float under the label exhaustive, a sample
 * in the normal suite, under the emulator and the sanitizers. Prints the worst error and its input.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softplus.h"
#include "kernels.h"

typedef void (*fwd_fn)(int f16, size_t n, const float *x, float *y);
typedef void (*bwd_fn)(int f16, size_t n, const float *x, float *y);
typedef void (*eval_op_fn)(int f16, int op, float beta, size_t n, const float *x, float *y);

typedef struct set {
    const char *name;
    fwd_fn fwd;         /* forward, each format's */
    bwd_fn bwd;         /* backward at dy = 1, per format */
    eval_op_fn tail;    /* the second derivative, the beta gradient (at a unit multiplier), the inverse */
} set;

/* their betas: 1 at every pattern the sweep takes, the others at every beta_step-th of those */
static const float tail_betas[] = {1.0f, 0.5f, 2.0f, -1.0f, 7.3f, 0x1p-20f, 1000.0f};
#define NBETAS (sizeof tail_betas / sizeof tail_betas[0])
static uint64_t beta_step = 16;
/* the evaluations of the other ops: each kind's reference once per input, then each format's evaluation
 * of it (the second derivative and the beta gradient have one per format, the inverse one for both) */
enum { KIND_DBWD, KIND_BBETA, KIND_INV, NKINDS };
static const int kind_ops[NKINDS] = {SP_OP_DBWD, SP_OP_BBETA, SP_OP_INV};
#define NTAIL 6
static const struct {
    int kind, f16;
    const char *name;
    double bound;
} tails[NTAIL] = {{KIND_DBWD, 1, "f16 second derivative ", SP_HALF_CHEAP_DBWD_ULP_F16},
                  {KIND_DBWD, 0, "bf16 second derivative", SP_HALF_CHEAP_DBWD_ULP_BF16},
                  {KIND_BBETA, 1, "f16 beta gradient     ", SP_HALF_CHEAP_BBETA_ULP_F16},
                  {KIND_BBETA, 0, "bf16 beta gradient    ", SP_HALF_CHEAP_BBETA_ULP_BF16},
                  {KIND_INV, 1, "f16 inverse           ", SP_HALF_CHEAP_INV_ULP_F16},
                  {KIND_INV, 0, "bf16 inverse          ", SP_HALF_CHEAP_INV_ULP_BF16}};

/* the evaluations swept at every pattern: each format's forward and backward */
#define NEVALS 4
static const struct {
    int bwd, f16;
    const char *name;
    double bound;
} evals[NEVALS] = {{0, 0, "bf16 forward     ", SP_HALF_CHEAP_ULP_BF16},
                   {0, 1, "f16 forward      ", SP_HALF_CHEAP_ULP_F16},
                   {1, 0, "bf16 backward    ", SP_HALF_CHEAP_BWD_ULP_BF16},
                   {1, 1, "f16 backward     ", SP_HALF_CHEAP_BWD_ULP_F16}};

static set sets[3];
static int nsets;

#define CHUNK 4096 /* a multiple of every vector width */

typedef struct worst {
    double ulp;
    float x, got;
    double want;
} worst;

typedef struct job {
    uint64_t first, last, step; /* patterns first, first + step, ... below last */
    worst w[NEVALS];            /* the first set's */
    worst wt[NTAIL][NBETAS];    /* the first set's evaluations of tails[], per beta */
    uint64_t checked, differ;
} job;

static float f32_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t bits_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* 1 / the float ulp at a positive double (at its float rounding): 2^(23 - exponent), 2^149 in the
 * subnormal range */
static double inverse_ulp_f32(double a)
{
    const uint32_t e = bits_f32((float)a) >> 23 & 0xffu;
    uint64_t u = (uint64_t)(1023 + 23 + 127 - (e ? e : 1u)) << 52;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* softplus(x) = max(x, 0) + log1p(exp(-|x|)) and sigmoid(x) = (x < 0 ? e : 1) / (1 + e), e = exp(-|x|),
 * in double, relative error below 2^-50; the tails in closed form, so that the 4 billion inputs cost
 * little where the functions are trivial: below 2^-20 in magnitude ln2 + x/2 + x^2/8 (the next term
 * x^4/192 < 2^-87) and 1/2 + x/4 (the next x^3/48 < 2^-65), beyond 128 x resp. exp(x), and 1 resp.
 * exp(x) (the rest below 2^-184 relative) */
static double reference(float v, double *sigmoid)
{
    const double x = v, a = fabs(x);
    if (a < 0x1p-20) {
        *sigmoid = 0.5 + x * 0.25;
        return 0x1.62e42fefa39efp-1 + x * 0.5 + x * x * 0.125;
    }
    if (a > 128.0) {
        const double e = x > 0 || x < -746.0 ? 0.0 : exp(x); /* (exp(x) is 0 below -746, slowly) */
        *sigmoid = x > 0 ? 1.0 : e;
        return x > 0 ? x : e;
    }
    const double e = exp(-a);
    *sigmoid = (x < 0 ? e : 1.0) / (1.0 + e);
    return fmax(x, 0.0) + log1p(e);
}

/* One set's results y of a chunk's m inputs against the reference: the first set's errors (the worst
 * input is looked for only in a chunk whose maximum is a new worst) and bits; the other sets must give
 * those bits (so those errors). */
static void tally(job *j, worst *w, int first, size_t m, const float *x, const float *y, const double *ref,
                  const double *iulp, uint32_t *first_bits)
{
    if (!first) {
        uint64_t differ = 0;
        for (size_t i = 0; i < m; i++)
            differ += bits_f32(y[i]) != first_bits[i];
        j->differ += differ;
        return;
    }
    double most = 0.0;
    for (size_t i = 0; i < m; i++) {
        const double e = fabs((double)y[i] - ref[i]) * iulp[i];
        most = e > most ? e : most;
        first_bits[i] = bits_f32(y[i]);
    }
    if (most > w->ulp)
        for (size_t i = 0; i < m; i++)
            if (fabs((double)y[i] - ref[i]) * iulp[i] == most) {
                *w = (worst){most, x[i], y[i], ref[i]};
                break;
            }
}

static void *sweep(void *arg)
{
    job *j = arg;
    static _Thread_local float x[CHUNK], y[CHUNK];
    static _Thread_local double ref[2][CHUNK], iulp[2][CHUNK]; /* [backward] */
    static _Thread_local uint32_t first_bits[CHUNK];
    uint64_t p = j->first;
    while (p < j->last) {
        size_t m = 0;
        for (; m < CHUNK && p < j->last; p += j->step) {
            const float v = f32_bits((uint32_t)p);
            if (!isfinite(v))
                continue;
            x[m] = v;
            ref[0][m] = reference(v, &ref[1][m]);
            iulp[0][m] = inverse_ulp_f32(ref[0][m]);
            iulp[1][m] = inverse_ulp_f32(ref[1][m]);
            m++;
        }
        for (size_t i = m; i < CHUNK; i++)
            x[i] = 0.0f;
        j->checked += m;
        for (int ev = 0; ev < NEVALS; ev++) {
            const int bwd = evals[ev].bwd, f16 = evals[ev].f16;
            for (int s = 0; s < nsets; s++) {
                if (bwd)
                    sets[s].bwd(f16, CHUNK, x, y);
                else
                    sets[s].fwd(f16, CHUNK, x, y);
                tally(j, &j->w[ev], s == 0, m, x, y, ref[bwd], iulp[bwd], first_bits);
            }
        }
    }
    return NULL;
}

/* op 0: the second derivative beta e / (1 + e)^2; op 1: the beta gradient -(a e / (1 + e) + log1p(e)) /
 * beta^2, e = exp(-a), a = |beta x|; op 2: the inverse log(expm1(z))/beta, z = beta x > 0; in double: beta x
 * is exact, the error below 2^-50 relative */
static double reference_tail(int op, float beta, float v)
{
    const double z = (double)beta * (double)v, a = fabs(z), b = beta;
    if (op == 2) {
        if (z < 0.35)
            return log(expm1(z)) / b;
        if (z < 1.35) /* z - ln2_hi is exact (Sterbenz) */
            return log1p(2.0 * expm1((z - 0x1.62e42fefa39efp-1) - 0x1.abc9e3b39803fp-56)) / b;
        return (z + log1p(-exp(-z))) / b;
    }
    const double e = a > 746.0 ? 0.0 : exp(-a);
    return op ? -(a * e / (1.0 + e) + log1p(e)) / (b * b) : b * e / ((1.0 + e) * (1.0 + e));
}

static void *sweep_tail(void *arg)
{
    job *j = arg;
    static _Thread_local float x[CHUNK], y[CHUNK];
    static _Thread_local double ref[CHUNK], iulp[CHUNK];
    static _Thread_local uint32_t first_bits[CHUNK];
    for (size_t b = 0; b < NKINDS * NBETAS; b++) {
        const int op = (int)(b / NBETAS); /* the kind */
        const float beta = tail_betas[b % NBETAS];
        const uint64_t step = b % NBETAS == 0 ? j->step : j->step * beta_step;
        uint64_t p = j->first;
        while (p < j->last) {
            size_t m = 0;
            for (; m < CHUNK && p < j->last; p += step) {
                const float v = f32_bits((uint32_t)p);
                const float z = beta * v;
                if (op == 2 ? !(z >= 0x1p-100f && z < INFINITY) : !(fabsf(z) <= (op ? 128.0f : INFINITY)))
                    continue;
                x[m] = v;
                ref[m] = reference_tail(op, beta, v);
                iulp[m] = inverse_ulp_f32(fabs(ref[m]));
                m++;
            }
            for (size_t i = m; i < CHUNK; i++)
                x[i] = 0.0f;
            j->checked += m;
            for (int t = 0; t < NTAIL; t++) {
                if (tails[t].kind != op)
                    continue;
                for (int s = 0; s < nsets; s++) {
                    sets[s].tail(tails[t].f16, kind_ops[op], beta, CHUNK, x, y);
                    tally(j, &j->wt[t][b % NBETAS], s == 0, m, x, y, ref, iulp, first_bits);
                }
            }
        }
    }
    return NULL;
}

static void *sweep_all(void *arg)
{
    sweep(arg);
    return sweep_tail(arg);
}

int main(int argc, char **argv)
{
    uint64_t step = 1;
    int threads = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--step") && i + 1 < argc)
            step = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--beta-step") && i + 1 < argc)
            beta_step = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [--step K] [--threads N] [--beta-step K]\n", argv[0]);
            return 2;
        }
    }
    if (step < 1 || threads < 1 || threads > 16 || beta_step < 1)
        return 2;
#if defined(SP_HAVE_AVX2_BF16)
    if (softplus_isa_supported(SOFTPLUS_ISA_AVX2))
        sets[nsets++] = (set){"avx2", sp_half_cheap_fwd_avx2, sp_half_cheap_bwd_avx2,
                              sp_half_cheap_op_avx2};
#endif
#if defined(SP_HAVE_AVX512_BF16)
    if (softplus_isa_supported(SOFTPLUS_ISA_AVX512))
        sets[nsets++] = (set){"avx512", sp_half_cheap_fwd_avx512, sp_half_cheap_bwd_avx512,
                              sp_half_cheap_op_avx512};
#endif
#if defined(SP_HAVE_NEON_BF16)
    if (softplus_isa_supported(SOFTPLUS_ISA_NEON))
        sets[nsets++] = (set){"neon", sp_half_cheap_fwd_neon, sp_half_cheap_bwd_neon,
                              sp_half_cheap_op_neon};
#endif
    if (!nsets) {
        printf("no vector set with the cheap half forward on this CPU: skipped\n");
        return 77;
    }
    /* the threads take interleaved patterns (thread t: t step, t step + threads step, ...), so each has
     * its share of every binade and of both signs */
    pthread_t tid[16];
    job jobs[16];
    const uint64_t total = UINT64_C(1) << 32;
    for (int t = 0; t < threads; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].first = (uint64_t)t * step;
        jobs[t].last = total;
        jobs[t].step = step * (uint64_t)threads;
        if (t == threads - 1)
            sweep_all(&jobs[t]);
        else if (pthread_create(&tid[t], NULL, sweep_all, &jobs[t]))
            sweep_all(&jobs[t]);
        else
            continue;
        tid[t] = 0;
    }
    for (int t = 0; t < threads - 1; t++)
        if (tid[t])
            pthread_join(tid[t], NULL);
    uint64_t checked = 0, differ = 0;
    int fail = 0;
    for (int t = 0; t < threads; t++) {
        checked += jobs[t].checked;
        differ += jobs[t].differ;
    }
    for (int ev = 0; ev < NEVALS; ev++) {
        worst w = {0};
        for (int t = 0; t < threads; t++)
            if (jobs[t].w[ev].ulp > w.ulp)
                w = jobs[t].w[ev];
        const int bad = !(w.ulp <= evals[ev].bound);
        fail |= bad;
        printf("%s %-6s %s worst %.3f ULP (bound %.1f) at x = %a: got %a want %a\n", bad ? "FAIL" : "ok  ",
               sets[0].name, evals[ev].name, w.ulp, evals[ev].bound, (double)w.x, (double)w.got, w.want);
    }
    for (size_t b = 0; b < NTAIL * NBETAS; b++) {
        const size_t op = b / NBETAS; /* the entry of tails[] */
        worst w = {0};
        for (int t = 0; t < threads; t++)
            if (jobs[t].wt[op][b % NBETAS].ulp > w.ulp)
                w = jobs[t].wt[op][b % NBETAS];
        const int bad = !(w.ulp <= tails[op].bound);
        fail |= bad;
        printf("%s %-6s %s, beta %a: worst %.3f ULP (bound %.1f) at x = %a: got %a want %a\n", bad ? "FAIL" : "ok  ",
               sets[0].name, tails[op].name, (double)tail_betas[b % NBETAS], w.ulp, tails[op].bound, (double)w.x,
               (double)w.got, w.want);
    }
    for (int s = 1; s < nsets; s++)
        printf("%s %-6s the bits of %s\n", differ ? "FAIL" : "ok  ", sets[s].name, sets[0].name);
    if (differ) {
        printf("FAIL the sets differ in %llu results\n", (unsigned long long)differ);
        fail = 1;
    }
    printf("%llu finite floats (every %llu-th pattern), %d sets\n", (unsigned long long)checked,
           (unsigned long long)step, nsets);
    return fail;
}

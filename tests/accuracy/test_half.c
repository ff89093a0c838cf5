/* test_half.c -- bfloat16 and float16: every result correctly rounded, for every op, on every kernel set.
 * SPDX-License-Identifier: MIT
 *
 * For beta in {1, 0.5, 2, -1, 7.3, 2^-20, 2^-24, 2^17} (2^-20, the vector paths' smallest: its bf16 beta
 * gradient past |beta*x| = 128 is normal for large dy, where the kernels' clamp of |beta*x| must send the
 * lane to the careful path; 2^-24 and 2^17, outside the vector paths' range [2^-20, 2^16], whose calls
 * run the block driver) and thresholds 20 and +inf, with beta = 1 also 2 (the vector loops take the threshold's
 * compare out at beta = 1 from 16 on, so a threshold below that runs loops of their own, and at 2 the branch's
 * x differs from the function in both formats), on every kernel set this CPU runs (softplus_set_isa), and for
 * bf16 and f16:
 *   - forward and inverse over all 65536 bit patterns;
 *   - backward, double backward and the beta gradient over all 65536 x with dy = 1 and with
 *     --dy N random finite dy per x (64 by default);
 *   - the unary ops, and the binary ops with dy = 1 and the first random dy, again in place (the output over
 *     x) in calls of 1, 2, ..., 33, 1, 2, ... elements: tails and short calls, every lane kind among them;
 * each output compared bit for bit with the exact function rounded once to nearest even, computed here
 * independently of the library: in long double (x87 80-bit on x86-64; IEEE quad on aarch64), the
 * products dy*v(x) from one v(x) per x (v = s, beta s(1-s), -h/beta^2), then rounded to the format by
 * scaling to its step (exact) and rintl. A value within 2^-40 of the format's step of a midpoint is
 * "ambiguous" and fails the test (the long double error is below 2^-60 relative: such a value would need
 * a more precise reference), except the exact products at x = 0 (s = 1/2, s(1-s) = 1/4), true ties,
 * which must round to even. NaN inputs give the NaN policy's bits (the input quieted; the default NaN
 * for inf * 0 and for the inverse outside the range), the branch fl32(beta*x) > threshold the input
 * bits or +0.
 * Options: --step K (every K-th bit pattern), --dy N, --betas N (the first N betas), --isa auto (the
 * dispatched set only instead of every set this CPU runs); the CMake entry samples under qemu and the
 * sanitizers. Prints the counts it checked and the seconds it took.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "softplus.h"

typedef struct fmt {
    const char *name;
    int f16;
    int precision, emin;
    uint16_t quiet_bit, default_nan, inf;
} fmt;

static const fmt formats[] = {
    {"bf16", 0, 8, -126, 0x0040, 0x7fc0, 0x7f80},
    {"f16", 1, 11, -14, 0x0200, 0x7e00, 0x7c00},
};

static float widen(const fmt *f, uint16_t h)
{
    if (f->f16) {
        _Float16 v;
        memcpy(&v, &h, sizeof v);
        return (float)v;
    }
    const uint32_t u = (uint32_t)h << 16;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static int is_nan_bits(const fmt *f, uint16_t h)
{
    return (h & 0x7fffu) > f->inf;
}

/* A value of the format (or +-2^(emax+1)) to its bits, exactly. */
static uint16_t bits_of(const fmt *f, long double v)
{
    const float x = (float)v; /* exact, or inf past the float range */
    if (f->f16) {
        const _Float16 h = (_Float16)x; /* exact, or inf at 65536 */
        uint16_t b;
        memcpy(&b, &h, sizeof b);
        return b;
    }
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (uint16_t)(u >> 16);
}

static long ambiguous_count;

/* hi + lo rounded once to the format, to nearest even; |lo| << |hi| or lo = 0. exact: hi + lo is
 * known to be the exact value. A hi that is itself a midpoint (dy/2 and g beta/4 at x = 0, exact) with
 * lo != 0 rounds the way lo points; with lo = 0 (exact) it is a true tie. */
static uint16_t round_pair(const fmt *f, long double hi, long double lo, int exact)
{
    const long double w = lo == 0 ? hi : hi + lo; /* -0 + 0 would be +0 */
    if (isnan(w))
        return f->default_nan;
    if (w == 0 || isinf(w))
        return bits_of(f, w);
    const long double a = fabsl(w);
    int e = ilogbl(a);
    if (e < f->emin)
        e = f->emin;
    const long double q = ldexpl(1.0L, e - f->precision + 1);
    const long double r = a / q; /* exact: q is a power of two, r < 2^precision */
    const long double off = fabsl(r - floorl(r) - 0.5L);
    long double n = rintl(r);
    if (off < 0x1p-40L) {
        const long double rh = fabsl(hi) / q;
        if (rh - floorl(rh) == 0.5L && lo != 0) /* hi on the midpoint, lo decides */
            n = (lo > 0) == (hi > 0) ? ceill(rh) : floorl(rh);
        else if (!(exact && off == 0))
            ambiguous_count++;
    }
    const long double v = n * q;
    return bits_of(f, w < 0 ? -v : v);
}

/* The same for lo = 0, fast where w is clearly off a midpoint: on the bits of (double)w (within 2^-53 of
 * w), the k low bits of its significand that the format drops, when they are more than 2^-30 of a step
 * away from half a step; else (and for tiny w, k > 60) round_pair. */
static uint16_t round_to(const fmt *f, long double w, int exact)
{
    const double d = (double)w;
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    const int be = (int)((b >> 52) & 0x7ff);
    if (be == 0x7ff || w == 0)
        return round_pair(f, w, 0, exact);
    const int e = be - 1023, qe = (e < f->emin ? f->emin : e) - f->precision + 1, k = qe - (e - 52);
    if (be == 0 || e <= f->emin - f->precision - 2) /* below a quarter of the smallest step: +-0 */
        return bits_of(f, w < 0 ? -0.0L : 0.0L);
    if (k > 60)
        return round_pair(f, w, 0, exact);
    const uint64_t sig = (b & 0xfffffffffffffull) | 0x10000000000000ull, half = 1ull << (k - 1);
    const uint64_t rem = sig & ((1ull << k) - 1), window = 1ull << (k - 30);
    if (rem + window >= half && rem <= half + window)
        return round_pair(f, w, 0, exact);
    const uint64_t n = (sig >> k) + (rem > half);
    const uint64_t qbits = (uint64_t)(qe + 1023) << 52;
    double q;
    memcpy(&q, &qbits, sizeof q);
    const double v = (double)n * q; /* exact */
    return bits_of(f, d < 0 ? -v : v);
}

enum { FWD, BWD, DBWD, INV, BBETA };
static const char *const op_names[] = {"forward", "backward", "double_backward", "inverse", "backward_beta"};

/* the unary ops' exact value (forward, inverse), or sets *out for the branch and special values */
static int unary_ref(int op, const fmt *f, uint16_t xb, float beta, float thr, uint16_t *out)
{
    const float x = widen(f, xb);
    if (is_nan_bits(f, xb)) {
        *out = xb | f->quiet_bit;
        return 1;
    }
    const float z32 = beta * x;
    if (z32 > thr) {
        *out = xb;
        return 1;
    }
    const long double z = (long double)beta * x, b = beta; /* exact */
    long double w;
    if (op == FWD) {
        w = z > 0 ? x + log1pl(expl(-z)) / b : log1pl(expl(z)) / b;
    } else {
        if (z < 0) {
            *out = f->default_nan;
            return 1;
        }
        if (z == 0) { /* -inf/beta, as bits: valgrind's long double infinities are not isinf */
            *out = (uint16_t)((beta > 0 ? 0x8000u : 0u) | f->inf);
            return 1;
        }
        if (z <= 1)
            w = logl(expm1l(z)) / b;
        else
            w = x + log1pl(-expl(-z)) / b;
    }
    *out = round_to(f, w, 0);
    return 1;
}

/* Near x = 0 backward's and double backward's v(x) are 1/2 + d and beta/4 + d with d tiny (z/4,
 * -beta z^2/16), which a product dy*v(x) in long double would lose beside dy/2 at a midpoint: v0 the
 * exact rational part, *dv the rest through tanh (s - 1/2 = tanh(z/2)/2, s(1-s) = (1 - tanh^2(z/2))/4). */
static long double binary_v0(int op, float x, float beta, long double *dv)
{
    const long double z = (long double)beta * x;
    *dv = 0;
    if (fabsl(z) >= 0.25L || op == BBETA)
        return NAN;
    const long double th = tanhl(z / 2);
    if (op == BWD) {
        *dv = th / 2;
        return 0.5L;
    }
    *dv = -(long double)beta * th * th / 4;
    return (long double)beta / 4;
}

/* the binary ops' v(x): out = dy * v(x) exactly */
static long double binary_v(int op, float x, float beta)
{
    const long double z = (long double)beta * x, b = beta, a = fabsl(z), t = expl(-a);
    long double v;
    if (op == BWD)
        v = z >= 0 ? 1.0L / (1.0L + t) : t / (1.0L + t);
    else if (op == DBWD)
        v = t / ((1.0L + t) * (1.0L + t));
    else
        v = (isinf(a) ? 0.0L : a * t / (1.0L + t) + log1pl(t));
    /* the library's rule: a derivative that underflows for a finite x is the smallest positive number */
    if (v == 0 && isfinite(x))
        v = LDBL_TRUE_MIN;
    return op == BBETA ? -v / (b * b) : op == DBWD ? b * v : v;
}

static uint16_t binary_ref(int op, const fmt *f, uint16_t dyb, uint16_t xb, long double v, long double v0,
                           long double dv, float beta, float thr)
{
    if (is_nan_bits(f, dyb))
        return dyb | f->quiet_bit;
    if (is_nan_bits(f, xb))
        return xb | f->quiet_bit;
    const float x = widen(f, xb), dy = widen(f, dyb);
    if (beta * x > thr)
        return op == BWD ? dyb : 0;
    if (!isnan(v0)) /* dy v0 exact (11 + 24 bits) */
        return round_pair(f, (long double)dy * v0, (long double)dy * dv, x == 0);
    return round_to(f, (long double)dy * v, x == 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint16_t random_finite(const fmt *f)
{
    for (;;) {
        const uint16_t h = (uint16_t)rng();
        if ((h & f->inf) != f->inf)
            return h;
    }
}

typedef softplus_status (*unary_fn)(size_t, const size_t *, const uint16_t *, const ptrdiff_t *, uint16_t *,
                                    const ptrdiff_t *, float, float);
typedef softplus_status (*binary_fn)(size_t, const size_t *, const uint16_t *, const ptrdiff_t *,
                                     const uint16_t *, const ptrdiff_t *, uint16_t *, const ptrdiff_t *, float,
                                     float);

static unary_fn unary_of(int op, int f16)
{
    if (op == FWD)
        return f16 ? softplus_forward_f16 : softplus_forward_bf16;
    return f16 ? softplus_inverse_f16 : softplus_inverse_bf16;
}

static binary_fn binary_of(int op, int f16)
{
    if (op == BWD)
        return f16 ? softplus_backward_f16 : softplus_backward_bf16;
    if (op == DBWD)
        return f16 ? softplus_double_backward_f16 : softplus_double_backward_bf16;
    return f16 ? softplus_backward_beta_f16 : softplus_backward_beta_bf16;
}

static long mismatches, checked;
static softplus_isa isas[8];
static int nisas;

static void report(const char *what, const fmt *f, int op, float beta, float thr, softplus_isa isa, uint16_t dy,
                   uint16_t x, uint16_t got, uint16_t want)
{
    if (++mismatches <= 20)
        fprintf(stderr, "MISMATCH %s %s %s beta %g threshold %g isa %s: dy 0x%04x x 0x%04x (%.9g): got 0x%04x want 0x%04x\n",
                what, f->name, op_names[op], beta, thr, softplus_isa_name(isa), dy, x, (double)widen(f, x), got,
                want);
}

/* The same results in place and in pieces of 1, 2, ..., 33, 1, 2, ... elements: each piece a call of its
 * own whose output is its input x (the tails, a call's only whole vector and short calls, which keep the
 * inputs of the lanes they redo in registers, must not read them back after the store). */
static void check_in_place_pieces(const fmt *f, int op, float beta, float thr, softplus_isa isa, const uint16_t *dy,
                                  const uint16_t *x, const uint16_t *want, uint16_t *got, size_t n)
{
    memcpy(got, x, n * sizeof *got);
    size_t len = 1;
    for (size_t i = 0; i < n; i += len, len = len % 33 + 1) {
        const size_t m[] = {len < n - i ? len : n - i};
        const softplus_status st = dy ? binary_of(op, f->f16)(1, m, dy + i, NULL, got + i, NULL, got + i, NULL, beta, thr)
                                      : unary_of(op, f->f16)(1, m, got + i, NULL, got + i, NULL, beta, thr);
        if (st != SOFTPLUS_OK)
            report("status in place", f, op, beta, thr, isa, 0, 0, 0, 0);
    }
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            report("in place, pieces of 1..33", f, op, beta, thr, isa, dy ? dy[i] : 0, x[i], got[i], want[i]);
    checked += (long)n;
}

int main(int argc, char **argv)
{
    size_t step = 1;
    static const float betas[] = {1.0f, 0.5f, 2.0f, -1.0f, 7.3f, 0x1p-20f, 0x1p-24f, 0x1p17f};
    enum { NBETAS = sizeof betas / sizeof betas[0] };
    int ndy = 64, ndy_others = -1, nbetas = NBETAS, all_isas = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--step") && i + 1 < argc)
            step = (size_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dy") && i + 1 < argc)
            ndy = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dy-others") && i + 1 < argc)
            ndy_others = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--betas") && i + 1 < argc)
            nbetas = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc)
            all_isas = strcmp(argv[++i], "auto") != 0;
        else {
            fprintf(stderr, "usage: %s [--step K] [--dy N] [--dy-others N] [--betas N] [--isa all|auto]\n", argv[0]);
            return 2;
        }
    }
    if (step == 0)
        step = 1;
    if (nbetas < 1 || nbetas > NBETAS)
        nbetas = NBETAS;
    const clock_t start = clock();
    /* the dispatched set first: it alone gets all --dy random multipliers, the others --dy-others */
    isas[nisas++] = softplus_active_isa();
    if (all_isas)
        for (int isa = SOFTPLUS_ISA_SCALAR; isa <= SOFTPLUS_ISA_NEON; isa++)
            if (isa != (int)isas[0] && softplus_isa_supported((softplus_isa)isa) &&
                softplus_set_isa((softplus_isa)isa) == SOFTPLUS_OK)
                isas[nisas++] = (softplus_isa)isa;
    if (ndy_others < 0 || ndy_others > ndy)
        ndy_others = ndy;
    static const float thresholds[] = {20.0f, INFINITY, 2.0f}; /* the last with beta = 1 only */
    const size_t n = (65536 + step - 1) / step;
    uint16_t *x = malloc(n * 2), *dy = malloc(n * 2), *want = malloc(n * 2), *got = malloc(n * 2);
    long double *v = malloc(n * sizeof *v), *v0 = malloc(n * sizeof *v0), *dv = malloc(n * sizeof *dv);
    if (!x || !dy || !want || !got || !v || !v0 || !dv)
        return 2;
    for (size_t i = 0; i < n; i++)
        x[i] = (uint16_t)(i * step);
    const size_t shape[] = {n};
    for (int fi = 0; fi < 2; fi++) {
        const fmt *f = &formats[fi];
        for (int bi = 0; bi < nbetas; bi++)
            for (int ti = 0; ti < (betas[bi] == 1.0f ? 3 : 2); ti++) {
                const float beta = betas[bi], thr = thresholds[ti];
                for (int op = FWD; op <= BBETA; op++) {
                    if (op == FWD || op == INV) {
                        for (size_t i = 0; i < n; i++)
                            unary_ref(op, f, x[i], beta, thr, &want[i]);
                        for (int k = 0; k < nisas; k++) {
                            softplus_set_isa(isas[k]);
                            memset(got, 0xa5, n * 2);
                            if (unary_of(op, f->f16)(1, shape, x, NULL, got, NULL, beta, thr) != SOFTPLUS_OK)
                                report("status", f, op, beta, thr, isas[k], 0, 0, 0, 0);
                            for (size_t i = 0; i < n; i++)
                                if (got[i] != want[i])
                                    report("value", f, op, beta, thr, isas[k], 0, x[i], got[i], want[i]);
                            checked += (long)n;
                            check_in_place_pieces(f, op, beta, thr, isas[k], NULL, x, want, got, n);
                        }
                        continue;
                    }
                    for (size_t i = 0; i < n; i++) {
                        v[i] = binary_v(op, widen(f, x[i]), beta);
                        v0[i] = binary_v0(op, widen(f, x[i]), beta, &dv[i]);
                    }
                    for (int trial = 0; trial <= ndy; trial++) {
                        for (size_t i = 0; i < n; i++) {
                            dy[i] = trial == 0 ? (f->f16 ? 0x3c00 : 0x3f80) : random_finite(f);
                            want[i] = binary_ref(op, f, dy[i], x[i], v[i], v0[i], dv[i], beta, thr);
                        }
                        for (int k = 0; k < (trial <= ndy_others ? nisas : 1); k++) {
                            softplus_set_isa(isas[k]);
                            memset(got, 0xa5, n * 2);
                            if (binary_of(op, f->f16)(1, shape, dy, NULL, x, NULL, got, NULL, beta, thr) != SOFTPLUS_OK)
                                report("status", f, op, beta, thr, isas[k], 0, 0, 0, 0);
                            for (size_t i = 0; i < n; i++)
                                if (got[i] != want[i])
                                    report("value", f, op, beta, thr, isas[k], dy[i], x[i], got[i], want[i]);
                            checked += (long)n;
                            if (trial <= 1)
                                check_in_place_pieces(f, op, beta, thr, isas[k], dy, x, want, got, n);
                        }
                    }
                }
            }
    }
    printf("test_half: %ld results checked on %d kernel set(s) (step %zu, %d random dy per x on %s, %d on "
           "the others, %d betas), "
           "%ld mismatches, %ld ambiguous references, %.1f s CPU\n",
           checked, nisas, step, ndy, softplus_isa_name(isas[0]), ndy_others, nbetas, mismatches, ambiguous_count,
           (double)(clock() - start) / CLOCKS_PER_SEC);
    free(x), free(dy), free(want), free(got), free(v), free(v0), free(dv);
    return mismatches == 0 && ambiguous_count == 0 ? 0 : 1;
}

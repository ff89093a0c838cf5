/* test_fma_identity.c -- the FMA kernels (AVX2 and AVX-512) give the same bits on every input.
 * SPDX-License-Identifier: MIT
 *
 * The AVX2 and AVX-512 kernels run one algorithm with the same operation order (as does NEON, which
 * test_digest.c ties to them across architectures), so their results must agree bit for bit, not
 * merely within a bound: a user's results must not depend on which of them the CPU picked. This suite compares them, forward and backward, for
 * beta in {1, 0.5, 2, -1, 7.3} and threshold in {20, +inf}, on
 *   f32: every 512th bit pattern of the 2^32 (2^23 inputs, every binade, NaNs and infinities included)
 *        plus 2^21 pseudo-random values in [-128, 128], with pseudo-random dy for backward;
 *   f64: 2^21 bit patterns spread over the 2^64 plus 2^21 pseudo-random values in [-750, 750] and
 *        log-uniform magnitudes, when both ISAs have f64 kernels of their own.
 * The arrays are processed in blocks of an odd length, so every block ends in a tail: the tail code
 * must give the same bits too. A set that this CPU or this build lacks is skipped, not passed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch.h"
#include "registry.h"

#define BLOCK 4093 /* odd: each block ends in a partial vector for every width */


static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: deterministic, so a failure reproduces */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float f32_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static double f64_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* The AVX2 and AVX-512 kernel sets for dtype, or 0 (with the reason in *why) when the comparison cannot
 * be made: the build lacks one of the two kernel files for dtype (the registry entry's origin is another
 * ISA: the test would compare a kernel with itself or with a fallback), or this CPU lacks the ISA. */
static int get_sets(sp_dtype dtype, const sp_kernel_set **k2, const sp_kernel_set **k512, const char **why)
{
    const sp_kernel_set *r2 = sp_registry_set(SOFTPLUS_ISA_AVX2), *r512 = sp_registry_set(SOFTPLUS_ISA_AVX512);
    if (!r2 || !r512 || sp_kernel_of(r2, SOFTPLUS_ACCURACY_STRICT, SP_OP_FWD, dtype)->origin != SOFTPLUS_ISA_AVX2 ||
        sp_kernel_of(r512, SOFTPLUS_ACCURACY_STRICT, SP_OP_FWD, dtype)->origin != SOFTPLUS_ISA_AVX512) {
        *why = dtype == SP_DTYPE_F32 ? "the build has no AVX2 or no AVX-512 f32 kernels"
                                     : "the build has no AVX2 or no AVX-512 f64 kernels";
        return 0;
    }
    *k2 = sp_kernels_for_isa(SOFTPLUS_ISA_AVX2);
    *k512 = sp_kernels_for_isa(SOFTPLUS_ISA_AVX512);
    if (!*k2 || !*k512) {
        *why = "this CPU lacks AVX2 or AVX-512";
        return 0;
    }
    return 1;
}

/* n elements of (op, dtype) through set k's entry: out = op(in1[, in2]), inputs in public order. */
static void run_entry(const sp_kernel_set *k, sp_op op, sp_dtype dtype, size_t n, void *out, const void *in1,
                      const void *in2, const void *params)
{
    void *const ptrs[3] = {out, (void *)in1, (void *)in2};
    sp_kernel_of(k, SOFTPLUS_ACCURACY_STRICT, op, dtype)->run(n, ptrs, params);
}

/* f32 inputs: index i < 2^23 is bit pattern 512*i + 37 (a different low pattern than 0 so that the
 * mantissa's low bits vary too); after that, pseudo-random values in [-128, 128]. The digests
 * (test_digest.c) tie these kernels on 22 M more inputs per set, and the ulp_sweep tests check each of them
 * against the reference on every f32 input. */
#define F32_SWEEP (1u << 23)
#define F32_RANDOM (1u << 21)

static void fill_f32(float *x, float *dy, size_t start, size_t n, uint64_t *rng)
{
    for (size_t i = 0; i < n; i++) {
        const size_t idx = start + i;
        if (idx < F32_SWEEP)
            x[i] = f32_of((uint32_t)(idx * 512u + 37u));
        else
            x[i] = (float)((double)(rng_next(rng) >> 11) * 0x1p-53 * 256.0 - 128.0);
        /* dy: 1 in every fourth element, else a value of a few binades and either sign */
        const uint64_t r = rng_next(rng);
        dy[i] = (r & 3) == 0 ? 1.0f : (float)((double)(r >> 11) * 0x1p-53 * 8.0 - 4.0);
    }
}

/* f64 inputs: index i < 2^21 is bit pattern i * (2^43 + 0x1357) (spread over the 2^64, every
 * exponent); then pseudo-random values, half uniform in [-750, 750], half of log-uniform magnitude in
 * [2^-60, 2^12) and either sign. */
#define F64_SWEEP (1u << 21)
#define F64_RANDOM (1u << 21)

static void fill_f64(double *x, double *dy, size_t start, size_t n, uint64_t *rng)
{
    for (size_t i = 0; i < n; i++) {
        const size_t idx = start + i;
        const uint64_t r = rng_next(rng);
        const double u = (double)(r >> 11) * 0x1p-53;
        if (idx < F64_SWEEP)
            x[i] = f64_of((uint64_t)idx * ((1ull << 43) + 0x1357u));
        else if (idx & 1)
            x[i] = u * 1500.0 - 750.0;
        else
            x[i] = ((r & 1) ? -1.0 : 1.0) * exp2(u * 72.0 - 60.0);
        const uint64_t s = rng_next(rng);
        dy[i] = (s & 3) == 0 ? 1.0 : (double)(s >> 11) * 0x1p-53 * 8.0 - 4.0;
    }
}

/* ---- one comparison for every dtype ------------------------------------------------------------- */

typedef struct dtype_info {
    sp_dtype dtype;
    const char *name;
    size_t size;
    int hex;                      /* hex digits of a bit pattern */
    size_t total;                 /* inputs per (beta, threshold) */
    uint64_t seed;                /* of the generator, plus the beta's index */
    void (*fill)(void *x, void *dy, size_t start, size_t n, uint64_t *rng);
    double (*val)(uint64_t bits);
} dtype_info;

static void fill_any_f32(void *x, void *dy, size_t start, size_t n, uint64_t *rng) { fill_f32(x, dy, start, n, rng); }
static void fill_any_f64(void *x, void *dy, size_t start, size_t n, uint64_t *rng) { fill_f64(x, dy, start, n, rng); }
static double val_f32(uint64_t b) { return (double)f32_of((uint32_t)b); }

static const dtype_info dtypes[] = {
    [SP_DTYPE_F32] = {SP_DTYPE_F32, "f32", 4, 8, (size_t)F32_SWEEP + F32_RANDOM, 0x5eed0000u, fill_any_f32, val_f32},
    [SP_DTYPE_F64] = {SP_DTYPE_F64, "f64", 8, 16, (size_t)F64_SWEEP + F64_RANDOM, 0xf640000u, fill_any_f64, f64_of},
};
#define DTYPE_ROWS(ctx, tag, TAG, storage, size, compute, ctag) +1
_Static_assert(sizeof dtypes / sizeof dtypes[0] == 0 SP_STORED_DTYPES(DTYPE_ROWS, ~),
               "a row of dtypes[] for every dtype of src/lists.h computed in its storage type (bf16 and f16 are "
               "correctly rounded on every set: tests/accuracy/test_half.c)");

static uint64_t get(const dtype_info *d, const unsigned char *buf, size_t i)
{
    if (d->size == 4) {
        uint32_t u;
        memcpy(&u, buf + 4 * i, 4);
        return u;
    }
    uint64_t u;
    memcpy(&u, buf + 8 * i, 8);
    return u;
}

static const double betas[] = {1.0, 0.5, 2.0, -1.0, 7.3};
static const double thresholds[] = {20.0, (double)INFINITY};

/* AVX2 and AVX-512 give the same bits for every input of dtype d, forward or backward. */
static void compare(const dtype_info *d, int backward)
{
    const sp_kernel_set *k2 = NULL, *k512 = NULL;
    const char *why = NULL;
    if (!get_sets(d->dtype, &k2, &k512, &why)) {
        print_message("skipped: %s\n", why);
        skip();
    }
    static _Alignas(64) unsigned char x[BLOCK * 8], dy[BLOCK * 8], a[BLOCK * 8], b[BLOCK * 8];
    const sp_op op = backward ? SP_OP_BWD : SP_OP_FWD;
    size_t compared = 0;
    for (size_t bi = 0; bi < sizeof betas / sizeof betas[0]; bi++) {
        for (size_t ti = 0; ti < 2; ti++) {
            sp_params_f32 p32 = {(float)betas[bi], (float)thresholds[ti]};
            sp_params_f64 p64 = {betas[bi], thresholds[ti]};
            const void *p = d->dtype == SP_DTYPE_F32 ? (const void *)&p32 : (const void *)&p64;
            uint64_t rng = d->seed + bi;
            for (size_t start = 0; start < d->total; start += BLOCK) {
                const size_t n = start + BLOCK <= d->total ? BLOCK : d->total - start;
                d->fill(x, dy, start, n, &rng);
                run_entry(k2, op, d->dtype, n, a, backward ? (const void *)dy : x, x, p);
                run_entry(k512, op, d->dtype, n, b, backward ? (const void *)dy : x, x, p);
                for (size_t i = 0; i < n; i++) {
                    const uint64_t ga = get(d, a, i), gb = get(d, b, i);
                    if (ga != gb) {
                        const uint64_t gx = get(d, x, i), gdy = get(d, dy, i);
                        print_error("%s %s beta %a threshold %a: x = %a (0x%0*llx), dy = %a (0x%0*llx, backward "
                                    "only), element %zu of %zu:\n  %-15s %a (0x%0*llx)\n  %-15s %a (0x%0*llx)\n",
                                    d->name, backward ? "backward" : "forward", betas[bi], thresholds[ti], d->val(gx),
                                    d->hex, (unsigned long long)gx, d->val(gdy), d->hex, (unsigned long long)gdy, i, n,
                                    sp_kernel_of(k2, SOFTPLUS_ACCURACY_STRICT, op, d->dtype)->name, d->val(ga), d->hex, (unsigned long long)ga,
                                    sp_kernel_of(k512, SOFTPLUS_ACCURACY_STRICT, op, d->dtype)->name, d->val(gb), d->hex,
                                    (unsigned long long)gb);
                        fail();
                    }
                }
                compared += n;
            }
        }
    }
    print_message("%zu %s %s results bit-identical\n", compared, d->name, backward ? "backward" : "forward");
}

static void test_fma_kernels_bit_identical(void **state)
{
    const int *c = *state; /* {dtype, backward} */
    compare(&dtypes[c[0]], c[1]);
}

/* test_fma_kernels_<dtype>_<forward|backward>_bit_identical, per dtype of src/lists.h */
#define CASES_D(ctx, tag, TAG, storage, size, compute, ctag) {SP_DTYPE_##TAG, 0}, {SP_DTYPE_##TAG, 1},
static const int cases[][2] = {SP_STORED_DTYPES(CASES_D, ~)};
#define TESTS_D(ctx, tag, TAG, storage, size, compute, ctag)                                             \
    {"test_fma_kernels_" #tag "_forward_bit_identical", test_fma_kernels_bit_identical, NULL, NULL,        \
     (void *)cases[2 * SP_DTYPE_##TAG]},                                                                 \
    {"test_fma_kernels_" #tag "_backward_bit_identical", test_fma_kernels_bit_identical, NULL, NULL,       \
     (void *)cases[2 * SP_DTYPE_##TAG + 1]},

int main(void)
{
    const struct CMUnitTest tests[] = {SP_STORED_DTYPES(TESTS_D, ~)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

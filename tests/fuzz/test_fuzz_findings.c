/* test_fuzz_findings.c -- the fuzzer's past findings as regression tests: their witnesses, every kernel.
 * SPDX-License-Identifier: MIT
 *
 * One test per finding (F1-F6 of the fuzz runs, and the OVERFLOW boundary), all fixed. Kernels are
 * called by their internal names through tests/ulp.c's table and checked against its reference: forward
 * within their own SP_MAX_ULP_* bound, backward by softplus.h's contract (ulp_bwd_contract_*: dx = dy*s
 * rounded once, s within the bound of the sigmoid). Every failing kernel and witness is printed before
 * the test fails.
 *
 * Usage: test_fuzz_findings [cmocka test-name pattern, e.g. "f64_*"]
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "softplus.h"
#include "ulp.h"

/* Every kernel file of each dtype (ulp.h), filled once by main before any test runs. */
static ulp_kernel ulp_kernels_f32[ULP_MAX_KERNELS], ulp_kernels_f64[ULP_MAX_KERNELS];
static size_t ulp_kernel_count_f32, ulp_kernel_count_f64;

static void load_kernels(void)
{
    ulp_kernel_count_f32 = ulp_kernels(SP_DTYPE_F32, ulp_kernels_f32);
    ulp_kernel_count_f64 = ulp_kernels(SP_DTYPE_F64, ulp_kernels_f64);
}

/* ---- one element through a kernel --------------------------------------------------------------- */

static float bwd32(const ulp_kernel *k, float dy, float x, float beta, float threshold)
{
    const sp_params_f32 p = {beta, threshold};
    float r;
    ulp_run_bwd(k->op[SP_OP_BWD], 1, &dy, &x, &r, &p);
    return r;
}

static float fwd32(const ulp_kernel *k, float x, float beta, float threshold)
{
    const sp_params_f32 p = {beta, threshold};
    float r;
    ulp_run_fwd(k->op[SP_OP_FWD], 1, &x, &r, &p);
    return r;
}

static double bwd64(const ulp_kernel *k, double dy, double x, double beta, double threshold)
{
    const sp_params_f64 p = {beta, threshold};
    double r;
    ulp_run_bwd(k->op[SP_OP_BWD], 1, &dy, &x, &r, &p);
    return r;
}

/* Checks one f32 forward result against the reference and the kernel's bound; prints and counts a miss. */
static int miss_f32(const ulp_kernel *k, const char *what, float dy, float x, float beta, float got,
                    double want)
{
    const double err = ulp_error_f32(got, want), bound = ulp_bound((k)->op[SP_OP_FWD], beta);
    if (err <= bound)
        return 0;
    print_error("%-7s %s: dy %a, x %a, beta %a: got %a, want %a (%.3g ULP > %.2f)\n", k->name, what,
                (double)dy, (double)x, (double)beta, (double)got, want, err, bound);
    return 1;
}

/* Checks one backward result against the contract; prints and counts a miss. */
static int miss_bwd_f32(const ulp_kernel *k, float dy, float x, float beta, float threshold)
{
    const float got = bwd32(k, dy, x, beta, threshold);
    const double q = ulp_bwd_contract_f32(got, dy, x, beta, threshold, ulp_bound((k)->op[SP_OP_BWD], beta));
    if (q <= 1.0)
        return 0;
    print_error("%-7s backward: dy %a, x %a, beta %a: got %a, want %a (%.3g of the tolerance)\n", k->name,
                (double)dy, (double)x, (double)beta, (double)got, ref_bwd_f32(dy, x, beta, threshold), q);
    return 1;
}

static int miss_bwd_f64(const ulp_kernel *k, double dy, double x, double beta, double threshold)
{
    const double got = bwd64(k, dy, x, beta, threshold);
    const double q = ulp_bwd_contract_f64(got, dy, x, beta, threshold, ulp_bound((k)->op[SP_OP_BWD], beta));
    if (q <= 1.0)
        return 0;
    print_error("%-7s backward: dy %a, x %a, beta %a: got %a, want %La (%.3g of the tolerance)\n", k->name, dy, x,
                beta, got, ref_bwd_f64(dy, x, beta, threshold), q);
    return 1;
}

/* ---- F1: f32 backward, dy not a power of two ---------------------------------------------------- */

/* The AVX2/AVX-512 kernels round the sigmoid to float and then multiply by dy: 1.49 ULP of dy*sigmoid,
 * which the contract allows (its final rounding is not part of the sigmoid's bound). Witness from the
 * fuzzer, then 2^16 seeded pairs (dy in [0.5, 4), x in [-30, 30]). */
static void f32_backward_meets_the_contract_for_any_dy(void **state)
{
    (void)state;
    int misses = 0;
    for (size_t i = 0; i < ulp_kernel_count_f32; i++) {
        const ulp_kernel *k = &ulp_kernels_f32[i];
        if (!ulp_isa_runnable(k->isa))
            continue;
        const float dy0 = 0x1.effcc6p+1f, x0 = -0x1.b3c7c6p+1f;
        misses += miss_bwd_f32(k, dy0, x0, 1.0f, INFINITY);
        int sweep = 0;
        for (uint64_t j = 0; j < 65536 && sweep < 3; j++) {
            const uint64_t r = ulp_mix64(0xf1 + j);
            const float dy = (float)ldexp(1.0 + ulp_unit(r), (int)(r & 3) - 1);
            const float x = (float)(ulp_unit(ulp_mix64(r)) * 60.0 - 30.0);
            sweep += miss_bwd_f32(k, dy, x, 1.0f, INFINITY);
        }
        misses += sweep;
    }
    assert_int_equal(misses, 0);
}

/* ---- F2, F3: f32 intermediates that underflow in float ------------------------------------------- */

/* sigmoid(-110) ~ 2^-158.7 is below float's range: s = 0 is within the bound, and so is dx = 0 for
 * dy = 2^100 (F2); sigmoid(-4.9e8) times dy = -4.9e8 is -0, not a value from a clamped exponent (F3,
 * SSE4.1 capped |beta*x| at 120). */
static void f32_backward_results_scaled_up_by_dy(void **state)
{
    (void)state;
    static const float cases[][2] = {
        {0x1p+100f, -110.0f},
        {1e30f, -110.0f},
        {-0x1.a3862ep+6f, -0x1.a3862ep+6f}, /* the fuzzer's witness: a subnormal result */
        {-0x1.d0e57p+29f, -0x1.d0e57p+29f}, /* the fuzzer's witness: -0, not -0x1.a8p-144 */
    };
    int misses = 0;
    for (size_t i = 0; i < ulp_kernel_count_f32; i++) {
        const ulp_kernel *k = &ulp_kernels_f32[i];
        if (!ulp_isa_runnable(k->isa))
            continue;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            const float dy = cases[c][0], x = cases[c][1];
            misses += miss_bwd_f32(k, dy, x, 1.0f, INFINITY);
        }
    }
    assert_int_equal(misses, 0);
}

/* log1p(exp(beta*x)) ~ e^-128 is below float's range, but divided by beta = 2^-100 it is normal (F3:
 * SSE4.1 capped |beta*x| at 120 and gave 0x1.d60684p-74 for 0x1.42eb9fp-85). */
static void f32_forward_results_scaled_up_by_1_over_beta(void **state)
{
    (void)state;
    static const float cases[][2] = {
        {-0x1p+107f, 0x1p-100f},
        {-0x1.5e998p+126f, 0x1p-119f}, /* a subnormal result */
    };
    int misses = 0;
    for (size_t i = 0; i < ulp_kernel_count_f32; i++) {
        const ulp_kernel *k = &ulp_kernels_f32[i];
        if (!ulp_isa_runnable(k->isa))
            continue;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            const float x = cases[c][0], beta = cases[c][1];
            misses += miss_f32(k, "forward", 0.0f, x, beta, fwd32(k, x, beta, INFINITY),
                               ref_fwd_f32(x, beta, INFINITY));
        }
    }
    assert_int_equal(misses, 0);
}

/* ---- F4: f64 backward, infinite dy and a product that overflows ----------------------------------- */

/* softplus.h: the gradient is NaN only where dy is NaN, or dy is infinite and multiplied by 0. For a
 * finite x the exact sigmoid(beta*x) is > 0 even when the double product beta*x overflows to -inf, so
 * an infinite dy must give an infinite dx of its own sign -- as every f32 kernel does. */
static void f64_backward_infinite_dy_stays_infinite_for_finite_x(void **state)
{
    (void)state;
    static const double cases[][3] = {
        /* dy, x, beta: beta*x below -DBL_MAX */
        {INFINITY, -0x1p+1021, 0x1p+531},
        {-INFINITY, 1e300, -1e300},
    };
    int misses = 0;
    for (size_t i = 0; i < ulp_kernel_count_f64; i++) {
        const ulp_kernel *k = &ulp_kernels_f64[i];
        if (!ulp_isa_runnable(k->isa))
            continue;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            const double dy = cases[c][0], x = cases[c][1], beta = cases[c][2];
            const double got = bwd64(k, dy, x, beta, INFINITY);
            if (got != dy) {
                print_error("%-7s backward: dy %a, x %a, beta %a (beta*x = %a): got %a, want %a\n", k->name, dy,
                            x, beta, beta * x, got, dy);
                misses++;
            }
        }
    }
    assert_int_equal(misses, 0);
}

/* ---- F5: f64 backward, subnormal results --------------------------------------------------------- */

/* Subnormal dy makes dx subnormal, where the contract leaves half an ulp of 2^-1074 for the one rounding
 * of dy*s: rounding partial products first cost 1.5 ULP (SSE4.1) and 1.2 (FMA kernels). Witnesses from
 * the fuzzer and a sweep, then 2^16 seeded subnormal dy with x in [-40, 40]. */
static void f64_backward_subnormal_results_meet_the_contract(void **state)
{
    (void)state;
    static const double cases[][4] = {
        /* dy, x, beta, threshold */
        {-0x0.0000068f9072dp-1022, 0x1.2bf849e2a0f0cp+5, 0x1.999999999999ap-4, 100.0},
        {0x0.60067faddd364p-1022, -0x1.cb44b5a86af62p+3, 1.0, INFINITY},
    };
    int misses = 0;
    for (size_t i = 0; i < ulp_kernel_count_f64; i++) {
        const ulp_kernel *k = &ulp_kernels_f64[i];
        if (!ulp_isa_runnable(k->isa))
            continue;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            const double dy = cases[c][0], x = cases[c][1], beta = cases[c][2], thr = cases[c][3];
            misses += miss_bwd_f64(k, dy, x, beta, thr);
        }
        int sweep = 0;
        for (uint64_t j = 0; j < 65536 && sweep < 3; j++) {
            const uint64_t r = ulp_mix64(0xf5 + j);
            const double dy = f64_from_bits(r & 0x800fffffffffffffu);
            const double x = ulp_unit(ulp_mix64(r)) * 80.0 - 40.0;
            sweep += miss_bwd_f64(k, dy, x, 1.0, INFINITY);
        }
        misses += sweep;
    }
    assert_int_equal(misses, 0);
}

/* ---- F6: f32 second derivative, |beta| near FLT_MAX ------------------------------------------------ */

/* The FMA kernels once multiplied beta (d0 + rr q) before the scaling by 2^-k: with beta = -FLT_MAX the
 * product overflowed and the result was -inf where g beta d is -0.11 (x subnormal, beta*x = -6.7). Witness
 * from the fuzzer, then 2^12 seeded cases: |beta| in [2^100, FLT_MAX] either sign, beta*x uniform in
 * [-80, 80], g = 1/|beta| times [1, 2) (so g beta d is of order one), checked by the multiplier contract. */
static int miss_dbwd_f32(const ulp_kernel *k, float g, float x, float beta, float threshold)
{
    const sp_params_f32 p = {beta, threshold};
    float got;
    ulp_run_bwd(k->op[SP_OP_DBWD], 1, &g, &x, &got, &p);
    const int linear = beta * x > threshold;
    const double unit = linear ? 0.0 : ref_curve_f32(SP_OP_DBWD, x, beta);
    const double q = linear ? (got == 0.0f ? 0.0 : INFINITY)
                            : ulp_mult_contract_f32(got, g, unit, 1, ulp_bound(k->op[SP_OP_DBWD], beta));
    if (q <= 1.0)
        return 0;
    print_error("%-7s double backward: g %a, x %a, beta %a: got %a, want %a (%.3g of the tolerance)\n", k->name,
                (double)g, (double)x, (double)beta, (double)got, (double)g * unit, q);
    return 1;
}

static void f32_double_backward_with_huge_beta(void **state)
{
    (void)state;
    int misses = 0;
    for (size_t i = 0; i < ulp_kernel_count_f32; i++) {
        const ulp_kernel *k = &ulp_kernels_f32[i];
        if (!ulp_isa_runnable(k->isa) || !k->op[SP_OP_DBWD])
            continue;
        misses += miss_dbwd_f32(k, 0x1.ab6308p-127f, 0x1.ab6308p-127f, -0x1.fffffep+127f, 20.0f);
        int sweep = 0;
        for (uint64_t j = 0; j < 4096 && sweep < 3; j++) {
            const uint64_t r = ulp_mix64(0xf6 + j), r2 = ulp_mix64(r);
            const float ab = (float)ldexp(1.0 + ulp_unit(r), 100 + (int)(r2 % 28)) ;
            const float beta = (r & 1) ? -ab : ab;
            const float x = (float)((ulp_unit(r2) * 160.0 - 80.0) / (double)beta);
            const float g = (float)((1.0 + ulp_unit(ulp_mix64(r2))) / (double)ab);
            sweep += miss_dbwd_f32(k, g, x, beta, (r & 2) ? 20.0f : INFINITY);
        }
        misses += sweep;
    }
    assert_int_equal(misses, 0);
}

/* ---- fixed: the OVERFLOW boundary of a view's byte range ----------------------------------------- */

/* softplus.h said a view's byte range was sum |stride|*(size-1) times the element size; the library
 * counts one element more (the range runs to one past the last byte), and the header now says so.
 * Each shape below sits on one side of the boundary; x overlaps y, so a view that fits is rejected as
 * OVERLAP and one that does not as OVERFLOW. Nothing is touched either way. */
static void overflow_boundary_counts_the_last_element(void **state)
{
    (void)state;
    static double buf64[4];
    static float buf32[4];
    const size_t n64 = (size_t)PTRDIFF_MAX / 8 + 1; /* (n-1+1)*8 = 2^63: does not fit */
    const size_t n32 = (size_t)PTRDIFF_MAX / 4 + 1;
    size_t shape[1];

    shape[0] = n64;
    assert_int_equal(softplus_forward_f64(1, shape, buf64 + 1, NULL, buf64, NULL, 1.0, 20.0),
                     SOFTPLUS_ERR_OVERFLOW);
    assert_int_equal(softplus_backward_f64(1, shape, buf64 + 1, NULL, buf64 + 2, NULL, buf64, NULL, 1.0, 20.0),
                     SOFTPLUS_ERR_OVERFLOW);
    shape[0] = n64 - 1;
    assert_int_equal(softplus_forward_f64(1, shape, buf64 + 1, NULL, buf64, NULL, 1.0, 20.0),
                     SOFTPLUS_ERR_OVERLAP);

    shape[0] = n32;
    assert_int_equal(softplus_forward_f32(1, shape, buf32 + 1, NULL, buf32, NULL, 1.0f, 20.0f),
                     SOFTPLUS_ERR_OVERFLOW);
    shape[0] = n32 - 1;
    assert_int_equal(softplus_forward_f32(1, shape, buf32 + 1, NULL, buf32, NULL, 1.0f, 20.0f),
                     SOFTPLUS_ERR_OVERLAP);
    /* the same boundary reached through a stride: 2 elements, (stride+1)*8 bytes */
    const ptrdiff_t stride[1] = {PTRDIFF_MAX / 8};
    shape[0] = 2;
    assert_int_equal(softplus_forward_f64(1, shape, buf64, NULL, buf64, stride, 1.0, 20.0), SOFTPLUS_ERR_OVERFLOW);
}

int main(int argc, char **argv)
{
    load_kernels();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overflow_boundary_counts_the_last_element),
        cmocka_unit_test(f32_backward_meets_the_contract_for_any_dy),
        cmocka_unit_test(f32_backward_results_scaled_up_by_dy),
        cmocka_unit_test(f32_forward_results_scaled_up_by_1_over_beta),
        cmocka_unit_test(f64_backward_infinite_dy_stays_infinite_for_finite_x),
        cmocka_unit_test(f64_backward_subnormal_results_meet_the_contract),
        cmocka_unit_test(f32_double_backward_with_huge_beta),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

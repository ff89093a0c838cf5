/* test_accuracy.c -- every compiled kernel against the independent reference: sweeps, special values,
 * the threshold boundary, huge inputs, tails, lane isolation and in-place calls.
 * SPDX-License-Identifier: MIT
 *
 * Kernels come from the table in tests/ulp.c, so each SIMD kernel file is tested as soon as the build
 * compiles it; kernels this CPU cannot run are skipped (and say so). Bounds are the kernel's own
 * SP_MAX_ULP_* macros (beta = 1) and SP_MAX_ULP_BETA_* (any other beta); backward sweeps use dy = 1,
 * as the bounds are defined on dy*sigmoid(beta*x) with dy = 1.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const float betas_f32[] = {1.0f, 0.5f, 2.0f, -1.0f, 7.3f};
static const double betas_f64[] = {1.0, 0.5, 2.0, -1.0, 7.3};
#define NBETAS (sizeof betas_f32 / sizeof betas_f32[0])
/* +inf: the exact function; 20: PyTorch's default; -3.5: a threshold inside the curved part, where
 * the two branches give visibly different values. */
static const double thresholds[] = {INFINITY, 20.0, -3.5};
#define NTHRESHOLDS (sizeof thresholds / sizeof thresholds[0])

enum { BLOCK = 4096, OPS = 2 };
static const char *const op_names[OPS] = {"fwd", "bwd"};

/* ---- kernel selection --------------------------------------------------------------------------- */

static int runnable_f32(const ulp_kernel *k)
{
    return ulp_isa_runnable(k->isa);
}

static int runnable_f64(const ulp_kernel *k)
{
    return ulp_isa_runnable(k->isa);
}

static int group_setup(void **state)
{
    (void)state;
    for (size_t k = 0; k < ulp_kernel_count_f32; k++)
        print_message("f32 kernel %-7s %s (bound %.2f ULP for beta = 1, %.2f otherwise)\n", ulp_kernels_f32[k].name,
                      runnable_f32(&ulp_kernels_f32[k]) ? "tested" : "SKIPPED: this CPU lacks it",
                      ulp_kernels_f32[k].op[SP_OP_FWD]->max_ulp, ulp_kernels_f32[k].op[SP_OP_FWD]->max_ulp_beta);
    for (size_t k = 0; k < ulp_kernel_count_f64; k++)
        print_message("f64 kernel %-7s %s (bound %.2f ULP for beta = 1, %.2f otherwise)\n", ulp_kernels_f64[k].name,
                      runnable_f64(&ulp_kernels_f64[k]) ? "tested" : "SKIPPED: this CPU lacks it",
                      ulp_kernels_f64[k].op[SP_OP_FWD]->max_ulp, ulp_kernels_f64[k].op[SP_OP_FWD]->max_ulp_beta);
    return 0;
}

/* ---- failure bookkeeping: each test counts and prints its failures, then fails once ---------------- */

static int failures;

#define EXPECT(cond, ...)                                                                            \
    do {                                                                                             \
        if (!(cond)) {                                                                               \
            if (++failures <= 40) {                                                                  \
                print_error(__VA_ARGS__);                                                            \
                print_error("\n");                                                                   \
            }                                                                                        \
        }                                                                                            \
    } while (0)

static void begin(void)
{
    failures = 0;
}

static void finish(const char *what)
{
    if (failures)
        fail_msg("%d failure(s): %s", failures, what);
}

static float step_f32(float x, int k)
{
    for (; k > 0; k--)
        x = nextafterf(x, INFINITY);
    for (; k < 0; k++)
        x = nextafterf(x, -INFINITY);
    return x;
}

static double step_f64(double x, int k)
{
    for (; k > 0; k--)
        x = nextafter(x, INFINITY);
    for (; k < 0; k++)
        x = nextafter(x, -INFINITY);
    return x;
}

/* ---- the reference itself ---------------------------------------------------------------------- */

/* A broken libm or a long double that is really double would make every other test meaningless:
 * check the reference against values computed with mpmath at 300 bits (beta, x, softplus, sigmoid). */
static void test_reference_matches_mpmath(void **state)
{
    (void)state;
#ifdef SP_TEST_REDUCED
    skip(); /* valgrind's x87 long double is double precision (see main) */
#endif
    static const struct {
        double beta, x;
        long double softplus, sigmoid;
    } known[] = {
        {0x1p+0, 0x0p+0, 6.931471805599453094172321e-1L, 5.0e-1L},
        {0x1p+0, -0x1.3676ccfd606p+2, 7.790123138628742865978452e-3L, 7.759858768086480773493324e-3L},
        {0x1p+0, -0x1.5e4p+9, 5.980196118639791206412107e-305L, 5.980196118639791206412107e-305L},
        {0x1p+0, 0x1.2p+5, 3.600000000000000023195228e+1L, 9.99999999999999768047717e-1L},
        {0x1.d333333333333p+2, -0x1.9p+6, 1.263878571112640819938287e-318L, 9.226313569122277761039559e-318L},
        {-0x1p+0, 0x1.ap+1, -3.804137168778312856120856e-2L, 3.732688734412946019771417e-2L},
        {0x1p-1, -0x1.56e1fc2f8f359p-997, 1.386294361119890618834464L, 5.0e-1L},
        {0x1p+1, -0x1.734p+8, 1.71916353644807050769904e-323L, 3.438327072896141015398081e-323L},
        {0x1.d333333333333p+2, 0x1.ffffffffffffep-3, 2.704752257247819432603962e-1L,
         8.61165006452692800858789e-1L},
    };
    begin();
    /* 2^-60 relative: a few ulps of the x87 format, 2^-8 ULP of double */
    const long double tol = ref_f64_is_accurate() ? 0x1p-60L : 0x1p-51L;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const long double sp = ref_softplus_f64(known[i].x, known[i].beta);
        const long double sg = ref_sigmoid_f64(known[i].x, known[i].beta);
        EXPECT(fabsl(sp - known[i].softplus) <= tol * fabsl(known[i].softplus),
               "ref_softplus_f64(x=%a, beta=%a) = %La, want %La", known[i].x, known[i].beta, sp, known[i].softplus);
        EXPECT(fabsl(sg - known[i].sigmoid) <= tol * fabsl(known[i].sigmoid),
               "ref_sigmoid_f64(x=%a, beta=%a) = %La, want %La", known[i].x, known[i].beta, sg, known[i].sigmoid);
        const float xf = (float)known[i].x, bf = (float)known[i].beta;
        if ((double)xf == known[i].x && (double)bf == known[i].beta) {
            const double spf = ref_softplus_f32(xf, bf), sgf = ref_sigmoid_f32(xf, bf);
            /* double loses bits where the value is a double subnormal, far below float's range */
            EXPECT(fabsl(spf - known[i].softplus) <= 0x1p-48L * fabsl(known[i].softplus) + 0x1p-170L,
                   "ref_softplus_f32(x=%a, beta=%a) = %a, want %La", (double)xf, (double)bf, spf, known[i].softplus);
            EXPECT(fabsl(sgf - known[i].sigmoid) <= 0x1p-48L * fabsl(known[i].sigmoid) + 0x1p-170L,
                   "ref_sigmoid_f32(x=%a, beta=%a) = %a, want %La", (double)xf, (double)bf, sgf, known[i].sigmoid);
        }
    }
    /* The ULP measure itself: half an ulp, one ulp at a binade edge, subnormal ulps, mismatches. */
    EXPECT(ulp_error_f32(1.0f, 1.0 + 0x1p-24) == 0.5, "ulp_error_f32 at 1 + 2^-24");
    EXPECT(ulp_error_f32(0x1.fffffep-1f, 1.0) == 0.5, "ulp_error_f32 just below 1 (ulp of 1 is 2^-23)");
    EXPECT(ulp_error_f32(0x1p-148f, 0x1p-149) == 1.0, "ulp_error_f32 subnormal");
    EXPECT(ulp_error_f64(0x1p-1073, 0x1p-1074L) == 1.0, "ulp_error_f64 subnormal");
    EXPECT(ulp_error_f64(1.0, 1.0L + 0x1p-52L) == 1.0, "ulp_error_f64 at 1 + 2^-52");
    EXPECT(isinf(ulp_error_f32(0.0f, -0x1p-160)), "a +0 for a negative tiny reference is a sign mismatch");
    EXPECT(ulp_error_f32(-0.0f, -0x1p-160) < 0.01, "-0 for a negative tiny reference");
    EXPECT(isinf(ulp_error_f32(NAN, 1.0)) && isinf(ulp_error_f32(1.0f, NAN)) && ulp_error_f32(NAN, NAN) == 0.0,
           "NaN must meet NaN");
    EXPECT(isinf(ulp_error_f64(DBL_MAX, INFINITY)) && ulp_error_f64(INFINITY, INFINITY) == 0.0,
           "an infinite reference needs the same infinity");
    EXPECT(isinf(ulp_check_f32(step_f32(3.0f, 1), 3.0, 1)), "the linear branch is exact");
    finish("the reference disagrees with mpmath or the ULP measure is off");
}

/* ---- worst-error bookkeeping -------------------------------------------------------------------- */

typedef struct worst {
    double err;
    double x, got;    /* the input and the kernel's result, widened */
    long double want; /* the reference, with the threshold rule applied */
    unsigned long long over_bound;
    int seen;
    /* zero results with the wrong sign: how many, and the first */
    unsigned long long sign_wrong;
    double sign_x, sign_got;
    long double sign_want;
} worst;

/* Records a result; a zero of the wrong sign is counted apart and then measured as the right zero. */
static void track(worst *w, double err, double bound, double x, double got, long double want, int sign_wrong)
{
    if (sign_wrong) {
        if (w->sign_wrong++ == 0) {
            w->sign_x = x;
            w->sign_got = got;
            w->sign_want = want;
        }
        return;
    }
    if (err > bound)
        w->over_bound++;
    if (!w->seen || err > w->err) {
        w->seen = 1;
        w->err = err;
        w->x = x;
        w->got = got;
        w->want = want;
    }
}

static void report(const char *dtype, const char *kernel, int op, double beta, double threshold, const worst *w,
                   double bound)
{
    print_message("  %s %-7s %s beta %-4g threshold %-4g worst %8.4f ULP at x = %a (got %a, want %La)%s\n", dtype,
                  kernel, op_names[op], beta, threshold, w->err, w->x, w->got, w->want,
                  w->sign_wrong ? " and zeros with the wrong sign" : "");
    EXPECT(w->sign_wrong == 0, "%s %s %s beta %g threshold %g: %llu zero results with the wrong sign, first at x = %a: "
           "got %a, want %La", dtype, kernel, op_names[op], beta, threshold, w->sign_wrong, w->sign_x, w->sign_got,
           w->sign_want);
    EXPECT(w->over_bound == 0,
           "%s %s %s beta %g threshold %g: %llu results over %.2f ULP, worst %g at x = %a: got %a, want %La", dtype,
           kernel, op_names[op], beta, threshold, w->over_bound, bound, w->err, w->x, w->got, w->want);
}

enum { MAXK = 8 };

/* ---- f32 sweeps ---------------------------------------------------------------------------------- */

/* Under an emulator (cross builds define SP_TEST_EMULATED) the sweeps below take an eighth of their
 * inputs, same regions: there the ulp_sweep tests (tests/accuracy/CMakeLists.txt) are the dense ones. */
#ifdef SP_TEST_EMULATED
#define SWEEP_SHIFT 3
#else
#define SWEEP_SHIFT 0
#endif

/* Regions of the f32 sweep: every F32_BITS_STEP-th bit pattern (all binades of both signs, subnormals,
 * infinities and NaNs; F32_BITS_STEP * F32_BITS < 2^32), z = beta*x dense over [-8, 8], over the
 * underflow region [-106, -85], over [-150, 100], and the F32_NEAR/2 floats either side of 20/beta and
 * of -3.5/beta. */
enum {
    F32_BITS = 1 << (23 - SWEEP_SHIFT),
    F32_BITS_STEP = (509 << SWEEP_SHIFT) | 1, /* odd: 509, or 4073 emulated */
    F32_DENSE = 1 << (22 - SWEEP_SHIFT),
    F32_UNDER = 1 << (21 - SWEEP_SHIFT),
    F32_WIDE = 1 << (21 - SWEEP_SHIFT),
    F32_NEAR = 1 << (18 - SWEEP_SHIFT),
    F32_COUNT = F32_BITS + F32_DENSE + F32_UNDER + F32_WIDE + 2 * F32_NEAR
};

static float sweep_input_f32(uint32_t i, float beta)
{
    if (i < F32_BITS)
        return f32_from_bits(i * (uint32_t)F32_BITS_STEP);
    i -= F32_BITS;
    if (i < F32_DENSE)
        return (float)((-8.0 + 16.0 * (i + 0.5) / F32_DENSE) / beta);
    i -= F32_DENSE;
    if (i < F32_UNDER)
        return (float)((-106.0 + 21.0 * (i + 0.5) / F32_UNDER) / beta);
    i -= F32_UNDER;
    if (i < F32_WIDE)
        return (float)((-150.0 + 250.0 * (i + 0.5) / F32_WIDE) / beta);
    i -= F32_WIDE;
    const float x0 = (float)((i < F32_NEAR ? 20.0 : -3.5) / beta);
    /* consecutive bit patterns are consecutive floats of one sign: |x0| >> 2^17 ulps from zero */
    return f32_from_bits(bits_f32(x0) + (uint32_t)(i % F32_NEAR) - F32_NEAR / 2);
}

static void test_sweep_f32(void **state)
{
    const float beta = *(const float *)*state;
    static float x[BLOCK], y[BLOCK], ones[BLOCK];
    static float zf[BLOCK];
    static double ref_sp[BLOCK], ref_sig[BLOCK];
    static worst w[MAXK][OPS][NTHRESHOLDS];
    memset(w, 0, sizeof w);
    begin();
    for (size_t j = 0; j < BLOCK; j++)
        ones[j] = 1.0f;
    for (uint32_t first = 0; first < F32_COUNT; first += BLOCK) {
        const size_t n = F32_COUNT - first < BLOCK ? F32_COUNT - first : BLOCK;
        for (size_t j = 0; j < n; j++) {
            x[j] = sweep_input_f32(first + (uint32_t)j, beta);
            ref_sp[j] = ref_softplus_f32(x[j], beta);
            ref_sig[j] = ref_sigmoid_f32(x[j], beta);
            zf[j] = (float)((double)beta * (double)x[j]);
        }
        for (size_t t = 0; t < NTHRESHOLDS; t++) {
            const sp_params_f32 p = {beta, (float)thresholds[t]};
            for (size_t k = 0; k < ulp_kernel_count_f32 && k < MAXK; k++) {
                const ulp_kernel *kern = &ulp_kernels_f32[k];
                if (!runnable_f32(kern))
                    continue;
                const double bound = ulp_bound((kern)->op[SP_OP_FWD], beta);
                for (int op = 0; op < OPS; op++) {
                    if (op == 0)
                        ulp_run_fwd(kern->op[SP_OP_FWD], n, x, y, &p);
                    else
                        ulp_run_bwd(kern->op[SP_OP_BWD], n, ones, x, y, &p);
                    worst *wk = &w[k][op][t];
                    for (size_t j = 0; j < n; j++) {
                        const int linear = zf[j] > p.threshold;
                        const double want = linear ? (op == 0 ? (double)x[j] : 1.0) : (op == 0 ? ref_sp : ref_sig)[j];
                        double err = ulp_check_f32(y[j], want, linear);
                        const int sign_wrong = !linear && ulp_zero_sign_wrong_f32(y[j], want);
                        if (sign_wrong) {
                            track(wk, err, bound, x[j], y[j], want, 1);
                            err = ulp_error_f32(-y[j], want);
                        }
                        if (err > wk->err || err > bound || !wk->seen)
                            track(wk, err, bound, x[j], y[j], want, 0);
                    }
                }
            }
        }
    }
    for (size_t k = 0; k < ulp_kernel_count_f32 && k < MAXK; k++)
        if (runnable_f32(&ulp_kernels_f32[k]))
            for (int op = 0; op < OPS; op++)
                for (size_t t = 0; t < NTHRESHOLDS; t++)
                    report("f32", ulp_kernels_f32[k].name, op, beta, thresholds[t], &w[k][op][t],
                           ulp_bound((&ulp_kernels_f32[k])->op[SP_OP_FWD], beta));
    finish("f32 results over the kernel's bound (see above)");
}

/* ---- f64 sweeps ---------------------------------------------------------------------------------- */

enum { F64_COUNT = 1000000 >> SWEEP_SHIFT };

static void test_sweep_f64(void **state)
{
    const double beta = *(const double *)*state;
    static double x[BLOCK], y[BLOCK], ones[BLOCK], zf[BLOCK];
    static long double ref_sp[BLOCK], ref_sig[BLOCK];
    static worst w[MAXK][OPS][NTHRESHOLDS];
    memset(w, 0, sizeof w);
    begin();
    for (size_t j = 0; j < BLOCK; j++)
        ones[j] = 1.0;
    for (uint64_t first = 0; first < F64_COUNT; first += BLOCK) {
        const size_t n = F64_COUNT - first < BLOCK ? (size_t)(F64_COUNT - first) : BLOCK;
        for (size_t j = 0; j < n; j++) {
            /* the first half gathers near 20/beta, the second near -3.5/beta */
            const uint64_t i = first + j;
            x[j] = ulp_sample_f64(1000 + (uint64_t)(beta * 10), i, beta, i < F64_COUNT / 2 ? 20.0 : -3.5);
            ref_sp[j] = ref_softplus_f64(x[j], beta);
            ref_sig[j] = ref_sigmoid_f64(x[j], beta);
            zf[j] = beta * x[j];
        }
        for (size_t t = 0; t < NTHRESHOLDS; t++) {
            const sp_params_f64 p = {beta, thresholds[t]};
            for (size_t k = 0; k < ulp_kernel_count_f64 && k < MAXK; k++) {
                const ulp_kernel *kern = &ulp_kernels_f64[k];
                if (!runnable_f64(kern))
                    continue;
                const double bound = ulp_bound((kern)->op[SP_OP_FWD], beta);
                for (int op = 0; op < OPS; op++) {
                    if (op == 0)
                        ulp_run_fwd(kern->op[SP_OP_FWD], n, x, y, &p);
                    else
                        ulp_run_bwd(kern->op[SP_OP_BWD], n, ones, x, y, &p);
                    worst *wk = &w[k][op][t];
                    for (size_t j = 0; j < n; j++) {
                        const int linear = zf[j] > p.threshold;
                        const long double want =
                            linear ? (op == 0 ? (long double)x[j] : 1.0L) : (op == 0 ? ref_sp : ref_sig)[j];
                        double err = ulp_check_f64(y[j], want, linear);
                        const int sign_wrong = !linear && ulp_zero_sign_wrong_f64(y[j], want);
                        if (sign_wrong) {
                            track(wk, err, bound, x[j], y[j], want, 1);
                            err = ulp_error_f64(-y[j], want);
                        }
                        if (err > wk->err || err > bound || !wk->seen)
                            track(wk, err, bound, x[j], y[j], want, 0);
                    }
                }
            }
        }
    }
    for (size_t k = 0; k < ulp_kernel_count_f64 && k < MAXK; k++)
        if (runnable_f64(&ulp_kernels_f64[k]))
            for (int op = 0; op < OPS; op++)
                for (size_t t = 0; t < NTHRESHOLDS; t++)
                    report("f64", ulp_kernels_f64[k].name, op, beta, thresholds[t], &w[k][op][t],
                           ulp_bound((&ulp_kernels_f64[k])->op[SP_OP_FWD], beta));
    finish("f64 results over the kernel's bound (see above)");
}

/* ---- one element at a time ---------------------------------------------------------------------- */

static float fwd1_f32(const ulp_kernel *k, float x, float beta, float threshold)
{
    const sp_params_f32 p = {beta, threshold};
    float y;
    ulp_run_fwd(k->op[SP_OP_FWD], 1, &x, &y, &p);
    return y;
}

static float bwd1_f32(const ulp_kernel *k, float dy, float x, float beta, float threshold)
{
    const sp_params_f32 p = {beta, threshold};
    float dx;
    ulp_run_bwd(k->op[SP_OP_BWD], 1, &dy, &x, &dx, &p);
    return dx;
}

static double fwd1_f64(const ulp_kernel *k, double x, double beta, double threshold)
{
    const sp_params_f64 p = {beta, threshold};
    double y;
    ulp_run_fwd(k->op[SP_OP_FWD], 1, &x, &y, &p);
    return y;
}

static double bwd1_f64(const ulp_kernel *k, double dy, double x, double beta, double threshold)
{
    const sp_params_f64 p = {beta, threshold};
    double dx;
    ulp_run_bwd(k->op[SP_OP_BWD], 1, &dy, &x, &dx, &p);
    return dx;
}

/* A value the rule and the reference agree on: within the bound, exact in the linear branch. dy = 1
 * for the backward bound; a second dy checks the linear branch passes dy through unchanged. */
static void check_point_f32(const ulp_kernel *k, float x, float beta, float threshold, const char *what)
{
    const double bound = ulp_bound((k)->op[SP_OP_FWD], beta);
    const int linear = ref_linear_f32(x, beta, threshold);
    const float y = fwd1_f32(k, x, beta, threshold);
    const double want = ref_fwd_f32(x, beta, threshold);
    const double err = ulp_check_f32(y, want, linear);
    EXPECT(err <= bound, "%s: f32 %s fwd beta %a threshold %a x = %a: got %a, want %a (%s branch, %g ULP)", what,
           k->name, (double)beta, (double)threshold, (double)x, (double)y, want, linear ? "linear" : "formula", err);
    const float dx = bwd1_f32(k, 1.0f, x, beta, threshold);
    const double want_dx = ref_bwd_f32(1.0f, x, beta, threshold);
    const double err_dx = ulp_check_f32(dx, want_dx, linear);
    EXPECT(err_dx <= bound, "%s: f32 %s bwd beta %a threshold %a x = %a dy = 1: got %a, want %a (%s branch, %g ULP)",
           what, k->name, (double)beta, (double)threshold, (double)x, (double)dx, want_dx,
           linear ? "linear" : "formula", err_dx);
    if (linear) {
        const float dy = -0x1.c3p+0f; /* -1.76 */
        const float dx2 = bwd1_f32(k, dy, x, beta, threshold);
        EXPECT(same_f32(dx2, dy), "%s: f32 %s bwd beta %a threshold %a x = %a dy = %a: got %a, want dy (linear)",
               what, k->name, (double)beta, (double)threshold, (double)x, (double)dy, (double)dx2);
    }
}

static void check_point_f64(const ulp_kernel *k, double x, double beta, double threshold, const char *what)
{
    const double bound = ulp_bound((k)->op[SP_OP_FWD], beta);
    const int linear = ref_linear_f64(x, beta, threshold);
    const double y = fwd1_f64(k, x, beta, threshold);
    const long double want = ref_fwd_f64(x, beta, threshold);
    const double err = ulp_check_f64(y, want, linear);
    EXPECT(err <= bound, "%s: f64 %s fwd beta %a threshold %a x = %a: got %a, want %La (%s branch, %g ULP)", what,
           k->name, beta, threshold, x, y, want, linear ? "linear" : "formula", err);
    const double dx = bwd1_f64(k, 1.0, x, beta, threshold);
    const long double want_dx = ref_bwd_f64(1.0, x, beta, threshold);
    const double err_dx = ulp_check_f64(dx, want_dx, linear);
    EXPECT(err_dx <= bound, "%s: f64 %s bwd beta %a threshold %a x = %a dy = 1: got %a, want %La (%s branch, %g ULP)",
           what, k->name, beta, threshold, x, dx, want_dx, linear ? "linear" : "formula", err_dx);
    if (linear) {
        const double dy = -0x1.c3p+0;
        const double dx2 = bwd1_f64(k, dy, x, beta, threshold);
        EXPECT(same_f64(dx2, dy), "%s: f64 %s bwd beta %a threshold %a x = %a dy = %a: got %a, want dy (linear)",
               what, k->name, beta, threshold, x, dy, dx2);
    }
}

/* ---- special values ------------------------------------------------------------------------------ */

static void test_special_values_f32(void **state)
{
    (void)state;
    static const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7fc12345u, 0x7f800001u, 0x7fa00000u,
                                    0xff800001u, 0x7fffffffu, 0xffbfffffu};
    static const float dys[] = {1.0f, -2.5f, 0.0f, -0.0f, FLT_MAX, 0x1p-149f, INFINITY, -INFINITY};
    static const float tiny[] = {0.0f,         -0.0f,         0x1p-149f,  -0x1p-149f, 0x1.fffffcp-127f,
                                 -0x1.fffffcp-127f, 0x1.234p-140f, -0x1.234p-135f, FLT_MIN, -FLT_MIN};
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f32; ki++) {
        const ulp_kernel *k = &ulp_kernels_f32[ki];
        if (!runnable_f32(k))
            continue;
        for (size_t b = 0; b < NBETAS; b++) {
            const float beta = betas_f32[b];
            for (size_t t = 0; t < NTHRESHOLDS; t++) {
                const float thr = (float)thresholds[t];
                /* NaN in x or in dy gives NaN, whatever the payload or signalling bit */
                for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
                    const float nan = f32_from_bits(nans[i]);
                    const float y = fwd1_f32(k, nan, beta, thr);
                    EXPECT(isnan(y), "f32 %s fwd beta %a threshold %a x = NaN 0x%08x: got %a, want NaN", k->name,
                           (double)beta, (double)thr, (unsigned)nans[i], (double)y);
                    for (size_t d = 0; d < sizeof dys / sizeof dys[0]; d++) {
                        const float dx = bwd1_f32(k, dys[d], nan, beta, thr);
                        EXPECT(isnan(dx), "f32 %s bwd beta %a threshold %a x = NaN 0x%08x dy = %a: got %a, want NaN",
                               k->name, (double)beta, (double)thr, (unsigned)nans[i], (double)dys[d], (double)dx);
                    }
                    const float xs[] = {0.0f, 1.0f, -1.0f, 100.0f, -100.0f, INFINITY, -INFINITY, 1e30f};
                    for (size_t j = 0; j < sizeof xs / sizeof xs[0]; j++) {
                        const float dx = bwd1_f32(k, nan, xs[j], beta, thr);
                        EXPECT(isnan(dx), "f32 %s bwd beta %a threshold %a x = %a dy = NaN 0x%08x: got %a, want NaN",
                               k->name, (double)beta, (double)thr, (double)xs[j], (unsigned)nans[i], (double)dx);
                    }
                }
                /* +-inf: x itself where beta*x = +inf, else the zero with the sign of beta (the limit of
                 * log1p(exp(z))/beta at z = -inf); the gradient is dy*1 or dy*0 exactly. */
                for (int s = 0; s < 2; s++) {
                    const float x = s ? -INFINITY : INFINITY;
                    const int up = (beta > 0) == (x > 0);
                    const float want = up ? x : copysignf(0.0f, beta);
                    const float y = fwd1_f32(k, x, beta, thr);
                    EXPECT(same_f32(y, want), "f32 %s fwd beta %a threshold %a x = %a: got %a, want %a", k->name,
                           (double)beta, (double)thr, (double)x, (double)y, (double)want);
                    for (size_t d = 0; d < sizeof dys / sizeof dys[0]; d++) {
                        const float want_dx = dys[d] * (up ? 1.0f : 0.0f);
                        const float dx = bwd1_f32(k, dys[d], x, beta, thr);
                        EXPECT(same_f32(dx, want_dx), "f32 %s bwd beta %a threshold %a x = %a dy = %a: got %a, want %a",
                               k->name, (double)beta, (double)thr, (double)x, (double)dys[d], (double)dx,
                               (double)want_dx);
                    }
                }
                /* zeros (ln2/beta, or x itself when 0 > threshold), subnormals, FLT_MIN */
                for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++)
                    check_point_f32(k, tiny[i], beta, thr, "zero or subnormal input");
                /* an infinite dy times a sigmoid that is a normal float stays infinite */
                const float zs[] = {0.0f, 1.0f, -1.0f, 10.0f, -20.0f};
                for (size_t j = 0; j < sizeof zs / sizeof zs[0]; j++) {
                    const float x = (float)(zs[j] / beta);
                    for (int s = 0; s < 2; s++) {
                        const float dy = s ? -INFINITY : INFINITY;
                        const float dx = bwd1_f32(k, dy, x, beta, thr);
                        EXPECT(same_f32(dx, dy), "f32 %s bwd beta %a threshold %a x = %a dy = %a: got %a, want %a",
                               k->name, (double)beta, (double)thr, (double)x, (double)dy, (double)dx, (double)dy);
                    }
                }
            }
        }
    }
    finish("f32 special values");
}

static void test_special_values_f64(void **state)
{
    (void)state;
    static const uint64_t nans[] = {0x7ff8000000000000u, 0xfff8000000000000u, 0x7ff8dead0000beefu,
                                    0x7ff0000000000001u, 0x7ff4000000000000u, 0xfff0000000000001u,
                                    0x7fffffffffffffffu, 0xfff7ffffffffffffu};
    static const double dys[] = {1.0, -2.5, 0.0, -0.0, DBL_MAX, 0x1p-1074, INFINITY, -INFINITY};
    static const double tiny[] = {0.0,         -0.0,        0x1p-1074,      -0x1p-1074, 0x1.ffffffffffffep-1023,
                                  -0x1.ffffffffffffep-1023, 0x1.234p-1060, -0x1.234p-1030, DBL_MIN, -DBL_MIN};
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f64; ki++) {
        const ulp_kernel *k = &ulp_kernels_f64[ki];
        if (!runnable_f64(k))
            continue;
        for (size_t b = 0; b < NBETAS; b++) {
            const double beta = betas_f64[b];
            for (size_t t = 0; t < NTHRESHOLDS; t++) {
                const double thr = thresholds[t];
                for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
                    const double nan = f64_from_bits(nans[i]);
                    const double y = fwd1_f64(k, nan, beta, thr);
                    EXPECT(isnan(y), "f64 %s fwd beta %a threshold %a x = NaN 0x%016llx: got %a, want NaN", k->name,
                           beta, thr, (unsigned long long)nans[i], y);
                    for (size_t d = 0; d < sizeof dys / sizeof dys[0]; d++) {
                        const double dx = bwd1_f64(k, dys[d], nan, beta, thr);
                        EXPECT(isnan(dx), "f64 %s bwd beta %a threshold %a x = NaN 0x%016llx dy = %a: got %a, want NaN",
                               k->name, beta, thr, (unsigned long long)nans[i], dys[d], dx);
                    }
                    const double xs[] = {0.0, 1.0, -1.0, 100.0, -100.0, INFINITY, -INFINITY, 1e300};
                    for (size_t j = 0; j < sizeof xs / sizeof xs[0]; j++) {
                        const double dx = bwd1_f64(k, nan, xs[j], beta, thr);
                        EXPECT(isnan(dx), "f64 %s bwd beta %a threshold %a x = %a dy = NaN 0x%016llx: got %a, want NaN",
                               k->name, beta, thr, xs[j], (unsigned long long)nans[i], dx);
                    }
                }
                for (int s = 0; s < 2; s++) {
                    const double x = s ? -INFINITY : INFINITY;
                    const int up = (beta > 0) == (x > 0);
                    const double want = up ? x : copysign(0.0, beta);
                    const double y = fwd1_f64(k, x, beta, thr);
                    EXPECT(same_f64(y, want), "f64 %s fwd beta %a threshold %a x = %a: got %a, want %a", k->name,
                           beta, thr, x, y, want);
                    for (size_t d = 0; d < sizeof dys / sizeof dys[0]; d++) {
                        const double want_dx = dys[d] * (up ? 1.0 : 0.0);
                        const double dx = bwd1_f64(k, dys[d], x, beta, thr);
                        EXPECT(same_f64(dx, want_dx), "f64 %s bwd beta %a threshold %a x = %a dy = %a: got %a, want %a",
                               k->name, beta, thr, x, dys[d], dx, want_dx);
                    }
                }
                for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++)
                    check_point_f64(k, tiny[i], beta, thr, "zero or subnormal input");
                const double zs[] = {0.0, 1.0, -1.0, 10.0, -20.0, -700.0};
                for (size_t j = 0; j < sizeof zs / sizeof zs[0]; j++) {
                    const double x = zs[j] / beta;
                    for (int s = 0; s < 2; s++) {
                        const double dy = s ? -INFINITY : INFINITY;
                        const double dx = bwd1_f64(k, dy, x, beta, thr);
                        EXPECT(same_f64(dx, dy), "f64 %s bwd beta %a threshold %a x = %a dy = %a: got %a, want %a",
                               k->name, beta, thr, x, dy, dx, dy);
                    }
                }
            }
        }
    }
    finish("f64 special values");
}

/* ---- the threshold boundary ---------------------------------------------------------------------- */

/* Thresholds whose boundary x (fl(beta*x) == threshold) sits in different places of the curve. */
static const double boundary_thresholds[] = {20.0, -3.5, 0.0, 1.0, 15.5, -20.0, 88.5, 0x1p-10};

/* For every x near threshold/beta whose rounded product equals the threshold exactly, that x and its
 * neighbours two ulps either way: the linear branch (x, dy bit for bit) exactly where fl(beta*x) >
 * threshold, the formula within the bound elsewhere (for -3.5 the two differ by far more than the
 * bound, so a '>=' would fail). */
static void test_threshold_boundary_f32(void **state)
{
    (void)state;
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f32; ki++) {
        const ulp_kernel *k = &ulp_kernels_f32[ki];
        if (!runnable_f32(k))
            continue;
        for (size_t b = 0; b < NBETAS; b++) {
            const float beta = betas_f32[b];
            for (size_t t = 0; t < sizeof boundary_thresholds / sizeof boundary_thresholds[0]; t++) {
                const float thr = (float)boundary_thresholds[t];
                const float x0 = (float)((double)thr / beta);
                int found = 0;
                for (int s = -64; s <= 64; s++) {
                    const float xs = step_f32(x0, s);
                    if ((float)((double)beta * xs) != thr)
                        continue;
                    found++;
                    for (int d = -2; d <= 2; d++)
                        check_point_f32(k, step_f32(xs, d), beta, thr, "threshold boundary");
                }
                /* with beta = +-2^k, threshold/beta is exact and must be found */
                const int exact = fabsf(beta) == 1.0f || fabsf(beta) == 0.5f || fabsf(beta) == 2.0f;
                EXPECT(!exact || found, "no f32 x with fl(beta*x) == threshold found for beta %a threshold %a",
                       (double)beta, (double)thr);
            }
        }
    }
    finish("f32 threshold boundary");
}

static void test_threshold_boundary_f64(void **state)
{
    (void)state;
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f64; ki++) {
        const ulp_kernel *k = &ulp_kernels_f64[ki];
        if (!runnable_f64(k))
            continue;
        for (size_t b = 0; b < NBETAS; b++) {
            const double beta = betas_f64[b];
            for (size_t t = 0; t < sizeof boundary_thresholds / sizeof boundary_thresholds[0]; t++) {
                const double thr = boundary_thresholds[t];
                const double x0 = thr / beta;
                int found = 0;
                for (int s = -64; s <= 64; s++) {
                    const double xs = step_f64(x0, s);
                    if (beta * xs != thr)
                        continue;
                    found++;
                    for (int d = -2; d <= 2; d++)
                        check_point_f64(k, step_f64(xs, d), beta, thr, "threshold boundary");
                }
                const int exact = fabs(beta) == 1.0 || fabs(beta) == 0.5 || fabs(beta) == 2.0;
                EXPECT(!exact || found, "no f64 x with fl(beta*x) == threshold found for beta %a threshold %a", beta,
                       thr);
            }
        }
    }
    finish("f64 threshold boundary");
}

/* ---- products that overflow the format -------------------------------------------------------- */

/* beta*x overflows to +-inf in the tensor's precision for finite x: the linear branch returns x where
 * the rule says so, and otherwise the result is finite and within the bound (x, or a zero with the
 * sign of beta, or x plus a tiny term). */
static void test_huge_products_f32(void **state)
{
    (void)state;
    static const float hbetas[] = {7.3f, 2.0f, -2.0f, -7.3f, 1e30f, -1e30f, 0.5f};
    static const float hthr[] = {INFINITY, 20.0f, -3.5f, 1e38f};
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f32; ki++) {
        const ulp_kernel *k = &ulp_kernels_f32[ki];
        if (!runnable_f32(k))
            continue;
        for (size_t b = 0; b < sizeof hbetas / sizeof hbetas[0]; b++) {
            const float beta = hbetas[b];
            const float lim = FLT_MAX / fabsf(beta); /* products beyond this overflow */
            const float xs[] = {FLT_MAX, 0x1.8p127f, 1e38f, step_f32(lim, 1), step_f32(lim, 2), lim,
                                lim * 1.5f, step_f32(lim, -1)};
            for (size_t t = 0; t < sizeof hthr / sizeof hthr[0]; t++)
                for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
                    for (int s = 0; s < 2; s++) {
                        const float x = s ? -xs[i] : xs[i];
                        if (!isfinite(x))
                            continue;
                        check_point_f32(k, x, beta, hthr[t], "huge product");
                        const float y = fwd1_f32(k, x, beta, hthr[t]);
                        EXPECT(isfinite(y), "f32 %s fwd beta %a threshold %a x = %a: got %a, want a finite result",
                               k->name, (double)beta, (double)hthr[t], (double)x, (double)y);
                    }
        }
    }
    finish("f32 huge products");
}

static void test_huge_products_f64(void **state)
{
    (void)state;
#ifdef SP_TEST_REDUCED
    skip(); /* valgrind's x87 long double is double precision (see main) */
#endif
    static const double hbetas[] = {7.3, 2.0, -2.0, -7.3, 1e300, -1e300, 0.5};
    static const double hthr[] = {INFINITY, 20.0, -3.5, 1e308};
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f64; ki++) {
        const ulp_kernel *k = &ulp_kernels_f64[ki];
        if (!runnable_f64(k))
            continue;
        for (size_t b = 0; b < sizeof hbetas / sizeof hbetas[0]; b++) {
            const double beta = hbetas[b];
            const double lim = DBL_MAX / fabs(beta);
            const double xs[] = {DBL_MAX, 0x1.8p1023, 1e308, step_f64(lim, 1), step_f64(lim, 2), lim,
                                 lim * 1.5, step_f64(lim, -1)};
            for (size_t t = 0; t < sizeof hthr / sizeof hthr[0]; t++)
                for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
                    for (int s = 0; s < 2; s++) {
                        const double x = s ? -xs[i] : xs[i];
                        if (!isfinite(x))
                            continue;
                        check_point_f64(k, x, beta, hthr[t], "huge product");
                        const double y = fwd1_f64(k, x, beta, hthr[t]);
                        EXPECT(isfinite(y), "f64 %s fwd beta %a threshold %a x = %a: got %a, want a finite result",
                               k->name, beta, hthr[t], x, y);
                    }
        }
    }
    finish("f64 huge products");
}

/* ---- inputs for the layout tests ------------------------------------------------------------------ */

/* Mostly ordinary values (|beta*x| <= 30), every fifth one special, so that tails, lanes and in-place
 * calls also go through whatever path a kernel has for special inputs. */
static float mixed_f32(uint64_t seed, size_t j, float beta)
{
    const uint64_t r = ulp_mix64(ulp_mix64(seed) + j);
    const float specials[] = {NAN, f32_from_bits(0x7f800001u), INFINITY, -INFINITY, 0.0f, -0.0f, 0x1p-149f,
                              FLT_MAX, -FLT_MAX, (float)(20.0 / beta), (float)(-3.5 / beta), (float)(-95.0 / beta),
                              (float)(-200.0 / beta)};
    if (r % 5 == 0)
        return specials[(r >> 8) % (sizeof specials / sizeof specials[0])];
    return (float)((-30.0 + 60.0 * ulp_unit(r)) / beta);
}

static double mixed_f64(uint64_t seed, size_t j, double beta)
{
    const uint64_t r = ulp_mix64(ulp_mix64(seed) + j);
    const double specials[] = {NAN, f64_from_bits(0x7ff0000000000001u), INFINITY, -INFINITY, 0.0, -0.0,
                               0x1p-1074, DBL_MAX, -DBL_MAX, 20.0 / beta, -3.5 / beta, -740.0 / beta,
                               -800.0 / beta};
    if (r % 5 == 0)
        return specials[(r >> 8) % (sizeof specials / sizeof specials[0])];
    return (-30.0 + 60.0 * ulp_unit(r)) / beta;
}

/* The parameter sets the layout tests run with. */
static const struct {
    double beta, threshold;
} layout_params[] = {{1.0, INFINITY}, {7.3, 20.0}, {-1.0, -3.5}};
#define NLAYOUT (sizeof layout_params / sizeof layout_params[0])

/* ---- tails ---------------------------------------------------------------------------------------- */

enum { TAIL_MAX = 64, TAIL_OFFSETS = 16, TAIL_PAD = 16, TAIL_LEN = TAIL_PAD + TAIL_OFFSETS + TAIL_MAX + TAIL_PAD };

/* Every length 1..64 (the kernel contract has n >= 1; n = 0 goes through the public API below) at every
 * start 0..15 from a 64-byte aligned base: each element is bit-identical to the element computed alone
 * (NaN payloads aside), and nothing outside [start, start + n) is written. */
static void test_tails_f32(void **state)
{
    (void)state;
    const uint32_t canary = 0x7fb1c0deu;
    float *x = aligned_alloc(64, TAIL_LEN * sizeof(float));
    float *dy = aligned_alloc(64, TAIL_LEN * sizeof(float));
    float *out = aligned_alloc(64, TAIL_LEN * sizeof(float));
    float *single = aligned_alloc(64, TAIL_LEN * sizeof(float));
    assert_non_null(x);
    assert_non_null(dy);
    assert_non_null(out);
    assert_non_null(single);
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f32; ki++) {
        const ulp_kernel *k = &ulp_kernels_f32[ki];
        if (!runnable_f32(k))
            continue;
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const sp_params_f32 p = {(float)layout_params[pi].beta, (float)layout_params[pi].threshold};
            for (size_t j = 0; j < TAIL_LEN; j++) {
                x[j] = mixed_f32(11 + pi, j, p.beta);
                dy[j] = (float)(-2.0 + 4.0 * ulp_unit(ulp_mix64(17 + j)));
            }
            for (int op = 0; op < OPS; op++) {
                float *base = x + TAIL_PAD, *dbase = dy + TAIL_PAD, *obase = out + TAIL_PAD;
                for (size_t j = 0; j < TAIL_OFFSETS + TAIL_MAX; j++)
                    single[j] = op == 0 ? fwd1_f32(k, base[j], p.beta, p.threshold)
                                        : bwd1_f32(k, dbase[j], base[j], p.beta, p.threshold);
                for (size_t start = 0; start < TAIL_OFFSETS; start++)
                    for (size_t n = 1; n <= TAIL_MAX; n++) {
                        for (size_t j = 0; j < TAIL_LEN; j++)
                            out[j] = f32_from_bits(canary);
                        if (op == 0)
                            ulp_run_fwd(k->op[SP_OP_FWD], n, base + start, obase + start, &p);
                        else
                            ulp_run_bwd(k->op[SP_OP_BWD], n, dbase + start, base + start, obase + start, &p);
                        for (size_t j = 0; j < TAIL_LEN; j++) {
                            const ptrdiff_t i = (ptrdiff_t)j - TAIL_PAD - (ptrdiff_t)start;
                            if (i >= 0 && (size_t)i < n)
                                EXPECT(same_f32(out[j], single[start + (size_t)i]),
                                       "f32 %s %s n %zu start %zu element %td (x = %a): got %a, alone %a", k->name,
                                       op_names[op], n, start, i, (double)base[start + (size_t)i], (double)out[j],
                                       (double)single[start + (size_t)i]);
                            else
                                EXPECT(bits_f32(out[j]) == canary,
                                       "f32 %s %s n %zu start %zu wrote outside [0, n) at %td", k->name, op_names[op],
                                       n, start, i);
                        }
                    }
            }
        }
    }
    free(x);
    free(dy);
    free(out);
    free(single);
    finish("f32 tails");
}

static void test_tails_f64(void **state)
{
    (void)state;
    const uint64_t canary = 0x7ff1c0dec0dec0deu;
    double *x = aligned_alloc(64, TAIL_LEN * sizeof(double));
    double *dy = aligned_alloc(64, TAIL_LEN * sizeof(double));
    double *out = aligned_alloc(64, TAIL_LEN * sizeof(double));
    double *single = aligned_alloc(64, TAIL_LEN * sizeof(double));
    assert_non_null(x);
    assert_non_null(dy);
    assert_non_null(out);
    assert_non_null(single);
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f64; ki++) {
        const ulp_kernel *k = &ulp_kernels_f64[ki];
        if (!runnable_f64(k))
            continue;
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const sp_params_f64 p = {layout_params[pi].beta, layout_params[pi].threshold};
            for (size_t j = 0; j < TAIL_LEN; j++) {
                x[j] = mixed_f64(11 + pi, j, p.beta);
                dy[j] = -2.0 + 4.0 * ulp_unit(ulp_mix64(17 + j));
            }
            for (int op = 0; op < OPS; op++) {
                double *base = x + TAIL_PAD, *dbase = dy + TAIL_PAD, *obase = out + TAIL_PAD;
                for (size_t j = 0; j < TAIL_OFFSETS + TAIL_MAX; j++)
                    single[j] = op == 0 ? fwd1_f64(k, base[j], p.beta, p.threshold)
                                        : bwd1_f64(k, dbase[j], base[j], p.beta, p.threshold);
                for (size_t start = 0; start < TAIL_OFFSETS; start++)
                    for (size_t n = 1; n <= TAIL_MAX; n++) {
                        for (size_t j = 0; j < TAIL_LEN; j++)
                            out[j] = f64_from_bits(canary);
                        if (op == 0)
                            ulp_run_fwd(k->op[SP_OP_FWD], n, base + start, obase + start, &p);
                        else
                            ulp_run_bwd(k->op[SP_OP_BWD], n, dbase + start, base + start, obase + start, &p);
                        for (size_t j = 0; j < TAIL_LEN; j++) {
                            const ptrdiff_t i = (ptrdiff_t)j - TAIL_PAD - (ptrdiff_t)start;
                            if (i >= 0 && (size_t)i < n)
                                EXPECT(same_f64(out[j], single[start + (size_t)i]),
                                       "f64 %s %s n %zu start %zu element %td (x = %a): got %a, alone %a", k->name,
                                       op_names[op], n, start, i, base[start + (size_t)i], out[j],
                                       single[start + (size_t)i]);
                            else
                                EXPECT(bits_f64(out[j]) == canary,
                                       "f64 %s %s n %zu start %zu wrote outside [0, n) at %td", k->name, op_names[op],
                                       n, start, i);
                        }
                    }
            }
        }
    }
    free(x);
    free(dy);
    free(out);
    free(single);
    finish("f64 tails");
}

/* The same through the public API with each supported kernel set forced: lengths 0..64 (0 touches
 * nothing) at starts 0..15, every element as computed alone by that set. */
static void test_tails_public_api(void **state)
{
    (void)state;
    float xf[TAIL_LEN], dyf[TAIL_LEN], of[TAIL_LEN], sf[TAIL_LEN];
    double xd[TAIL_LEN], dyd[TAIL_LEN], od[TAIL_LEN], sd[TAIL_LEN];
    begin();
    for (int isa = SOFTPLUS_ISA_SCALAR; isa <= SOFTPLUS_ISA_NEON; isa++) {
        if (!softplus_isa_supported((softplus_isa)isa))
            continue;
        assert_int_equal(softplus_set_isa((softplus_isa)isa), SOFTPLUS_OK);
        const char *name = softplus_isa_name((softplus_isa)isa);
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const double beta = layout_params[pi].beta, thr = layout_params[pi].threshold;
            for (size_t j = 0; j < TAIL_LEN; j++) {
                xf[j] = mixed_f32(23 + pi, j, (float)beta);
                xd[j] = mixed_f64(23 + pi, j, beta);
                dyf[j] = (float)(dyd[j] = -2.0 + 4.0 * ulp_unit(ulp_mix64(29 + j)));
            }
            for (int op = 0; op < OPS; op++) {
                const size_t one = 1;
                for (size_t j = 0; j < TAIL_LEN; j++) {
                    softplus_status s1, s2;
                    if (op == 0) {
                        s1 = softplus_forward_f32(1, &one, &xf[j], NULL, &sf[j], NULL, (float)beta, (float)thr);
                        s2 = softplus_forward_f64(1, &one, &xd[j], NULL, &sd[j], NULL, beta, thr);
                    } else {
                        s1 = softplus_backward_f32(1, &one, &dyf[j], NULL, &xf[j], NULL, &sf[j], NULL, (float)beta,
                                                   (float)thr);
                        s2 = softplus_backward_f64(1, &one, &dyd[j], NULL, &xd[j], NULL, &sd[j], NULL, beta, thr);
                    }
                    EXPECT(s1 == SOFTPLUS_OK && s2 == SOFTPLUS_OK, "%s %s: a one-element call failed", name,
                           op_names[op]);
                }
                for (size_t start = 0; start < TAIL_OFFSETS; start++)
                    for (size_t n = 0; n <= TAIL_MAX; n++) {
                        for (size_t j = 0; j < TAIL_LEN; j++) {
                            of[j] = f32_from_bits(0x7fb1c0deu);
                            od[j] = f64_from_bits(0x7ff1c0dec0dec0deu);
                        }
                        const size_t at = TAIL_PAD + start;
                        softplus_status s1, s2;
                        if (op == 0) {
                            s1 = softplus_forward_f32(1, &n, xf + at, NULL, of + at, NULL, (float)beta, (float)thr);
                            s2 = softplus_forward_f64(1, &n, xd + at, NULL, od + at, NULL, beta, thr);
                        } else {
                            s1 = softplus_backward_f32(1, &n, dyf + at, NULL, xf + at, NULL, of + at, NULL,
                                                       (float)beta, (float)thr);
                            s2 = softplus_backward_f64(1, &n, dyd + at, NULL, xd + at, NULL, od + at, NULL, beta,
                                                       thr);
                        }
                        EXPECT(s1 == SOFTPLUS_OK && s2 == SOFTPLUS_OK, "%s %s n %zu: status %d / %d", name,
                               op_names[op], n, (int)s1, (int)s2);
                        for (size_t j = 0; j < TAIL_LEN; j++) {
                            const int inside = j >= at && j < at + n;
                            EXPECT(inside ? same_f32(of[j], sf[j]) : bits_f32(of[j]) == 0x7fb1c0deu,
                                   "%s f32 %s n %zu start %zu index %zu: got %a, want %a", name, op_names[op], n,
                                   start, j, (double)of[j], inside ? (double)sf[j] : (double)NAN);
                            EXPECT(inside ? same_f64(od[j], sd[j]) : bits_f64(od[j]) == 0x7ff1c0dec0dec0deu,
                                   "%s f64 %s n %zu start %zu index %zu: got %a, want %a", name, op_names[op], n,
                                   start, j, od[j], inside ? sd[j] : NAN);
                        }
                    }
            }
        }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    finish("tails through the public API");
}

/* ---- control values in one lane ------------------------------------------------------------------ */

enum { LANES = 64 };

/* A NaN, an infinity or another special value in one position must not change any other position's
 * result: every element is compared with the element computed alone. */
static void test_control_lane_f32(void **state)
{
    (void)state;
    const float controls[] = {NAN, f32_from_bits(0x7f800001u), f32_from_bits(0xffc12345u), INFINITY, -INFINITY,
                              FLT_MAX, -FLT_MAX, 0x1p-149f, -0.0f, 1e-30f};
    const float dy_controls[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, FLT_MAX};
    float x[LANES], dy[LANES], out[LANES], single[LANES];
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f32; ki++) {
        const ulp_kernel *k = &ulp_kernels_f32[ki];
        if (!runnable_f32(k))
            continue;
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const sp_params_f32 p = {(float)layout_params[pi].beta, (float)layout_params[pi].threshold};
            for (int op = 0; op < OPS; op++) {
                const size_t ncontrols = sizeof controls / sizeof controls[0];
                const size_t ndy = op == 0 ? 0 : sizeof dy_controls / sizeof dy_controls[0];
                for (size_t c = 0; c < ncontrols + ndy; c++)
                    for (size_t lane = 0; lane < LANES; lane++) {
                        for (size_t j = 0; j < LANES; j++) {
                            x[j] = (float)((-30.0 + 60.0 * ulp_unit(ulp_mix64(31 + j))) / p.beta);
                            dy[j] = (float)(0.5 + ulp_unit(ulp_mix64(37 + j)));
                        }
                        if (c < ncontrols)
                            x[lane] = controls[c];
                        else
                            dy[lane] = dy_controls[c - ncontrols];
                        for (size_t j = 0; j < LANES; j++)
                            single[j] = op == 0 ? fwd1_f32(k, x[j], p.beta, p.threshold)
                                                : bwd1_f32(k, dy[j], x[j], p.beta, p.threshold);
                        if (op == 0)
                            ulp_run_fwd(k->op[SP_OP_FWD], LANES, x, out, &p);
                        else
                            ulp_run_bwd(k->op[SP_OP_BWD], LANES, dy, x, out, &p);
                        for (size_t j = 0; j < LANES; j++)
                            EXPECT(same_f32(out[j], single[j]),
                                   "f32 %s %s control %s %a in lane %zu: lane %zu (x = %a, dy = %a) got %a, alone %a",
                                   k->name, op_names[op], c < ncontrols ? "x" : "dy",
                                   c < ncontrols ? (double)x[lane] : (double)dy[lane], lane, j, (double)x[j],
                                   (double)dy[j], (double)out[j], (double)single[j]);
                    }
            }
        }
    }
    finish("f32 control lanes");
}

static void test_control_lane_f64(void **state)
{
    (void)state;
    const double controls[] = {NAN, f64_from_bits(0x7ff0000000000001u), f64_from_bits(0xfff8dead0000beefu),
                               INFINITY, -INFINITY, DBL_MAX, -DBL_MAX, 0x1p-1074, -0.0, 1e-300};
    const double dy_controls[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, DBL_MAX};
    double x[LANES], dy[LANES], out[LANES], single[LANES];
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f64; ki++) {
        const ulp_kernel *k = &ulp_kernels_f64[ki];
        if (!runnable_f64(k))
            continue;
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const sp_params_f64 p = {layout_params[pi].beta, layout_params[pi].threshold};
            for (int op = 0; op < OPS; op++) {
                const size_t ncontrols = sizeof controls / sizeof controls[0];
                const size_t ndy = op == 0 ? 0 : sizeof dy_controls / sizeof dy_controls[0];
                for (size_t c = 0; c < ncontrols + ndy; c++)
                    for (size_t lane = 0; lane < LANES; lane++) {
                        for (size_t j = 0; j < LANES; j++) {
                            x[j] = (-30.0 + 60.0 * ulp_unit(ulp_mix64(31 + j))) / p.beta;
                            dy[j] = 0.5 + ulp_unit(ulp_mix64(37 + j));
                        }
                        if (c < ncontrols)
                            x[lane] = controls[c];
                        else
                            dy[lane] = dy_controls[c - ncontrols];
                        for (size_t j = 0; j < LANES; j++)
                            single[j] = op == 0 ? fwd1_f64(k, x[j], p.beta, p.threshold)
                                                : bwd1_f64(k, dy[j], x[j], p.beta, p.threshold);
                        if (op == 0)
                            ulp_run_fwd(k->op[SP_OP_FWD], LANES, x, out, &p);
                        else
                            ulp_run_bwd(k->op[SP_OP_BWD], LANES, dy, x, out, &p);
                        for (size_t j = 0; j < LANES; j++)
                            EXPECT(same_f64(out[j], single[j]),
                                   "f64 %s %s control %s %a in lane %zu: lane %zu (x = %a, dy = %a) got %a, alone %a",
                                   k->name, op_names[op], c < ncontrols ? "x" : "dy",
                                   c < ncontrols ? x[lane] : dy[lane], lane, j, x[j], dy[j], out[j], single[j]);
                    }
            }
        }
    }
    finish("f64 control lanes");
}

/* ---- in place -------------------------------------------------------------------------------------- */

enum { INPLACE_N = 1000 };

/* y == x, dx == dy, dx == x and dx == dy == x give the same bits as separate buffers. */
static void test_in_place_f32(void **state)
{
    (void)state;
    static float x[INPLACE_N], dy[INPLACE_N], want[INPLACE_N], buf[INPLACE_N], buf2[INPLACE_N];
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f32; ki++) {
        const ulp_kernel *k = &ulp_kernels_f32[ki];
        if (!runnable_f32(k))
            continue;
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const sp_params_f32 p = {(float)layout_params[pi].beta, (float)layout_params[pi].threshold};
            for (size_t j = 0; j < INPLACE_N; j++) {
                x[j] = mixed_f32(41 + pi, j, p.beta);
                dy[j] = mixed_f32(43 + pi, j, 1.0f);
            }
            /* y == x */
            ulp_run_fwd(k->op[SP_OP_FWD], INPLACE_N, x, want, &p);
            memcpy(buf, x, sizeof buf);
            ulp_run_fwd(k->op[SP_OP_FWD], INPLACE_N, buf, buf, &p);
            for (size_t j = 0; j < INPLACE_N; j++)
                EXPECT(same_f32(buf[j], want[j]), "f32 %s fwd in place, x = %a: got %a, want %a", k->name,
                       (double)x[j], (double)buf[j], (double)want[j]);
            /* dx == dy */
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, dy, x, want, &p);
            memcpy(buf, dy, sizeof buf);
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, buf, x, buf, &p);
            for (size_t j = 0; j < INPLACE_N; j++)
                EXPECT(same_f32(buf[j], want[j]), "f32 %s bwd dx == dy, x = %a dy = %a: got %a, want %a", k->name,
                       (double)x[j], (double)dy[j], (double)buf[j], (double)want[j]);
            /* dx == x */
            memcpy(buf, x, sizeof buf);
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, dy, buf, buf, &p);
            for (size_t j = 0; j < INPLACE_N; j++)
                EXPECT(same_f32(buf[j], want[j]), "f32 %s bwd dx == x, x = %a dy = %a: got %a, want %a", k->name,
                       (double)x[j], (double)dy[j], (double)buf[j], (double)want[j]);
            /* dx == dy == x */
            memcpy(buf2, x, sizeof buf2);
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, x, x, want, &p);
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, buf2, buf2, buf2, &p);
            for (size_t j = 0; j < INPLACE_N; j++)
                EXPECT(same_f32(buf2[j], want[j]), "f32 %s bwd dx == dy == x, x = %a: got %a, want %a", k->name,
                       (double)x[j], (double)buf2[j], (double)want[j]);
        }
    }
    finish("f32 in place");
}

static void test_in_place_f64(void **state)
{
    (void)state;
    static double x[INPLACE_N], dy[INPLACE_N], want[INPLACE_N], buf[INPLACE_N], buf2[INPLACE_N];
    begin();
    for (size_t ki = 0; ki < ulp_kernel_count_f64; ki++) {
        const ulp_kernel *k = &ulp_kernels_f64[ki];
        if (!runnable_f64(k))
            continue;
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const sp_params_f64 p = {layout_params[pi].beta, layout_params[pi].threshold};
            for (size_t j = 0; j < INPLACE_N; j++) {
                x[j] = mixed_f64(41 + pi, j, p.beta);
                dy[j] = mixed_f64(43 + pi, j, 1.0);
            }
            ulp_run_fwd(k->op[SP_OP_FWD], INPLACE_N, x, want, &p);
            memcpy(buf, x, sizeof buf);
            ulp_run_fwd(k->op[SP_OP_FWD], INPLACE_N, buf, buf, &p);
            for (size_t j = 0; j < INPLACE_N; j++)
                EXPECT(same_f64(buf[j], want[j]), "f64 %s fwd in place, x = %a: got %a, want %a", k->name, x[j],
                       buf[j], want[j]);
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, dy, x, want, &p);
            memcpy(buf, dy, sizeof buf);
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, buf, x, buf, &p);
            for (size_t j = 0; j < INPLACE_N; j++)
                EXPECT(same_f64(buf[j], want[j]), "f64 %s bwd dx == dy, x = %a dy = %a: got %a, want %a", k->name,
                       x[j], dy[j], buf[j], want[j]);
            memcpy(buf, x, sizeof buf);
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, dy, buf, buf, &p);
            for (size_t j = 0; j < INPLACE_N; j++)
                EXPECT(same_f64(buf[j], want[j]), "f64 %s bwd dx == x, x = %a dy = %a: got %a, want %a", k->name,
                       x[j], dy[j], buf[j], want[j]);
            memcpy(buf2, x, sizeof buf2);
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, x, x, want, &p);
            ulp_run_bwd(k->op[SP_OP_BWD], INPLACE_N, buf2, buf2, buf2, &p);
            for (size_t j = 0; j < INPLACE_N; j++)
                EXPECT(same_f64(buf2[j], want[j]), "f64 %s bwd dx == dy == x, x = %a: got %a, want %a", k->name,
                       x[j], buf2[j], want[j]);
        }
    }
    finish("f64 in place");
}

/* ---- backward with any dy ------------------------------------------------------------------------ */

/* softplus.h's backward contract for dy != 1: dx = dy*s rounded once, s within the kernel's bound of the
 * sigmoid (ulp_bwd_contract_*). dy of every magnitude -- subnormal, tiny, around 1 and not a power of
 * two, huge, powers of two, zeros and infinities -- against x spread over the curve and over every
 * binade, in arrays long enough for every vector path and its tails; then the fuzzer's witnesses. */
enum { ANY_DY_N = 4096, ANY_DY_ROUNDS = 8 };

static float any_dy_f32(uint64_t r)
{
    const uint64_t r2 = ulp_mix64(r);
    const float sign = (r2 & 1) ? -1.0f : 1.0f;
    switch (r % 8) {
    case 0: case 1: { /* every finite bit pattern: all binades, subnormals included */
        const float v = f32_from_bits((uint32_t)(r2 >> 8));
        return isfinite(v) ? v : sign * 0x1.8p-3f;
    }
    case 2: case 3: return sign * (float)ldexp(1.0 + ulp_unit(r2), (int)(r2 % 8) - 4); /* not a power of two */
    case 4: return sign * (float)ldexp(1.0 + ulp_unit(r2), 100 + (int)(r2 % 28));   /* huge */
    case 5: return sign * (float)ldexp(1.0 + ulp_unit(r2), -149 + (int)(r2 % 40));  /* tiny */
    case 6: return sign * (float)ldexp(1.0, (int)(r2 % 277) - 149);                 /* powers of two */
    default: {
        static const float edges[] = {0.0f, -0.0f, INFINITY, -INFINITY, 0x1p-149f, 0x1.fffffep+127f, 1.0f, -1.0f};
        return edges[r2 % 8];
    }
    }
}

static double any_dy_f64(uint64_t r)
{
    const uint64_t r2 = ulp_mix64(r);
    const double sign = (r2 & 1) ? -1.0 : 1.0;
    switch (r % 8) {
    case 0: case 1: {
        const double v = f64_from_bits(r2 >> 1 | (r2 & 1) << 63);
        return isfinite(v) ? v : sign * 0x1.8p-3;
    }
    case 2: return sign * ulp_unit(r2) * 0x1p-1022; /* subnormal */
    case 3: return sign * ldexp(1.0 + ulp_unit(r2), (int)(r2 % 8) - 4);
    case 4: return sign * ldexp(1.0 + ulp_unit(r2), 900 + (int)(r2 % 124));
    case 5: return sign * ldexp(1.0 + ulp_unit(r2), -1074 + (int)(r2 % 120));
    case 6: return sign * ldexp(1.0, (int)(r2 % 2098) - 1074);
    default: {
        static const double edges[] = {0.0, -0.0, INFINITY, -INFINITY, 0x1p-1074, 0x1.fffffffffffffp+1023, 1.0, -1.0};
        return edges[r2 % 8];
    }
    }
}

static const float any_dy_betas_f32[] = {1.0f, 0.5f, -1.0f, 7.3f, 0x1p-100f, -0x1p-119f, 0x1p+100f, 0x1p-149f};
static const double any_dy_betas_f64[] = {1.0, 0.5, -1.0, 7.3, 1e-300, -7.3e200, 0x1p-1010, 1.5e-9};

static void test_backward_any_dy_f32(void **state)
{
    (void)state;
#ifdef SP_TEST_REDUCED
    skip(); /* valgrind's x87 long double is double precision (see main): the contract check uses it */
#endif
    begin();
    static float dy[ANY_DY_N], x[ANY_DY_N], dx[ANY_DY_N];
    for (size_t ki = 0; ki < ulp_kernel_count_f32; ki++) {
        const ulp_kernel *k = &ulp_kernels_f32[ki];
        if (!runnable_f32(k))
            continue;
        for (size_t b = 0; b < sizeof any_dy_betas_f32 / sizeof any_dy_betas_f32[0]; b++) {
            const float beta = any_dy_betas_f32[b];
            for (int ti = 0; ti < 2; ti++) {
                const sp_params_f32 p = {beta, ti ? 20.0f : INFINITY};
                for (uint64_t round = 0; round < ANY_DY_ROUNDS; round++) {
                    for (size_t i = 0; i < ANY_DY_N; i++) {
                        const uint64_t r = ulp_mix64(0xd1 ^ (round << 40) ^ (b << 32) ^ i);
                        dy[i] = any_dy_f32(r);
                        const uint64_t r3 = ulp_mix64(r ^ 0x5a5a);
                        /* z over [-200, 60] (deep underflow that dy can scale back), or any bit pattern */
                        x[i] = (r3 & 1) ? (float)((ulp_unit(r3) * 260.0 - 200.0) / (double)beta)
                                        : f32_from_bits((uint32_t)(r3 >> 16));
                    }
                    const size_t n = ANY_DY_N - (size_t)(round % 4); /* tails of every length */
                    ulp_run_bwd(k->op[SP_OP_BWD], n, dy, x, dx, &p);
                    for (size_t i = 0; i < n; i++) {
                        const double q = ulp_bwd_contract_f32(dx[i], dy[i], x[i], beta, p.threshold,
                                                              ulp_bound((k)->op[SP_OP_FWD], beta));
                        EXPECT(q <= 1.0, "f32 %s bwd beta %a threshold %a dy = %a x = %a: got %a, want %a (%.3g of "
                               "the tolerance)", k->name, (double)beta, (double)p.threshold, (double)dy[i],
                               (double)x[i], (double)dx[i], ref_bwd_f32(dy[i], x[i], beta, p.threshold), q);
                    }
                }
            }
        }
        /* the fuzzer's witnesses: F1 (sigmoid rounded to float, then *dy), F2 (a sigmoid below float's
         * range times 2^100), F3 (|beta*x| capped at 120), an infinite dy where beta*x overflows float */
        static const float w[][3] = {
            {0x1.effcc6p+1f, -0x1.b3c7c6p+1f, 1.0f}, {0x1p+100f, -110.0f, 1.0f}, {1e30f, -110.0f, 1.0f},
            {-0x1.a3862ep+6f, -0x1.a3862ep+6f, 1.0f}, {-0x1.d0e57p+29f, -0x1.d0e57p+29f, 1.0f},
            {0x1p+127f, -0x1p+100f, 0x1p-20f}, {INFINITY, -0x1p+100f, 0x1p+100f}, {-INFINITY, 0x1p+120f, -0x1p+120f},
        };
        for (size_t c = 0; c < sizeof w / sizeof w[0]; c++) {
            const float got = bwd1_f32(k, w[c][0], w[c][1], w[c][2], INFINITY);
            const double q = ulp_bwd_contract_f32(got, w[c][0], w[c][1], w[c][2], INFINITY, ulp_bound((k)->op[SP_OP_FWD], w[c][2]));
            EXPECT(q <= 1.0, "f32 %s bwd witness beta %a dy = %a x = %a: got %a, want %a (%.3g of the tolerance)",
                   k->name, (double)w[c][2], (double)w[c][0], (double)w[c][1], (double)got,
                   ref_bwd_f32(w[c][0], w[c][1], w[c][2], INFINITY), q);
        }
    }
    finish("f32 backward outside the contract dx = RN(dy*s)");
}

static void test_backward_any_dy_f64(void **state)
{
    (void)state;
#ifdef SP_TEST_REDUCED
    skip(); /* valgrind's x87 long double is double precision (see main) */
#endif
    if (!ref_f64_is_accurate())
        skip();
    begin();
    static double dy[ANY_DY_N], x[ANY_DY_N], dx[ANY_DY_N];
    for (size_t ki = 0; ki < ulp_kernel_count_f64; ki++) {
        const ulp_kernel *k = &ulp_kernels_f64[ki];
        if (!runnable_f64(k))
            continue;
        for (size_t b = 0; b < sizeof any_dy_betas_f64 / sizeof any_dy_betas_f64[0]; b++) {
            const double beta = any_dy_betas_f64[b];
            for (int ti = 0; ti < 2; ti++) {
                const sp_params_f64 p = {beta, ti ? 20.0 : INFINITY};
                for (uint64_t round = 0; round < ANY_DY_ROUNDS / 2; round++) {
                    for (size_t i = 0; i < ANY_DY_N; i++) {
                        const uint64_t r = ulp_mix64(0xd2 ^ (round << 40) ^ (b << 32) ^ i);
                        dy[i] = any_dy_f64(r);
                        x[i] = ulp_sample_f64(0xd3 + round, i, beta, p.threshold);
                    }
                    const size_t n = ANY_DY_N - (size_t)(round % 4);
                    ulp_run_bwd(k->op[SP_OP_BWD], n, dy, x, dx, &p);
                    for (size_t i = 0; i < n; i++) {
                        const double q = ulp_bwd_contract_f64(dx[i], dy[i], x[i], beta, p.threshold,
                                                              ulp_bound((k)->op[SP_OP_FWD], beta));
                        EXPECT(q <= 1.0, "f64 %s bwd beta %a threshold %a dy = %a x = %a: got %a, want %La (%.3g of "
                               "the tolerance)", k->name, beta, p.threshold, dy[i], x[i], dx[i],
                               ref_bwd_f64(dy[i], x[i], beta, p.threshold), q);
                    }
                }
            }
        }
        /* the fuzzer's witnesses: F4 (dy = +-inf, beta*x overflowing to -inf for a finite x), F5 (a
         * subnormal result rounded twice) */
        static const double w[][3] = {
            {INFINITY, -0x1p+1021, 0x1p+531}, {-INFINITY, 1e300, -1e300}, {INFINITY, -1e300, 1e300},
            {0x0.60067faddd364p-1022, -0x1.cb44b5a86af62p+3, 1.0}, {-0x0.fce1bb7d7013fp-1022, -0x1.ef760845af14p+3, 1.0},
            {-0x0.0000068f9072dp-1022, 0x1.2bf849e2a0f0cp+5, 0x1.999999999999ap-4},
        };
        for (size_t c = 0; c < sizeof w / sizeof w[0]; c++) {
            const double got = bwd1_f64(k, w[c][0], w[c][1], w[c][2], INFINITY);
            const double q = ulp_bwd_contract_f64(got, w[c][0], w[c][1], w[c][2], INFINITY, ulp_bound((k)->op[SP_OP_FWD], w[c][2]));
            EXPECT(q <= 1.0, "f64 %s bwd witness beta %a dy = %a x = %a: got %a, want %La (%.3g of the tolerance)",
                   k->name, w[c][2], w[c][0], w[c][1], got, ref_bwd_f64(w[c][0], w[c][1], w[c][2], INFINITY), q);
        }
    }
    finish("f64 backward outside the contract dx = RN(dy*s)");
}

/* ---- forward results scaled up by 1/beta --------------------------------------------------------- */

/* With a tiny |beta|, log1p(exp(beta*x)) far below the format's range becomes a normal or subnormal
 * result after the division by beta (F3: SSE4.1 capped |beta*x| at 120). z = beta*x sweeps the region
 * where exp(-|z|)/|beta| crosses the format's range, for beta down to the smallest subnormal. */
static void test_forward_tiny_beta_f32(void **state)
{
    (void)state;
    begin();
    static const float betas[] = {0x1p-100f, -0x1p-100f, 0x1p-119f, 0x1.8p-126f, -0x1p-140f, 0x1p-149f};
    enum { N = 2048 };
    static float x[N], y[N];
    for (size_t ki = 0; ki < ulp_kernel_count_f32; ki++) {
        const ulp_kernel *k = &ulp_kernels_f32[ki];
        if (!runnable_f32(k))
            continue;
        for (size_t b = 0; b < sizeof betas / sizeof betas[0]; b++) {
            const float beta = betas[b];
            const sp_params_f32 p = {beta, INFINITY};
            size_t n = 0;
            for (uint64_t i = 0; n < N && i < 4 * N; i++) {
                const double z = -60.0 - 240.0 * ulp_unit(ulp_mix64(0xf3 ^ (b << 32) ^ i)); /* [-300, -60] */
                const float v = (float)(z / (double)beta);
                if (isfinite(v))
                    x[n++] = v;
            }
            if (b == 0)
                x[0] = -0x1p+107f; /* F3's witness: want 0x1.42eb9fp-85 */
            if (b == 2)
                x[0] = -0x1.5e998p+126f;
            ulp_run_fwd(k->op[SP_OP_FWD], n, x, y, &p);
            for (size_t i = 0; i < n; i++) {
                const double want = ref_fwd_f32(x[i], beta, INFINITY);
                const double err = ulp_error_f32(y[i], want);
                EXPECT(err <= ulp_bound((k)->op[SP_OP_FWD], beta), "f32 %s fwd beta %a x = %a: got %a, want %a (%g ULP)", k->name,
                       (double)beta, (double)x[i], (double)y[i], want, err);
            }
        }
    }
    finish("f32 forward with a tiny beta beyond the bound");
}

static void test_forward_tiny_beta_f64(void **state)
{
    (void)state;
#ifdef SP_TEST_REDUCED
    skip(); /* valgrind's x87 long double is double precision (see main): the reference and the scalar
             * kernel, both long double, lose the range these products need */
#endif
    if (!ref_f64_is_accurate())
        skip();
    begin();
    static const double betas[] = {0x1p-1000, -1e-300, 0x1.8p-1022, 0x1p-1040, -0x1p-1074, 1e-200};
    enum { N = 2048 };
    static double x[N], y[N];
    for (size_t ki = 0; ki < ulp_kernel_count_f64; ki++) {
        const ulp_kernel *k = &ulp_kernels_f64[ki];
        if (!runnable_f64(k))
            continue;
        for (size_t b = 0; b < sizeof betas / sizeof betas[0]; b++) {
            const double beta = betas[b];
            const sp_params_f64 p = {beta, INFINITY};
            size_t n = 0;
            for (uint64_t i = 0; n < N && i < 4 * N; i++) {
                const double z = -500.0 - 1000.0 * ulp_unit(ulp_mix64(0xf4 ^ (b << 32) ^ i)); /* [-1500, -500] */
                const double v = z / beta;
                if (isfinite(v))
                    x[n++] = v;
            }
            ulp_run_fwd(k->op[SP_OP_FWD], n, x, y, &p);
            for (size_t i = 0; i < n; i++) {
                const long double want = ref_fwd_f64(x[i], beta, INFINITY);
                const double err = ulp_error_f64(y[i], want);
                EXPECT(err <= ulp_bound((k)->op[SP_OP_FWD], beta), "f64 %s fwd beta %a x = %a: got %a, want %La (%g ULP)", k->name,
                       beta, x[i], y[i], want, err);
            }
        }
    }
    finish("f64 forward with a tiny beta beyond the bound");
}

/* ---- the suite ------------------------------------------------------------------------------------ */

#define NAMED_TEST(name, fn, state) {name, fn, NULL, NULL, (void *)(state)}

int main(void)
{
    load_kernels();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_matches_mpmath),
        cmocka_unit_test(test_special_values_f32),
        cmocka_unit_test(test_special_values_f64),
        cmocka_unit_test(test_threshold_boundary_f32),
        cmocka_unit_test(test_threshold_boundary_f64),
        cmocka_unit_test(test_huge_products_f32),
        cmocka_unit_test(test_huge_products_f64),
        cmocka_unit_test(test_tails_f32),
        cmocka_unit_test(test_tails_f64),
        cmocka_unit_test(test_tails_public_api),
        cmocka_unit_test(test_control_lane_f32),
        cmocka_unit_test(test_control_lane_f64),
        cmocka_unit_test(test_in_place_f32),
        cmocka_unit_test(test_in_place_f64),
        cmocka_unit_test(test_backward_any_dy_f32),
        cmocka_unit_test(test_backward_any_dy_f64),
        cmocka_unit_test(test_forward_tiny_beta_f32),
        cmocka_unit_test(test_forward_tiny_beta_f64),
        NAMED_TEST("test_sweep_f32_within_bound_beta_1", test_sweep_f32, &betas_f32[0]),
        NAMED_TEST("test_sweep_f32_within_bound_beta_0.5", test_sweep_f32, &betas_f32[1]),
        NAMED_TEST("test_sweep_f32_within_bound_beta_2", test_sweep_f32, &betas_f32[2]),
        NAMED_TEST("test_sweep_f32_within_bound_beta_-1", test_sweep_f32, &betas_f32[3]),
        NAMED_TEST("test_sweep_f32_within_bound_beta_7.3", test_sweep_f32, &betas_f32[4]),
        NAMED_TEST("test_sweep_f64_within_bound_beta_1", test_sweep_f64, &betas_f64[0]),
        NAMED_TEST("test_sweep_f64_within_bound_beta_0.5", test_sweep_f64, &betas_f64[1]),
        NAMED_TEST("test_sweep_f64_within_bound_beta_2", test_sweep_f64, &betas_f64[2]),
        NAMED_TEST("test_sweep_f64_within_bound_beta_-1", test_sweep_f64, &betas_f64[3]),
        NAMED_TEST("test_sweep_f64_within_bound_beta_7.3", test_sweep_f64, &betas_f64[4]),
    };
#ifdef SP_TEST_REDUCED
    /* valgrind (SOFTPLUS_TEST_REDUCED): the sweeps, 15M f32 and 1M f64 inputs per beta, would take hours
     * (the f32 ulp_sweep tests sample the kernels there instead); and valgrind computes x87 long double
     * in double precision, so the long double f64 reference is wrong where the mpmath check and the huge
     * products, tiny betas and the any-dy contract look (a reference of NaN for beta*x past DBL_MAX):
     * those tests skip themselves */
    cmocka_set_skip_filter("test_sweep_*");
#endif
    return cmocka_run_group_tests_name("accuracy", tests, group_setup, NULL);
}

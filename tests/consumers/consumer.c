/* consumer.c -- a C99 user of libsoftplus: public header and library only, values checked against libm.
 * SPDX-License-Identifier: MIT
 *
 * The same source is built four ways: against the build tree's shared library, against an installed copy
 * through pkg-config, and through find_package with softplus::softplus and softplus::softplus_static. It
 * proves that a program compiled from the public header alone (-std=c99 -pedantic -Werror) links, that
 * every tensor entry point passes its arguments (strides, beta, threshold) through the ABI correctly, and
 * that the runtime library matches the header it was compiled with.
 *
 * Reference values come from libm here, independently of the library: f32 in double (the product of two
 * floats is exact in double), f64 in long double. The library is within 1 ULP (f32) and 2 ULP (f64) of the
 * exact function; the references add well under 1 ULP, so TOL_ULP = 4 leaves room without hiding a wrong
 * branch, a wrong beta or a misplaced element (each of those is off by far more).
 */
#include <softplus.h> /* first: the header must be self-contained */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TOL_ULP 4u
#define ROWS 3
#define COLS 4
#define N (ROWS * COLS)
#define X_ROW_PAD 8   /* x strides {8, 2}: padded rows, non-unit inner stride */
#define GUARD 2       /* canary elements on each side of every output buffer */

static unsigned failures;
static unsigned checks;

static void fail(const char *what)
{
    ++failures;
    fprintf(stderr, "consumer: FAIL: %s\n", what);
}

/* Distance in units of the last place; both finite and not NaN. Opposite signs count as infinitely far
 * unless both are zeros. */
static uint64_t ulp_f32(float a, float b)
{
    uint32_t ua, ub;
    if (a == b)
        return 0;
    if ((a < 0) != (b < 0))
        return UINT64_MAX;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    ua &= 0x7fffffffu;
    ub &= 0x7fffffffu;
    return ua > ub ? ua - ub : ub - ua;
}

static uint64_t ulp_f64(double a, double b)
{
    uint64_t ua, ub;
    if (a == b)
        return 0;
    if ((a < 0) != (b < 0))
        return UINT64_MAX;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    ua &= UINT64_C(0x7fffffffffffffff);
    ub &= UINT64_C(0x7fffffffffffffff);
    return ua > ub ? ua - ub : ub - ua;
}

/* softplus(z)/beta and sigmoid(z) without overflow, in the widest precision the caller picks. */
static double sp_ref_d(double z, double beta)
{
    return ((z > 0 ? z : 0) + log1p(exp(-fabs(z)))) / beta;
}

static double sig_ref_d(double z)
{
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

static long double sp_ref_l(long double z, long double beta)
{
    return ((z > 0 ? z : 0) + log1pl(expl(-fabsl(z)))) / beta;
}

static long double sig_ref_l(long double z)
{
    return z >= 0 ? 1 / (1 + expl(-z)) : expl(z) / (1 + expl(z));
}

/* Inputs chosen to fall on both sides of the threshold for every (beta, threshold) below, including the
 * products that equal the threshold exactly (the strict '>' keeps them on the log branch). */
static const double inputs[N] = {
    -25.0, -20.5, -3.25, -0.75, -0x1p-24, 0.0, 0.5, 2.25, 10.0, 10.25, 20.0, 30.0
};

struct params { double beta, threshold; };
static const struct params param_sets[] = {
    {1.0, 20.0}, {2.0, 20.0}, {-1.0, 20.0}, {0.5, 4.0}, {1.0, INFINITY}
};
#define NPARAMS (sizeof param_sets / sizeof param_sets[0])

static void report_f32(const char *op, const struct params *p, int i, int j, float x, float got, float want)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s f32 beta=%a threshold=%a at (%d,%d) x=%a: got %a want %a",
             op, p->beta, p->threshold, i, j, x, got, want);
    fail(msg);
}

static void report_f64(const char *op, const struct params *p, int i, int j, double x, double got, double want)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s f64 beta=%a threshold=%a at (%d,%d) x=%a: got %a want %a",
             op, p->beta, p->threshold, i, j, x, got, want);
    fail(msg);
}

/* x has strides {8, 2} (padded rows, every other element); y is reversed (base at its last element,
 * strides {-4, -1}); dy broadcasts one row to all rows (strides {0, 1}); dx is C-contiguous (NULL). */
static void check_f32(const struct params *p)
{
    static const size_t shape[2] = {ROWS, COLS};
    static const ptrdiff_t x_strides[2] = {X_ROW_PAD, 2};
    static const ptrdiff_t y_strides[2] = {-COLS, -1};
    static const ptrdiff_t dy_strides[2] = {0, 1};
    const float beta = (float)p->beta, threshold = (float)p->threshold;
    float xbuf[ROWS * X_ROW_PAD], dy[COLS];
    float ybuf[N + 2 * GUARD], dxbuf[N + 2 * GUARD];
    float *y = ybuf + GUARD + N - 1, *dx = dxbuf + GUARD;
    int i, j, k;
    softplus_status st;

    for (k = 0; k < ROWS * X_ROW_PAD; ++k)
        xbuf[k] = -1e30f; /* padding: a wrong stride reads this and fails loudly */
    for (i = 0; i < ROWS; ++i)
        for (j = 0; j < COLS; ++j)
            xbuf[i * X_ROW_PAD + j * 2] = (float)inputs[i * COLS + j];
    for (j = 0; j < COLS; ++j)
        dy[j] = 0.25f * (float)(j + 1) - 0.5f;
    for (k = 0; k < N + 2 * GUARD; ++k)
        ybuf[k] = dxbuf[k] = -7.0f;

    st = softplus_forward_f32(2, shape, xbuf, x_strides, y, y_strides, beta, threshold);
    ++checks;
    if (st != SOFTPLUS_OK)
        fail(softplus_status_string(st));
    st = softplus_backward_f32(2, shape, dy, dy_strides, xbuf, x_strides, dx, NULL, beta, threshold);
    ++checks;
    if (st != SOFTPLUS_OK)
        fail(softplus_status_string(st));

    for (i = 0; i < ROWS; ++i) {
        for (j = 0; j < COLS; ++j) {
            const float x = xbuf[i * X_ROW_PAD + j * 2];
            const double z = (double)beta * (double)x; /* exact */
            const int linear = (float)z > threshold;
            const float want_y = linear ? x : (float)sp_ref_d(z, beta);
            const float want_dx = linear ? dy[j] : (float)(dy[j] * sig_ref_d(z));
            const float got_y = y[-(i * COLS + j)];
            const float got_dx = dx[i * COLS + j];
            checks += 2;
            if (ulp_f32(got_y, want_y) > TOL_ULP)
                report_f32("forward", p, i, j, x, got_y, want_y);
            if (ulp_f32(got_dx, want_dx) > TOL_ULP)
                report_f32("backward", p, i, j, x, got_dx, want_dx);
        }
    }
    for (k = 0; k < GUARD; ++k) {
        checks += 4;
        if (ybuf[k] != -7.0f || ybuf[GUARD + N + k] != -7.0f)
            fail("forward f32 wrote outside its output view");
        if (dxbuf[k] != -7.0f || dxbuf[GUARD + N + k] != -7.0f)
            fail("backward f32 wrote outside its output view");
    }
}

/* The same layout in double; forward runs in place (y is the same view as x) to cover that path. */
static void check_f64(const struct params *p)
{
    static const size_t shape[2] = {ROWS, COLS};
    static const ptrdiff_t x_strides[2] = {X_ROW_PAD, 2};
    static const ptrdiff_t dy_strides[2] = {0, 1};
    static const ptrdiff_t dx_strides[2] = {-COLS, -1};
    double xbuf[ROWS * X_ROW_PAD], ybuf[ROWS * X_ROW_PAD], dy[COLS], dxbuf[N + 2 * GUARD];
    double *dx = dxbuf + GUARD + N - 1;
    int i, j, k;
    softplus_status st;

    for (k = 0; k < ROWS * X_ROW_PAD; ++k)
        xbuf[k] = -1e300;
    for (i = 0; i < ROWS; ++i)
        for (j = 0; j < COLS; ++j)
            xbuf[i * X_ROW_PAD + j * 2] = inputs[i * COLS + j];
    memcpy(ybuf, xbuf, sizeof ybuf);
    for (j = 0; j < COLS; ++j)
        dy[j] = 0.25 * (j + 1) - 0.5;
    for (k = 0; k < N + 2 * GUARD; ++k)
        dxbuf[k] = -7.0;

    st = softplus_backward_f64(2, shape, dy, dy_strides, xbuf, x_strides, dx, dx_strides,
                               p->beta, p->threshold);
    ++checks;
    if (st != SOFTPLUS_OK)
        fail(softplus_status_string(st));
    st = softplus_forward_f64(2, shape, ybuf, x_strides, ybuf, x_strides, p->beta, p->threshold);
    ++checks;
    if (st != SOFTPLUS_OK)
        fail(softplus_status_string(st));

    for (i = 0; i < ROWS; ++i) {
        for (j = 0; j < COLS; ++j) {
            const double x = xbuf[i * X_ROW_PAD + j * 2];
            const long double z = (long double)p->beta * (long double)x;
            const int linear = p->beta * x > p->threshold; /* fl(beta*x) in double */
            const double want_y = linear ? x : (double)sp_ref_l(z, (long double)p->beta);
            const double want_dx = linear ? dy[j] : (double)((long double)dy[j] * sig_ref_l(z));
            const double got_y = ybuf[i * X_ROW_PAD + j * 2];
            const double got_dx = dx[-(i * COLS + j)];
            checks += 2;
            if (ulp_f64(got_y, want_y) > TOL_ULP)
                report_f64("forward (in place)", p, i, j, x, got_y, want_y);
            if (ulp_f64(got_dx, want_dx) > TOL_ULP)
                report_f64("backward", p, i, j, x, got_dx, want_dx);
        }
    }
    for (k = 0; k < ROWS * X_ROW_PAD; ++k) {
        if (k % X_ROW_PAD < 2 * COLS && k % 2 == 0)
            continue;
        ++checks;
        if (ybuf[k] != -1e300)
            fail("in-place forward f64 wrote into the padding of its view");
    }
    for (k = 0; k < GUARD; ++k) {
        checks += 2;
        if (dxbuf[k] != -7.0 || dxbuf[GUARD + N + k] != -7.0)
            fail("backward f64 wrote outside its output view");
    }
}

/* The runtime library is the one this header describes, and the small entry points answer sensibly. */
static void check_metadata(void)
{
    static const size_t one[1] = {1};
    char want[64];
    const char *got = softplus_version_string();
    float x = 1.0f, y = -7.0f;
    softplus_isa active;
    int s;

    snprintf(want, sizeof want, "%d.%d.%d", SOFTPLUS_VERSION_MAJOR, SOFTPLUS_VERSION_MINOR,
             SOFTPLUS_VERSION_PATCH);
    ++checks;
    if (got == NULL || strcmp(got, want) != 0) {
        fprintf(stderr, "consumer: version: library says \"%s\", header says \"%s\"\n", got ? got : "(null)",
                want);
        fail("softplus_version_string() does not match the SOFTPLUS_VERSION_* macros");
    }
    ++checks;
    if (SOFTPLUS_VERSION_NUMBER != SOFTPLUS_VERSION_MAJOR * 10000 + SOFTPLUS_VERSION_MINOR * 100 +
                                   SOFTPLUS_VERSION_PATCH)
        fail("SOFTPLUS_VERSION_NUMBER disagrees with its parts");

    for (s = SOFTPLUS_OK; s <= SOFTPLUS_ERR_UNSUPPORTED + 1; ++s) {
        const char *text = softplus_status_string((softplus_status)s);
        ++checks;
        if (text == NULL || text[0] == '\0')
            fail("softplus_status_string gave NULL or an empty string");
    }

    /* An error status crosses the ABI and the output stays untouched. */
    ++checks;
    if (softplus_forward_f32(1, one, &x, NULL, &y, NULL, 0.0f, 20.0f) != SOFTPLUS_ERR_PARAM || y != -7.0f)
        fail("forward f32 with beta = 0 did not return SOFTPLUS_ERR_PARAM untouched");

    active = softplus_active_isa();
    checks += 3;
    if (active == SOFTPLUS_ISA_AUTO || !softplus_isa_supported(active))
        fail("softplus_active_isa gave AUTO or an unsupported ISA");
    if (!softplus_isa_supported(SOFTPLUS_ISA_SCALAR))
        fail("the scalar ISA is not supported");
    if (strcmp(softplus_isa_name(SOFTPLUS_ISA_SCALAR), "scalar") != 0)
        fail("softplus_isa_name(SOFTPLUS_ISA_SCALAR) is not \"scalar\"");
}

int main(void)
{
    size_t k;
    check_metadata();
    for (k = 0; k < NPARAMS; ++k) {
        check_f32(&param_sets[k]);
        check_f64(&param_sets[k]);
    }
    if (failures) {
        fprintf(stderr, "consumer: %u of %u checks failed\n", failures, checks);
        return 1;
    }
    printf("consumer: %u checks passed (libsoftplus %s, isa %s)\n", checks, softplus_version_string(),
           softplus_isa_name(softplus_active_isa()));
    return 0;
}

/* demo.c -- a tour of libsoftplus through its public API, as a user's program sees it.
 * SPDX-License-Identifier: MIT
 *
 * Links the shared library and includes only softplus.h. Exits non-zero if any call returns a status
 * other than the one shown, so the demo doubles as a smoke test.
 */
#include <math.h>
#include <stdio.h>

#include "softplus.h"

static int failures;

/* Reports a call whose status is not the expected one. */
static void expect(softplus_status got, softplus_status want, const char *what)
{
    if (got != want) {
        printf("  !! %s returned %d (%s), expected %d\n", what, (int)got, softplus_status_string(got),
               (int)want);
        failures++;
    }
}

static void show_version_and_isas(void)
{
    printf("libsoftplus %s (header %d.%d.%d)\n", softplus_version_string(), SOFTPLUS_VERSION_MAJOR,
           SOFTPLUS_VERSION_MINOR, SOFTPLUS_VERSION_PATCH);
    printf("active kernel set: %s\n", softplus_isa_name(softplus_active_isa()));
    printf("kernel sets this build runs on this CPU:");
    for (int isa = SOFTPLUS_ISA_SCALAR; isa <= SOFTPLUS_ISA_NEON; isa++)
        if (softplus_isa_supported((softplus_isa)isa))
            printf(" %s", softplus_isa_name((softplus_isa)isa));
    printf("\n");
}

/* softplus and its gradient (dy = 1) for each x, in f64 and f32, with one beta and threshold. */
static void show_table(const char *title, const double *xs, size_t n, double beta, double threshold)
{
    double x64[16], y64[16], g64[16], one64[16];
    float x32[16], y32[16], g32[16], one32[16];
    for (size_t i = 0; i < n; i++) {
        x64[i] = xs[i];
        x32[i] = (float)xs[i];
        one64[i] = 1.0;
        one32[i] = 1.0f;
    }
    const size_t shape[1] = {n};
    expect(softplus_forward_f64(1, shape, x64, NULL, y64, NULL, beta, threshold), SOFTPLUS_OK, "forward_f64");
    expect(softplus_backward_f64(1, shape, one64, NULL, x64, NULL, g64, NULL, beta, threshold), SOFTPLUS_OK,
           "backward_f64");
    expect(softplus_forward_f32(1, shape, x32, NULL, y32, NULL, (float)beta, (float)threshold), SOFTPLUS_OK,
           "forward_f32");
    expect(softplus_backward_f32(1, shape, one32, NULL, x32, NULL, g32, NULL, (float)beta, (float)threshold),
           SOFTPLUS_OK, "backward_f32");

    printf("\n%s\n", title);
    printf("  %10s  %-24s %-24s %-15s %s\n", "x", "softplus f64", "gradient f64", "softplus f32",
           "gradient f32");
    for (size_t i = 0; i < n; i++)
        printf("  %10.6g  %-24.17g %-24.17g %-15.9g %.9g\n", xs[i], y64[i], g64[i], (double)y32[i],
               (double)g32[i]);
}

static void show_values(void)
{
    static const double pytorch_x[] = {-30, -5, -1, 0, 1, 5, 19.999, 20, 20.001, 30};
    show_table("beta = 1, threshold = 20 (PyTorch's defaults). The linear branch starts where beta*x > 20,\n"
               "strictly: x = 20 still takes log1p(exp(x)) (20.000000002 in f64), x = 20.001 returns x\n"
               "as is and its gradient is exactly 1.",
               pytorch_x, sizeof pytorch_x / sizeof pytorch_x[0], 1.0, 20.0);

    static const double exact_x[] = {-1000, -30, 0, 20, 30, 40, 1000};
    show_table("beta = 1, threshold = INFINITY: the exact function everywhere, without overflow\n"
               "(softplus(30) = 30 + 9.4e-14 in f64; x = 1000 gives 1000, x = -1000 underflows to 0).",
               exact_x, sizeof exact_x / sizeof exact_x[0], 1.0, INFINITY);

    static const double logsig_x[] = {-30, -5, -1, 0, 1, 5, 30};
    show_table("beta = -1, threshold = INFINITY: log-sigmoid, log(1/(1+exp(-x))); the gradient is\n"
               "sigmoid(-x).",
               logsig_x, sizeof logsig_x / sizeof logsig_x[0], -1.0, INFINITY);
}

/* A transposed view: the 2x3 row-major matrix a, read as its 3x2 transpose through strides alone. */
static void show_strided(void)
{
    const float a[2][3] = {{-2.0f, -1.0f, 0.0f}, {1.0f, 2.0f, 3.0f}};
    float t[3][2];
    const size_t shape[2] = {3, 2};
    const ptrdiff_t a_transposed[2] = {1, 3}; /* element (i, j) of the view is a[j][i] */
    expect(softplus_forward_f32(2, shape, &a[0][0], a_transposed, &t[0][0], NULL, 1.0f, 20.0f), SOFTPLUS_OK,
           "forward_f32 on a transposed view");
    printf("\nStrides: a is 2x3 row-major; softplus of its transpose (shape {3,2}, strides {1,3}, no copy)\n"
           "into a contiguous 3x2 t:\n");
    for (int i = 0; i < 3; i++)
        printf("  a^T[%d] = {%4.1f, %4.1f}   t[%d] = {%.7f, %.7f}\n", i, (double)a[0][i], (double)a[1][i], i,
               (double)t[i][0], (double)t[i][1]);
}

static void show_in_place(void)
{
    double v[4] = {-1.0, 0.0, 1.0, 2.0};
    const size_t shape[1] = {4};
    expect(softplus_forward_f64(1, shape, v, NULL, v, NULL, 1.0, 20.0), SOFTPLUS_OK, "in-place forward_f64");
    printf("\nIn place (y is the same view as x): {-1, 0, 1, 2} -> {%.6f, %.6f, %.6f, %.6f}\n", v[0], v[1],
           v[2], v[3]);
}

static void report(const char *what, softplus_status st)
{
    static const char *const names[] = {"SOFTPLUS_OK", "SOFTPLUS_ERR_NULL", "SOFTPLUS_ERR_RANK",
                                        "SOFTPLUS_ERR_PARAM", "SOFTPLUS_ERR_OVERFLOW",
                                        "SOFTPLUS_ERR_OVERLAP", "SOFTPLUS_ERR_UNSUPPORTED"};
    printf("  %-30s -> %d %s: \"%s\"\n", what, (int)st,
           (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?", softplus_status_string(st));
}

static void show_errors(void)
{
    float buf[5] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
    float y[4] = {-7.0f, -7.0f, -7.0f, -7.0f};
    const size_t shape[1] = {4};
    printf("\nErrors come back as a status, and a failed call has written nothing:\n");

    softplus_status st = softplus_forward_f32(1, shape, buf, NULL, y, NULL, 0.0f, 20.0f);
    expect(st, SOFTPLUS_ERR_PARAM, "beta = 0");
    report("beta = 0", st);
    printf("  %-30s    y = {%g, %g, %g, %g} (untouched)\n", "", (double)y[0], (double)y[1], (double)y[2],
           (double)y[3]);

    st = softplus_forward_f32(1, shape, buf, NULL, buf + 1, NULL, 1.0f, 20.0f);
    expect(st, SOFTPLUS_ERR_OVERLAP, "y = x + 1");
    report("y = x + 1 (partial overlap)", st);
    printf("  %-30s    buf = {%g, %g, %g, %g, %g} (untouched)\n", "", (double)buf[0], (double)buf[1],
           (double)buf[2], (double)buf[3], (double)buf[4]);

    for (int isa = SOFTPLUS_ISA_SCALAR; isa <= SOFTPLUS_ISA_NEON; isa++) {
        if (softplus_isa_supported((softplus_isa)isa))
            continue;
        char what[64];
        snprintf(what, sizeof what, "softplus_set_isa(%s)", softplus_isa_name((softplus_isa)isa));
        st = softplus_set_isa((softplus_isa)isa);
        expect(st, SOFTPLUS_ERR_UNSUPPORTED, what);
        report(what, st);
        break;
    }
}

int main(void)
{
    show_version_and_isas();
    show_values();
    show_strided();
    show_in_place();
    show_errors();
    if (failures) {
        printf("\n%d call(s) did not return the status shown\n", failures);
        return 1;
    }
    return 0;
}

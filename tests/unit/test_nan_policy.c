/* test_nan_policy.c -- every kernel set returns the NaN the header's policy names, bit for bit.
 * SPDX-License-Identifier: MIT
 *
 * The policy (include/softplus.h): forward returns x quieted; backward returns dy quieted when dy is
 * NaN, else x quieted when x is NaN; the NaN made from +-inf times the sigmoid 0 of an infinite x is the
 * positive default quiet NaN. Checked for signalling and quiet NaNs of both signs and several payloads,
 * in every operand position, beside every other kind of value in the other operand, at every position
 * of arrays long enough to fill vectors and leave tails, for betas of both signs and thresholds finite,
 * infinite and below the NaN's neighbours, through the public API with each kernel set this CPU runs.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "softplus.h"

#define LEN 37 /* two AVX-512 f32 vectors and a tail; many vectors for every other set */

static const uint32_t nan32[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u, 0x7fa5a5a5u,
                                 0xffd00badu, 0x7fbfffffu, 0x7fc00001u};
static const uint64_t nan64[] = {0x7ff8000000000000u, 0xfff8000000000000u, 0x7ff0000000000001u,
                                 0xfff0000000000001u, 0x7ff5a5a5a5a5a5a5u, 0xfffc0ffee0000badu,
                                 0x7ff7ffffffffffffu, 0x7ff8000000000001u};
#define NNAN (sizeof nan32 / sizeof nan32[0])
static const double others[] = {0.0, -0.0, 1.0, -3.5, 1e-40, 25.0, -200.0, INFINITY, -INFINITY};
#define NOTHER (sizeof others / sizeof others[0])
static const double betas[] = {1.0, -2.0, 0.5};
static const double thresholds[] = {20.0, INFINITY, -INFINITY};

static uint32_t bits32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t bits64(double f) { uint64_t u; memcpy(&u, &f, 8); return u; }
static float from32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static double from64(uint64_t u) { double f; memcpy(&f, &u, 8); return f; }

static int failures;
static const char *last_what; /* one report per kind of case: the first mismatch shows it */
static softplus_isa last_isa;

static int first_of_its_kind(const char *what, softplus_isa isa)
{
    failures++;
    if (what == last_what && isa == last_isa)
        return 0;
    last_what = what;
    last_isa = isa;
    return 1;
}

static void expect32(const char *what, softplus_isa isa, size_t at, uint32_t got, uint32_t want)
{
    if (got != want && first_of_its_kind(what, isa))
        fprintf(stderr, "%s, kernel set %s, element %zu: got 0x%08x want 0x%08x\n", what,
                softplus_isa_name(isa), at, got, want);
}

static void expect64(const char *what, softplus_isa isa, size_t at, uint64_t got, uint64_t want)
{
    if (got != want && first_of_its_kind(what, isa))
        fprintf(stderr, "%s, kernel set %s, element %zu: got 0x%016llx want 0x%016llx\n", what,
                softplus_isa_name(isa), at, (unsigned long long)got, (unsigned long long)want);
}

/* One kernel set: each NaN at each position among ordinary values, as x and as dy. */
static void check_set(softplus_isa isa)
{
    const size_t n = LEN;
    for (size_t b = 0; b < 3; b++)
        for (size_t t = 0; t < 3; t++)
            for (size_t k = 0; k < NNAN; k++)
                for (size_t o = 0; o < NOTHER; o++)
                    for (size_t at = 0; at < LEN; at += (at < 18 ? 1 : 5)) {
                        float x32[LEN], dy32[LEN], y32[LEN];
                        double x64[LEN], dy64[LEN], y64[LEN];
                        for (size_t i = 0; i < LEN; i++) {
                            x32[i] = (float)others[(i + o) % NOTHER];
                            dy32[i] = (float)others[(i + 3 * o + 1) % NOTHER];
                            x64[i] = others[(i + o) % NOTHER];
                            dy64[i] = others[(i + 3 * o + 1) % NOTHER];
                        }
                        const float b32 = (float)betas[b], t32 = (float)thresholds[t];
                        const uint32_t q32 = nan32[k] | 0x00400000u;
                        const uint64_t q64 = nan64[k] | 0x0008000000000000u;
                        /* forward: x NaN */
                        x32[at] = from32(nan32[k]);
                        x64[at] = from64(nan64[k]);
                        assert_int_equal(softplus_forward_f32(1, &n, x32, NULL, y32, NULL, b32, t32), 0);
                        assert_int_equal(softplus_forward_f64(1, &n, x64, NULL, y64, NULL, betas[b], thresholds[t]), 0);
                        expect32("forward f32, x NaN", isa, at, bits32(y32[at]), q32);
                        expect64("forward f64, x NaN", isa, at, bits64(y64[at]), q64);
                        /* backward: x NaN, dy ordinary (also infinite) */
                        assert_int_equal(softplus_backward_f32(1, &n, dy32, NULL, x32, NULL, y32, NULL, b32, t32), 0);
                        assert_int_equal(softplus_backward_f64(1, &n, dy64, NULL, x64, NULL, y64, NULL, betas[b], thresholds[t]), 0);
                        expect32("backward f32, x NaN", isa, at, bits32(y32[at]), q32);
                        expect64("backward f64, x NaN", isa, at, bits64(y64[at]), q64);
                        /* backward: dy NaN, x ordinary, then both NaN (dy's wins) */
                        for (int both = 0; both < 2; both++) {
                            x32[at] = both ? from32(nan32[(k + 1) % NNAN]) : (float)others[o];
                            x64[at] = both ? from64(nan64[(k + 1) % NNAN]) : others[o];
                            dy32[at] = from32(nan32[k]);
                            dy64[at] = from64(nan64[k]);
                            assert_int_equal(softplus_backward_f32(1, &n, dy32, NULL, x32, NULL, y32, NULL, b32, t32), 0);
                            assert_int_equal(softplus_backward_f64(1, &n, dy64, NULL, x64, NULL, y64, NULL, betas[b], thresholds[t]), 0);
                            expect32(both ? "backward f32, dy and x NaN" : "backward f32, dy NaN", isa, at,
                                     bits32(y32[at]), q32);
                            expect64(both ? "backward f64, dy and x NaN" : "backward f64, dy NaN", isa, at,
                                     bits64(y64[at]), q64);
                        }
                    }
    /* the NaN made from +-inf times the sigmoid 0 of an infinite x */
    for (size_t b = 0; b < 3; b++) {
        float x32[LEN], dy32[LEN], y32[LEN];
        double x64[LEN], dy64[LEN], y64[LEN];
        const double xinf = betas[b] > 0 ? -INFINITY : INFINITY; /* beta*x = -inf: sigmoid 0 */
        for (size_t i = 0; i < LEN; i++) {
            x32[i] = (float)xinf;
            x64[i] = xinf;
            dy32[i] = i % 2 ? INFINITY : -INFINITY;
            dy64[i] = i % 2 ? INFINITY : -INFINITY;
        }
        assert_int_equal(softplus_backward_f32(1, &n, dy32, NULL, x32, NULL, y32, NULL, (float)betas[b], 20.0f), 0);
        assert_int_equal(softplus_backward_f64(1, &n, dy64, NULL, x64, NULL, y64, NULL, betas[b], 20.0), 0);
        for (size_t i = 0; i < LEN; i++) {
            expect32("backward f32, inf * 0", isa, i, bits32(y32[i]), 0x7fc00000u);
            expect64("backward f64, inf * 0", isa, i, bits64(y64[i]), 0x7ff8000000000000u);
        }
    }
}

static void every_kernel_set_follows_the_nan_policy(void **state)
{
    (void)state;
    int sets = 0;
    for (int v = SOFTPLUS_ISA_SCALAR; strcmp(softplus_isa_name((softplus_isa)v), "unknown") != 0; v++) {
        if (softplus_set_isa((softplus_isa)v) != SOFTPLUS_OK)
            continue;
        sets++;
        check_set((softplus_isa)v);
    }
    softplus_set_isa(SOFTPLUS_ISA_AUTO);
    print_message("%d kernel sets, %d mismatches\n", sets, failures);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(every_kernel_set_follows_the_nan_policy)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

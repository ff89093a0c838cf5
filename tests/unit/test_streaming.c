/* test_streaming.c -- calls whose output is written around the caches give the bits of small calls.
 * SPDX-License-Identifier: MIT
 *
 * An output of at least SP_STREAM_FROM_BYTES (16 MiB, src/kernels.h) is written with
 * non-temporal stores where the kernel set has them (x86): the elements up to the output's vector
 * alignment run first as a partial vector, then the blocks store aligned vectors, and special lanes are
 * redone over what the blocks streamed (the half formats: their near lanes, redone by the f64 kernel, too).
 * For every ISA this machine runs (the active one under valgrind), both accuracy tiers (the half formats
 * and f64 have one), and every op of every dtype: 16 MiB / element size + 37 elements (one in 16 an
 * interesting value: NaNs, infinities, subnormals, the deep and linear ranges), the output at element offsets 1 and
 * one below a 64-byte line (the longest and the shortest head) and in place at a line (no head). The
 * reference is the same op on the same inputs in calls of 1000 elements, which never stream. The scalar
 * set has no vector loop and is left out. Every output element must equal
 * it bit for bit, and the elements just outside the output keep their canaries.
 *
 * Transposed views of 16 MiB or more stream their tiles' output rows (src/strided.c): the second test.
 *
 * Usage: test_streaming [quick]  (quick: the strict f32 forward only, offset 1 and in place; for valgrind,
 * the emulator and the sanitizers)
 */
#include "unit_common.h"

#define STREAM_BYTES ((size_t)16 << 20) /* SP_STREAM_FROM_BYTES */
#define EXTRA 37
#define CHUNK 1000
#define LINE 64

static int quick;

/* The element count of a streamed call and the arena (in bytes) that holds one operand with a line of
 * offsets and a canary line on each side. */
static size_t stream_count(size_t es)
{
    return STREAM_BYTES / es + EXTRA;
}

static size_t arena_bytes(size_t es)
{
    return (LINE + stream_count(es) * es + 2 * LINE + LINE - 1) / LINE * LINE; /* a multiple of the alignment */
}

/* One element in 16 an interesting value (specials among them: their lanes are redone over streamed
 * stores), the others uniform in [-30, 30] (a special path per element would make the test slow), for
 * dtype dt (the half formats: the float's value truncated to the format, |v| < 2^-14 to f16's zero). */
static void ordinary_or_interesting(sp_rng *rng, sp_dtype dt, unsigned char *out)
{
    const size_t es = dt == SP_DTYPE_F64 ? sizeof(double) : dt == SP_DTYPE_F32 ? sizeof(float) : 2;
    if (rng_below(rng, 16) == 0) {
        interesting_value(rng, es, out);
        return;
    }
    const double v = 60.0 * rng_unit(rng) - 30.0;
    const float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    const uint32_t exponent = u >> 23 & 0xffu; /* 127 - 14 .. 127 + 4 for f16's normal values here */
    const uint16_t h = (uint16_t)(dt == SP_DTYPE_BF16 ? u >> 16
                                  : exponent < 127 - 14 ? (u >> 16 & 0x8000u)
                                                        : (u >> 16 & 0x8000u) | (exponent - 112u) << 10 | (u >> 13 & 0x3ffu));
    memcpy(out, es == 2 ? (const void *)&h : es == sizeof(float) ? (const void *)&f : (const void *)&v, es);
}

static softplus_status run(sp_fn fn, size_t n, void *out, void *in1, void *in2)
{
    const size_t shape[1] = {n};
    const sp_call c = {fn, 1, shape, {out, in1, in2}, {NULL, NULL, NULL}, 1.0, 20.0};
    return call_run(&c);
}

/* The reference under the active ISA and tier: the n elements at in1 (and in2) in calls of CHUNK elements,
 * which never stream. */
static void reference(sp_fn fn, size_t n, const unsigned char *in1, const unsigned char *in2, unsigned char *want)
{
    const size_t es = op_elem_size(fn);
    for (size_t i = 0; i < n; i += CHUNK) {
        const size_t m = n - i < CHUNK ? n - i : CHUNK;
        if (run(fn, m, want + i * es, (void *)(in1 + i * es), in2 ? (void *)(in2 + i * es) : NULL) != SOFTPLUS_OK)
            fail_msg("%s: a reference call failed", op_name(fn));
    }
}

/* The tiers a test runs: f64 is strict in both, and quick runs the strict tier alone. */
static size_t tier_count(size_t es)
{
    return es == sizeof(float) && !quick ? 2u : 1u;
}

/* The line of canaries on each side of the n-element output at out. */
static void set_canaries(unsigned char *out, size_t n, size_t es)
{
    memset(out - LINE, 0xc3, LINE);
    memset(out + n * es, 0xc3, LINE);
}

/* Whether the n-element output at out kept its canaries and equals want bit for bit; prints the first
 * difference under the active ISA and tier, with `what` naming the call. */
static int output_matches(sp_fn fn, const char *what, const unsigned char *out, const unsigned char *want, size_t n)
{
    const size_t es = op_elem_size(fn);
    const char *tier = softplus_accuracy_mode() == SOFTPLUS_ACCURACY_FAST ? "fast" : "strict";
    for (size_t b = 0; b < LINE; b++)
        if (out[-1 - (ptrdiff_t)b] != 0xc3 || out[n * es + b] != 0xc3) {
            print_error("%s under %s (%s), %s: a byte outside the output changed\n", op_name(fn),
                        softplus_isa_name(softplus_active_isa()), tier, what);
            return 0;
        }
    for (size_t i = 0; i < n; i++)
        if (memcmp(out + i * es, want + i * es, es) != 0) {
            char got_s[64], want_s[64];
            print_error("%s under %s (%s), %s, element %zu of %zu: got %s, small calls give %s\n", op_name(fn),
                        softplus_isa_name(softplus_active_isa()), tier, what, i, n,
                        elem_str(got_s, sizeof got_s, out + i * es, es),
                        elem_str(want_s, sizeof want_s, want + i * es, es));
            return 0;
        }
    return 1;
}

/* One (op, offset) under the active ISA and tier against want: offset in elements from a line, or -1 for
 * in place (at a line). */
static int check(sp_fn fn, long offset, unsigned char *const *in, unsigned char *out_arena, const unsigned char *want)
{
    const size_t es = op_elem_size(fn), n = stream_count(es);
    const size_t inputs = op_noperands(fn) - 1;
    unsigned char *out;
    if (offset < 0) { /* in place over a copy of the first input */
        out = out_arena + LINE;
        memcpy(out, in[0] + LINE, n * es);
    } else {
        out = out_arena + LINE + (size_t)offset * es;
    }
    set_canaries(out, n, es);
    if (run(fn, n, out, offset < 0 ? out : in[0] + LINE, inputs > 1 ? in[1] + LINE : NULL) != SOFTPLUS_OK)
        fail_msg("%s: the streamed call failed", op_name(fn));
    char what[32];
    snprintf(what, sizeof what, offset < 0 ? "in place" : "offset %ld", offset);
    return output_matches(fn, what, out, want, n);
}

static void test_streamed_calls_give_the_bits_of_small_calls(void **state)
{
    (void)state;
    const size_t bytes = arena_bytes(sizeof(double)) > arena_bytes(sizeof(float)) ? arena_bytes(sizeof(double))
                                                                                  : arena_bytes(sizeof(float));
    unsigned char *in[2], *out_arena, *want;
    in[0] = aligned_alloc(LINE, bytes);
    in[1] = aligned_alloc(LINE, bytes);
    out_arena = aligned_alloc(LINE, bytes);
    want = aligned_alloc(LINE, bytes);
    assert_non_null(in[0]);
    assert_non_null(in[1]);
    assert_non_null(out_arena);
    assert_non_null(want);
    softplus_isa isas[8];
    const size_t nisas = tested_isas(isas, 0); /* valgrind: the active set alone */
    const softplus_accuracy tiers[] = {SOFTPLUS_ACCURACY_STRICT, SOFTPLUS_ACCURACY_FAST};
    size_t calls = 0;
    for (sp_fn fn = 0; fn < SP_FN_COUNT; fn++) {
        const size_t es = op_elem_size(fn);
        if (quick && (es != sizeof(float) || fn_op(fn) != SP_OP_FWD))
            continue;
        sp_rng rng = {0x57ea3000u + (uint64_t)fn};
        for (size_t k = 0; k < 2; k++)
            for (size_t i = 0; i < stream_count(es); i++)
                ordinary_or_interesting(&rng, fn_dtype(fn), in[k] + LINE + i * es);
        const long offsets_full[] = {1, (long)(LINE / es) - 1, -1}, offsets_quick[] = {1, -1};
        const long *offsets = quick ? offsets_quick : offsets_full;
        const size_t noffsets = quick ? 2 : 3;
        for (size_t ii = 0; ii < nisas; ii++) {
            if (isas[ii] == SOFTPLUS_ISA_SCALAR)
                continue;
            assert_int_equal(softplus_set_isa(isas[ii]), SOFTPLUS_OK);
            for (size_t t = 0; t < tier_count(es); t++) {
                assert_int_equal(softplus_set_accuracy(tiers[t]), SOFTPLUS_OK);
                reference(fn, stream_count(es), in[0] + LINE, op_noperands(fn) > 2 ? in[1] + LINE : NULL, want);
                for (size_t o = 0; o < noffsets; o++) {
                    if (!check(fn, offsets[o], in, out_arena, want))
                        fail();
                    calls++;
                }
            }
        }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    assert_int_equal(softplus_set_accuracy(SOFTPLUS_ACCURACY_STRICT), SOFTPLUS_OK);
    free(in[0]);
    free(in[1]);
    free(out_arena);
    free(want);
    print_message("%zu streamed calls over %zu ISA(s) and both tiers: all equal the small calls' bits\n", calls,
                  nisas);
}

/* Transposed views: an R x C output (C-contiguous, at a line) from inputs stored column-major (strides
 * {1, R}) runs in tiles (src/strided.c), whose output rows are streamed when the output is 16 MiB or more
 * and its rows start at lines. C is a multiple of a line's elements and R is not one of the tile's edge (a
 * partial tile at the end); every element must equal the same op's contiguous small calls bit for bit, with
 * the canaries around the output kept. */
static int check_transposed(sp_fn fn, size_t rows, size_t cols, unsigned char *const *in_cm,
                            unsigned char *const *in_rm, unsigned char *out_arena, unsigned char *want)
{
    const size_t es = op_elem_size(fn), n = rows * cols;
    const int binary = op_noperands(fn) > 2;
    reference(fn, n, in_rm[0], binary ? in_rm[1] : NULL, want); /* the inputs' row-major copies */
    unsigned char *out = out_arena + LINE;
    set_canaries(out, n, es);
    const size_t shape[2] = {rows, cols};
    const ptrdiff_t column_major[2] = {1, (ptrdiff_t)rows};
    const sp_call c = {fn, 2, shape, {out, in_cm[0], binary ? in_cm[1] : NULL},
                       {NULL, column_major, column_major}, 1.0, 20.0};
    if (call_run(&c) != SOFTPLUS_OK)
        fail_msg("%s: the transposed call failed", op_name(fn));
    char what[48];
    snprintf(what, sizeof what, "transposed %zu x %zu", rows, cols);
    return output_matches(fn, what, out, want, n);
}

static void test_streamed_transposed_views_give_the_bits_of_small_calls(void **state)
{
    (void)state;
    /* f32: 1021 x 4112 (16.0 MiB + 20 KiB), f64: 1021 x 2056 */
    const size_t rows = 1021, cols_f32 = 4112, cols_f64 = 2056;
    const size_t bytes = rows * cols_f32 * sizeof(float) + 2 * LINE;
    unsigned char *in_cm[2], *in_rm[2], *out_arena, *want;
    for (size_t k = 0; k < 2; k++) {
        in_cm[k] = aligned_alloc(LINE, bytes);
        in_rm[k] = aligned_alloc(LINE, bytes);
        assert_non_null(in_cm[k]);
        assert_non_null(in_rm[k]);
    }
    out_arena = aligned_alloc(LINE, bytes);
    want = aligned_alloc(LINE, bytes);
    assert_non_null(out_arena);
    assert_non_null(want);
    softplus_isa isas[8];
    const size_t nisas = tested_isas(isas, 0);
    const softplus_accuracy tiers[] = {SOFTPLUS_ACCURACY_STRICT, SOFTPLUS_ACCURACY_FAST};
    size_t calls = 0;
    for (sp_fn fn = 0; fn < SP_FN_COUNT; fn++) {
        const size_t es = op_elem_size(fn);
        if (es != sizeof(float) && es != sizeof(double))
            continue;
        if (quick && (es != sizeof(float) || fn_op(fn) != SP_OP_FWD))
            continue;
        const size_t cols = es == sizeof(float) ? cols_f32 : cols_f64;
        sp_rng rng = {0x7a2b5000u + (uint64_t)fn};
        for (size_t k = 0; k < 2; k++)
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < cols; c++) {
                    ordinary_or_interesting(&rng, fn_dtype(fn), in_rm[k] + (r * cols + c) * es);
                    memcpy(in_cm[k] + (c * rows + r) * es, in_rm[k] + (r * cols + c) * es, es);
                }
        for (size_t ii = 0; ii < nisas; ii++) {
            assert_int_equal(softplus_set_isa(isas[ii]), SOFTPLUS_OK);
            for (size_t t = 0; t < tier_count(es); t++) {
                assert_int_equal(softplus_set_accuracy(tiers[t]), SOFTPLUS_OK);
                if (!check_transposed(fn, rows, cols, in_cm, in_rm, out_arena, want))
                    fail();
                calls++;
            }
        }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    assert_int_equal(softplus_set_accuracy(SOFTPLUS_ACCURACY_STRICT), SOFTPLUS_OK);
    for (size_t k = 0; k < 2; k++) {
        free(in_cm[k]);
        free(in_rm[k]);
    }
    free(out_arena);
    free(want);
    print_message("%zu transposed calls over %zu ISA(s): all equal the small calls' bits\n", calls, nisas);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "quick") != 0) {
            fprintf(stderr, "usage: test_streaming [quick]\n");
            return 2;
        }
        quick = 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streamed_calls_give_the_bits_of_small_calls),
        cmocka_unit_test(test_streamed_transposed_views_give_the_bits_of_small_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

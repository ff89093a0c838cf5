/* test_api.c -- the public API contract: every status provoked on all four tensor functions, nothing
 * written on error, the documented check order, and the string/version/ISA-name functions.
 * SPDX-License-Identifier: MIT
 *
 * Every call runs against one arena of random bytes (a canary: whatever the bytes are, the call may change
 * only its output view). Rejected calls and calls on empty tensors must leave every byte of the arena as
 * it was; accepted calls must leave it exactly as the naive per-element reference says (unit_common.h),
 * which also proves that nothing outside the output view moved, the padding around it included.
 * Views that must be rejected before any access may point anywhere (a pointer built from a small integer,
 * or near UINTPTR_MAX): the library has to reject them from the arguments alone.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */

#include <errno.h>
#include <fenv.h>
#include <limits.h>

#include "unit_common.h"

#define ARENA_BYTES 65536
/* Each region holds 16 KiB: 4096 floats or 2048 doubles; the arena's first and last 8 KiB are padding. */
enum { OUT = 8192, IN1 = 24576, IN2 = 40960 };

static _Alignas(64) unsigned char arena[ARENA_BYTES];
static unsigned char before[ARENA_BYTES];

static int fill_arena(void **state)
{
    (void)state;
    sp_rng r = {0x5eed0001u};
    /* Each 8-byte slot holds one interesting double or two interesting floats. */
    for (size_t i = 0; i < ARENA_BYTES; i += 8) {
        if (rng_below(&r, 2)) {
            interesting_value(&r, 8, arena + i);
        } else {
            interesting_value(&r, 4, arena + i);
            interesting_value(&r, 4, arena + i + 4);
        }
    }
    return 0;
}

static sp_call basic_call(sp_fn op, size_t ndim, const size_t *shape)
{
    sp_call c = {op, ndim, shape, {arena + OUT, arena + IN1, arena + IN2}, {NULL, NULL, NULL}, 1.0, 20.0};
    return c;
}

/* Runs c and checks its status; a rejected call (or any call expected OK on an empty tensor) must leave
 * the arena untouched, an accepted one must leave exactly the reference result. */
static void expect_status_at(const sp_call *c, softplus_status want, const char *what, const char *file,
                             int line)
{
    memcpy(before, arena, ARENA_BYTES);
    const softplus_status got = call_run(c);
    if (got != want) {
        print_error("%s, %s: got status %d (%s), want %d (%s)\n", op_name(c->op), what, (int)got,
                    softplus_status_string(got), (int)want, softplus_status_string(want));
        _fail(file, line);
    }
    if (want == SOFTPLUS_OK) {
        if (!check_call_result(c, sp_active_kernels(), arena, before, ARENA_BYTES)) {
            print_error("%s, %s: result differs from the reference\n", op_name(c->op), what);
            _fail(file, line);
        }
    } else if (memcmp(arena, before, ARENA_BYTES) != 0) {
        size_t i = 0;
        while (arena[i] == before[i])
            i++;
        print_error("%s, %s: returned %s but wrote arena byte %zu: 0x%02x, was 0x%02x\n", op_name(c->op), what,
                    softplus_status_string(got), i, arena[i], before[i]);
        _fail(file, line);
    }
}
#define expect_status(c, want, what) expect_status_at((c), (want), (what), __FILE__, __LINE__)

/* ---- RANK --------------------------------------------------------------------------------------- */

static void test_rank_above_max_is_rejected_before_anything_else(void **state)
{
    (void)state;
    size_t shape[SOFTPLUS_MAX_NDIM + 1];
    for (size_t d = 0; d <= SOFTPLUS_MAX_NDIM; d++)
        shape[d] = 2;
    const size_t huge_ndims[] = {SOFTPLUS_MAX_NDIM + 1, SOFTPLUS_MAX_NDIM + 2, (size_t)1 << 20,
                                 (size_t)PTRDIFF_MAX + 1, SIZE_MAX};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        sp_call c = basic_call(op, SOFTPLUS_MAX_NDIM + 1, shape);
        expect_status(&c, SOFTPLUS_ERR_RANK, "ndim = SOFTPLUS_MAX_NDIM + 1");
        for (size_t i = 0; i < sizeof huge_ndims / sizeof huge_ndims[0]; i++) {
            char what[128];
            /* The shape array is not read: RANK comes before everything, NULL shape and PARAM included. */
            sp_call bad = {op, huge_ndims[i], NULL, {NULL, NULL, NULL}, {NULL, NULL, NULL}, NAN, NAN};
            snprintf(what, sizeof what, "ndim = %zu, shape NULL, data NULL, beta NaN", huge_ndims[i]);
            expect_status(&bad, SOFTPLUS_ERR_RANK, what);
        }
    }
}

static void test_max_rank_with_unit_dims_is_computed(void **state)
{
    (void)state;
    size_t ones[SOFTPLUS_MAX_NDIM], some[SOFTPLUS_MAX_NDIM];
    ptrdiff_t wild[3][SOFTPLUS_MAX_NDIM], out_s[SOFTPLUS_MAX_NDIM], in_s[SOFTPLUS_MAX_NDIM];
    sp_rng r = {7};
    /* A size-1 dimension may carry any stride at all: index 0 is the only index. */
    const ptrdiff_t odd[] = {0, 1, -1, PTRDIFF_MAX, PTRDIFF_MIN, 12345, -99999};
    for (size_t d = 0; d < SOFTPLUS_MAX_NDIM; d++) {
        ones[d] = 1;
        some[d] = 1;
        for (size_t k = 0; k < 3; k++)
            wild[k][d] = odd[rng_below(&r, sizeof odd / sizeof odd[0])];
        out_s[d] = wild[0][d];
        in_s[d] = wild[1][d];
    }
    /* Two real dimensions among 30 unit ones: a padded output and a reversed input. */
    some[5] = 3;
    some[31] = 4;
    out_s[5] = 6;
    out_s[31] = 1;
    in_s[5] = -1;
    in_s[31] = 3;
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        sp_call c = basic_call(op, SOFTPLUS_MAX_NDIM, ones);
        expect_status(&c, SOFTPLUS_OK, "ndim = SOFTPLUS_MAX_NDIM, all sizes 1, NULL strides");
        for (size_t k = 0; k < 3; k++)
            c.strides[k] = wild[k];
        expect_status(&c, SOFTPLUS_OK, "ndim = SOFTPLUS_MAX_NDIM, all sizes 1, arbitrary strides");
        /* Same base, strides differing only in size-1 dimensions: the same view, so in-place. */
        c.ptr[0] = c.ptr[1];
        expect_status(&c, SOFTPLUS_OK, "ndim = SOFTPLUS_MAX_NDIM, all sizes 1, in place, other strides");

        sp_call s = basic_call(op, SOFTPLUS_MAX_NDIM, some);
        s.strides[0] = out_s;
        s.strides[1] = in_s;
        s.ptr[1] = (unsigned char *)s.ptr[1] + 2 * op_elem_size(op); /* in_s[5] = -1 reaches back 2 */
        expect_status(&s, SOFTPLUS_OK, "ndim = SOFTPLUS_MAX_NDIM, shape 3 x 4 among unit dims");
    }
}

/* ---- NULL --------------------------------------------------------------------------------------- */

static void test_null_shape_is_rejected_when_ndim_positive(void **state)
{
    (void)state;
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t ndim = 1; ndim <= SOFTPLUS_MAX_NDIM; ndim += 7) {
            sp_call c = basic_call(op, ndim, NULL);
            expect_status(&c, SOFTPLUS_ERR_NULL, "shape NULL");
            c.beta = 0.0; /* NULL shape is checked before the parameters */
            expect_status(&c, SOFTPLUS_ERR_NULL, "shape NULL and beta 0");
        }
    }
}

static void test_null_data_of_nonempty_tensor_is_rejected(void **state)
{
    (void)state;
    const size_t shape[] = {2, 3};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t k = 0; k < op_noperands(op); k++) {
            char what[96];
            snprintf(what, sizeof what, "%s NULL, shape (2,3)", operand_name(op, k));
            sp_call c = basic_call(op, 2, shape);
            c.ptr[k] = NULL;
            expect_status(&c, SOFTPLUS_ERR_NULL, what);
            snprintf(what, sizeof what, "%s NULL, ndim 0 (one element)", operand_name(op, k));
            sp_call s = basic_call(op, 0, NULL);
            s.ptr[k] = NULL;
            expect_status(&s, SOFTPLUS_ERR_NULL, what);
        }
        sp_call all = basic_call(op, 2, shape);
        all.ptr[0] = all.ptr[1] = all.ptr[2] = NULL;
        expect_status(&all, SOFTPLUS_ERR_NULL, "every data pointer NULL");
    }
}

/* ---- empty tensors and ndim = 0 ----------------------------------------------------------------- */

static void test_empty_tensor_touches_nothing_and_accepts_null_data(void **state)
{
    (void)state;
    static const size_t s0[] = {0}, s1[] = {3, 0}, s2[] = {0, 5, 7}, s3[] = {2, 1, 0, 4};
    const struct {
        size_t ndim;
        const size_t *shape;
    } shapes[] = {{1, s0}, {2, s1}, {3, s2}, {4, s3}};
    size_t max_rank[SOFTPLUS_MAX_NDIM];
    for (size_t d = 0; d < SOFTPLUS_MAX_NDIM; d++)
        max_rank[d] = d == 17 ? 0 : 3;
    /* For an empty tensor the strides are never used: self-overlapping, huge and wrapping ones are fine. */
    const ptrdiff_t zero[4] = {0, 0, 0, 0}, huge[4] = {PTRDIFF_MAX, PTRDIFF_MIN, PTRDIFF_MAX, -1};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            sp_call c = basic_call(op, shapes[i].ndim, shapes[i].shape);
            expect_status(&c, SOFTPLUS_OK, "empty tensor, valid pointers");
            c.ptr[0] = c.ptr[1] = c.ptr[2] = NULL;
            expect_status(&c, SOFTPLUS_OK, "empty tensor, every data pointer NULL");
            c.ptr[0] = (void *)(uintptr_t)8;
            c.ptr[1] = (void *)(UINTPTR_MAX & ~(uintptr_t)63);
            c.strides[0] = zero;
            c.strides[1] = huge;
            c.strides[2] = huge;
            expect_status(&c, SOFTPLUS_OK, "empty tensor, wild pointers, zero/huge strides");
        }
        sp_call m = basic_call(op, SOFTPLUS_MAX_NDIM, max_rank);
        expect_status(&m, SOFTPLUS_OK, "empty tensor of rank SOFTPLUS_MAX_NDIM");
        /* Overlapping views of an empty tensor overlap nowhere. */
        sp_call o = basic_call(op, 2, s1);
        o.ptr[0] = (unsigned char *)o.ptr[1] + op_elem_size(op);
        expect_status(&o, SOFTPLUS_OK, "empty tensor, output one element past the input");
    }
}

static void test_ndim0_is_one_element_and_needs_no_shape(void **state)
{
    (void)state;
    const ptrdiff_t unused[1] = {PTRDIFF_MIN};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        sp_call c = basic_call(op, 0, NULL);
        expect_status(&c, SOFTPLUS_OK, "ndim 0, shape NULL, strides NULL");
        c.strides[0] = c.strides[1] = c.strides[2] = unused; /* ndim 0: no stride is read */
        c.ptr[0] = arena + OUT + 64;
        expect_status(&c, SOFTPLUS_OK, "ndim 0, shape NULL, strides given");
        c.ptr[0] = c.ptr[1];
        expect_status(&c, SOFTPLUS_OK, "ndim 0 in place");
    }
}

/* ---- PARAM -------------------------------------------------------------------------------------- */

static void test_invalid_beta_or_threshold_is_rejected(void **state)
{
    (void)state;
    const size_t shape[] = {5};
    const size_t empty[] = {0};
    const double bad_beta[] = {0.0, -0.0, NAN, -NAN, INFINITY, -INFINITY};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t i = 0; i < sizeof bad_beta / sizeof bad_beta[0]; i++) {
            char what[96];
            snprintf(what, sizeof what, "beta = %a", bad_beta[i]);
            sp_call c = basic_call(op, 1, shape);
            c.beta = bad_beta[i];
            expect_status(&c, SOFTPLUS_ERR_PARAM, what);
            /* PARAM comes before the tensors are looked at: empty, NULL data, bad strides. */
            sp_call e = c;
            e.shape = empty;
            e.ptr[0] = e.ptr[1] = e.ptr[2] = NULL;
            expect_status(&e, SOFTPLUS_ERR_PARAM, "bad beta on an empty tensor with NULL data");
        }
        const double bad_threshold[] = {NAN, -NAN};
        for (size_t i = 0; i < 2; i++) {
            sp_call c = basic_call(op, 1, shape);
            c.threshold = bad_threshold[i];
            expect_status(&c, SOFTPLUS_ERR_PARAM, "threshold NaN");
            c.ptr[0] = NULL;
            expect_status(&c, SOFTPLUS_ERR_PARAM, "threshold NaN and y NULL");
        }
    }
    /* The parameters are checked in the tensor's precision: a double that narrows to 0 or inf is a bad
     * f32 beta but a good f64 one. */
    const double narrow_bad[] = {1e-50, -1e-50, 1e300, -1e300};
    for (size_t i = 0; i < sizeof narrow_bad / sizeof narrow_bad[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "beta = %a (0 or inf as a float)", narrow_bad[i]);
        for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
            sp_call c = basic_call(op, 1, shape);
            c.beta = narrow_bad[i];
            expect_status(&c, op_is_f32(op) ? SOFTPLUS_ERR_PARAM : SOFTPLUS_OK, what);
        }
    }
}

static void test_valid_extreme_parameters_are_accepted(void **state)
{
    (void)state;
    const size_t shape[] = {64};
    const double betas[] = {1.0, -1.0, 0x1p-140 /* subnormal as a float */, 7.3, -1e30, FLT_MAX};
    const double thresholds[] = {INFINITY, -INFINITY, 20.0, 0.0, -0.0, 1e300, -1e300};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t i = 0; i < sizeof betas / sizeof betas[0]; i++) {
            for (size_t j = 0; j < sizeof thresholds / sizeof thresholds[0]; j++) {
                char what[128];
                snprintf(what, sizeof what, "beta %a, threshold %a", betas[i], thresholds[j]);
                sp_call c = basic_call(op, 1, shape);
                c.beta = betas[i];
                c.threshold = thresholds[j];
                expect_status(&c, SOFTPLUS_OK, what);
            }
        }
    }
}

/* ---- OVERFLOW ----------------------------------------------------------------------------------- */

static void test_element_count_overflow_is_rejected(void **state)
{
    (void)state;
    const size_t half = (size_t)1 << (sizeof(size_t) * CHAR_BIT / 2);
    static size_t s_max[1], s_pmax1[1], s_half[2], s_two[2], s_three[2], s_three_dims[3];
    s_max[0] = SIZE_MAX;
    s_pmax1[0] = (size_t)PTRDIFF_MAX + 1;
    s_half[0] = s_half[1] = half;                 /* product wraps to exactly 0 */
    s_two[0] = 2;                                 /* product PTRDIFF_MAX + 1: fits size_t, not ptrdiff_t */
    s_two[1] = (size_t)PTRDIFF_MAX / 2 + 1;
    s_three[0] = 3;                               /* product wraps to 2 */
    s_three[1] = SIZE_MAX / 3 + 1;
    s_three_dims[0] = half / 2;                   /* overflow only at the last dimension */
    s_three_dims[1] = 4;
    s_three_dims[2] = half;
    const struct {
        size_t ndim;
        const size_t *shape;
        const char *what;
    } cases[] = {{1, s_max, "shape (SIZE_MAX)"},
                 {1, s_pmax1, "shape (PTRDIFF_MAX+1)"},
                 {2, s_half, "shape (2^(w/2), 2^(w/2)): product wraps to 0"},
                 {2, s_two, "shape (2, PTRDIFF_MAX/2+1)"},
                 {2, s_three, "shape (3, SIZE_MAX/3+1): product wraps to 2"},
                 {3, s_three_dims, "shape (2^(w/2-1), 4, 2^(w/2))"}};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            sp_call c = basic_call(op, cases[i].ndim, cases[i].shape);
            expect_status(&c, SOFTPLUS_ERR_OVERFLOW, cases[i].what);
            /* The element count is checked before the data pointers. */
            c.ptr[0] = c.ptr[1] = c.ptr[2] = NULL;
            expect_status(&c, SOFTPLUS_ERR_OVERFLOW, "count overflow with NULL data");
            c.beta = NAN;
            expect_status(&c, SOFTPLUS_ERR_PARAM, "count overflow with beta NaN");
        }
        /* A count of exactly PTRDIFF_MAX fits: the NULL data pointer is found first, and only then the
         * address range (PTRDIFF_MAX elements of 4 or 8 bytes) overflows. */
        static size_t s_pmax[1];
        s_pmax[0] = (size_t)PTRDIFF_MAX;
        sp_call f = basic_call(op, 1, s_pmax);
        f.ptr[1] = NULL;
        expect_status(&f, SOFTPLUS_ERR_NULL, "shape (PTRDIFF_MAX), x/dy NULL");
        f.ptr[1] = arena + IN1;
        expect_status(&f, SOFTPLUS_ERR_OVERFLOW, "shape (PTRDIFF_MAX): its byte range overflows");
    }
}

static void test_zero_dim_beside_overflowing_dims_is_order_independent(void **state)
{
    (void)state;
    /* The header leaves open whether (0, SIZE_MAX) is an empty tensor or an overflowing count; whichever
     * it is, it must not depend on where the zero sits, and nothing may be written. */
    const size_t a[] = {0, SIZE_MAX, 2}, b[] = {SIZE_MAX, 2, 0}, c3[] = {SIZE_MAX, 0, 2};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        sp_call c = basic_call(op, 3, a);
        memcpy(before, arena, ARENA_BYTES);
        const softplus_status sa = call_run(&c);
        c.shape = b;
        const softplus_status sb = call_run(&c);
        c.shape = c3;
        const softplus_status sc = call_run(&c);
        if (sa != sb || sa != sc || (sa != SOFTPLUS_OK && sa != SOFTPLUS_ERR_OVERFLOW)) {
            print_error("%s: shapes (0,SIZE_MAX,2) (SIZE_MAX,2,0) (SIZE_MAX,0,2) gave %d %d %d\n", op_name(op),
                        (int)sa, (int)sb, (int)sc);
            fail();
        }
        assert_memory_equal(arena, before, ARENA_BYTES);
    }
}

static void test_stride_range_overflow_is_rejected(void **state)
{
    (void)state;
    static const size_t s2[] = {2}, s3[] = {3}, s22[] = {2, 2};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const ptrdiff_t es = (ptrdiff_t)op_elem_size(op);
        const ptrdiff_t over = PTRDIFF_MAX / es + 1; /* one step is already more bytes than ptrdiff_t holds */
        const ptrdiff_t half = PTRDIFF_MAX / es / 2 + 1; /* each fits, two of them do not */
        const ptrdiff_t one_d[] = {over, -over, PTRDIFF_MAX, -PTRDIFF_MAX, PTRDIFF_MIN};
        for (size_t k = 0; k < op_noperands(op); k++) {
            for (size_t i = 0; i < sizeof one_d / sizeof one_d[0]; i++) {
                char what[128];
                snprintf(what, sizeof what, "shape (2), %s stride %td", operand_name(op, k), one_d[i]);
                sp_call c = basic_call(op, 1, s2);
                c.strides[k] = &one_d[i];
                expect_status(&c, SOFTPLUS_ERR_OVERFLOW, what);
            }
            const ptrdiff_t st3 = half;
            sp_call c3 = basic_call(op, 1, s3);
            c3.strides[k] = &st3;
            expect_status(&c3, SOFTPLUS_ERR_OVERFLOW, "shape (3), stride PTRDIFF_MAX/es/2+1");
            const ptrdiff_t pos[] = {half, half}, mixed[] = {half, -half};
            sp_call c22 = basic_call(op, 2, s22);
            c22.strides[k] = pos;
            expect_status(&c22, SOFTPLUS_ERR_OVERFLOW, "shape (2,2), strides summing past PTRDIFF_MAX");
            c22.strides[k] = mixed;
            expect_status(&c22, SOFTPLUS_ERR_OVERFLOW, "shape (2,2), strides +h,-h spanning past PTRDIFF_MAX");
            /* NULL data is found before the address range of another operand. */
            for (size_t j = 0; j < op_noperands(op); j++) {
                if (j == k)
                    continue;
                sp_call n = basic_call(op, 1, s2);
                n.strides[k] = &one_d[0];
                n.ptr[j] = NULL;
                expect_status(&n, SOFTPLUS_ERR_NULL, "stride overflow on one operand, another NULL");
            }
        }
    }
}

static void test_view_wrapping_the_address_space_is_rejected(void **state)
{
    (void)state;
    /* 4096 elements: more than 4 KiB at every element size (2 bytes for bf16 and f16) */
    static const size_t s2048[] = {4096}, s2[] = {2}, s_2x2048[] = {2, 4096};
    void *const low = (void *)(uintptr_t)4096;
    void *const top = (void *)(UINTPTR_MAX & ~(uintptr_t)4095); /* the last 4 KiB of the address space */
    const ptrdiff_t back[] = {-1}, up_and_back[] = {4096, -1};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        for (size_t k = 0; k < op_noperands(op); k++) {
            char what[128];
            /* 4096 elements backwards from address 4096 go below 0. */
            sp_call c = basic_call(op, 1, s2048);
            c.ptr[k] = low;
            c.strides[k] = back;
            snprintf(what, sizeof what, "%s at 4096 with stride -1 over 4096 elements", operand_name(op, k));
            expect_status(&c, SOFTPLUS_ERR_OVERFLOW, what);
            /* The same with a forward outer stride: the span fits, its low end does not. */
            sp_call m = basic_call(op, 2, s_2x2048);
            m.ptr[k] = low;
            m.strides[k] = up_and_back;
            snprintf(what, sizeof what, "%s at 4096, strides (4096,-1)", operand_name(op, k));
            expect_status(&m, SOFTPLUS_ERR_OVERFLOW, what);
            /* 4096 elements forwards from 4 KiB below the top pass UINTPTR_MAX. */
            sp_call t = basic_call(op, 1, s2048);
            t.ptr[k] = top;
            snprintf(what, sizeof what, "%s 4 KiB below UINTPTR_MAX, 4096 contiguous elements",
                     operand_name(op, k));
            expect_status(&t, SOFTPLUS_ERR_OVERFLOW, what);
            /* A real arena pointer with one step back past address 0: the byte count fits in ptrdiff_t
             * (user-space addresses are far below PTRDIFF_MAX) but the range wraps. */
            sp_call a = basic_call(op, 1, s2);
            const ptrdiff_t to_below_zero = -(ptrdiff_t)((uintptr_t)a.ptr[k] / es) - 1;
            a.strides[k] = &to_below_zero;
            snprintf(what, sizeof what, "%s in the arena, one stride back below address 0", operand_name(op, k));
            expect_status(&a, SOFTPLUS_ERR_OVERFLOW, what);
        }
    }
}

/* ---- OVERLAP ------------------------------------------------------------------------------------ */

typedef struct view_case {
    size_t ndim;
    size_t shape[3];
    ptrdiff_t stride[3];
    const char *what;
} view_case;

static void test_output_overlapping_itself_is_rejected(void **state)
{
    (void)state;
    static const view_case bad[] = {
        {1, {4}, {0}, "shape (4) stride (0)"},
        {2, {2, 3}, {0, 1}, "shape (2,3) strides (0,1)"},
        {2, {3, 2}, {2, 0}, "shape (3,2) strides (2,0)"},
        {2, {3, 3}, {1, 1}, "shape (3,3) strides (1,1)"},
        {2, {2, 2}, {1, 1}, "shape (2,2) strides (1,1)"},
        {2, {3, 3}, {-1, 1}, "shape (3,3) strides (-1,1)"},
        {2, {2, 3}, {2, 1}, "shape (2,3) strides (2,1): rows overlap by one"},
        {3, {2, 2, 2}, {3, 2, 1}, "shape (2,2,2) strides (3,2,1)"},
        {2, {4, 2}, {1, -3}, "shape (4,2) strides (1,-3)"},
    };
    static const view_case good[] = {
        {1, {1}, {0}, "shape (1) stride (0)"},
        {2, {1, 4}, {0, 1}, "shape (1,4) strides (0,1)"},
        {2, {3, 3}, {-3, 1}, "shape (3,3) strides (-3,1)"},
        {2, {2, 3}, {1, 2}, "shape (2,3) strides (1,2): column-major"},
        {3, {2, 2, 2}, {5, 2, 1}, "shape (2,2,2) strides (5,2,1): padded"},
    };
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            sp_call c = basic_call(op, bad[i].ndim, bad[i].shape);
            c.ptr[0] = (unsigned char *)c.ptr[0] + 64 * op_elem_size(op); /* room for negative strides */
            c.strides[0] = bad[i].stride;
            expect_status(&c, SOFTPLUS_ERR_OVERLAP, bad[i].what);
            /* NULL data and range overflow come before OVERLAP. */
            sp_call n = c;
            n.ptr[1] = NULL;
            expect_status(&n, SOFTPLUS_ERR_NULL, "self-overlapping output, input NULL");
            const ptrdiff_t huge = PTRDIFF_MAX;
            n = c;
            n.strides[1] = &huge;
            n.ndim = 1;
            if (bad[i].shape[0] > 1 && bad[i].stride[0] == 0) {
                expect_status(&n, SOFTPLUS_ERR_OVERFLOW, "zero output stride, input stride overflows");
            }
        }
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
            sp_call c = basic_call(op, good[i].ndim, good[i].shape);
            c.ptr[0] = (unsigned char *)c.ptr[0] + 64 * op_elem_size(op);
            c.strides[0] = good[i].stride;
            expect_status(&c, SOFTPLUS_OK, good[i].what);
        }
        /* A zero stride on an input is a broadcast, not an overlap. */
        static const size_t s4[] = {4};
        static const ptrdiff_t zero[] = {0};
        for (size_t k = 1; k < op_noperands(op); k++) {
            sp_call b = basic_call(op, 1, s4);
            b.strides[k] = zero;
            expect_status(&b, SOFTPLUS_OK, "input broadcast with stride 0");
        }
    }
}

static void test_output_partially_overlapping_an_input_is_rejected(void **state)
{
    (void)state;
    static const size_t s8[] = {8};
    const ptrdiff_t shifts_bad[] = {1, -1, 7, -7, 3};
    const ptrdiff_t shifts_ok[] = {8, -8, 100};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        for (size_t k = 1; k < op_noperands(op); k++) {
            for (size_t i = 0; i < sizeof shifts_bad / sizeof shifts_bad[0]; i++) {
                char what[96];
                snprintf(what, sizeof what, "shape (8), %s = %s %+td elements", operand_name(op, 0),
                         operand_name(op, k), shifts_bad[i]);
                sp_call c = basic_call(op, 1, s8);
                c.ptr[0] = (unsigned char *)c.ptr[k] + shifts_bad[i] * (ptrdiff_t)es;
                expect_status(&c, SOFTPLUS_ERR_OVERLAP, what);
            }
            for (size_t i = 0; i < sizeof shifts_ok / sizeof shifts_ok[0]; i++) {
                char what[96];
                snprintf(what, sizeof what, "shape (8), %s = %s %+td elements: adjacent or apart",
                         operand_name(op, 0), operand_name(op, k), shifts_ok[i]);
                sp_call c = basic_call(op, 1, s8);
                c.ptr[0] = (unsigned char *)c.ptr[k] + shifts_ok[i] * (ptrdiff_t)es;
                expect_status(&c, SOFTPLUS_OK, what);
            }
            /* A broadcast input element that lies inside the output view. */
            static const ptrdiff_t zero[] = {0};
            sp_call b = basic_call(op, 1, s8);
            b.ptr[k] = (unsigned char *)b.ptr[0] + 3 * es;
            b.strides[k] = zero;
            expect_status(&b, SOFTPLUS_ERR_OVERLAP, "input broadcasting an element of the output");
        }
    }
}

static void test_same_base_with_other_strides_is_overlap(void **state)
{
    (void)state;
    static const size_t s33[] = {3, 3}, s8[] = {8}, s4[] = {4};
    static const ptrdiff_t rows[] = {3, 1}, cols[] = {1, 3}, unit[] = {1}, rev[] = {-1}, two[] = {2},
                           zero[] = {0};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        for (size_t k = 1; k < op_noperands(op); k++) {
            sp_call t = basic_call(op, 2, s33);
            t.ptr[0] = t.ptr[k];
            t.strides[k] = rows;
            t.strides[0] = cols;
            expect_status(&t, SOFTPLUS_ERR_OVERLAP, "in-place transpose: same base, strides (1,3) vs (3,1)");
            /* The same elements in reverse order are not the same view. */
            sp_call r = basic_call(op, 1, s8);
            r.ptr[0] = (unsigned char *)r.ptr[k] + 7 * es;
            r.strides[0] = rev;
            r.strides[k] = unit;
            expect_status(&r, SOFTPLUS_ERR_OVERLAP, "output = input reversed");
            sp_call w = basic_call(op, 1, s4);
            w.ptr[0] = w.ptr[k];
            w.strides[k] = two;
            expect_status(&w, SOFTPLUS_ERR_OVERLAP, "same base, input stride 2, output stride 1");
            w.strides[k] = zero;
            expect_status(&w, SOFTPLUS_ERR_OVERLAP, "same base, input broadcast, output stride 1");
        }
    }
}

static void test_exact_same_view_is_in_place_and_accepted(void **state)
{
    (void)state;
    static const size_t s8[] = {8}, s34[] = {3, 4}, s1x5[] = {3, 1, 5};
    static const ptrdiff_t rev[] = {-1}, c34[] = {4, 1}, padded[] = {6, -1}, p1[] = {7, 100, 1},
                           p2[] = {7, -3, 1};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        const size_t nops = op_noperands(op);
        /* Which operands share the output's view: forward y==x; backward dx==dy, dx==x, all three. */
        const unsigned masks_fwd[] = {0x2}, masks_bwd[] = {0x2, 0x4, 0x6};
        const unsigned *masks = nops == 2 ? masks_fwd : masks_bwd;
        const size_t nmasks = nops == 2 ? 1 : 3;
        for (size_t m = 0; m < nmasks; m++) {
            char what[128];
            const char *who = masks[m] == 0x2 ? operand_name(op, 1) : masks[m] == 0x4 ? "x" : "dy and x";
            struct {
                size_t ndim;
                const size_t *shape;
                const ptrdiff_t *s_out, *s_in;
                size_t offset;
                const char *layout;
            } layouts[] = {
                {1, s8, NULL, NULL, 0, "contiguous, NULL strides"},
                {1, s8, rev, rev, 7, "reversed"},
                {2, s34, NULL, c34, 0, "NULL strides vs the same strides spelled out"},
                {2, s34, padded, padded, 3, "padded rows, reversed columns"},
                {3, s1x5, p1, p2, 0, "strides differing only in a size-1 dimension"},
            };
            for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
                sp_call c = basic_call(op, layouts[l].ndim, layouts[l].shape);
                c.ptr[0] = arena + OUT + layouts[l].offset * es;
                c.strides[0] = layouts[l].s_out;
                for (size_t k = 1; k < nops; k++) {
                    if (masks[m] & (1u << k)) {
                        c.ptr[k] = c.ptr[0];
                        c.strides[k] = layouts[l].s_in;
                    }
                }
                snprintf(what, sizeof what, "%s the same view as %s: %s", operand_name(op, 0), who,
                         layouts[l].layout);
                expect_status(&c, SOFTPLUS_OK, what);
            }
        }
    }
}

/* Strides that spell out the C-contiguous layout (any stride on a size-1 dimension) name the NULL-strides
 * view: the same status and the same bytes, for every operand given them or only some, whether the call
 * succeeds, writes in place, or is rejected for its data, its count or an overlap. */
static void test_spelled_out_contiguous_strides_are_the_null_view(void **state)
{
    (void)state;
    const size_t half = (size_t)1 << (sizeof(size_t) * CHAR_BIT / 2);
    static size_t s8[] = {8}, s1[] = {1}, s315[] = {3, 1, 5}, s24[] = {2, 4}, s03[] = {0, 3}, s_half[2];
    static const ptrdiff_t st8[] = {1}, st1[] = {-4}, st315[] = {5, 77, 1}, st24[] = {4, 1}, st03[] = {3, 1};
    static ptrdiff_t st_half[2];
    s_half[0] = s_half[1] = half; /* the element count overflows */
    st_half[0] = (ptrdiff_t)half;
    st_half[1] = 1;
    const struct {
        size_t ndim;
        const size_t *shape;
        const ptrdiff_t *strides;
        int shift_out, null_in, same_base;
        softplus_status want;
        const char *what;
    } cases[] = {
        {1, s8, st8, 0, 0, 0, SOFTPLUS_OK, "shape (8), strides (1)"},
        {1, s1, st1, 0, 0, 0, SOFTPLUS_OK, "shape (1), strides (-4)"},
        {3, s315, st315, 0, 0, 0, SOFTPLUS_OK, "shape (3,1,5), strides (5,77,1)"},
        {2, s24, st24, 0, 0, 1, SOFTPLUS_OK, "shape (2,4), strides (4,1), in place"},
        {2, s24, st24, 3, 0, 1, SOFTPLUS_ERR_OVERLAP, "shape (2,4), strides (4,1), output 3 elements on"},
        {2, s24, st24, 0, 1, 0, SOFTPLUS_ERR_NULL, "shape (2,4), strides (4,1), an input NULL"},
        {2, s03, st03, 0, 1, 0, SOFTPLUS_OK, "shape (0,3), strides (3,1), an input NULL: empty"},
        {2, s_half, st_half, 0, 0, 0, SOFTPLUS_ERR_OVERFLOW, "shape (2^(w/2), 2^(w/2)), strides (2^(w/2), 1)"},
    };
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            /* which operands get the strides: none (the NULL reference), all, or each one alone */
            for (size_t given = 0; given <= op_noperands(op) + 1; given++) {
                sp_call c = basic_call(op, cases[i].ndim, cases[i].shape);
                if (cases[i].same_base)
                    c.ptr[0] = c.ptr[1];
                c.ptr[0] = (unsigned char *)c.ptr[0] + cases[i].shift_out * (ptrdiff_t)es;
                if (cases[i].null_in)
                    c.ptr[1] = NULL;
                for (size_t k = 0; k < op_noperands(op); k++)
                    if (given == 1 || given == k + 2)
                        c.strides[k] = cases[i].strides;
                char what[160];
                snprintf(what, sizeof what, "%s, strides given to %s", cases[i].what,
                         given == 0 ? "none" : given == 1 ? "all" : operand_name(op, given - 2));
                expect_status(&c, cases[i].want, what);
            }
        }
    }
}

static void test_interleaved_views_are_rejected_conservatively(void **state)
{
    (void)state;
    static const size_t s8[] = {8}, s44[] = {4, 4};
    static const ptrdiff_t two[] = {2}, rows[] = {8, 1};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        for (size_t k = 1; k < op_noperands(op); k++) {
            /* buf[0::2] and buf[1::2]: disjoint elements, intersecting byte ranges. */
            sp_call c = basic_call(op, 1, s8);
            c.ptr[0] = (unsigned char *)c.ptr[k] + es;
            c.strides[0] = two;
            c.strides[k] = two;
            expect_status(&c, SOFTPLUS_ERR_OVERLAP, "output buf[1::2], input buf[0::2]");
            c.ptr[0] = (unsigned char *)c.ptr[k] - es;
            expect_status(&c, SOFTPLUS_ERR_OVERLAP, "output buf[0::2], input buf[1::2]");
            /* Left and right halves of the rows of one 4 x 8 buffer. */
            sp_call h = basic_call(op, 2, s44);
            h.ptr[0] = (unsigned char *)h.ptr[k] + 4 * es;
            h.strides[0] = rows;
            h.strides[k] = rows;
            expect_status(&h, SOFTPLUS_ERR_OVERLAP, "output right half-rows, input left half-rows");
        }
    }
}

static void test_inputs_may_overlap_each_other(void **state)
{
    (void)state;
    static const size_t s8[] = {8};
    static const ptrdiff_t two[] = {2}, zero[] = {0};
    for (sp_fn op = SP_FN_BWD_F32; op <= SP_FN_BWD_F64; op++) {
        const size_t es = op_elem_size(op);
        sp_call c = basic_call(op, 1, s8);
        c.ptr[2] = c.ptr[1];
        expect_status(&c, SOFTPLUS_OK, "dy and x the same view");
        c.ptr[2] = (unsigned char *)c.ptr[1] + es;
        expect_status(&c, SOFTPLUS_OK, "x = dy + 1 element");
        c.ptr[2] = (unsigned char *)c.ptr[1] + es;
        c.strides[1] = c.strides[2] = two;
        expect_status(&c, SOFTPLUS_OK, "dy = buf[0::2], x = buf[1::2]");
        c.strides[1] = zero;
        c.strides[2] = NULL;
        c.ptr[1] = (unsigned char *)c.ptr[2] + 5 * es;
        expect_status(&c, SOFTPLUS_OK, "dy broadcasting an element of x");
    }
}

/* ---- the documented check order in one table ---------------------------------------------------- */

static void test_errors_are_reported_in_the_documented_order(void **state)
{
    (void)state;
    /* RANK, NULL (shape), PARAM, OVERFLOW (count), then for a non-empty tensor NULL (data),
     * OVERFLOW (range), OVERLAP. Each row combines faults; the first in that order must win. */
    enum { F_RANK = 1, F_NULL_SHAPE = 2, F_PARAM = 4, F_COUNT = 8, F_NULL_DATA = 16, F_RANGE = 32,
           F_OVERLAP = 64, F_EMPTY = 128 };
    static size_t s_ok[SOFTPLUS_MAX_NDIM + 1], s_count[2], s_empty[SOFTPLUS_MAX_NDIM + 1];
    for (size_t d = 0; d <= SOFTPLUS_MAX_NDIM; d++) {
        s_ok[d] = d < 2 ? 4 : 1;
        s_empty[d] = d == 1 ? 0 : 4; /* (4,0) at rank 2, still empty at rank SOFTPLUS_MAX_NDIM+1 */
    }
    s_count[0] = s_count[1] = SIZE_MAX / 2;
    static const ptrdiff_t zero_out[2] = {0, 1}, huge_in[2] = {PTRDIFF_MAX, 1};
    const unsigned rows[] = {
        F_RANK | F_NULL_SHAPE | F_PARAM | F_NULL_DATA, F_RANK | F_PARAM, F_NULL_SHAPE | F_PARAM | F_NULL_DATA,
        F_PARAM | F_COUNT | F_NULL_DATA, F_PARAM | F_RANGE | F_OVERLAP, F_COUNT | F_NULL_DATA | F_OVERLAP,
        F_NULL_DATA | F_RANGE | F_OVERLAP, F_RANGE | F_OVERLAP, F_OVERLAP, F_NULL_DATA | F_OVERLAP,
        F_EMPTY | F_NULL_DATA | F_RANGE | F_OVERLAP, F_EMPTY | F_PARAM, F_EMPTY | F_RANK,
    };
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            const unsigned f = rows[i];
            sp_call c = basic_call(op, 2, s_ok);
            if (f & F_RANK)
                c.ndim = SOFTPLUS_MAX_NDIM + 1;
            if (f & F_NULL_SHAPE)
                c.shape = NULL;
            if (f & F_PARAM)
                c.beta = 0.0;
            if (f & F_COUNT)
                c.shape = s_count;
            if (f & F_EMPTY)
                c.shape = s_empty;
            if (f & F_NULL_DATA)
                c.ptr[1] = NULL;
            if (f & F_RANGE)
                c.strides[op_noperands(op) - 1] = huge_in;
            if (f & F_OVERLAP)
                c.strides[0] = zero_out;
            softplus_status want = SOFTPLUS_OK;
            if (f & F_RANK)
                want = SOFTPLUS_ERR_RANK;
            else if (f & F_NULL_SHAPE)
                want = SOFTPLUS_ERR_NULL;
            else if (f & F_PARAM)
                want = SOFTPLUS_ERR_PARAM;
            else if (f & F_COUNT)
                want = SOFTPLUS_ERR_OVERFLOW;
            else if (f & F_EMPTY)
                want = SOFTPLUS_OK;
            else if (f & F_NULL_DATA)
                want = SOFTPLUS_ERR_NULL;
            else if (f & F_RANGE)
                want = SOFTPLUS_ERR_OVERFLOW;
            else if (f & F_OVERLAP)
                want = SOFTPLUS_ERR_OVERLAP;
            char what[96];
            snprintf(what, sizeof what, "faults 0x%02x (rank,shape,param,count,data,range,overlap,empty)", f);
            if (want == SOFTPLUS_OK) { /* an empty call: nothing touched, no reference needed */
                memcpy(before, arena, ARENA_BYTES);
                assert_int_equal(call_run(&c), SOFTPLUS_OK);
                assert_memory_equal(arena, before, ARENA_BYTES);
            } else {
                expect_status(&c, want, what);
            }
        }
    }
}

/* ---- errno -------------------------------------------------------------------------------------- */

static void test_errno_is_never_changed(void **state)
{
    (void)state;
    /* Inputs where exp(-|beta*x|) underflows or overflows in libm (which may set ERANGE), plus the
     * ordinary ones, and a rejected call. */
    const double values[] = {-800.0, 800.0, -1e308, 1e308, -DBL_MAX, FLT_MAX, -FLT_MAX, -1e30, 0.0, NAN,
                             -INFINITY, INFINITY, 1e-320};
    const size_t n = sizeof values / sizeof values[0];
    const size_t shape[1] = {n};
    const int sentinels[] = {0, 12345};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        for (size_t i = 0; i < n; i++) {
            if (es == sizeof(float)) {
                const float f = (float)values[i];
                memcpy(arena + IN1 + i * es, &f, es);
                memcpy(arena + IN2 + i * es, &f, es);
            } else {
                memcpy(arena + IN1 + i * es, &values[i], es);
                memcpy(arena + IN2 + i * es, &values[i], es);
            }
        }
        for (size_t s = 0; s < 2; s++) {
            const double thresholds[] = {INFINITY, 20.0};
            for (size_t t = 0; t < 2; t++) {
                sp_call c = basic_call(op, 1, shape);
                c.threshold = thresholds[t];
                errno = sentinels[s];
                const softplus_status st = call_run(&c);
                const int after = errno;
                assert_int_equal(st, SOFTPLUS_OK);
                if (after != sentinels[s]) {
                    print_error("%s over inputs like -800, 1e308, -FLT_MAX (threshold %a): errno %d, was %d\n",
                                op_name(op), thresholds[t], after, sentinels[s]);
                    fail();
                }
            }
            sp_call bad = basic_call(op, 1, NULL);
            errno = sentinels[s];
            assert_int_equal(call_run(&bad), SOFTPLUS_ERR_NULL);
            assert_int_equal(errno, sentinels[s]);
        }
    }
}

/* The header promises the caller's floating-point environment is left alone. Status flags are raised by
 * any arithmetic (inexact at least), so only the control mode is checked: the rounding direction, under
 * every supported ISA (a SIMD kernel that rewrote MXCSR/FPCR would show here). */
static void test_rounding_mode_is_preserved(void **state)
{
    (void)state;
    const size_t shape[1] = {300};
    const int modes[] = {
#ifdef FE_TONEAREST
        FE_TONEAREST,
#endif
#ifdef FE_UPWARD
        FE_UPWARD,
#endif
#ifdef FE_DOWNWARD
        FE_DOWNWARD,
#endif
#ifdef FE_TOWARDZERO
        FE_TOWARDZERO,
#endif
    };
    softplus_isa isas[8];
    const size_t nisas = supported_isas(isas);
    for (size_t i = 0; i < nisas; i++) {
        assert_int_equal(softplus_set_isa(isas[i]), SOFTPLUS_OK);
        for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
            for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
                sp_call c = basic_call(op, 1, shape);
                if (fesetround(modes[m]) != 0)
                    continue;
                const softplus_status st = call_run(&c);
                const int after = fegetround();
                fesetround(FE_TONEAREST);
                assert_int_equal(st, SOFTPLUS_OK);
                if (after != modes[m]) {
                    print_error("%s under %s: rounding mode 0x%x became 0x%x\n", op_name(op),
                                softplus_isa_name(isas[i]), (unsigned)modes[m], (unsigned)after);
                    fail();
                }
            }
        }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
}

/* ---- UNSUPPORTED and the string functions ------------------------------------------------------- */

static void test_set_isa_rejects_unsupported_and_changes_nothing(void **state)
{
    (void)state;
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_SCALAR), SOFTPLUS_OK);
    int found_unsupported = 0;
    for (int isa = SOFTPLUS_ISA_SCALAR; isa <= SP_ISA_LAST; isa++) {
        if (softplus_isa_supported((softplus_isa)isa))
            continue;
        found_unsupported = 1;
        if (softplus_set_isa((softplus_isa)isa) != SOFTPLUS_ERR_UNSUPPORTED) {
            print_error("softplus_set_isa(%s) accepted an ISA softplus_isa_supported denies\n",
                        softplus_isa_name((softplus_isa)isa));
            fail();
        }
        assert_int_equal(softplus_active_isa(), SOFTPLUS_ISA_SCALAR);
    }
#if defined(__x86_64__) || defined(__i386__)
    /* NEON never runs on x86, so the loop above met at least one unsupported ISA here. */
    assert_true(found_unsupported);
    assert_false(softplus_isa_supported(SOFTPLUS_ISA_NEON));
#else
    (void)found_unsupported;
#endif
    const int out_of_range[] = {6, 7, 31, 32, 33, 99, 1000, -1, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++) {
        const softplus_isa isa = (softplus_isa)out_of_range[i];
        if (softplus_isa_supported(isa) != 0 || softplus_set_isa(isa) != SOFTPLUS_ERR_UNSUPPORTED) {
            print_error("ISA value %d: supported %d, set_isa %d; want 0 and UNSUPPORTED\n", out_of_range[i],
                        softplus_isa_supported(isa), (int)softplus_set_isa(isa));
            fail();
        }
        assert_int_equal(softplus_active_isa(), SOFTPLUS_ISA_SCALAR);
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
}

static void test_status_strings_are_distinct_and_total(void **state)
{
    (void)state;
    const char *s[SOFTPLUS_ERR_UNSUPPORTED + 1];
    for (int i = SOFTPLUS_OK; i <= SOFTPLUS_ERR_UNSUPPORTED; i++) {
        s[i] = softplus_status_string((softplus_status)i);
        assert_non_null(s[i]);
        assert_true(s[i][0] != '\0');
        assert_string_not_equal(s[i], "unknown status");
        for (int j = 0; j < i; j++)
            if (strcmp(s[i], s[j]) == 0) {
                print_error("statuses %d and %d share the string \"%s\"\n", j, i, s[i]);
                fail();
            }
    }
    const int unknown[] = {7, 8, 99, -1, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *u = softplus_status_string((softplus_status)unknown[i]);
        assert_non_null(u);
        assert_string_equal(u, "unknown status");
    }
}

static void test_version_string_matches_the_header(void **state)
{
    (void)state;
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", SOFTPLUS_VERSION_MAJOR, SOFTPLUS_VERSION_MINOR,
             SOFTPLUS_VERSION_PATCH);
    assert_non_null(softplus_version_string());
    assert_string_equal(softplus_version_string(), want);
    assert_int_equal(SOFTPLUS_VERSION_NUMBER,
                     SOFTPLUS_VERSION_MAJOR * 10000 + SOFTPLUS_VERSION_MINOR * 100 + SOFTPLUS_VERSION_PATCH);
    assert_true(SOFTPLUS_MAX_NDIM >= 32);
}

static void test_isa_names_are_the_documented_ones(void **state)
{
    (void)state;
    const struct {
        softplus_isa isa;
        const char *name;
    } names[] = {{SOFTPLUS_ISA_AUTO, "auto"},   {SOFTPLUS_ISA_SCALAR, "scalar"}, {SOFTPLUS_ISA_SSE41, "sse41"},
                 {SOFTPLUS_ISA_AVX2, "avx2"},   {SOFTPLUS_ISA_AVX512, "avx512"}, {SOFTPLUS_ISA_NEON, "neon"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_non_null(softplus_isa_name(names[i].isa));
        assert_string_equal(softplus_isa_name(names[i].isa), names[i].name);
    }
    const int unknown[] = {6, 7, 99, -1, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *u = softplus_isa_name((softplus_isa)unknown[i]);
        assert_non_null(u);
        assert_string_equal(u, "unknown");
    }
}

/* ---- accuracy tiers ----------------------------------------------------------------------------- */

static void test_accuracy_set_get_and_invalid_values_change_nothing(void **state)
{
    (void)state;
    if (!getenv("SOFTPLUS_ACCURACY"))
        assert_int_equal(softplus_accuracy_mode(), SOFTPLUS_ACCURACY_STRICT); /* the default */
    assert_int_equal(SOFTPLUS_ACCURACY_STRICT, 0);
    assert_int_equal(SOFTPLUS_ACCURACY_FAST, 1);
    assert_int_equal(softplus_set_accuracy(SOFTPLUS_ACCURACY_FAST), SOFTPLUS_OK);
    assert_int_equal(softplus_accuracy_mode(), SOFTPLUS_ACCURACY_FAST);
    const int invalid[] = {2, 3, 99, -1, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        if (softplus_set_accuracy((softplus_accuracy)invalid[i]) != SOFTPLUS_ERR_PARAM) {
            print_error("softplus_set_accuracy(%d) accepted a value that is not a tier\n", invalid[i]);
            fail();
        }
        assert_int_equal(softplus_accuracy_mode(), SOFTPLUS_ACCURACY_FAST);
    }
    assert_int_equal(softplus_set_accuracy(SOFTPLUS_ACCURACY_STRICT), SOFTPLUS_OK);
    assert_int_equal(softplus_accuracy_mode(), SOFTPLUS_ACCURACY_STRICT);
}

/* Every supported set, both tiers: the public call gives exactly what the registry's entry for the
 * active tier gives (check_call_result runs that entry), the fast tier's entries are the set's own fast
 * kernels or else its strict ones, and f64 is strict in both tiers. */
static void test_each_tier_runs_its_registry_entry(void **state)
{
    (void)state;
    static const size_t shape[1] = {1000};
    for (int isa = SOFTPLUS_ISA_SCALAR; isa <= SP_ISA_LAST; isa++) {
        const sp_kernel_set *set = sp_kernels_for_isa((softplus_isa)isa);
        if (!set)
            continue;
        assert_int_equal(softplus_set_isa((softplus_isa)isa), SOFTPLUS_OK);
        for (int tier = 0; tier < SP_ACCURACY_COUNT; tier++) {
            assert_int_equal(softplus_set_accuracy((softplus_accuracy)tier), SOFTPLUS_OK);
            for (sp_fn fn = 0; fn < SP_FN_COUNT; fn++) {
                const sp_kernel *k = sp_kernel_of(set, (softplus_accuracy)tier, fn_op(fn), fn_dtype(fn));
                const sp_kernel *strict = sp_kernel_of(set, SOFTPLUS_ACCURACY_STRICT, fn_op(fn), fn_dtype(fn));
                if (k->tier != (softplus_accuracy)tier)
                    assert_string_equal(k->name, strict->name); /* no kernel of this tier: the strict one */
                if (fn_dtype(fn) == SP_DTYPE_F64)
                    assert_int_equal(k->tier, SOFTPLUS_ACCURACY_STRICT);
                fill_arena(NULL);
                sp_call c = basic_call(fn, 1, shape);
                c.beta = 1.5;
                expect_status(&c, SOFTPLUS_OK, softplus_isa_name((softplus_isa)isa));
            }
        }
    }
    assert_int_equal(softplus_set_accuracy(SOFTPLUS_ACCURACY_STRICT), SOFTPLUS_OK);
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
}

/* test_api accuracy-env WANT: run with SOFTPLUS_ACCURACY set by ctest. The first library call resolves
 * the kernel set and reads both variables; a later change of the environment changes nothing. */
static int accuracy_env_main(const char *want_name)
{
    softplus_accuracy want;
    if (strcmp(want_name, "strict") == 0)
        want = SOFTPLUS_ACCURACY_STRICT;
    else if (strcmp(want_name, "fast") == 0)
        want = SOFTPLUS_ACCURACY_FAST;
    else {
        fprintf(stderr, "usage: test_api [accuracy-env strict|fast]\n");
        return 2;
    }
    const char *env = getenv("SOFTPLUS_ACCURACY");
    (void)softplus_active_isa(); /* resolves the kernel set, and the tier with it */
    setenv("SOFTPLUS_ACCURACY", want == SOFTPLUS_ACCURACY_FAST ? "strict" : "fast", 1);
    const softplus_accuracy got = softplus_accuracy_mode();
    printf("SOFTPLUS_ACCURACY=%s: tier %d, want %d (%s)\n", env ? env : "(unset)", (int)got, (int)want, want_name);
    return got == want ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "accuracy-env") == 0)
        return accuracy_env_main(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_rank_above_max_is_rejected_before_anything_else, fill_arena),
        cmocka_unit_test_setup(test_max_rank_with_unit_dims_is_computed, fill_arena),
        cmocka_unit_test_setup(test_null_shape_is_rejected_when_ndim_positive, fill_arena),
        cmocka_unit_test_setup(test_null_data_of_nonempty_tensor_is_rejected, fill_arena),
        cmocka_unit_test_setup(test_empty_tensor_touches_nothing_and_accepts_null_data, fill_arena),
        cmocka_unit_test_setup(test_ndim0_is_one_element_and_needs_no_shape, fill_arena),
        cmocka_unit_test_setup(test_invalid_beta_or_threshold_is_rejected, fill_arena),
        cmocka_unit_test_setup(test_valid_extreme_parameters_are_accepted, fill_arena),
        cmocka_unit_test_setup(test_element_count_overflow_is_rejected, fill_arena),
        cmocka_unit_test_setup(test_zero_dim_beside_overflowing_dims_is_order_independent, fill_arena),
        cmocka_unit_test_setup(test_stride_range_overflow_is_rejected, fill_arena),
        cmocka_unit_test_setup(test_view_wrapping_the_address_space_is_rejected, fill_arena),
        cmocka_unit_test_setup(test_output_overlapping_itself_is_rejected, fill_arena),
        cmocka_unit_test_setup(test_output_partially_overlapping_an_input_is_rejected, fill_arena),
        cmocka_unit_test_setup(test_same_base_with_other_strides_is_overlap, fill_arena),
        cmocka_unit_test_setup(test_exact_same_view_is_in_place_and_accepted, fill_arena),
        cmocka_unit_test_setup(test_spelled_out_contiguous_strides_are_the_null_view, fill_arena),
        cmocka_unit_test_setup(test_interleaved_views_are_rejected_conservatively, fill_arena),
        cmocka_unit_test_setup(test_inputs_may_overlap_each_other, fill_arena),
        cmocka_unit_test_setup(test_errors_are_reported_in_the_documented_order, fill_arena),
        cmocka_unit_test_setup(test_errno_is_never_changed, fill_arena),
        cmocka_unit_test_setup(test_rounding_mode_is_preserved, fill_arena),
        cmocka_unit_test(test_set_isa_rejects_unsupported_and_changes_nothing),
        cmocka_unit_test(test_status_strings_are_distinct_and_total),
        cmocka_unit_test(test_version_string_matches_the_header),
        cmocka_unit_test(test_isa_names_are_the_documented_ones),
        cmocka_unit_test(test_accuracy_set_get_and_invalid_values_change_nothing),
        cmocka_unit_test(test_each_tier_runs_its_registry_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

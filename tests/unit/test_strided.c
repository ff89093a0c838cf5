/* test_strided.c -- strided equivalence: any view the API accepts gives, bit for bit, what the same ISA's
 * kernel gives element by element, and nothing outside the output view changes.
 * SPDX-License-Identifier: MIT
 *
 * Random cases (fixed seed) cover rank 0..6, shapes with 0s and 1s, permuted (transposed) and padded
 * layouts, negative strides, zero strides on inputs (broadcast), arbitrary strides on size-1 dimensions,
 * NULL strides, in-place calls (y = x; dx = dy, dx = x, both), inputs sharing or overlapping each other,
 * and inner dimensions longer than the engine's 2 KiB gather/scatter chunk with non-unit strides. Every
 * case runs under every ISA this machine supports (softplus_set_isa) and is compared with the naive
 * index-by-index loop of unit_common.h calling that ISA's own kernel on one element at a time; the kernel
 * contract says an element's result does not depend on its position, so the bytes must match exactly.
 * Each case's arena holds its views with random margins of input values around them, so the comparison
 * of the whole arena also proves that no byte outside the output view moved.
 *
 * Usage: test_strided [seed [cases]] to explore other seeds; ctest runs the defaults.
 */
#include "unit_common.h"

#define MAX_RANK 6
#define DEFAULT_SEED 0x5eed50f7u
#define DEFAULT_CASES 5000

/* The engine's chunk of a strided run, in bytes (SP_RUN_CHUNK_BYTES in src/strided.c); only used to pick
 * sizes on both sides of the chunk boundary, so a different value would weaken the test, not break it. */
#define CHUNK_BYTES 2048

enum alias {
    A_SEPARATE,    /* every view in its own region */
    A_OUT_IS_IN1,  /* y = x (forward) or dx = dy: the same view */
    A_OUT_IS_IN2,  /* dx = x */
    A_OUT_IS_BOTH, /* dx = dy = x */
    A_IN_SAME,     /* dy = x, output apart: inputs may share */
    A_IN_SHIFTED,  /* x = dy + 1 element, same strides: inputs may overlap partially */
    A_COUNT
};

static const char *const alias_names[A_COUNT] = {"separate", "out=in1", "out=in2", "out=in1=in2", "in1=in2",
                                                 "in2=in1+1"};

typedef struct tcase {
    sp_fn op;
    size_t ndim;
    size_t shape[MAX_RANK];
    ptrdiff_t stride[3][MAX_RANK];
    int use_null[3]; /* pass NULL strides (the layout is C-contiguous) */
    enum alias alias;
    double beta, threshold;
} tcase;

static softplus_isa isas[8];
static size_t nisas;
static uint64_t seed = DEFAULT_SEED;
static size_t ncases = DEFAULT_CASES;

/* The fixed-layout tests take every layout natively (1), every other one where fewer random cases were
 * asked for (2: ASan, qemu-aarch64, 500 cases) and every fourth where far fewer (4: valgrind 40, the emulated
 * x86 CPUs 250, whose copies the native run checks in full; under qemu's AVX2 the boundary and tile tests
 * took 128 s at 2). The layouts taken rotate with the op and size, so that every layout runs for some op. */
static size_t reduced_step(void)
{
    return ncases >= DEFAULT_CASES ? 1 : ncases > 250 ? 2 : 4;
}

static void describe(const tcase *t, const size_t *base)
{
    print_error("  case: %s, alias %s, beta %a, threshold %a, shape (", op_name(t->op), alias_names[t->alias],
                t->beta, t->threshold);
    for (size_t d = 0; d < t->ndim; d++)
        print_error("%s%zu", d ? "," : "", t->shape[d]);
    print_error(")\n");
    for (size_t k = 0; k < op_noperands(t->op); k++) {
        print_error("    %s at element %zu, strides ", operand_name(t->op, k), base[k]);
        if (t->use_null[k]) {
            print_error("NULL");
        } else {
            print_error("(");
            for (size_t d = 0; d < t->ndim; d++)
                print_error("%s%td", d ? "," : "", t->stride[k][d]);
            print_error(")");
        }
        print_error("\n");
    }
}

/* Operand whose region operand k shares (itself when it has its own). */
static size_t owner_of(enum alias a, size_t k)
{
    switch (a) {
    case A_OUT_IS_IN1: return k == 1 ? 0 : k;
    case A_OUT_IS_IN2: return k == 2 ? 0 : k;
    case A_OUT_IS_BOTH: return 0;
    case A_IN_SAME:
    case A_IN_SHIFTED: return k == 2 ? 1 : k;
    default: return k;
    }
}

/* Element offsets [lo, hi] a view reaches relative to its base. */
static void view_span(const tcase *t, size_t k, ptrdiff_t *lo, ptrdiff_t *hi)
{
    *lo = *hi = 0;
    for (size_t d = 0; d < t->ndim; d++) {
        if (t->shape[d] <= 1)
            continue;
        const ptrdiff_t reach = t->stride[k][d] * (ptrdiff_t)(t->shape[d] - 1);
        if (reach < 0)
            *lo += reach;
        else
            *hi += reach;
    }
}

/* Runs one case under every supported ISA; 1 when all match the reference. */
static int run_case(const tcase *t, sp_rng *r)
{
    const size_t es = op_elem_size(t->op);
    const size_t nops = op_noperands(t->op);
    size_t base[3] = {0, 0, 0};
    size_t total = 1 + rng_below(r, 8);
    int empty = 0;
    for (size_t d = 0; d < t->ndim; d++)
        empty |= t->shape[d] == 0;
    for (size_t k = 0; k < nops; k++) {
        if (owner_of(t->alias, k) != k)
            continue;
        ptrdiff_t lo = 0, hi = 0;
        if (!empty)
            view_span(t, k, &lo, &hi);
        const size_t before_margin = rng_below(r, 17), after_margin = rng_below(r, 17);
        const size_t extra = t->alias == A_IN_SHIFTED && k == 1 ? 1 : 0;
        base[k] = total + before_margin + (size_t)(-lo);
        total += before_margin + (size_t)(hi - lo) + 1 + extra + after_margin;
    }
    for (size_t k = 0; k < nops; k++)
        if (owner_of(t->alias, k) != k)
            base[k] = base[owner_of(t->alias, k)] + (t->alias == A_IN_SHIFTED ? 1 : 0);
    total += rng_below(r, 8);

    const size_t bytes = total * es;
    unsigned char *pristine = malloc(bytes), *arena = malloc(bytes);
    if (!pristine || !arena) {
        free(pristine);
        free(arena);
        print_error("out of memory for %zu bytes\n", bytes);
        return 0;
    }
    for (size_t i = 0; i < total; i++)
        interesting_value(r, es, pristine + i * es);

    sp_call c = {t->op, t->ndim, t->shape, {NULL, NULL, NULL}, {NULL, NULL, NULL}, t->beta, t->threshold};
    for (size_t k = 0; k < nops; k++) {
        c.ptr[k] = arena + base[k] * es;
        c.strides[k] = t->use_null[k] ? NULL : t->stride[k];
    }
    int ok = 1;
    for (size_t i = 0; i < nisas && ok; i++) {
        memcpy(arena, pristine, bytes);
        if (softplus_set_isa(isas[i]) != SOFTPLUS_OK || softplus_active_isa() != isas[i]) {
            print_error("could not make %s active\n", softplus_isa_name(isas[i]));
            ok = 0;
            break;
        }
        const softplus_status st = call_run(&c);
        if (st != SOFTPLUS_OK) {
            print_error("%s under %s returned %s for a valid view\n", op_name(t->op), softplus_isa_name(isas[i]),
                        softplus_status_string(st));
            ok = 0;
        } else if (!check_call_result(&c, sp_kernels_for_isa(isas[i]), arena, pristine, bytes)) {
            ok = 0;
        }
        if (!ok)
            describe(t, base);
    }
    free(pristine);
    free(arena);
    return ok;
}

/* Strides for one view of shape: dimensions in a random (or given) order, the innermost step 1, 2 or 3,
 * random padding, random sign flips; zero strides (broadcast) only when may_broadcast; any stride at all
 * on size-1 dimensions. Sets *contiguous when the result is exactly C-contiguous. */
static void make_layout(sp_rng *r, const tcase *t, size_t innermost, ptrdiff_t inner_step, int may_broadcast,
                        ptrdiff_t *stride, int *contiguous)
{
    size_t perm[MAX_RANK];
    for (size_t d = 0; d < t->ndim; d++)
        perm[d] = d;
    int plain = 1;
    if (rng_below(r, 2)) {
        for (size_t d = t->ndim; d > 1; d--) {
            const size_t j = rng_below(r, d);
            const size_t tmp = perm[d - 1];
            perm[d - 1] = perm[j];
            perm[j] = tmp;
        }
    }
    if (innermost < t->ndim) { /* move it to the end of the order: the fastest dimension */
        size_t at = 0;
        while (perm[at] != innermost)
            at++;
        for (; at + 1 < t->ndim; at++)
            perm[at] = perm[at + 1];
        perm[t->ndim - 1] = innermost;
    }
    for (size_t d = 0; d < t->ndim; d++)
        if (perm[d] != d)
            plain = 0;
    ptrdiff_t step = inner_step;
    if (step != 1)
        plain = 0;
    for (size_t i = t->ndim; i-- > 0;) {
        const size_t d = perm[i];
        stride[d] = step;
        const size_t pad = rng_below(r, 4) == 0 ? 1 + rng_below(r, 3) : 0;
        if (pad) /* padding a size-1 dimension still moves every outer stride */
            plain = 0;
        step *= (ptrdiff_t)((t->shape[d] ? t->shape[d] : 1) + pad);
    }
    for (size_t d = 0; d < t->ndim; d++) {
        if (t->shape[d] > 1 && rng_below(r, 4) == 0) {
            stride[d] = -stride[d];
            plain = 0;
        }
        if (may_broadcast && t->shape[d] > 1 && rng_below(r, 8) == 0) {
            stride[d] = 0;
            plain = 0;
        }
    }
    static const ptrdiff_t odd[] = {0, 1, -1, 7, -1000003, PTRDIFF_MAX, PTRDIFF_MIN};
    for (size_t d = 0; d < t->ndim; d++)
        if (t->shape[d] == 1 && rng_below(r, 3) == 0)
            stride[d] = odd[rng_below(r, sizeof odd / sizeof odd[0])];
    *contiguous = plain;
}

static ptrdiff_t random_inner_step(sp_rng *r, int big)
{
    return rng_below(r, big ? 3 : 4) == 0 ? 1 : (rng_below(r, 3) == 0 ? 1 : 2 + (ptrdiff_t)rng_below(r, 2));
}

static void random_params(sp_rng *r, tcase *t)
{
    static const double betas[] = {1.0, 1.0, 0.5, 2.0, -1.0, 7.3, -0.3, 3e-3, 40.0};
    static const double thresholds[] = {20.0, 20.0, INFINITY, 0.0, 5.0, -5.0, -INFINITY, 1e-3};
    t->beta = betas[rng_below(r, sizeof betas / sizeof betas[0])];
    t->threshold = thresholds[rng_below(r, sizeof thresholds / sizeof thresholds[0])];
}

/* Alias mode fitting the op. A view shared with another operand takes that operand's strides, except
 * on size-1 dimensions, which the same-view rule ignores. The output never broadcasts (make_layout), so
 * an input sharing its view never does either; inputs sharing each other's view may. */
static void apply_alias(sp_rng *r, tcase *t)
{
    if (op_noperands(t->op) == 2)
        t->alias = rng_below(r, 4) == 0 ? A_OUT_IS_IN1 : A_SEPARATE;
    else
        t->alias = rng_below(r, 2) ? A_SEPARATE : (enum alias)(1 + rng_below(r, A_COUNT - 1));
    for (size_t k = 1; k < op_noperands(t->op); k++) {
        const size_t own = owner_of(t->alias, k);
        if (own == k)
            continue;
        for (size_t d = 0; d < t->ndim; d++)
            if (t->shape[d] != 1 || rng_below(r, 2))
                t->stride[k][d] = t->stride[own][d];
        /* NULL on one side and the same strides spelled out on the other is still the same view. */
        t->use_null[k] = t->use_null[own] && rng_below(r, 2);
    }
}

static void random_case(sp_rng *r, tcase *t)
{
    memset(t, 0, sizeof *t);
    t->op = (sp_fn)rng_below(r, SP_FN_COUNT);
    t->ndim = rng_below(r, MAX_RANK + 1);
    random_params(r, t);
    const int big = t->ndim > 0 && rng_below(r, 10) == 0;
    size_t count = 1;
    for (size_t d = 0; d < t->ndim; d++) {
        const size_t u = rng_below(r, 100);
        t->shape[d] = u < 3 ? 0 : u < 25 ? 1 : 2 + rng_below(r, u < 80 ? 4 : 12);
        count *= t->shape[d] ? t->shape[d] : 1;
    }
    for (size_t d = 0; count > 3000 && d < t->ndim; d++) {
        if (t->shape[d] > 3) {
            count = count / t->shape[d] * 3;
            t->shape[d] = 3;
        }
    }
    size_t innermost = MAX_RANK; /* none forced */
    if (big) {
        innermost = rng_below(r, t->ndim);
        size_t others = 1;
        for (size_t d = 0; d < t->ndim; d++) {
            if (d == innermost)
                continue;
            if (t->shape[d] > 2)
                t->shape[d] = 2;
            if (others * t->shape[d] > 4)
                t->shape[d] = 1;
            others *= t->shape[d] ? t->shape[d] : 1;
        }
        /* Several chunks of the gather buffer for either dtype. */
        t->shape[innermost] = 1000 + rng_below(r, 2600);
    }
    for (size_t k = 0; k < op_noperands(t->op); k++) {
        int contiguous;
        make_layout(r, t, innermost, random_inner_step(r, big), k > 0, t->stride[k], &contiguous);
        t->use_null[k] = contiguous && rng_below(r, 2);
    }
    apply_alias(r, t);
}

static void test_random_views_match_elementwise_kernel(void **state)
{
    (void)state;
    sp_rng r = {seed};
    size_t stats[A_COUNT] = {0}, big = 0, empty = 0, null_strides = 0, scalars = 0;
    for (size_t i = 0; i < ncases; i++) {
        tcase t;
        random_case(&r, &t);
        stats[t.alias]++;
        int is_empty = 0;
        for (size_t d = 0; d < t.ndim; d++) {
            is_empty |= t.shape[d] == 0;
            big += t.shape[d] > 512;
        }
        empty += (size_t)is_empty;
        scalars += t.ndim == 0;
        null_strides += (size_t)(t.use_null[0] || t.use_null[1]);
        if (!run_case(&t, &r)) {
            print_error("random case %zu of seed 0x%llx failed\n", i, (unsigned long long)seed);
            fail();
        }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    print_message("%zu cases x %zu ISA(s): %zu separate, %zu out=in1, %zu out=in2, %zu out=in1=in2, %zu in1=in2, "
                  "%zu in2=in1+1; %zu with a dim > 512, %zu empty, %zu rank 0, %zu with NULL strides\n",
                  ncases, nisas, stats[A_SEPARATE], stats[A_OUT_IS_IN1], stats[A_OUT_IS_IN2],
                  stats[A_OUT_IS_BOTH], stats[A_IN_SAME], stats[A_IN_SHIFTED], big, empty, scalars,
                  null_strides);
}

/* Inner runs on both sides of every chunk boundary of the gather/scatter buffer, with the output, an
 * input, or both strided, reversed, broadcast or in place, under an outer dimension of 3; and two calls
 * large enough for the engine's far chunk. */
static void test_gather_buffer_boundaries(void **state)
{
    (void)state;
    sp_rng r = {seed ^ 0xb0b0u};
    static const struct {
        ptrdiff_t out, in;
        enum alias alias;
    } combos[] = {{2, 1, A_SEPARATE}, {1, 2, A_SEPARATE},  {-1, 3, A_SEPARATE}, {3, -1, A_SEPARATE},
                  {-2, 0, A_SEPARATE}, {2, 2, A_OUT_IS_IN1}, {-3, -3, A_OUT_IS_IN1}, {1, -1, A_SEPARATE}};
    size_t runs = 0;
    const size_t step = reduced_step(); /* layouts taken in turn with size and op */
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t chunk = CHUNK_BYTES / op_elem_size(op);
        const size_t sizes[] = {chunk - 1, chunk, chunk + 1, 2 * chunk - 1, 2 * chunk + 1, 3 * chunk + 7};
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (size_t m = (op + s) % step; m < sizeof combos / sizeof combos[0]; m += step) {
                tcase t;
                memset(&t, 0, sizeof t);
                t.op = op;
                t.ndim = 2;
                t.shape[0] = 3;
                t.shape[1] = sizes[s];
                t.alias = combos[m].alias;
                t.beta = 1.0;
                t.threshold = 20.0;
                const ptrdiff_t so = combos[m].out, si = combos[m].in;
                /* Outer strides padded by 5 elements past the inner run. */
                t.stride[0][1] = so;
                t.stride[0][0] = (ptrdiff_t)sizes[s] * (so < 0 ? -so : so) + 5;
                for (size_t k = 1; k < op_noperands(op); k++) {
                    t.stride[k][1] = si;
                    t.stride[k][0] = (ptrdiff_t)sizes[s] * (si < 0 ? -si : si == 0 ? 1 : si) + 5;
                    if (t.alias == A_OUT_IS_IN1 && k == 1) {
                        t.stride[k][0] = t.stride[0][0];
                        t.stride[k][1] = t.stride[0][1];
                    }
                }
                /* The last input of a backward call keeps a plain unit-stride layout. */
                if (op_noperands(op) == 3 && t.alias == A_SEPARATE && (m & 1)) {
                    t.stride[2][1] = 1;
                    t.stride[2][0] = (ptrdiff_t)sizes[s];
                }
                runs++;
                if (!run_case(&t, &r)) {
                    print_error("boundary case: inner size %zu (chunk %zu), strides out %td in %td\n", sizes[s],
                                chunk, so, si);
                    fail();
                }
            }
        }
    }
    /* Calls whose operands hold more than SP_RUN_FAR_BYTES (8 MiB) take the engine's smaller chunk:
     * one such call each for a one-input and a two-input function, at stride 2 (native runs only: each
     * costs seconds on emulated CPUs and under sanitizers). */
    static const sp_fn far_fns[] = {SP_FN_BWD_F32, SP_FN_FWD_BF16};
    for (size_t f = 0; f < sizeof far_fns / sizeof far_fns[0] && ncases >= DEFAULT_CASES; f++) {
        tcase t;
        memset(&t, 0, sizeof t);
        t.op = far_fns[f];
        t.ndim = 1;
        t.shape[0] = ((size_t)8 << 20) / op_noperands(t.op) / op_elem_size(t.op) + 1021;
        for (size_t k = 0; k < op_noperands(t.op); k++)
            t.stride[k][0] = 2;
        t.alias = A_SEPARATE;
        t.beta = 1.0;
        t.threshold = 20.0;
        runs++;
        if (!run_case(&t, &r)) {
            print_error("boundary case: %zu elements at stride 2 (beyond the far threshold)\n", t.shape[0]);
            fail();
        }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    print_message("%zu boundary cases x %zu ISA(s)\n", runs, nisas);
}

/* Every rank from 0 to 6 with every dimension of size 1 or 2 and C-contiguous strides spelled out:
 * the engine merges all of it into one run, which must still match. Also the same shapes fully reversed. */
static void test_mergeable_layouts(void **state)
{
    (void)state;
    sp_rng r = {seed ^ 0x3e43u};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t ndim = 0; ndim <= MAX_RANK; ndim++) {
            for (unsigned mask = 0; mask < (1u << ndim); mask++) {
                for (int reversed = 0; reversed < 2; reversed++) {
                    tcase t;
                    memset(&t, 0, sizeof t);
                    t.op = op;
                    t.ndim = ndim;
                    t.beta = 1.0;
                    t.threshold = 20.0;
                    ptrdiff_t step = 1;
                    for (size_t d = ndim; d-- > 0;) {
                        t.shape[d] = (mask >> d & 1u) ? 3 : 1;
                        for (size_t k = 0; k < op_noperands(op); k++)
                            t.stride[k][d] = reversed ? -step : step;
                        step *= (ptrdiff_t)t.shape[d];
                    }
                    if (!run_case(&t, &r)) {
                        print_error("mergeable layout, rank %zu, mask 0x%x, reversed %d\n", ndim, mask, reversed);
                        fail();
                    }
                }
            }
        }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
}

/* 2-D transposed views (the engine's tiles: src/strided.c run_tile) with extents on both sides of the
 * tile edges (32 x 32 f32, 16 x 32 f64 elements) and over several tiles: inputs transposed with a
 * contiguous output, the output transposed against contiguous inputs, in place on one transposed view,
 * reversed (negative strides), a broadcast input, and an outer third dimension. */
static void test_transposed_tiles(void **state)
{
    (void)state;
    sp_rng r = {seed ^ 0x7a11u};
    /* below one tile's edge, at it, just past it, several tiles; 9 rows is also below the tiling's stride
     * threshold (tiled when its runs, the columns, are short, run by run at 300 columns: native runs only,
     * it costs a minute under valgrind) */
    static const size_t row_extents[] = {9, 31, 32, 70}, col_extents[] = {17, 33, 65, 300};
    enum { IN_T, OUT_T, IN_PLACE_T, REVERSED_T, BROADCAST_T, OUTER_T, NMODES };
    const int step = (int)reduced_step();
    size_t runs = 0;
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t a = 0; a < sizeof row_extents / sizeof row_extents[0]; a++) {
            for (size_t b = 0; b < sizeof col_extents / sizeof col_extents[0] - (step > 1); b++) {
                for (int mode = (int)(a + b) % step; mode < NMODES; mode += step) {
                    tcase t;
                    memset(&t, 0, sizeof t);
                    t.op = op;
                    t.beta = 1.0;
                    t.threshold = 20.0;
                    t.alias = mode == IN_PLACE_T ? A_OUT_IS_IN1 : A_SEPARATE;
                    const size_t rows = row_extents[a], cols = col_extents[b];
                    const int outer = mode == OUTER_T;
                    t.ndim = outer ? 3 : 2;
                    t.shape[outer] = rows;
                    t.shape[outer + 1] = cols;
                    if (outer)
                        t.shape[0] = 2;
                    const ptrdiff_t outer_step = (ptrdiff_t)(rows * cols + 3);
                    for (size_t k = 0; k < op_noperands(op); k++) {
                        /* transposed: column-major (strides {1, rows}); plain: row-major ({cols, 1}) */
                        const int transposed = mode == OUT_T ? k == 0 : k > 0 || mode == IN_PLACE_T;
                        ptrdiff_t s_rows = transposed ? 1 : (ptrdiff_t)cols, s_cols = transposed ? (ptrdiff_t)rows : 1;
                        if (mode == REVERSED_T && k != 1) {
                            s_rows = -s_rows;
                            s_cols = -s_cols;
                        }
                        if (mode == BROADCAST_T && k == 1)
                            s_rows = 0;
                        t.stride[k][outer] = s_rows;
                        t.stride[k][outer + 1] = s_cols;
                        if (outer)
                            t.stride[k][0] = outer_step;
                    }
                    runs++;
                    if (!run_case(&t, &r)) {
                        print_error("transposed tile case: %zu x %zu, mode %d\n", rows, cols, mode);
                        fail();
                    }
                }
            }
        }
    }
    /* more than one group of tiles (src/strided.c run_tiles: 4 x 4 tiles) both ways: natively, under ASan
     * and qemu-aarch64 (every op's 21000 elements cost half a minute under valgrind and qemu's AVX2) */
    for (sp_fn op = 0; op < SP_FN_COUNT && step <= 2; op++) {
        for (int out_transposed = 0; out_transposed < 2; out_transposed++) {
            tcase t;
            memset(&t, 0, sizeof t);
            t.op = op;
            t.beta = 1.0;
            t.threshold = 20.0;
            t.ndim = 2;
            t.shape[0] = 150;
            t.shape[1] = 140;
            for (size_t k = 0; k < op_noperands(op); k++) {
                const int transposed = out_transposed ? k == 0 : k > 0;
                t.stride[k][0] = transposed ? 1 : 140;
                t.stride[k][1] = transposed ? 150 : 1;
            }
            runs++;
            if (!run_case(&t, &r)) {
                print_error("transposed tile case: 150 x 140, output transposed %d\n", out_transposed);
                fail();
            }
        }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    print_message("%zu transposed-tile cases x %zu ISA(s)\n", runs, nisas);
}

/* Calls of n = 1 .. 40 elements (every tail length of every vector width, the one-element path
 * included) give, bit for bit, what a long call gives for the same elements, at random offsets, for
 * every op, dtype and ISA, with beta = 1 and otherwise. */
static void test_small_calls_match_long_call(void **state)
{
    (void)state;
    enum { LONG = 1024, MAXN = 40 };
    static const double params[][2] = {{1.0, 20.0}, {-0.5, 5.0}};
    sp_rng r = {seed ^ 0x5a11u};
    size_t calls = 0;
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        unsigned char *in[2], *whole = malloc(LONG * es), *part = malloc((MAXN + 2) * es);
        in[0] = malloc(LONG * es);
        in[1] = malloc(LONG * es);
        assert_true(whole && part && in[0] && in[1]);
        for (size_t i = 0; i < LONG; i++) {
            interesting_value(&r, es, in[0] + i * es);
            interesting_value(&r, es, in[1] + i * es);
        }
        for (size_t j = 0; j < nisas; j++) {
            assert_int_equal(softplus_set_isa(isas[j]), SOFTPLUS_OK);
            for (size_t q = 0; q < sizeof params / sizeof params[0]; q++) {
                const size_t long_shape[1] = {LONG};
                sp_call c = {op, 1, long_shape, {whole, in[0], in[1]}, {NULL, NULL, NULL}, params[q][0], params[q][1]};
                assert_int_equal(call_run(&c), SOFTPLUS_OK);
                for (size_t n = 1; n <= MAXN; n++) {
                    const size_t offset = rng_below(&r, LONG - n + 1);
                    const size_t shape[1] = {n};
                    memset(part, 0x5a, (n + 2) * es);
                    sp_call s = {op, 1, shape, {part + es, in[0] + offset * es, in[1] + offset * es}, {NULL, NULL, NULL},
                                 params[q][0], params[q][1]};
                    assert_int_equal(call_run(&s), SOFTPLUS_OK);
                    calls++;
                    for (size_t i = 0; i < n; i++) {
                        if (memcmp(part + (1 + i) * es, whole + (offset + i) * es, es) != 0) {
                            char g[96], w[96], x[96];
                            print_error("%s under %s, beta %g, threshold %g: n = %zu, element %zu (x %s): got %s, "
                                        "the long call %s\n", op_name(op), softplus_isa_name(isas[j]), params[q][0],
                                        params[q][1], n, i, elem_str(x, sizeof x, in[op_noperands(op) - 2] + (offset + i) * es, es),
                                        elem_str(g, sizeof g, part + (1 + i) * es, es),
                                        elem_str(w, sizeof w, whole + (offset + i) * es, es));
                            fail();
                        }
                    }
                    unsigned char fill[8];
                    memset(fill, 0x5a, sizeof fill);
                    assert_memory_equal(part, fill, es); /* nothing before or after the output */
                    assert_memory_equal(part + (n + 1) * es, fill, es);
                }
            }
        }
        free(in[0]);
        free(in[1]);
        free(whole);
        free(part);
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    print_message("%zu small calls x their elements matched the long calls\n", calls);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        seed = strtoull(argv[1], NULL, 0);
    if (argc > 2)
        ncases = (size_t)strtoull(argv[2], NULL, 0);
    /* a third argument "active": the emulated CPU models' runs (every set runs natively and under ASan) */
    nisas = tested_isas(isas, argc > 3 && strcmp(argv[3], "active") == 0);
    print_message("seed 0x%llx; ISAs:", (unsigned long long)seed);
    for (size_t i = 0; i < nisas; i++)
        print_message(" %s", softplus_isa_name(isas[i]));
    print_message("\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_views_match_elementwise_kernel),
        cmocka_unit_test(test_gather_buffer_boundaries),
        cmocka_unit_test(test_mergeable_layouts),
        cmocka_unit_test(test_transposed_tiles),
        cmocka_unit_test(test_small_calls_match_long_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_huge_index.c -- index arithmetic past 2^32 elements and 2^31-element strides, and the overflow limits.
 * SPDX-License-Identifier: MIT
 *
 * Computed views. A sparse private mapping of 128 GiB (MAP_NORESERVE: address space, no memory) holds
 * views whose strides reach past 2^31 and 2^32 elements and whose last element lies more than 2^32
 * elements (16 or 32 GiB) from the first, so that only the few elements of each view are ever touched.
 * The inputs live in the lower half, the output in the upper half. The mapping is PROT_NONE except for
 * the pages holding a view's elements (and the canaries beside them), so a read or write anywhere else
 * in the 128 GiB -- where a wrapped or truncated offset would land -- faults, and cmocka reports the
 * signal. For every case, op, dtype and ISA, every output element equals the ISA's kernel on that
 * element's inputs, bit for bit, and the elements on either side of each output element (canaries)
 * and every input are unchanged.
 * Strides cover both signs, the int32/uint32 boundaries (2^31 - 1, 2^31, 2^31 + 1, 2^32 - 1, 2^32,
 * 2^32 + 1), mixed signs across operands and dimensions, size-1 dimensions carrying PTRDIFF_MIN and
 * PTRDIFF_MAX, and an inner dimension of 1100 huge steps (longer than the engine's gather chunk).
 * When the mapping cannot be made (valgrind, some sanitizers or emulators, a small RLIMIT_AS,
 * vm.overcommit_memory = 2) these cases are skipped and the suite exits 77 if nothing failed.
 *
 * Validated views. Element counts past 2^32, 2^63 and 2^64, and address ranges at the exact limits
 * the header documents (a view's |stride|*(size-1) sums, times the element size, must fit in ptrdiff_t
 * and must not wrap the address space): one element below each limit is accepted, at the limit it is
 * SOFTPLUS_ERR_OVERFLOW. An accepted range is observed without touching memory through the documented
 * check order: an output dimension of size 2 and stride 0 makes the call fail with SOFTPLUS_ERR_OVERLAP,
 * which is checked after every address range. Rejected calls point at canary buffers (unchanged) or at
 * addresses no access can survive, so a wrapped address would show either as changed bytes or a crash.
 */
#define _DEFAULT_SOURCE /* MAP_NORESERVE, MAP_ANONYMOUS, madvise */

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit_common.h"

#if SIZE_MAX > 0xffffffffu && PTRDIFF_MAX > 0x7fffffff
#define HUGE_TESTS 1
#endif

#ifdef HUGE_TESTS

#define P31 ((ptrdiff_t)1 << 31)
#define P32 ((ptrdiff_t)1 << 32)

/* ---- the sparse mapping -------------------------------------------------------------------------- */

#define REGION_BYTES (((size_t)1 << 36) + ((size_t)1 << 21)) /* 64 GiB + 2 MiB: one f64 view of 2^33+17 */
#define MAP_BYTES (2 * REGION_BYTES)

static unsigned char *map;    /* NULL when unavailable */
static char map_failure[160]; /* why */
static size_t page_bytes;

static int setup(void **state)
{
    (void)state;
    page_bytes = (size_t)sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, MAP_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(map_failure, sizeof map_failure, "mmap of %zu GiB with MAP_NORESERVE failed: %s",
                 MAP_BYTES >> 30, strerror(errno));
        return 0;
    }
    map = p;
#ifdef MADV_NOHUGEPAGE
    /* One touched element must cost one small page, not a 2 MiB one (thousands are touched). */
    madvise(map, MAP_BYTES, MADV_NOHUGEPAGE);
#endif
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (map)
        munmap(map, MAP_BYTES);
    softplus_set_isa(SOFTPLUS_ISA_AUTO);
    return 0;
}

/* ---- computed views ------------------------------------------------------------------------------ */

typedef struct huge_case {
    const char *name;
    size_t ndim;
    size_t shape[3];
    ptrdiff_t out[3]; /* output strides */
    ptrdiff_t in[3];  /* x strides; dy shares them, one element further on */
} huge_case;

/* Lowest and highest element offsets of a view (size-1 dimensions contribute nothing). */
static void view_extent(size_t ndim, const size_t *shape, const ptrdiff_t *stride, ptrdiff_t *lo, ptrdiff_t *hi)
{
    *lo = *hi = 0;
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] < 2)
            continue;
        const ptrdiff_t span = stride[d] * (ptrdiff_t)(shape[d] - 1);
        if (span < 0)
            *lo += span;
        else
            *hi += span;
    }
}

static int cmp_ptrdiff(const void *a, const void *b)
{
    const ptrdiff_t x = *(const ptrdiff_t *)a, y = *(const ptrdiff_t *)b;
    return (x > y) - (x < y);
}

static size_t sort_unique(ptrdiff_t *v, size_t n)
{
    qsort(v, n, sizeof v[0], cmp_ptrdiff);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

static size_t find_offset(const ptrdiff_t *v, size_t n, ptrdiff_t key)
{
    const ptrdiff_t *hit = bsearch(&key, v, n, sizeof v[0], cmp_ptrdiff);
    return hit ? (size_t)(hit - v) : (size_t)-1;
}

/* Runs one case for one op under the active ISA; returns 0 (after printing why) on any difference. */
static int run_huge_case(const huge_case *hc, sp_fn op, sp_rng *rng)
{
    const size_t es = op_elem_size(op);
    const size_t nin = op_noperands(op) - 1;
    size_t count = 1;
    for (size_t d = 0; d < hc->ndim; d++)
        count *= hc->shape[d];

    /* Place each view inside its region: output in the upper half, x (and dy one element on) below. */
    ptrdiff_t lo, hi;
    view_extent(hc->ndim, hc->shape, hc->out, &lo, &hi);
    assert_true((size_t)(hi - lo + 1) * es + page_bytes <= REGION_BYTES);
    unsigned char *out = map + REGION_BYTES + page_bytes + (size_t)(-lo) * es;
    view_extent(hc->ndim, hc->shape, hc->in, &lo, &hi);
    assert_true((size_t)(hi - lo + 2) * es + page_bytes <= REGION_BYTES);
    unsigned char *x = map + page_bytes + (size_t)(-lo) * es;
    unsigned char *dy = x + es;

    sp_call c = {op, hc->ndim, hc->shape, {out, nin == 1 ? x : dy, x}, {hc->out, hc->in, hc->in}, 1.0, 20.0};
    if (rng_below(rng, 2))
        c.threshold = INFINITY;

    /* Every location the test writes: outputs, their neighbours, inputs (byte offsets into map). */
    const size_t cap = count * (3 + nin);
    ptrdiff_t *loc = malloc(cap * sizeof *loc);
    ptrdiff_t *outs = malloc(count * sizeof *outs);
    unsigned char *want = malloc(cap * 8);
    assert_non_null(loc);
    assert_non_null(outs);
    assert_non_null(want);
    size_t nloc = 0;
    size_t idx[3] = {0, 0, 0};
    size_t k = 0;
    do {
        const ptrdiff_t o = element_offset(&c, 0, map, idx);
        outs[k++] = o;
        loc[nloc++] = o - (ptrdiff_t)es;
        loc[nloc++] = o + (ptrdiff_t)es;
        loc[nloc++] = o;
        for (size_t j = 1; j <= nin; j++)
            loc[nloc++] = element_offset(&c, j, map, idx);
    } while (next_index(c.ndim, c.shape, idx));
    /* Open exactly the pages these locations lie on; everything else stays PROT_NONE. */
    ptrdiff_t *pages = malloc(nloc * sizeof *pages);
    assert_non_null(pages);
    for (size_t i = 0; i < nloc; i++)
        pages[i] = loc[i] / (ptrdiff_t)page_bytes;
    const size_t npages = sort_unique(pages, nloc);
    for (size_t i = 0; i < npages; i++)
        if (mprotect(map + (size_t)pages[i] * page_bytes, page_bytes, PROT_READ | PROT_WRITE) != 0)
            fail_msg("mprotect: %s", strerror(errno));
    /* Canaries first, then the inputs (which win where an input location repeats). */
    for (size_t i = 0; i < nloc; i++)
        memset(map + loc[i], 0xa5, es);
    memset(idx, 0, sizeof idx);
    do {
        for (size_t j = 1; j <= nin; j++)
            interesting_value(rng, es, map + element_offset(&c, j, map, idx));
    } while (next_index(c.ndim, c.shape, idx));
    nloc = sort_unique(loc, nloc);
    for (size_t i = 0; i < nloc; i++)
        memcpy(want + i * es, map + loc[i], es);
    memset(idx, 0, sizeof idx);
    k = 0;
    do {
        const size_t at = find_offset(loc, nloc, outs[k++]);
        kernel_one(op, sp_active_kernels(), map + element_offset(&c, 1, map, idx),
                   nin > 1 ? map + element_offset(&c, 2, map, idx) : NULL, want + at * es, c.beta, c.threshold);
    } while (next_index(c.ndim, c.shape, idx));

    const softplus_status st = call_run(&c);
    int ok = 1;
    if (st != SOFTPLUS_OK) {
        print_error("%s, %s under %s: status %s, want OK\n", hc->name, op_name(op),
                    softplus_isa_name(softplus_active_isa()), softplus_status_string(st));
        ok = 0;
    }
    for (size_t i = 0; ok && i < nloc; i++) {
        if (memcmp(map + loc[i], want + i * es, es) != 0) {
            char g[96], w[96];
            print_error("%s, %s under %s: byte offset %td (%s half, element %td of it) got %s, want %s\n",
                        hc->name, op_name(op), softplus_isa_name(softplus_active_isa()), loc[i],
                        loc[i] >= (ptrdiff_t)REGION_BYTES ? "output" : "input",
                        (loc[i] % (ptrdiff_t)REGION_BYTES) / (ptrdiff_t)es, elem_str(g, sizeof g, map + loc[i], es),
                        elem_str(w, sizeof w, want + i * es, es));
            ok = 0;
        }
    }
    /* Give the pages back and close them: the next case starts from an untouched mapping. */
    for (size_t i = 0; i < npages; i++) {
        unsigned char *pg = map + (size_t)pages[i] * page_bytes;
        madvise(pg, page_bytes, MADV_DONTNEED);
        mprotect(pg, page_bytes, PROT_NONE);
    }
    free(pages);
    free(loc);
    free(outs);
    free(want);
    return ok;
}

static const huge_case fixed_cases[] = {
    {"shape (3,2) strides (2^31+5, 2^32+11): last element at 2^33+21", 2, {3, 2}, {P31 + 5, P32 + 11},
     {P31 + 5, P32 + 11}},
    {"shape (3,2) strides (2^31+5, 2^31+3): last element at 3*2^31+13", 2, {3, 2}, {P31 + 5, P31 + 3}, {P31 + 5, P31 + 3}},
    {"shape (3,2) strides (-(2^31+5), -(2^31+3))", 2, {3, 2}, {-(P31 + 5), -(P31 + 3)}, {-(P31 + 5), -(P31 + 3)}},
    {"shape (3,2) output (-(2^31+5), 2^31+3), x (2^31+3, -(2^31+5))", 2, {3, 2}, {-(P31 + 5), P31 + 3},
     {P31 + 3, -(P31 + 5)}},
    {"shape (2,2) strides (2^32+7, 2^31+5)", 2, {2, 2}, {P32 + 7, P31 + 5}, {-(P32 + 7), P31 + 5}},
    {"shape (3,2) contiguous output, x (2^31+5, 2^31+3)", 2, {3, 2}, {2, 1}, {P31 + 5, P31 + 3}},
    {"shape (3,2) output (2^31+5, 2^31+3), contiguous x", 2, {3, 2}, {P31 + 5, P31 + 3}, {2, 1}},
    {"shape (3,2) output (2^31+5, 2^31+3), x broadcast (0, 2^32+1)", 2, {3, 2}, {P31 + 5, P31 + 3}, {0, P32 + 1}},
    {"shape (2,2,2) strides (2^32+3, 2^31+1, 2^30+1), x (-(2^30+1), 2^32+3, -(2^31+1))", 3, {2, 2, 2},
     {P32 + 3, P31 + 1, ((ptrdiff_t)1 << 30) + 1}, {-(((ptrdiff_t)1 << 30) + 1), P32 + 3, -(P31 + 1)}},
    {"shape (1100) strides 2^22+3, x -(2^22+1): an inner run past the gather chunk", 1, {1100},
     {((ptrdiff_t)1 << 22) + 3}, {-(((ptrdiff_t)1 << 22) + 1)}},
    {"shape (2,1100) output (2^32+1, 1), x (-(2^32+1), 1): contiguous rows far apart", 2, {2, 1100}, {P32 + 1, 1},
     {-(P32 + 1), 1}},
    {"shape (1,3,2) with PTRDIFF_MIN / PTRDIFF_MAX on the size-1 dimension", 3, {1, 3, 2},
     {PTRDIFF_MIN, P31 + 5, P31 + 3}, {PTRDIFF_MAX, -(P31 + 5), P31 + 3}},
};

/* 32-bit boundaries on a rank-1 view of 3 elements: the last one at 2 * stride. */
static const ptrdiff_t boundary_strides[] = {P31 - 1, P31, P31 + 1, P32 - 1, P32, P32 + 1};

static void test_views_with_huge_strides_compute_exactly_their_elements(void **state)
{
    (void)state;
    if (!map)
        skip();
    softplus_isa isas[8];
    const size_t nisas = supported_isas(isas);
    sp_rng rng = {0x41c0ffeeu};
    size_t calls = 0;
    for (size_t ii = 0; ii < nisas; ii++) {
        assert_int_equal(softplus_set_isa(isas[ii]), SOFTPLUS_OK);
        for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
            for (size_t i = 0; i < sizeof fixed_cases / sizeof fixed_cases[0]; i++, calls++)
                if (!run_huge_case(&fixed_cases[i], op, &rng))
                    fail();
            for (size_t i = 0; i < sizeof boundary_strides / sizeof boundary_strides[0]; i++) {
                for (int signs = 0; signs < 4; signs++, calls++) {
                    huge_case hc = {NULL, 1, {3}, {boundary_strides[i]}, {boundary_strides[i]}};
                    char name[96];
                    if (signs & 1)
                        hc.out[0] = -hc.out[0];
                    if (signs & 2)
                        hc.in[0] = -hc.in[0];
                    snprintf(name, sizeof name, "shape (3), output stride %td, x stride %td", hc.out[0], hc.in[0]);
                    hc.name = name;
                    if (!run_huge_case(&hc, op, &rng))
                        fail();
                }
            }
        }
    }
    print_message("%zu calls over a %zu GiB sparse mapping: every element exact, no other page touched\n", calls,
                  MAP_BYTES >> 30);
}

/* ---- validated views ------------------------------------------------------------------------------ */

#define CANARY_BYTES 4096
static _Alignas(64) unsigned char canary[CANARY_BYTES];
static unsigned char canary_before[CANARY_BYTES];

static void fill_canary(void)
{
    sp_rng r = {0xca9a7e11u};
    for (size_t i = 0; i < CANARY_BYTES; i++)
        canary[i] = (unsigned char)rng_next(&r);
}

/* A call on op with the given shape; every operand at base[k] with strides[k] (NULL: contiguous). */
static softplus_status call_with(sp_fn op, size_t ndim, const size_t *shape, void *const *base,
                                 const ptrdiff_t *const *strides)
{
    sp_call c = {op, ndim, shape, {base[0], base[1], base[2]}, {strides[0], strides[1], strides[2]}, 1.0, 20.0};
    return call_run(&c);
}

/* Runs the call and checks its status and that the canary buffer did not change. */
static void expect_at(sp_fn op, size_t ndim, const size_t *shape, void *const *base, const ptrdiff_t *const *strides,
                      softplus_status want, const char *what, const char *file, int line)
{
    fill_canary();
    memcpy(canary_before, canary, CANARY_BYTES);
    const softplus_status got = call_with(op, ndim, shape, base, strides);
    if (got != want) {
        print_error("%s, %s: got %s, want %s\n", op_name(op), what, softplus_status_string(got),
                    softplus_status_string(want));
        _fail(file, line);
    }
    if (memcmp(canary, canary_before, CANARY_BYTES) != 0) {
        size_t i = 0;
        while (canary[i] == canary_before[i])
            i++;
        print_error("%s, %s: returned %s and changed canary byte %zu\n", op_name(op), what,
                    softplus_status_string(got), i);
        _fail(file, line);
    }
}
#define expect(op, ndim, shape, base, strides, want, what) \
    expect_at((op), (ndim), (shape), (base), (strides), (want), (what), __FILE__, __LINE__)

static void *fake(uintptr_t address) /* never dereferenced: every call using one must be rejected */
{
    return (void *)address;
}

/* The largest |stride| * (size - 1) sum, in elements, a view may span: its bytes and one more element
 * must fit in ptrdiff_t (src/strided.c, the header's SOFTPLUS_ERR_OVERFLOW). */
static ptrdiff_t span_limit(size_t es)
{
    return PTRDIFF_MAX / (ptrdiff_t)es - 1;
}

static void test_element_counts_past_2_63_and_2_64_are_rejected(void **state)
{
    (void)state;
    const size_t two32 = (size_t)1 << 32, two31 = (size_t)1 << 31;
    static size_t rank32[32];
    for (size_t d = 0; d < 32; d++)
        rank32[d] = 4; /* 4^32 = 2^64: wraps to 0 */
    const struct {
        size_t ndim;
        size_t shape[4];
        const char *what;
    } cases[] = {
        {2, {two32, two32}, "shape (2^32, 2^32): 2^64 elements, 0 modulo 2^64"},
        {2, {two32 + 1, two32 - 1}, "shape (2^32+1, 2^32-1): 2^64-1 elements"},
        {2, {(size_t)1 << 33, two31}, "shape (2^33, 2^31): 2^64 elements"},
        {2, {two32, two31}, "shape (2^32, 2^31): 2^63 elements, one past PTRDIFF_MAX"},
        {2, {454279, 20303320287433 + 1}, "shape (454279, 20303320287434): PTRDIFF_MAX + 454279 elements"},
        {3, {0, two32, two32}, "shape (0, 2^32, 2^32): empty, but 2^64 non-zero"},
        {3, {two32, two31, 0}, "shape (2^32, 2^31, 0): empty, but 2^63 non-zero"},
    };
    void *const base[3] = {canary, canary + 1024, canary + 2048};
    const ptrdiff_t *const contiguous[3] = {NULL, NULL, NULL};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            expect(op, cases[i].ndim, cases[i].shape, base, contiguous, SOFTPLUS_ERR_OVERFLOW, cases[i].what);
        expect(op, 32, rank32, base, contiguous, SOFTPLUS_ERR_OVERFLOW, "32 dimensions of 4: 2^64 elements");
    }
}

/* Counts past 2^32, up to PTRDIFF_MAX itself, pass the count check: an empty tensor returns OK, and a
 * broadcast one (every stride 0: no range to overflow) fails only later, at the output's self-overlap. */
static void test_counts_past_2_32_up_to_ptrdiff_max_pass_the_count_check(void **state)
{
    (void)state;
    const size_t two32 = (size_t)1 << 32, two31 = (size_t)1 << 31;
    const size_t exact_max[2] = {454279, 20303320287433}; /* 7*7*73*127 * 337*92737*649657 = 2^63 - 1 */
    const size_t near_max[3] = {two31, two31 - 1, 2};
    const size_t empty_big[3] = {two32, two31 - 1, 0};
    const size_t over32[2] = {two32 + 1, 2};
    const ptrdiff_t zeros[3] = {0, 0, 0}, over32_out[2] = {1, 0};
    void *const base[3] = {canary, canary + 1024, canary + 2048};
    void *const null_base[3] = {NULL, NULL, NULL};
    const ptrdiff_t *const broadcast[3] = {zeros, zeros, zeros};
    const ptrdiff_t *const contiguous[3] = {NULL, NULL, NULL};
    const ptrdiff_t *const over32_strides[3] = {over32_out, zeros, zeros};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        expect(op, 2, exact_max, base, broadcast, SOFTPLUS_ERR_OVERLAP,
               "shape (454279, 20303320287433): exactly PTRDIFF_MAX elements, all strides 0");
        expect(op, 3, near_max, base, broadcast, SOFTPLUS_ERR_OVERLAP, "shape (2^31, 2^31-1, 2), all strides 0");
        expect(op, 3, empty_big, null_base, contiguous, SOFTPLUS_OK, "shape (2^32, 2^31-1, 0), NULL data: empty");
        expect(op, 2, over32, base, over32_strides, SOFTPLUS_ERR_OVERLAP,
               "shape (2^32+1, 2), output strides (1, 0), inputs broadcast: 2^33+2 elements");
    }
}

/* One element below each documented limit is accepted (seen as OVERLAP: an output dimension of size 2
 * and stride 0 follows), at the limit it is OVERFLOW. Each operand in turn carries the range. */
static void test_address_ranges_at_the_documented_limits(void **state)
{
    (void)state;
    const size_t shape[3] = {2, 2, 2};
    const uintptr_t high = (uintptr_t)1 << 63; /* a base that leaves room below for any span */
    const uintptr_t mid = (uintptr_t)1 << 62;
    const ptrdiff_t b57 = (ptrdiff_t)1 << 57;
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        const ptrdiff_t L = span_limit(es);
        const struct {
            size_t ndim; /* the last dimension has stride 0 in every operand */
            ptrdiff_t s[2];
            uintptr_t fake_base; /* 0: the canary */
            softplus_status want;
            const char *what;
        } cases[] = {
            {2, {L}, 0, SOFTPLUS_ERR_OVERLAP, "stride L = PTRDIFF_MAX/es - 1 on a dimension of 2"},
            {2, {L + 1}, 0, SOFTPLUS_ERR_OVERFLOW, "stride L + 1"},
            {2, {-L}, high, SOFTPLUS_ERR_OVERLAP, "stride -L from base 2^63"},
            {2, {-(L + 1)}, high, SOFTPLUS_ERR_OVERFLOW, "stride -(L + 1) from base 2^63"},
            {3, {L - b57, -b57}, mid, SOFTPLUS_ERR_OVERLAP, "strides (L - 2^57, -2^57) from base 2^62: sum L"},
            {3, {L - b57 + 1, -b57}, mid, SOFTPLUS_ERR_OVERFLOW, "strides (L - 2^57 + 1, -2^57): sum L + 1"},
            {3, {L / 2, L - L / 2}, 0, SOFTPLUS_ERR_OVERLAP, "strides (L/2, L - L/2): sum L"},
            {3, {L / 2 + 1, L - L / 2}, 0, SOFTPLUS_ERR_OVERFLOW, "strides (L/2 + 1, L - L/2): sum L + 1"},
        };
        for (size_t k = 0; k < op_noperands(op); k++) {
            for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                const size_t nd = cases[i].ndim;
                void *base[3] = {canary, canary + 1024, canary + 2048};
                if (cases[i].fake_base)
                    base[k] = fake(cases[i].fake_base);
                /* The output is contiguous along the first dimension, inputs broadcast; operand k gets
                 * the case's strides. The last dimension (stride 0) makes every output non-injective. */
                const ptrdiff_t out[3] = {1, 0, 0}, zero[3] = {0, 0, 0};
                const ptrdiff_t mine[3] = {cases[i].s[0], nd == 3 ? cases[i].s[1] : 0, 0};
                const ptrdiff_t *strides[3] = {out, zero, zero};
                strides[k] = mine;
                char what[200];
                snprintf(what, sizeof what, "%s on %s (L = %td)", cases[i].what, operand_name(op, k), L);
                expect(op, nd, shape, base, strides, cases[i].want, what);
            }
        }
    }
}

/* A view may not reach past the top of the address space nor below address 0. Bases near either end
 * are fake addresses: accepted views are seen through the later OVERLAP as above. */
static void test_views_at_the_ends_of_the_address_space(void **state)
{
    (void)state;
    const size_t shape2[2] = {2, 2};
    const uintptr_t top = UINTPTR_MAX - ((uintptr_t)1 << 20) + 1; /* 2^64 - 2^20 */
    const uintptr_t bottom = (uintptr_t)1 << 20;
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const ptrdiff_t es = (ptrdiff_t)op_elem_size(op);
        const ptrdiff_t room = ((ptrdiff_t)1 << 20) / es; /* elements between the base and either end */
        const struct {
            uintptr_t base;
            ptrdiff_t stride;
            softplus_status want;
            const char *what;
        } cases[] = {
            {top, room - 2, SOFTPLUS_ERR_OVERLAP, "last element ends one element below 2^64"},
            {top, room - 1, SOFTPLUS_ERR_OVERFLOW, "last element ends at 2^64 (its end pointer is not representable)"},
            {top, room, SOFTPLUS_ERR_OVERFLOW, "last element starts at 2^64 (wraps to 0)"},
            {top, PTRDIFF_MAX / es / 2, SOFTPLUS_ERR_OVERFLOW, "a span of 2^62 bytes from 2^64 - 2^20"},
            {bottom, -(room - 1), SOFTPLUS_ERR_OVERLAP, "lowest element at address es"},
            {bottom, -(room + 1), SOFTPLUS_ERR_OVERFLOW, "lowest element one element below address 0"},
            {bottom, -(PTRDIFF_MAX / es / 2), SOFTPLUS_ERR_OVERFLOW, "a span of 2^62 bytes below 2^20"},
        };
        for (size_t k = 0; k < op_noperands(op); k++) {
            for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                void *base[3] = {canary, canary + 1024, canary + 2048};
                const ptrdiff_t out[2] = {1, 0}, zero[2] = {0, 0};
                ptrdiff_t mine[2] = {cases[i].stride, 0};
                const ptrdiff_t *strides[3] = {out, zero, zero};
                base[k] = fake(cases[i].base);
                strides[k] = mine;
                char what[200];
                snprintf(what, sizeof what, "%s (%s base 0x%jx, stride %td)", cases[i].what, operand_name(op, k),
                         (uintmax_t)cases[i].base, cases[i].stride);
                expect(op, 2, shape2, base, strides, cases[i].want, what);
            }
        }
    }
}

/* Strides whose byte offsets wrap modulo 2^64 back onto (or next to) the base, and products that wrap:
 * all OVERFLOW, the canary (where every operand points) untouched. */
static void test_strides_that_wrap_around_are_rejected(void **state)
{
    (void)state;
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        const int log2_es = es == 2 ? 1 : es == 4 ? 2 : 3;
        const ptrdiff_t wrap = (ptrdiff_t)1 << (64 - log2_es - 1); /* 2^63 bytes: half the address space */
        const struct {
            size_t n;
            ptrdiff_t stride;
            const char *what;
        } cases[] = {
            {3, wrap, "shape (3), 2*stride*es = 2^64 bytes: element 2 wraps onto element 0"},
            {3, wrap + 1, "shape (3), element 2 wraps onto element 0 + 2 elements"},
            {3, -wrap, "shape (3), negative stride wrapping onto the base"},
            {2, 2 * (wrap - 1) + 1, "shape (2), stride*es = 2^64 - es: wraps onto the element before the base"},
            {2, PTRDIFF_MAX, "shape (2), stride PTRDIFF_MAX"},
            {2, PTRDIFF_MIN, "shape (2), stride PTRDIFF_MIN"},
            {3, PTRDIFF_MIN, "shape (3), stride PTRDIFF_MIN: (size-1)*|stride| = 2^64"},
            {3, PTRDIFF_MIN + 1, "shape (3), stride PTRDIFF_MIN + 1"},
            {((size_t)1 << 32) + 1, (ptrdiff_t)1 << 32, "shape (2^32+1), stride 2^32: (size-1)*stride = 2^64"},
            {((size_t)1 << 31) + 1, (ptrdiff_t)1 << 33, "shape (2^31+1), stride 2^33: (size-1)*stride = 2^64"},
            {((size_t)1 << 33) + 1, -((ptrdiff_t)1 << 31), "shape (2^33+1), stride -2^31: 2^64 backwards"},
        };
        for (size_t k = 0; k < op_noperands(op); k++) {
            for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                /* Every operand in its own part of the canary; all but operand k broadcast (stride 0). */
                void *base[3] = {canary + 512, canary + 1536, canary + 2560};
                const ptrdiff_t zero[1] = {0};
                ptrdiff_t mine[1] = {cases[i].stride};
                const ptrdiff_t *strides[3] = {zero, zero, zero};
                strides[k] = mine;
                const size_t shape[1] = {cases[i].n};
                char what[200];
                snprintf(what, sizeof what, "%s, on %s", cases[i].what, operand_name(op, k));
                /* With the output broadcast (stride 0) too the call could only be OVERLAP after the ranges:
                 * OVERFLOW proves the range check saw the wrap. */
                expect(op, 1, shape, base, strides, SOFTPLUS_ERR_OVERFLOW, what);
                if (k == 0)
                    continue;
                /* And with a valid output, so that nothing but the range check stands between the wrapped
                 * input and a computed result (shapes small enough to have an output in the canary). */
                if (cases[i].n <= 3) {
                    const ptrdiff_t unit[1] = {1};
                    strides[0] = unit;
                    expect(op, 1, shape, base, strides, SOFTPLUS_ERR_OVERFLOW, what);
                }
            }
        }
    }
}

/* A size-1 dimension's stride is never used, even PTRDIFF_MIN or PTRDIFF_MAX: the call computes. */
static void test_size1_dimensions_ignore_extreme_strides(void **state)
{
    (void)state;
    const size_t shape[3] = {1, 4, 1};
    const ptrdiff_t out[3] = {PTRDIFF_MIN, 1, PTRDIFF_MAX}, in1[3] = {PTRDIFF_MAX, -1, PTRDIFF_MIN},
                    in2[3] = {PTRDIFF_MIN + 1, 2, -PTRDIFF_MAX};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        fill_canary();
        memcpy(canary_before, canary, CANARY_BYTES);
        sp_call c = {op, 3, shape, {canary + 512, canary + 1536 + 3 * op_elem_size(op), canary + 2560},
                     {out, in1, in2}, 1.0, 20.0};
        assert_int_equal(call_run(&c), SOFTPLUS_OK);
        if (!check_call_result(&c, sp_active_kernels(), canary, canary_before, CANARY_BYTES))
            fail_msg("%s: shape (1,4,1) with PTRDIFF_MIN/MAX strides on the size-1 dimensions", op_name(op));
    }
}

/* The overlap rule is a sufficient condition, also at huge strides: (3,2):(2^31+5, 2^32+7) is injective
 * but 2^32+7 does not exceed the span 2*(2^31+5) of the smaller stride, so it is rejected as the header
 * documents, touching nothing. (3,2):(2^31+5, 2^32+11) passes the rule and is computed above. */
static void test_conservative_overlap_rule_holds_at_huge_strides(void **state)
{
    (void)state;
    const size_t shape[2] = {3, 2};
    const ptrdiff_t out[2] = {P31 + 5, P32 + 7}, zero[2] = {0, 0};
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        void *const base[3] = {canary, canary + 1024, canary + 2048};
        const ptrdiff_t *const strides[3] = {out, zero, zero};
        expect(op, 2, shape, base, strides, SOFTPLUS_ERR_OVERLAP, "output (3,2):(2^31+5, 2^32+7)");
    }
}

#endif /* HUGE_TESTS */

int main(void)
{
#ifdef HUGE_TESTS
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_element_counts_past_2_63_and_2_64_are_rejected),
        cmocka_unit_test(test_counts_past_2_32_up_to_ptrdiff_max_pass_the_count_check),
        cmocka_unit_test(test_address_ranges_at_the_documented_limits),
        cmocka_unit_test(test_views_at_the_ends_of_the_address_space),
        cmocka_unit_test(test_strides_that_wrap_around_are_rejected),
        cmocka_unit_test(test_size1_dimensions_ignore_extreme_strides),
        cmocka_unit_test(test_conservative_overlap_rule_holds_at_huge_strides),
        cmocka_unit_test(test_views_with_huge_strides_compute_exactly_their_elements),
    };
    const int failed = cmocka_run_group_tests(tests, setup, teardown);
    if (failed == 0 && map_failure[0] != '\0') {
        printf("skipped the computed huge views: %s\n", map_failure);
        return 77;
    }
    return failed;
#else
    printf("skipped: size_t or ptrdiff_t has 32 bits here\n");
    return 77;
#endif
}

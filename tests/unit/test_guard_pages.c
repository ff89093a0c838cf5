/* test_guard_pages.c -- every kernel reads and writes only [p, p + n): arrays flush against an
 * inaccessible page, for every length up to a few vectors past the widest unroll.
 * SPDX-License-Identifier: MIT
 *
 * The sanitizer suites cannot show this for every kernel: the AVX-512 tails use masked loads and stores,
 * which ASan does not instrument (an overread of one float through an AVX-512 tail passes ASan silently),
 * and valgrind 3.19 does not run AVX-512 at all. The hardware can: a masked-off lane never faults, so a
 * lane mask, a tail copy or a pointer step that reaches one element past an array (or before it) touches
 * the guard page and the test dies with SIGSEGV, which ctest reports as a failure.
 * Each kernel of every supported ISA, forward and backward, f32 and f64, n = 1..MAX_N and a whole page,
 * with every array placed flush against the guard page after it, then flush against the one before it;
 * the output must equal the kernel's own per-element (n = 1) results. The public functions run the same
 * placements under each ISA (the contiguous path hands the arrays to the kernel as they are).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include <sys/mman.h>
#include <unistd.h>

#include "unit_common.h"

/* 130 > 2 x 64: past two full iterations of the widest unrolled loop (AVX-512 f32: 16 lanes, up to 4
 * vectors per iteration) and every tail length of every width. */
#define MAX_N 130

typedef struct guarded {
    unsigned char *map; /* three pages: PROT_NONE, read-write, PROT_NONE */
    unsigned char *page;
} guarded;

static size_t page_size;
/* The call in progress: cmocka turns a SIGSEGV into a failure without returning to the test, so the group
 * teardown names the call that faulted. */
static char in_progress[160];
static int all_done;

static int guarded_alloc(guarded *g)
{
    g->map = mmap(NULL, 3 * page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED)
        return 0;
    g->page = g->map + page_size;
    return mprotect(g->page, page_size, PROT_READ | PROT_WRITE) == 0;
}

/* Where an array of n elements of size es starts: flush against the next page, or against the previous. */
static unsigned char *placed(const guarded *g, size_t n, size_t es, int at_end)
{
    return at_end ? g->page + page_size - n * es : g->page;
}

enum { IN0, IN1, OUT, NARRAYS };
static guarded arrays[NARRAYS];
static unsigned char pristine[2][4096]; /* input values, by element index */

static int group_setup(void **state)
{
    (void)state;
    const long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0 || (size_t)ps < sizeof pristine[0])
        return -1;
    page_size = (size_t)ps;
    for (int a = 0; a < NARRAYS; a++)
        if (!guarded_alloc(&arrays[a]))
            return -1;
    sp_rng r = {0x9a4dull};
    for (size_t i = 0; i < sizeof pristine[0]; i += 8)
        for (int k = 0; k < 2; k++)
            interesting_value(&r, 8, pristine[k] + i); /* f32 elements take 4-byte halves: any bits */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (!all_done && in_progress[0])
        print_error("the last call started, and the one that failed: %s\n", in_progress);
    for (int a = 0; a < NARRAYS; a++)
        munmap(arrays[a].map, 3 * page_size);
    return 0;
}

/* Runs op on n elements placed at_end or not, through kernel set k (api 0) or the public function with
 * k's ISA active (api 1), and checks the output against k's per-element results. */
static int run_placed(sp_fn op, const sp_kernel_set *k, size_t n, int at_end, int api)
{
    const size_t es = op_elem_size(op);
    unsigned char *in0 = placed(&arrays[IN0], n, es, at_end), *in1 = placed(&arrays[IN1], n, es, at_end);
    unsigned char *out = placed(&arrays[OUT], n, es, at_end);
    memcpy(in0, pristine[0], n * es);
    memcpy(in1, pristine[1], n * es);
    memset(out, 0xa5, n * es);
    const double beta = 1.0, threshold = 20.0;
    snprintf(in_progress, sizeof in_progress, "%s %s%s, n = %zu flush against the %s guard page", op_name(op),
             softplus_isa_name(k->isa), api ? " (public function)" : " kernel", n, at_end ? "following" : "preceding");
    if (api) {
        const size_t shape[1] = {n};
        sp_call c = {op, 1, shape, {out, in0, in1}, {NULL, NULL, NULL}, beta, threshold};
        if (call_run(&c) != SOFTPLUS_OK) {
            print_error("%s n = %zu: the call failed\n", op_name(op), n);
            return 0;
        }
    } else {
        void *const ptrs[3] = {out, in0, in1}; /* the engine's order: output, then the inputs */
        kernel_run(op, k, n, ptrs, beta, threshold);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char want[8];
        kernel_one(op, k, pristine[0] + i * es, pristine[1] + i * es, want, beta, threshold);
        if (memcmp(out + i * es, want, es) != 0) {
            char x[96], g[96], w[96];
            print_error("%s: element %zu, input %s: got %s, want %s\n", in_progress, i,
                        elem_str(x, sizeof x, pristine[0] + i * es, es), elem_str(g, sizeof g, out + i * es, es),
                        elem_str(w, sizeof w, want, es));
            return 0;
        }
    }
    return 1;
}

static void test_kernels_touch_nothing_past_either_end(void **state)
{
    (void)state;
    softplus_isa isas[8];
    const size_t nisas = supported_isas(isas);
    size_t calls = 0;
    for (size_t j = 0; j < nisas; j++) {
        const sp_kernel_set *k = sp_kernels_for_isa(isas[j]);
        assert_non_null(k);
        assert_int_equal(softplus_set_isa(isas[j]), SOFTPLUS_OK);
        for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
            const size_t page_elems = page_size / op_elem_size(op);
            const size_t full = page_elems < sizeof pristine[0] / op_elem_size(op) ? page_elems
                                                                                   : sizeof pristine[0] / op_elem_size(op);
            for (size_t n = 1; n <= MAX_N + 1; n++) {
                const size_t len = n <= MAX_N ? n : full; /* the last: as much as the page holds */
                for (int at_end = 0; at_end < 2; at_end++)
                    for (int api = 0; api < 2; api++) {
                        if (!run_placed(op, k, len, at_end, api))
                            fail();
                        calls++;
                    }
            }
        }
    }
    all_done = 1;
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    print_message("%zu calls over %zu ISA(s), arrays flush against guard pages: no access outside them\n", calls,
                  nisas);
}

/* The strided engine's vector copies (src/arch/<arch>/strided_<isa>.c) load whole vectors of a view's
 * span and store with lane masks: n elements at inner stride s (every operand the same stride, so each
 * goes through the gather or scatter), the view's far end (its last element, or its first for s < 0)
 * flush against the guard page after it, then its near end against the page before it. */
static int run_strided_placed(sp_fn op, softplus_isa isa, size_t n, ptrdiff_t s, int at_end)
{
    const size_t es = op_elem_size(op);
    const size_t m = (size_t)(s < 0 ? -s : s), span = (n - 1) * m + 1; /* elements the view spans */
    unsigned char *lo[NARRAYS];
    for (int a = 0; a < NARRAYS; a++) {
        lo[a] = placed(&arrays[a], span, es, at_end);
        memset(lo[a], 0xa5, span * es);
    }
    /* element i of the view at lo + (s > 0 ? i * m : (n - 1 - i) * m) */
    for (size_t i = 0; i < n; i++) {
        const size_t at = (s > 0 ? i : n - 1 - i) * m * es;
        memcpy(lo[IN0] + at, pristine[0] + i * es, es);
        memcpy(lo[IN1] + at, pristine[1] + i * es, es);
    }
    const size_t base = s > 0 ? 0 : (n - 1) * m * es;
    const size_t shape[1] = {n};
    const ptrdiff_t strides[1] = {s};
    sp_call c = {op, 1, shape, {lo[OUT] + base, lo[IN0] + base, lo[IN1] + base}, {strides, strides, strides}, 1.0, 20.0};
    snprintf(in_progress, sizeof in_progress, "%s under %s, n = %zu at stride %td flush against the %s guard page",
             op_name(op), softplus_isa_name(isa), n, s, at_end ? "following" : "preceding");
    if (call_run(&c) != SOFTPLUS_OK) {
        print_error("%s: the call failed\n", in_progress);
        return 0;
    }
    const sp_kernel_set *k = sp_kernels_for_isa(isa);
    for (size_t j = 0; j < span; j++) {
        const int in_view = j % m == 0;
        const size_t i = s > 0 ? j / m : n - 1 - j / m;
        unsigned char want[8];
        if (in_view)
            kernel_one(op, k, pristine[0] + i * es, pristine[1] + i * es, want, 1.0, 20.0);
        else
            memset(want, 0xa5, es); /* between the view's elements: never written */
        if (memcmp(lo[OUT] + j * es, want, es) != 0) {
            char g[96], w[96];
            print_error("%s: %s %zu: got %s, want %s\n", in_progress, in_view ? "element" : "gap after element",
                        i, elem_str(g, sizeof g, lo[OUT] + j * es, es), elem_str(w, sizeof w, want, es));
            return 0;
        }
    }
    return 1;
}

static void test_strided_copies_touch_nothing_past_either_end(void **state)
{
    (void)state;
    softplus_isa isas[8];
    const size_t nisas = supported_isas(isas);
    static const ptrdiff_t strides[] = {2, -2, -1, 3, -3};
    size_t calls = 0;
    for (size_t j = 0; j < nisas; j++) {
        assert_int_equal(softplus_set_isa(isas[j]), SOFTPLUS_OK);
        for (sp_fn op = 0; op < SP_FN_COUNT; op++)
            for (size_t si = 0; si < sizeof strides / sizeof strides[0]; si++)
                for (size_t n = 1; n <= MAX_N; n++)
                    for (int at_end = 0; at_end < 2; at_end++) {
                        if (!run_strided_placed(op, isas[j], n, strides[si], at_end))
                            fail();
                        calls++;
                    }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    print_message("%zu strided calls over %zu ISA(s), views flush against guard pages: no access outside them, "
                  "no element between theirs written\n", calls, nisas);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_touch_nothing_past_either_end),
        cmocka_unit_test(test_strided_copies_touch_nothing_past_either_end),
    };
    return cmocka_run_group_tests_name("guard pages", tests, group_setup, group_teardown);
}

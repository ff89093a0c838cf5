/* test_strided_sizes.c -- the strided engine by element size (1, 2, 4, 8 bytes) and its converting hook.
 * SPDX-License-Identifier: MIT
 *
 * The engine (src/strided.c) is driven directly, with a run function that is an exact integer map, so
 * that any misplaced, missed, duplicated or overrun element shows in the bytes: for random shapes and
 * strides (negative, zero for inputs, transposed, padded, in-place) the output view must hold f(inputs)
 * at every index, computed by a naive row-major walk, and every other byte of the arena must be as it
 * was. The converting hook is checked the same way with a storage type narrower than its compute type
 * (uint16_t stored, uint32_t computed), as bfloat16 stored and float computed will be. The byte-range
 * limit is checked per element size at the last fitting and first overflowing extent.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "strided.h"

#define ARENA_BYTES (1u << 16)
#ifdef SP_TEST_REDUCED
#define CASES 600 /* valgrind and TSan */
#else
#define CASES 3000
#endif

static uint64_t rng_state = 0x5eed5175u;

static uint64_t next_random(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static size_t below(size_t n)
{
    return (size_t)(next_random() % n);
}

/* The exact map the run functions apply, on the low elem_size bytes: out = 3*in1 + (in2 ^ 0x5a) + 1. */
static uint64_t map(uint64_t in1, uint64_t in2, int binary, size_t elem_size)
{
    const uint64_t mask = elem_size == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * elem_size)) - 1;
    return (3 * in1 + (binary ? in2 ^ 0x5a : 0) + 1) & mask;
}

typedef struct run_ctx {
    size_t elem_size; /* of the arrays the run function sees */
    int binary;
} run_ctx;

static uint64_t load_elem(const unsigned char *p, size_t elem_size)
{
    uint64_t v = 0;
    switch (elem_size) {
    case 1: { uint8_t t; memcpy(&t, p, 1); v = t; break; }
    case 2: { uint16_t t; memcpy(&t, p, 2); v = t; break; }
    case 4: { uint32_t t; memcpy(&t, p, 4); v = t; break; }
    default: memcpy(&v, p, 8); break;
    }
    return v;
}

static void store_elem(unsigned char *p, uint64_t v, size_t elem_size)
{
    switch (elem_size) {
    case 1: { uint8_t t = (uint8_t)v; memcpy(p, &t, 1); break; }
    case 2: { uint16_t t = (uint16_t)v; memcpy(p, &t, 2); break; }
    case 4: { uint32_t t = (uint32_t)v; memcpy(p, &t, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

/* The kernel contract: contiguous arrays, element i of the inputs read before element i of the output
 * is written (in-place is an identical view). */
static void run_map(size_t n, void *const *ptrs, const void *vctx)
{
    const run_ctx *c = vctx;
    unsigned char *out = ptrs[0];
    const unsigned char *in1 = ptrs[1];
    const unsigned char *in2 = c->binary ? ptrs[2] : NULL;
    for (size_t i = 0; i < n; i++) {
        const uint64_t a = load_elem(in1 + i * c->elem_size, c->elem_size);
        const uint64_t b = in2 ? load_elem(in2 + i * c->elem_size, c->elem_size) : 0;
        store_elem(out + i * c->elem_size, map(a, b, c->binary, c->elem_size), c->elem_size);
    }
}

/* The hook: uint16_t stored, uint32_t computed; store keeps the low 16 bits, so that the composed map
 * equals map() at 16 bits. */
static void load_u16_to_u32(void *dst, const char *src, ptrdiff_t src_stride, size_t n)
{
    uint32_t *d = dst;
    for (size_t i = 0; i < n; i++) {
        uint16_t v;
        memcpy(&v, src + (ptrdiff_t)i * src_stride, 2);
        d[i] = v;
    }
}

static void store_u32_to_u16(char *dst, ptrdiff_t dst_stride, const void *src, size_t n)
{
    const uint32_t *s = src;
    for (size_t i = 0; i < n; i++) {
        const uint16_t v = (uint16_t)s[i];
        memcpy(dst + (ptrdiff_t)i * dst_stride, &v, 2);
    }
}

static const sp_convert u16_as_u32 = {sizeof(uint32_t), load_u16_to_u32, store_u32_to_u16};

typedef struct call {
    size_t ndim, noperands, elem_size;
    size_t shape[4];
    ptrdiff_t strides[3][4];
    size_t offset[3]; /* byte offset of each operand's base in the arena */
} call;

/* A random view of operand k: shape-ordered or permuted strides, padded, some negative; inputs may
 * broadcast (stride 0). Offsets keep the view inside the arena; returns 0 when it cannot. */
static int make_view(call *c, size_t k)
{
    size_t order[4] = {0, 1, 2, 3};
    for (size_t d = c->ndim; d > 1; d--) {
        const size_t j = below(d);
        const size_t t = order[d - 1];
        order[d - 1] = order[j];
        order[j] = t;
    }
    ptrdiff_t step = 1 + (ptrdiff_t)below(3);
    ptrdiff_t lo = 0, hi = 0;
    for (size_t i = 0; i < c->ndim; i++) {
        const size_t d = order[i];
        ptrdiff_t s = step;
        if (k > 0 && below(8) == 0)
            s = 0;
        if (below(4) == 0)
            s = -s;
        c->strides[k][d] = s;
        const ptrdiff_t reach = s * (ptrdiff_t)(c->shape[d] - 1);
        if (reach < 0)
            lo += reach;
        else
            hi += reach;
        step *= (ptrdiff_t)c->shape[d] + (ptrdiff_t)below(2);
    }
    const size_t span = (size_t)(hi - lo + 1) * c->elem_size;
    if (span > ARENA_BYTES / 4)
        return 0;
    c->offset[k] = (size_t)(-lo) * c->elem_size + below((ARENA_BYTES / 4 - span) / c->elem_size) * c->elem_size;
    c->offset[k] += k * (ARENA_BYTES / 4);
    return 1;
}

static void check_case(size_t elem_size, const sp_convert *convert, int in_place)
{
    static unsigned char arena[ARENA_BYTES], want[ARENA_BYTES];
    call c;
    memset(&c, 0, sizeof c);
    c.elem_size = elem_size;
    c.noperands = 2 + below(2);
    c.ndim = 1 + below(4);
    for (size_t d = 0; d < c.ndim; d++)
        c.shape[d] = 1 + below(d == 0 ? 40 : 6);
    for (size_t k = 0; k < c.noperands; k++)
        while (!make_view(&c, k))
            c.shape[below(c.ndim)] = 1;
    if (in_place) {
        for (size_t d = 0; d < c.ndim; d++)
            c.strides[0][d] = c.strides[1][d];
        c.offset[0] = c.offset[1];
        /* an output must not overlap itself: no broadcast dimension in the shared view */
        for (size_t d = 0; d < c.ndim; d++)
            if (c.strides[0][d] == 0)
                c.shape[d] = 1;
    }
    for (size_t i = 0; i < ARENA_BYTES; i++)
        arena[i] = (unsigned char)next_random();

    void *bases[3];
    const ptrdiff_t *strides[3];
    for (size_t k = 0; k < c.noperands; k++) {
        bases[k] = arena + c.offset[k];
        strides[k] = c.strides[k];
    }
    sp_plan plan;
    const softplus_status st = sp_plan_build(&plan, c.ndim, c.shape, c.noperands, elem_size, bases, strides);
    if (st == SOFTPLUS_ERR_OVERLAP) /* a random output view that names an element twice */
        return;
    assert_int_equal(st, SOFTPLUS_OK);

    /* The reference: every index in row-major order, inputs read from the pristine arena. */
    memcpy(want, arena, ARENA_BYTES);
    size_t index[4] = {0, 0, 0, 0};
    for (;;) {
        ptrdiff_t at[3] = {0, 0, 0};
        for (size_t k = 0; k < c.noperands; k++) {
            at[k] = (ptrdiff_t)c.offset[k];
            for (size_t d = 0; d < c.ndim; d++)
                at[k] += (ptrdiff_t)index[d] * c.strides[k][d] * (ptrdiff_t)elem_size;
        }
        const uint64_t a = load_elem(arena + at[1], elem_size);
        const uint64_t b = c.noperands == 3 ? load_elem(arena + at[2], elem_size) : 0;
        store_elem(want + at[0], map(a, b, c.noperands == 3, elem_size), elem_size);
        size_t d = c.ndim;
        while (d > 0 && ++index[d - 1] == c.shape[d - 1])
            index[--d] = 0;
        if (d == 0)
            break;
    }

    const run_ctx ctx = {convert ? convert->compute_size : elem_size, c.noperands == 3};
    if (!plan.empty)
        sp_plan_execute(&plan, run_map, &ctx, convert, NULL);
    for (size_t i = 0; i < ARENA_BYTES; i++) {
        if (arena[i] != want[i]) {
            fprintf(stderr, "elem_size %zu%s%s ndim %zu operands %zu: byte %zu got 0x%02x want 0x%02x\n",
                    elem_size, convert ? " converted" : "", in_place ? " in-place" : "", c.ndim,
                    c.noperands, i, arena[i], want[i]);
            fail();
        }
    }
}

static void engine_walks_every_element_size(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 4, 8};
    for (size_t s = 0; s < 4; s++)
        for (int i = 0; i < CASES; i++)
            check_case(sizes[s], NULL, i % 5 == 0);
}

static void converting_hook_covers_contiguous_and_strided_runs(void **state)
{
    (void)state;
    for (int i = 0; i < CASES; i++)
        check_case(2, &u16_as_u32, i % 5 == 0);
}

/* The largest extent whose byte range fits ptrdiff_t passes, one more element overflows, for every
 * element size: shape {2} with stride L must satisfy L * size < PTRDIFF_MAX. */
static void byte_range_limit_scales_with_element_size(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 4, 8};
    static unsigned char base[8];
    for (size_t s = 0; s < 4; s++) {
        const size_t es = sizes[s];
        const size_t shape[1] = {2};
        const ptrdiff_t fits = (ptrdiff_t)((size_t)PTRDIFF_MAX / es - 2);
        const ptrdiff_t beyond = (ptrdiff_t)((size_t)PTRDIFF_MAX / es);
        sp_plan plan;
        const ptrdiff_t in_stride[1] = {1};
        for (int t = 0; t < 2; t++) {
            const ptrdiff_t out_stride[1] = {t == 0 ? fits : beyond};
            void *bases[2] = {base, base + 1};
            const ptrdiff_t *strides[2] = {out_stride, in_stride};
            /* the far element is never touched: sp_plan_build reads no tensor data */
            const softplus_status st = sp_plan_build(&plan, 1, shape, 2, es, bases, strides);
            const int overflow = st == SOFTPLUS_ERR_OVERFLOW;
            if (overflow != (t == 1)) {
                fprintf(stderr, "elem_size %zu stride %td: status %d\n", es, out_stride[0], (int)st);
                fail();
            }
        }
    }
}

static void fill_random(unsigned char *p, size_t bytes)
{
    for (size_t i = 0; i < bytes; i += 8) {
        const uint64_t r = next_random();
        memcpy(p + i, &r, bytes - i < 8 ? bytes - i : 8);
    }
}

/* Every ISA's copies (sp_strided_copy_for) on their own, for 2-, 4- and 8-byte elements at strides +-1,
 * +-2 (the vector paths), +-3 and 0 (gather), every length 0..MAX_N (every tail of a 32-, 16-, 8- or
 * 4-lane block, several whole blocks), the view at the start, middle and end of a page with inaccessible
 * pages on both sides: a gather must fill dst[0..n) and not one byte past it; a scatter must put exactly
 * the n elements at the view's places and leave every byte between and around them as it was (a masked
 * lane or a tail that spills shows here), and neither may touch a byte outside the view's span (a load
 * or store that reaches past either end of a view flush with a guard page dies with SIGSEGV; masked
 * loads and stores are not seen by ASan, and valgrind runs no AVX-512). */
static void isa_copies_touch_exactly_their_elements(void **state)
{
    (void)state;
    enum { MAX_N = 100, MARGIN = 24, MAX_STRIDE = 3 };
    static unsigned char buf[(MAX_N + MARGIN) * 8], buf_want[sizeof buf];
    static const ptrdiff_t strides[] = {1, -1, 2, -2, 3, -3, 0};
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    assert_true(page >= (MAX_N * MAX_STRIDE + 2 * MARGIN) * 8);
    unsigned char *map = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map, page, PROT_NONE), 0);
    assert_int_equal(mprotect(map + 2 * page, page, PROT_NONE), 0);
    unsigned char *const view_arena = map + page, *const view_want = malloc(page);
    assert_non_null(view_want);
    size_t copies = 0;
    for (int isa = SOFTPLUS_ISA_SCALAR; isa <= SOFTPLUS_ISA_NEON; isa++) {
        if (!softplus_isa_supported((softplus_isa)isa))
            continue;
        const sp_strided_copy *copy = sp_strided_copy_for((softplus_isa)isa);
        for (size_t es = 2; es <= 8; es *= 2)
            for (size_t si = 0; si < sizeof strides / sizeof strides[0]; si++)
                for (size_t n = 0; n <= MAX_N; n++)
                    for (int place = 0; place < 3; place++) {
                        const ptrdiff_t st = strides[si];
                        const size_t m = (size_t)(st < 0 ? -st : st), span = n ? (n - 1) * m + 1 : 0;
                        const size_t view_elems = page / es;
                        /* the view's lowest element: flush with the page's start, in its middle or flush
                         * with its end */
                        const size_t low = place == 0 ? 0 : place == 1 ? MARGIN : view_elems - span;
                        const size_t first = st < 0 ? low + span - 1 : low; /* element 0 of the view */
                        fill_random(view_arena, page);
                        fill_random(buf, sizeof buf);
                        memcpy(view_want, view_arena, page);
                        memcpy(buf_want, buf, sizeof buf);
                        char *view = (char *)view_arena + first * es;
                        const ptrdiff_t sb = st * (ptrdiff_t)es;
                        if (n == 0) /* a zero-length copy may be handed any pointers; nothing moves */
                            view = (char *)view_arena;
                        /* gather: buf[0..n) from the view; the view is left alone */
                        for (size_t j = 0; j < n; j++)
                            memcpy(buf_want + j * es, view + (ptrdiff_t)j * sb, es);
                        copy->gather(buf, view, sb, n, es);
                        if (memcmp(buf, buf_want, sizeof buf) != 0 || memcmp(view_arena, view_want, page) != 0) {
                            fprintf(stderr, "%s gather: elem_size %zu stride %td n %zu place %d\n",
                                    softplus_isa_name((softplus_isa)isa), es, st, n, place);
                            fail();
                        }
                        if (st == 0)
                            continue; /* an output view never repeats an element */
                        /* scatter: new values from buf to the view's elements only */
                        fill_random(buf, sizeof buf);
                        for (size_t j = 0; j < n; j++)
                            memcpy(view_want + ((ptrdiff_t)first * (ptrdiff_t)es + (ptrdiff_t)j * sb), buf + j * es, es);
                        copy->scatter(view, sb, buf, n, es);
                        if (memcmp(view_arena, view_want, page) != 0) {
                            fprintf(stderr, "%s scatter: elem_size %zu stride %td n %zu place %d\n",
                                    softplus_isa_name((softplus_isa)isa), es, st, n, place);
                            fail();
                        }
                        copies++;
                    }
    }
    free(view_want);
    munmap(map, 3 * page);
    printf("isa copies: %zu gather+scatter cases\n", copies);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(engine_walks_every_element_size),
        cmocka_unit_test(converting_hook_covers_contiguous_and_strided_runs),
        cmocka_unit_test(byte_range_limit_scales_with_element_size),
        cmocka_unit_test(isa_copies_touch_exactly_their_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_alignment.c -- every public tensor function at every element alignment within a 64-byte line.
 * SPDX-License-Identifier: MIT
 *
 * The header promises that pointers need only the alignment of their element type. For every ISA this
 * machine supports, each of the four tensor functions runs on views whose base pointers sit at every
 * element offset within a 64-byte line (16 for float, 8 for double): each operand's offset varied on
 * its own with the others line-aligned, all operands at the same offset, and pseudo-random mixtures.
 * Lengths 0..70 cover every SIMD head/body/tail split of every kernel (up to 4 x 16 lanes and beyond),
 * and 127, 128, 129, 255, 256, 513, 1025 and 4099 cover long bodies and the engine's 2 KiB chunk of a
 * strided run (512 floats, 256 doubles, 1024 halves).
 * Layouts: contiguous; three padded rows (each row starting at a different alignment); inputs read at
 * strides 2 and -3 (the gather path); the output written at stride -2 (the scatter path); in-place
 * (y = x, dx = dy). Each call's output must equal, bit for bit, the same call on 64-byte-aligned copies
 * of the same inputs, and no byte outside the output view may change in any buffer (canaries around and
 * between the elements, and the inputs themselves).
 *
 * Usage: test_alignment [max_length]  (lengths above it are skipped; slow emulators pass a smaller one,
 * and a SP_TEST_REDUCED build, for valgrind, defaults to 129 and varies offsets within 32 bytes; there and
 * in the cross-compiled (emulated) build it takes the short lengths of vectors of up to 16 lanes)
 */
#include "unit_common.h"

#define LINE 64
#define MAX_N 4099
#define ROWS 3
#define MARGIN (2 * LINE)
/* The largest extent in elements (rows: 2 * (n + 7) + n), plus a line of offsets and margins. */
#define BUF_BYTES (MARGIN + LINE + (3 * MAX_N + 16) * 8 + MARGIN)
#define CANARY 0xc3

enum { L_CONTIG, L_ROWS, L_GATHER, L_SCATTER, L_INPLACE, L_COUNT };
static const char *const layout_names[L_COUNT] = {"contiguous", "3 padded rows", "inputs at strides 2 and -3",
                                                  "output at stride -2", "in place"};

static const size_t lengths_long[] = {127, 128, 129, 255, 256, 513, 1025, MAX_N};
#ifdef SP_TEST_REDUCED
static size_t max_length = 129; /* valgrind: every head/body/tail split, not the long runs */
/* valgrind runs AVX2 at most (its CPUID hides AVX-512): every offset within a 32-byte vector */
#define OFFSET_SPAN 32
#else
static size_t max_length = MAX_N;
#define OFFSET_SPAN LINE
#endif
#if defined(SP_TEST_REDUCED) || defined(SP_ALIGNMENT_VECTORS_OF_16_LANES)
/* valgrind (AVX2 at most) and qemu-aarch64 (NEON): of the short lengths every one up to three vectors of
 * 16 lanes (every split of their kernels' heads, bodies and tails), then 63-65 and 70 */
#define SHORT_LENGTH_TESTED(n) ((n) <= 48 || ((n) >= 63 && (n) <= 65) || (n) == 70)
#else
#define SHORT_LENGTH_TESTED(n) 1
#endif

static _Alignas(LINE) unsigned char buf[3][BUF_BYTES];    /* the views under test */
static _Alignas(LINE) unsigned char ref[3][BUF_BYTES];    /* the line-aligned reference views */
static unsigned char data[3][BUF_BYTES];                  /* input contents, by offset from the lowest element */

typedef struct geometry {
    size_t ndim;
    size_t shape[2];
    ptrdiff_t stride[3][2];
    size_t extent[3]; /* elements from the lowest to the highest address of each view, inclusive */
    size_t first[3];  /* the base element's distance above the lowest address */
} geometry;

static geometry make_geometry(int layout, size_t n)
{
    geometry g;
    memset(&g, 0, sizeof g);
    g.ndim = 1;
    g.shape[0] = n;
    for (size_t k = 0; k < 3; k++)
        g.stride[k][0] = 1;
    switch (layout) {
    case L_ROWS:
        g.ndim = 2;
        g.shape[0] = ROWS;
        g.shape[1] = n;
        for (size_t k = 0; k < 3; k++) {
            g.stride[k][0] = (ptrdiff_t)(n + 3 + 2 * k); /* rows n+3, n+5, n+7 apart */
            g.stride[k][1] = 1;
        }
        break;
    case L_GATHER:
        g.stride[1][0] = 2;
        g.stride[2][0] = -3;
        break;
    case L_SCATTER: g.stride[0][0] = -2; break;
    default: break;
    }
    for (size_t k = 0; k < 3; k++) {
        size_t lo = 0, hi = 0;
        for (size_t d = 0; d < g.ndim; d++) {
            if (g.shape[d] == 0)
                continue;
            const ptrdiff_t s = g.stride[k][d];
            const size_t span = (size_t)(s < 0 ? -s : s) * (g.shape[d] - 1);
            if (s < 0)
                lo += span;
            else
                hi += span;
        }
        g.first[k] = lo;
        g.extent[k] = lo + hi + 1;
    }
    return g;
}

/* Operand k's base pointer in b when its lowest element is `off` elements past the line start. */
static unsigned char *base_in(unsigned char *b, const geometry *g, size_t k, size_t off, size_t es)
{
    return b + MARGIN + (off + g->first[k]) * es;
}

static softplus_status call_op(sp_fn op, const geometry *g, unsigned char *const *base)
{
    const sp_call c = {op,
                       g->ndim,
                       g->shape,
                       {base[0], base[1], base[2]},
                       {g->stride[0], g->stride[1], g->stride[2]},
                       1.0,
                       20.0};
    return call_run(&c);
}

/* Lays out one buffer: canary everywhere in its used part, then (for an input) its contents. */
static void place(unsigned char *b, size_t k, const geometry *g, size_t off, size_t es, size_t used)
{
    memset(b, CANARY, used);
    if (k > 0)
        memcpy(b + MARGIN + off * es, data[k], g->extent[k] * es);
}

static size_t used_bytes(const geometry *g, size_t es)
{
    size_t m = 0;
    for (size_t k = 0; k < 3; k++)
        if (g->extent[k] > m)
            m = g->extent[k];
    return MARGIN + LINE + m * es + MARGIN;
}

/* Offsets (in elements) of the operands for combination i; returns 0 past the last combination. */
static int offsets_for(size_t i, size_t nops, size_t per_line, sp_rng *rng, size_t *off)
{
    off[0] = off[1] = off[2] = 0;
    if (i == 0)
        return 1;
    i--;
    for (size_t k = 0; k < nops; k++) {
        if (i < per_line - 1) {
            off[k] = i + 1;
            return 1;
        }
        i -= per_line - 1;
    }
    if (i < per_line - 1) { /* every operand at the same offset */
        off[0] = off[1] = off[2] = i + 1;
        return 1;
    }
    i -= per_line - 1;
    if (i < 8) {
        for (size_t k = 0; k < nops; k++)
            off[k] = rng_below(rng, per_line);
        return 1;
    }
    return 0;
}

static void describe(sp_fn op, int layout, size_t n, const size_t *off)
{
    const size_t es = op_elem_size(op);
    print_error("    %s under %s, layout %s, length %zu, offsets from the line: %s +%zu B, %s +%zu B", op_name(op),
                softplus_isa_name(softplus_active_isa()), layout_names[layout], n, operand_name(op, 0), off[0] * es,
                operand_name(op, 1), off[1] * es);
    if (op_noperands(op) == 3)
        print_error(", %s +%zu B", operand_name(op, 2), off[2] * es);
    print_error("\n");
}

/* One (op, layout, length) under the active ISA: the reference, then every offset combination. */
static int check_length(sp_fn op, int layout, size_t n, sp_rng *rng, size_t *calls)
{
    const size_t es = op_elem_size(op);
    const size_t nops = op_noperands(op);
    const size_t per_line = OFFSET_SPAN / es;
    const geometry g = make_geometry(layout, n);
    const size_t used = used_bytes(&g, es);
    for (size_t k = 1; k < nops; k++)
        for (size_t i = 0; i < g.extent[k]; i++)
            interesting_value(rng, es, data[k] + i * es);

    /* The reference: the same call with every view at the start of a line (in place: the output is
     * operand 1's view, in both). */
    unsigned char *rb[3];
    for (size_t k = 0; k < 3; k++) {
        place(ref[k], k, &g, 0, es, used);
        rb[k] = base_in(ref[k], &g, k, 0, es);
    }
    if (layout == L_INPLACE)
        rb[0] = rb[1];
    if (call_op(op, &g, rb) != SOFTPLUS_OK)
        fail_msg("%s, layout %s, length %zu: the aligned reference call failed", op_name(op), layout_names[layout], n);

    size_t off[3];
    for (size_t c = 0; offsets_for(c, nops, per_line, rng, off); c++) {
        if (layout == L_INPLACE)
            off[0] = off[1];
        unsigned char *b[3];
        for (size_t k = 0; k < 3; k++) {
            place(buf[k], k, &g, off[k], es, used);
            b[k] = base_in(buf[k], &g, k, off[k], es);
        }
        unsigned char *out_buf = buf[0];
        if (layout == L_INPLACE) {
            b[0] = b[1];
            out_buf = buf[1];
        }
        const softplus_status st = call_op(op, &g, b);
        (*calls)++;
        if (st != SOFTPLUS_OK) {
            describe(op, layout, n, off);
            fail_msg("status %s", softplus_status_string(st));
        }
        /* The output's buffer: the reference output at the view, canaries around it. */
        const unsigned char *want_view = (layout == L_INPLACE ? ref[1] : ref[0]) + MARGIN;
        const unsigned char *got_view = out_buf + MARGIN + off[0] * es;
        const size_t view_bytes = g.extent[0] * es;
        int ok = 1;
        if (memcmp(got_view, want_view, view_bytes) != 0) {
            size_t i = 0;
            while (memcmp(got_view + i * es, want_view + i * es, es) == 0)
                i++;
            char gs[96], ws[96], xs[96];
            describe(op, layout, n, off);
            const unsigned char *x_ref = layout == L_INPLACE ? data[1] + i * es : NULL;
            print_error("    element %zu of the output's span: got %s, want %s (aligned reference)%s%s\n", i,
                        elem_str(gs, sizeof gs, got_view + i * es, es), elem_str(ws, sizeof ws, want_view + i * es, es),
                        x_ref ? ", input " : "", x_ref ? elem_str(xs, sizeof xs, x_ref, es) : "");
            ok = 0;
        }
        if (layout != L_INPLACE) {
            for (size_t i = 0; ok && i < used; i++) {
                if (i >= MARGIN + off[0] * es && i < MARGIN + off[0] * es + view_bytes)
                    continue;
                if (buf[0][i] != CANARY) {
                    describe(op, layout, n, off);
                    print_error("    output buffer byte %td from the output's lowest element changed: 0x%02x\n",
                                (ptrdiff_t)i - (ptrdiff_t)(MARGIN + off[0] * es), buf[0][i]);
                    ok = 0;
                }
            }
        }
        /* Inputs (other than an in-place output) and their surroundings: exactly as placed. */
        for (size_t k = 1; ok && k < nops; k++) {
            if (layout == L_INPLACE && k == 1) {
                for (size_t i = 0; ok && i < used; i++) {
                    const int in_view = i >= MARGIN + off[1] * es && i < MARGIN + off[1] * es + view_bytes;
                    if (!in_view && buf[1][i] != CANARY) {
                        describe(op, layout, n, off);
                        print_error("    byte %zu of the in-place buffer, outside the view, changed\n", i);
                        ok = 0;
                    }
                }
                continue;
            }
            const size_t lo = MARGIN + off[k] * es, len = g.extent[k] * es;
            for (size_t i = 0; ok && i < used; i++) {
                const unsigned char want = i >= lo && i < lo + len ? data[k][i - lo] : CANARY;
                if (buf[k][i] != want) {
                    describe(op, layout, n, off);
                    print_error("    input %s changed at byte %td from its lowest element: 0x%02x, was 0x%02x\n",
                                operand_name(op, k), (ptrdiff_t)i - (ptrdiff_t)lo, buf[k][i], want);
                    ok = 0;
                }
            }
        }
        if (!ok)
            return 0;
    }
    return 1;
}

static void test_every_element_alignment_gives_the_aligned_result(void **state)
{
    (void)state;
    softplus_isa isas[8];
    const size_t nisas = tested_isas(isas, 0); /* valgrind: the active set alone */
    size_t calls = 0;
    for (size_t ii = 0; ii < nisas; ii++) {
        assert_int_equal(softplus_set_isa(isas[ii]), SOFTPLUS_OK);
        for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
            sp_rng rng = {0xa119e000u + (uint64_t)op};
            for (int layout = 0; layout < L_COUNT; layout++) {
                for (size_t n = 0; n <= 70 && n <= max_length; n++)
                    if (SHORT_LENGTH_TESTED(n) && !check_length(op, layout, n, &rng, &calls))
                        fail();
                for (size_t i = 0; i < sizeof lengths_long / sizeof lengths_long[0]; i++)
                    if (lengths_long[i] <= max_length && !check_length(op, layout, lengths_long[i], &rng, &calls))
                        fail();
            }
        }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    print_message("%zu calls over %zu ISA(s), lengths up to %zu: all equal the aligned results\n", calls, nisas,
                  max_length);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        char *end;
        const unsigned long v = strtoul(argv[1], &end, 10);
        if (*end != '\0' || end == argv[1]) {
            fprintf(stderr, "usage: test_alignment [max_length]\n");
            return 2;
        }
        max_length = v < MAX_N ? (size_t)v : MAX_N;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_element_alignment_gives_the_aligned_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* strided.c -- shape/stride validation and normalisation, and the walk that feeds kernels contiguous runs.
 * SPDX-License-Identifier: MIT
 */
#include "strided.h"

#include <stdint.h>
#include <string.h>

#include "sp_kernel_origins.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Elements per gather/scatter chunk buffer: 4 KiB per operand, enough to amortise a kernel call. */
#define SP_CHUNK_BYTES 4096
/* A strided run goes through its buffers in chunks of half that, and of a quarter when the plan it
 * runs (a call, or a thread's part of one) holds more than SP_RUN_FAR_BYTES over all its operands: a
 * chunk's gathers find in the caches only what the hardware prefetcher fetched ahead while the kernel
 * ran on the previous chunk, and it runs only so far ahead. Inner stride 2, AVX2 and AVX-512,
 * alternated: at 32M elements 2 KiB chunks ran 1.5-2.2x the 4 KiB ones (f32, bf16, f16, forward and
 * backward, arrays at three offsets within a page), and 1 KiB chunks backward 1.3-1.5x the 2 KiB ones
 * (forward 0.96-1.07x); at 512K-2M elements 1 KiB ran forward 0.96-0.97x and backward 0.98-1.26x; in
 * L1 and L2 (512, 16K) 2 KiB was within 3% of 4 KiB, and 1 KiB lost up to 7%. The rule as it stands,
 * against 2 KiB everywhere (2M and 32M elements, arrays 1040 bytes into a page): backward f32
 * 1.19-1.33x, bf16 1.05-1.28x, forward f32 0.95-1.05x. */
#define SP_RUN_CHUNK_BYTES 2048
#define SP_RUN_CHUNK_FAR_BYTES 1024
#define SP_RUN_FAR_BYTES ((size_t)8 << 20)
/* A transposed view runs in 2-D tiles of edge1 x (SP_CHUNK_BYTES / element size / edge1) elements
 * (dimension 1 x dimension 0), one chunk buffer per operand (sp_plan_execute). edge1 is SP_TILE_EDGE, or
 * SP_TILE_EDGE_FAR when the tiled dimensions span more than SP_TILE_FAR_BYTES (a cache's worth): f32
 * tiles 64 x 16 there, so that a transposed input's runs are 256 bytes (four lines of one page) and a
 * tile touches 16 of its pages, not 32 (32 x 32 measured 15-25% slower at 32M elements, f32 backward and
 * forward, AVX2 and AVX-512); in cache 32 x 32, half as many rows to copy out per tile (64 x 16 was
 * slower at 512 elements, where a 16 x 32 view became two tiles instead of one). */
#define SP_TILE_EDGE 32
#define SP_TILE_EDGE_FAR 64
#define SP_TILE_FAR_BYTES ((size_t)1 << 20)
#define SP_TILE_GROUP 4
#define SP_LINE_BYTES 64
/* Plans whose runs (dimension 0) are at most this long run in tiles (run_tile), whatever their strides:
 * a kernel call per tile instead of one per run. Against run by run, alternated (AVX-512 unless said):
 * transposed 16 x 16 and 22 x 22 bf16 / f16 views 2.9-3.8x, f32 12 x 12 1.5-2.7x (AVX-512, AVX2);
 * padded rows of f32 (4096 rows at twice their length apart) of 8 elements 1.72x (AVX2 1.86x), of 32
 * 1.29x (AVX2 1.18x), but of 48 0.89x (AVX2 0.92x) and of 64 0.84x: the row copies in and out then
 * cost more than the kernel calls they save. */
#define SP_SHORT_RUN_BYTES 128

static size_t magnitude(ptrdiff_t s)
{
    return s < 0 ? (size_t)0 - (size_t)s : (size_t)s;
}

/* *acc += a * b, returning 0 when the result does not fit in [0, limit]. */
static int add_product_checked(size_t *acc, size_t a, size_t b, size_t limit)
{
    if (!sp_product_fits(a, b, limit))
        return 0;
    const size_t p = a * b;
    if (p > limit - *acc)
        return 0;
    *acc += p;
    return 1;
}

/* The byte range [lo, hi) a view spans, or 0 when it does not fit (see SOFTPLUS_ERR_OVERFLOW). */
static int view_range(const char *base, size_t ndim, const size_t *shape, const ptrdiff_t *stride,
                      size_t elem_size, uintptr_t *lo, uintptr_t *hi)
{
    const size_t limit = sp_max_elements(elem_size);
    size_t forward = 0, backward = 0; /* in elements */
    for (size_t d = 0; d < ndim; d++) {
        size_t *side = stride[d] < 0 ? &backward : &forward;
        if (!add_product_checked(side, shape[d] - 1, magnitude(stride[d]), limit))
            return 0;
    }
    if (forward > limit - backward)
        return 0;
    const uintptr_t b = (uintptr_t)base;
    const uintptr_t below = (uintptr_t)backward * elem_size;
    const uintptr_t above = ((uintptr_t)forward + 1) * elem_size;
    if (b < below || UINTPTR_MAX - b < above)
        return 0;
    *lo = b - below;
    *hi = b + above;
    return 1;
}

/* Whether no two indices of the view name one element. Sufficient condition, exact for every view
 * that is a permutation of a dense or padded layout: ordered by |stride|, each stride exceeds the span
 * of all smaller ones. shape[d] >= 2 for every d. */
static int view_is_injective(size_t ndim, const size_t *shape, const ptrdiff_t *stride)
{
    size_t order[SOFTPLUS_MAX_NDIM];
    for (size_t d = 0; d < ndim; d++) {
        size_t j = d;
        for (; j > 0 && magnitude(stride[order[j - 1]]) > magnitude(stride[d]); j--)
            order[j] = order[j - 1];
        order[j] = d;
    }
    size_t span = 0; /* largest offset reachable with the dimensions before this one; fits (checked) */
    for (size_t k = 0; k < ndim; k++) {
        const size_t m = magnitude(stride[order[k]]);
        if (m <= span)
            return 0;
        span += m * (shape[order[k]] - 1);
    }
    return 1;
}

/* Whether outer == inner * inner_size, without overflowing. */
static int steps_evenly(ptrdiff_t inner, size_t inner_size, ptrdiff_t outer)
{
    const size_t m = magnitude(inner);
    if (m != 0 && inner_size > (size_t)PTRDIFF_MAX / m)
        return 0;
    return outer == inner * (ptrdiff_t)inner_size;
}

static void swap_dims(sp_plan *p, size_t a, size_t b)
{
    size_t t = p->shape[a];
    p->shape[a] = p->shape[b];
    p->shape[b] = t;
    for (size_t k = 0; k < p->noperands; k++) {
        ptrdiff_t s = p->stride[k][a];
        p->stride[k][a] = p->stride[k][b];
        p->stride[k][b] = s;
    }
}

/* Innermost first: by output |stride|, then by each input's |stride|. */
static int dim_before(const sp_plan *p, size_t a, size_t b)
{
    for (size_t k = 0; k < p->noperands; k++) {
        size_t ma = magnitude(p->stride[k][a]), mb = magnitude(p->stride[k][b]);
        if (ma != mb)
            return ma < mb;
    }
    return 0;
}

softplus_status sp_plan_build(sp_plan *plan, size_t ndim, const size_t *shape, size_t noperands,
                              size_t elem_size, void *const *bases, const ptrdiff_t *const *strides)
{
    size_t count;
    int empty;
    if (!sp_element_count(ndim, shape, &count, &empty))
        return SOFTPLUS_ERR_OVERFLOW;
    memset(plan, 0, offsetof(sp_plan, shape));
    plan->noperands = noperands;
    plan->elem_size = elem_size;
    if (empty) {
        plan->empty = 1;
        return SOFTPLUS_OK;
    }
    for (size_t k = 0; k < noperands; k++)
        if (bases[k] == NULL)
            return SOFTPLUS_ERR_NULL;

    /* Drop size-1 dimensions; fill C-contiguous strides where none were given. */
    size_t n = 0;
    size_t contiguous = 1;
    for (size_t d = ndim; d-- > 0;) {
        if (shape[d] != 1) {
            for (size_t k = 0; k < noperands; k++)
                plan->stride[k][n] = strides[k] ? strides[k][d] : (ptrdiff_t)contiguous;
            plan->shape[n++] = shape[d];
        }
        contiguous *= shape[d];
    }
    /* Dims are now innermost-first; view_range and the checks below are order-independent. */
    uintptr_t lo[SP_MAX_OPERANDS], hi[SP_MAX_OPERANDS];
    for (size_t k = 0; k < noperands; k++) {
        plan->base[k] = (char *)bases[k];
        if (!view_range(plan->base[k], n, plan->shape, plan->stride[k], elem_size, &lo[k], &hi[k]))
            return SOFTPLUS_ERR_OVERFLOW;
    }
    if (!view_is_injective(n, plan->shape, plan->stride[0]))
        return SOFTPLUS_ERR_OVERLAP;
    for (size_t k = 1; k < noperands; k++) {
        const int same_view = plan->base[k] == plan->base[0] &&
                              memcmp(plan->stride[k], plan->stride[0], n * sizeof(ptrdiff_t)) == 0;
        if (!same_view && lo[k] < hi[0] && lo[0] < hi[k])
            return SOFTPLUS_ERR_OVERLAP;
    }

    /* Walk every output dimension forwards: flip a negative output stride in all operands at once. */
    for (size_t d = 0; d < n; d++) {
        if (plan->stride[0][d] < 0) {
            for (size_t k = 0; k < noperands; k++) {
                plan->base[k] += plan->stride[k][d] * (ptrdiff_t)(plan->shape[d] - 1) * (ptrdiff_t)elem_size;
                plan->stride[k][d] = -plan->stride[k][d];
            }
        }
    }
    for (size_t d = 1; d < n; d++)
        for (size_t j = d; j > 0 && dim_before(plan, j, j - 1); j--)
            swap_dims(plan, j, j - 1);

    /* Merge a dimension into the one inside it when every operand steps across the pair evenly. */
    size_t m = 0;
    for (size_t d = 1; d < n; d++) {
        int mergeable = 1;
        for (size_t k = 0; k < noperands; k++)
            if (!steps_evenly(plan->stride[k][m], plan->shape[m], plan->stride[k][d]))
                mergeable = 0;
        if (mergeable) {
            plan->shape[m] *= plan->shape[d];
        } else {
            m++;
            plan->shape[m] = plan->shape[d];
            for (size_t k = 0; k < noperands; k++)
                plan->stride[k][m] = plan->stride[k][d];
        }
    }
    if (n == 0) { /* one element */
        plan->shape[0] = 1;
        for (size_t k = 0; k < noperands; k++)
            plan->stride[k][0] = 1;
    }
    plan->ndim = m + 1;
    return SOFTPLUS_OK;
}

/* Copies of n elements of one size between a strided view and a contiguous buffer: four elements per
 * iteration with pointer steps (no multiply), the size a constant in each loop so that an element is
 * one load and one store. */
#define SP_COPY_LOOP(T, d, d_step, s, s_step)                                                        \
    {                                                                                                \
        size_t i = 0;                                                                                \
        for (; i + 4 <= n; i += 4) {                                                                 \
            T v0, v1, v2, v3;                                                                        \
            memcpy(&v0, s, sizeof(T));                                                               \
            memcpy(&v1, s + (s_step), sizeof(T));                                                    \
            memcpy(&v2, s + 2 * (s_step), sizeof(T));                                                \
            memcpy(&v3, s + 3 * (s_step), sizeof(T));                                                \
            memcpy(d, &v0, sizeof(T));                                                               \
            memcpy(d + (d_step), &v1, sizeof(T));                                                    \
            memcpy(d + 2 * (d_step), &v2, sizeof(T));                                                \
            memcpy(d + 3 * (d_step), &v3, sizeof(T));                                                \
            s += 4 * (s_step);                                                                       \
            d += 4 * (d_step);                                                                       \
        }                                                                                            \
        for (; i < n; i++) {                                                                         \
            T v;                                                                                     \
            memcpy(&v, s, sizeof(T));                                                                \
            memcpy(d, &v, sizeof(T));                                                                \
            s += s_step;                                                                             \
            d += d_step;                                                                             \
        }                                                                                            \
    }
#define SP_BY_SIZE(d, d_step, s, s_step)                                                             \
    switch (elem_size) {                                                                             \
    case 1: SP_COPY_LOOP(uint8_t, d, d_step, s, s_step) break;                                       \
    case 2: SP_COPY_LOOP(uint16_t, d, d_step, s, s_step) break;                                      \
    case 4: SP_COPY_LOOP(uint32_t, d, d_step, s, s_step) break;                                      \
    default: SP_COPY_LOOP(uint64_t, d, d_step, s, s_step) break;                                     \
    }

/* n elements from src, src_step bytes apart, to dst, dst_step bytes apart. */
static void copy_strided(char *d, ptrdiff_t dst_step, const char *s, ptrdiff_t src_step, size_t n, size_t elem_size)
{
    if (dst_step == (ptrdiff_t)elem_size && src_step == (ptrdiff_t)elem_size)
        memcpy(d, s, n * elem_size);
    else
        SP_BY_SIZE(d, dst_step, s, src_step)
}

void sp_gather_generic(void *dst, const char *src, ptrdiff_t stride_bytes, size_t n, size_t elem_size)
{
    copy_strided(dst, (ptrdiff_t)elem_size, src, stride_bytes, n, elem_size);
}

void sp_scatter_generic(char *dst, ptrdiff_t stride_bytes, const void *src, size_t n, size_t elem_size)
{
    copy_strided(dst, stride_bytes, src, (ptrdiff_t)elem_size, n, elem_size);
}

void sp_transpose_generic(char *dst, ptrdiff_t dst_row, const char *src, ptrdiff_t src_col, size_t n0, size_t n1,
                          size_t elem_size)
{
    for (size_t i0 = 0; i0 < n0; i0++)
        copy_strided(dst + (ptrdiff_t)(i0 * elem_size), dst_row, src + (ptrdiff_t)i0 * src_col, (ptrdiff_t)elem_size,
                     n1, elem_size);
}

/* The n0 x n1 elements (i0, i1) of one 2-D view to another (byte strides d0, d1 and s0, s1), walking
 * innermost the dimension in which `by` (d or s: the view in memory, not the tile buffer) steps least,
 * so that each of its cache lines is used whole while it is in cache. */
static void copy_2d(char *d, ptrdiff_t d0, ptrdiff_t d1, const char *s, ptrdiff_t s0, ptrdiff_t s1, size_t n0,
                    size_t n1, size_t elem_size, int dim1_inner)
{
    if (dim1_inner)
        for (size_t i0 = 0; i0 < n0; i0++)
            copy_strided(d + (ptrdiff_t)i0 * d0, d1, s + (ptrdiff_t)i0 * s0, s1, n1, elem_size);
    else
        for (size_t i1 = 0; i1 < n1; i1++)
            copy_strided(d + (ptrdiff_t)i1 * d1, d0, s + (ptrdiff_t)i1 * s1, s0, n0, elem_size);
}

/* Every ISA's pair: its own (src/arch/<arch>/strided_<isa>.c) or the one cmake/isa.cmake found down its
 * fallback chain (SP_COPY_ORIGIN_<isa>, "generic" for the scalar ISA). */
static const sp_strided_copy sp_strided_copy_generic = {sp_gather_generic, sp_scatter_generic,
                                                         sp_transpose_generic};
#define SP_COPY_DECLARE(ctx, tag, TAG, fallback, priority, features) extern const sp_strided_copy sp_strided_copy_##tag;
SP_ISAS(SP_COPY_DECLARE, ~)
#define SP_COPY_OF_(origin) &sp_strided_copy_##origin
#define SP_COPY_OF(origin) SP_COPY_OF_(origin) /* expands the origin before pasting it */
#define SP_COPY_ENTRY(ctx, tag, TAG, fallback, priority, features) [SOFTPLUS_ISA_##TAG] = SP_COPY_OF(SP_COPY_ORIGIN_##tag),
static const sp_strided_copy *const sp_copies[] = {SP_ISAS(SP_COPY_ENTRY, ~)};

const sp_strided_copy *sp_strided_copy_for(softplus_isa isa)
{
    if ((unsigned)isa >= sizeof sp_copies / sizeof sp_copies[0] || !sp_copies[isa])
        return &sp_strided_copy_generic;
    return sp_copies[isa];
}

/* n elements of the inner dimension starting at ptrs, through the stack buffer in chunks of at most
 * `chunk` elements: operands at their own element size (a strided operand) or converted to the compute
 * type (with a hook). */
static void run_buffered(const sp_plan *plan, char *const *ptrs, const ptrdiff_t *step, size_t n_run,
                         size_t chunk, sp_run_fn fn, const void *ctx, const sp_convert *convert,
                         const sp_strided_copy *copy)
{
    _Alignas(64) unsigned char buffer[SP_MAX_OPERANDS][SP_RUN_CHUNK_BYTES];
    const size_t es = plan->elem_size;
    for (size_t done = 0; done < n_run; done += chunk) {
        const size_t n = n_run - done < chunk ? n_run - done : chunk;
        void *args[SP_MAX_OPERANDS];
        for (size_t k = 0; k < plan->noperands; k++) {
            char *at = ptrs[k] + (ptrdiff_t)done * step[k];
            if (!convert && step[k] == (ptrdiff_t)es) {
                args[k] = at;
            } else {
                args[k] = buffer[k];
                if (k > 0 && convert)
                    convert->load(buffer[k], at, step[k], n);
                else if (k > 0)
                    copy->gather(buffer[k], at, step[k], n, es);
            }
        }
        fn(n, args, ctx);
        char *out = ptrs[0] + (ptrdiff_t)done * step[0];
        if (convert)
            convert->store(out, step[0], buffer[0], n);
        else if (args[0] == buffer[0])
            copy->scatter(out, step[0], buffer[0], n, es);
    }
}

/* Whether a plan runs in 2-D tiles (run_tile: every operand copied through its buffer, a kernel call per
 * tile) rather than run by run: when its runs are short (at most SP_SHORT_RUN_BYTES: one kernel call per
 * run, each a few dozen elements), or when an operand walks the second dimension in smaller steps than
 * the first (a transposed view) and its inner run reads one element per cache line (the next run of
 * dimension 1 reads the next element of the same lines; at power-of-two strides those lines also fall
 * into the same few cache sets, so they are evicted before the next run comes back to them). */
static int runs_in_tiles(const sp_plan *plan)
{
    if (plan->ndim < 2)
        return 0;
    if (plan->shape[0] * plan->elem_size <= SP_SHORT_RUN_BYTES)
        return 1;
    for (size_t k = 0; k < plan->noperands; k++) {
        const size_t inner = magnitude(plan->stride[k][0]), outer = magnitude(plan->stride[k][1]);
        if (outer < inner && inner * plan->elem_size >= SP_LINE_BYTES)
            return 1;
    }
    return 0;
}

/* Asks for the cache lines of the n0 x n1 tile at ptrs of every operand from first_operand on (the next
 * tile, while this one is computed; 1 leaves out an output the tiles stream): a transposed view's short
 * runs are scattered over as many pages as the tile has columns, and no hardware prefetcher follows them. Lines of the runs along each view's shorter stride; nothing
 * when that stride is a line or more (no run). Prefetches never fault. */
static void prefetch_tile(const sp_plan *plan, char *const *ptrs, size_t n0, size_t n1, size_t first_operand)
{
    const size_t es = plan->elem_size;
    for (size_t k = first_operand; k < plan->noperands; k++) {
        ptrdiff_t run = plan->stride[k][0] * (ptrdiff_t)es, across = plan->stride[k][1] * (ptrdiff_t)es;
        size_t nrun = n0, nacross = n1;
        if (magnitude(across) < magnitude(run)) {
            const ptrdiff_t t = run;
            run = across;
            across = t;
            nrun = n1;
            nacross = n0;
        }
        if (magnitude(run) >= SP_LINE_BYTES || run == 0)
            continue;
        const ptrdiff_t bytes = run * (ptrdiff_t)(nrun - 1); /* from the run's first element to its last */
        for (size_t a = 0; a < nacross; a++) {
            const uintptr_t first = (uintptr_t)ptrs[k] + (uintptr_t)(across * (ptrdiff_t)a);
            const uintptr_t lo = bytes < 0 ? first + (uintptr_t)bytes : first, hi = bytes < 0 ? first : first + (uintptr_t)bytes;
            for (uintptr_t line = lo & ~(uintptr_t)(SP_LINE_BYTES - 1); line <= hi; line += SP_LINE_BYTES) {
                if (k == 0)
                    __builtin_prefetch((const void *)line, 1);
                else
                    __builtin_prefetch((const void *)line, 0);
            }
        }
    }
}

/* Whether this build can store a tile's output rows around the caches (stream_rows): SSE2, every x86-64. */
#if defined(__SSE2__)
#define SP_TILE_CAN_STREAM 1
/* n1 rows of `bytes` (a multiple of 64) from s to d, rows s1 and d1 bytes apart, every row's start at a line
 * of d and at 16 bytes of s, with non-temporal stores: each of d's lines written whole, none read first. The
 * caller fences (_mm_sfence) after its last. */
static void stream_rows(char *d, ptrdiff_t d1, const char *s, ptrdiff_t s1, size_t bytes, size_t n1)
{
    for (size_t r = 0; r < n1; r++)
        for (size_t b = 0; b < bytes; b += 16)
            _mm_stream_si128((__m128i *)(d + (ptrdiff_t)r * d1 + b),
                             _mm_load_si128((const __m128i *)(s + (ptrdiff_t)r * s1 + b)));
}
#else
#define SP_TILE_CAN_STREAM 0
#endif

/* One tile: n0 x n1 elements of dimensions 0 and 1 from ptrs. Every operand goes through its chunk
 * buffer, laid out as n1 rows of n0 compute elements: each view is copied in (inputs) or out (the
 * output) walking its own shorter stride innermost, so a transposed view's lines are read whole and the
 * output's written whole; then one kernel call covers the tile. */
static void run_tile(const sp_plan *plan, char *const *ptrs, size_t n0, size_t n1, sp_run_fn fn, const void *ctx,
                     const sp_convert *convert, const sp_strided_copy *copy, int stream)
{
    _Alignas(64) unsigned char buffer[SP_MAX_OPERANDS][SP_CHUNK_BYTES];
    const size_t es = plan->elem_size, cs = convert ? convert->compute_size : es;
    const ptrdiff_t row = (ptrdiff_t)(n0 * cs);
    (void)stream; /* read only where this build can stream (SP_TILE_CAN_STREAM) */
    void *args[SP_MAX_OPERANDS] = {NULL, NULL, NULL};
    for (size_t k = 0; k < plan->noperands; k++) {
        const ptrdiff_t s0 = plan->stride[k][0] * (ptrdiff_t)es, s1 = plan->stride[k][1] * (ptrdiff_t)es;
        args[k] = buffer[k];
        if (k == 0)
            continue;
        if (convert)
            for (size_t r = 0; r < n1; r++)
                convert->load(buffer[k] + (ptrdiff_t)r * row, ptrs[k] + (ptrdiff_t)r * s1, s0, n0);
        else if (s1 == (ptrdiff_t)es && magnitude(s0) > (size_t)es) /* a column-major view: transpose it */
            copy->transpose((char *)buffer[k], row, ptrs[k], s0, n0, n1, es);
        else
            copy_2d((char *)buffer[k], (ptrdiff_t)es, row, ptrs[k], s0, s1, n0, n1, es, magnitude(s1) < magnitude(s0));
    }
    fn(n0 * n1, args, ctx);
    const ptrdiff_t s0 = plan->stride[0][0] * (ptrdiff_t)es, s1 = plan->stride[0][1] * (ptrdiff_t)es;
    if (convert)
        for (size_t r = 0; r < n1; r++)
            convert->store(ptrs[0] + (ptrdiff_t)r * s1, s0, buffer[0] + (ptrdiff_t)r * row, n0);
#if SP_TILE_CAN_STREAM
    else if (stream)
        stream_rows(ptrs[0], s1, (const char *)buffer[0], row, n0 * es, n1);
#endif
    else
        copy_2d(ptrs[0], s0, s1, (const char *)buffer[0], (ptrdiff_t)es, row, n0, n1, es, magnitude(s1) < magnitude(s0));
}

/* Dimensions 0 and 1 of a transposed plan from ptrs, tile by tile: tiles in groups of SP_TILE_GROUP x
 * SP_TILE_GROUP (along dimension 0 inside, then dimension 1), so that the pages of a group's columns and
 * rows (a transposed view touches one page per column of a tile) are visited for several tiles in a row
 * while the TLB still holds them; each tile is prefetched one tile ahead of its computation.
 * A plan of SP_STREAM_FROM_BYTES (kernels.h) or more whose output runs along dimension 0 in rows that start
 * at a line stores the tiles whose rows are whole lines with non-temporal stores (stream_rows), and no
 * longer prefetches the output. Against ordinary stores, alternated, f32 views of 4096 x 8192 transposed
 * (the input; the output contiguous): AVX-512 strict forward 0.66-0.69x the time, backward 0.73-0.76x, fast
 * forward 0.54-0.64x, fast backward 0.74x; AVX2 0.66-0.81x. Tiles of 32 x 32 and groups of 8 or 16 measured
 * 0.95-1.0x beside that (noise): the tiles stay as above. */
static void run_tiles(const sp_plan *plan, char *const *ptrs, sp_run_fn fn, const void *ctx, const sp_convert *convert,
                      const sp_strided_copy *copy)
{
    const size_t es = plan->elem_size, nops = plan->noperands;
    const size_t shape0 = plan->shape[0], shape1 = plan->shape[1];
    /* shape0 * shape1 * es fits: every view's byte range was checked */
    const size_t chunk = SP_CHUNK_BYTES / (convert ? convert->compute_size : es);
    size_t edge1 = shape0 * shape1 * es > SP_TILE_FAR_BYTES / nops ? SP_TILE_EDGE_FAR : SP_TILE_EDGE;
    size_t edge0 = chunk / edge1;
    if (shape0 < edge0) { /* short runs: whole runs, as many as the buffer holds */
        edge0 = shape0;
        edge1 = chunk / shape0;
    }
    const ptrdiff_t out_row = plan->stride[0][1] * (ptrdiff_t)es;
    const int stream = SP_TILE_CAN_STREAM && !convert && plan->stride[0][0] == 1 && out_row % SP_LINE_BYTES == 0 &&
                       (uintptr_t)ptrs[0] % SP_LINE_BYTES == 0 &&
                       sp_plan_count(plan) >= SP_STREAM_FROM_BYTES / es;
    char *pending[SP_MAX_OPERANDS];
    size_t pending0 = 0, pending1 = 0; /* extents of the tile prefetched and not yet run; 0: none */
    int pending_stream = 0;
    for (size_t g1 = 0; g1 < shape1; g1 += SP_TILE_GROUP * edge1)
        for (size_t g0 = 0; g0 < shape0; g0 += SP_TILE_GROUP * edge0)
            for (size_t c1 = g1; c1 < shape1 && c1 < g1 + SP_TILE_GROUP * edge1; c1 += edge1)
                for (size_t c0 = g0; c0 < shape0 && c0 < g0 + SP_TILE_GROUP * edge0; c0 += edge0) {
                    char *at[SP_MAX_OPERANDS];
                    for (size_t k = 0; k < nops; k++)
                        at[k] = ptrs[k] + ((ptrdiff_t)c0 * plan->stride[k][0] + (ptrdiff_t)c1 * plan->stride[k][1]) *
                                              (ptrdiff_t)es;
                    const size_t n0 = shape0 - c0 < edge0 ? shape0 - c0 : edge0;
                    const size_t n1 = shape1 - c1 < edge1 ? shape1 - c1 : edge1;
                    prefetch_tile(plan, at, n0, n1, stream ? 1 : 0);
                    if (pending0)
                        run_tile(plan, pending, pending0, pending1, fn, ctx, convert, copy, pending_stream);
                    memcpy(pending, at, sizeof pending);
                    pending0 = n0;
                    pending1 = n1;
                    /* rows of whole lines */
                    pending_stream = stream && (uintptr_t)at[0] % SP_LINE_BYTES == 0 && n0 * es % SP_LINE_BYTES == 0;
                }
    if (pending0)
        run_tile(plan, pending, pending0, pending1, fn, ctx, convert, copy, pending_stream);
#if SP_TILE_CAN_STREAM
    if (stream)
        _mm_sfence();
#endif
}

void sp_plan_execute(const sp_plan *plan, sp_run_fn fn, const void *ctx, const sp_convert *convert,
                     const sp_strided_copy *copy)
{
    if (!copy)
        copy = &sp_strided_copy_generic;
    const size_t es = plan->elem_size;
    const size_t nops = plan->noperands;
    char *ptrs[SP_MAX_OPERANDS];
    ptrdiff_t step[SP_MAX_OPERANDS]; /* inner stride in bytes */
    int contiguous = convert == NULL;
    for (size_t k = 0; k < nops; k++) {
        ptrs[k] = plan->base[k];
        step[k] = plan->stride[k][0] * (ptrdiff_t)es;
        if (step[k] != (ptrdiff_t)es)
            contiguous = 0;
    }
    if (contiguous && plan->ndim == 1) { /* the common case: one run */
        fn(plan->shape[0], (void *const *)ptrs, ctx);
        return;
    }
    const size_t chunk_bytes =
        sp_plan_count(plan) * es > SP_RUN_FAR_BYTES / nops ? SP_RUN_CHUNK_FAR_BYTES : SP_RUN_CHUNK_BYTES;
    const size_t chunk = chunk_bytes / (convert ? convert->compute_size : es);
    /* Tiled plans take dimensions 0 and 1 in the tile loops below; the odometer then starts at
     * dimension 2. */
    const int tiled = runs_in_tiles(plan);
    const size_t first_outer = tiled ? 2 : 1;
    size_t index[SOFTPLUS_MAX_NDIM];
    for (size_t d = first_outer; d < plan->ndim; d++)
        index[d] = 0;
    for (;;) {
        if (tiled)
            run_tiles(plan, ptrs, fn, ctx, convert, copy);
        else if (contiguous)
            fn(plan->shape[0], (void *const *)ptrs, ctx);
        else
            run_buffered(plan, ptrs, step, plan->shape[0], chunk, fn, ctx, convert, copy);
        /* Advance the odometer over the outer dimensions; pointers never leave the views. */
        size_t d = first_outer;
        for (; d < plan->ndim; d++) {
            if (++index[d] < plan->shape[d]) {
                for (size_t k = 0; k < nops; k++)
                    ptrs[k] += plan->stride[k][d] * (ptrdiff_t)es;
                break;
            }
            index[d] = 0;
            for (size_t k = 0; k < nops; k++)
                ptrs[k] -= plan->stride[k][d] * (ptrdiff_t)(plan->shape[d] - 1) * (ptrdiff_t)es;
        }
        if (d >= plan->ndim)
            return;
    }
}

void sp_plan_contiguous(sp_plan *plan, size_t count, size_t noperands, size_t elem_size, void *const *bases)
{
    plan->ndim = 1;
    plan->noperands = noperands;
    plan->elem_size = elem_size;
    plan->empty = count == 0;
    plan->shape[0] = count;
    for (size_t k = 0; k < noperands; k++) {
        plan->base[k] = bases[k];
        plan->stride[k][0] = 1;
    }
}

sp_split sp_plan_split(const sp_plan *plan, size_t parts)
{
    const size_t chunk = SP_CHUNK_BYTES / plan->elem_size;
    sp_split split = {0, 1, 0};
    for (size_t d = plan->ndim; d-- > 0;) {
        const size_t unit = d == 0 ? chunk : 1;
        const size_t n = (plan->shape[d] + unit - 1) / unit;
        if (n > split.n) {
            split = (sp_split){d, unit, n};
            if (n >= parts)
                break;
        }
    }
    return split;
}

void sp_plan_part(sp_plan *part, const sp_plan *plan, const sp_split *split, size_t begin, size_t end)
{
    *part = *plan;
    const size_t d = split->dim, first = begin * split->unit;
    const size_t last = end * split->unit < plan->shape[d] ? end * split->unit : plan->shape[d];
    part->shape[d] = last - first;
    for (size_t k = 0; k < plan->noperands; k++)
        part->base[k] += plan->stride[k][d] * (ptrdiff_t)first * (ptrdiff_t)plan->elem_size;
}

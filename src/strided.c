/* strided.c -- shape/stride validation and normalisation, and the walk that feeds kernels contiguous runs.
 * SPDX-License-Identifier: MIT
 */
#include "strided.h"

#include <stdint.h>
#include <string.h>

#include "sp_kernel_origins.h"

/* Elements per gather/scatter chunk buffer: 4 KiB per operand, enough to amortise a kernel call. */
#define SP_CHUNK_BYTES 4096
/* A transposed view's tile: this many bytes of the inner dimension per run, so that the cache lines one
 * run of it touches (one per element) stay in L1 for the next runs (SP_TILE_BYTES / elem_size lines). */
#define SP_TILE_BYTES 1024
#define SP_LINE_BYTES 64

static size_t magnitude(ptrdiff_t s)
{
    return s < 0 ? (size_t)0 - (size_t)s : (size_t)s;
}

/* Whether a * b fits in [0, limit], limit < SIZE_MAX / 2. Factors below 2^(bits/2) cannot overflow
 * size_t, so the common case costs no division. */
static int product_fits(size_t a, size_t b, size_t limit)
{
    const size_t half = (size_t)1 << (sizeof(size_t) * 4);
    if (a < half && b < half)
        return a * b <= limit;
    return a == 0 || b <= limit / a;
}

/* The product of the non-zero sizes into *count and whether a size is zero, or 0 when the product does
 * not fit ptrdiff_t. A count that overflows beside a zero dimension still describes an empty tensor; it
 * is rejected anyway, so that a shape gives the same status whatever the order of its dimensions. */
static int element_count(size_t ndim, const size_t *shape, size_t *count, int *empty)
{
    *count = 1;
    *empty = 0;
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] == 0)
            *empty = 1;
        else if (!product_fits(*count, shape[d], PTRDIFF_MAX))
            return 0;
        else
            *count *= shape[d];
    }
    return 1;
}

/* *acc += a * b, returning 0 when the result does not fit in [0, limit]. */
static int add_product_checked(size_t *acc, size_t a, size_t b, size_t limit)
{
    if (!product_fits(a, b, limit))
        return 0;
    const size_t p = a * b;
    if (p > limit - *acc)
        return 0;
    *acc += p;
    return 1;
}

/* The most elements a view may reach from its base either way, so that byte offsets fit ptrdiff_t;
 * constant divisors, one per element size. */
static size_t max_elements(size_t elem_size)
{
    switch (elem_size) {
    case 1: return (size_t)PTRDIFF_MAX - 1;
    case 2: return (size_t)PTRDIFF_MAX / 2 - 1;
    case 4: return (size_t)PTRDIFF_MAX / 4 - 1;
    default: return (size_t)PTRDIFF_MAX / 8 - 1;
    }
}

/* The byte range [lo, hi) a view spans, or 0 when it does not fit (see SOFTPLUS_ERR_OVERFLOW). */
static int view_range(const char *base, size_t ndim, const size_t *shape, const ptrdiff_t *stride,
                      size_t elem_size, uintptr_t *lo, uintptr_t *hi)
{
    const size_t limit = max_elements(elem_size);
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
    if (!element_count(ndim, shape, &count, &empty))
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

softplus_status sp_check_contiguous(size_t ndim, const size_t *shape, size_t noperands, size_t elem_size,
                                    void *const *bases, size_t *count)
{
    /* the checks of sp_plan_build in its order, for views that are all C-contiguous */
    size_t n;
    int empty;
    if (!element_count(ndim, shape, &n, &empty))
        return SOFTPLUS_ERR_OVERFLOW;
    *count = empty ? 0 : n;
    if (empty)
        return SOFTPLUS_OK;
    for (size_t k = 0; k < noperands; k++)
        if (bases[k] == NULL)
            return SOFTPLUS_ERR_NULL;
    if (n - 1 > max_elements(elem_size))
        return SOFTPLUS_ERR_OVERFLOW;
    const uintptr_t bytes = (uintptr_t)n * elem_size;
    for (size_t k = 0; k < noperands; k++)
        if (UINTPTR_MAX - (uintptr_t)bases[k] < bytes)
            return SOFTPLUS_ERR_OVERFLOW;
    /* a contiguous output never names an element twice; an input is the output's view or apart from it */
    const uintptr_t out = (uintptr_t)bases[0];
    for (size_t k = 1; k < noperands; k++) {
        const uintptr_t in = (uintptr_t)bases[k];
        if (in != out && in < out + bytes && out < in + bytes)
            return SOFTPLUS_ERR_OVERLAP;
    }
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

void sp_gather_generic(void *dst, const char *src, ptrdiff_t stride_bytes, size_t n, size_t elem_size)
{
    unsigned char *d = dst;
    SP_BY_SIZE(d, (ptrdiff_t)elem_size, src, stride_bytes)
}

void sp_scatter_generic(char *dst, ptrdiff_t stride_bytes, const void *src, size_t n, size_t elem_size)
{
    const unsigned char *s = src;
    SP_BY_SIZE(dst, stride_bytes, s, (ptrdiff_t)elem_size)
}

/* Every ISA's pair: its own (src/arch/<arch>/strided_<isa>.c) or the one cmake/isa.cmake found down its
 * fallback chain (SP_COPY_ORIGIN_<isa>, "generic" for the scalar ISA). */
static const sp_strided_copy sp_strided_copy_generic = {sp_gather_generic, sp_scatter_generic};
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
    _Alignas(64) unsigned char buffer[SP_MAX_OPERANDS][SP_CHUNK_BYTES];
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

/* Whether an input walks the second dimension in smaller steps than the first (a transposed view): its
 * inner run then reads one element per cache line, and the next run of dimension 1 reads the next
 * element of the same lines. Such plans run in tiles: a block of the inner dimension for every index of
 * dimension 1 in turn, so each line is read while it is still cached (sp_plan_execute). */
static int transposed_input(const sp_plan *plan)
{
    if (plan->ndim < 2)
        return 0;
    for (size_t k = 1; k < plan->noperands; k++) {
        const size_t inner = magnitude(plan->stride[k][0]), outer = magnitude(plan->stride[k][1]);
        if (outer < inner && inner * plan->elem_size >= SP_LINE_BYTES)
            return 1;
    }
    return 0;
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
    const size_t chunk = SP_CHUNK_BYTES / (convert ? convert->compute_size : es);
    /* Tiled plans take dimension 1 inside the loop below, blocks of dimension 0 outside it; the
     * odometer then starts at dimension 2. */
    const int tiled = !contiguous && transposed_input(plan);
    const size_t first_outer = tiled ? 2 : 1;
    const size_t tile = SP_TILE_BYTES / (convert ? convert->compute_size : es);
    size_t index[SOFTPLUS_MAX_NDIM];
    for (size_t d = first_outer; d < plan->ndim; d++)
        index[d] = 0;
    for (;;) {
        if (contiguous) {
            fn(plan->shape[0], (void *const *)ptrs, ctx);
        } else if (!tiled) {
            run_buffered(plan, ptrs, step, plan->shape[0], chunk, fn, ctx, convert, copy);
        } else {
            for (size_t c0 = 0; c0 < plan->shape[0]; c0 += tile) {
                const size_t n = plan->shape[0] - c0 < tile ? plan->shape[0] - c0 : tile;
                char *row[SP_MAX_OPERANDS];
                for (size_t k = 0; k < nops; k++)
                    row[k] = ptrs[k] + (ptrdiff_t)c0 * step[k];
                for (size_t r = 0; r < plan->shape[1]; r++) {
                    run_buffered(plan, row, step, n, tile, fn, ctx, convert, copy);
                    for (size_t k = 0; k < nops; k++)
                        row[k] += plan->stride[k][1] * (ptrdiff_t)es;
                }
            }
        }
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

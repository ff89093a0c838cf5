/* strided.h -- shape/stride validation and normalisation, and the walk that feeds kernels contiguous runs.
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_STRIDED_H
#define SP_STRIDED_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h" /* sp_run_fn */
#include "softplus.h"

/* Operand 0 is the output; operands 1.. are inputs. */
#define SP_MAX_OPERANDS 3

/* A validated, normalised walk: size-1 dimensions dropped, negative output strides flipped (in every
 * operand at once), dimensions ordered innermost-first by output stride, and dimensions merged where
 * every operand is contiguous across them. dims[0] is the innermost. ndim >= 1 unless empty. */
typedef struct sp_plan {
    size_t ndim;
    size_t noperands;
    size_t elem_size;
    int empty;                                     /* nothing to do */
    size_t shape[SOFTPLUS_MAX_NDIM];
    char *base[SP_MAX_OPERANDS];
    ptrdiff_t stride[SP_MAX_OPERANDS][SOFTPLUS_MAX_NDIM]; /* in elements */
} sp_plan;

/* The elements of a built plan (the product fits: sp_plan_build checked every view's byte range). */
static inline size_t sp_plan_count(const sp_plan *plan)
{
    size_t count = 1;
    for (size_t d = 0; d < plan->ndim; d++)
        count *= plan->shape[d];
    return count;
}

/* elem_size is 1, 2, 4 or 8 bytes. Validates the tensor arguments (not ndim, shape != NULL or the op's parameters, which the caller
 * checks first) in the header's order: element count, emptiness, NULL data pointers, address ranges,
 * overlap; and on success fills plan. strides[k] may be NULL (C-contiguous). Reads no tensor data. */
softplus_status sp_plan_build(sp_plan *plan, size_t ndim, const size_t *shape, size_t noperands,
                              size_t elem_size, void *const *bases, const ptrdiff_t *const *strides);

/* ---- the checks both sp_plan_build and sp_check_contiguous make; inline, for the small call's path -- */

/* Whether a * b fits in [0, limit], limit < SIZE_MAX / 2. Factors below 2^(bits/2) cannot overflow
 * size_t, so the common case costs no division. */
static inline int sp_product_fits(size_t a, size_t b, size_t limit)
{
    const size_t half = (size_t)1 << (sizeof(size_t) * 4);
    if (a < half && b < half)
        return a * b <= limit;
    return a == 0 || b <= limit / a;
}

/* The product of the non-zero sizes into *count and whether a size is zero, or 0 when the product does
 * not fit ptrdiff_t. A count that overflows beside a zero dimension still describes an empty tensor; it
 * is rejected anyway, so that a shape gives the same status whatever the order of its dimensions. */
static inline int sp_element_count(size_t ndim, const size_t *shape, size_t *count, int *empty)
{
    if (ndim == 1) { /* the common case without the loop (n = 1 through the API: 0.82-0.86x the time) */
        *empty = shape[0] == 0;
        *count = *empty ? 1 : shape[0];
        return shape[0] <= PTRDIFF_MAX;
    }
    *count = 1;
    *empty = 0;
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] == 0)
            *empty = 1;
        else if (!sp_product_fits(*count, shape[d], PTRDIFF_MAX))
            return 0;
        else
            *count *= shape[d];
    }
    return 1;
}

/* The most elements a view may reach from its base either way, so that byte offsets fit ptrdiff_t;
 * constant divisors, one per element size. */
static inline size_t sp_max_elements(size_t elem_size)
{
    switch (elem_size) {
    case 1: return (size_t)PTRDIFF_MAX - 1;
    case 2: return (size_t)PTRDIFF_MAX / 2 - 1;
    case 4: return (size_t)PTRDIFF_MAX / 4 - 1;
    default: return (size_t)PTRDIFF_MAX / 8 - 1;
    }
}

/* sp_plan_build's checks, in its order and with its statuses, for the case where every strides pointer
 * is NULL (every view C-contiguous); on success *count is the element count (0 for an empty tensor)
 * and the elements are one run at the bases: no plan is needed. Inline: it is most of a small call's
 * validation. */
static inline softplus_status sp_check_contiguous(size_t ndim, const size_t *shape, size_t noperands,
                                                  size_t elem_size, void *const *bases, size_t *count)
{
    size_t n;
    int empty;
    if (!sp_element_count(ndim, shape, &n, &empty))
        return SOFTPLUS_ERR_OVERFLOW;
    *count = empty ? 0 : n;
    if (empty)
        return SOFTPLUS_OK;
    for (size_t k = 0; k < noperands; k++)
        if (bases[k] == NULL)
            return SOFTPLUS_ERR_NULL;
    if (n - 1 > sp_max_elements(elem_size))
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

/* Whether strides (NULL, or one per dimension) lay out shape C-contiguously: every dimension of a size other
 * than 1 steps by the product of the sizes inside it; a size-1 dimension's stride never moves and is not
 * read. Such a view is the NULL-strides one element for element (the same run, the same checks in
 * sp_check_contiguous), so a caller that always passes its strides, as a framework does, takes the small
 * call's path too. A running product that wraps can only match for a shape whose element count does not
 * fit, which sp_check_contiguous rejects as sp_plan_build would. */
static inline int sp_strides_contiguous(size_t ndim, const size_t *shape, const ptrdiff_t *strides)
{
    if (strides == NULL)
        return 1;
    size_t step = 1;
    for (size_t d = ndim; d-- > 0;) {
        if (shape[d] != 1 && strides[d] != (ptrdiff_t)step)
            return 0;
        step *= shape[d];
    }
    return 1;
}

/* The converting hook for a dtype stored in one type and computed in another (bfloat16 stored, float
 * computed): load widens n elements, src_stride bytes apart, into a contiguous compute array; store
 * narrows n contiguous compute elements into dst, dst_stride bytes apart. Both are exact functions of
 * the bits (no FP environment). */
typedef struct sp_convert {
    size_t compute_size; /* bytes of one compute element */
    void (*load)(void *dst, const char *src, ptrdiff_t src_stride, size_t n);
    void (*store)(char *dst, ptrdiff_t dst_stride, const void *src, size_t n);
} sp_convert;

/* The copies between a strided view and a contiguous buffer, one pair per ISA: gather sets dst[i] to the
 * element at src + i * stride and scatter stores src[i] at dst + i * stride, for i < n, elements of
 * elem_size bytes (1, 2, 4 or 8; stride in bytes, any multiple of elem_size, negative or zero for a
 * gather). Pure copies of bits (no FP instruction that could round, flush or trap), touching no byte of
 * the view outside its n elements (a scatter writes exactly those, so a neighbour's element between them
 * is never rewritten, even with its own value: another thread may own it). An ISA's pair vectorises what
 * its instructions do well (inner stride 2 de-interleaved from whole vectors, a reversed run) and hands
 * the rest to the generic loops; src/arch/<arch>/strided_<isa>.c. */
typedef struct sp_strided_copy {
    void (*gather)(void *dst, const char *src, ptrdiff_t stride, size_t n, size_t elem_size);
    void (*scatter)(char *dst, ptrdiff_t stride, const void *src, size_t n, size_t elem_size);
    /* A transposed view's tile into the tile buffer: element (i0, i1) at src + i0 * src_col + i1 *
     * elem_size (contiguous along i1) to dst + i1 * dst_row + i0 * elem_size, for i0 < n0, i1 < n1. */
    void (*transpose)(char *dst, ptrdiff_t dst_row, const char *src, ptrdiff_t src_col, size_t n0, size_t n1,
                      size_t elem_size);
} sp_strided_copy;

/* An ISA's gather from its 2-, 4- and 8-byte element copies, name##16, name##32 and name##64 taking the
 * stride in elements; other sizes go to the generic loop. */
#define SP_STRIDED_GATHER_BY_SIZE(fn, name)                                                          \
    static void fn(void *dst, const char *src, ptrdiff_t stride, size_t n, size_t elem_size)         \
    {                                                                                                \
        if (elem_size == 2)                                                                          \
            name##16(dst, (const uint16_t *)(const void *)src, stride / 2, n);                       \
        else if (elem_size == 4)                                                                     \
            name##32(dst, (const float *)(const void *)src, stride / 4, n);                          \
        else if (elem_size == 8)                                                                     \
            name##64(dst, (const double *)(const void *)src, stride / 8, n);                         \
        else                                                                                         \
            sp_gather_generic(dst, src, stride, n, elem_size);                                       \
    }

/* The generic element-by-element copies (the scalar ISA's, and every ISA's fallback). */
void sp_gather_generic(void *dst, const char *src, ptrdiff_t stride, size_t n, size_t elem_size);
void sp_scatter_generic(char *dst, ptrdiff_t stride, const void *src, size_t n, size_t elem_size);
void sp_transpose_generic(char *dst, ptrdiff_t dst_row, const char *src, ptrdiff_t src_col, size_t n0, size_t n1,
                          size_t elem_size);

/* The pair an ISA's kernel set uses: the ISA's own when this build compiled its helper file, else its
 * fallback's (src/lists.h; cmake/isa.cmake resolves the chain), down to the generic loops. */
const sp_strided_copy *sp_strided_copy_for(softplus_isa isa);

/* Runs fn over every element of a built, non-empty plan, fn always seeing contiguous arrays (fn is
 * called with n >= 1 elements: ptrs[0] the output, ptrs[1..] the inputs). Without a hook (convert
 * NULL) contiguous runs are passed in place and strided ones go through a stack buffer (gather the
 * inputs, compute, scatter the output, with copy's pair; NULL: the generic one); with one, every run
 * goes through the buffer, converted. */
void sp_plan_execute(const sp_plan *plan, sp_run_fn fn, const void *ctx, const sp_convert *convert,
                     const sp_strided_copy *copy);

/* ---- splitting a plan into parts for tasks (src/parallel.h) ---------------------------------------- */

/* The one-run plan of `count` C-contiguous elements at bases (what sp_check_contiguous accepted). */
void sp_plan_contiguous(sp_plan *plan, size_t count, size_t noperands, size_t elem_size, void *const *bases);

/* How a plan is cut: along dimension dim, into n parts of `unit` indices (the last may be shorter). */
typedef struct sp_split {
    size_t dim, unit, n;
} sp_split;

/* Where to cut a non-empty plan for `parts` parts: the outermost dimension that has that many units
 * (one index each, so that a part is whole rows of every operand), else the dimension with the most.
 * Along the inner run (dimension 0) a unit is one stack-buffer chunk, so that the parts' runs start on
 * the serial call's chunk boundaries. */
sp_split sp_plan_split(const sp_plan *plan, size_t parts);

/* Parts [begin, end) of the split, as a plan of their own (begin < end <= split->n). */
void sp_plan_part(sp_plan *part, const sp_plan *plan, const sp_split *split, size_t begin, size_t end);

#endif /* SP_STRIDED_H */

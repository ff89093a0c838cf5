/* strided.h -- shape/stride validation and normalisation, and the walk that feeds kernels contiguous runs.
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_STRIDED_H
#define SP_STRIDED_H

#include <stddef.h>

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

/* elem_size is 1, 2, 4 or 8 bytes. Validates the tensor arguments (not ndim, shape != NULL or the op's parameters, which the caller
 * checks first) in the header's order: element count, emptiness, NULL data pointers, address ranges,
 * overlap; and on success fills plan. strides[k] may be NULL (C-contiguous). Reads no tensor data. */
softplus_status sp_plan_build(sp_plan *plan, size_t ndim, const size_t *shape, size_t noperands,
                              size_t elem_size, void *const *bases, const ptrdiff_t *const *strides);

/* sp_plan_build's checks, in its order and with its statuses, for the case where every strides pointer
 * is NULL (every view C-contiguous); on success *count is the element count (0 for an empty tensor)
 * and the elements are one run at the bases: no plan is needed. */
softplus_status sp_check_contiguous(size_t ndim, const size_t *shape, size_t noperands, size_t elem_size,
                                    void *const *bases, size_t *count);

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
} sp_strided_copy;

/* The generic element-by-element copies (the scalar ISA's pair, and every ISA's fallback). */
void sp_gather_generic(void *dst, const char *src, ptrdiff_t stride, size_t n, size_t elem_size);
void sp_scatter_generic(char *dst, ptrdiff_t stride, const void *src, size_t n, size_t elem_size);

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

#endif /* SP_STRIDED_H */

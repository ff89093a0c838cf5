/* strided.h -- shape/stride validation and normalisation, and the walk that feeds kernels contiguous runs.
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_STRIDED_H
#define SP_STRIDED_H

#include <stddef.h>

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

/* Validates the tensor arguments (not ndim, shape != NULL or the op's parameters, which the caller
 * checks first) in the header's order: element count, emptiness, NULL data pointers, address ranges,
 * overlap; and on success fills plan. strides[k] may be NULL (C-contiguous). Reads no tensor data. */
softplus_status sp_plan_build(sp_plan *plan, size_t ndim, const size_t *shape, size_t noperands,
                              size_t elem_size, void *const *bases, const ptrdiff_t *const *strides);

/* Called with n >= 1 elements of contiguous arrays: ptrs[0] the output, ptrs[1..] the inputs. */
typedef void (*sp_run_fn)(size_t n, void *const *ptrs, const void *ctx);

/* Runs fn over every element of a built, non-empty plan. Runs whose inner stride is not 1 go through
 * a stack buffer (gather the inputs, compute, scatter the output) so that fn always sees contiguous
 * arrays. */
void sp_plan_execute(const sp_plan *plan, sp_run_fn fn, const void *ctx);

#endif /* SP_STRIDED_H */

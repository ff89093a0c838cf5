/* any_params.h -- beta and threshold for any dtype's kernel, narrowed to its compute type (tests only).
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_TEST_ANY_PARAMS_H
#define SP_TEST_ANY_PARAMS_H

#include <string.h>

#include "kernels.h"

/* One member per dtype of src/lists.h: the sp_params_<ctag> its kernels take. */
typedef union sp_any_params {
#define SP_ANY_PARAMS(ctx, tag, TAG, storage, size, compute, ctag) sp_params_##ctag tag;
    SP_DTYPES(SP_ANY_PARAMS, ~)
#undef SP_ANY_PARAMS
} sp_any_params;

static inline sp_any_params any_params(sp_dtype dtype, double beta, double threshold)
{
    sp_any_params p;
    memset(&p, 0, sizeof p);
    switch (dtype) {
#define SP_ANY_PARAMS_CASE(ctx, tag, TAG, storage, size, compute, ctag)                               \
    case SP_DTYPE_##TAG:                                                                             \
        p.tag.beta = (compute)beta;                                                                  \
        p.tag.threshold = (compute)threshold;                                                        \
        break;
        SP_DTYPES(SP_ANY_PARAMS_CASE, ~)
#undef SP_ANY_PARAMS_CASE
    case SP_DTYPE_COUNT: break;
    }
    return p;
}

#endif /* SP_TEST_ANY_PARAMS_H */

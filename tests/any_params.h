/* any_params.h -- beta and threshold for any dtype's kernel, narrowed to its compute type, and element i of
 * a buffer of any element size as a bit pattern (tests only).
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_TEST_ANY_PARAMS_H
#define SP_TEST_ANY_PARAMS_H

#include <stdint.h>
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

/* Element i of buf, whose elements are `size` (4 or 8) bytes, as the low bits of a uint64_t. */
static inline uint64_t elem_get(const void *buf, size_t i, size_t size)
{
    const unsigned char *at = (const unsigned char *)buf + i * size;
    if (size == 4) {
        uint32_t u;
        memcpy(&u, at, 4);
        return u;
    }
    uint64_t u;
    memcpy(&u, at, 8);
    return u;
}

static inline void elem_put(void *buf, size_t i, size_t size, uint64_t bits)
{
    unsigned char *at = (unsigned char *)buf + i * size;
    if (size == 4) {
        const uint32_t u = (uint32_t)bits;
        memcpy(at, &u, 4);
    } else {
        memcpy(at, &bits, 8);
    }
}

#endif /* SP_TEST_ANY_PARAMS_H */

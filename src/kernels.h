/* kernels.h -- the internal kernel contract: elementwise softplus on contiguous arrays.
 * SPDX-License-Identifier: MIT
 *
 * A kernel computes n elements of one op on contiguous arrays and knows nothing of shapes, strides or
 * errors: the caller (src/softplus.c) has validated everything. Invariants a kernel may rely on:
 *   - n >= 1 and every pointer is valid for n elements, aligned to its element type only;
 *   - the output is either exactly an input array (in-place) or disjoint from every input, so reading
 *     element i of the inputs before writing element i of the output is always safe;
 *   - beta is finite and non-zero, threshold is not NaN.
 * A kernel must give the same result for an element whatever its position (tails included) and must
 * not touch memory outside [p, p + n) of any array.
 *
 * Names: sp_<op>_<dtype>_<isa>, e.g. sp_fwd_f32_avx2; ISA tags: scalar, sse41, avx2, avx512, neon.
 */
#ifndef SP_KERNELS_H
#define SP_KERNELS_H

#include <stddef.h>

#include "softplus.h"

typedef struct sp_params_f32 {
    float beta;
    float threshold;
} sp_params_f32;

typedef struct sp_params_f64 {
    double beta;
    double threshold;
} sp_params_f64;

typedef void (*sp_fwd_f32_fn)(size_t n, const float *x, float *y, const sp_params_f32 *p);
typedef void (*sp_fwd_f64_fn)(size_t n, const double *x, double *y, const sp_params_f64 *p);
typedef void (*sp_bwd_f32_fn)(size_t n, const float *dy, const float *x, float *dx,
                              const sp_params_f32 *p);
typedef void (*sp_bwd_f64_fn)(size_t n, const double *dy, const double *x, double *dx,
                              const sp_params_f64 *p);

/* One instruction set's kernels. Every member is non-NULL. */
typedef struct sp_kernel_set {
    softplus_isa isa;
    sp_fwd_f32_fn fwd_f32;
    sp_fwd_f64_fn fwd_f64;
    sp_bwd_f32_fn bwd_f32;
    sp_bwd_f64_fn bwd_f64;
} sp_kernel_set;

#define SP_DECLARE_KERNELS(isa)                                                                      \
    void sp_fwd_f32_##isa(size_t n, const float *x, float *y, const sp_params_f32 *p);               \
    void sp_fwd_f64_##isa(size_t n, const double *x, double *y, const sp_params_f64 *p);             \
    void sp_bwd_f32_##isa(size_t n, const float *dy, const float *x, float *dx,                      \
                          const sp_params_f32 *p);                                                   \
    void sp_bwd_f64_##isa(size_t n, const double *dy, const double *x, double *dx,                   \
                          const sp_params_f64 *p)

SP_DECLARE_KERNELS(scalar);
#ifdef SP_HAVE_SSE41
SP_DECLARE_KERNELS(sse41);
#endif
#ifdef SP_HAVE_AVX2
SP_DECLARE_KERNELS(avx2);
#endif
#ifdef SP_HAVE_AVX512
SP_DECLARE_KERNELS(avx512);
#endif
#ifdef SP_HAVE_NEON
SP_DECLARE_KERNELS(neon);
#endif

/* Worst errors in ULP that the tests enforce for each kernel family, beta = 1 and any other beta.
 * A kernel file states the error it measured; these are the contract. */
#define SP_SCALAR_F32_MAX_ULP 1.0
#define SP_SCALAR_F64_MAX_ULP 2.0

#endif /* SP_KERNELS_H */

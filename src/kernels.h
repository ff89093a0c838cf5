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

/* For kernel files: the special-case path stays out of line so the fast path stays small, and the
 * vector helpers are always inlined into it. */
#if defined(__GNUC__) || defined(__clang__)
#define SP_NOINLINE __attribute__((noinline))
#define SP_INLINE static inline __attribute__((always_inline))
#else
#define SP_NOINLINE
#define SP_INLINE static inline
#endif

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

/* One instruction set's kernels. Every member is non-NULL. An ISA that has kernels for only one
 * dtype borrows the other dtype's from the best ISA below it (see dispatch.c), so a set is always
 * complete; tests find a kernel's own bound by its function, not by the set it sits in. */
typedef struct sp_kernel_set {
    softplus_isa isa;
    sp_fwd_f32_fn fwd_f32;
    sp_bwd_f32_fn bwd_f32;
    sp_fwd_f64_fn fwd_f64;
    sp_bwd_f64_fn bwd_f64;
} sp_kernel_set;

#define SP_DECLARE_F32_KERNELS(isa)                                                                  \
    void sp_fwd_f32_##isa(size_t n, const float *x, float *y, const sp_params_f32 *p);               \
    void sp_bwd_f32_##isa(size_t n, const float *dy, const float *x, float *dx,                      \
                          const sp_params_f32 *p)
#define SP_DECLARE_F64_KERNELS(isa)                                                                  \
    void sp_fwd_f64_##isa(size_t n, const double *x, double *y, const sp_params_f64 *p);             \
    void sp_bwd_f64_##isa(size_t n, const double *dy, const double *x, double *dx,                   \
                          const sp_params_f64 *p)

/* SP_HAVE_<ISA>_<DTYPE> is defined by the build (cmake/isa.cmake) for each kernel file it compiles. */
SP_DECLARE_F32_KERNELS(scalar);
SP_DECLARE_F64_KERNELS(scalar);
#ifdef SP_HAVE_SSE41_F32
SP_DECLARE_F32_KERNELS(sse41);
#endif
#ifdef SP_HAVE_SSE41_F64
SP_DECLARE_F64_KERNELS(sse41);
#endif
#ifdef SP_HAVE_AVX2_F32
SP_DECLARE_F32_KERNELS(avx2);
#endif
#ifdef SP_HAVE_AVX2_F64
SP_DECLARE_F64_KERNELS(avx2);
#endif
#ifdef SP_HAVE_AVX512_F32
SP_DECLARE_F32_KERNELS(avx512);
#endif
#ifdef SP_HAVE_AVX512_F64
SP_DECLARE_F64_KERNELS(avx512);
#endif
#ifdef SP_HAVE_NEON_F32
SP_DECLARE_F32_KERNELS(neon);
#endif
#ifdef SP_HAVE_NEON_F64
SP_DECLARE_F64_KERNELS(neon);
#endif

/* Worst errors in ULP that the tests enforce, per kernel file: SP_MAX_ULP_<DTYPE>_<ISA> for beta = 1
 * and SP_MAX_ULP_BETA_<DTYPE>_<ISA> for any other beta (where rounding beta*x and dividing by beta
 * cost something). Forward is measured against the exact function, backward as dx against
 * dy*sigmoid(beta*x) exactly. A kernel file's header states what it measured; these are the
 * contract, and a kernel that cannot meet one says so in its issue rather than loosening it. */
#define SP_MAX_ULP_F32_SCALAR 1.0
#define SP_MAX_ULP_BETA_F32_SCALAR 1.0
#define SP_MAX_ULP_F64_SCALAR 1.0
#define SP_MAX_ULP_BETA_F64_SCALAR 1.0

#define SP_MAX_ULP_F32_SSE41 0.75
#define SP_MAX_ULP_BETA_F32_SSE41 0.75
#define SP_MAX_ULP_F64_SSE41 1.0
#define SP_MAX_ULP_BETA_F64_SSE41 1.0

#define SP_MAX_ULP_F32_AVX2 1.0
#define SP_MAX_ULP_BETA_F32_AVX2 1.0
#define SP_MAX_ULP_F64_AVX2 1.0
#define SP_MAX_ULP_BETA_F64_AVX2 1.0

#define SP_MAX_ULP_F32_AVX512 1.0
#define SP_MAX_ULP_BETA_F32_AVX512 1.0
#define SP_MAX_ULP_F64_AVX512 1.0
#define SP_MAX_ULP_BETA_F64_AVX512 1.0

#define SP_MAX_ULP_F32_NEON 1.0
#define SP_MAX_ULP_BETA_F32_NEON 1.0
#define SP_MAX_ULP_F64_NEON 1.0
#define SP_MAX_ULP_BETA_F64_NEON 1.0

#endif /* SP_KERNELS_H */

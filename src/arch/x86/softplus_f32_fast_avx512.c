/* softplus_f32_fast_avx512.c -- the fast tier's f32 softplus forward and backward kernels for AVX-512.
 * SPDX-License-Identifier: MIT
 *
 * The algorithm of arch/softplus_f32_fast_algorithm.h (method, polynomials, measured errors and special
 * values are in its header comment: within 4 ULP, no table) on 16 lanes, in the loops of
 * arch/softplus_f32_kernels.h, with the same bits as the AVX2 and NEON fast kernels for every input
 * and beta. Speed: README.md and bench/bench_softplus (rows "avx512 fast").
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#include "arch/x86/softplus_f32_avx512_ops.h"

#include "arch/softplus_f32_fast_algorithm.h"
#include "arch/softplus_f32_kernels.h"

void sp_fwd_f32_avx512_fast(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    sp_f32_fwd(n, x, y, p);
}

void sp_bwd_f32_avx512_fast(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    sp_f32_bwd(n, dy, x, dx, p);
}

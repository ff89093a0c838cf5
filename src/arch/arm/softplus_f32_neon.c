/* softplus_f32_neon.c -- f32 softplus forward and backward kernels for aarch64 Advanced SIMD (NEON).
 * SPDX-License-Identifier: MIT
 *
 * The algorithm of arch/softplus_f32_fma_algorithm.h (method, polynomials, measured errors and
 * special values are in its header comment) on 4 lanes, in the loops of arch/softplus_f32_kernels.h,
 * with the same bits as the x86 FMA kernels for every input, beta and threshold. How each x86
 * operation is reproduced (the macros below):
 *   FMA/FMS/FNMA  vfmaq_f32 / vfmsq_f32, one rounding like vfmadd/vfmsub/vfnmadd; a*b - c is formed as
 *                 a*b + (-c) (not -(c - a*b)) so that an exact zero gets the sign x86 gives it.
 *   MUL           vmulq_f32: the same bits as the x86 fma(a, b, -0) (that spelling is for Zen 5 speed).
 *   MIN/MAX       compare and select: x86 min/max return the second operand when the operands are
 *                 equal (+0 vs -0) or unordered, where vminq/vmaxq would pick -0/+0 or return NaN.
 *   SCALE         the AVX2 spelling of scalef, (a*2^(floor(n)+64))*2^-64 (floor by vcvtmq_s32_f32),
 *                 which gives the bits of AVX-512's scalef for the n that occur.
 *   LOOKUP_T/J    TBL on the tables as bytes: index (k mod 8) resp. (j mod 16), read from the low
 *                 mantissa bits of the shifted k and j exactly as the x86 permutes read them.
 *   masks         all-ones lanes (vcgtq/vcltq; NOT_FINITE = !(|a| < inf), true for NaN, like _CMP_NLT_UQ).
 * Identity with x86 was checked on 16.8 million inputs (every 256th bit pattern, the specials and the
 *   neighbourhoods of z = 0, +-20, -64, +-128) times 16 betas, 3 thresholds, forward and backward
 *   with mixed dy; test_digest and test_fma_identity check it under qemu-aarch64, and a sampled
 *   ulp_sweep there (beta = 1 every 64th float) finds 0.765 ULP at x = -0x1.58a7bep+6 (got
 *   0x1.9d8b4cp-125, want 0x1.9d8b4d87ad8ap-125), within the exhaustive x86 figures.
 * Speed: not measured (no aarch64 hardware here; qemu timings say nothing about it).
 */
#include <arm_neon.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#include "arch/softplus_f32_fma_constants.h"

#include "arch/arm/softplus_f32_neon_ops.h"

#include "arch/softplus_f32_fma_algorithm.h"
#include "arch/softplus_f32_kernels.h"

void sp_fwd_f32_neon(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    sp_f32_fwd(n, x, y, p);
}

void sp_bwd_f32_neon(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    sp_f32_bwd(n, dy, x, dx, p);
}

void sp_dbwd_f32_neon(size_t n, const float *g, const float *x, float *out, const sp_params_f32 *p)
{
    sp_f32_dbwd(n, g, x, out, p);
}

void sp_bbeta_f32_neon(size_t n, const float *dy, const float *x, float *dbeta, const sp_params_f32 *p)
{
    sp_f32_bbeta(n, dy, x, dbeta, p);
}

void sp_inv_f32_neon(size_t n, const float *y, float *x, const sp_params_f32 *p)
{
    sp_f32_inv(n, y, x, p);
}

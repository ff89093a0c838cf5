/* softplus_f32_masks.h -- lane-mask helpers the f32 algorithm texts share, written in vector ops.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: arch/softplus_f32_fma_algorithm.h and arch/softplus_f32_fast_algorithm.h (and
 * through it arch/softplus_half_fused.h) include it, after the ISA's vector ops (vf, F, FMA, ZERO).
 */
#ifndef SP_F32_MASKS_H
#define SP_F32_MASKS_H

/* c where m is finite and NaN where it is not (m*0 is NaN for +-inf and NaN, +-0 otherwise, and c + +-0 is c):
 * an unordered compare against it flags the lanes where m is not finite as well as those the compare
 * itself selects, one multiply-add and one compare in place of two compares and their or (per 16 lanes
 * on AVX-512 also one mask move fewer). Its result is c or NaN, never subnormal, whatever m is; a product
 * by zero takes no microcode assist on Intel even for a subnormal m (measured, December 2026). */
SP_INLINE vf sp_nan_unless_finite(vf m, float c)
{
    return FMA(m, ZERO(), F(c));
}

#endif

/* softplus_half_neon.c -- bf16 and f16 kernels of the neon set, every op, correctly rounded, fused
 * on 4 lanes (arch/softplus_half_fused.h; the block driver of arch/softplus_half_kernels.h over this
 * set's float and double kernels for the betas out of the vector range).
 * SPDX-License-Identifier: MIT
 */
#include <arm_neon.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#include "arch/arm/softplus_f32_neon_ops.h"

#include "arch/softplus_f32_fast_algorithm.h"

/* the half-vector operations of arch/softplus_half_fused.h: 4 patterns in a d register; fcvtl is exact
 * and fcvtn rounds once in FPCR's mode, round-to-nearest-even inside the library (src/fpenv.c clears
 * FPCR's control bits: no flush to zero, no default NaN), subnormals and overflow included */
typedef uint16x4_t vh;
#define HALF_LOAD(p) vld1_u16(p)
#define HALF_STORE(p, h) vst1_u16(p, h)
/* the first k = 1..3 patterns, zeros above, and the way back (arch/softplus_half_fused.h's integer moves) */
#define HALF_LOAD_TAIL(p, k) vcreate_u16(sp_half_bits_load(p, k))
#define HALF_STORE_TAIL(p, h, k) sp_half_bits_store(p, vget_lane_u64(vreinterpret_u64_u16(h), 0), k)
#define WIDEN_BF16(h) vreinterpretq_f32_u32(vshll_n_u16(h, 16))
#define WIDEN_F16(h) vcvt_f32_f16(vreinterpret_f16_u16(h))
#define NARROW_F16(y) vreinterpret_u16_f16(vcvt_f16_f32(y))
#define TOP_HALVES(a) vshrn_n_u32(vreinterpretq_u32_f32(a), 16)
/* two vectors' patterns, the first in the low half: joined, the top 16 bits of each float lane (the odd
 * 16-bit elements of both), stored */
typedef uint16x8_t vh2;
#define HALF_JOIN(h0, h1) vcombine_u16(h0, h1)
#define TOP_HALVES2(a, b) vuzp2q_u16(vreinterpretq_u16_f32(a), vreinterpretq_u16_f32(b))
#define HALF_STORE2(p, h) vst1q_u16(p, h)
/* lanes where bits(a) & mask is zero; where (bits(a) & low) <= bound, unsigned */
#define LOW_BITS_ZERO(a, mask) vceqzq_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(mask)))
#define LOW_BITS_LE(a, low, bound) vcleq_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(low)), vdupq_n_u32(bound))

#define SP_HALF_FUSED 1 /* every op: arch/softplus_half_fused.h */
#include "arch/softplus_half_kernels.h"

SP_HALF_KERNELS(neon, NEON)
SP_HALF_CHEAP_EVAL(neon)

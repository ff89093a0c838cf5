/* softplus_f32_neon_ops.h -- the f32 vector operations both neon kernel files are written in: the
 * strict tier's (arch/softplus_f32_fma_algorithm.h) and the fast tier's (arch/softplus_f32_fast_algorithm.h),
 * plus what the loop driver (arch/softplus_loop.h) needs: types, loads and stores with their tails,
 * arithmetic with the rounding of the AVX-512 spelling, compares, masks and lookups.
 * SPDX-License-Identifier: MIT
 *
 * Included once per kernel file, after kernels.h, before the algorithm text.
 */
#ifndef SP_ARCH_ARM_SOFTPLUS_F32_NEON_OPS_H
#define SP_ARCH_ARM_SOFTPLUS_F32_NEON_OPS_H

#include <arm_neon.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#if defined(__ARM_BIG_ENDIAN)
#error "softplus_f32_neon_ops.h: the table lookups assume little-endian lanes"
#endif

typedef float32x4_t vf;
typedef uint32x4_t vm; /* lane masks are all-ones/all-zeros */
#define F(c) vdupq_n_f32(c)
#define ADD(a, b) vaddq_f32(a, b)
#define SUB(a, b) vsubq_f32(a, b)
/* the x86 files spell a*b as fma(a, b, -0) for speed on Zen 5: the same bits as a plain multiply */
#define MUL(a, b) vmulq_f32(a, b)
#define DIV(a, b) vdivq_f32(a, b)                  /* IEEE division, one rounding */
#define FMA(a, b, c) vfmaq_f32(c, a, b)            /* a*b + c, one rounding */
#define FMS(a, b, c) vfmaq_f32(vnegq_f32(c), a, b) /* a*b + (-c): x86 vfmsub, zero signs included */
#define FNMA(a, b, c) vfmsq_f32(c, a, b)           /* (-a*b) + c: x86 vfnmadd */
#define MIN(a, b) vbslq_f32(vcltq_f32(a, b), a, b) /* x86 semantics: b when unordered or equal */
#define MAX(a, b) vbslq_f32(vcgtq_f32(a, b), a, b)
#define ABS(a) vabsq_f32(a)
#define SIGN(a) vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(0x80000000u)))
#define XOR(a, b) vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)))
/* 32-bit integer add and left shift on the lanes' bits */
#define IADD(a, b) vreinterpretq_f32_u32(vaddq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)))
#define ISHL(a, n) vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(a), n))
/* 32-bit integer subtract, and the lanes' bits and a 32-bit constant */
#define ISUB(a, b) vreinterpretq_f32_u32(vsubq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)))
#define IAND(a, u) vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(u)))
/* for a in [0, 2^31): the nearest integer, ties to even, as the lanes' bits */
#define RINT_BITS(a) vreinterpretq_f32_s32(vcvtnq_s32_f32(a))
#define SCALE(a, n, qe) ((void)(n), sp_scale(a, qe))
/* for a positive normal a = 2^k m, m in [1, 2): k as a float and m (exact; other lanes: anything) */
#define LOGB(a)                                                                                      \
    vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_f32(a), 23)), vdupq_n_s32(127)))
#define MANT(a)                                                                                      \
    vreinterpretq_f32_u32(                                                                           \
        vorrq_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(0x007fffffu)), vdupq_n_u32(0x3f800000u)))
#define LOOKUP_T(k, tab) vreinterpretq_f32_u8(vqtbl2q_u8(sp_tab8(tab), sp_byte_index(k, 7u)))   /* k mod 8 */
#define LOOKUP_J(j, tab) vreinterpretq_f32_u8(vqtbl4q_u8(sp_tab16(tab), sp_byte_index(j, 15u))) /* j mod 16 */
#define GT(a, b) vcgtq_f32(a, b)
#define LT(a, b) vcltq_f32(a, b)
#define NGE(a, b) vmvnq_u32(vcgeq_f32(a, b)) /* !(a >= b): true when unordered, like _CMP_NGE_UQ */
#define NOT_FINITE(a) vmvnq_u32(vcaltq_f32(a, F(INFINITY))) /* !(|a| < inf): NaN and +-inf */
#define OR_MASK(m1, m2) vorrq_u32(m1, m2)
#define SELECT(m, a, b) vbslq_f32(m, a, b) /* m ? a : b */
#define ZERO() vdupq_n_f32(0.0f)
#define SP_LOOP_W 4
#define SP_LOOP_LOADU(p) vld1q_f32(p)
#define SP_LOOP_STOREU(p, v) vst1q_f32(p, v)
#define SP_LOOP_LOADA(p) vld1q_f32(p)
#define SP_LOOP_STOREA(p, v) vst1q_f32(p, v)
#define SP_LOOP_BITS(m) sp_mask_bits(m)
/* The last k = 1..3 elements as a vector with zeros above, built in a register by one 8-byte and one
 * lane load (a vector load of single-element stores in a stack copy waits for them to retire), and the
 * way back. */
SP_INLINE float32x4_t sp_load_tail(const float *p, size_t k)
{
    const float32x4_t lo = k >= 2 ? vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f)) : vsetq_lane_f32(*p, vdupq_n_f32(0.0f), 0);
    return k == 3 ? vld1q_lane_f32(p + 2, lo, 2) : lo;
}

SP_INLINE void sp_store_tail(float *p, float32x4_t v, size_t k)
{
    if (k >= 2)
        vst1_f32(p, vget_low_f32(v));
    else
        vst1q_lane_f32(p, v, 0);
    if (k == 3)
        vst1q_lane_f32(p + 2, v, 2);
}
#define SP_LOOP_LOAD_TAIL(p, k) sp_load_tail(p, k)
#define SP_LOOP_STORE_TAIL(p, v, k) sp_store_tail(p, v, k)

/* a*2^-q from qe = q << 23, q in [0, 190]: the AVX2 file's sp_scale, bit for bit AVX-512's scalef */
SP_INLINE vf sp_scale(vf a, vf qe)
{
    return MUL(MUL(a, ISUB(F(0x1p64f), qe)), F(0x1p-64f));
}

/* TBL byte indices of float entry (bits(v) & mask) of a table: 4i, 4i+1, 4i+2, 4i+3 in each lane */
SP_INLINE uint8x16_t sp_byte_index(vf v, uint32_t mask)
{
    const uint32x4_t i = vandq_u32(vreinterpretq_u32_f32(v), vdupq_n_u32(mask));
    return vreinterpretq_u8_u32(vmlaq_u32(vdupq_n_u32(0x03020100u), i, vdupq_n_u32(0x04040404u)));
}

/* a table's first 8 resp. 16 floats as TBL registers (loop-invariant: the loads leave the loop) */
SP_INLINE uint8x16x2_t sp_tab8(const float *tab)
{
    const uint8_t *b = (const uint8_t *)tab;
    const uint8x16x2_t t = {{vld1q_u8(b), vld1q_u8(b + 16)}};
    return t;
}

SP_INLINE uint8x16x4_t sp_tab16(const float *tab)
{
    const uint8_t *b = (const uint8_t *)tab;
    const uint8x16x4_t t = {{vld1q_u8(b), vld1q_u8(b + 16), vld1q_u8(b + 32), vld1q_u8(b + 48)}};
    return t;
}

SP_INLINE uint64_t sp_mask_bits(vm m)
{
    const uint32x4_t bit = {1u, 2u, 4u, 8u};
    return vaddvq_u32(vandq_u32(m, bit));
}

/* the fast tier's: bitwise or, the lanes whose sign bit is set (all-ones lanes), and no lanes */
#define OR(a, b) vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)))
#define SIGN_MASK(a) vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_f32(a), 31))
#define NO_LANES() vdupq_n_u32(0u)

#endif /* SP_ARCH_ARM_SOFTPLUS_F32_NEON_OPS_H */

/* softplus_f32_fast_neon.c -- the fast tier's f32 softplus forward and backward kernels for aarch64 NEON.
 * SPDX-License-Identifier: MIT
 *
 * The algorithm of arch/softplus_f32_fast_algorithm.h (method, polynomials, measured errors and special
 * values are in its header comment: within 4 ULP, no table) on 4 lanes, in the loops of
 * arch/softplus_f32_kernels.h, with the same bits as the AVX2 and AVX-512 fast kernels for every input
 * and beta (tests/accuracy/test_digest.c, under qemu-aarch64). The operations keep the x86 files'
 * rounding and min/max semantics, as the strict NEON file does.
 */
#include <arm_neon.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* ---- the operations of arch/softplus_f32_fast_algorithm.h and arch/softplus_loop.h ------------ */
typedef float32x4_t vf;
typedef uint32x4_t vm; /* lane masks are all-ones/all-zeros */
#define F(c) vdupq_n_f32(c)
#define ADD(a, b) vaddq_f32(a, b)
#define SUB(a, b) vsubq_f32(a, b)
#define MUL(a, b) vmulq_f32(a, b)                  /* the x86 files' fma(a, b, -0): the same bits */
#define FMA(a, b, c) vfmaq_f32(c, a, b)            /* a*b + c, one rounding */
#define FMS(a, b, c) vfmaq_f32(vnegq_f32(c), a, b) /* a*b + (-c): x86 vfmsub, zero signs included */
#define FNMA(a, b, c) vfmsq_f32(c, a, b)           /* (-a*b) + c: x86 vfnmadd */
#define MIN(a, b) vbslq_f32(vcltq_f32(a, b), a, b) /* x86 semantics: b when unordered or equal */
#define MAX(a, b) vbslq_f32(vcgtq_f32(a, b), a, b)
#define ABS(a) vabsq_f32(a)
#define SIGN(a) vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(0x80000000u)))
#define XOR(a, b) vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)))
#define GT(a, b) vcgtq_f32(a, b)
#define LT(a, b) vcltq_f32(a, b)
#define NOT_FINITE(a) vmvnq_u32(vcaltq_f32(a, F(INFINITY))) /* !(|a| < inf): NaN and +-inf */
#define NOT_LE_ABS(a, c) vmvnq_u32(vcaleq_f32(a, c))        /* !(|a| <= |c|), NaN included */
#define OR_MASK(m1, m2) vorrq_u32(m1, m2)
#define SELECT(m, a, b) vbslq_f32(m, a, b) /* m ? a : b */
#define ZERO() vdupq_n_f32(0.0f)
/* 2^(64-q) from kshift = 0x1.8p23 + q: the low 9 bits of its pattern are q, shifted into the exponent */
#define POW2_64_MINUS_Q(kshift)                                                                      \
    vreinterpretq_f32_s32(                                                                           \
        vsubq_s32(vdupq_n_s32((127 + 64) << 23), vshlq_n_s32(vreinterpretq_s32_f32(kshift), 23)))
#define SP_LOOP_W 4
#define SP_LOOP_LOADU(p) vld1q_f32(p)
#define SP_LOOP_STOREU(p, v) vst1q_f32(p, v)
#define SP_LOOP_LOADA(p) vld1q_f32(p)
#define SP_LOOP_STOREA(p, v) vst1q_f32(p, v)
#define SP_LOOP_BITS(m) sp_mask_bits(m)

SP_INLINE uint64_t sp_mask_bits(vm m)
{
    const uint32x4_t bit = {1u, 2u, 4u, 8u};
    return vaddvq_u32(vandq_u32(m, bit));
}

#include "arch/softplus_f32_fast_algorithm.h"
#include "arch/softplus_f32_kernels.h"

void sp_fwd_f32_neon_fast(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    sp_f32_fwd(n, x, y, p);
}

void sp_bwd_f32_neon_fast(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    sp_f32_bwd(n, dy, x, dx, p);
}

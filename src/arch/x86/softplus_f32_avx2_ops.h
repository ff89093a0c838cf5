/* softplus_f32_avx2_ops.h -- the f32 vector operations both avx2 kernel files are written in: the
 * strict tier's (arch/softplus_f32_fma_algorithm.h) and the fast tier's (arch/softplus_f32_fast_algorithm.h),
 * plus what the loop driver (arch/softplus_loop.h) needs: types, loads and stores with their tails,
 * arithmetic with the rounding of the AVX-512 spelling, compares, masks and lookups.
 * SPDX-License-Identifier: MIT
 *
 * Included once per kernel file, after kernels.h, before the algorithm text.
 */
#ifndef SP_ARCH_X86_SOFTPLUS_F32_AVX2_OPS_H
#define SP_ARCH_X86_SOFTPLUS_F32_AVX2_OPS_H

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#include "arch/x86/f32_tail_sse41.h"

typedef __m256 vf;
typedef __m256 vm; /* lane masks are all-ones/all-zeros vectors */
#define F(c) _mm256_set1_ps(c)
#define ADD(a, b) _mm256_add_ps(a, b)
#define SUB(a, b) _mm256_sub_ps(a, b)
/* a*b as fma(a, b, -0): the same bits (-0 is the additive identity for every result, zeros
 * included), but a multiply whose result is subnormal is several times slower on AMD Zen 5 */
#define MUL(a, b) _mm256_fmadd_ps(a, b, F(-0.0f))
#define DIV(a, b) _mm256_div_ps(a, b)           /* IEEE division, one rounding */
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)   /* a*b + c, one rounding */
#define FMS(a, b, c) _mm256_fmsub_ps(a, b, c)   /* a*b - c */
#define FNMA(a, b, c) _mm256_fnmadd_ps(a, b, c) /* c - a*b */
#define MIN(a, b) _mm256_min_ps(a, b)           /* x86 semantics: b when unordered or equal */
#define MAX(a, b) _mm256_max_ps(a, b)
#define ABS(a) _mm256_andnot_ps(F(-0.0f), a)
#define SIGN(a) _mm256_and_ps(F(-0.0f), a)
#define XOR(a, b) _mm256_xor_ps(a, b)
/* 32-bit integer add and left shift on the lanes' bits */
#define IADD(a, b) _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(a), _mm256_castps_si256(b)))
#define ISHL(a, n) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(a), n))
/* 32-bit integer subtract, and the lanes' bits and a 32-bit constant */
#define ISUB(a, b) _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_castps_si256(a), _mm256_castps_si256(b)))
#define IAND(a, u) _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32((int)(u))))
/* for a in [0, 2^31): the nearest integer, ties to even (MXCSR's default rounding), as the lanes' bits */
#define RINT_BITS(a) _mm256_castsi256_ps(_mm256_cvtps_epi32(a))
#define SCALE(a, n, qe) ((void)(n), sp_scale(a, qe))
/* for a positive normal a = 2^k m, m in [1, 2): k as a float and m (exact; other lanes: anything) */
#define LOGB(a)                                                                                      \
    _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(_mm256_castps_si256(a), 23), _mm256_set1_epi32(127)))
#define MANT(a)                                                                                      \
    _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32(0x007fffff)), \
                                        _mm256_set1_epi32(0x3f800000)))
#define LOOKUP_T(k, tab) _mm256_permutevar8x32_ps(_mm256_loadu_ps(tab), _mm256_castps_si256(k)) /* k mod 8 */
#define LOOKUP_J(j, tab) sp_lookup16(j, tab)                                                     /* j mod 16 */
#define GT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define NGE(a, b) _mm256_cmp_ps(a, b, _CMP_NGE_UQ) /* !(a >= b): true when unordered */
#define NOT_FINITE(a) _mm256_cmp_ps(ABS(a), F(INFINITY), _CMP_NLT_UQ)
#define OR_MASK(m1, m2) _mm256_or_ps(m1, m2)
#define SELECT(m, a, b) _mm256_blendv_ps(b, a, m) /* m ? a : b */
#define ZERO() _mm256_setzero_ps()
#define SP_LOOP_W 8
#define SP_LOOP_LOADU(p) _mm256_loadu_ps(p)
#define SP_LOOP_STOREU(p, v) _mm256_storeu_ps(p, v)
#define SP_LOOP_LOADA(p) _mm256_load_ps(p)
#define SP_LOOP_STOREA(p, v) _mm256_store_ps(p, v)
#define SP_LOOP_STREAM(p, v) _mm256_stream_ps(p, v)
#define SP_LOOP_STREAM_FENCE() _mm_sfence()
#define SP_LOOP_BITS(m) ((uint64_t)_mm256_movemask_ps(m))
/* The last k = 1..7 elements as a vector with zeros above and the way back, in registers: a 128-bit half
 * and the rest by arch/x86/f32_tail_sse41.h's moves. */
SP_INLINE __m256 sp_load_tail(const float *p, size_t k)
{
    if (k < 4)
        return _mm256_zextps128_ps256(sp_load_tail3(p, k));
    const __m128 lo = _mm_loadu_ps(p);
    return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), k > 4 ? sp_load_tail3(p + 4, k - 4) : _mm_setzero_ps(), 1);
}

SP_INLINE void sp_store_tail(float *p, __m256 v, size_t k)
{
    const __m128 lo = _mm256_castps256_ps128(v);
    if (k < 4) {
        sp_store_tail3(p, lo, k);
        return;
    }
    _mm_storeu_ps(p, lo);
    if (k > 4)
        sp_store_tail3(p + 4, _mm256_extractf128_ps(v, 1), k - 4);
}
#define SP_LOOP_LOAD_TAIL(p, k) sp_load_tail(p, k)
#define SP_LOOP_STORE_TAIL(p, v, k) sp_store_tail(p, v, k)

/* a*2^-q from qe = q << 23 (the algorithm's float exponent n, floor(n) = -q, is scalef's), q in [0, 190], bit
 * for bit what AVX-512's scalef gives: when a*2^(64-q) is normal the first product is exact and the second
 * rounds once, as scalef does; otherwise |a*2^-q| < 2^-190 and both give a signed zero. 2^(64-q), an integer
 * subtract on 2^64's exponent field, and 2^-64 are normal floats. */
SP_INLINE vf sp_scale(vf a, vf qe)
{
    return MUL(MUL(a, ISUB(F(0x1p64f), qe)), F(0x1p-64f));
}

/* 16-entry lookup: two 8-lane permutes, bit 3 of the index chooses. */
SP_INLINE vf sp_lookup16(vf j, const float *tab)
{
    const __m256i idx = _mm256_castps_si256(j);
    const vf lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(tab), idx);
    const vf hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(tab + 8), idx);
    return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
}

/* the fast tier's: bitwise or, the lanes whose sign bit is set (a mask as SP_LOOP_BITS and SELECT read
 * it: movemask and blendv look at the sign bits only), and no lanes */
#define OR(a, b) _mm256_or_ps(a, b)
#define SIGN_MASK(a) (a)
#define NO_LANES() _mm256_setzero_ps()

#endif /* SP_ARCH_X86_SOFTPLUS_F32_AVX2_OPS_H */

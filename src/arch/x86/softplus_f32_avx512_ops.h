/* softplus_f32_avx512_ops.h -- the f32 vector operations both avx512 kernel files are written in: the
 * strict tier's (arch/softplus_f32_fma_algorithm.h) and the fast tier's (arch/softplus_f32_fast_algorithm.h),
 * plus what the loop driver (arch/softplus_loop.h) needs: types, loads and stores with their tails,
 * arithmetic with the rounding of the AVX-512 spelling, compares, masks and lookups.
 * SPDX-License-Identifier: MIT
 *
 * Included once per kernel file, after kernels.h, before the algorithm text.
 */
#ifndef SP_ARCH_X86_SOFTPLUS_F32_AVX512_OPS_H
#define SP_ARCH_X86_SOFTPLUS_F32_AVX512_OPS_H

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

typedef __m512 vf;
typedef __mmask16 vm;
#define F(c) _mm512_set1_ps(c)
#define ADD(a, b) _mm512_add_ps(a, b)
#define SUB(a, b) _mm512_sub_ps(a, b)
/* a*b as fma(a, b, -0): the same bits (-0 is the additive identity for every result, zeros
 * included), but a multiply whose result is subnormal is several times slower on AMD Zen 5 */
#define MUL(a, b) _mm512_fmadd_ps(a, b, F(-0.0f))
#define DIV(a, b) _mm512_div_ps(a, b)           /* IEEE division, one rounding */
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)   /* a*b + c, one rounding */
#define FMS(a, b, c) _mm512_fmsub_ps(a, b, c)   /* a*b - c */
#define FNMA(a, b, c) _mm512_fnmadd_ps(a, b, c) /* c - a*b */
#define MIN(a, b) _mm512_min_ps(a, b)           /* x86 semantics: b when unordered or equal */
#define MAX(a, b) _mm512_max_ps(a, b)
#define ABS(a) _mm512_andnot_ps(F(-0.0f), a)
#define SIGN(a) _mm512_and_ps(F(-0.0f), a)
#define XOR(a, b) _mm512_xor_ps(a, b)
/* 32-bit integer add and left shift on the lanes' bits */
#define IADD(a, b) _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(a), _mm512_castps_si512(b)))
#define ISHL(a, n) _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(a), n))
/* 32-bit integer subtract, and the lanes' bits and a 32-bit constant */
#define ISUB(a, b) _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_castps_si512(a), _mm512_castps_si512(b)))
#define IAND(a, u) _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)(u))))
/* for a in [0, 2^31): the nearest integer, ties to even (MXCSR's default rounding), as the lanes' bits */
#define RINT_BITS(a) _mm512_castsi512_ps(_mm512_cvtps_epi32(a))
/* a*2^floor(n) for n in [-190, 1): scalef rounds once, like (a*2^(n+64))*2^-64 (see the AVX2 file, which
 * reads the same exponent from qe = -floor(n) << 23 instead) */
#define SCALE(a, n, qe) ((void)(qe), _mm512_scalef_ps(a, n))
#define SP_SCALE_NATIVE 1 /* one instruction: the algorithm scales with it everywhere */
/* for a positive normal a = 2^k m, m in [1, 2): k as a float and m (exact, as the AVX2 file's bit
 * operations; other lanes: anything) */
#define LOGB(a) _mm512_getexp_ps(a)
#define MANT(a) _mm512_getmant_ps(a, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src)
/* tab[k mod 16] from the low mantissa bits of the shifted k or j; the 8-entry table is stored twice */
#define LOOKUP_T(k, tab) _mm512_permutexvar_ps(_mm512_castps_si512(k), _mm512_loadu_ps(tab))
#define LOOKUP_J(j, tab) _mm512_permutexvar_ps(_mm512_castps_si512(j), _mm512_loadu_ps(tab))
#define GT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define NGE(a, b) _mm512_cmp_ps_mask(a, b, _CMP_NGE_UQ) /* !(a >= b): true when unordered */
#define NOT_FINITE(a) _mm512_fpclass_ps_mask(a, 0x99) /* one instruction (DQ): QNaN 0x01, +-inf 0x18, SNaN 0x80 */
#define OR_MASK(m1, m2) ((vm)((m1) | (m2)))
#define SELECT(m, a, b) _mm512_mask_mov_ps(b, m, a) /* m ? a : b */
#define ZERO() _mm512_setzero_ps()
#define SP_LOOP_W 16
#define SP_LOOP_PREFETCH_FROM 0 /* prefetching gained in cache too (arch/softplus_loop.h) */
/* the fast tier's backward divides beside its exponential, in stage 1 (arch/softplus_f32_fast_algorithm.h) */
#define SP_FAST_BWD_DIVIDE_IN_STAGE1
#define SP_LOOP_LOADU(p) _mm512_loadu_ps(p)
#define SP_LOOP_STOREU(p, v) _mm512_storeu_ps(p, v)
#define SP_LOOP_LOADA(p) _mm512_load_ps(p)
#define SP_LOOP_STOREA(p, v) _mm512_store_ps(p, v)
#define SP_LOOP_STREAM(p, v) _mm512_stream_ps(p, v)
#define SP_LOOP_STREAM_FENCE() _mm_sfence()
/* One element (a one-element call) by a scalar load and store: a masked load cannot take its bytes from
 * a store still in flight (the caller's, or this kernel's previous masked store to a neighbouring or the
 * same element), and waits for it to retire: 33 against 15 ns per n = 1 call on AMD Zen. */
#define SP_LOOP_LOAD_TAIL(p, k)                                                                      \
    ((k) == 1 ? _mm512_zextps128_ps512(_mm_load_ss(p)) : _mm512_maskz_loadu_ps((__mmask16)((1u << (k)) - 1u), p))
#define SP_LOOP_STORE_TAIL(p, v, k)                                                                  \
    ((k) == 1 ? _mm_store_ss(p, _mm512_castps512_ps128(v)) : _mm512_mask_storeu_ps(p, (__mmask16)((1u << (k)) - 1u), v))
#define SP_LOOP_BITS(m) ((uint64_t)(m))

/* the fast tier's: bitwise or, the lanes whose sign bit is set, and no lanes */
#define OR(a, b) _mm512_or_ps(a, b)
#define SIGN_MASK(a) _mm512_movepi32_mask(_mm512_castps_si512(a))
#define NO_LANES() ((vm)0)

#endif /* SP_ARCH_X86_SOFTPLUS_F32_AVX512_OPS_H */

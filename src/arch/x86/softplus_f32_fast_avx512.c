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

/* ---- the operations of arch/softplus_f32_fast_algorithm.h and arch/softplus_loop.h ------------ */
typedef __m512 vf;
typedef __mmask16 vm;
#define F(c) _mm512_set1_ps(c)
#define ADD(a, b) _mm512_add_ps(a, b)
#define SUB(a, b) _mm512_sub_ps(a, b)
/* a*b as fma(a, b, -0): the same bits, and no subnormal-result penalty on AMD Zen 5 */
#define MUL(a, b) _mm512_fmadd_ps(a, b, F(-0.0f))
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)   /* a*b + c, one rounding */
#define FMS(a, b, c) _mm512_fmsub_ps(a, b, c)   /* a*b - c */
#define FNMA(a, b, c) _mm512_fnmadd_ps(a, b, c) /* c - a*b */
#define MIN(a, b) _mm512_min_ps(a, b)           /* x86 semantics: b when unordered or equal */
#define MAX(a, b) _mm512_max_ps(a, b)
#define ABS(a) _mm512_andnot_ps(F(-0.0f), a)
#define SIGN(a) _mm512_and_ps(F(-0.0f), a)
#define XOR(a, b) _mm512_xor_ps(a, b)
#define GT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define NOT_FINITE(a) _mm512_cmp_ps_mask(ABS(a), F(INFINITY), _CMP_NLT_UQ)
#define NOT_LE_ABS(a, c) _mm512_cmp_ps_mask(ABS(a), c, _CMP_NLE_UQ) /* !(|a| <= c), NaN included */
#define OR_MASK(m1, m2) ((vm)((m1) | (m2)))
#define SELECT(m, a, b) _mm512_mask_mov_ps(b, m, a) /* m ? a : b */
#define ZERO() _mm512_setzero_ps()
/* 2^(64-q) from kshift = 0x1.8p23 + q: the low 9 bits of its pattern are q, shifted into the exponent */
#define POW2_64_MINUS_Q(kshift)                                                                      \
    _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_set1_epi32((127 + 64) << 23),                         \
                                         _mm512_slli_epi32(_mm512_castps_si512(kshift), 23)))
#define SP_LOOP_W 16
#define SP_LOOP_LOADU(p) _mm512_loadu_ps(p)
#define SP_LOOP_STOREU(p, v) _mm512_storeu_ps(p, v)
#define SP_LOOP_LOADA(p) _mm512_load_ps(p)
#define SP_LOOP_STOREA(p, v) _mm512_store_ps(p, v)
#define SP_LOOP_LOAD_TAIL(p, k) _mm512_maskz_loadu_ps((__mmask16)((1u << (k)) - 1u), p)
#define SP_LOOP_STORE_TAIL(p, v, k) _mm512_mask_storeu_ps(p, (__mmask16)((1u << (k)) - 1u), v)
#define SP_LOOP_BITS(m) ((uint64_t)(m))

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

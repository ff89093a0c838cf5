/* softplus_f32_fast_avx2.c -- the fast tier's f32 softplus forward and backward kernels for AVX2 with FMA.
 * SPDX-License-Identifier: MIT
 *
 * The algorithm of arch/softplus_f32_fast_algorithm.h (method, polynomials, measured errors and special
 * values are in its header comment: within 4 ULP, no table) on 8 lanes, in the loops of
 * arch/softplus_f32_kernels.h, with the same bits as the AVX-512 and NEON fast kernels for every input
 * and beta. Speed: README.md and bench/bench_softplus (rows "avx2 fast").
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* ---- the operations of arch/softplus_f32_fast_algorithm.h and arch/softplus_loop.h ------------ */
typedef __m256 vf;
typedef __m256 vm; /* lane masks are all-ones/all-zeros vectors */
#define F(c) _mm256_set1_ps(c)
#define ADD(a, b) _mm256_add_ps(a, b)
#define SUB(a, b) _mm256_sub_ps(a, b)
/* a*b as fma(a, b, -0): the same bits, and no subnormal-result penalty on AMD Zen 5 */
#define MUL(a, b) _mm256_fmadd_ps(a, b, F(-0.0f))
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)   /* a*b + c, one rounding */
#define FMS(a, b, c) _mm256_fmsub_ps(a, b, c)   /* a*b - c */
#define FNMA(a, b, c) _mm256_fnmadd_ps(a, b, c) /* c - a*b */
#define MIN(a, b) _mm256_min_ps(a, b)           /* x86 semantics: b when unordered or equal */
#define MAX(a, b) _mm256_max_ps(a, b)
#define ABS(a) _mm256_andnot_ps(F(-0.0f), a)
#define SIGN(a) _mm256_and_ps(F(-0.0f), a)
#define XOR(a, b) _mm256_xor_ps(a, b)
#define GT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define NOT_FINITE(a) _mm256_cmp_ps(ABS(a), F(INFINITY), _CMP_NLT_UQ)
#define NOT_LE_ABS(a, c) _mm256_cmp_ps(ABS(a), c, _CMP_NLE_UQ) /* !(|a| <= c), NaN included */
#define OR_MASK(m1, m2) _mm256_or_ps(m1, m2)
#define SELECT(m, a, b) _mm256_blendv_ps(b, a, m) /* m ? a : b */
#define ZERO() _mm256_setzero_ps()
/* 2^(64-q) from kshift = 0x1.8p23 + q: the low 9 bits of its pattern are q, shifted into the exponent */
#define POW2_64_MINUS_Q(kshift)                                                                      \
    _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_set1_epi32((127 + 64) << 23),                         \
                                         _mm256_slli_epi32(_mm256_castps_si256(kshift), 23)))
#define SP_LOOP_W 8
#define SP_LOOP_LOADU(p) _mm256_loadu_ps(p)
#define SP_LOOP_STOREU(p, v) _mm256_storeu_ps(p, v)
#define SP_LOOP_LOADA(p) _mm256_load_ps(p)
#define SP_LOOP_STOREA(p, v) _mm256_store_ps(p, v)
#define SP_LOOP_BITS(m) ((uint64_t)_mm256_movemask_ps(m))

#include "arch/softplus_f32_fast_algorithm.h"
#include "arch/softplus_f32_kernels.h"

void sp_fwd_f32_avx2_fast(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    sp_f32_fwd(n, x, y, p);
}

void sp_bwd_f32_avx2_fast(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    sp_f32_bwd(n, dy, x, dx, p);
}

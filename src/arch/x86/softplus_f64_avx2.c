/* softplus_f64_avx2.c -- f64 softplus forward, backward, second derivative, inverse and beta
 * gradient, 4 lanes of AVX2 with FMA.
 * SPDX-License-Identifier: MIT
 *
 * The algorithm, its error analysis and its special-value handling are in
 * arch/softplus_f64_fma_algorithm.h; this file spells its operations in AVX2 and runs it through
 * arch/softplus_loop.h, so its results are those of softplus_f64_avx512.c bit for bit. The spelling:
 * a 16-entry table lookup is four vpermps on 32-bit halves and three blends (a gather was no
 * faster); masks are all-ones/all-zeros vectors, turned into lane bits by vmovmskpd; the tail is
 * built in a register (see sp_load_tail).
 * Speed: with the special path moved out of the fast loop to after each block (arch/softplus_loop.h),
 * backward runs 3% faster at 1K and 32K elements and forward 0.7% slower (new/old medians of 21
 * interleaved pairs in one process, noise +-0.5%; shared Xeon, December 2026).
 * Accuracy: SP_MAX_ULP_F64_AVX2 and SP_MAX_ULP_BETA_F64_AVX2 (1.0, kernels.h); measured 0.636 ULP
 * forward, 0.552 backward, 0.582 inverse (witnesses in the algorithm header).
 */
#include <immintrin.h>

#include "arch/softplus_f64_common.h"

/* ---- the operations arch/softplus_f64_fma_algorithm.h is written in --------------------------- */
typedef __m256d vd;
typedef __m256d vm; /* lane masks are all-ones/all-zeros vectors */

/* A 16-entry table of doubles in four registers; a lookup is four in-register permutes (vpermps on
 * pairs of 32-bit halves) and three blends, cheaper here than a gather. */
typedef struct sp_tab16 {
    __m256 q0, q1, q2, q3;
} sp_tab16;
typedef struct sp_f64_tables {
    sp_tab16 tb, tr, c, l;
} sp_f64_tables;

static void sp_tab16_load(sp_tab16 *q, const void *tab)
{
    const float *f = (const float *)tab;
    q->q0 = _mm256_loadu_ps(f);
    q->q1 = _mm256_loadu_ps(f + 8);
    q->q2 = _mm256_loadu_ps(f + 16);
    q->q3 = _mm256_loadu_ps(f + 24);
}

static void sp_f64_load_tables(sp_f64_tables *t)
{
    sp_tab16_load(&t->tb, sp_f64_exp_tbits);
    sp_tab16_load(&t->tr, sp_f64_exp_trel);
    sp_tab16_load(&t->c, sp_f64_log_c);
    sp_tab16_load(&t->l, sp_f64_log_l);
}

/* tab[i & 15] for the low 4 bits i of each 64-bit lane (the bits above are ignored, as vpermt2pd does) */
SP_INLINE __m256d sp_lut(const sp_tab16 *q, __m256i i)
{
    /* 32-bit indices 2i, 2i+1 (mod 8 picks the double i mod 4 of a 4-entry quarter) */
    const __m256i i2 = _mm256_add_epi64(i, i);
    const __m256i pair = _mm256_add_epi32(_mm256_shuffle_epi32(i2, 0xa0), _mm256_set1_epi64x(1LL << 32));
    const __m256d b2 = _mm256_castsi256_pd(_mm256_slli_epi64(i, 61)); /* bit 2 in the sign */
    const __m256d b3 = _mm256_castsi256_pd(_mm256_slli_epi64(i, 60)); /* bit 3 in the sign */
    const __m256d v0 = _mm256_castps_pd(_mm256_permutevar8x32_ps(q->q0, pair));
    const __m256d v1 = _mm256_castps_pd(_mm256_permutevar8x32_ps(q->q1, pair));
    const __m256d v2 = _mm256_castps_pd(_mm256_permutevar8x32_ps(q->q2, pair));
    const __m256d v3 = _mm256_castps_pd(_mm256_permutevar8x32_ps(q->q3, pair));
    return _mm256_blendv_pd(_mm256_blendv_pd(v0, v1, b2), _mm256_blendv_pd(v2, v3, b2), b3);
}

/* lane i all ones where bit i of u is set */
SP_INLINE vm sp_mask_from_bits(uint64_t u)
{
    const __m256i lane = _mm256_setr_epi64x(1, 2, 4, 8);
    const __m256i b = _mm256_and_si256(_mm256_set1_epi64x((long long)u), lane);
    return _mm256_castsi256_pd(_mm256_cmpeq_epi64(b, lane));
}

#define SP_I(a) _mm256_castpd_si256(a)
#define SP_D(a) _mm256_castsi256_pd(a)
#define F(c) _mm256_set1_pd(c)
#define FBITS(u) SP_D(_mm256_set1_epi64x((long long)(u)))
#define ZERO() _mm256_setzero_pd()
#define ADD(a, b) _mm256_add_pd(a, b)
#define SUB(a, b) _mm256_sub_pd(a, b)
#define MUL(a, b) _mm256_mul_pd(a, b)
#define DIV(a, b) _mm256_div_pd(a, b)
#define FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define FMS(a, b, c) _mm256_fmsub_pd(a, b, c)
#define FNMA(a, b, c) _mm256_fnmadd_pd(a, b, c)
#define MIN(a, b) _mm256_min_pd(a, b)
#define MAX(a, b) _mm256_max_pd(a, b)
#define ABS(a) _mm256_andnot_pd(F(-0.0), a)
#define AND(a, b) _mm256_and_pd(a, b)
#define OR(a, b) _mm256_or_pd(a, b)
#define XOR(a, b) _mm256_xor_pd(a, b)
#define ANDNOT(a, b) _mm256_andnot_pd(a, b)
#define FLOOR(a) _mm256_floor_pd(a)
#define IADD(a, b) SP_D(_mm256_add_epi64(SP_I(a), SP_I(b)))
#define ISHL(a, n) SP_D(_mm256_slli_epi64(SP_I(a), n))
#define ISHR(a, n) SP_D(_mm256_srli_epi64(SP_I(a), n))
#define GT(a, b) _mm256_cmp_pd(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm256_cmp_pd(a, b, _CMP_LT_OQ)
#define LE(a, b) _mm256_cmp_pd(a, b, _CMP_LE_OQ)
#define NLE(a, b) _mm256_cmp_pd(a, b, _CMP_NLE_UQ)
#define NGE(a, b) _mm256_cmp_pd(a, b, _CMP_NGE_UQ)
#define NLT(a, b) _mm256_cmp_pd(a, b, _CMP_NLT_UQ)
#define NEQ(a, b) _mm256_cmp_pd(a, b, _CMP_NEQ_UQ)
#define UNORD(a) _mm256_cmp_pd(a, a, _CMP_UNORD_Q)
#define MAND(a, b) _mm256_and_pd(a, b)
#define MOR(a, b) _mm256_or_pd(a, b)
#define ANY(m) (_mm256_movemask_pd(m) != 0)
#define BITS(m) ((uint64_t)_mm256_movemask_pd(m))
#define MASK_FROM_BITS(u) sp_mask_from_bits(u)
#define SELECT(m, a, b) _mm256_blendv_pd(b, a, m)
#define MASKZ(m, a) _mm256_and_pd(m, a)
#define LOOKUP(t, i) sp_lut(&(t), SP_I(i))

/* The k = 1..3 elements at p as a vector with zeros above (the tail's zero-padded copy, built in a
 * register: a store of single elements followed by one vector load would stall store forwarding),
 * and the way back. */
SP_INLINE __m256d sp_load_tail(const double *p, size_t k)
{
    const __m128d lo = k >= 2 ? _mm_loadu_pd(p) : _mm_load_sd(p);
    const __m128d hi = k == 3 ? _mm_load_sd(p + 2) : _mm_setzero_pd();
    return _mm256_insertf128_pd(_mm256_castpd128_pd256(lo), hi, 1);
}

SP_INLINE void sp_store_tail(double *p, __m256d v, size_t k)
{
    const __m128d lo = _mm256_castpd256_pd128(v);
    if (k >= 2)
        _mm_storeu_pd(p, lo);
    else
        _mm_store_sd(p, lo);
    if (k == 3)
        _mm_store_sd(p + 2, _mm256_extractf128_pd(v, 1));
}

#define SP_LOOP_W 4
#define SP_LOOP_LOADU(p) _mm256_loadu_pd(p)
#define SP_LOOP_STOREU(p, v) _mm256_storeu_pd(p, v)
#define SP_LOOP_LOADA(p) _mm256_load_pd(p)
#define SP_LOOP_STOREA(p, v) _mm256_store_pd(p, v)
#define SP_LOOP_LOAD_TAIL(p, k) sp_load_tail(p, k)
#define SP_LOOP_STORE_TAIL(p, v, k) sp_store_tail(p, v, k)

#include "arch/softplus_f64_fma_algorithm.h"

void sp_fwd_f64_avx2(size_t n, const double *x, double *y, const sp_params_f64 *p)
{
    sp_f64_fwd(n, x, y, p);
}

void sp_bwd_f64_avx2(size_t n, const double *dy, const double *x, double *dx, const sp_params_f64 *p)
{
    sp_f64_bwd(n, dy, x, dx, p);
}

void sp_dbwd_f64_avx2(size_t n, const double *g, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_dbwd(n, g, x, out, p);
}

void sp_bbeta_f64_avx2(size_t n, const double *dy, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_bbeta(n, dy, x, out, p);
}

void sp_inv_f64_avx2(size_t n, const double *y, double *x, const sp_params_f64 *p)
{
    sp_f64_inv(n, y, x, p);
}

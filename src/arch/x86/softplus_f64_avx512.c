/* softplus_f64_avx512.c -- f64 softplus forward, backward, second derivative, inverse and beta
 * gradient, 8 lanes of AVX-512 (F, DQ).
 * SPDX-License-Identifier: MIT
 *
 * The algorithm, its error analysis and its special-value handling are in
 * arch/softplus_f64_fma_algorithm.h; this file spells its operations in AVX-512 and runs it through
 * arch/softplus_loop.h. The spelling: masks are __mmask8 (the special-lane bits themselves), a
 * 16-entry table is two registers and one vpermt2pd, FLOOR is vrndscalepd.
 * Accuracy: SP_MAX_ULP_F64_AVX512 and SP_MAX_ULP_BETA_F64_AVX512 (1.0, kernels.h); measured 0.636 ULP
 * forward, 0.552 backward, 0.582 inverse (witnesses in the algorithm header).
 * Speed: the special lanes of both ops are redone after each block (arch/softplus_loop.h), so the
 * fast loop makes no call and keeps its constants and tables in registers; for backward that took
 * 32M elements from 0.88-0.93 to 1.42-1.46 Gelem/s on Zen 5 (commit 3767382). Moving to the shared
 * text and driver cost ~1% at 1K elements, forward and backward (0.99 new/old, median of 21
 * interleaved pairs in one process, noise +-0.5%; shared Xeon, December 2026).
 */
#include <immintrin.h>

#include "arch/softplus_f64_common.h"

/* ---- the operations arch/softplus_f64_fma_algorithm.h is written in --------------------------- */
typedef __m512d vd;
typedef __mmask8 vm;
typedef struct sp_tab16 {
    __m512d lo, hi; /* entries 0-7 and 8-15 */
} sp_tab16;
typedef struct sp_f64_tables {
    sp_tab16 tb, tr, c, l;
} sp_f64_tables;

static void sp_tab16_load(sp_tab16 *t, const void *tab)
{
    t->lo = _mm512_castsi512_pd(_mm512_loadu_si512(tab));
    t->hi = _mm512_castsi512_pd(_mm512_loadu_si512((const char *)tab + 64));
}

static void sp_f64_load_tables(sp_f64_tables *t)
{
    sp_tab16_load(&t->tb, sp_f64_exp_tbits);
    sp_tab16_load(&t->tr, sp_f64_exp_trel);
    sp_tab16_load(&t->c, sp_f64_log_c);
    sp_tab16_load(&t->l, sp_f64_log_l);
}

#define SP_I(a) _mm512_castpd_si512(a)
#define SP_D(a) _mm512_castsi512_pd(a)
#define F(c) _mm512_set1_pd(c)
#define FBITS(u) SP_D(_mm512_set1_epi64((long long)(u)))
#define ZERO() _mm512_setzero_pd()
#define ADD(a, b) _mm512_add_pd(a, b)
#define SUB(a, b) _mm512_sub_pd(a, b)
#define MUL(a, b) _mm512_mul_pd(a, b)
#define DIV(a, b) _mm512_div_pd(a, b)
#define FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define FMS(a, b, c) _mm512_fmsub_pd(a, b, c)
#define FNMA(a, b, c) _mm512_fnmadd_pd(a, b, c)
#define MIN(a, b) _mm512_min_pd(a, b)
#define MAX(a, b) _mm512_max_pd(a, b)
#define ABS(a) _mm512_abs_pd(a)
#define AND(a, b) _mm512_and_pd(a, b)
#define OR(a, b) _mm512_or_pd(a, b)
#define XOR(a, b) _mm512_xor_pd(a, b)
#define ANDNOT(a, b) _mm512_andnot_pd(a, b)
#define FLOOR(a) _mm512_roundscale_pd(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
#define IADD(a, b) SP_D(_mm512_add_epi64(SP_I(a), SP_I(b)))
#define ISHL(a, n) SP_D(_mm512_slli_epi64(SP_I(a), n))
#define ISHR(a, n) SP_D(_mm512_srli_epi64(SP_I(a), n))
#define GT(a, b) _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ)
#define LE(a, b) _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ)
#define NLE(a, b) _mm512_cmp_pd_mask(a, b, _CMP_NLE_UQ)
#define NGE(a, b) _mm512_cmp_pd_mask(a, b, _CMP_NGE_UQ)
#define NLT(a, b) _mm512_cmp_pd_mask(a, b, _CMP_NLT_UQ)
#define NEQ(a, b) _mm512_cmp_pd_mask(a, b, _CMP_NEQ_UQ)
#define UNORD(a) _mm512_cmp_pd_mask(a, a, _CMP_UNORD_Q)
#define MAND(a, b) ((vm)((a) & (b)))
#define MOR(a, b) ((vm)((a) | (b)))
#define ANY(m) ((m) != 0)
#define BITS(m) ((uint64_t)(m))
#define MASK_FROM_BITS(u) ((vm)(u))
#define SELECT(m, a, b) _mm512_mask_blend_pd(m, b, a)
#define MASKZ(m, a) _mm512_maskz_mov_pd(m, a)
#define LOOKUP(t, i) _mm512_permutex2var_pd((t).lo, SP_I(i), (t).hi)

#define SP_LOOP_W 8
#define SP_LOOP_PREFETCH_FROM 0 /* prefetching gained in cache too (arch/softplus_loop.h) */
#define SP_LOOP_LOADU(p) _mm512_loadu_pd(p)
#define SP_LOOP_STOREU(p, v) _mm512_storeu_pd(p, v)
#define SP_LOOP_LOADA(p) _mm512_load_pd(p)
#define SP_LOOP_STOREA(p, v) _mm512_store_pd(p, v)
#define SP_LOOP_STREAM(p, v) _mm512_stream_pd(p, v)
#define SP_LOOP_STREAM_FENCE() _mm_sfence()
/* One element by a scalar load and store: a masked load waits for an overlapping store in flight
 * (arch/x86/softplus_f32_avx512.c) */
#define SP_LOOP_LOAD_TAIL(p, k)                                                                      \
    ((k) == 1 ? _mm512_zextpd128_pd512(_mm_load_sd(p)) : _mm512_maskz_loadu_pd((__mmask8)((1u << (k)) - 1u), p))
#define SP_LOOP_STORE_TAIL(p, v, k)                                                                  \
    ((k) == 1 ? _mm_store_sd(p, _mm512_castpd512_pd128(v)) : _mm512_mask_storeu_pd(p, (__mmask8)((1u << (k)) - 1u), v))

#include "arch/softplus_f64_fma_algorithm.h"

void sp_fwd_f64_avx512(size_t n, const double *x, double *y, const sp_params_f64 *p)
{
    sp_f64_fwd(n, x, y, p);
}

void sp_bwd_f64_avx512(size_t n, const double *dy, const double *x, double *dx, const sp_params_f64 *p)
{
    sp_f64_bwd(n, dy, x, dx, p);
}

void sp_dbwd_f64_avx512(size_t n, const double *g, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_dbwd(n, g, x, out, p);
}

void sp_bbeta_f64_avx512(size_t n, const double *dy, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_bbeta(n, dy, x, out, p);
}

void sp_inv_f64_avx512(size_t n, const double *y, double *x, const sp_params_f64 *p)
{
    sp_f64_inv(n, y, x, p);
}

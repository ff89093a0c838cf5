/* softplus_f64_avx2.c -- f64 softplus forward, backward, second derivative, inverse and beta
 * gradient, 4 lanes of AVX2 with FMA.
 * SPDX-License-Identifier: MIT
 *
 * The algorithm, its error analysis and its special-value handling are in
 * arch/softplus_f64_fma_algorithm.h; this file spells its operations in AVX2 and runs it through
 * arch/softplus_loop.h, so its results are those of softplus_f64_avx512.c bit for bit. The spelling:
 * the two tables one index reads (T_j's bits and Tr_j; c_i and l_i) are looked up together (LOOKUP2)
 * from 16-byte rows of pairs: the row indices through the stack, four loads, two inserts and two
 * unpacks, 5 vector-pipe operations for both tables where the register lookup (four vpermps on
 * 32-bit halves and three blends per table, with its index and blend masks) took 21. Loop bodies per
 * vector (objdump, stage 1 + stage 2): forward 45 + 72 instructions (was 50 + 75), backward 45 + 45
 * (was 51 + 45). Alternated in one process with the register lookup (4K elements, Zen 4, load ~6,
 * medians of 41; a copy of the old library as control: 0.995-1.04x): forward 1.10-1.14x, backward
 * 1.14-1.16x. Not faster than the register lookup, the same run: a 4-lane gather per table
 * (vgatherqpd; 34 instructions in stage 1, 1.01x forward, 1.03x backward) and four scalar loads per
 * table (0.95x). Masks are all-ones/all-zeros vectors, turned into lane bits by vmovmskpd; the tail is
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

/* The tables as rows of pairs, the two entries one index reads side by side, from the lists in
 * softplus_f64_common.h (the same values as the arrays the other kernels read) */
#define SP_F64_ROW(a, b) {a, b},
static const struct sp_f64_exp_row {
    _Alignas(16) uint64_t tbits;
    double trel;
} sp_f64_exp_rows[16] = {SP_F64_EXP_TABLE(SP_F64_ROW)};
static const struct sp_f64_log_row {
    _Alignas(16) double c;
    double l;
} sp_f64_log_rows[16] = {SP_F64_LOG_TABLE(SP_F64_ROW)};

typedef struct sp_f64_tables {
    const struct sp_f64_exp_row *tb; /* the exp rows (T_j bits, Tr_j) */
    const struct sp_f64_log_row *c;  /* the log rows (c_i, l_i) */
} sp_f64_tables;

static void sp_f64_load_tables(sp_f64_tables *t)
{
    t->tb = sp_f64_exp_rows;
    t->c = sp_f64_log_rows;
}

/* a = rows[i & 15].first, b = rows[i & 15].second per lane, for the low 4 bits i of each 64-bit lane
 * (the bits above are ignored). The indices go to the stack through an asm store, so that the compiler
 * reads them back with four integer loads instead of turning the round trip into vmovq/vpextrq (vector
 * pipe operations, the resource this lookup saves). */
SP_INLINE void sp_lookup_rows(const void *rows, __m256i i, __m256d *a, __m256d *b)
{
    _Alignas(32) uint64_t j[4];
    const __m256i m = _mm256_and_si256(i, _mm256_set1_epi64x(15));
    __asm__("vmovdqa %1, %0" : "=m"(j) : "x"(m));
    const __m128i *row = (const __m128i *)rows;
    const __m256d r02 = _mm256_castsi256_pd(_mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_load_si128(row + j[0])), _mm_load_si128(row + j[2]), 1));
    const __m256d r13 = _mm256_castsi256_pd(_mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_load_si128(row + j[1])), _mm_load_si128(row + j[3]), 1));
    *a = _mm256_unpacklo_pd(r02, r13);
    *b = _mm256_unpackhi_pd(r02, r13);
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
#define LOOKUP2(t, na, nb, i, a, b) sp_lookup_rows((t).na, SP_I(i), &(a), &(b))

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
#define SP_LOOP_STREAM(p, v) _mm256_stream_pd(p, v)
#define SP_LOOP_STREAM_FENCE() _mm_sfence()
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

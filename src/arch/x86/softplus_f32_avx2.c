/* softplus_f32_avx2.c -- f32 softplus forward and backward kernels for AVX2 with FMA.
 * SPDX-License-Identifier: MIT
 *
 * The algorithm of arch/softplus_f32_fma_algorithm.h (method, polynomials, measured errors and
 * special values are in its header comment) on 8 lanes, in the loops of arch/softplus_f32_kernels.h,
 * with the same bits as the AVX-512 kernel for every input and beta (tests/accuracy/
 * test_fma_identity.c). What differs is how an operation is spelled: scalef becomes
 * (a*2^(n+64))*2^-64 (bit-identical, see sp_scale), the 16-entry tables are two 8-lane permutes and a
 * blend, lane masks are vectors, and tails go through a zero-padded stack buffer.
 * Speed (AMD EPYC Zen 5 at ~4.2 GHz, one core, contiguous f32, machine otherwise idle; measured with
 * the software-pipelined loops this file had before arch/softplus_loop.h):
 *   Gelem/s (bench/bench_softplus)   L1 (1K)  L2 (16K)  LLC (512K)  DRAM (32M)
 *   forward  beta = 1                 1.06     1.05      1.05        1.04
 *   backward beta = 1                 1.16     1.16      1.14        1.13
 *   8.9x the libm loop (expf + log1pf, 0.12); the goal of 1.9 forward is not met: the
 *   AVX2 spelling costs ~70 instructions per 8 lanes (two-permute lookups, scalef emulation).
 *   The two-stage blocks of arch/softplus_loop.h run 15-16% faster than those loops at L1
 *   (adjacent runs on a loaded machine, new/old 1.16 forward, 1.15 backward).
 *   Backward's own method (table-free exp, one vdivps; the algorithm header) runs 73 instructions per
 *   8 lanes instead of 87 (callgrind, beta = 1) and 1.22-1.27x the previous backward at 4K and 64K
 *   elements (thread-CPU-time medians of 15 alternating old/new pairs in one process, Zen 4 shared
 *   with other jobs at load 10-30, December 2026); interleaving 2 or 4 vectors per driver iteration
 *   measured 0.96-1.06x (noise) and was left out.
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#include "arch/softplus_f32_fma_constants.h"

/* ---- the operations of arch/softplus_f32_fma_algorithm.h and arch/softplus_loop.h, with the
 * rounding of the AVX-512 file ---------------------------------------------------------------- */
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
#define SCALE(a, n) sp_scale(a, n)
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
#define SP_LOOP_BITS(m) ((uint64_t)_mm256_movemask_ps(m))
/* The last k = 1..7 elements as a vector with zeros above; one element (a one-element call) by a scalar
 * load and store in a register, the rest through the driver's zero-padded stack copy: a vector load of
 * single-element stores waits for them to retire (store forwarding fails). */
SP_INLINE __m256 sp_load_tail(const float *p, size_t k)
{
    if (k == 1)
        return _mm256_zextps128_ps256(_mm_load_ss(p));
    _Alignas(32) float b[8] = {0};
    memcpy(b, p, k * sizeof(float));
    return _mm256_load_ps(b);
}

SP_INLINE void sp_store_tail(float *p, __m256 v, size_t k)
{
    if (k == 1) {
        _mm_store_ss(p, _mm256_castps256_ps128(v));
        return;
    }
    _Alignas(32) float b[8];
    _mm256_store_ps(b, v);
    memcpy(p, b, k * sizeof(float));
}
#define SP_LOOP_LOAD_TAIL(p, k) sp_load_tail(p, k)
#define SP_LOOP_STORE_TAIL(p, v, k) sp_store_tail(p, v, k)

/* a*2^floor(n) for n in [-190, 1), bit for bit what AVX-512's scalef gives: when a*2^(n+64) is normal
 * the first product is exact and the second rounds once, as scalef does; otherwise |a*2^n| < 2^-190
 * and both give a signed zero. 2^(n+64) and 2^-64 are normal floats. */
SP_INLINE vf sp_scale(vf a, vf n)
{
    const __m256i e = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_floor_ps(n)), _mm256_set1_epi32(127 + 64)), 23);
    return MUL(MUL(a, _mm256_castsi256_ps(e)), F(0x1p-64f));
}

/* 16-entry lookup: two 8-lane permutes, bit 3 of the index chooses. */
SP_INLINE vf sp_lookup16(vf j, const float *tab)
{
    const __m256i idx = _mm256_castps_si256(j);
    const vf lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(tab), idx);
    const vf hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(tab + 8), idx);
    return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
}

#include "arch/softplus_f32_fma_algorithm.h"
#include "arch/softplus_f32_kernels.h"

void sp_fwd_f32_avx2(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    sp_f32_fwd(n, x, y, p);
}

void sp_bwd_f32_avx2(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    sp_f32_bwd(n, dy, x, dx, p);
}

void sp_dbwd_f32_avx2(size_t n, const float *g, const float *x, float *out, const sp_params_f32 *p)
{
    sp_f32_dbwd(n, g, x, out, p);
}

void sp_bbeta_f32_avx2(size_t n, const float *dy, const float *x, float *dbeta, const sp_params_f32 *p)
{
    sp_f32_bbeta(n, dy, x, dbeta, p);
}

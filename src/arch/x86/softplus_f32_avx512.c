/* softplus_f32_avx512.c -- f32 softplus forward and backward kernels for AVX-512 (F, DQ, BW, VL).
 * SPDX-License-Identifier: MIT
 *
 * The algorithm of arch/softplus_f32_fma_algorithm.h (method, polynomials, measured errors and
 * special values are in its header comment) on 16 lanes, in the loops of arch/softplus_f32_kernels.h.
 * This file is the reference spelling of its operations, which the AVX2 and NEON files reproduce bit
 * for bit: every product is an fma(a, b, -0) (the bits of a*b, but no slowdown on subnormal results on
 * Zen 5), SCALE is scalef, the tables are one permute each, lane masks are k-registers, and tails use
 * masked loads and stores.
 * Speed (AMD EPYC Zen 5 at ~4.2 GHz, one core, contiguous f32, machine otherwise idle; measured with
 * the software-pipelined loops this file had before arch/softplus_loop.h):
 *   Gelem/s (bench/bench_softplus)   L1 (1K)  L2 (16K)  LLC (512K)  DRAM (32M)   copy L1 / 32M
 *   forward  beta = 1                 2.55     2.65      2.58        2.51         35.0 / 3.9
 *   backward beta = 1                 2.85     2.82      2.73        2.66         35.6 / 4.7
 *   libm loop (expf + log1pf) 0.12: forward 21x it. The kernel is compute-bound at every size (64%
 *   of a copy's bandwidth at 32M elements): about 55 instructions and a ~70-cycle dependency chain
 *   per vector, and this core keeps only ~3 such chains in flight (a chain of 16 dependent FMAs
 *   measures 23 cycles per vector), hence two stages over blocks (t, then the rest), which overlap
 *   the chains as the pipelining did (+10% over one vector per iteration). Against those loops,
 *   in adjacent runs on a loaded machine: L1 new/old 1.01 forward and backward (noise level), DRAM
 *   too noisy to tell (ratios 0.5-1.6). The goals (5.7 forward, 6.6 backward, 90% of a
 *   copy at 32M) are not met.
 *   Backward's own method (table-free exp, one vdivps; the algorithm header) runs ~69 instructions
 *   per 16 lanes in its two loops instead of ~82 (objdump) and 1.05-1.07x the previous backward at
 *   4K and 64K elements (thread-CPU-time medians of 15 alternating old/new pairs in one process, Zen 4
 *   shared with other jobs at load 10-30, December 2026): the division and the longer polynomial
 *   take back most of what the lookups and scalings cost.
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#include "arch/softplus_f32_fma_constants.h"

/* ---- the operations of arch/softplus_f32_fma_algorithm.h and arch/softplus_loop.h ---------- */
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
/* a*2^floor(n) for n in [-190, 1): scalef rounds once, like (a*2^(n+64))*2^-64 (see the AVX2 file) */
#define SCALE(a, n) _mm512_scalef_ps(a, n)
/* tab[k mod 16] from the low mantissa bits of the shifted k or j; the 8-entry table is stored twice */
#define LOOKUP_T(k, tab) _mm512_permutexvar_ps(_mm512_castps_si512(k), _mm512_loadu_ps(tab))
#define LOOKUP_J(j, tab) _mm512_permutexvar_ps(_mm512_castps_si512(j), _mm512_loadu_ps(tab))
#define GT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define NGE(a, b) _mm512_cmp_ps_mask(a, b, _CMP_NGE_UQ) /* !(a >= b): true when unordered */
#define NOT_FINITE(a) _mm512_cmp_ps_mask(ABS(a), F(INFINITY), _CMP_NLT_UQ)
#define OR_MASK(m1, m2) ((vm)((m1) | (m2)))
#define SELECT(m, a, b) _mm512_mask_mov_ps(b, m, a) /* m ? a : b */
#define ZERO() _mm512_setzero_ps()
#define SP_LOOP_W 16
#define SP_LOOP_LOADU(p) _mm512_loadu_ps(p)
#define SP_LOOP_STOREU(p, v) _mm512_storeu_ps(p, v)
#define SP_LOOP_LOADA(p) _mm512_load_ps(p)
#define SP_LOOP_STOREA(p, v) _mm512_store_ps(p, v)
/* One element (a one-element call) by a scalar load and store: a masked load cannot take its bytes from
 * a store still in flight (the caller's, or this kernel's previous masked store to a neighbouring or the
 * same element), and waits for it to retire: 33 against 15 ns per n = 1 call on AMD Zen. */
#define SP_LOOP_LOAD_TAIL(p, k)                                                                      \
    ((k) == 1 ? _mm512_zextps128_ps512(_mm_load_ss(p)) : _mm512_maskz_loadu_ps((__mmask16)((1u << (k)) - 1u), p))
#define SP_LOOP_STORE_TAIL(p, v, k)                                                                  \
    ((k) == 1 ? _mm_store_ss(p, _mm512_castps512_ps128(v)) : _mm512_mask_storeu_ps(p, (__mmask16)((1u << (k)) - 1u), v))
#define SP_LOOP_BITS(m) ((uint64_t)(m))

#include "arch/softplus_f32_fma_algorithm.h"
#include "arch/softplus_f32_kernels.h"

void sp_fwd_f32_avx512(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    sp_f32_fwd(n, x, y, p);
}

void sp_bwd_f32_avx512(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    sp_f32_bwd(n, dy, x, dx, p);
}

void sp_dbwd_f32_avx512(size_t n, const float *g, const float *x, float *out, const sp_params_f32 *p)
{
    sp_f32_dbwd(n, g, x, out, p);
}

void sp_bbeta_f32_avx512(size_t n, const float *dy, const float *x, float *dbeta, const sp_params_f32 *p)
{
    sp_f32_bbeta(n, dy, x, dbeta, p);
}

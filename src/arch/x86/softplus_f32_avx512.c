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

#include "arch/x86/softplus_f32_avx512_ops.h"

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

void sp_inv_f32_avx512(size_t n, const float *y, float *x, const sp_params_f32 *p)
{
    sp_f32_inv(n, y, x, p);
}

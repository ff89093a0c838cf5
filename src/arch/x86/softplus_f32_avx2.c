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

#include "arch/x86/softplus_f32_avx2_ops.h"

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

void sp_inv_f32_avx2(size_t n, const float *y, float *x, const sp_params_f32 *p)
{
    sp_f32_inv(n, y, x, p);
}

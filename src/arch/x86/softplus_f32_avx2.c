/* softplus_f32_avx2.c -- f32 softplus forward and backward kernels for AVX2 with FMA.
 * SPDX-License-Identifier: MIT
 *
 * Method: the algorithm of softplus_f32_avx512.c, whose header explains it -- both include its one
 * text, arch/softplus_f32_fma_algorithm.h, over macros that give the same rounding here, so the two
 * kernels return the same bits for every input and every beta (tests/accuracy/test_fma_identity.c
 * checks it). What differs is only how an operation is spelled on 8 lanes:
 * scalef becomes (a*2^(n+64))*2^-64 (bit-identical, see sp_scale), the 16-entry tables are two 8-lane
 * permutes and a blend, lane masks are vectors. Polynomials and tables: tests/tools/
 * softplus_f32_coeffs.sollya.
 * Accuracy (tests/accuracy/ulp_sweep, every one of the 2^32 inputs, reference in double): the same
 * bits as the AVX-512 kernel, hence the same figures:
 *   beta   op   worst ULP  at x               got              want (both thresholds, inf and 20)
 *   1      fwd  0.785      -0x1.5804c2p+6    0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   1      bwd  0.785      -0x1.5804c2p+6    0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   0.5    fwd  0.758      -0x1.61b058p+7    0x1.59c7f8p-127  0x1.59c7f4f76b2fdp-127
 *   0.5    bwd  0.785      -0x1.5804c2p+7    0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   2      fwd  0.759      -0x1.5c2d6p+5     0x1.56e3fp-127   0x1.56e3ecf6758efp-127
 *   2      bwd  0.785      -0x1.5804c2p+5    0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   -1     fwd  0.764      0x1.5f36eap+6     -0x1.40efa8p-127 -0x1.40efab0df77bbp-127
 *   -1     bwd  0.785      0x1.5804c2p+6     0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   7.3    fwd  0.790      -0x1.764e8ep+3    0x1.ebe228p-127  0x1.ebe224d6c263dp-127
 *   7.3    bwd  0.799      -0x1.79ab44p+3    0x1.a0e4b8p-125  0x1.a0e4b998ecdbbp-125
 *   The worst cases are all results below 2^-122, where tl (about 2^-24 t) is subnormal and loses
 *   bits, or where a subnormal result is rounded twice (once to 24 bits, once by the scaling);
 *   for results >= 2^-120 (beta = 1) the worst is 0.604 ULP forward (x = -0x1.c1e8cep+1, got
 *   0x1.e05188p-6 want 0x1.e0518935198c4p-6) and 0.602 backward (x = -0x1.cb31c6p+1).
 *   SP_MAX_ULP_F32_AVX2 and SP_MAX_ULP_BETA_F32_AVX2 (src/kernels.h, enforced by the tests): 1.0.
 * Special values: as in the AVX-512 file (mask, then the scalar reference in sp_*_special).
 * Tails: the same vector code on a zero-padded copy in a stack buffer, copied back, so the last
 *   elements get the same bits as the rest; unaligned pointers and in-place calls are fine.
 * Speed (AMD EPYC Zen 5 at ~4.2 GHz, one core, contiguous f32, machine otherwise idle):
 *   Gelem/s (bench/bench_softplus)   L1 (1K)  L2 (16K)  LLC (512K)  DRAM (32M)
 *   forward  beta = 1                 1.06     1.05      1.05        1.04
 *   backward beta = 1                 1.16     1.16      1.14        1.13
 *   8.9x the libm loop (expf + log1pf, 0.12); the goal of 1.9 forward is not met: the
 *   AVX2 spelling costs ~70 instructions per 8 lanes (two-permute lookups, scalef emulation).
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"


#include "arch/softplus_f32_fma_constants.h"

/* ---- the operations arch/softplus_f32_fma_algorithm.h is written in: the same names, and the same
 * rounding, as in softplus_f32_avx512.c ------------------------------------------------------- */
typedef __m256 vf;
typedef __m256 vm; /* lane masks are all-ones/all-zeros vectors */
typedef struct sp_tab16 {
    __m256 lo, hi; /* entries 0-7 and 8-15 */
} sp_tab16;
typedef struct sp_tables {
    vf t_hi, t_lo;
    sp_tab16 c, g;
} sp_tables;
#define F(c) _mm256_set1_ps(c)
#define ADD(a, b) _mm256_add_ps(a, b)
#define SUB(a, b) _mm256_sub_ps(a, b)
/* a*b as fma(a, b, -0): the same bits (-0 is the additive identity for every result, zeros
 * included), but a multiply whose result is subnormal is several times slower on AMD Zen 5 */
#define MUL(a, b) _mm256_fmadd_ps(a, b, F(-0.0f))
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)   /* a*b + c, one rounding */
#define FMS(a, b, c) _mm256_fmsub_ps(a, b, c)   /* a*b - c */
#define FNMA(a, b, c) _mm256_fnmadd_ps(a, b, c) /* c - a*b */
#define MIN(a, b) _mm256_min_ps(a, b)           /* x86 semantics: b when unordered or equal */
#define MAX(a, b) _mm256_max_ps(a, b)
#define ABS(a) _mm256_andnot_ps(F(-0.0f), a)
#define SIGN(a) _mm256_and_ps(F(-0.0f), a)
#define XOR(a, b) _mm256_xor_ps(a, b)
#define SCALE(a, n) sp_scale(a, n)
#define LOOKUP_T(k, tab) _mm256_permutevar8x32_ps(tab, _mm256_castps_si256(k)) /* tab[k mod 8] */
#define LOOKUP_J(j, tab) sp_lookup16(j, tab)                                   /* tab[j mod 16] */
#define GT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define NOT_FINITE(a) _mm256_cmp_ps(ABS(a), F(INFINITY), _CMP_NLT_UQ)
#define OR_MASK(m1, m2) _mm256_or_ps(m1, m2)
#define SELECT(m, a, b) _mm256_blendv_ps(b, a, m) /* m ? a : b */
#define ZERO() _mm256_setzero_ps()

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
SP_INLINE vf sp_lookup16(vf j, sp_tab16 tab)
{
    const __m256i idx = _mm256_castps_si256(j);
    const vf lo = _mm256_permutevar8x32_ps(tab.lo, idx);
    const vf hi = _mm256_permutevar8x32_ps(tab.hi, idx);
    return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
}

static sp_tables sp_load_tables(void)
{
    sp_tables t;
    t.t_hi = _mm256_loadu_ps(sp_t_hi);
    t.t_lo = _mm256_loadu_ps(sp_t_lo);
    t.c.lo = _mm256_loadu_ps(sp_c_table);
    t.c.hi = _mm256_loadu_ps(sp_c_table + 8);
    t.g.lo = _mm256_loadu_ps(sp_g_table);
    t.g.hi = _mm256_loadu_ps(sp_g_table + 8);
    return t;
}

/* The algorithm, one text for every FMA kernel (it uses the ops defined above). */
#include "arch/softplus_f32_fma_algorithm.h"

/* Lanes the vector path cannot do (NaN, infinities, beta*x overflowing, non-finite dy) get the
 * reference kernel's answer, element by element. */
static SP_NOINLINE vf sp_fwd_special(vf x, vf y, int special, const sp_params_f32 *p)
{
    float xs[8], ys[8];
    _mm256_storeu_ps(xs, x);
    _mm256_storeu_ps(ys, y);
    for (int i = 0; i < 8; i++)
        if (special & (1 << i))
            sp_fwd_f32_scalar(1, &xs[i], &ys[i], p);
    return _mm256_loadu_ps(ys);
}

static SP_NOINLINE vf sp_bwd_special(vf dy, vf x, vf dx, int special, const sp_params_f32 *p)
{
    float dys[8], xs[8], dxs[8];
    _mm256_storeu_ps(dys, dy);
    _mm256_storeu_ps(xs, x);
    _mm256_storeu_ps(dxs, dx);
    for (int i = 0; i < 8; i++)
        if (special & (1 << i))
            sp_bwd_f32_scalar(1, &dys[i], &xs[i], &dxs[i], p);
    return _mm256_loadu_ps(dxs);
}

/* Forward with |beta| outside [2^-20, 2^16] goes to the reference kernel: below, exp(-128)/beta (the
 * clamp of |z|) would no longer round to 0; above, t/beta can be subnormal where t is not scaled
 * (z >= -64), and the small terms of the sum would lose bits to underflow. */
static int sp_beta_in_range(float beta)
{
    const float m = fabsf(beta);
    return m >= 0x1p-20f && m <= 0x1p+16f;
}

static sp_ctx sp_make_ctx(const sp_params_f32 *p)
{
    sp_ctx k;
    const float ab = fabsf(p->beta);
    const float ib = 1.0f / ab;
    /* 1/|beta| = ib*(1 + eps) + O(eps^2), eps = 1 - |beta|*ib exactly (one fma) */
    const float eps = fmaf(-ab, ib, 1.0f);
    k.beta = F(p->beta);
    k.ib = F(ib);
    k.ibe = F(eps * ib);
    k.bsign = F(copysignf(0.0f, p->beta));
    k.thr = F(p->threshold);
    k.tab = sp_load_tables();
    return k;
}

/* The second half of a vector, and the special lanes' repair. */
SP_INLINE vf sp_fwd_finish(const sp_fwd_state *st, const sp_ctx *k, int unit, const sp_params_f32 *p)
{
    vf yv = sp_fwd_b(st, k, unit);
    const int s = _mm256_movemask_ps(st->special);
    if (s)
        yv = sp_fwd_special(st->x, yv, s, p);
    return yv;
}

SP_INLINE vf sp_bwd_finish(const sp_bwd_state *st, const sp_ctx *k, const sp_params_f32 *p)
{
    vf dxv = sp_bwd_b(st, k);
    const int s = _mm256_movemask_ps(st->special);
    if (s)
        dxv = sp_bwd_special(st->dy, st->x, dxv, s, p);
    return dxv;
}

SP_INLINE void sp_fwd_loop(size_t n, const float *x, float *y, const sp_params_f32 *p, int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    if (n >= 8) {
        /* the front of vector i + 8 is issued before the rest of vector i (software pipelining) */
        sp_fwd_state cur = sp_fwd_a(_mm256_loadu_ps(x), &k, unit);
        for (; i + 16 <= n; i += 8) {
            const sp_fwd_state next = sp_fwd_a(_mm256_loadu_ps(x + i + 8), &k, unit);
            _mm256_storeu_ps(y + i, sp_fwd_finish(&cur, &k, unit, p));
            cur = next;
        }
        _mm256_storeu_ps(y + i, sp_fwd_finish(&cur, &k, unit, p));
        i += 8;
    }
    if (i < n) {
        /* the same vector code on a zero-padded copy, so the last elements get the same bits */
        float buf[8] = {0};
        memcpy(buf, x + i, (n - i) * sizeof(float));
        const sp_fwd_state st = sp_fwd_a(_mm256_loadu_ps(buf), &k, unit);
        _mm256_storeu_ps(buf, sp_fwd_finish(&st, &k, unit, p));
        memcpy(y + i, buf, (n - i) * sizeof(float));
    }
}

SP_INLINE void sp_bwd_loop(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p,
                           int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    if (n >= 8) {
        /* pipelined as sp_fwd_loop; every vector is loaded before any store, so dx may be dy or x */
        sp_bwd_state cur = sp_bwd_a(_mm256_loadu_ps(dy), _mm256_loadu_ps(x), &k, unit);
        for (; i + 16 <= n; i += 8) {
            const sp_bwd_state next =
                sp_bwd_a(_mm256_loadu_ps(dy + i + 8), _mm256_loadu_ps(x + i + 8), &k, unit);
            _mm256_storeu_ps(dx + i, sp_bwd_finish(&cur, &k, p));
            cur = next;
        }
        _mm256_storeu_ps(dx + i, sp_bwd_finish(&cur, &k, p));
        i += 8;
    }
    if (i < n) {
        float bdy[8] = {0}, bx[8] = {0};
        memcpy(bdy, dy + i, (n - i) * sizeof(float));
        memcpy(bx, x + i, (n - i) * sizeof(float));
        const sp_bwd_state st = sp_bwd_a(_mm256_loadu_ps(bdy), _mm256_loadu_ps(bx), &k, unit);
        _mm256_storeu_ps(bx, sp_bwd_finish(&st, &k, p));
        memcpy(dx + i, bx, (n - i) * sizeof(float));
    }
}

void sp_fwd_f32_avx2(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    if (p->beta == 1.0f)
        sp_fwd_loop(n, x, y, p, 1);
    else if (sp_beta_in_range(p->beta))
        sp_fwd_loop(n, x, y, p, 0);
    else
        sp_fwd_f32_scalar(n, x, y, p);
}

void sp_bwd_f32_avx2(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    /* any finite beta: backward does not divide by it */
    if (p->beta == 1.0f)
        sp_bwd_loop(n, dy, x, dx, p, 1);
    else
        sp_bwd_loop(n, dy, x, dx, p, 0);
}

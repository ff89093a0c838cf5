/* softplus_f32_sse41.c -- f32 softplus forward and backward kernels for SSE4.1 (no FMA).
 * SPDX-License-Identifier: MIT
 *
 * Method. Without FMA the error-free steps of the FMA kernels cost too much, so this kernel works in
 * double, two lanes at a time, where beta*x is exact (24 + 24 bits) and ~30 correct bits are plenty
 * for a result rounded once to float:
 *   t = exp(-a), a = min(|beta*x|, 600): a = k ln2 + r (Cody-Waite, k*SP_LN2_HI exact), |r| <= ln2/2,
 *     exp(-r) = 1 + r E(r) (E degree 6), 2^-k put in the exponent field (k <= 866, a normal double).
 *     The cap is not 120, where exp(-a) already rounds to float 0, because the result may still be
 *     scaled up: by 1/|beta| <= 2^149 forward and by |dy| < 2^128 backward, so float results reach down
 *     to exp(-a) ~ 2^-299; at a = 600 (2^-865.6) every such product is far below float's range, while
 *     exp(-a) times 1/|beta| >= 2^-128 or |dy| >= 2^-149 is still a normal double, so a zero result
 *     keeps its sign (x*0 + tiny, not +0 + -0);
 *   log1p(t) = 2 atanh(s), s = t/(2+t) <= 1/3: 2s + 2s w G(w), w = s^2, G degree 4;
 *   y = (z > 0 ? x : 0) + log1p(t)/beta (1/beta in double), converted to float once.
 *   Backward: sigmoid = (z < 0 ? t : 1)/(1 + t) in double; dx = dy*sigmoid in double, rounded once,
 *   as the reference does.
 *   No table lookups (SSE4.1 has no cheap permute of 16 floats) and no beta restrictions: any finite
 *   beta keeps its exactness in double.
 * Polynomials: tests/tools/softplus_f32_coeffs.sollya (fpminimax, double coefficients): E on
 *   |r| <= ln2/2 + 2^-10, relative error 2^-28.7; G on w in [0, 1/9], relative error of log1p 2^-31.3.
 * Accuracy (tests/accuracy/ulp_sweep, every one of the 2^32 inputs, reference in double):
 *   beta   op   worst ULP  at x               got              want (both thresholds, inf and 20)
 *   1      fwd  0.5345     -0x1.9bac4p+4     0x1.d72b4ap-38   0x1.d72b4b11a3f54p-38
 *   1      bwd  0.5344     -0x1.aba238p+5    0x1.d7bffep-78   0x1.d7bfff11a2d22p-78
 *   0.5    fwd  0.5345     -0x1.9bac4p+5     0x1.d72b4ap-37   0x1.d72b4b11a3f54p-37
 *   0.5    bwd  0.5344     -0x1.aba238p+6    0x1.d7bffep-78   0x1.d7bfff11a2d22p-78
 *   2      fwd  0.5345     -0x1.9bac4p+3     0x1.d72b4ap-39   0x1.d72b4b11a3f54p-39
 *   2      bwd  0.5344     -0x1.aba238p+4    0x1.d7bffep-78   0x1.d7bfff11a2d22p-78
 *   -1     fwd  0.5345     0x1.9bac4p+4      -0x1.d72b4ap-38  -0x1.d72b4b11a3f54p-38
 *   -1     bwd  0.5344     0x1.aba238p+5     0x1.d7bffep-78   0x1.d7bfff11a2d22p-78
 *   7.3    fwd  0.5372     -0x1.8b407ap-1    0x1.ffc324p-12   0x1.ffc325130b50fp-12
 *   7.3    bwd  0.5344     -0x1.d0c46ap+0    0x1.d70ff8p-20   0x1.d70ff911a33e8p-20
 *   i.e. one rounding of a double result good to ~2^-28.7 (the exp polynomial dominates).
 *   SP_MAX_ULP_F32_SSE41 and SP_MAX_ULP_BETA_F32_SSE41 (src/kernels.h, enforced by the tests): 0.75.
 * Special values: lanes where fl(beta*x) is not finite (NaN, +-inf, overflow) and, backward, where dy
 *   is not finite, are flagged in a mask and redone by the scalar reference in sp_*_special (not
 *   inlined). The threshold test is on the float product, as PyTorch makes it.
 * Tails: the same vector code on a zero-padded copy in a stack buffer, copied back.
 * Speed (AMD EPYC Zen 5 at ~4.2 GHz, one core, contiguous f32, machine otherwise idle):
 *   Gelem/s (bench/bench_softplus)   L1 (1K)  L2 (16K)  LLC (512K)  DRAM (32M)
 *   forward  beta = 1                 0.25     0.27      0.27        0.27
 *   backward beta = 1                 0.45     0.45      0.45        0.44
 *   forward 2.1-2.4x the libm loop (expf + log1pf, 0.12), backward 3.6x an expf loop at LLC/DRAM:
 *   the goal of 4x is not met (two double lanes per instruction, a division per lane).
 */
#include <math.h>
#include <smmintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"


/* ---- constants (double); tests/tools/softplus_f32_coeffs.sollya prints every one of them ------- */
#define SP_INV_LN2 0x1.71547652b82fep+0  /* 1/ln 2 ~ 1.4426950 */
#define SP_LN2_HI 0x1.62e42ffp-1         /* ln 2 to 29 bits: k*SP_LN2_HI is exact ~ 0.69314718 */
#define SP_LN2_LO -0x1.718432a1b0e26p-35 /* ln 2 - SP_LN2_HI ~ -4.2046e-11 */
#define SP_A_MAX 600.0                   /* |z| clamp: exp(-600) ~ 2^-865.6 stays 0 in float even
                                            * times 1/beta or dy (at most 2^149) */
/* exp(-r) = 1 + r*E(r), |r| <= ln2/2 + 2^-10, relative error < 2^-28.7 */
#define SP_E1 -0x1.0000009e784e6p+0      /* -1.0000001 */
#define SP_E2 0x1.fffffd0da1abcp-2       /*  0.49999996 */
#define SP_E3 -0x1.555406f1e3e19p-3      /* -0.16666418 */
#define SP_E4 0x1.555762f178059p-5       /*  0.041667646 */
#define SP_E5 -0x1.126eee1f03837p-7      /* -0.0083750403 */
#define SP_E6 0x1.6b7344adf0227p-10      /*  0.0013864527 */
/* log1p(t) = 2 atanh(s) = 2s + 2s*w*G(w), s = t/(2+t), w = s^2 <= 1/9, relative error < 2^-31.2 */
#define SP_G0 0x1.5555559079dc3p-2       /*  0.33333334 */
#define SP_G1 0x1.9998cdc967c0fp-3       /*  0.19999848 */
#define SP_G2 0x1.24ca56dc1d4fp-3        /*  0.14296406 */
#define SP_G3 0x1.bc6aa9584900ep-4       /*  0.10850016 */
#define SP_G4 0x1.dc3d0e86c772p-4        /*  0.11626917 */

#define D(c) _mm_set1_pd(c)

/* exp(-a) for 0 <= a <= SP_A_MAX: a = k ln2 + r, exp(-r) by a polynomial, 2^-k built in the
 * exponent field (k <= 866, so 2^-k is a normal double). */
SP_INLINE __m128d sp_exp_neg(__m128d a)
{
    const __m128d k =
        _mm_round_pd(_mm_mul_pd(a, D(SP_INV_LN2)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m128d r = _mm_sub_pd(_mm_sub_pd(a, _mm_mul_pd(k, D(SP_LN2_HI))), _mm_mul_pd(k, D(SP_LN2_LO)));
    __m128d E = _mm_add_pd(_mm_mul_pd(D(SP_E6), r), D(SP_E5));
    E = _mm_add_pd(_mm_mul_pd(E, r), D(SP_E4));
    E = _mm_add_pd(_mm_mul_pd(E, r), D(SP_E3));
    E = _mm_add_pd(_mm_mul_pd(E, r), D(SP_E2));
    E = _mm_add_pd(_mm_mul_pd(E, r), D(SP_E1));
    E = _mm_add_pd(_mm_mul_pd(E, r), D(1.0));
    const __m128i ki = _mm_cvtepi32_epi64(_mm_cvtpd_epi32(k));
    const __m128i bits = _mm_slli_epi64(_mm_sub_epi64(_mm_set1_epi64x(1023), ki), 52);
    return _mm_mul_pd(E, _mm_castsi128_pd(bits));
}

/* Two lanes of softplus in double: y = (z > 0 ? x : 0) + log1p(exp(-|z|))/beta, z = beta*x exact. */
SP_INLINE __m128d sp_fwd2(__m128d xd, __m128d beta, __m128d ib, int unit)
{
    const __m128d z = unit ? xd : _mm_mul_pd(beta, xd);
    const __m128d a = _mm_min_pd(_mm_andnot_pd(D(-0.0), z), D(SP_A_MAX));
    const __m128d t = sp_exp_neg(a);
    const __m128d s = _mm_div_pd(t, _mm_add_pd(t, D(2.0)));
    const __m128d w = _mm_mul_pd(s, s);
    __m128d G = _mm_add_pd(_mm_mul_pd(D(SP_G4), w), D(SP_G3));
    G = _mm_add_pd(_mm_mul_pd(G, w), D(SP_G2));
    G = _mm_add_pd(_mm_mul_pd(G, w), D(SP_G1));
    G = _mm_add_pd(_mm_mul_pd(G, w), D(SP_G0));
    const __m128d s2 = _mm_add_pd(s, s);
    const __m128d g = _mm_add_pd(s2, _mm_mul_pd(s2, _mm_mul_pd(w, G))); /* log1p(t) */
    const __m128d xp = _mm_and_pd(_mm_cmpgt_pd(z, _mm_setzero_pd()), xd);
    return _mm_add_pd(xp, unit ? g : _mm_mul_pd(g, ib));
}

/* Two lanes of sigmoid(beta*x) in double. */
SP_INLINE __m128d sp_sig2(__m128d xd, __m128d beta, int unit)
{
    const __m128d z = unit ? xd : _mm_mul_pd(beta, xd);
    const __m128d a = _mm_min_pd(_mm_andnot_pd(D(-0.0), z), D(SP_A_MAX));
    const __m128d t = sp_exp_neg(a);
    const __m128d num = _mm_blendv_pd(D(1.0), t, _mm_cmplt_pd(z, _mm_setzero_pd()));
    return _mm_div_pd(num, _mm_add_pd(t, D(1.0)));
}

typedef struct sp_ctx {
    __m128 beta_f, thr;
    __m128d beta, ib;
} sp_ctx;

#define SP_NOT_FINITE(v) \
    _mm_movemask_ps(_mm_cmpnlt_ps(_mm_andnot_ps(_mm_set1_ps(-0.0f), v), _mm_set1_ps(INFINITY)))

SP_INLINE __m128 sp_fwd_vec(__m128 x, const sp_ctx *k, int unit, int *special)
{
    /* the branch decision is on the float product, as PyTorch makes it */
    const __m128 zf = unit ? x : _mm_mul_ps(k->beta_f, x);
    *special = SP_NOT_FINITE(zf); /* NaN, +-inf, or beta*x overflowing */
    const __m128d lo = sp_fwd2(_mm_cvtps_pd(x), k->beta, k->ib, unit);
    const __m128d hi = sp_fwd2(_mm_cvtps_pd(_mm_movehl_ps(x, x)), k->beta, k->ib, unit);
    const __m128 y = _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
    return _mm_blendv_ps(y, x, _mm_cmpgt_ps(zf, k->thr));
}

SP_INLINE __m128 sp_bwd_vec(__m128 dy, __m128 x, const sp_ctx *k, int unit, int *special)
{
    const __m128 zf = unit ? x : _mm_mul_ps(k->beta_f, x);
    /* also an infinite or NaN dy: the reference's inf*0 = NaN where exp underflows in double */
    *special = SP_NOT_FINITE(zf) | SP_NOT_FINITE(dy);
    const __m128d slo = sp_sig2(_mm_cvtps_pd(x), k->beta, unit);
    const __m128d shi = sp_sig2(_mm_cvtps_pd(_mm_movehl_ps(x, x)), k->beta, unit);
    /* dx = dy*s rounded once from double, as the reference does */
    const __m128d dlo = _mm_mul_pd(_mm_cvtps_pd(dy), slo);
    const __m128d dhi = _mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(dy, dy)), shi);
    const __m128 dx = _mm_movelh_ps(_mm_cvtpd_ps(dlo), _mm_cvtpd_ps(dhi));
    return _mm_blendv_ps(dx, dy, _mm_cmpgt_ps(zf, k->thr));
}

/* Lanes the vector path cannot do (NaN, infinities, beta*x overflowing, non-finite dy) get the
 * reference kernel's answer, element by element. */
static SP_NOINLINE __m128 sp_fwd_special(__m128 x, __m128 y, int special, const sp_params_f32 *p)
{
    float xs[4], ys[4];
    _mm_storeu_ps(xs, x);
    _mm_storeu_ps(ys, y);
    for (int i = 0; i < 4; i++)
        if (special & (1 << i))
            sp_fwd_f32_scalar(1, &xs[i], &ys[i], p);
    return _mm_loadu_ps(ys);
}

static SP_NOINLINE __m128 sp_bwd_special(__m128 dy, __m128 x, __m128 dx, int special, const sp_params_f32 *p)
{
    float dys[4], xs[4], dxs[4];
    _mm_storeu_ps(dys, dy);
    _mm_storeu_ps(xs, x);
    _mm_storeu_ps(dxs, dx);
    for (int i = 0; i < 4; i++)
        if (special & (1 << i))
            sp_bwd_f32_scalar(1, &dys[i], &xs[i], &dxs[i], p);
    return _mm_loadu_ps(dxs);
}

static sp_ctx sp_make_ctx(const sp_params_f32 *p)
{
    sp_ctx k;
    k.beta_f = _mm_set1_ps(p->beta);
    k.thr = _mm_set1_ps(p->threshold);
    k.beta = D((double)p->beta);
    k.ib = D(1.0 / (double)p->beta); /* relative error 2^-53: nothing a float result can see */
    return k;
}

SP_INLINE __m128 sp_fwd_step(__m128 xv, const sp_ctx *k, int unit, const sp_params_f32 *p)
{
    int special;
    __m128 yv = sp_fwd_vec(xv, k, unit, &special);
    if (special)
        yv = sp_fwd_special(xv, yv, special, p);
    return yv;
}

SP_INLINE __m128 sp_bwd_step(__m128 dyv, __m128 xv, const sp_ctx *k, int unit, const sp_params_f32 *p)
{
    int special;
    __m128 dxv = sp_bwd_vec(dyv, xv, k, unit, &special);
    if (special)
        dxv = sp_bwd_special(dyv, xv, dxv, special, p);
    return dxv;
}

SP_INLINE void sp_fwd_loop(size_t n, const float *x, float *y, const sp_params_f32 *p, int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(y + i, sp_fwd_step(_mm_loadu_ps(x + i), &k, unit, p));
    if (i < n) {
        /* the same vector code on a zero-padded copy, so the last elements get the same bits */
        float buf[4] = {0};
        memcpy(buf, x + i, (n - i) * sizeof(float));
        _mm_storeu_ps(buf, sp_fwd_step(_mm_loadu_ps(buf), &k, unit, p));
        memcpy(y + i, buf, (n - i) * sizeof(float));
    }
}

SP_INLINE void sp_bwd_loop(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p,
                           int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(dx + i, sp_bwd_step(_mm_loadu_ps(dy + i), _mm_loadu_ps(x + i), &k, unit, p));
    if (i < n) {
        float bdy[4] = {0}, bx[4] = {0};
        memcpy(bdy, dy + i, (n - i) * sizeof(float));
        memcpy(bx, x + i, (n - i) * sizeof(float));
        _mm_storeu_ps(bx, sp_bwd_step(_mm_loadu_ps(bdy), _mm_loadu_ps(bx), &k, unit, p));
        memcpy(dx + i, bx, (n - i) * sizeof(float));
    }
}

void sp_fwd_f32_sse41(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    if (p->beta == 1.0f)
        sp_fwd_loop(n, x, y, p, 1);
    else
        sp_fwd_loop(n, x, y, p, 0);
}

void sp_bwd_f32_sse41(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    if (p->beta == 1.0f)
        sp_bwd_loop(n, dy, x, dx, p, 1);
    else
        sp_bwd_loop(n, dy, x, dx, p, 0);
}

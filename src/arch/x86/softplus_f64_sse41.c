/* softplus_f64_sse41.c -- f64 softplus forward, backward, second derivative, inverse and beta gradient,
 * 2 lanes of SSE4.1 (no FMA).
 * SPDX-License-Identifier: MIT
 *
 * Method: the one of arch/softplus_f64_fma_algorithm.h (read its header), with the FMAs replaced by exact
 * products (Veltkamp split, Dekker's two-product) where the method needs an exact residual:
 *   z_lo = beta*x - z:   beta = mb * 2^eb is split once per call; x*2^eb is split per lane (it is
 *                        exact and in range wherever z_lo matters, |z| <= A_fast);
 *   r = a + k*ln2/16:    Cody-Waite with a 37-bit ln2/16, so k*L_CW_HI is exact for |k| < 2^16;
 *   c_i * t_hi:          c_i has 26 bits, so only t_hi is split;
 *   S/beta, 1/u, dy*s:   the quotient q = S/beta, the reciprocal r0 = 1/u_hi and s_hi are cut to 26
 *                        bits, so their products with 26-bit halves are exact and the residuals
 *                        S - q*beta and 1 - r0*u are exact (1/u then takes r0*(1 + rr + rr^2)).
 * Rounding differs from the FMA kernels (products rounded before the adds), so the bits are not
 * those of avx2/avx512; the bounds are the same.
 * Release 1.1's ops, from the same stage 1 (t = exp(-|z|) with z_lo inside it) and the same pieces:
 *   second derivative  out = g*beta*d, d = t/(1+t)^2 = (t/(1+t)) * (1/(1+t)): backward's 1/(1+t) =
 *            r0 + r1 (r0 26 bits) and t/(1+t) = nh + nl (nh = thh*r0, 52 bits), their product as
 *            dh + dl from two exact products nhh*r0, nhl*r0 and the cross terms (nl*r1 included: both
 *            are ~2^-26 relative, 11 ULP without it); beta != 1: w = beta*d = wh + wl by Dekker against
 *            beta's per-call halves; then g*w as backward's dy*s (w_hi to 26 bits, g split), one rounding
 *            that counts. Never s*(1 - s): accurate down to the underflow.
 *   beta gradient  out = -dy*h/beta^2, h = a t/(1+t) + log1p(t) (a = |z| + a_lo; a_lo from stage 1 as a
 *            third buffer when beta != 1): a*(t/(1+t)) by Dekker (a split, nh cut to 26 + 26 bits),
 *            log1p(t) = forward's gh + gl, a two-sum on (max, min) of the two positive terms; h/beta^2
 *            in beta's mantissa units mb^2 = m2hh + m2hl + m2l (per call): q0 = h*RN(1/mb^2) to 26 bits,
 *            one residual, scaled by 2^-2eb exactly; then dy*q as backward's dy*s.
 *   Both are +0 where fl(beta*x) > threshold (every finite threshold tested per lane). Lanes with
 *   |z| > 700 (beta gradient: 600, and every lane when |beta| is outside [2^-480, 2^480]) or NaN, a
 *   multiplier above 2^990, inf or NaN, |beta*d| < 2^-1000 (beta != 1), h/beta^2 < 2^-900, and results
 *   that overflow or fall below 2^-969 with a non-zero multiplier go to the careful path: the scalar
 *   reference's element functions in long double, whose exp(-a) is carried to a = 11400 (the multipliers
 *   g*beta and dy/beta^2 reach 2^2048 and 2^3172), rounded once to double.
 *   inverse  x = log(expm1(beta*y))/beta by the FMA kernels' three ranges (sp_inv_v in
 *            arch/softplus_f64_fma_algorithm.h: log z + z/2 + z^2 LA(z^2) below 1/2, log1p(2 expm1(z - ln2))
 *            up to 0.9, z - ln2 + log1p(1 - 2t) above with stage 1's t; z_lo carried in all three, from
 *            stage 1 as a third buffer when beta != 1; one log1p table), with the FMA residuals that count
 *            made exact: kz*ln2 against a 37-bit head of ln 2 (|kz| <= 1022) and D^2 by Dekker's square;
 *            1 + 2X needs none (2X is exact). Then forward's quotient by beta (none at beta = 1). x = y
 *            where z > min(threshold, 40): beyond 40 the exact x = y (1 - e^-z/z + ...) is within 2^-63 y
 *            of y and rounds to it, so no arithmetic (FMA or not) is involved. Careful path, the scalar
 *            reference's element function with its order of special cases (NaN y, z > the cut, beta*y
 *            < 0 the default NaN, y = +-0 -inf/beta): z < 2^-1022 (y <= 0, beta*y < 0, subnormal or
 *            underflowed products) or NaN, a result below 2^-969 (beta != 1), every lane when |beta| <
 *            2^-1000. No input of the bench (y = softplus(x), x in [-20, 40], beta 1) takes it.
 *
 * Accuracy (bounds SP_MAX_ULP_F64_SSE41 and SP_MAX_ULP_BETA_F64_SSE41, 1.0, in kernels.h), measured
 * against a long double reference:
 *   forward  beta 1, 0.5, 2, -1: max 0.636 ULP at z = beta*x = -0x1.c434ace87e88p+1 (beta 1: got
 *            0x1.d7e66933d3e5ap-6, want 0xe.bf33499e9f2d517p-9); beta 7.3: max 0.608 ULP at
 *            x = -0x1.0081931503c0fp-1, got 0x1.c970a06a1dbc4p-9, want 0xe.4b850350ede1b23p-12.
 *   backward beta 1: max 0.551 ULP at x = -0x1.63a5ee69dbe0bp+8, got 0x1.e06b5219528p-514, want
 *            0xf.035a90ca9400469p-517; beta 0.5, 2 the same z; beta -1: 0.552 at x = 0x1.4041f5d8f3008p+8;
 *            beta 7.3: 0.550 at x = -0x1.2a8adcc47c4d7p+6.
 *   double backward (g = 1) beta 1: max 0.5518 ULP at x = 0x1.750af68fb55f8p+7, got
 *            0x1.dfdd51bd4990ep-270, want 0xe.feea8dea4c8746ap-273 (the FMA kernels' worst case too);
 *            beta 0.5: 0.5513 at x = -0x1.63a5ee69dbe0bp+9; 2: 0.5537 at x = 0x1.b62a308056f7p+5; -1:
 *            0.5518 at beta 1's x; 7.3: 0.5615 at x = 0x1.005ac72eb4535p+6, got 0x1.e014e2adfa068p-673,
 *            want 0xf.00a7156fd033b82p-676.
 *   beta gradient (dy = 1) beta 1: max 0.5625 ULP at x = -0x1.b73d16b33627p+7, got
 *            -0x1.ebbab01d6308fp-310, want -0xf.5dd580eb184738p-313 (as the FMA kernels); 0.5: 0.5610 at
 *            x = 0x1.8da0193cd9993p+3; 2: 0.5610 at the same z; -1: 0.5625; 7.3: 0.5601 at
 *            x = -0x1.bddd7192d5dedp+5, got -0x1.f68190def0c96p-585, want -0xf.b40c86f7864ab85p-588.
 *   inverse  beta 1: max 0.5815 ULP at y = 0x1.5d2a169b5dp-1, got -0x1.70990a8e0416ep-6, want
 *            -0xb.84c8547020b74a7p-9 (the FMA kernels' worst case: z ~ 0.682, E just below -0.0293, where
 *            log1p(1 + 2E) - ln2 cancels; 952 of 10^8 results over 0.5 ULP); beta 0.5: 0.5811 at
 *            y = 0x1.66c7a15f4d41p+0, got 0x1.efd8857b65e78p-6, want 0xf.7ec42bdb2f3c4a6p-9; 2: the same z;
 *            -1: 0.5830 at y = -0x1.5f67894195478p-1, got 0x1.bfdb15a7e827ep-7, want
 *            0xd.fed8ad3f413eb56p-10; 7.3: 0.5845 at y = 0x1.152095e0fa2cap-4, got -0x1.f719b5d41df76p-5,
 *            want -0xf.b8cdaea0efbab53p-8. beta in {1e-300, 1e300, -7.3e200, 1.5e-9, 3e150, 1e-305} (10^6
 *            each): at most 0.551 (-7.3e200, y = -0x1.80d382fb44f03p-669); subnormal beta (2^-1040,
 *            -2^-1074, 1.5*2^-1022: every lane careful) and 1e300, -DBL_MAX (every result below 2^-969)
 *            bit-identical to the scalar kernel on 2^20 inputs per threshold in {inf, 20, -3.5, 0, 50, 40}.
 *   (tests/accuracy/ulp_sweep --f64, 10^8 inputs per beta: dense over [-750, 750], log-uniform
 *   magnitudes and the edges.) beta in {1e-300, 1e300, -7.3e200, 1.5e-9}: at most 0.59 (fwd) and
 *   0.54 (bwd) on 3*10^5 inputs each; the double backward at most 0.539 for beta in {1e-300, 1e300,
 *   -7.3e200, 1.5e-9, 3e150, 1e-200}, the beta gradient 0.533 for 1.5e-9 and 3e150 (1e300 and -7.3e200:
 *   every result rounds to 0; 1e-300 and 1e-200: -inf where ln2/beta^2 > DBL_MAX, which ulp_sweep counts
 *   against the finite long double reference, for the scalar kernel too).
 *
 * Special values. Lanes outside the fast path (NaN, +-inf, |beta*x| > A_fast, every lane when
 * |beta| < 2^-1000; backward also |dy| > 2^990, inf or NaN, and 0 < |dx| < 2^-969 with dy != 0, where
 * the partial products of dy*s would round on the subnormal grid) are flagged and, after each block
 * (arch/softplus_loop.h, as for the FMA kernels), recomputed one by one by the scalar reference's element
 * functions (arch/generic/softplus_f64_reference.h: x87 long double, 64-bit significand and wide exponent,
 * expl/log1pl, beta*x's rounding error by Dekker's product), rounded once to double: there is no range
 * to manage, and those lanes get the reference's bits (at most 0.5015 ULP).
 * Speed: the move to the shared driver (deferred special lanes) left 1K and 32K elements within +-2%
 * (new/old medians of interleaved pairs); at 2M and 32M elements forward measured 5-15% slower in four
 * runs, on a machine whose noise floor there is +-5% (an old/old control gave 1.055), not resolved.
 * |z| >= 2048, inf or NaN gives y = x (z > 0), 0 with beta's sign (z < 0) or NaN, dx = dy or dy*0
 * (dy*0 only for an infinite x: an infinite dy stays infinite for every finite x).
 */
#include <float.h>
#include <math.h>
#include <smmintrin.h>
#include <stdint.h>
#include <string.h>

#include "arch/softplus_f64_common.h"
#include "arch/generic/softplus_f64_reference.h"

#define SP_F64_SPLIT 0x1.0000002p27 /* 2^27 + 1, Veltkamp's splitter */
#define SP_F64_DY_MAX 0x1p990     /* larger |dy| would overflow the splitter */

/* ---- per-call constants ------------------------------------------------------------------------ */
typedef struct sp_f64_setup {
    double beta, rb, threshold;
    double a_fast;        /* lanes with a = |beta*x| above it (or NaN) take the special path */
    double mbh, mbl, p2eb; /* beta = (mbh + mbl) * p2eb, |mbh + mbl| in [1, 2), mbh and mbl 26 bits */
    double rp2eb;          /* 1/p2eb */
    double bh, bl;         /* beta = bh + bl, 26 bits each (mbh*p2eb, mbl*p2eb) */
    /* the beta gradient (sp_f64_setup_bbeta): mb^2 = m2hh + m2hl + m2l (m2hh 26 bits, m2hl 27, m2h =
     * m2hh + m2hl = RN(mb^2)), rm2 = RN(1/m2h), sc2 = 1/p2eb^2 (beta^2 = mb^2 / sc2), and the bound on a
     * of its fast path (-1: every lane special) */
    double m2hh, m2hl, m2l, rm2, sc2, a_fast_bbeta;
    /* the inverse (sp_f64_setup_inv): x = y where z > inv_cut = min(threshold, 40); fast-path results
     * below inv_x_min (NaN: every lane, when |beta| < 2^-1000) take the careful path */
    double inv_cut, inv_x_min;
} sp_f64_setup;

static void sp_f64_setup_init(sp_f64_setup *s, const sp_params_f64 *p)
{
    s->beta = p->beta;
    s->rb = 1.0 / p->beta;
    s->threshold = p->threshold;
    s->a_fast = sp_f64_a_fast(p->beta); /* -1 for tiny beta: 2^eb stays normal */
    if (p->beta != 1.0) {
        int eb;
        const double m = 2.0 * frexp(p->beta, &eb); /* beta = m * 2^(eb-1), |m| in [1, 2) */
        const double c = SP_F64_SPLIT * m;
        s->mbh = c - (c - m);
        s->mbl = m - s->mbh;
        s->p2eb = ldexp(1.0, eb - 1);
        s->rp2eb = ldexp(1.0, 1 - eb);
        s->bh = s->mbh * s->p2eb;
        s->bl = s->mbl * s->p2eb;
    }
}

/* The beta gradient's constants: |beta| in [2^-480, 2^480] keeps beta^2's parts and h/beta^2 >= 2^-900
 * normal (sc2 in [2^-962, 2^960]); outside, every lane takes the special path. */
static void sp_f64_setup_bbeta(sp_f64_setup *s, const sp_params_f64 *p)
{
    const double ab = fabs(p->beta);
    s->a_fast_bbeta = ab >= 0x1p-480 && ab <= 0x1p480 ? SP_F64_A_FAST_BBETA : -1.0;
    if (p->beta == 1.0 || s->a_fast_bbeta < 0)
        return;
    /* Dekker's square of mb = mbh + mbl (26 bits each): every partial product is exact */
    const double m2h = (s->mbh + s->mbl) * (s->mbh + s->mbl);
    s->m2l = ((s->mbh * s->mbh - m2h) + 2.0 * s->mbh * s->mbl) + s->mbl * s->mbl;
    uint64_t b;
    memcpy(&b, &m2h, sizeof b);
    b &= 0xfffffffff8000000ULL;
    memcpy(&s->m2hh, &b, sizeof b);
    s->m2hl = m2h - s->m2hh;
    s->rm2 = 1.0 / m2h;
    s->sc2 = s->rp2eb * s->rp2eb;
}

/* The inverse's constants, as the FMA kernels' (sp_f64_ctx_init) */
static void sp_f64_setup_inv(sp_f64_setup *s, const sp_params_f64 *p)
{
    s->inv_cut = p->threshold < SP_F64_INV_EXACT ? p->threshold : SP_F64_INV_EXACT; /* NaN -> 40 */
    s->inv_x_min = s->a_fast < 0.0 ? NAN : SP_F64_DX_TINY;
}

#define SP_SET1(c) _mm_set1_pd(c)
#define SP_ABS(v) _mm_andnot_pd(_mm_set1_pd(-0.0), v)

/* tab[i & 15] for the low 4 bits i of each 64-bit lane */
SP_INLINE __m128d sp_lut(const double *tab, __m128i i)
{
    const double *lo = tab + (_mm_cvtsi128_si64(i) & 15);
    const double *hi = tab + (_mm_extract_epi64(i, 1) & 15);
    return _mm_loadh_pd(_mm_load_sd(lo), hi);
}

/* Veltkamp: a = ah + al, each with at most 26 significant bits (|a| < 2^996) */
SP_INLINE void sp_split(__m128d a, __m128d *ah, __m128d *al)
{
    const __m128d c = _mm_mul_pd(a, SP_SET1(SP_F64_SPLIT));
    *ah = _mm_sub_pd(c, _mm_sub_pd(c, a));
    *al = _mm_sub_pd(a, *ah);
}

/* a with the low 27 significand bits cleared: 26 significant bits, so its product with another
 * 26-bit number is exact */
SP_INLINE __m128d sp_trunc26(__m128d a)
{
    return _mm_and_pd(a, _mm_castsi128_pd(_mm_set1_epi64x((long long)0xfffffffff8000000ULL)));
}

/* a*b - p exactly, for p = RN(a*b) and split a, b (Dekker) */
SP_INLINE __m128d sp_prod_err(__m128d p, __m128d ah, __m128d al, __m128d bh, __m128d bl)
{
    const __m128d e = _mm_add_pd(_mm_add_pd(_mm_sub_pd(_mm_mul_pd(ah, bh), p), _mm_mul_pd(ah, bl)),
                                 _mm_mul_pd(al, bh));
    return _mm_add_pd(e, _mm_mul_pd(al, bl));
}

/* beta*x - z, exact wherever |z| <= A_fast and z is normal (there x*2^eb is exact and small) */
SP_INLINE __m128d sp_zlo(__m128d x, __m128d z, const sp_f64_setup *s)
{
    __m128d xh, xl;
    sp_split(_mm_mul_pd(x, SP_SET1(s->p2eb)), &xh, &xl);
    return sp_prod_err(z, SP_SET1(s->mbh), SP_SET1(s->mbl), xh, xl);
}

/* E(r) = exp(-r) - 1 */
SP_INLINE __m128d sp_exp_poly(__m128d r)
{
    const __m128d r2 = _mm_mul_pd(r, r);
    const __m128d p23 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_E3), r), SP_SET1(SP_F64_E2));
    const __m128d p45 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_E5), r), SP_SET1(SP_F64_E4));
    const __m128d p67 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_E7), r), SP_SET1(SP_F64_E6));
    const __m128d p47 = _mm_add_pd(_mm_mul_pd(p67, r2), p45);
    const __m128d p27 = _mm_add_pd(_mm_mul_pd(p47, r2), p23);
    return _mm_sub_pd(_mm_mul_pd(p27, r2), r);
}

/* Q(v) with log1p(v) = v + v^2*Q(v) */
SP_INLINE __m128d sp_log_poly(__m128d v, __m128d v2)
{
    const __m128d q23 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_G3), v), SP_SET1(SP_F64_G2));
    const __m128d q45 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_G5), v), SP_SET1(SP_F64_G4));
    const __m128d q67 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_G7), v), SP_SET1(SP_F64_G6));
    const __m128d q89 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_G9), v), SP_SET1(SP_F64_G8));
    const __m128d v4 = _mm_mul_pd(v2, v2);
    const __m128d q25 = _mm_add_pd(_mm_mul_pd(q45, v2), q23);
    const __m128d q69 = _mm_add_pd(_mm_mul_pd(q89, v2), q67);
    return _mm_add_pd(_mm_mul_pd(q69, v4), q25);
}

/* ---- the fast path, in two stages (see arch/softplus_f64_fma_algorithm.h) ----------------------- */

/* t = exp(-(a + a_lo)) = th + tl */
SP_INLINE void sp_stage1(__m128d x, const sp_f64_setup *s, int b1, __m128d *pth, __m128d *ptl, __m128d *pzl)
{
    const __m128d z = b1 ? x : _mm_mul_pd(SP_SET1(s->beta), x);
    const __m128d a = SP_ABS(z);
    const __m128d kd = _mm_add_pd(_mm_mul_pd(a, SP_SET1(-SP_F64_INV_L)), SP_SET1(SP_F64_SHIFT));
    const __m128d kf = _mm_sub_pd(kd, SP_SET1(SP_F64_SHIFT));
    const __m128d rho = _mm_add_pd(a, _mm_mul_pd(kf, SP_SET1(SP_F64_L_CW_HI))); /* exact */
    __m128d rl = _mm_mul_pd(kf, SP_SET1(SP_F64_L_CW_LO));
    *pzl = _mm_setzero_pd();
    if (!b1) {
        *pzl = sp_zlo(x, z, s);
        rl = _mm_add_pd(rl, _mm_xor_pd(*pzl, _mm_and_pd(z, SP_SET1(-0.0))));
    }
    const __m128d e = sp_exp_poly(_mm_add_pd(rho, rl));
    const __m128i kdi = _mm_castpd_si128(kd);
    const __m128i tb = _mm_castpd_si128(sp_lut((const double *)sp_f64_exp_tbits, kdi));
    const __m128d tr = sp_lut(sp_f64_exp_trel, kdi);
    const __m128d s1 = _mm_castsi128_pd(_mm_add_epi64(tb, _mm_slli_epi64(kdi, 48)));
    const __m128d s2 = _mm_mul_pd(s1, _mm_add_pd(e, tr));
    const __m128d th = _mm_add_pd(s1, s2);
    *pth = th;
    *ptl = _mm_sub_pd(s2, _mm_sub_pd(th, s1));
}

/* stage 1 without z_lo: forward with beta = 1 (where it is 0) and backward (which does not use it) */
SP_INLINE void sp_stage1_b(__m128d x, const sp_f64_setup *s, int b1, __m128d *pth, __m128d *ptl)
{
    __m128d zl;
    sp_stage1(x, s, b1, pth, ptl, &zl);
}

/* g = log1p(t) = l_i + log1p(v) = gh + gl for t = th + tl in [0, 1] (forward's stage 2) */
SP_INLINE void sp_log1p_t(__m128d th, __m128d tl, __m128d *pgh, __m128d *pgl)
{
    const __m128d id = _mm_add_pd(_mm_min_pd(th, SP_SET1(SP_F64_IDX_MAX)), SP_SET1(0x1.8p48));
    const __m128i idi = _mm_castpd_si128(id);
    const __m128d c = sp_lut(sp_f64_log_c, idi);
    const __m128d l = sp_lut(sp_f64_log_l, idi);
    /* c has 26 bits: c*thh and c*thl are exact, so Dekker's error term needs no split of c */
    const __m128d thh = sp_trunc26(th);
    const __m128d thl = _mm_sub_pd(th, thh);
    const __m128d ph = _mm_mul_pd(c, th);
    const __m128d pl = _mm_add_pd(_mm_sub_pd(_mm_mul_pd(c, thh), ph), _mm_mul_pd(c, thl));
    const __m128d vh = _mm_add_pd(ph, _mm_sub_pd(c, SP_SET1(1.0))); /* exact */
    const __m128d vl = _mm_add_pd(_mm_mul_pd(c, tl), pl);
    const __m128d v2 = _mm_mul_pd(vh, vh);
    const __m128d lq = _mm_mul_pd(v2, sp_log_poly(vh, v2));
    const __m128d vl1 = _mm_sub_pd(vl, _mm_mul_pd(vl, vh));
    const __m128d gh = _mm_add_pd(l, vh);
    *pgh = gh;
    *pgl = _mm_add_pd(_mm_add_pd(_mm_sub_pd(vh, _mm_sub_pd(gh, l)), lq), vl1);
}

/* forward from t: y = (max(z, 0) + z_lo[z > 0] + log1p(t)) / beta */
SP_INLINE __m128d sp_fwd_stage2(__m128d x, __m128d th, __m128d tl, __m128d zl, const sp_f64_setup *s,
                                int b1, int tf, int *special)
{
    const __m128d zero = _mm_setzero_pd();
    const __m128d beta = SP_SET1(s->beta);
    const __m128d z = b1 ? x : _mm_mul_pd(beta, x);
    *special = _mm_movemask_pd(_mm_cmpnle_pd(SP_ABS(z), SP_SET1(s->a_fast)));

    __m128d gh, gl;
    sp_log1p_t(th, tl, &gh, &gl);

    const __m128d lz = _mm_max_pd(z, zero);
    const __m128d big = _mm_max_pd(lz, gh);
    const __m128d small = _mm_min_pd(lz, gh);
    const __m128d sh = _mm_add_pd(big, small);
    __m128d sl = _mm_add_pd(_mm_sub_pd(small, _mm_sub_pd(sh, big)), gl);
    __m128d y;
    if (b1) {
        y = _mm_add_pd(sh, sl);
    } else {
        sl = _mm_add_pd(sl, _mm_and_pd(_mm_cmpgt_pd(z, zero), zl));
        /* q = S/beta to 26 bits, as q*2^eb = qs (exact, ~S/mb): then qs*mbh and qs*mbl are exact,
         * S - qs*mbh is exact (Sterbenz) and one more residual term finishes the division */
        const __m128d qs = sp_trunc26(_mm_mul_pd(_mm_mul_pd(sh, SP_SET1(s->rb)), SP_SET1(s->p2eb)));
        const __m128d q = _mm_mul_pd(qs, SP_SET1(s->rp2eb));
        const __m128d res = _mm_sub_pd(_mm_sub_pd(sh, _mm_mul_pd(qs, SP_SET1(s->mbh))), _mm_mul_pd(qs, SP_SET1(s->mbl)));
        y = _mm_add_pd(q, _mm_mul_pd(_mm_add_pd(res, sl), SP_SET1(s->rb)));
    }
    return tf ? _mm_blendv_pd(y, x, _mm_cmpgt_pd(z, SP_SET1(s->threshold))) : y;
}

/* 1/(1 + t) = r0 + r1 with r0 of 26 bits, and t/(1 + t) = nh + nl with nh = thh*r0 exact (52 bits),
 * for t = th + tl >= 0 */
SP_INLINE void sp_recip_1pt(__m128d th, __m128d tl, __m128d *pr0, __m128d *pr1, __m128d *pnh, __m128d *pnl)
{
    const __m128d one = SP_SET1(1.0);
    const __m128d uh = _mm_add_pd(one, th);
    const __m128d ul = _mm_add_pd(_mm_sub_pd(th, _mm_sub_pd(uh, one)), tl);
    /* r0 = 1/uh to 26 bits: r0*uhh, r0*uhl, r0*thh, r0*thl are exact, 1 - r0*uhh is exact (Sterbenz)
     * and rr = 1 - r0*u ~ 2^-26 needs the second Newton term: 1/u = r0*(1 + rr + rr^2) */
    const __m128d r0 = sp_trunc26(_mm_div_pd(one, uh));
    const __m128d uhh = sp_trunc26(uh), thh = sp_trunc26(th);
    const __m128d rr = _mm_sub_pd(_mm_sub_pd(_mm_sub_pd(one, _mm_mul_pd(r0, uhh)), _mm_mul_pd(r0, _mm_sub_pd(uh, uhh))),
                                  _mm_mul_pd(r0, ul));
    const __m128d r1 = _mm_mul_pd(r0, _mm_add_pd(rr, _mm_mul_pd(rr, rr)));
    /* z < 0: s = t/u = th*r0 + (tl*r0 + th*r1), th*r0 = thh*r0 + thl*r0 exactly */
    *pnh = _mm_mul_pd(thh, r0);
    *pnl = _mm_add_pd(_mm_add_pd(_mm_mul_pd(_mm_sub_pd(th, thh), r0), _mm_mul_pd(tl, r0)),
                      _mm_mul_pd(th, r1));
    *pr0 = r0;
    *pr1 = r1;
}

/* backward from t: s = 1/(1+t) (z >= 0) or t/(1+t) (z < 0), dx = dy*s */
SP_INLINE __m128d sp_bwd_stage2(__m128d dy, __m128d x, __m128d th, __m128d tl, const sp_f64_setup *s,
                                int b1, int tf, int *special)
{
    const __m128d z = b1 ? x : _mm_mul_pd(SP_SET1(s->beta), x);
    const __m128d sp0 = _mm_or_pd(_mm_cmpnle_pd(SP_ABS(z), SP_SET1(SP_F64_A_FAST)),
                                  _mm_cmpnle_pd(SP_ABS(dy), SP_SET1(SP_F64_DY_MAX)));
    __m128d r0, r1, nh, nl;
    sp_recip_1pt(th, tl, &r0, &r1, &nh, &nl);
    const __m128d neg = _mm_cmplt_pd(z, _mm_setzero_pd());
    const __m128d sh0 = _mm_blendv_pd(r0, nh, neg);
    const __m128d sl0 = _mm_blendv_pd(r1, nl, neg);
    /* dx = dy*s with dy*sh exact: sh to 26 bits, dy split */
    const __m128d sh = sp_trunc26(sh0);
    const __m128d sl = _mm_add_pd(_mm_sub_pd(sh0, sh), sl0);
    __m128d dyh, dyl;
    sp_split(dy, &dyh, &dyl);
    __m128d dx = _mm_add_pd(_mm_mul_pd(dyh, sh), _mm_add_pd(_mm_mul_pd(dyl, sh), _mm_mul_pd(dy, sl)));
    /* Below 2^-969 the partial products round on the subnormal grid before they are added (1.5 ULP
     * seen): such lanes, unless dy = 0 (dx = +-0 exactly), are redone with one rounding. */
    *special = _mm_movemask_pd(_mm_or_pd(sp0, _mm_and_pd(_mm_cmplt_pd(SP_ABS(dx), SP_SET1(SP_F64_DX_TINY)),
                                                         _mm_cmpneq_pd(dy, _mm_setzero_pd()))));
    dx = _mm_or_pd(dx, _mm_and_pd(dy, SP_SET1(-0.0))); /* s > 0: dx has dy's sign, also for dy = -0 */
    return tf ? _mm_blendv_pd(dx, dy, _mm_cmpgt_pd(z, SP_SET1(s->threshold))) : dx;
}

/* ---- release 1.1: the second derivative and the beta gradient, fast path ------------------------- */

#define SP_F64_W_MIN 0x1p-1000 /* |beta*d| below it (beta != 1): its low part would lose bits */

/* second derivative from t: out = g*beta*d, d = t/(1+t)^2 = (t/(1+t)) * (1/(1+t)) as dh + dl; then
 * w = beta*d as wh + wl (beta != 1) and out = g*w with one rounding that counts, as backward's dy*s */
SP_INLINE __m128d sp_dbwd_stage2(__m128d g, __m128d x, __m128d th, __m128d tl, const sp_f64_setup *s,
                                 int b1, int tf, int *special)
{
    const __m128d zero = _mm_setzero_pd();
    const __m128d beta = SP_SET1(s->beta);
    const __m128d z = b1 ? x : _mm_mul_pd(beta, x);
    __m128d sp = _mm_or_pd(_mm_cmpnle_pd(SP_ABS(z), SP_SET1(SP_F64_A_FAST)),
                           _mm_cmpnle_pd(SP_ABS(g), SP_SET1(SP_F64_DY_MAX)));
    __m128d r0, r1, nh, nl;
    sp_recip_1pt(th, tl, &r0, &r1, &nh, &nl);
    /* nh (52 bits) times r0 (26 bits) as two exact products, summed by a fast two-sum; nl and r1 are
     * both ~2^-26 relative (r0 has 26 bits), so nl*r1 counts too (2^-50) */
    const __m128d nhh = sp_trunc26(nh);
    const __m128d p1 = _mm_mul_pd(nhh, r0);
    const __m128d p2 = _mm_mul_pd(_mm_sub_pd(nh, nhh), r0);
    const __m128d dh = _mm_add_pd(p1, p2);
    const __m128d dl = _mm_add_pd(_mm_add_pd(_mm_sub_pd(p2, _mm_sub_pd(dh, p1)), _mm_mul_pd(nl, r0)),
                                  _mm_mul_pd(_mm_add_pd(nh, nl), r1));
    __m128d wh = dh, wl = dl;
    if (!b1) {
        /* beta*dh exactly as wh + its Dekker residual (beta split per call, dh cut to 26 + 27 bits) */
        const __m128d dhh = sp_trunc26(dh);
        wh = _mm_mul_pd(dh, beta);
        wl = _mm_add_pd(sp_prod_err(wh, SP_SET1(s->bh), SP_SET1(s->bl), dhh, _mm_sub_pd(dh, dhh)),
                        _mm_mul_pd(dl, beta));
        sp = _mm_or_pd(sp, _mm_and_pd(_mm_cmplt_pd(SP_ABS(wh), SP_SET1(SP_F64_W_MIN)), _mm_cmpneq_pd(g, zero)));
    }
    /* out = g*w with g*wh exact: wh to 26 bits, g split */
    const __m128d wht = sp_trunc26(wh);
    const __m128d wlt = _mm_add_pd(_mm_sub_pd(wh, wht), wl);
    __m128d gh, gl;
    sp_split(g, &gh, &gl);
    __m128d out = _mm_add_pd(_mm_mul_pd(gh, wht), _mm_add_pd(_mm_mul_pd(gl, wht), _mm_mul_pd(g, wlt)));
    /* results below 2^-969 with g != 0 (partial products rounded on the subnormal grid) take the
     * special path, as in backward, and so does every result that overflows or is NaN whatever g: for
     * |beta| within 2^-27 of 2^1024 the split's bh rounds up to inf and wl is NaN even for g = 0 */
    const __m128d ao = SP_ABS(out);
    sp = _mm_or_pd(sp, _mm_or_pd(_mm_and_pd(_mm_cmplt_pd(ao, SP_SET1(SP_F64_DX_TINY)), _mm_cmpneq_pd(g, zero)),
                                 _mm_cmpnle_pd(ao, SP_SET1(SP_F64_OUT_MAX))));
    *special = _mm_movemask_pd(sp);
    /* d > 0: out has the sign of g*beta, also where it is zero */
    out = _mm_or_pd(out, _mm_and_pd(_mm_xor_pd(g, beta), SP_SET1(-0.0)));
    return tf ? _mm_blendv_pd(out, zero, _mm_cmpgt_pd(z, SP_SET1(s->threshold))) : out;
}

/* beta gradient from t: out = -dy * h/beta^2, h = softplus(z) - z s(z) = a t/(1+t) + log1p(t) for
 * either sign of z (a = |beta*x| = |z| + a_lo): two positive terms, nothing cancels */
SP_INLINE __m128d sp_bbeta_stage2(__m128d dy, __m128d x, __m128d th, __m128d tl, __m128d zl,
                                  const sp_f64_setup *s, int b1, int tf, int *special)
{
    const __m128d zero = _mm_setzero_pd();
    const __m128d z = b1 ? x : _mm_mul_pd(SP_SET1(s->beta), x);
    const __m128d a = SP_ABS(z);
    __m128d sp = _mm_or_pd(_mm_cmpnle_pd(a, SP_SET1(s->a_fast_bbeta)),
                           _mm_cmpnle_pd(SP_ABS(dy), SP_SET1(SP_F64_DY_MAX)));
    __m128d r0, r1, nh, nl, gh, gl;
    sp_recip_1pt(th, tl, &r0, &r1, &nh, &nl);
    sp_log1p_t(th, tl, &gh, &gl);
    /* a*(nh + nl) + a_lo*nh as ph + pl: a split (a <= 600), nh (52 bits) cut to 26 + 26 */
    __m128d ah, al;
    sp_split(a, &ah, &al);
    const __m128d nhh = sp_trunc26(nh);
    const __m128d ph = _mm_mul_pd(a, nh);
    __m128d pl = _mm_add_pd(sp_prod_err(ph, ah, al, nhh, _mm_sub_pd(nh, nhh)), _mm_mul_pd(a, nl));
    if (!b1)
        pl = _mm_add_pd(pl, _mm_mul_pd(_mm_xor_pd(zl, _mm_and_pd(z, SP_SET1(-0.0))), nh));
    /* h = ph + g, both >= 0: a two-sum on (max, min) is exact */
    const __m128d big = _mm_max_pd(ph, gh);
    const __m128d small = _mm_min_pd(ph, gh);
    const __m128d hh = _mm_add_pd(big, small);
    const __m128d hl = _mm_add_pd(_mm_add_pd(_mm_sub_pd(small, _mm_sub_pd(hh, big)), pl), gl);
    __m128d qh = hh, ql = hl;
    if (!b1) {
        /* h/mb^2 to 26 bits as q0, then one residual against mb^2 = m2hh + m2hl + m2l: q0*m2hh and
         * q0*m2hl are exact, hh - q0*m2hh is exact (Sterbenz); scaled by 1/p2eb^2 exactly */
        const __m128d rm2 = SP_SET1(s->rm2), sc2 = SP_SET1(s->sc2);
        const __m128d q0 = sp_trunc26(_mm_mul_pd(hh, rm2));
        const __m128d res = _mm_add_pd(_mm_sub_pd(_mm_sub_pd(_mm_sub_pd(hh, _mm_mul_pd(q0, SP_SET1(s->m2hh))),
                                                             _mm_mul_pd(q0, SP_SET1(s->m2hl))),
                                                  _mm_mul_pd(q0, SP_SET1(s->m2l))),
                                       hl);
        qh = _mm_mul_pd(q0, sc2);
        ql = _mm_mul_pd(_mm_mul_pd(res, rm2), sc2);
        sp = _mm_or_pd(sp, _mm_cmplt_pd(qh, SP_SET1(SP_F64_Q_MIN)));
    }
    /* dy*q with dy*qh exact: qh to 26 bits, dy split */
    const __m128d qht = sp_trunc26(qh);
    const __m128d qlt = _mm_add_pd(_mm_sub_pd(qh, qht), ql);
    __m128d dyh, dyl;
    sp_split(dy, &dyh, &dyl);
    __m128d out = _mm_add_pd(_mm_mul_pd(dyh, qht), _mm_add_pd(_mm_mul_pd(dyl, qht), _mm_mul_pd(dy, qlt)));
    const __m128d ao = SP_ABS(out);
    sp = _mm_or_pd(sp, _mm_and_pd(_mm_or_pd(_mm_cmplt_pd(ao, SP_SET1(SP_F64_DX_TINY)),
                                            _mm_cmpnle_pd(ao, SP_SET1(SP_F64_OUT_MAX))),
                                  _mm_cmpneq_pd(dy, zero)));
    *special = _mm_movemask_pd(sp);
    /* h > 0: out = -(dy*q) has the opposite sign of dy, also where it is zero */
    out = _mm_xor_pd(_mm_or_pd(out, _mm_and_pd(dy, SP_SET1(-0.0))), SP_SET1(-0.0));
    return tf ? _mm_blendv_pd(out, zero, _mm_cmpgt_pd(z, SP_SET1(s->threshold))) : out;
}

/* ---- release 1.1: the inverse, fast path ------------------------------------------------------------ */

#define SP_F64_LN2_CW_HI 0x1.62e42fefap-1      /* ln 2 to 37 bits (16 SP_F64_L_CW_HI): kz times it is exact */
#define SP_F64_LN2_CW_LO 0x1.cf79abc9e3b3ap-40 /* ln 2 - SP_F64_LN2_CW_HI ~ 2.64e-12 */

/* v = log(expm1(z + zl)) as vh + vl for z >= 2^-1022 (other lanes: any value), t = exp(-(z + zl)) = th + tl
 * from stage 1: the FMA kernels' sp_inv_v (arch/softplus_f64_fma_algorithm.h, its three ranges and
 * their invariants), with each FMA whose residual counts made exact without one:
 *   kz ln2 (z < 1/2): ln 2 as a 37-bit head and a tail, so kz*head is exact (|kz| <= 1022);
 *   D^2 (1/2 <= z <= 0.9): Dekker's square of D split in halves;
 *   1 + 2X: 2X is exact, so the FMA kernels' fma(2, X, c) is one rounding of the same sum here too.
 * The polynomials' multiply-adds round twice instead of once: their terms are at most 0.0104 (z^2 LA)
 * and 0.0093 (D^3 M) against |v| >= 0.43 (low range) and |E| (middle), far below v's ULP. */
SP_INLINE void sp_inv_v(__m128d z, __m128d zl, int has_zl, __m128d th, __m128d tl, __m128d *pvh, __m128d *pvl)
{
    const __m128d one = SP_SET1(1.0), zero = _mm_setzero_pd();
    const __m128d low = _mm_cmplt_pd(z, SP_SET1(SP_F64_INV_LOW));
    const __m128d high = _mm_cmpgt_pd(z, SP_SET1(SP_F64_INV_HIGH));
    const int low_bits = _mm_movemask_pd(low), high_bits = _mm_movemask_pd(high);
    const int any_mid = (low_bits | high_bits) != 3;

    /* z < 1/2: z = 2^kz m, w = m - 1 (exact), Z = kz ln2 + z/2 + z^2 LA(z^2) + zl (1/z + 1/2 + z/12);
     * kz <= -2, so |kz ln2| >= 1.38 > z/2 (Fast2Sum) */
    __m128d wa = zero, Za = zero, Zal = zero;
    if (low_bits) {
        const __m128d ebits = _mm_and_pd(z, _mm_castsi128_pd(_mm_set1_epi64x(0x7ff0000000000000LL)));
        const __m128d kz = _mm_sub_pd(_mm_or_pd(_mm_castsi128_pd(_mm_srli_epi64(_mm_castpd_si128(ebits), 52)),
                                                SP_SET1(SP_F64_SHIFT)),
                                      SP_SET1(SP_F64_SHIFT + 1023.0));
        wa = _mm_sub_pd(_mm_or_pd(_mm_andnot_pd(ebits, z), one), one); /* exact */
        const __m128d kh = _mm_mul_pd(kz, SP_SET1(SP_F64_LN2_CW_HI));   /* exact */
        const __m128d kl = _mm_mul_pd(kz, SP_SET1(SP_F64_LN2_CW_LO));
        const __m128d zhalf = _mm_mul_pd(z, SP_SET1(0.5));
        Za = _mm_add_pd(kh, zhalf);
        const __m128d z2 = _mm_mul_pd(z, z);
        const __m128d z4 = _mm_mul_pd(z2, z2);
        const __m128d a01 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_LA1), z2), SP_SET1(SP_F64_LA0));
        const __m128d a23 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_LA3), z2), SP_SET1(SP_F64_LA2));
        const __m128d a45 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_LA5), z2), SP_SET1(SP_F64_LA4));
        const __m128d la = _mm_add_pd(_mm_mul_pd(_mm_add_pd(_mm_mul_pd(a45, z4), a23), z4), a01);
        Zal = _mm_add_pd(_mm_add_pd(_mm_sub_pd(kh, Za), zhalf), _mm_add_pd(_mm_mul_pd(z2, la), kl));
        /* zl/z <= 2^-53 needs only a few bits of the factor (beta = 1: zl = 0, no division) */
        if (has_zl) {
            const __m128d f = _mm_add_pd(_mm_mul_pd(z, _mm_add_pd(_mm_mul_pd(z, SP_SET1(0x1.5555555555555p-4 /* 1/12 */)),
                                                                  SP_SET1(0.5))),
                                         one);
            Zal = _mm_add_pd(_mm_mul_pd(_mm_div_pd(zl, z), f), Zal);
        }
    }

    /* 1/2 <= z <= 0.9: E/2 = expm1(D + Dl) = eh + el, D + Dl = z + zl - ln 2 (z - ln2_1 exact by Sterbenz,
     * then Fast2Sum with zl and 2Sum with -ln2_2); expm1 = D + D^2/2 + D^3 M(D) + Dl (1 + D) */
    __m128d Eh = zero, El = zero;
    if (any_mid) {
        const __m128d dh = _mm_sub_pd(z, SP_SET1(SP_F64_LN2_1));
        const __m128d s1 = _mm_add_pd(dh, zl);
        const __m128d s1l = _mm_add_pd(_mm_sub_pd(dh, s1), zl);
        const __m128d D = _mm_sub_pd(s1, SP_SET1(SP_F64_LN2_2));
        const __m128d bb = _mm_sub_pd(D, s1);
        const __m128d Dl = _mm_add_pd(_mm_add_pd(_mm_sub_pd(s1, _mm_sub_pd(D, bb)), _mm_sub_pd(SP_SET1(-SP_F64_LN2_2), bb)),
                                      _mm_sub_pd(s1l, SP_SET1(SP_F64_LN2_3)));
        __m128d Dh2, Dl2;
        sp_split(D, &Dh2, &Dl2);
        const __m128d sq = _mm_mul_pd(D, D);
        const __m128d sql = sp_prod_err(sq, Dh2, Dl2, Dh2, Dl2); /* D^2 - sq exactly */
        const __m128d hsq = _mm_mul_pd(sq, SP_SET1(0.5));
        const __m128d d4 = _mm_mul_pd(sq, sq);
        const __m128d m01 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_M1), D), SP_SET1(SP_F64_M0));
        const __m128d m23 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_M3), D), SP_SET1(SP_F64_M2));
        const __m128d m45 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_M5), D), SP_SET1(SP_F64_M4));
        const __m128d m67 = _mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_M7), D), SP_SET1(SP_F64_M6));
        const __m128d m48 = _mm_add_pd(_mm_mul_pd(_mm_add_pd(_mm_mul_pd(SP_SET1(SP_F64_M8), sq), m67), sq), m45);
        const __m128d M = _mm_add_pd(_mm_mul_pd(m48, d4), _mm_add_pd(_mm_mul_pd(m23, sq), m01));
        const __m128d eh = _mm_add_pd(D, hsq); /* |D| <= 0.21: |D| > D^2/2 */
        const __m128d el = _mm_add_pd(_mm_add_pd(_mm_sub_pd(D, eh), hsq),
                                      _mm_add_pd(_mm_mul_pd(sql, SP_SET1(0.5)),
                                                 _mm_add_pd(_mm_mul_pd(Dl, _mm_add_pd(one, D)),
                                                            _mm_mul_pd(_mm_mul_pd(sq, D), M))));
        const __m128d e2 = _mm_add_pd(eh, el); /* renormalised: log1p takes its low part to first order */
        Eh = _mm_add_pd(e2, e2);
        El = _mm_mul_pd(_mm_add_pd(_mm_sub_pd(eh, e2), el), SP_SET1(2.0));
    }

    /* The wide lanes (z > 0.9, and E < -0.0293 between): log(1 + X) = log1p(1 + 2X) - ln2, X = -t or E,
     * 1 + 2X = wh + wl (1 - wh exact, 2X exact); Z = z + zl - ln 2 (z > 0.9) or -ln 2. E >= -0.0293 is
     * log1p's argument itself. Without a middle lane the wide lanes are the high ones. */
    __m128d wh, wl, Zh, Zl;
    if (any_mid) {
        const __m128d Xh = _mm_blendv_pd(Eh, _mm_xor_pd(th, SP_SET1(-0.0)), high);
        const __m128d Xl = _mm_blendv_pd(El, _mm_xor_pd(tl, SP_SET1(-0.0)), high);
        const __m128d wide = _mm_or_pd(high, _mm_cmplt_pd(Eh, SP_SET1(SP_F64_INV_E_DIRECT)));
        const __m128d x2 = _mm_add_pd(Xh, Xh);
        const __m128d w1h = _mm_add_pd(x2, one);
        const __m128d w1l = _mm_add_pd(_mm_add_pd(Xl, Xl), _mm_add_pd(x2, _mm_sub_pd(one, w1h)));
        const __m128d zs = _mm_and_pd(high, z);
        const __m128d Zwh = _mm_sub_pd(zs, SP_SET1(SP_F64_LN2_1));
        const __m128d Zwl = _mm_add_pd(_mm_sub_pd(_mm_sub_pd(zs, Zwh), SP_SET1(SP_F64_LN2_1)),
                                       _mm_sub_pd(_mm_and_pd(high, zl), SP_SET1(SP_F64_LN2_2)));
        wh = _mm_blendv_pd(_mm_blendv_pd(Eh, w1h, wide), wa, low);
        wl = _mm_blendv_pd(_mm_blendv_pd(El, w1l, wide), zero, low);
        Zh = _mm_blendv_pd(_mm_and_pd(wide, Zwh), Za, low);
        Zl = _mm_blendv_pd(_mm_and_pd(wide, Zwl), Zal, low);
    } else {
        const __m128d t2 = _mm_add_pd(th, th);
        const __m128d w1h = _mm_sub_pd(one, t2);
        const __m128d w1l = _mm_sub_pd(_mm_sub_pd(_mm_sub_pd(one, w1h), t2), _mm_add_pd(tl, tl));
        const __m128d Zwh = _mm_sub_pd(z, SP_SET1(SP_F64_LN2_1));
        const __m128d Zwl = _mm_add_pd(_mm_sub_pd(_mm_sub_pd(z, Zwh), SP_SET1(SP_F64_LN2_1)),
                                       _mm_sub_pd(zl, SP_SET1(SP_F64_LN2_2)));
        wh = _mm_blendv_pd(w1h, wa, low);
        wl = _mm_blendv_pd(w1l, zero, low);
        Zh = _mm_blendv_pd(Zwh, Za, low);
        Zl = _mm_blendv_pd(Zwl, Zal, low);
    }

    /* v = Zh + log1p(w) + Zl: Fast2Sum, |Zh| >= log1p(w) (or Zh = 0) */
    __m128d gh, gl;
    sp_log1p_t(wh, wl, &gh, &gl);
    const __m128d vh = _mm_add_pd(Zh, gh);
    *pvh = vh;
    *pvl = _mm_add_pd(_mm_add_pd(_mm_sub_pd(Zh, vh), gh), _mm_add_pd(Zl, gl));
}

/* inverse from t: x = v/beta (forward's quotient); x = y where z > min(threshold, 40), beyond 40 because
 * the exact x = y + log1p(-e^-z)/beta = y (1 - e^-z/z (1 + ...)) is within 2^-63 y of y and rounds to it */
SP_INLINE __m128d sp_inv_stage2(__m128d y, __m128d th, __m128d tl, __m128d zl, const sp_f64_setup *s, int b1,
                                int *special)
{
    const __m128d z = b1 ? y : _mm_mul_pd(SP_SET1(s->beta), y);
    __m128d vh, vl;
    sp_inv_v(z, zl, !b1, th, tl, &vh, &vl);
    /* z < 2^-1022 (y <= 0, beta*y < 0 or subnormal) or NaN: the careful path */
    __m128d sp = _mm_cmpnge_pd(z, SP_SET1(0x1p-1022));
    __m128d x;
    if (b1) {
        x = _mm_add_pd(vh, vl); /* |x| >= 2^-55: never below inv_x_min */
    } else {
        /* q = v/beta to 26 bits as qs = q 2^eb (exact, ~v/mb): vh - qs*mbh is exact (Sterbenz) */
        const __m128d qs = sp_trunc26(_mm_mul_pd(_mm_mul_pd(vh, SP_SET1(s->rb)), SP_SET1(s->p2eb)));
        const __m128d q = _mm_mul_pd(qs, SP_SET1(s->rp2eb));
        const __m128d res = _mm_sub_pd(_mm_sub_pd(vh, _mm_mul_pd(qs, SP_SET1(s->mbh))), _mm_mul_pd(qs, SP_SET1(s->mbl)));
        x = _mm_add_pd(q, _mm_mul_pd(_mm_add_pd(res, vl), SP_SET1(s->rb)));
        /* a result below 2^-969 (the residual's product would round on the subnormal grid), or every lane
         * when inv_x_min is NaN (|beta| < 2^-1000) */
        sp = _mm_or_pd(sp, _mm_and_pd(_mm_cmple_pd(z, SP_SET1(s->inv_cut)),
                                      _mm_cmpnge_pd(SP_ABS(x), SP_SET1(s->inv_x_min))));
    }
    *special = _mm_movemask_pd(sp);
    return _mm_blendv_pd(x, y, _mm_cmpgt_pd(z, SP_SET1(s->inv_cut)));
}

/* ---- the careful path: one lane at a time, the scalar reference's element functions ------------------ */

/* The lanes set in m of r, redone by the scalar reference's element function for the op (arch/generic/
 * softplus_f64_reference.h, long double): those lanes get the reference's bits, special values and NaN
 * policy included. The inverse switches to y at the threshold itself rather than at inv_cut =
 * min(threshold, 40): above 40 its y + log1p(-e^-z)/beta rounds to y, the same bits. */
typedef double (*sp_ref_unary)(double in, double beta, double threshold);
typedef double (*sp_ref_binary)(double in1, double in2, double beta, double threshold);

static SP_NOINLINE __m128d sp_special_unary(sp_ref_unary op, __m128d inv, __m128d rv, int m, const sp_f64_setup *s)
{
    double in[2], r[2];
    _mm_storeu_pd(in, inv);
    _mm_storeu_pd(r, rv);
    for (int k = 0; k < 2; k++)
        if (m >> k & 1)
            r[k] = op(in[k], s->beta, s->threshold);
    return _mm_loadu_pd(r);
}

static SP_NOINLINE __m128d sp_special_binary(sp_ref_binary op, __m128d in1v, __m128d in2v, __m128d rv, int m,
                                             const sp_f64_setup *s)
{
    double in1[2], in2[2], r[2];
    _mm_storeu_pd(in1, in1v);
    _mm_storeu_pd(in2, in2v);
    _mm_storeu_pd(r, rv);
    for (int k = 0; k < 2; k++)
        if (m >> k & 1)
            r[k] = op(in1[k], in2[k], s->beta, s->threshold);
    return _mm_loadu_pd(r);
}

/* ---- loops (arch/softplus_loop.h) ---------------------------------------------------------------- */
#define SP_LOOP_T double
#define SP_LOOP_V __m128d
#define SP_LOOP_M int /* the lane bits themselves (movmskpd) */
#define SP_LOOP_W 2
#define SP_LOOP_CTX sp_f64_setup
#define SP_LOOP_LOADU(p) _mm_loadu_pd(p)
#define SP_LOOP_STOREU(p, v) _mm_storeu_pd(p, v)
#define SP_LOOP_LOADA(p) _mm_load_pd(p)
#define SP_LOOP_STOREA(p, v) _mm_store_pd(p, v)
#define SP_LOOP_STREAM(p, v) _mm_stream_pd(p, v)
#define SP_LOOP_STREAM_FENCE() _mm_sfence()
#define SP_LOOP_LOAD_TAIL(p, k) _mm_load_sd(p) /* k = 1: the element and a zero */
#define SP_LOOP_STORE_TAIL(p, v, k) _mm_store_sd(p, v)
#define SP_LOOP_BITS(m) ((uint64_t)(m))

/* Forward hands z_lo from stage 1 to stage 2 as well (it costs a Dekker product) except for beta = 1,
 * where it is zero: two instantiations, so that beta = 1 stores and loads two buffers, not three. */
#define SP_LOOP_NAME sp_fwd_loop_b1
#define SP_LOOP_NIN 1
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(s, mode, x, pth, ptl) sp_stage1_b(x, s, 1, pth, ptl)
#define SP_LOOP_STAGE2(s, mode, x, th, tl, pm)                                                        \
    sp_fwd_stage2(x, th, tl, _mm_setzero_pd(), s, 1, (mode) & SP_F64_TF, pm)
#define SP_LOOP_SPECIAL(s, mode, x, y, bits) sp_special_unary(sp_ref_fwd_f64, x, y, (int)(bits), s)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_fwd_loop
#define SP_LOOP_NIN 1
#define SP_LOOP_NBUF 3
#define SP_LOOP_STAGE1(s, mode, x, pth, ptl, pzl) sp_stage1(x, s, 0, pth, ptl, pzl)
#define SP_LOOP_STAGE2(s, mode, x, th, tl, zl, pm) sp_fwd_stage2(x, th, tl, zl, s, 0, (mode) & SP_F64_TF, pm)
#define SP_LOOP_SPECIAL(s, mode, x, y, bits) sp_special_unary(sp_ref_fwd_f64, x, y, (int)(bits), s)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_bwd_loop
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(s, mode, dy, x, pth, ptl) sp_stage1_b(x, s, (mode) & SP_F64_B1, pth, ptl)
#define SP_LOOP_STAGE2(s, mode, dy, x, th, tl, pm)                                                    \
    sp_bwd_stage2(dy, x, th, tl, s, (mode) & SP_F64_B1, (mode) & SP_F64_TF, pm)
#define SP_LOOP_SPECIAL(s, mode, dy, x, dx, bits) sp_special_binary(sp_ref_bwd_f64, dy, x, dx, (int)(bits), s)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_dbwd_loop
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(s, mode, g, x, pth, ptl) sp_stage1_b(x, s, (mode) & SP_F64_B1, pth, ptl)
#define SP_LOOP_STAGE2(s, mode, g, x, th, tl, pm)                                                     \
    sp_dbwd_stage2(g, x, th, tl, s, (mode) & SP_F64_B1, (mode) & SP_F64_TF, pm)
#define SP_LOOP_SPECIAL(s, mode, g, x, r, bits) sp_special_binary(sp_ref_dbwd_f64, g, x, r, (int)(bits), s)
#include "arch/softplus_loop.h"

/* The beta gradient reads a_lo in stage 2: z_lo from stage 1 as a third buffer, except for beta = 1 */
#define SP_LOOP_NAME sp_bbeta_loop_b1
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(s, mode, dy, x, pth, ptl) sp_stage1_b(x, s, 1, pth, ptl)
#define SP_LOOP_STAGE2(s, mode, dy, x, th, tl, pm)                                                    \
    sp_bbeta_stage2(dy, x, th, tl, _mm_setzero_pd(), s, 1, (mode) & SP_F64_TF, pm)
#define SP_LOOP_SPECIAL(s, mode, dy, x, r, bits) sp_special_binary(sp_ref_bbeta_f64, dy, x, r, (int)(bits), s)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_bbeta_loop
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF 3
#define SP_LOOP_STAGE1(s, mode, dy, x, pth, ptl, pzl) sp_stage1(x, s, 0, pth, ptl, pzl)
#define SP_LOOP_STAGE2(s, mode, dy, x, th, tl, zl, pm)                                                \
    sp_bbeta_stage2(dy, x, th, tl, zl, s, 0, (mode) & SP_F64_TF, pm)
#define SP_LOOP_SPECIAL(s, mode, dy, x, r, bits) sp_special_binary(sp_ref_bbeta_f64, dy, x, r, (int)(bits), s)
#include "arch/softplus_loop.h"

/* The inverse reads zl in stage 2 (the low range's zl/z, the middle range's D): from stage 1 as a third
 * buffer, except for beta = 1 */
#define SP_LOOP_NAME sp_inv_loop_b1
#define SP_LOOP_NIN 1
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(s, mode, y, pth, ptl) sp_stage1_b(y, s, 1, pth, ptl)
#define SP_LOOP_STAGE2(s, mode, y, th, tl, pm) sp_inv_stage2(y, th, tl, _mm_setzero_pd(), s, (mode) & SP_F64_B1, pm)
#define SP_LOOP_SPECIAL(s, mode, y, x, bits) sp_special_unary(sp_ref_inv_f64, y, x, (int)(bits), s)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_inv_loop
#define SP_LOOP_NIN 1
#define SP_LOOP_NBUF 3
#define SP_LOOP_STAGE1(s, mode, y, pth, ptl, pzl) sp_stage1(y, s, 0, pth, ptl, pzl)
#define SP_LOOP_STAGE2(s, mode, y, th, tl, zl, pm) sp_inv_stage2(y, th, tl, zl, s, (mode) & SP_F64_B1, pm)
#define SP_LOOP_SPECIAL(s, mode, y, x, bits) sp_special_unary(sp_ref_inv_f64, y, x, (int)(bits), s)
#include "arch/softplus_loop.h"

void sp_fwd_f64_sse41(size_t n, const double *x, double *y, const sp_params_f64 *p)
{
    sp_f64_setup s;
    sp_f64_setup_init(&s, p);
    SP_F64_RUN(p, sp_fwd_loop_b1, sp_fwd_loop, n, x, y, &s);
}

void sp_bwd_f64_sse41(size_t n, const double *dy, const double *x, double *dx, const sp_params_f64 *p)
{
    sp_f64_setup s;
    sp_f64_setup_init(&s, p);
    SP_F64_RUN(p, sp_bwd_loop, sp_bwd_loop, n, dy, x, dx, &s);
}

/* release 1.1: both are 0 in the linear branch, so every finite threshold is tested per lane */
void sp_dbwd_f64_sse41(size_t n, const double *g, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_setup s;
    sp_f64_setup_init(&s, p);
    SP_F64_RUN_TF(p, p->threshold < INFINITY, sp_dbwd_loop, sp_dbwd_loop, n, g, x, out, &s);
}

void sp_bbeta_f64_sse41(size_t n, const double *dy, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_setup s;
    sp_f64_setup_init(&s, p);
    sp_f64_setup_bbeta(&s, p);
    SP_F64_RUN_TF(p, p->threshold < INFINITY, sp_bbeta_loop_b1, sp_bbeta_loop, n, dy, x, out, &s);
}

/* release 1.1: the inverse's threshold test (min(threshold, 40)) is always per lane */
void sp_inv_f64_sse41(size_t n, const double *y, double *x, const sp_params_f64 *p)
{
    sp_f64_setup s;
    sp_f64_setup_init(&s, p);
    sp_f64_setup_inv(&s, p);
    SP_F64_RUN_TF(p, 0, sp_inv_loop_b1, sp_inv_loop, n, y, x, &s);
}

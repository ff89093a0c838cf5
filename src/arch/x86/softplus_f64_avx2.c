/* softplus_f64_avx2.c -- f64 softplus forward and backward, 4 lanes of AVX2 with FMA.
 * SPDX-License-Identifier: MIT
 *
 * Method: one exp reduction and one log table, no division in the forward op. With z = fl(beta*x),
 * z_lo = fma(beta, x, -z) (z + z_lo = beta*x exactly), a = |z| and a_lo = sign(z)*z_lo:
 *   t = exp(-(a + a_lo)) = 2^(k/16) * (1 + E(r)),  k = round(-a*16/ln2),  r = a + k*ln2/16 + a_lo
 *       (fma(k, ln2/16 hi, a) is exact). E(r) = exp(-r) - 1 is a degree-7 polynomial on |r| <= ln2/32;
 *       2^(k/16) = T_j * 2^(k>>4) from a 16-entry table with the relative error Tr_j of each T_j;
 *       s1 = T_j 2^(k>>4) is exact (an integer add on the exponent), s2 = s1*(E + Tr), and t is kept
 *       renormalised as t_hi + t_lo. a_lo enters r, so the rounding of beta*x is corrected to all
 *       orders: the relative condition number of softplus and sigmoid in z is ~|z| for z << 0.
 *   g = log1p(t) = l_i + log1p(v),  i = round(16 t) (clamped to 15),  v = c_i*(1 + t) - 1,  l_i = -log(c_i)
 *       c_i has 26 bits and l_i is within 2^-13 ULP of a double (no low part); v_hi = c_i t_hi - (1 - c_i)
 *       is exact (c_i t_hi is within a factor 2 of 1 - c_i) and v_lo = fma residual + c_i t_lo; c_0 = 1,
 *       so v = t for t < 1/32 and tiny t keep their full relative accuracy; |v| <= 0.0313 and
 *       log1p(v) = v + v^2*Q(v), Q of degree 7; g = g_hi + g_lo by a fast two-sum on l_i + v_hi.
 *   forward  S = max(z, 0) + z_lo[z > 0] + g as S_hi + S_lo (two-sum of max/min, both >= 0), then
 *            y = S/beta: q = S_hi*rb, r = fma(-q, beta, S_hi) + S_lo, y = fma(r, rb, q) (rb = 1/beta).
 *   backward s = 1/(1 + t) (z >= 0) or t/(1 + t) (z < 0): u = 1 + t as u_hi + u_lo, r0 = 1/u_hi
 *            and one FMA-residual Newton step, t*r with an FMA residual; dx = fma(dy, s_hi, dy*s_lo).
 * The lanes run in two stages over blocks of 256 elements (stage 1: t_hi, t_lo into a 4 KiB stack
 * buffer; stage 2: the op): two short dependency chains instead of one long one, which kept ~40% of
 * the execution ports idle on Zen 5 while the out-of-order window filled with waiting operations.
 * The threshold rule is PyTorch's on the rounded product: where fl(beta*x) > threshold, y = x and
 * dx = dy (strict >: threshold = +inf never fires). A threshold >= 40 needs no per-lane test, since
 * the exact function already rounds to x and dy there.
 *
 * Coefficients and tables (in softplus_f64_common.h): tests/tools/softplus_f64_coeffs.sollya
 * (fpminimax, absolute error).
 * E: degree 7 on [-ln2/32, ln2/32], error 2^-66.2. Q: x*Q(x) against (log1p(x) - x)/x on
 * [-0.0295, 0.03126], degree 7 (log1p of degree 9), error 2^-56.6, the relative error of log1p(v).
 *
 * Accuracy, against a long double reference (tests/accuracy/ulp_sweep --f64: 10^8 inputs per beta,
 * dense over [-750, 750], log-uniform magnitudes and the edges); bounds SP_MAX_ULP_F64_AVX2 and
 * SP_MAX_ULP_BETA_F64_AVX2 (1.0) in kernels.h:
 *   forward  beta 1, 0.5, 2, -1: max 0.636 ULP at z = beta*x = -0x1.c434ace87e88p+1 (beta 1: got
 *            0x1.d7e66933d3e5ap-6, want 0xe.bf33499e9f2d517p-9); beta 7.3: max 0.611 ULP at
 *            x = -0x1.06563ab383afcp-1, got 0x1.a55fcb445b36bp-9, want 0xd.2afe5a22d9b531dp-12.
 *            The worst cases sit at t ~ 1/32, where log1p(v) carries its 2^-56.6 at v ~ 1/32.
 *   backward beta 1: max 0.551 ULP at x = -0x1.63a5ee69dbe0bp+8, got 0x1.e06b5219528p-514, want
 *            0xf.035a90ca9400469p-517; beta 0.5, 2 the same z; beta -1: 0.552 at x = 0x1.4041f5d8f3008p+8;
 *            beta 7.3: 0.550 at x = -0x1.2a8adcc47c4d7p+6.
 *   Subnormal results (special path) stay below 0.52 ULP; beta in {1e-300, 1e300, -7.3e200, 1.5e-9}
 *   gave at most 0.58 (fwd) and 0.54 (bwd) on 4*10^5 inputs each.
 *
 * This file is softplus_f64_avx512.c op for op (same FMAs, same order, same tables), so the two give
 * the same bits on every input; only the instructions that move bits differ: a 16-entry table lookup
 * is four vpermps on 32-bit halves and three blends (a gather was no faster), masks are vectors, and
 * the tail runs the same vector code on a zero-padded copy.
 *
 * Special values. The fast path takes lanes with a <= A_fast: 700, or 700 - e*ln2 when
 * 2^(e-1) <= |beta| < 2^e with e > 0, so that g/beta stays normal; and no lane at all when
 * |beta| < 2^-1000, where 1/beta or S/beta could overflow. Every other lane -- NaN, +-inf, beta*x overflowing, exp(-a) near or below the underflow,
 * and in backward a NaN result (dy = +-inf or NaN) or 0 < |dx| < 2^-969 (dy*sl would round on the
 * subnormal grid before the FMA: 1.2 ULP; redone as dm*2^ed times the fast path's sigmoid sm*2^es,
 * scaled once) -- is flagged in a mask and recomputed by the
 * not-inlined special path: the same method, with exp(-a) carried as 2^es*(s1 + s2), beta as
 * mb*2^eb and dy as dm*2^ed, the powers of two applied by one final scaling that rounds once, also
 * into the subnormals. There: |z| >= 2048, inf or NaN gives y = x (z > 0), 0 with beta's sign
 * (z < 0, the sign of the exact tiny result) or NaN; dx = dy (z >= 0), dy*0 (x = +-inf, z < 0), dy
 * times the sigmoid otherwise (so +-inf*dy stays infinite for every finite x, also where beta*x
 * overflows to -inf). dx always has dy's sign.
 */
#include <immintrin.h>

#include "arch/softplus_f64_common.h"

/* ---- per-call constants ------------------------------------------------------------------------ */
typedef struct sp_f64_setup {
    double beta, rb, threshold;
    double a_fast;    /* lanes with a = |beta*x| above it (or NaN) take the special path */
} sp_f64_setup;

static void sp_f64_setup_init(sp_f64_setup *s, const sp_params_f64 *p)
{
    s->beta = p->beta;
    s->rb = 1.0 / p->beta;
    s->threshold = p->threshold;
    s->a_fast = sp_f64_a_fast(p->beta);
}

/* A 16-entry table of doubles in four registers; a lookup is four in-register permutes (vpermps on
 * pairs of 32-bit halves) and three blends, cheaper here than a gather. */
typedef struct sp_lut16 {
    __m256 q0, q1, q2, q3;
} sp_lut16;

typedef struct sp_f64_regs {
    sp_lut16 tb, tr, c, l;
} sp_f64_regs;

static void sp_lut_load(sp_lut16 *q, const void *tab)
{
    const float *f = (const float *)tab;
    q->q0 = _mm256_loadu_ps(f);
    q->q1 = _mm256_loadu_ps(f + 8);
    q->q2 = _mm256_loadu_ps(f + 16);
    q->q3 = _mm256_loadu_ps(f + 24);
}

static void sp_f64_load_regs(sp_f64_regs *r)
{
    sp_lut_load(&r->tb, sp_f64_exp_tbits);
    sp_lut_load(&r->tr, sp_f64_exp_trel);
    sp_lut_load(&r->c, sp_f64_log_c);
    sp_lut_load(&r->l, sp_f64_log_l);
}

/* tab[i & 15] for the low 4 bits i of each 64-bit lane (the bits above are ignored, as vpermt2pd does) */
SP_INLINE __m256d sp_lut(const sp_lut16 *q, __m256i i)
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

#define SP_SET1(c) _mm256_set1_pd(c)
#define SP_ABS(v) _mm256_andnot_pd(_mm256_set1_pd(-0.0), v)

/* ---- shared pieces ------------------------------------------------------------------------------ */

/* E(r) = exp(-r) - 1 */
SP_INLINE __m256d sp_exp_poly(__m256d r)
{
    const __m256d r2 = _mm256_mul_pd(r, r);
    const __m256d p23 = _mm256_fmadd_pd(SP_SET1(SP_F64_E3), r, SP_SET1(SP_F64_E2));
    const __m256d p45 = _mm256_fmadd_pd(SP_SET1(SP_F64_E5), r, SP_SET1(SP_F64_E4));
    const __m256d p67 = _mm256_fmadd_pd(SP_SET1(SP_F64_E7), r, SP_SET1(SP_F64_E6));
    const __m256d p47 = _mm256_fmadd_pd(p67, r2, p45);
    const __m256d p27 = _mm256_fmadd_pd(p47, r2, p23);
    return _mm256_fmsub_pd(p27, r2, r);
}

/* Q(v) with log1p(v) = v + v^2*Q(v) */
SP_INLINE __m256d sp_log_poly(__m256d v, __m256d v2)
{
    const __m256d q23 = _mm256_fmadd_pd(SP_SET1(SP_F64_G3), v, SP_SET1(SP_F64_G2));
    const __m256d q45 = _mm256_fmadd_pd(SP_SET1(SP_F64_G5), v, SP_SET1(SP_F64_G4));
    const __m256d q67 = _mm256_fmadd_pd(SP_SET1(SP_F64_G7), v, SP_SET1(SP_F64_G6));
    const __m256d q89 = _mm256_fmadd_pd(SP_SET1(SP_F64_G9), v, SP_SET1(SP_F64_G8));
    const __m256d v4 = _mm256_mul_pd(v2, v2);
    const __m256d q25 = _mm256_fmadd_pd(q45, v2, q23);
    const __m256d q69 = _mm256_fmadd_pd(q89, v2, q67);
    return _mm256_fmadd_pd(q69, v4, q25);
}

/* 2^k for integer-valued k in [-1022, 1023] */
SP_INLINE __m256d sp_pow2(__m256d k)
{
    const __m256i b = _mm256_castpd_si256(_mm256_add_pd(k, SP_SET1(SP_F64_SHIFT)));
    const __m256i e = _mm256_add_epi64(b, _mm256_set1_epi64x(1023 - 0x4338000000000000LL));
    return _mm256_castsi256_pd(_mm256_slli_epi64(e, 52));
}

/* RN((wh + wl) * 2^k) with a single rounding, for integer-valued k, |wl| <= 2^-52 |wh| and |wh| in
 * [2^-60, 2^60] or 0 (the products by 2^k1 below are exact there). A normal result is RN(wh + wl)
 * scaled exactly. A subnormal one is rounded where 2^-1022 is 1: h = sgn + u puts the 2^-1074 grid
 * at 2^-52 and its error is added back before the one rounding that counts. k beyond
 * [-1150, 1100] gives 0 or inf anyway. */
SP_INLINE __m256d sp_scale(__m256d wh, __m256d wl, __m256d k)
{
    const __m256d kc = _mm256_min_pd(_mm256_max_pd(k, SP_SET1(-1150.0)), SP_SET1(1100.0));
    const __m256d k1 = _mm256_floor_pd(_mm256_mul_pd(kc, SP_SET1(0.5)));
    const __m256d yn = _mm256_mul_pd(_mm256_mul_pd(_mm256_add_pd(wh, wl), sp_pow2(k1)),
                                     sp_pow2(_mm256_sub_pd(kc, k1)));
    const __m256d ks = _mm256_min_pd(_mm256_add_pd(kc, SP_SET1(1022.0)), SP_SET1(64.0));
    const __m256d j1 = _mm256_floor_pd(_mm256_mul_pd(ks, SP_SET1(0.5)));
    const __m256d p1 = sp_pow2(j1), p2 = sp_pow2(_mm256_sub_pd(ks, j1));
    const __m256d u = _mm256_mul_pd(_mm256_mul_pd(wh, p1), p2);
    const __m256d ul = _mm256_mul_pd(_mm256_mul_pd(wl, p1), p2);
    const __m256d sgn = _mm256_or_pd(_mm256_and_pd(wh, SP_SET1(-0.0)), SP_SET1(1.0));
    const __m256d h = _mm256_add_pd(sgn, u);
    const __m256d e = _mm256_add_pd(_mm256_sub_pd(sgn, h), u);
    __m256d ys = _mm256_mul_pd(_mm256_sub_pd(_mm256_add_pd(h, _mm256_add_pd(e, ul)), sgn), SP_SET1(0x1p-1022));
    ys = _mm256_or_pd(ys, _mm256_and_pd(wh, SP_SET1(-0.0))); /* h - sgn = +0 when it rounds to zero */
    const __m256d sub = _mm256_cmp_pd(SP_ABS(yn), SP_SET1(0x1p-1022), _CMP_LT_OQ);
    return _mm256_blendv_pd(yn, ys, sub);
}

/* v = m * 2^e with |m| in [1, 2), for finite non-zero v, subnormals included */
SP_INLINE __m256d sp_normalise(__m256d v, __m256d *e)
{
    const __m256d sub = _mm256_cmp_pd(SP_ABS(v), SP_SET1(0x1p-1022), _CMP_LT_OQ);
    const __m256i vb = _mm256_castpd_si256(_mm256_blendv_pd(v, _mm256_mul_pd(v, SP_SET1(0x1p54)), sub));
    const __m256i ebits = _mm256_and_si256(vb, _mm256_set1_epi64x(0x7ff0000000000000LL));
    const __m256d eb = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(ebits, 52), _mm256_castpd_si256(SP_SET1(SP_F64_SHIFT)))),
        SP_SET1(SP_F64_SHIFT + 1023.0));
    *e = _mm256_sub_pd(eb, _mm256_and_pd(sub, SP_SET1(54.0)));
    return _mm256_castsi256_pd(_mm256_or_si256(_mm256_andnot_si256(ebits, vb), _mm256_castpd_si256(SP_SET1(1.0))));
}

/* ---- the fast path, in two stages ------------------------------------------------------------------
 * Each stage is a short dependency chain; a block of lanes runs through stage 1 (t = exp(-a) as
 * t_hi + t_lo, kept in a small buffer) before stage 2 (the op itself). The long single chain ran
 * at about 60% of this speed: with it the out-of-order window filled with waiting operations. */

/* t = exp(-(a + a_lo)) = th + tl. b1 (a constant at each call site) drops the beta arithmetic when
 * beta == 1, giving the same bits as the general code with beta = 1. */
SP_INLINE void sp_stage1(__m256d x, const sp_f64_setup *s, const sp_f64_regs *t, int b1, __m256d *pth,
                         __m256d *ptl)
{
    const __m256d beta = SP_SET1(s->beta);
    const __m256d z = b1 ? x : _mm256_mul_pd(beta, x);
    const __m256d a = SP_ABS(z);
    const __m256d kd = _mm256_fmadd_pd(a, SP_SET1(-SP_F64_INV_L), SP_SET1(SP_F64_SHIFT));
    const __m256d kf = _mm256_sub_pd(kd, SP_SET1(SP_F64_SHIFT));
    const __m256d rho = _mm256_fmadd_pd(kf, SP_SET1(SP_F64_L_HI), a); /* exact */
    __m256d rl;
    if (b1) {
        rl = _mm256_mul_pd(kf, SP_SET1(SP_F64_L_LO));
    } else {
        const __m256d zl = _mm256_fmsub_pd(beta, x, z);
        const __m256d al = _mm256_xor_pd(zl, _mm256_and_pd(z, SP_SET1(-0.0)));
        rl = _mm256_fmadd_pd(kf, SP_SET1(SP_F64_L_LO), al);
    }
    const __m256d e = sp_exp_poly(_mm256_add_pd(rho, rl));
    const __m256i kdi = _mm256_castpd_si256(kd);
    const __m256i tb = _mm256_castpd_si256(sp_lut(&t->tb, kdi));
    const __m256d tr = sp_lut(&t->tr, kdi);
    const __m256d s1 = _mm256_castsi256_pd(_mm256_add_epi64(tb, _mm256_slli_epi64(kdi, 48)));
    const __m256d s2 = _mm256_mul_pd(s1, _mm256_add_pd(e, tr));
    const __m256d th = _mm256_add_pd(s1, s2);
    *pth = th;
    *ptl = _mm256_sub_pd(s2, _mm256_sub_pd(th, s1));
}

/* forward from t: y = (max(z, 0) + z_lo[z > 0] + log1p(t)) / beta */
SP_INLINE __m256d sp_fwd_stage2(__m256d x, __m256d th, __m256d tl, const sp_f64_setup *s,
                                const sp_f64_regs *t, int b1, int tf, __m256d *special)
{
    const __m256d zero = _mm256_setzero_pd();
    const __m256d beta = SP_SET1(s->beta);
    const __m256d z = b1 ? x : _mm256_mul_pd(beta, x);
    *special = _mm256_cmp_pd(SP_ABS(z), SP_SET1(s->a_fast), _CMP_NLE_UQ);

    /* g = log1p(t) = l_i + log1p(v) = gh + gl; adding 1.5*2^48 leaves round(16 t) in the low bits */
    const __m256d id = _mm256_add_pd(_mm256_min_pd(th, SP_SET1(SP_F64_IDX_MAX)), SP_SET1(0x1.8p48));
    const __m256i idi = _mm256_castpd_si256(id);
    const __m256d c = sp_lut(&t->c, idi);
    const __m256d l = sp_lut(&t->l, idi);
    const __m256d ph = _mm256_mul_pd(c, th);
    const __m256d pl = _mm256_fmsub_pd(c, th, ph);
    const __m256d vh = _mm256_add_pd(ph, _mm256_sub_pd(c, SP_SET1(1.0))); /* exact */
    const __m256d vl = _mm256_fmadd_pd(c, tl, pl);
    const __m256d v2 = _mm256_mul_pd(vh, vh);
    const __m256d lq = _mm256_mul_pd(v2, sp_log_poly(vh, v2));
    const __m256d vl1 = _mm256_fnmadd_pd(vl, vh, vl); /* vl/(1 + vh) to first order */
    const __m256d gh = _mm256_add_pd(l, vh);           /* |l| >= |vh| or l = 0 */
    const __m256d gl = _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(vh, _mm256_sub_pd(gh, l)), lq), vl1);

    /* S = max(z, 0) + g = sh + sl: both terms >= 0, so a two-sum on (max, min) is exact */
    const __m256d lz = _mm256_max_pd(z, zero);
    const __m256d big = _mm256_max_pd(lz, gh);
    const __m256d small = _mm256_min_pd(lz, gh);
    const __m256d sh = _mm256_add_pd(big, small);
    __m256d sl = _mm256_add_pd(_mm256_sub_pd(small, _mm256_sub_pd(sh, big)), gl);
    __m256d y;
    if (b1) {
        y = _mm256_add_pd(sh, sl);
    } else {
        /* z > 0: the linear part is beta*x = z + z_lo; then y = S/beta with one FMA residual */
        const __m256d zl = _mm256_fmsub_pd(beta, x, z);
        const __m256d pos = _mm256_cmp_pd(z, zero, _CMP_GT_OQ);
        sl = _mm256_add_pd(sl, _mm256_and_pd(pos, zl));
        const __m256d rb = SP_SET1(s->rb);
        const __m256d q = _mm256_mul_pd(sh, rb);
        const __m256d res = _mm256_add_pd(_mm256_fnmadd_pd(q, beta, sh), sl);
        y = _mm256_fmadd_pd(res, rb, q);
    }
    if (!tf)
        return y;
    return _mm256_blendv_pd(y, x, _mm256_cmp_pd(z, SP_SET1(s->threshold), _CMP_GT_OQ));
}

/* sigmoid from t: s = 1/(1+t) (z >= 0) or t/(1+t) (z < 0), as sh + sl */
SP_INLINE void sp_sigmoid(__m256d z, __m256d th, __m256d tl, __m256d *psh, __m256d *psl)
{
    /* u = 1 + t = uh + ul (|ul| <= 2^-53 uh), 1/u = r0 + r1 (one Newton step from RN(1/uh)) */
    const __m256d one = SP_SET1(1.0);
    const __m256d uh = _mm256_add_pd(one, th);
    const __m256d ul = _mm256_add_pd(_mm256_sub_pd(th, _mm256_sub_pd(uh, one)), tl);
    const __m256d r0 = _mm256_div_pd(one, uh);
    const __m256d rr = _mm256_fnmadd_pd(r0, ul, _mm256_fnmadd_pd(r0, uh, one));
    const __m256d r1 = _mm256_mul_pd(r0, rr);
    /* z < 0: s = t/u = th*r0 + (fma residual + tl*r0 + th*r1) */
    const __m256d nh = _mm256_mul_pd(th, r0);
    const __m256d nl = _mm256_fmadd_pd(th, r1, _mm256_fmadd_pd(tl, r0, _mm256_fmsub_pd(th, r0, nh)));
    const __m256d neg = _mm256_cmp_pd(z, _mm256_setzero_pd(), _CMP_LT_OQ);
    *psh = _mm256_blendv_pd(r0, nh, neg);
    *psl = _mm256_blendv_pd(r1, nl, neg);
}

/* backward from t: dx = dy*s */
SP_INLINE __m256d sp_bwd_stage2(__m256d dy, __m256d x, __m256d th, __m256d tl, const sp_f64_setup *s,
                                int b1, int tf, __m256d *special)
{
    const __m256d z = b1 ? x : _mm256_mul_pd(SP_SET1(s->beta), x);
    *special = _mm256_cmp_pd(SP_ABS(z), SP_SET1(SP_F64_A_FAST), _CMP_NLE_UQ);
    __m256d sh, sl;
    sp_sigmoid(z, th, tl, &sh, &sl);
    __m256d dx = _mm256_fmadd_pd(dy, sh, _mm256_mul_pd(dy, sl));
    /* s > 0, so dx has dy's sign; the FMA alone gives +0 for dy = -0 when dy*sl = +0 */
    dx = _mm256_or_pd(dx, _mm256_and_pd(dy, SP_SET1(-0.0)));
    /* dy = +-inf makes inf - inf in the FMA: such lanes (and NaN dy) go to the special path too; so
     * do lanes with |dx| < 2^-969 and dy != 0, where dy*sl rounds on the subnormal grid before the
     * FMA adds it (a second rounding of up to half an ulp of dx) */
    const __m256d tiny = _mm256_and_pd(_mm256_cmp_pd(SP_ABS(dx), SP_SET1(SP_F64_DX_TINY), _CMP_LT_OQ),
                                       _mm256_cmp_pd(dy, _mm256_setzero_pd(), _CMP_NEQ_OQ));
    *special = _mm256_or_pd(_mm256_or_pd(*special, _mm256_cmp_pd(dx, dx, _CMP_UNORD_Q)), tiny);
    if (!tf)
        return dx;
    return _mm256_blendv_pd(dx, dy, _mm256_cmp_pd(z, SP_SET1(s->threshold), _CMP_GT_OQ));
}

/* The careful path for the lanes in m: exp(-a) and 1/beta carry separate powers of two, applied by
 * one final rounding. Recomputes all lanes and keeps those in m. */
static SP_NOINLINE __m256d sp_fwd_special(__m256d x, __m256d y, __m256d m, const sp_f64_setup *s,
                                          const sp_f64_regs *t)
{
    const __m256d zero = _mm256_setzero_pd();
    const __m256d beta = SP_SET1(s->beta);
    const __m256d z = _mm256_mul_pd(beta, x);
    const __m256d a = SP_ABS(z);
    const __m256d fin = _mm256_cmp_pd(a, SP_SET1(SP_F64_A_HUGE), _CMP_LT_OQ);
    const __m256d zl = _mm256_and_pd(fin, _mm256_fmsub_pd(beta, x, z));
    const __m256d al = _mm256_xor_pd(zl, _mm256_and_pd(z, SP_SET1(-0.0)));
    const __m256d ac = _mm256_min_pd(a, SP_SET1(SP_F64_A_HUGE)); /* NaN -> A_HUGE */

    const __m256d kd = _mm256_fmadd_pd(ac, SP_SET1(-SP_F64_INV_L), SP_SET1(SP_F64_SHIFT));
    const __m256d kf = _mm256_sub_pd(kd, SP_SET1(SP_F64_SHIFT));
    const __m256d rho = _mm256_fmadd_pd(kf, SP_SET1(SP_F64_L_HI), ac);
    const __m256d r = _mm256_add_pd(rho, _mm256_fmadd_pd(kf, SP_SET1(SP_F64_L_LO), al));
    const __m256d e = sp_exp_poly(r);
    const __m256i kdi = _mm256_castpd_si256(kd);
    const __m256i tb = _mm256_castpd_si256(sp_lut(&t->tb, kdi));
    const __m256d tr = sp_lut(&t->tr, kdi);
    /* t = 2^es * (s1 + s2): es = k>>4 once t < 2^-8, else 0 */
    const __m256d ek = _mm256_floor_pd(_mm256_mul_pd(kf, SP_SET1(0.0625)));
    const __m256d es = _mm256_and_pd(_mm256_cmp_pd(ek, SP_SET1(-8.0), _CMP_LT_OQ), ek);
    const __m256d ks = _mm256_add_pd(_mm256_fmadd_pd(es, SP_SET1(-16.0), kf), SP_SET1(SP_F64_SHIFT));
    const __m256d s1 = _mm256_castsi256_pd(
        _mm256_add_epi64(tb, _mm256_slli_epi64(_mm256_castpd_si256(ks), 48)));
    const __m256d s2 = _mm256_mul_pd(s1, _mm256_add_pd(e, tr));
    const __m256d th = _mm256_add_pd(s1, s2);
    const __m256d tl = _mm256_sub_pd(s2, _mm256_sub_pd(th, s1));
    const __m256d sc = sp_pow2(_mm256_max_pd(es, SP_SET1(-1000.0)));

    /* g = 2^es * (G_hi + G_lo); lanes with es != 0 have t < 2^-8, so i = 0 and c = 1 there */
    const __m256d id = _mm256_fmadd_pd(
        _mm256_min_pd(_mm256_mul_pd(th, sc), SP_SET1(SP_F64_IDX_MAX)), SP_SET1(16.0), SP_SET1(SP_F64_SHIFT));
    const __m256i idi = _mm256_castpd_si256(id);
    const __m256d c = sp_lut(&t->c, idi);
    const __m256d l = sp_lut(&t->l, idi);
    const __m256d ph = _mm256_mul_pd(c, th);
    const __m256d pl = _mm256_fmsub_pd(c, th, ph);
    const __m256d vh = _mm256_add_pd(ph, _mm256_sub_pd(c, SP_SET1(1.0)));
    const __m256d vl = _mm256_fmadd_pd(c, tl, pl);
    const __m256d vt = _mm256_mul_pd(vh, sc); /* the unscaled v */
    const __m256d vt2 = _mm256_mul_pd(vt, vt);
    const __m256d lq = _mm256_mul_pd(vh, _mm256_mul_pd(vt, sp_log_poly(vt, vt2)));
    const __m256d vl1 = _mm256_fnmadd_pd(vl, vt, vl);
    __m256d gh = _mm256_add_pd(l, vh);
    __m256d gl = _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(vh, _mm256_sub_pd(gh, l)), lq), vl1);

    /* z > 0: g joins max(z, 0) unscaled (it is far below z's ULP when es < -1000) */
    const __m256d pos = _mm256_cmp_pd(z, zero, _CMP_GT_OQ);
    gh = _mm256_blendv_pd(gh, _mm256_mul_pd(gh, sc), pos);
    gl = _mm256_blendv_pd(gl, _mm256_mul_pd(gl, sc), pos);
    double mbs, rbms, ebs;
    sp_f64_beta_split(s->beta, &mbs, &rbms, &ebs);
    const __m256d fe = _mm256_sub_pd(_mm256_blendv_pd(es, zero, pos), SP_SET1(ebs));
    const __m256d lz = _mm256_max_pd(z, zero);
    const __m256d big = _mm256_max_pd(lz, gh);
    const __m256d small = _mm256_min_pd(lz, gh);
    const __m256d sh = _mm256_add_pd(big, small);
    const __m256d sl = _mm256_add_pd(
        _mm256_add_pd(_mm256_sub_pd(small, _mm256_sub_pd(sh, big)), gl), _mm256_and_pd(pos, zl));
    const __m256d mb = SP_SET1(mbs), rbm = SP_SET1(rbms);
    const __m256d q = _mm256_mul_pd(sh, rbm);
    const __m256d res = _mm256_add_pd(_mm256_fnmadd_pd(q, mb, sh), sl);
    const __m256d wh = _mm256_fmadd_pd(res, rbm, q);
    const __m256d wl = _mm256_sub_pd(_mm256_mul_pd(res, rbm), _mm256_sub_pd(wh, q));
    __m256d yc = sp_scale(wh, wl, fe);

    /* |z| >= A_HUGE, inf or NaN: y = x (z > 0), 0 with beta's sign (z < 0: the exact value, a tiny
     * number of beta's sign, rounds to that zero), NaN from x */
    const __m256d nan = _mm256_cmp_pd(z, z, _CMP_UNORD_Q);
    __m256d alt = _mm256_blendv_pd(_mm256_and_pd(beta, SP_SET1(-0.0)), x, pos);
    alt = _mm256_blendv_pd(alt, _mm256_add_pd(x, x), nan);
    yc = _mm256_blendv_pd(alt, yc, fin);
    const __m256d over = _mm256_cmp_pd(z, SP_SET1(s->threshold), _CMP_GT_OQ);
    yc = _mm256_blendv_pd(yc, x, over);
    return _mm256_blendv_pd(y, yc, m);
}

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

SP_INLINE __m256d sp_fwd_vec(__m256d xv, const sp_f64_setup *s, const sp_f64_regs *t, int b1, int tf)
{
    __m256d th, tl, sp;
    sp_stage1(xv, s, t, b1, &th, &tl);
    __m256d yv = sp_fwd_stage2(xv, th, tl, s, t, b1, tf, &sp);
    if (_mm256_movemask_pd(sp))
        yv = sp_fwd_special(xv, yv, sp, s, t);
    return yv;
}

SP_INLINE void sp_fwd_loop(size_t n, const double *x, double *y, const sp_f64_setup *s,
                           const sp_f64_regs *t, int b1, int tf)
{
    _Alignas(32) double bh[SP_BLOCK], bl[SP_BLOCK];
    size_t i = 0;
    while (n - i >= 4) {
        const size_t m = n - i < SP_BLOCK ? (n - i) & ~(size_t)3 : SP_BLOCK;
        for (size_t j = 0; j < m; j += 4) {
            __m256d th, tl;
            sp_stage1(_mm256_loadu_pd(x + i + j), s, t, b1, &th, &tl);
            _mm256_store_pd(bh + j, th);
            _mm256_store_pd(bl + j, tl);
        }
        for (size_t j = 0; j < m; j += 4) {
            const __m256d xv = _mm256_loadu_pd(x + i + j);
            __m256d sp;
            __m256d yv = sp_fwd_stage2(xv, _mm256_load_pd(bh + j), _mm256_load_pd(bl + j), s, t, b1, tf, &sp);
            if (_mm256_movemask_pd(sp))
                yv = sp_fwd_special(xv, yv, sp, s, t);
            _mm256_storeu_pd(y + i + j, yv);
        }
        i += m;
    }
    if (i < n) {
        /* the tail runs the same vector code on a zero-padded copy held in a register */
        const __m256d xv = sp_load_tail(x + i, n - i);
        sp_store_tail(y + i, sp_fwd_vec(xv, s, t, b1, tf), n - i);
    }
}

void sp_fwd_f64_avx2(size_t n, const double *x, double *y, const sp_params_f64 *p)
{
    sp_f64_setup s;
    sp_f64_regs t;
    sp_f64_setup_init(&s, p);
    sp_f64_load_regs(&t);
    const int tf = sp_f64_threshold_active(p->threshold);
    if (p->beta == 1.0) {
        if (tf)
            sp_fwd_loop(n, x, y, &s, &t, 1, 1);
        else
            sp_fwd_loop(n, x, y, &s, &t, 1, 0);
    } else {
        if (tf)
            sp_fwd_loop(n, x, y, &s, &t, 0, 1);
        else
            sp_fwd_loop(n, x, y, &s, &t, 0, 0);
    }
}

/* ---- backward ----------------------------------------------------------------------------------- */

/* Lanes with a > A_FAST or NaN: for z >= 0 the sigmoid is 1 - t with t < 2^-1009, so dx = dy; for
 * z < 0 it is t to 2^-1009 relative, carried as 2^es * (s1 + s2) with s1 in [1/2, 1) so that
 * dy*(s1 + s2) cannot overflow, then scaled with one rounding. */
static SP_NOINLINE __m256d sp_bwd_special(__m256d dy, __m256d x, __m256d dx, __m256d m,
                                          const sp_f64_setup *s, const sp_f64_regs *t)
{
    const __m256d zero = _mm256_setzero_pd();
    const __m256d beta = SP_SET1(s->beta);
    const __m256d z = _mm256_mul_pd(beta, x);
    const __m256d a = SP_ABS(z);
    const __m256d fin = _mm256_cmp_pd(a, SP_SET1(SP_F64_A_HUGE), _CMP_LT_OQ);
    const __m256d zl = _mm256_and_pd(fin, _mm256_fmsub_pd(beta, x, z));
    const __m256d al = _mm256_xor_pd(zl, _mm256_and_pd(z, SP_SET1(-0.0)));
    const __m256d ac = _mm256_min_pd(a, SP_SET1(SP_F64_A_HUGE));

    const __m256d kd = _mm256_fmadd_pd(ac, SP_SET1(-SP_F64_INV_L), SP_SET1(SP_F64_SHIFT));
    const __m256d kf = _mm256_sub_pd(kd, SP_SET1(SP_F64_SHIFT));
    const __m256d rho = _mm256_fmadd_pd(kf, SP_SET1(SP_F64_L_HI), ac);
    const __m256d r = _mm256_add_pd(rho, _mm256_fmadd_pd(kf, SP_SET1(SP_F64_L_LO), al));
    const __m256d e = sp_exp_poly(r);
    const __m256i kdi = _mm256_castpd_si256(kd);
    const __m256i tb = _mm256_castpd_si256(sp_lut(&t->tb, kdi));
    const __m256d tr = sp_lut(&t->tr, kdi);
    const __m256d es = _mm256_add_pd(
        _mm256_floor_pd(_mm256_mul_pd(kf, SP_SET1(0.0625))),
        SP_SET1(1.0));
    const __m256d ks = _mm256_add_pd(_mm256_fmadd_pd(es, SP_SET1(-16.0), kf), SP_SET1(SP_F64_SHIFT));
    const __m256d s1 = _mm256_castsi256_pd(
        _mm256_add_epi64(tb, _mm256_slli_epi64(_mm256_castpd_si256(ks), 48)));
    const __m256d s2 = _mm256_mul_pd(s1, _mm256_add_pd(e, tr));
    /* dy = dm * 2^ed with |dm| in [1, 2) keeps dm*(s1 + s2) inside sp_scale's range (a zero or
     * subnormal dy gives ed = -1023 and a result that rounds to +-0, as it should) */
    const __m256i dyb = _mm256_castpd_si256(dy);
    const __m256i ebits = _mm256_and_si256(dyb, _mm256_set1_epi64x(0x7ff0000000000000LL));
    const __m256d ed = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(ebits, 52), _mm256_castpd_si256(SP_SET1(SP_F64_SHIFT)))),
        SP_SET1(SP_F64_SHIFT + 1023.0));
    const __m256d dm = _mm256_castsi256_pd(
        _mm256_or_si256(_mm256_andnot_si256(ebits, dyb), _mm256_castpd_si256(SP_SET1(1.0))));
    const __m256d ph = _mm256_mul_pd(dm, s1);
    __m256d dn = sp_scale(ph, _mm256_fmadd_pd(dm, s2, _mm256_fmsub_pd(dm, s1, ph)), _mm256_add_pd(es, ed));
    /* dy = +-inf or NaN: dy times the sign of the exact sigmoid, which is > 0 for every finite x (also
     * where beta*x overflows to -inf) and 0 for an infinite x with z < 0 (dy*0 = NaN there) */
    const __m256d dinf = _mm256_cmp_pd(SP_ABS(dy), SP_SET1(INFINITY), _CMP_NLT_UQ);
    const __m256d sgz = _mm256_and_pd(_mm256_cmp_pd(SP_ABS(x), SP_SET1(INFINITY), _CMP_LT_OQ), SP_SET1(1.0));
    dn = _mm256_blendv_pd(dn, _mm256_mul_pd(dy, sgz), dinf);
    const __m256d neg = _mm256_cmp_pd(z, zero, _CMP_LT_OQ);
    __m256d dc = _mm256_blendv_pd(dy, _mm256_or_pd(dn, _mm256_and_pd(dy, SP_SET1(-0.0))), neg);
    /* Lanes of the fast path (a <= A_FAST, dy finite) sent here for |dx| < 2^-969: the fast path's
     * sigmoid sh + sl times dy, with dy = dm*2^ed and sh = sm*2^es2 normalised to [1, 2) so that one
     * final scaling rounds once, into the subnormals too. */
    const __m256d small = _mm256_and_pd(_mm256_cmp_pd(a, SP_SET1(SP_F64_A_FAST), _CMP_LE_OQ),
                                        _mm256_cmp_pd(SP_ABS(dy), SP_SET1(INFINITY), _CMP_LT_OQ));
    if (_mm256_movemask_pd(_mm256_and_pd(small, m))) {
        __m256d th, tl, sh, sl, e1, e2;
        sp_stage1(x, s, t, 0, &th, &tl);
        sp_sigmoid(z, th, tl, &sh, &sl);
        const __m256d dmn = sp_normalise(dy, &e1);
        const __m256d sm = sp_normalise(sh, &e2);
        const __m256d sml = _mm256_mul_pd(sl, sp_pow2(_mm256_sub_pd(zero, e2)));
        const __m256d qh = _mm256_mul_pd(dmn, sm);
        const __m256d ql = _mm256_fmadd_pd(dmn, sml, _mm256_fmsub_pd(dmn, sm, qh));
        const __m256d dt = sp_scale(qh, ql, _mm256_add_pd(e1, e2));
        dc = _mm256_blendv_pd(dc, _mm256_or_pd(dt, _mm256_and_pd(dy, SP_SET1(-0.0))), small);
    }
    const __m256d nan = _mm256_cmp_pd(z, z, _CMP_UNORD_Q);
    dc = _mm256_blendv_pd(dc, _mm256_add_pd(x, x), nan);
    const __m256d over = _mm256_cmp_pd(z, SP_SET1(s->threshold), _CMP_GT_OQ);
    dc = _mm256_blendv_pd(dc, dy, over);
    return _mm256_blendv_pd(dx, dc, m);
}

SP_INLINE __m256d sp_bwd_vec(__m256d dyv, __m256d xv, const sp_f64_setup *s, const sp_f64_regs *t, int b1, int tf)
{
    __m256d th, tl, sp;
    sp_stage1(xv, s, t, b1, &th, &tl);
    __m256d dxv = sp_bwd_stage2(dyv, xv, th, tl, s, b1, tf, &sp);
    if (_mm256_movemask_pd(sp))
        dxv = sp_bwd_special(dyv, xv, dxv, sp, s, t);
    return dxv;
}

SP_INLINE void sp_bwd_loop(size_t n, const double *dy, const double *x, double *dx,
                           const sp_f64_setup *s, const sp_f64_regs *t, int b1, int tf)
{
    _Alignas(32) double bh[SP_BLOCK], bl[SP_BLOCK];
    size_t i = 0;
    while (n - i >= 4) {
        const size_t m = n - i < SP_BLOCK ? (n - i) & ~(size_t)3 : SP_BLOCK;
        for (size_t j = 0; j < m; j += 4) {
            __m256d th, tl;
            sp_stage1(_mm256_loadu_pd(x + i + j), s, t, b1, &th, &tl);
            _mm256_store_pd(bh + j, th);
            _mm256_store_pd(bl + j, tl);
        }
        for (size_t j = 0; j < m; j += 4) {
            const __m256d xv = _mm256_loadu_pd(x + i + j);
            const __m256d dyv = _mm256_loadu_pd(dy + i + j);
            __m256d sp;
            __m256d dxv = sp_bwd_stage2(dyv, xv, _mm256_load_pd(bh + j), _mm256_load_pd(bl + j), s, b1, tf, &sp);
            if (_mm256_movemask_pd(sp))
                dxv = sp_bwd_special(dyv, xv, dxv, sp, s, t);
            _mm256_storeu_pd(dx + i + j, dxv);
        }
        i += m;
    }
    if (i < n) {
        const __m256d xv = sp_load_tail(x + i, n - i), dyv = sp_load_tail(dy + i, n - i);
        sp_store_tail(dx + i, sp_bwd_vec(dyv, xv, s, t, b1, tf), n - i);
    }
}

void sp_bwd_f64_avx2(size_t n, const double *dy, const double *x, double *dx, const sp_params_f64 *p)
{
    sp_f64_setup s;
    sp_f64_regs t;
    sp_f64_setup_init(&s, p);
    sp_f64_load_regs(&t);
    const int tf = sp_f64_threshold_active(p->threshold);
    if (p->beta == 1.0) {
        if (tf)
            sp_bwd_loop(n, dy, x, dx, &s, &t, 1, 1);
        else
            sp_bwd_loop(n, dy, x, dx, &s, &t, 1, 0);
    } else {
        if (tf)
            sp_bwd_loop(n, dy, x, dx, &s, &t, 0, 1);
        else
            sp_bwd_loop(n, dy, x, dx, &s, &t, 0, 0);
    }
}

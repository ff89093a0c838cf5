/* softplus_f64_avx512.c -- f64 softplus forward and backward, 8 lanes of AVX-512 (F, DQ).
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
 * dense over [-750, 750], log-uniform magnitudes and the edges); bounds SP_MAX_ULP_F64_AVX512 and
 * SP_MAX_ULP_BETA_F64_AVX512 (1.0) in kernels.h:
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
 * Bit identity: softplus_f64_avx2.c runs the same operations in the same order with the same FMAs
 * and tables (only the lookup instruction differs), so the two give the same bits on every input;
 * arm/softplus_f64_neon.c keeps that order too (tests/accuracy/test_digest.c).
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

/* The tables and constants in registers, loaded once per call. */
typedef struct sp_f64_regs {
    __m512i tb0, tb1;
    __m512d tr0, tr1, c0, c1, l0, l1;
} sp_f64_regs;

static void sp_f64_load_regs(sp_f64_regs *r)
{
    r->tb0 = _mm512_loadu_si512((const void *)sp_f64_exp_tbits);
    r->tb1 = _mm512_loadu_si512((const void *)(sp_f64_exp_tbits + 8));
    r->tr0 = _mm512_loadu_pd(sp_f64_exp_trel);
    r->tr1 = _mm512_loadu_pd(sp_f64_exp_trel + 8);
    r->c0 = _mm512_loadu_pd(sp_f64_log_c);
    r->c1 = _mm512_loadu_pd(sp_f64_log_c + 8);
    r->l0 = _mm512_loadu_pd(sp_f64_log_l);
    r->l1 = _mm512_loadu_pd(sp_f64_log_l + 8);
}

#define SP_SET1(c) _mm512_set1_pd(c)
#define SP_FLOOR (_MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)

/* ---- shared pieces ------------------------------------------------------------------------------ */

/* E(r) = exp(-r) - 1 */
SP_INLINE __m512d sp_exp_poly(__m512d r)
{
    const __m512d r2 = _mm512_mul_pd(r, r);
    const __m512d p23 = _mm512_fmadd_pd(SP_SET1(SP_F64_E3), r, SP_SET1(SP_F64_E2));
    const __m512d p45 = _mm512_fmadd_pd(SP_SET1(SP_F64_E5), r, SP_SET1(SP_F64_E4));
    const __m512d p67 = _mm512_fmadd_pd(SP_SET1(SP_F64_E7), r, SP_SET1(SP_F64_E6));
    const __m512d p47 = _mm512_fmadd_pd(p67, r2, p45);
    const __m512d p27 = _mm512_fmadd_pd(p47, r2, p23);
    return _mm512_fmsub_pd(p27, r2, r);
}

/* Q(v) with log1p(v) = v + v^2*Q(v) */
SP_INLINE __m512d sp_log_poly(__m512d v, __m512d v2)
{
    const __m512d q23 = _mm512_fmadd_pd(SP_SET1(SP_F64_G3), v, SP_SET1(SP_F64_G2));
    const __m512d q45 = _mm512_fmadd_pd(SP_SET1(SP_F64_G5), v, SP_SET1(SP_F64_G4));
    const __m512d q67 = _mm512_fmadd_pd(SP_SET1(SP_F64_G7), v, SP_SET1(SP_F64_G6));
    const __m512d q89 = _mm512_fmadd_pd(SP_SET1(SP_F64_G9), v, SP_SET1(SP_F64_G8));
    const __m512d v4 = _mm512_mul_pd(v2, v2);
    const __m512d q25 = _mm512_fmadd_pd(q45, v2, q23);
    const __m512d q69 = _mm512_fmadd_pd(q89, v2, q67);
    return _mm512_fmadd_pd(q69, v4, q25);
}

/* 2^k for integer-valued k in [-1022, 1023] */
SP_INLINE __m512d sp_pow2(__m512d k)
{
    const __m512i b = _mm512_castpd_si512(_mm512_add_pd(k, SP_SET1(SP_F64_SHIFT)));
    const __m512i e = _mm512_add_epi64(b, _mm512_set1_epi64(1023 - 0x4338000000000000LL));
    return _mm512_castsi512_pd(_mm512_slli_epi64(e, 52));
}

/* RN((wh + wl) * 2^k) with a single rounding, for integer-valued k, |wl| <= 2^-52 |wh| and |wh| in
 * [2^-60, 2^60] or 0 (the products by 2^k1 below are exact there). A normal result is RN(wh + wl)
 * scaled exactly. A subnormal one is rounded where 2^-1022 is 1: h = sgn + u puts the 2^-1074 grid
 * at 2^-52 and its error is added back before the one rounding that counts. k beyond
 * [-1150, 1100] gives 0 or inf anyway. */
SP_INLINE __m512d sp_scale(__m512d wh, __m512d wl, __m512d k)
{
    const __m512d kc = _mm512_min_pd(_mm512_max_pd(k, SP_SET1(-1150.0)), SP_SET1(1100.0));
    const __m512d k1 = _mm512_roundscale_pd(_mm512_mul_pd(kc, SP_SET1(0.5)), SP_FLOOR);
    const __m512d yn = _mm512_mul_pd(_mm512_mul_pd(_mm512_add_pd(wh, wl), sp_pow2(k1)),
                                     sp_pow2(_mm512_sub_pd(kc, k1)));
    const __m512d ks = _mm512_min_pd(_mm512_add_pd(kc, SP_SET1(1022.0)), SP_SET1(64.0));
    const __m512d j1 = _mm512_roundscale_pd(_mm512_mul_pd(ks, SP_SET1(0.5)), SP_FLOOR);
    const __m512d p1 = sp_pow2(j1), p2 = sp_pow2(_mm512_sub_pd(ks, j1));
    const __m512d u = _mm512_mul_pd(_mm512_mul_pd(wh, p1), p2);
    const __m512d ul = _mm512_mul_pd(_mm512_mul_pd(wl, p1), p2);
    const __m512d sgn = _mm512_or_pd(_mm512_and_pd(wh, SP_SET1(-0.0)), SP_SET1(1.0));
    const __m512d h = _mm512_add_pd(sgn, u);
    const __m512d e = _mm512_add_pd(_mm512_sub_pd(sgn, h), u);
    __m512d ys = _mm512_mul_pd(_mm512_sub_pd(_mm512_add_pd(h, _mm512_add_pd(e, ul)), sgn), SP_SET1(0x1p-1022));
    ys = _mm512_or_pd(ys, _mm512_and_pd(wh, SP_SET1(-0.0))); /* h - sgn = +0 when it rounds to zero */
    const __mmask8 sub = _mm512_cmp_pd_mask(_mm512_abs_pd(yn), SP_SET1(0x1p-1022), _CMP_LT_OQ);
    return _mm512_mask_blend_pd(sub, yn, ys);
}

/* v = m * 2^e with |m| in [1, 2), for finite non-zero v, subnormals included */
SP_INLINE __m512d sp_normalise(__m512d v, __m512d *e)
{
    const __mmask8 sub = _mm512_cmp_pd_mask(_mm512_abs_pd(v), SP_SET1(0x1p-1022), _CMP_LT_OQ);
    const __m512i vb = _mm512_castpd_si512(_mm512_mask_mul_pd(v, sub, v, SP_SET1(0x1p54)));
    const __m512i ebits = _mm512_and_si512(vb, _mm512_set1_epi64(0x7ff0000000000000LL));
    const __m512d eb = _mm512_sub_pd(
        _mm512_castsi512_pd(_mm512_or_si512(_mm512_srli_epi64(ebits, 52), _mm512_castpd_si512(SP_SET1(SP_F64_SHIFT)))),
        SP_SET1(SP_F64_SHIFT + 1023.0));
    *e = _mm512_mask_sub_pd(eb, sub, eb, SP_SET1(54.0));
    return _mm512_castsi512_pd(_mm512_or_si512(_mm512_andnot_si512(ebits, vb), _mm512_castpd_si512(SP_SET1(1.0))));
}

/* ---- the fast path, in two stages ------------------------------------------------------------------
 * Each stage is a short dependency chain; a block of lanes runs through stage 1 (t = exp(-a) as
 * t_hi + t_lo, kept in a small buffer) before stage 2 (the op itself). The long single chain ran
 * at about 60% of this speed: with it the out-of-order window filled with waiting operations. */

/* t = exp(-(a + a_lo)) = th + tl. b1 (a constant at each call site) drops the beta arithmetic when
 * beta == 1, giving the same bits as the general code with beta = 1. */
SP_INLINE void sp_stage1(__m512d x, const sp_f64_setup *s, const sp_f64_regs *t, int b1, __m512d *pth,
                         __m512d *ptl)
{
    const __m512d beta = SP_SET1(s->beta);
    const __m512d z = b1 ? x : _mm512_mul_pd(beta, x);
    const __m512d a = _mm512_abs_pd(z);
    const __m512d kd = _mm512_fmadd_pd(a, SP_SET1(-SP_F64_INV_L), SP_SET1(SP_F64_SHIFT));
    const __m512d kf = _mm512_sub_pd(kd, SP_SET1(SP_F64_SHIFT));
    const __m512d rho = _mm512_fmadd_pd(kf, SP_SET1(SP_F64_L_HI), a); /* exact */
    __m512d rl;
    if (b1) {
        rl = _mm512_mul_pd(kf, SP_SET1(SP_F64_L_LO));
    } else {
        const __m512d zl = _mm512_fmsub_pd(beta, x, z);
        const __m512d al = _mm512_xor_pd(zl, _mm512_and_pd(z, SP_SET1(-0.0)));
        rl = _mm512_fmadd_pd(kf, SP_SET1(SP_F64_L_LO), al);
    }
    const __m512d e = sp_exp_poly(_mm512_add_pd(rho, rl));
    const __m512i kdi = _mm512_castpd_si512(kd);
    const __m512i tb = _mm512_permutex2var_epi64(t->tb0, kdi, t->tb1);
    const __m512d tr = _mm512_permutex2var_pd(t->tr0, kdi, t->tr1);
    const __m512d s1 = _mm512_castsi512_pd(_mm512_add_epi64(tb, _mm512_slli_epi64(kdi, 48)));
    const __m512d s2 = _mm512_mul_pd(s1, _mm512_add_pd(e, tr));
    const __m512d th = _mm512_add_pd(s1, s2);
    *pth = th;
    *ptl = _mm512_sub_pd(s2, _mm512_sub_pd(th, s1));
}

/* forward from t: y = (max(z, 0) + z_lo[z > 0] + log1p(t)) / beta */
SP_INLINE __m512d sp_fwd_stage2(__m512d x, __m512d th, __m512d tl, const sp_f64_setup *s,
                                const sp_f64_regs *t, int b1, int tf, __mmask8 *special)
{
    const __m512d zero = _mm512_setzero_pd();
    const __m512d beta = SP_SET1(s->beta);
    const __m512d z = b1 ? x : _mm512_mul_pd(beta, x);
    *special = _mm512_cmp_pd_mask(_mm512_abs_pd(z), SP_SET1(s->a_fast), _CMP_NLE_UQ);

    /* g = log1p(t) = l_i + log1p(v) = gh + gl; adding 1.5*2^48 leaves round(16 t) in the low bits */
    const __m512d id = _mm512_add_pd(_mm512_min_pd(th, SP_SET1(SP_F64_IDX_MAX)), SP_SET1(0x1.8p48));
    const __m512i idi = _mm512_castpd_si512(id);
    const __m512d c = _mm512_permutex2var_pd(t->c0, idi, t->c1);
    const __m512d l = _mm512_permutex2var_pd(t->l0, idi, t->l1);
    const __m512d ph = _mm512_mul_pd(c, th);
    const __m512d pl = _mm512_fmsub_pd(c, th, ph);
    const __m512d vh = _mm512_add_pd(ph, _mm512_sub_pd(c, SP_SET1(1.0))); /* exact */
    const __m512d vl = _mm512_fmadd_pd(c, tl, pl);
    const __m512d v2 = _mm512_mul_pd(vh, vh);
    const __m512d lq = _mm512_mul_pd(v2, sp_log_poly(vh, v2));
    const __m512d vl1 = _mm512_fnmadd_pd(vl, vh, vl); /* vl/(1 + vh) to first order */
    const __m512d gh = _mm512_add_pd(l, vh);           /* |l| >= |vh| or l = 0 */
    const __m512d gl = _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(vh, _mm512_sub_pd(gh, l)), lq), vl1);

    /* S = max(z, 0) + g = sh + sl: both terms >= 0, so a two-sum on (max, min) is exact */
    const __m512d lz = _mm512_max_pd(z, zero);
    const __m512d big = _mm512_max_pd(lz, gh);
    const __m512d small = _mm512_min_pd(lz, gh);
    const __m512d sh = _mm512_add_pd(big, small);
    __m512d sl = _mm512_add_pd(_mm512_sub_pd(small, _mm512_sub_pd(sh, big)), gl);
    __m512d y;
    if (b1) {
        y = _mm512_add_pd(sh, sl);
    } else {
        /* z > 0: the linear part is beta*x = z + z_lo; then y = S/beta with one FMA residual */
        const __m512d zl = _mm512_fmsub_pd(beta, x, z);
        const __mmask8 pos = _mm512_cmp_pd_mask(z, zero, _CMP_GT_OQ);
        sl = _mm512_add_pd(sl, _mm512_maskz_mov_pd(pos, zl));
        const __m512d rb = SP_SET1(s->rb);
        const __m512d q = _mm512_mul_pd(sh, rb);
        const __m512d res = _mm512_add_pd(_mm512_fnmadd_pd(q, beta, sh), sl);
        y = _mm512_fmadd_pd(res, rb, q);
    }
    if (!tf)
        return y;
    const __mmask8 over = _mm512_cmp_pd_mask(z, SP_SET1(s->threshold), _CMP_GT_OQ);
    return _mm512_mask_blend_pd(over, y, x);
}

/* sigmoid from t: s = 1/(1+t) (z >= 0) or t/(1+t) (z < 0), as sh + sl */
SP_INLINE void sp_sigmoid(__m512d z, __m512d th, __m512d tl, __m512d *psh, __m512d *psl)
{
    /* u = 1 + t = uh + ul (|ul| <= 2^-53 uh), 1/u = r0 + r1 (one Newton step from RN(1/uh)) */
    const __m512d one = SP_SET1(1.0);
    const __m512d uh = _mm512_add_pd(one, th);
    const __m512d ul = _mm512_add_pd(_mm512_sub_pd(th, _mm512_sub_pd(uh, one)), tl);
    const __m512d r0 = _mm512_div_pd(one, uh);
    const __m512d rr = _mm512_fnmadd_pd(r0, ul, _mm512_fnmadd_pd(r0, uh, one));
    const __m512d r1 = _mm512_mul_pd(r0, rr);
    /* z < 0: s = t/u = th*r0 + (fma residual + tl*r0 + th*r1) */
    const __m512d nh = _mm512_mul_pd(th, r0);
    const __m512d nl = _mm512_fmadd_pd(th, r1, _mm512_fmadd_pd(tl, r0, _mm512_fmsub_pd(th, r0, nh)));
    const __mmask8 neg = _mm512_cmp_pd_mask(z, _mm512_setzero_pd(), _CMP_LT_OQ);
    *psh = _mm512_mask_blend_pd(neg, r0, nh);
    *psl = _mm512_mask_blend_pd(neg, r1, nl);
}

/* backward from t: dx = dy*s */
SP_INLINE __m512d sp_bwd_stage2(__m512d dy, __m512d x, __m512d th, __m512d tl, const sp_f64_setup *s,
                                int b1, int tf, __mmask8 *special)
{
    const __m512d z = b1 ? x : _mm512_mul_pd(SP_SET1(s->beta), x);
    *special = _mm512_cmp_pd_mask(_mm512_abs_pd(z), SP_SET1(SP_F64_A_FAST), _CMP_NLE_UQ);
    __m512d sh, sl;
    sp_sigmoid(z, th, tl, &sh, &sl);
    __m512d dx = _mm512_fmadd_pd(dy, sh, _mm512_mul_pd(dy, sl));
    /* s > 0, so dx has dy's sign; the FMA alone gives +0 for dy = -0 when dy*sl = +0 */
    dx = _mm512_or_pd(dx, _mm512_and_pd(dy, SP_SET1(-0.0)));
    /* dy = +-inf makes inf - inf in the FMA: such lanes (and NaN dy) go to the special path too; so
     * do lanes with |dx| < 2^-969 and dy != 0, where dy*sl rounds on the subnormal grid before the
     * FMA adds it (a second rounding of up to half an ulp of dx) */
    *special |= _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(dy, _mm512_setzero_pd(), _CMP_NEQ_UQ),
                                        _mm512_abs_pd(dx), SP_SET1(SP_F64_DX_TINY), _CMP_NGE_UQ);
    if (!tf)
        return dx;
    const __mmask8 over = _mm512_cmp_pd_mask(z, SP_SET1(s->threshold), _CMP_GT_OQ);
    return _mm512_mask_blend_pd(over, dx, dy);
}

/* The careful path for the lanes in m: exp(-a) and 1/beta carry separate powers of two, applied by
 * one final rounding. Recomputes all lanes and keeps those in m. */
static SP_NOINLINE __m512d sp_fwd_special(__m512d x, __m512d y, __mmask8 m, const sp_f64_setup *s,
                                          const sp_f64_regs *t)
{
    const __m512d zero = _mm512_setzero_pd();
    const __m512d beta = SP_SET1(s->beta);
    const __m512d z = _mm512_mul_pd(beta, x);
    const __m512d a = _mm512_abs_pd(z);
    const __mmask8 fin = _mm512_cmp_pd_mask(a, SP_SET1(SP_F64_A_HUGE), _CMP_LT_OQ);
    const __m512d zl = _mm512_maskz_mov_pd(fin, _mm512_fmsub_pd(beta, x, z));
    const __m512d al = _mm512_xor_pd(zl, _mm512_and_pd(z, SP_SET1(-0.0)));
    const __m512d ac = _mm512_min_pd(a, SP_SET1(SP_F64_A_HUGE)); /* NaN -> A_HUGE */

    const __m512d kd = _mm512_fmadd_pd(ac, SP_SET1(-SP_F64_INV_L), SP_SET1(SP_F64_SHIFT));
    const __m512d kf = _mm512_sub_pd(kd, SP_SET1(SP_F64_SHIFT));
    const __m512d rho = _mm512_fmadd_pd(kf, SP_SET1(SP_F64_L_HI), ac);
    const __m512d r = _mm512_add_pd(rho, _mm512_fmadd_pd(kf, SP_SET1(SP_F64_L_LO), al));
    const __m512d e = sp_exp_poly(r);
    const __m512i kdi = _mm512_castpd_si512(kd);
    const __m512i tb = _mm512_permutex2var_epi64(t->tb0, kdi, t->tb1);
    const __m512d tr = _mm512_permutex2var_pd(t->tr0, kdi, t->tr1);
    /* t = 2^es * (s1 + s2): es = k>>4 once t < 2^-8, else 0 */
    const __m512d ek = _mm512_roundscale_pd(_mm512_mul_pd(kf, SP_SET1(0.0625)),
                                            SP_FLOOR);
    const __m512d es = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(ek, SP_SET1(-8.0), _CMP_LT_OQ), ek);
    const __m512d ks = _mm512_add_pd(_mm512_fmadd_pd(es, SP_SET1(-16.0), kf), SP_SET1(SP_F64_SHIFT));
    const __m512d s1 = _mm512_castsi512_pd(
        _mm512_add_epi64(tb, _mm512_slli_epi64(_mm512_castpd_si512(ks), 48)));
    const __m512d s2 = _mm512_mul_pd(s1, _mm512_add_pd(e, tr));
    const __m512d th = _mm512_add_pd(s1, s2);
    const __m512d tl = _mm512_sub_pd(s2, _mm512_sub_pd(th, s1));
    const __m512d sc = sp_pow2(_mm512_max_pd(es, SP_SET1(-1000.0)));

    /* g = 2^es * (G_hi + G_lo); lanes with es != 0 have t < 2^-8, so i = 0 and c = 1 there */
    const __m512d id = _mm512_fmadd_pd(
        _mm512_min_pd(_mm512_mul_pd(th, sc), SP_SET1(SP_F64_IDX_MAX)), SP_SET1(16.0), SP_SET1(SP_F64_SHIFT));
    const __m512i idi = _mm512_castpd_si512(id);
    const __m512d c = _mm512_permutex2var_pd(t->c0, idi, t->c1);
    const __m512d l = _mm512_permutex2var_pd(t->l0, idi, t->l1);
    const __m512d ph = _mm512_mul_pd(c, th);
    const __m512d pl = _mm512_fmsub_pd(c, th, ph);
    const __m512d vh = _mm512_add_pd(ph, _mm512_sub_pd(c, SP_SET1(1.0)));
    const __m512d vl = _mm512_fmadd_pd(c, tl, pl);
    const __m512d vt = _mm512_mul_pd(vh, sc); /* the unscaled v */
    const __m512d vt2 = _mm512_mul_pd(vt, vt);
    const __m512d lq = _mm512_mul_pd(vh, _mm512_mul_pd(vt, sp_log_poly(vt, vt2)));
    const __m512d vl1 = _mm512_fnmadd_pd(vl, vt, vl);
    __m512d gh = _mm512_add_pd(l, vh);
    __m512d gl = _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(vh, _mm512_sub_pd(gh, l)), lq), vl1);

    /* z > 0: g joins max(z, 0) unscaled (it is far below z's ULP when es < -1000) */
    const __mmask8 pos = _mm512_cmp_pd_mask(z, zero, _CMP_GT_OQ);
    gh = _mm512_mask_mul_pd(gh, pos, gh, sc);
    gl = _mm512_mask_mul_pd(gl, pos, gl, sc);
    double mbs, rbms, ebs;
    sp_f64_beta_split(s->beta, &mbs, &rbms, &ebs);
    const __m512d fe = _mm512_sub_pd(_mm512_mask_mov_pd(es, pos, zero), SP_SET1(ebs));
    const __m512d lz = _mm512_max_pd(z, zero);
    const __m512d big = _mm512_max_pd(lz, gh);
    const __m512d small = _mm512_min_pd(lz, gh);
    const __m512d sh = _mm512_add_pd(big, small);
    const __m512d sl = _mm512_add_pd(
        _mm512_add_pd(_mm512_sub_pd(small, _mm512_sub_pd(sh, big)), gl), _mm512_maskz_mov_pd(pos, zl));
    const __m512d mb = SP_SET1(mbs), rbm = SP_SET1(rbms);
    const __m512d q = _mm512_mul_pd(sh, rbm);
    const __m512d res = _mm512_add_pd(_mm512_fnmadd_pd(q, mb, sh), sl);
    const __m512d wh = _mm512_fmadd_pd(res, rbm, q);
    const __m512d wl = _mm512_sub_pd(_mm512_mul_pd(res, rbm), _mm512_sub_pd(wh, q));
    __m512d yc = sp_scale(wh, wl, fe);

    /* |z| >= A_HUGE, inf or NaN: y = x (z > 0), 0 with beta's sign (z < 0: the exact value, a tiny
     * number of beta's sign, rounds to that zero), NaN from x */
    const __mmask8 nan = _mm512_cmp_pd_mask(z, z, _CMP_UNORD_Q);
    __m512d alt = _mm512_mask_blend_pd(pos, _mm512_and_pd(beta, SP_SET1(-0.0)), x);
    alt = _mm512_mask_add_pd(alt, nan, x, x);
    yc = _mm512_mask_blend_pd(fin, alt, yc);
    const __mmask8 over = _mm512_cmp_pd_mask(z, SP_SET1(s->threshold), _CMP_GT_OQ);
    yc = _mm512_mask_blend_pd(over, yc, x);
    return _mm512_mask_blend_pd(m, y, yc);
}

SP_INLINE void sp_fwd_loop(size_t n, const double *x, double *y, const sp_f64_setup *s,
                           const sp_f64_regs *t, int b1, int tf)
{
    _Alignas(64) double bh[SP_BLOCK], bl[SP_BLOCK];
    size_t i = 0;
    while (n - i >= 8) {
        const size_t m = n - i < SP_BLOCK ? (n - i) & ~(size_t)7 : SP_BLOCK;
        for (size_t j = 0; j < m; j += 8) {
            __m512d th, tl;
            sp_stage1(_mm512_loadu_pd(x + i + j), s, t, b1, &th, &tl);
            _mm512_store_pd(bh + j, th);
            _mm512_store_pd(bl + j, tl);
        }
        for (size_t j = 0; j < m; j += 8) {
            const __m512d xv = _mm512_loadu_pd(x + i + j);
            __mmask8 sp;
            __m512d yv = sp_fwd_stage2(xv, _mm512_load_pd(bh + j), _mm512_load_pd(bl + j), s, t, b1, tf, &sp);
            if (sp)
                yv = sp_fwd_special(xv, yv, sp, s, t);
            _mm512_storeu_pd(y + i + j, yv);
        }
        i += m;
    }
    if (i < n) {
        const __mmask8 lanes = (__mmask8)((1u << (n - i)) - 1u);
        const __m512d xv = _mm512_maskz_loadu_pd(lanes, x + i);
        __m512d th, tl;
        __mmask8 sp;
        sp_stage1(xv, s, t, b1, &th, &tl);
        __m512d yv = sp_fwd_stage2(xv, th, tl, s, t, b1, tf, &sp);
        sp &= lanes;
        if (sp)
            yv = sp_fwd_special(xv, yv, sp, s, t);
        _mm512_mask_storeu_pd(y + i, lanes, yv);
    }
}

void sp_fwd_f64_avx512(size_t n, const double *x, double *y, const sp_params_f64 *p)
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
static SP_NOINLINE __m512d sp_bwd_special(__m512d dy, __m512d x, __m512d dx, __mmask8 m,
                                          const sp_f64_setup *s, const sp_f64_regs *t)
{
    const __m512d zero = _mm512_setzero_pd();
    const __m512d beta = SP_SET1(s->beta);
    const __m512d z = _mm512_mul_pd(beta, x);
    const __m512d a = _mm512_abs_pd(z);
    const __mmask8 fin = _mm512_cmp_pd_mask(a, SP_SET1(SP_F64_A_HUGE), _CMP_LT_OQ);
    const __m512d zl = _mm512_maskz_mov_pd(fin, _mm512_fmsub_pd(beta, x, z));
    const __m512d al = _mm512_xor_pd(zl, _mm512_and_pd(z, SP_SET1(-0.0)));
    const __m512d ac = _mm512_min_pd(a, SP_SET1(SP_F64_A_HUGE));

    const __m512d kd = _mm512_fmadd_pd(ac, SP_SET1(-SP_F64_INV_L), SP_SET1(SP_F64_SHIFT));
    const __m512d kf = _mm512_sub_pd(kd, SP_SET1(SP_F64_SHIFT));
    const __m512d rho = _mm512_fmadd_pd(kf, SP_SET1(SP_F64_L_HI), ac);
    const __m512d r = _mm512_add_pd(rho, _mm512_fmadd_pd(kf, SP_SET1(SP_F64_L_LO), al));
    const __m512d e = sp_exp_poly(r);
    const __m512i kdi = _mm512_castpd_si512(kd);
    const __m512i tb = _mm512_permutex2var_epi64(t->tb0, kdi, t->tb1);
    const __m512d tr = _mm512_permutex2var_pd(t->tr0, kdi, t->tr1);
    const __m512d es = _mm512_add_pd(
        _mm512_roundscale_pd(_mm512_mul_pd(kf, SP_SET1(0.0625)), SP_FLOOR),
        SP_SET1(1.0));
    const __m512d ks = _mm512_add_pd(_mm512_fmadd_pd(es, SP_SET1(-16.0), kf), SP_SET1(SP_F64_SHIFT));
    const __m512d s1 = _mm512_castsi512_pd(
        _mm512_add_epi64(tb, _mm512_slli_epi64(_mm512_castpd_si512(ks), 48)));
    const __m512d s2 = _mm512_mul_pd(s1, _mm512_add_pd(e, tr));
    /* dy = dm * 2^ed with |dm| in [1, 2) keeps dm*(s1 + s2) inside sp_scale's range (a zero or
     * subnormal dy gives ed = -1023 and a result that rounds to +-0, as it should) */
    const __m512i dyb = _mm512_castpd_si512(dy);
    const __m512i ebits = _mm512_and_si512(dyb, _mm512_set1_epi64(0x7ff0000000000000LL));
    const __m512d ed = _mm512_sub_pd(
        _mm512_castsi512_pd(_mm512_or_si512(_mm512_srli_epi64(ebits, 52), _mm512_castpd_si512(SP_SET1(SP_F64_SHIFT)))),
        SP_SET1(SP_F64_SHIFT + 1023.0));
    const __m512d dm = _mm512_castsi512_pd(
        _mm512_or_si512(_mm512_andnot_si512(ebits, dyb), _mm512_castpd_si512(SP_SET1(1.0))));
    const __m512d ph = _mm512_mul_pd(dm, s1);
    __m512d dn = sp_scale(ph, _mm512_fmadd_pd(dm, s2, _mm512_fmsub_pd(dm, s1, ph)), _mm512_add_pd(es, ed));
    /* dy = +-inf or NaN: dy times the sign of the exact sigmoid, which is > 0 for every finite x (also
     * where beta*x overflows to -inf) and 0 for an infinite x with z < 0 (dy*0 = NaN there) */
    const __mmask8 dinf = _mm512_cmp_pd_mask(_mm512_abs_pd(dy), SP_SET1(INFINITY), _CMP_NLT_UQ);
    const __m512d sgz =
        _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(_mm512_abs_pd(x), SP_SET1(INFINITY), _CMP_LT_OQ), SP_SET1(1.0));
    dn = _mm512_mask_mul_pd(dn, dinf, dy, sgz);
    const __mmask8 neg = _mm512_cmp_pd_mask(z, zero, _CMP_LT_OQ);
    __m512d dc = _mm512_mask_blend_pd(neg, dy, _mm512_or_pd(dn, _mm512_and_pd(dy, SP_SET1(-0.0))));
    /* Lanes of the fast path (a <= A_FAST, dy finite) sent here for |dx| < 2^-969: the fast path's
     * sigmoid sh + sl times dy, with dy = dm*2^ed and sh = sm*2^es2 normalised to [1, 2) so that one
     * final scaling rounds once, into the subnormals too. */
    const __mmask8 small = _mm512_cmp_pd_mask(a, SP_SET1(SP_F64_A_FAST), _CMP_LE_OQ) &
                           _mm512_cmp_pd_mask(_mm512_abs_pd(dy), SP_SET1(INFINITY), _CMP_LT_OQ);
    if (small & m) {
        __m512d th, tl, sh, sl, e1, e2;
        sp_stage1(x, s, t, 0, &th, &tl);
        sp_sigmoid(z, th, tl, &sh, &sl);
        const __m512d dmn = sp_normalise(dy, &e1);
        const __m512d sm = sp_normalise(sh, &e2);
        const __m512d sml = _mm512_mul_pd(sl, sp_pow2(_mm512_sub_pd(zero, e2)));
        const __m512d qh = _mm512_mul_pd(dmn, sm);
        const __m512d ql = _mm512_fmadd_pd(dmn, sml, _mm512_fmsub_pd(dmn, sm, qh));
        const __m512d dt = sp_scale(qh, ql, _mm512_add_pd(e1, e2));
        dc = _mm512_mask_blend_pd(small, dc, _mm512_or_pd(dt, _mm512_and_pd(dy, SP_SET1(-0.0))));
    }
    const __mmask8 nan = _mm512_cmp_pd_mask(z, z, _CMP_UNORD_Q);
    dc = _mm512_mask_add_pd(dc, nan, x, x);
    const __mmask8 over = _mm512_cmp_pd_mask(z, SP_SET1(s->threshold), _CMP_GT_OQ);
    dc = _mm512_mask_blend_pd(over, dc, dy);
    return _mm512_mask_blend_pd(m, dx, dc);
}

SP_INLINE void sp_bwd_loop(size_t n, const double *dy, const double *x, double *dx,
                           const sp_f64_setup *s, const sp_f64_regs *t, int b1, int tf)
{
    _Alignas(64) double bh[SP_BLOCK], bl[SP_BLOCK];
    /* vectors with special lanes: their inputs (dx may be x or dy) and masks, redone after the block
     * so that the fast loop makes no call and keeps its constants in registers */
    _Alignas(64) double sx[SP_BLOCK], sdy[SP_BLOCK];
    size_t sj[SP_BLOCK / 8];
    __mmask8 sm[SP_BLOCK / 8];
    size_t i = 0;
    while (n - i >= 8) {
        const size_t m = n - i < SP_BLOCK ? (n - i) & ~(size_t)7 : SP_BLOCK;
        for (size_t j = 0; j < m; j += 8) {
            __m512d th, tl;
            sp_stage1(_mm512_loadu_pd(x + i + j), s, t, b1, &th, &tl);
            _mm512_store_pd(bh + j, th);
            _mm512_store_pd(bl + j, tl);
        }
        size_t ns = 0;
        for (size_t j = 0; j < m; j += 8) {
            const __m512d xv = _mm512_loadu_pd(x + i + j);
            const __m512d dyv = _mm512_loadu_pd(dy + i + j);
            __mmask8 sp;
            const __m512d dxv =
                sp_bwd_stage2(dyv, xv, _mm512_load_pd(bh + j), _mm512_load_pd(bl + j), s, b1, tf, &sp);
            if (sp) {
                _mm512_store_pd(sx + 8 * ns, xv);
                _mm512_store_pd(sdy + 8 * ns, dyv);
                sj[ns] = j;
                sm[ns++] = sp;
            }
            _mm512_storeu_pd(dx + i + j, dxv);
        }
        for (size_t k = 0; k < ns; k++) {
            double *out = dx + i + sj[k];
            _mm512_storeu_pd(out, sp_bwd_special(_mm512_load_pd(sdy + 8 * k), _mm512_load_pd(sx + 8 * k),
                                                 _mm512_loadu_pd(out), sm[k], s, t));
        }
        i += m;
    }
    if (i < n) {
        const __mmask8 lanes = (__mmask8)((1u << (n - i)) - 1u);
        const __m512d xv = _mm512_maskz_loadu_pd(lanes, x + i);
        const __m512d dyv = _mm512_maskz_loadu_pd(lanes, dy + i);
        __m512d th, tl;
        __mmask8 sp;
        sp_stage1(xv, s, t, b1, &th, &tl);
        __m512d dxv = sp_bwd_stage2(dyv, xv, th, tl, s, b1, tf, &sp);
        sp &= lanes;
        if (sp)
            dxv = sp_bwd_special(dyv, xv, dxv, sp, s, t);
        _mm512_mask_storeu_pd(dx + i, lanes, dxv);
    }
}

void sp_bwd_f64_avx512(size_t n, const double *dy, const double *x, double *dx, const sp_params_f64 *p)
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

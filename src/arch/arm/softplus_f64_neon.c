/* softplus_f64_neon.c -- f64 softplus forward and backward, 2 lanes of AArch64 Advanced SIMD (NEON).
 * SPDX-License-Identifier: MIT
 *
 * A port of the x86 FMA kernels (x86/softplus_f64_avx2.c, x86/softplus_f64_avx512.c; the latter has
 * the full derivation): the same operations in the same order, the same FMAs and the same tables, so on every
 * input (every beta, threshold, special value and tail position) the result has the same bits as
 * theirs. tests/accuracy/test_digest.c checks that against a committed digest.
 *
 * Method. With z = fl(beta*x), z_lo = fma(beta, x, -z), a = |z| and a_lo = sign(z)*z_lo:
 *   t = exp(-(a + a_lo)) = 2^(k/16) (1 + E(r)), k = round(-16a/ln2), r = a + k ln2/16 + a_lo; E of
 *       degree 7 on |r| <= ln2/32; 2^(k/16) = T_j 2^(k>>4) from a 16-entry table with the relative
 *       error of each T_j; t is carried as t_hi + t_lo.
 *   g = log1p(t) = l_i + log1p(v), i = round(16 t) clamped to 15, v = c_i (1 + t) - 1 (exact high part),
 *       log1p(v) = v + v^2 Q(v), Q of degree 7.
 *   forward  S = max(z, 0) + z_lo[z > 0] + g as S_hi + S_lo, y = S/beta with one FMA residual
 *            (no division).
 *   backward s = 1/(1 + t) (z >= 0) or t/(1 + t) (z < 0) from RN(1/u_hi) and one Newton step,
 *            dx = fma(dy, s_hi, dy*s_lo).
 * Two stages over blocks of 256 elements (t_hi, t_lo into a stack buffer, then the op), as on x86.
 * Threshold rule: where fl(beta*x) > threshold, y = x and dx = dy; a threshold >= 40 needs no test.
 *
 * Coefficients and tables: src/arch/softplus_f64_common.h (shared with x86; no intrinsics), generated
 * by tests/tools/softplus_f64_coeffs.sollya (fpminimax, absolute error). E: degree 7 on
 * [-ln2/32, ln2/32], error 2^-66.2. Q: degree 7 on [-0.0295, 0.03126], error 2^-56.6 relative for
 * log1p(v).
 *
 * Accuracy under qemu-aarch64 against the binary128 long double reference (tests/accuracy/ulp_sweep
 * --f64 --count 1e6 --isa neon, per beta, thresholds +inf and 20 alike); bounds SP_MAX_ULP_F64_NEON and
 * SP_MAX_ULP_BETA_F64_NEON (1.0, those of the x86 FMA kernels) in kernels.h:
 *   forward  beta 1: max 0.573 ULP at x = -0x1.64f3769a263p+2, got 0x1.eed981daa5633p-9, want
 *            0x1.eed981daa56326d612de924d2ea3p-9; beta 0.5, 2, -1: 0.569; beta 7.3: 0.571; beta -2.7:
 *            0.577 at x = 0x1.2297bbbfcf3a1p+1, got -0x1.a6525347a2196p-11, want
 *            -0x1.a6525347a21956c2fa4e60b5bf54p-11; beta 1.5e-9: 0.607 at x = -0x1.25e329997cffdp+31,
 *            got 0x1.f1e3171db6bf3p+23, want 0x1.f1e3171db6bf264a1381eecbc526p+23; beta 1e-300, 1e300,
 *            -7.3e200: at most 0.582.
 *   backward beta 1: max 0.547 ULP at x = -0x1.25eafcdc37772p+8, got 0x1.f419a23a5bbe6p-425, want
 *            0x1.f419a23a5bbe57400a6d4b4d4275p-425; every other beta above at most 0.547 (-2.7).
 * These are samples of 10^6 inputs (the emulated binary128 reference is slow). The results are those of
 * the x86 kernels bit for bit, so their sweeps of 10^8 inputs per beta apply here as well: forward 0.636
 * ULP (z = beta*x = -0x1.c434ace87e88p+1), backward 0.552 ULP.
 *
 * Where NEON and x86 differ and how the port keeps x86's results:
 *   - x86 min/max return the second operand when either is NaN (and on +-0); FMIN/FMAX return NaN.
 *     min and max are a compare and a select, so every lane carries x86's values (the special path
 *     clamps a NaN |z| with min(NaN, 2048) = 2048; such lanes are overwritten later, but the copy does
 *     not depend on that).
 *   - table lookups (vpermps/vpermt2pd use the index's low 4 bits): one scalar load per lane of
 *     tab[bits & 15].
 *   - x86 fmsub(a, b, c) = fma(a, b, -c) (negating c is exact), fnmadd(a, b, c) = FMLS.
 *   - masks are all-ones lanes from compares; "any lane special" is an OR of the two lanes.
 *   - the tail (n odd) runs the same vector code on a register with a zero in the other lane.
 * NaN results: which NaN comes out (sign, payload) follows each ISA's own rules, and only NaN-ness is
 * part of the contract. The one class seen to differ: backward at z = -inf with dy = +-inf, where
 * dx = dy*0 is a new NaN (x86 0xfff8000000000000, AArch64 0x7ff8000000000000 with dy's sign or-ed in).
 *
 * Special values. Lanes with a > A_fast (700, lowered by e ln2 when |beta| >= 2^e; all lanes when
 * |beta| < 2^-1000), NaN, and in backward a NaN dx (dy = +-inf or NaN) or 0 < |dx| < 2^-969 with
 * dy != 0 (redone as dy times the fast path's sigmoid with one rounding) take the not-inlined special
 * path: exp(-a) as 2^es (s1 + s2), beta as mb 2^eb, dy as dm 2^ed, scaled once at the end (one
 * rounding, subnormals included). |z| >= 2048, inf or NaN gives y = x (z > 0), 0 with beta's sign
 * (z < 0) or NaN; dx = dy (z >= 0), dy*0 (x = +-inf, z < 0), dy times the sigmoid
 * otherwise (an infinite dy stays infinite for every finite x); dx has dy's sign.
 */
#include <arm_neon.h>

#include "arch/softplus_f64_common.h"

typedef float64x2_t v2d;
typedef uint64x2_t v2m; /* a lane mask: all ones or all zeros */

/* ---- per-call constants ------------------------------------------------------------------------ */
typedef struct sp_f64_setup {
    double beta, rb, threshold;
    double a_fast; /* lanes with a = |beta*x| above it (or NaN) take the special path */
} sp_f64_setup;

static void sp_f64_setup_init(sp_f64_setup *s, const sp_params_f64 *p)
{
    s->beta = p->beta;
    s->rb = 1.0 / p->beta;
    s->threshold = p->threshold;
    s->a_fast = sp_f64_a_fast(p->beta);
}

/* ---- x86 semantics on NEON --------------------------------------------------------------------- */
#define SP_SET1(c) vdupq_n_f64(c)
#define SP_U(v) vreinterpretq_u64_f64(v)
#define SP_D(v) vreinterpretq_f64_u64(v)

SP_INLINE v2d sp_fma(v2d a, v2d b, v2d c) { return vfmaq_f64(c, a, b); }            /* a*b + c */
SP_INLINE v2d sp_fms(v2d a, v2d b, v2d c) { return vfmaq_f64(vnegq_f64(c), a, b); } /* a*b - c */
SP_INLINE v2d sp_fnma(v2d a, v2d b, v2d c) { return vfmsq_f64(c, a, b); }           /* c - a*b */
/* m ? b : a, as blendv(a, b, m) */
SP_INLINE v2d sp_blend(v2d a, v2d b, v2m m) { return vbslq_f64(m, b, a); }
/* minpd/maxpd: a < b ? a : b and a > b ? a : b, so a NaN in either gives b */
SP_INLINE v2d sp_min(v2d a, v2d b) { return vbslq_f64(vcltq_f64(a, b), a, b); }
SP_INLINE v2d sp_max(v2d a, v2d b) { return vbslq_f64(vcgtq_f64(a, b), a, b); }
SP_INLINE v2d sp_abs(v2d v) { return SP_D(vbicq_u64(SP_U(v), SP_U(SP_SET1(-0.0)))); }
SP_INLINE v2d sp_and(v2m m, v2d v) { return SP_D(vandq_u64(m, SP_U(v))); }
SP_INLINE v2d sp_and_d(v2d a, v2d b) { return SP_D(vandq_u64(SP_U(a), SP_U(b))); }
SP_INLINE v2d sp_or_d(v2d a, v2d b) { return SP_D(vorrq_u64(SP_U(a), SP_U(b))); }
SP_INLINE v2d sp_xor_d(v2d a, v2d b) { return SP_D(veorq_u64(SP_U(a), SP_U(b))); }
SP_INLINE v2m sp_not(v2m m) { return vreinterpretq_u64_u32(vmvnq_u32(vreinterpretq_u32_u64(m))); }
SP_INLINE v2m sp_unord(v2d a) { return sp_not(vceqq_f64(a, a)); }
SP_INLINE int sp_any(v2m m) { return (vgetq_lane_u64(m, 0) | vgetq_lane_u64(m, 1)) != 0; }

/* tab[i & 15] for the low 4 bits of each lane's bits, as vpermt2pd reads its index */
SP_INLINE v2d sp_lut(const double *tab, uint64x2_t i)
{
    const double *p0 = tab + (vgetq_lane_u64(i, 0) & 15u);
    const double *p1 = tab + (vgetq_lane_u64(i, 1) & 15u);
    return vcombine_f64(vld1_f64(p0), vld1_f64(p1));
}

SP_INLINE uint64x2_t sp_lut_u64(const uint64_t *tab, uint64x2_t i)
{
    const uint64_t *p0 = tab + (vgetq_lane_u64(i, 0) & 15u);
    const uint64_t *p1 = tab + (vgetq_lane_u64(i, 1) & 15u);
    return vcombine_u64(vld1_u64(p0), vld1_u64(p1));
}

/* ---- shared pieces ------------------------------------------------------------------------------ */

/* E(r) = exp(-r) - 1 */
SP_INLINE v2d sp_exp_poly(v2d r)
{
    const v2d r2 = vmulq_f64(r, r);
    const v2d p23 = sp_fma(SP_SET1(SP_F64_E3), r, SP_SET1(SP_F64_E2));
    const v2d p45 = sp_fma(SP_SET1(SP_F64_E5), r, SP_SET1(SP_F64_E4));
    const v2d p67 = sp_fma(SP_SET1(SP_F64_E7), r, SP_SET1(SP_F64_E6));
    const v2d p47 = sp_fma(p67, r2, p45);
    const v2d p27 = sp_fma(p47, r2, p23);
    return sp_fms(p27, r2, r);
}

/* Q(v) with log1p(v) = v + v^2*Q(v) */
SP_INLINE v2d sp_log_poly(v2d v, v2d v2)
{
    const v2d q23 = sp_fma(SP_SET1(SP_F64_G3), v, SP_SET1(SP_F64_G2));
    const v2d q45 = sp_fma(SP_SET1(SP_F64_G5), v, SP_SET1(SP_F64_G4));
    const v2d q67 = sp_fma(SP_SET1(SP_F64_G7), v, SP_SET1(SP_F64_G6));
    const v2d q89 = sp_fma(SP_SET1(SP_F64_G9), v, SP_SET1(SP_F64_G8));
    const v2d v4 = vmulq_f64(v2, v2);
    const v2d q25 = sp_fma(q45, v2, q23);
    const v2d q69 = sp_fma(q89, v2, q67);
    return sp_fma(q69, v4, q25);
}

/* 2^k for integer-valued k in [-1022, 1023] */
SP_INLINE v2d sp_pow2(v2d k)
{
    const uint64x2_t b = SP_U(vaddq_f64(k, SP_SET1(SP_F64_SHIFT)));
    const uint64x2_t e = vaddq_u64(b, vdupq_n_u64((uint64_t)(1023 - 0x4338000000000000LL)));
    return SP_D(vshlq_n_u64(e, 52));
}

/* RN((wh + wl) * 2^k) with a single rounding, for integer-valued k, |wl| <= 2^-52 |wh| and |wh| in
 * [2^-60, 2^60] or 0. A subnormal result is rounded where 2^-1022 is 1 (see softplus_f64_avx2.c). */
SP_INLINE v2d sp_scale(v2d wh, v2d wl, v2d k)
{
    const v2d kc = sp_min(sp_max(k, SP_SET1(-1150.0)), SP_SET1(1100.0));
    const v2d k1 = vrndmq_f64(vmulq_f64(kc, SP_SET1(0.5)));
    const v2d yn = vmulq_f64(vmulq_f64(vaddq_f64(wh, wl), sp_pow2(k1)), sp_pow2(vsubq_f64(kc, k1)));
    const v2d ks = sp_min(vaddq_f64(kc, SP_SET1(1022.0)), SP_SET1(64.0));
    const v2d j1 = vrndmq_f64(vmulq_f64(ks, SP_SET1(0.5)));
    const v2d p1 = sp_pow2(j1), p2 = sp_pow2(vsubq_f64(ks, j1));
    const v2d u = vmulq_f64(vmulq_f64(wh, p1), p2);
    const v2d ul = vmulq_f64(vmulq_f64(wl, p1), p2);
    const v2d sgn = sp_or_d(sp_and_d(wh, SP_SET1(-0.0)), SP_SET1(1.0));
    const v2d h = vaddq_f64(sgn, u);
    const v2d e = vaddq_f64(vsubq_f64(sgn, h), u);
    v2d ys = vmulq_f64(vsubq_f64(vaddq_f64(h, vaddq_f64(e, ul)), sgn), SP_SET1(0x1p-1022));
    ys = sp_or_d(ys, sp_and_d(wh, SP_SET1(-0.0))); /* h - sgn = +0 when it rounds to zero */
    const v2m sub = vcltq_f64(sp_abs(yn), SP_SET1(0x1p-1022));
    return sp_blend(yn, ys, sub);
}

/* v = m * 2^e with |m| in [1, 2), for finite non-zero v, subnormals included */
SP_INLINE v2d sp_normalise(v2d v, v2d *e)
{
    const v2m sub = vcltq_f64(sp_abs(v), SP_SET1(0x1p-1022));
    const uint64x2_t vb = SP_U(sp_blend(v, vmulq_f64(v, SP_SET1(0x1p54)), sub));
    const uint64x2_t ebits = vandq_u64(vb, vdupq_n_u64(0x7ff0000000000000ULL));
    const v2d eb = vsubq_f64(SP_D(vorrq_u64(vshrq_n_u64(ebits, 52), SP_U(SP_SET1(SP_F64_SHIFT)))),
                             SP_SET1(SP_F64_SHIFT + 1023.0));
    *e = vsubq_f64(eb, sp_and(sub, SP_SET1(54.0)));
    return SP_D(vorrq_u64(vbicq_u64(vb, ebits), SP_U(SP_SET1(1.0))));
}

/* ---- the fast path, in two stages ------------------------------------------------------------- */

/* t = exp(-(a + a_lo)) = th + tl. b1 (a constant at each call site) drops the beta arithmetic when
 * beta == 1, giving the same bits as the general code with beta = 1. */
SP_INLINE void sp_stage1(v2d x, const sp_f64_setup *s, int b1, v2d *pth, v2d *ptl)
{
    const v2d beta = SP_SET1(s->beta);
    const v2d z = b1 ? x : vmulq_f64(beta, x);
    const v2d a = sp_abs(z);
    const v2d kd = sp_fma(a, SP_SET1(-SP_F64_INV_L), SP_SET1(SP_F64_SHIFT));
    const v2d kf = vsubq_f64(kd, SP_SET1(SP_F64_SHIFT));
    const v2d rho = sp_fma(kf, SP_SET1(SP_F64_L_HI), a); /* exact */
    v2d rl;
    if (b1) {
        rl = vmulq_f64(kf, SP_SET1(SP_F64_L_LO));
    } else {
        const v2d zl = sp_fms(beta, x, z);
        const v2d al = sp_xor_d(zl, sp_and_d(z, SP_SET1(-0.0)));
        rl = sp_fma(kf, SP_SET1(SP_F64_L_LO), al);
    }
    const v2d e = sp_exp_poly(vaddq_f64(rho, rl));
    const uint64x2_t kdi = SP_U(kd);
    const uint64x2_t tb = sp_lut_u64(sp_f64_exp_tbits, kdi);
    const v2d tr = sp_lut(sp_f64_exp_trel, kdi);
    const v2d s1 = SP_D(vaddq_u64(tb, vshlq_n_u64(kdi, 48)));
    const v2d s2 = vmulq_f64(s1, vaddq_f64(e, tr));
    const v2d th = vaddq_f64(s1, s2);
    *pth = th;
    *ptl = vsubq_f64(s2, vsubq_f64(th, s1));
}

/* forward from t: y = (max(z, 0) + z_lo[z > 0] + log1p(t)) / beta */
SP_INLINE v2d sp_fwd_stage2(v2d x, v2d th, v2d tl, const sp_f64_setup *s, int b1, int tf, v2m *special)
{
    const v2d zero = vdupq_n_f64(0.0);
    const v2d beta = SP_SET1(s->beta);
    const v2d z = b1 ? x : vmulq_f64(beta, x);
    *special = sp_not(vcleq_f64(sp_abs(z), SP_SET1(s->a_fast))); /* NLE_UQ: NaN included */

    /* g = log1p(t) = l_i + log1p(v) = gh + gl; adding 1.5*2^48 leaves round(16 t) in the low bits */
    const v2d id = vaddq_f64(sp_min(th, SP_SET1(SP_F64_IDX_MAX)), SP_SET1(0x1.8p48));
    const uint64x2_t idi = SP_U(id);
    const v2d c = sp_lut(sp_f64_log_c, idi);
    const v2d l = sp_lut(sp_f64_log_l, idi);
    const v2d ph = vmulq_f64(c, th);
    const v2d pl = sp_fms(c, th, ph);
    const v2d vh = vaddq_f64(ph, vsubq_f64(c, SP_SET1(1.0))); /* exact */
    const v2d vl = sp_fma(c, tl, pl);
    const v2d v2 = vmulq_f64(vh, vh);
    const v2d lq = vmulq_f64(v2, sp_log_poly(vh, v2));
    const v2d vl1 = sp_fnma(vl, vh, vl); /* vl/(1 + vh) to first order */
    const v2d gh = vaddq_f64(l, vh);     /* |l| >= |vh| or l = 0 */
    const v2d gl = vaddq_f64(vaddq_f64(vsubq_f64(vh, vsubq_f64(gh, l)), lq), vl1);

    /* S = max(z, 0) + g = sh + sl: both terms >= 0, so a two-sum on (max, min) is exact */
    const v2d lz = sp_max(z, zero);
    const v2d big = sp_max(lz, gh);
    const v2d small = sp_min(lz, gh);
    const v2d sh = vaddq_f64(big, small);
    v2d sl = vaddq_f64(vsubq_f64(small, vsubq_f64(sh, big)), gl);
    v2d y;
    if (b1) {
        y = vaddq_f64(sh, sl);
    } else {
        /* z > 0: the linear part is beta*x = z + z_lo; then y = S/beta with one FMA residual */
        const v2d zl = sp_fms(beta, x, z);
        const v2m pos = vcgtq_f64(z, zero);
        sl = vaddq_f64(sl, sp_and(pos, zl));
        const v2d rb = SP_SET1(s->rb);
        const v2d q = vmulq_f64(sh, rb);
        const v2d res = vaddq_f64(sp_fnma(q, beta, sh), sl);
        y = sp_fma(res, rb, q);
    }
    if (!tf)
        return y;
    return sp_blend(y, x, vcgtq_f64(z, SP_SET1(s->threshold)));
}

/* sigmoid from t: s = 1/(1+t) (z >= 0) or t/(1+t) (z < 0), as sh + sl */
SP_INLINE void sp_sigmoid(v2d z, v2d th, v2d tl, v2d *psh, v2d *psl)
{
    /* u = 1 + t = uh + ul (|ul| <= 2^-53 uh), 1/u = r0 + r1 (one Newton step from RN(1/uh)) */
    const v2d one = SP_SET1(1.0);
    const v2d uh = vaddq_f64(one, th);
    const v2d ul = vaddq_f64(vsubq_f64(th, vsubq_f64(uh, one)), tl);
    const v2d r0 = vdivq_f64(one, uh);
    const v2d rr = sp_fnma(r0, ul, sp_fnma(r0, uh, one));
    const v2d r1 = vmulq_f64(r0, rr);
    /* z < 0: s = t/u = th*r0 + (fma residual + tl*r0 + th*r1) */
    const v2d nh = vmulq_f64(th, r0);
    const v2d nl = sp_fma(th, r1, sp_fma(tl, r0, sp_fms(th, r0, nh)));
    const v2m neg = vcltq_f64(z, vdupq_n_f64(0.0));
    *psh = sp_blend(r0, nh, neg);
    *psl = sp_blend(r1, nl, neg);
}

/* backward from t: dx = dy*s */
SP_INLINE v2d sp_bwd_stage2(v2d dy, v2d x, v2d th, v2d tl, const sp_f64_setup *s, int b1, int tf,
                            v2m *special)
{
    const v2d z = b1 ? x : vmulq_f64(SP_SET1(s->beta), x);
    *special = sp_not(vcleq_f64(sp_abs(z), SP_SET1(SP_F64_A_FAST)));
    v2d sh, sl;
    sp_sigmoid(z, th, tl, &sh, &sl);
    v2d dx = sp_fma(dy, sh, vmulq_f64(dy, sl));
    /* s > 0, so dx has dy's sign; the FMA alone gives +0 for dy = -0 when dy*sl = +0 */
    dx = sp_or_d(dx, sp_and_d(dy, SP_SET1(-0.0)));
    /* dy = +-inf makes inf - inf in the FMA: such lanes (and NaN dy) go to the special path too; so
     * do lanes with |dx| < 2^-969 and dy != 0, where dy*sl rounds on the subnormal grid before the
     * FMA adds it (a second rounding of up to half an ulp of dx) */
    const v2m tiny = vandq_u64(vcltq_f64(sp_abs(dx), SP_SET1(SP_F64_DX_TINY)),
                               sp_not(vceqq_f64(dy, vdupq_n_f64(0.0))));
    *special = vorrq_u64(vorrq_u64(*special, sp_unord(dx)), tiny);
    if (!tf)
        return dx;
    return sp_blend(dx, dy, vcgtq_f64(z, SP_SET1(s->threshold)));
}

/* The careful path for the lanes in m: exp(-a) and 1/beta carry separate powers of two, applied by
 * one final rounding. Recomputes both lanes and keeps those in m. */
static SP_NOINLINE v2d sp_fwd_special(v2d x, v2d y, v2m m, const sp_f64_setup *s)
{
    const v2d zero = vdupq_n_f64(0.0);
    const v2d beta = SP_SET1(s->beta);
    const v2d z = vmulq_f64(beta, x);
    const v2d a = sp_abs(z);
    const v2m fin = vcltq_f64(a, SP_SET1(SP_F64_A_HUGE));
    const v2d zl = sp_and(fin, sp_fms(beta, x, z));
    const v2d al = sp_xor_d(zl, sp_and_d(z, SP_SET1(-0.0)));
    const v2d ac = sp_min(a, SP_SET1(SP_F64_A_HUGE)); /* NaN -> A_HUGE */

    const v2d kd = sp_fma(ac, SP_SET1(-SP_F64_INV_L), SP_SET1(SP_F64_SHIFT));
    const v2d kf = vsubq_f64(kd, SP_SET1(SP_F64_SHIFT));
    const v2d rho = sp_fma(kf, SP_SET1(SP_F64_L_HI), ac);
    const v2d r = vaddq_f64(rho, sp_fma(kf, SP_SET1(SP_F64_L_LO), al));
    const v2d e = sp_exp_poly(r);
    const uint64x2_t kdi = SP_U(kd);
    const uint64x2_t tb = sp_lut_u64(sp_f64_exp_tbits, kdi);
    const v2d tr = sp_lut(sp_f64_exp_trel, kdi);
    /* t = 2^es * (s1 + s2): es = k>>4 once t < 2^-8, else 0 */
    const v2d ek = vrndmq_f64(vmulq_f64(kf, SP_SET1(0.0625)));
    const v2d es = sp_and(vcltq_f64(ek, SP_SET1(-8.0)), ek);
    const v2d ks = vaddq_f64(sp_fma(es, SP_SET1(-16.0), kf), SP_SET1(SP_F64_SHIFT));
    const v2d s1 = SP_D(vaddq_u64(tb, vshlq_n_u64(SP_U(ks), 48)));
    const v2d s2 = vmulq_f64(s1, vaddq_f64(e, tr));
    const v2d th = vaddq_f64(s1, s2);
    const v2d tl = vsubq_f64(s2, vsubq_f64(th, s1));
    const v2d sc = sp_pow2(sp_max(es, SP_SET1(-1000.0)));

    /* g = 2^es * (G_hi + G_lo); lanes with es != 0 have t < 2^-8, so i = 0 and c = 1 there */
    const v2d id = sp_fma(sp_min(vmulq_f64(th, sc), SP_SET1(SP_F64_IDX_MAX)), SP_SET1(16.0),
                          SP_SET1(SP_F64_SHIFT));
    const uint64x2_t idi = SP_U(id);
    const v2d c = sp_lut(sp_f64_log_c, idi);
    const v2d l = sp_lut(sp_f64_log_l, idi);
    const v2d ph = vmulq_f64(c, th);
    const v2d pl = sp_fms(c, th, ph);
    const v2d vh = vaddq_f64(ph, vsubq_f64(c, SP_SET1(1.0)));
    const v2d vl = sp_fma(c, tl, pl);
    const v2d vt = vmulq_f64(vh, sc); /* the unscaled v */
    const v2d vt2 = vmulq_f64(vt, vt);
    const v2d lq = vmulq_f64(vh, vmulq_f64(vt, sp_log_poly(vt, vt2)));
    const v2d vl1 = sp_fnma(vl, vt, vl);
    v2d gh = vaddq_f64(l, vh);
    v2d gl = vaddq_f64(vaddq_f64(vsubq_f64(vh, vsubq_f64(gh, l)), lq), vl1);

    /* z > 0: g joins max(z, 0) unscaled (it is far below z's ULP when es < -1000) */
    const v2m pos = vcgtq_f64(z, zero);
    gh = sp_blend(gh, vmulq_f64(gh, sc), pos);
    gl = sp_blend(gl, vmulq_f64(gl, sc), pos);
    double mbs, rbms, ebs;
    sp_f64_beta_split(s->beta, &mbs, &rbms, &ebs);
    const v2d fe = vsubq_f64(sp_blend(es, zero, pos), SP_SET1(ebs));
    const v2d lz = sp_max(z, zero);
    const v2d big = sp_max(lz, gh);
    const v2d small = sp_min(lz, gh);
    const v2d sh = vaddq_f64(big, small);
    const v2d sl = vaddq_f64(vaddq_f64(vsubq_f64(small, vsubq_f64(sh, big)), gl), sp_and(pos, zl));
    const v2d mb = SP_SET1(mbs), rbm = SP_SET1(rbms);
    const v2d q = vmulq_f64(sh, rbm);
    const v2d res = vaddq_f64(sp_fnma(q, mb, sh), sl);
    const v2d wh = sp_fma(res, rbm, q);
    const v2d wl = vsubq_f64(vmulq_f64(res, rbm), vsubq_f64(wh, q));
    v2d yc = sp_scale(wh, wl, fe);

    /* |z| >= A_HUGE, inf or NaN: y = x (z > 0), 0 with beta's sign (z < 0), NaN from x */
    const v2m nan = sp_unord(z);
    v2d alt = sp_blend(sp_and_d(beta, SP_SET1(-0.0)), x, pos);
    alt = sp_blend(alt, vaddq_f64(x, x), nan);
    yc = sp_blend(alt, yc, fin);
    yc = sp_blend(yc, x, vcgtq_f64(z, SP_SET1(s->threshold)));
    return sp_blend(y, yc, m);
}

/* Lanes with a > A_FAST or NaN: for z >= 0 dx = dy; for z < 0 the sigmoid is t, carried as
 * 2^es * (s1 + s2) with s1 in [1/2, 1) so that dy*(s1 + s2) cannot overflow, then scaled once. */
static SP_NOINLINE v2d sp_bwd_special(v2d dy, v2d x, v2d dx, v2m m, const sp_f64_setup *s)
{
    const v2d zero = vdupq_n_f64(0.0);
    const v2d beta = SP_SET1(s->beta);
    const v2d z = vmulq_f64(beta, x);
    const v2d a = sp_abs(z);
    const v2m fin = vcltq_f64(a, SP_SET1(SP_F64_A_HUGE));
    const v2d zl = sp_and(fin, sp_fms(beta, x, z));
    const v2d al = sp_xor_d(zl, sp_and_d(z, SP_SET1(-0.0)));
    const v2d ac = sp_min(a, SP_SET1(SP_F64_A_HUGE));

    const v2d kd = sp_fma(ac, SP_SET1(-SP_F64_INV_L), SP_SET1(SP_F64_SHIFT));
    const v2d kf = vsubq_f64(kd, SP_SET1(SP_F64_SHIFT));
    const v2d rho = sp_fma(kf, SP_SET1(SP_F64_L_HI), ac);
    const v2d r = vaddq_f64(rho, sp_fma(kf, SP_SET1(SP_F64_L_LO), al));
    const v2d e = sp_exp_poly(r);
    const uint64x2_t kdi = SP_U(kd);
    const uint64x2_t tb = sp_lut_u64(sp_f64_exp_tbits, kdi);
    const v2d tr = sp_lut(sp_f64_exp_trel, kdi);
    const v2d es = vaddq_f64(vrndmq_f64(vmulq_f64(kf, SP_SET1(0.0625))), SP_SET1(1.0));
    const v2d ks = vaddq_f64(sp_fma(es, SP_SET1(-16.0), kf), SP_SET1(SP_F64_SHIFT));
    const v2d s1 = SP_D(vaddq_u64(tb, vshlq_n_u64(SP_U(ks), 48)));
    const v2d s2 = vmulq_f64(s1, vaddq_f64(e, tr));
    /* dy = dm * 2^ed with |dm| in [1, 2) (a zero or subnormal dy gives ed = -1023 and a result that
     * rounds to +-0, as it should) */
    const uint64x2_t dyb = SP_U(dy);
    const uint64x2_t ebits = vandq_u64(dyb, vdupq_n_u64(0x7ff0000000000000ULL));
    const v2d ed = vsubq_f64(SP_D(vorrq_u64(vshrq_n_u64(ebits, 52), SP_U(SP_SET1(SP_F64_SHIFT)))),
                             SP_SET1(SP_F64_SHIFT + 1023.0));
    const v2d dm = SP_D(vorrq_u64(vbicq_u64(dyb, ebits), SP_U(SP_SET1(1.0))));
    const v2d ph = vmulq_f64(dm, s1);
    v2d dn = sp_scale(ph, sp_fma(dm, s2, sp_fms(dm, s1, ph)), vaddq_f64(es, ed));
    /* dy = +-inf or NaN: dy times the sign of the exact sigmoid, > 0 for every finite x (also where
     * beta*x overflows to -inf) and 0 for an infinite x with z < 0 */
    const v2m dinf = sp_not(vcltq_f64(sp_abs(dy), SP_SET1(INFINITY))); /* NLT_UQ */
    const v2d sgz = sp_and(vcltq_f64(sp_abs(x), SP_SET1(INFINITY)), SP_SET1(1.0));
    dn = sp_blend(dn, vmulq_f64(dy, sgz), dinf);
    const v2m neg = vcltq_f64(z, zero);
    v2d dc = sp_blend(dy, sp_or_d(dn, sp_and_d(dy, SP_SET1(-0.0))), neg);
    /* Lanes of the fast path (a <= A_FAST, dy finite) sent here for |dx| < 2^-969: the fast path's
     * sigmoid sh + sl times dy, both normalised to [1, 2), then one scaling that rounds once. */
    const v2m small = vandq_u64(vcleq_f64(a, SP_SET1(SP_F64_A_FAST)), vcltq_f64(sp_abs(dy), SP_SET1(INFINITY)));
    if (sp_any(vandq_u64(small, m))) {
        v2d th, tl, sh, sl, e1, e2;
        sp_stage1(x, s, 0, &th, &tl);
        sp_sigmoid(z, th, tl, &sh, &sl);
        const v2d dmn = sp_normalise(dy, &e1);
        const v2d sm = sp_normalise(sh, &e2);
        const v2d sml = vmulq_f64(sl, sp_pow2(vsubq_f64(zero, e2)));
        const v2d qh = vmulq_f64(dmn, sm);
        const v2d ql = sp_fma(dmn, sml, sp_fms(dmn, sm, qh));
        const v2d dt = sp_scale(qh, ql, vaddq_f64(e1, e2));
        dc = sp_blend(dc, sp_or_d(dt, sp_and_d(dy, SP_SET1(-0.0))), small);
    }
    dc = sp_blend(dc, vaddq_f64(x, x), sp_unord(z));
    dc = sp_blend(dc, dy, vcgtq_f64(z, SP_SET1(s->threshold)));
    return sp_blend(dx, dc, m);
}

/* ---- loops -------------------------------------------------------------------------------------- */

/* One element in lane 0 and a zero in lane 1: the tail runs the body's code on it. */
SP_INLINE v2d sp_load_one(const double *p) { return vsetq_lane_f64(*p, vdupq_n_f64(0.0), 0); }

SP_INLINE void sp_fwd_loop(size_t n, const double *x, double *y, const sp_f64_setup *s, int b1, int tf)
{
    _Alignas(16) double bh[SP_BLOCK], bl[SP_BLOCK];
    size_t i = 0;
    while (n - i >= 2) {
        const size_t m = n - i < SP_BLOCK ? (n - i) & ~(size_t)1 : SP_BLOCK;
        for (size_t j = 0; j < m; j += 2) {
            v2d th, tl;
            sp_stage1(vld1q_f64(x + i + j), s, b1, &th, &tl);
            vst1q_f64(bh + j, th);
            vst1q_f64(bl + j, tl);
        }
        for (size_t j = 0; j < m; j += 2) {
            const v2d xv = vld1q_f64(x + i + j);
            v2m sp;
            v2d yv = sp_fwd_stage2(xv, vld1q_f64(bh + j), vld1q_f64(bl + j), s, b1, tf, &sp);
            if (sp_any(sp))
                yv = sp_fwd_special(xv, yv, sp, s);
            vst1q_f64(y + i + j, yv);
        }
        i += m;
    }
    if (i < n) {
        const v2d xv = sp_load_one(x + i);
        v2d th, tl;
        v2m sp;
        sp_stage1(xv, s, b1, &th, &tl);
        v2d yv = sp_fwd_stage2(xv, th, tl, s, b1, tf, &sp);
        if (sp_any(sp))
            yv = sp_fwd_special(xv, yv, sp, s);
        vst1q_lane_f64(y + i, yv, 0);
    }
}

void sp_fwd_f64_neon(size_t n, const double *x, double *y, const sp_params_f64 *p)
{
    sp_f64_setup s;
    sp_f64_setup_init(&s, p);
    const int tf = sp_f64_threshold_active(p->threshold);
    if (p->beta == 1.0) {
        if (tf)
            sp_fwd_loop(n, x, y, &s, 1, 1);
        else
            sp_fwd_loop(n, x, y, &s, 1, 0);
    } else {
        if (tf)
            sp_fwd_loop(n, x, y, &s, 0, 1);
        else
            sp_fwd_loop(n, x, y, &s, 0, 0);
    }
}

SP_INLINE void sp_bwd_loop(size_t n, const double *dy, const double *x, double *dx, const sp_f64_setup *s,
                           int b1, int tf)
{
    _Alignas(16) double bh[SP_BLOCK], bl[SP_BLOCK];
    size_t i = 0;
    while (n - i >= 2) {
        const size_t m = n - i < SP_BLOCK ? (n - i) & ~(size_t)1 : SP_BLOCK;
        for (size_t j = 0; j < m; j += 2) {
            v2d th, tl;
            sp_stage1(vld1q_f64(x + i + j), s, b1, &th, &tl);
            vst1q_f64(bh + j, th);
            vst1q_f64(bl + j, tl);
        }
        for (size_t j = 0; j < m; j += 2) {
            const v2d xv = vld1q_f64(x + i + j);
            const v2d dyv = vld1q_f64(dy + i + j);
            v2m sp;
            v2d dxv = sp_bwd_stage2(dyv, xv, vld1q_f64(bh + j), vld1q_f64(bl + j), s, b1, tf, &sp);
            if (sp_any(sp))
                dxv = sp_bwd_special(dyv, xv, dxv, sp, s);
            vst1q_f64(dx + i + j, dxv);
        }
        i += m;
    }
    if (i < n) {
        const v2d xv = sp_load_one(x + i), dyv = sp_load_one(dy + i);
        v2d th, tl;
        v2m sp;
        sp_stage1(xv, s, b1, &th, &tl);
        v2d dxv = sp_bwd_stage2(dyv, xv, th, tl, s, b1, tf, &sp);
        if (sp_any(sp))
            dxv = sp_bwd_special(dyv, xv, dxv, sp, s);
        vst1q_lane_f64(dx + i, dxv, 0);
    }
}

void sp_bwd_f64_neon(size_t n, const double *dy, const double *x, double *dx, const sp_params_f64 *p)
{
    sp_f64_setup s;
    sp_f64_setup_init(&s, p);
    const int tf = sp_f64_threshold_active(p->threshold);
    if (p->beta == 1.0) {
        if (tf)
            sp_bwd_loop(n, dy, x, dx, &s, 1, 1);
        else
            sp_bwd_loop(n, dy, x, dx, &s, 1, 0);
    } else {
        if (tf)
            sp_bwd_loop(n, dy, x, dx, &s, 0, 1);
        else
            sp_bwd_loop(n, dy, x, dx, &s, 0, 0);
    }
}

/* softplus_f64_fma_algorithm.h -- the f64 FMA softplus algorithm, written once in per-ISA vector ops.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: x86/softplus_f64_avx2.c, x86/softplus_f64_avx512.c and arm/softplus_f64_neon.c
 * each include it once, after softplus_f64_common.h and after defining
 *   vd, vm                 the vector of doubles and the lane-mask type;
 *   sp_f64_tables          the four 16-entry tables (tb: bits of T_j, tr: Tr_j, c: c_i, l: l_i) in
 *                          whatever form the lookup wants, and sp_f64_load_tables(sp_f64_tables *);
 *   F(c) FBITS(u) ZERO()   a constant, a constant given by its bits, +0;
 *   ADD SUB MUL DIV        IEEE operations, one rounding each;
 *   FMA FMS FNMA           a*b + c, a*b - c, c - a*b, fused (x86 fmadd, fmsub, fnmadd);
 *   MIN MAX                x86 minpd/maxpd: a < b ? a : b, a > b ? a : b (b when unordered or equal);
 *   ABS AND OR XOR ANDNOT  bit operations on the lanes (ANDNOT(a, b) = ~a & b);
 *   FLOOR                  round toward -inf;
 *   IADD ISHL ISHR         64-bit integer add and logical shifts (by a constant) on the lanes' bits;
 *   GT LT LE               ordered compares; NLE NGE NLT NEQ UNORD their unordered complements
 *                          (true when either is NaN) and the NaN test of (a, a): x86 _CMP_*_UQ;
 *   MAND MOR ANY BITS      mask and, or, "any lane set", and the mask as a uint64_t (bit i = lane i);
 *   MASK_FROM_BITS(u)      the inverse of BITS;
 *   SELECT(m, a, b)        m ? a : b; MASKZ(m, a) = m ? a : +0;
 *   LOOKUP(tab, i)         tab[bits(i) & 15] per lane: the low 4 bits of each lane's bits pick the
 *                          entry, the bits above are ignored (as vpermt2pd does);
 *   LOOKUP2(t, na, nb, i, a, b)  optional: a = LOOKUP(t.na, i), b = LOOKUP(t.nb, i), the two tables one
 *                          index reads (tb and tr, c and l) looked up together; the default is two
 *                          LOOKUPs, and an ISA whose lookups are dear defines it from paired rows
 *                          (AVX2: one 16-byte load per lane for both tables);
 *   SP_LOOP_W, SP_LOOP_LOADU/STOREU/LOADA/STOREA (and, optionally, SP_LOOP_LOAD_TAIL/STORE_TAIL)
 *                          the ISA's half of the loop driver's parameters (arch/softplus_loop.h).
 * It defines sp_f64_fwd and sp_f64_bwd, the bodies of the file's sp_fwd_f64_<isa> and sp_bwd_f64_<isa>,
 * and release 1.1's sp_f64_dbwd, sp_f64_bbeta and sp_f64_inv.
 * Every kernel runs this one text, so the operations and their order are the same on every ISA: that
 * is what makes the AVX2, AVX-512 and NEON results bit-identical (tests/accuracy/test_digest.c pins
 * them to one committed digest, tests/accuracy/test_fma_identity.c compares AVX2 with AVX-512).
 * Vector state is kept in plain variables and out-parameters, never in structs of vectors, so that a
 * port to sizeless vector types (SVE) can use the text as it is; only the op layer's tables may live
 * in a struct.
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
 *   backward s = 1/(1 + w), w = exp(-(z + z_lo)) from the same reduction with a = z (signed; for
 *            |z| <= 700 w and s stay normal): 1 + w = U + D (Fast2Sum on max/min, plus w_lo),
 *            s_hi = RN(1/U) (one division), s_lo = s_hi (r - D s_hi) with r = 1 - U s_hi exact (fma);
 *            dx = fma(dy, s_hi, dy*s_lo). Both signs of z take the same operations (until December 2026:
 *            t = exp(-|z|) and N/(1 + t), N = 1 or t, with a residual on N and two selects; 1.08-1.10x
 *            faster now, alternated in one process with AVX-512 and AVX2).
 *   release 1.1, from the same t (the z_lo correction inside it) and the same pieces:
 *   double backward  out = g*beta*d, d = t/(1+t)^2 = dh + dl: u = 1 + t = U + D, u^2 = Vh + Vl (fma),
 *            q = RN(1/Vh) (one division), dh = RN(t_hi q), dl = (t - dh u^2) q with the residual by fmas;
 *            g*beta = gbh + gbl (an FMA residual); out = fma(gbh, dh, fma(gbh, dl, gbl*dh)), one rounding
 *            that counts. d is symmetric in z and never formed as s*(1 - s): accurate down to the
 *            underflow. (Until December 2026 d was the product of t/(1+t) and 1/(1+t) from a Newton
 *            step on 1/u: four more fmas; 1.09x AVX-512, 1.05x AVX2 now, the same worst cases below.)
 *   beta gradient  out = -dy*h/beta^2, h = softplus(z) - z s(z) = a t/(1+t) + log1p(t) for either sign
 *            of z (a = |beta*x| as a + a_lo): two positive terms, a two-sum on (max, min), nothing
 *            cancels; log1p(t) is forward's g. h/beta^2 = q0 + q1 with q0 = h*RN(1/beta^2) and one
 *            FMA-residual correction against beta^2 = b2h + b2l (per call); out = -fma(dy, q0, dy*q1).
 *   Both are +0 where fl(beta*x) > threshold (the exact functions are not 0 there: every finite
 *   threshold is tested per lane).
 * The lanes run in two stages over blocks of 256 elements (arch/softplus_loop.h; stage 1: t_hi, t_lo
 * into a 4 KiB stack buffer; stage 2: the op): two short dependency chains instead of one long one,
 * which kept ~40% of the execution ports idle on Zen 5 while the out-of-order window filled with
 * waiting operations.
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
 * dense over [-750, 750], log-uniform magnitudes and the edges); bounds SP_MAX_ULP_F64_{AVX2,AVX512,
 * NEON} and SP_MAX_ULP_BETA_F64_* (1.0) in kernels.h:
 *   forward  beta 1, 0.5, 2, -1: max 0.636 ULP at z = beta*x = -0x1.c434ace87e88p+1 (beta 1: got
 *            0x1.d7e66933d3e5ap-6, want 0xe.bf33499e9f2d517p-9); beta 7.3: max 0.611 ULP at
 *            x = -0x1.06563ab383afcp-1, got 0x1.a55fcb445b36bp-9, want 0xd.2afe5a22d9b531dp-12.
 *            The worst cases sit at t ~ 1/32, where log1p(v) carries its 2^-56.6 at v ~ 1/32.
 *   backward (1/(1 + w), December 2026) beta 1: max 0.5625 ULP at x = -0x1.05545e1f4f1dp+9, got
 *            0x1.f2c91e56c340bp-755, want 0xf.9648f2b61a05c8p-758 (161418 of 10^8 results over 0.5 ULP);
 *            10^7 per other beta: 0.5 0.558 at x = -0x1.7f7f6c6753358p+6, 2 0.554, -1 0.564 at
 *            x = 0x1.1fae42fdbdfc8p+8, -2.7 0.556, 7.3 0.568 at x = -0x1.300a9071d6f26p+2 (got
 *            0x1.f4af4c9d4a55ap-51, want 0xf.a57a64ea52ad48cp-54). The worst cases are z < 0, where w = e^|z|
 *            carries the reduction's ~2^-57 relative at worst (r = rho + rl rounded, E, s1 (E + Tr)); the
 *            previous quotient, on exp(-|z|), measured 0.551 at beta 1 (186116 results over 0.5 ULP) and
 *            0.548-0.550 at the other betas on the same inputs.
 *   Subnormal results (special path) stay below 0.52 ULP; beta in {1e-300, 1e300, -7.3e200, 1.5e-9}
 *   gave at most 0.58 (fwd) and 0.55 (bwd) on 4*10^5 inputs each.
 *   double backward (g = 1; the same sweep at beta 1, 10^7 inputs per other beta, AVX-512 = AVX2 = NEON
 *            by the digests): beta 1: max 0.552 ULP at x = 0x1.750af68fb55f8p+7, got 0x1.dfdd51bd4990ep-270,
 *            want 0xe.feea8dea4c8746ap-273; beta 0.5, 2, -1, -2.7: at most 0.554; beta 7.3: 0.558 at
 *            x = -0x1.4cb4bceaa316dp-1, got 0x1.ffb9e93e149dcp-5, want 0xf.fdcf49f0a4edb8ap-8. Like
 *            backward's, the worst cases are t's own 2^-66 at large |z|, and the final rounding.
 *   beta gradient (dy = 1): beta 1: max 0.5625 ULP at x = -0x1.b73d16b33627p+7, got
 *            -0x1.ebbab01d6308fp-310, want -0xf.5dd580eb184738p-313; beta 0.5, 2, -1: 0.561 (z = 12.43);
 *            beta -2.7: 0.558; beta 7.3: 0.547. The log1p term carries forward's 2^-56.6.
 *   Both, beta in {1.5e-9, 1e300, -7.3e200, 3e150} (3*10^5 inputs each): at most 0.537 (dbwd) and 0.534
 *   (bbeta); beta 1e-300 and 1e-200 for dbwd: 0.539. (The beta gradient at |beta| < ~1e-154 is
 *   ln2/beta^2 > DBL_MAX near z = 0: -inf there, which ulp_sweep counts against a finite long double
 *   reference, for the scalar kernel too.)
 *
 * Special values. The fast path takes lanes with a <= A_fast: 700, or 700 - e*ln2 when
 * 2^(e-1) <= |beta| < 2^e with e > 0, so that g/beta stays normal; and no lane at all when
 * |beta| < 2^-1000, where 1/beta or S/beta could overflow. Every other lane -- NaN, +-inf, beta*x
 * overflowing, exp(-a) near or below the underflow, and in backward a NaN result (dy = +-inf or NaN)
 * or 0 < |dx| < 2^-969 (dy*sl would round on the subnormal grid before the FMA: 1.2 ULP; redone as
 * dm*2^ed times the fast path's sigmoid sm*2^es, scaled once) -- is flagged in a mask and recomputed
 * after the block by the not-inlined special path: the same method, with exp(-a) carried as
 * 2^es*(s1 + s2), beta as mb*2^eb and dy as dm*2^ed, the powers of two applied by one final scaling
 * that rounds once, also into the subnormals. There: |z| >= 2048, inf or NaN gives y = x (z > 0), 0
 * with beta's sign (z < 0, the sign of the exact tiny result) or NaN; dx = dy (z >= 0), dy*0
 * (x = +-inf, z < 0), dy times the sigmoid otherwise (so +-inf*dy stays infinite for every finite x,
 * also where beta*x overflows to -inf). dx always has dy's sign.
 * Release 1.1's ops send to their careful paths the lanes with |z| > 700 (beta gradient: 600, and every
 * lane when |beta| is outside [2^-480, 2^480], where beta^2 or its low part would not be normal) or NaN,
 * a non-finite multiplier, h/beta^2 < 2^-900, and results that overflow or fall below 2^-969 with a
 * non-zero multiplier. There the same method runs with exp(-a) as 2^es*(s1 + s2) for a up to 3000
 * (the multipliers g*beta and dy/beta^2 reach 2^2048 and 2^3172: beyond, the result rounds to 0),
 * log1p(t) scaled as forward's careful path does, the multiplier as m*2^em and beta as mb*2^eb, and one
 * final scaling that rounds once. A zero multiplier gives the zero of the result's sign (g*beta's; -dy's
 * for the beta gradient), an infinite one the infinity of that sign for a finite x and the default NaN
 * for an infinite x (d and h are 0 there); then the NaN policy and the threshold as in backward.
 *
 * Release 1.1's inverse, x = log(expm1(beta*y))/beta (sp_inv_v, sp_inv_stage2, sp_inv_special). With
 * z = fl(beta*y) and zl = beta*y - z, v = log(expm1(z + zl)) is Zh + Zl + log1p(w), one log1p (forward's
 * table and Q) for three ranges, no division at beta = 1 (below 1/2, zl/z is one otherwise):
 *   z < 1/2      log z + z/2 + z^2 LA(z^2): z = 2^kz m, w = m - 1 exact, kz ln2 as a pair (|v| >= 0.43)
 *   1/2..0.9     log1p(E), E = 2 expm1(d) = e^z - 2, d = z + zl - ln2 as a pair (ln 2 in three doubles: the
 *                zero of v at z = ln 2 comes out relatively exact; the double nearest ln 2 is 2^-55.3 from
 *                it), expm1(d) = d + d^2/2 + d^3 M(d); E < -0.0293 as log1p(1 + 2E) - ln2 (no division)
 *   z > 0.9      z + zl - ln2 + log1p(1 - 2t), t = exp(-(z + zl)) from stage 1 (forward's, with zl in it);
 *                both terms >= 0. t's own error (~2^-58) costs t/(1 - t) 2^-58 absolute: under 0.05 ULP of
 *                v from 0.9 on, which is why the middle range takes expm1(d) instead of 1 - 2t.
 *   x = v/beta as forward's quotient; x = y where z > min(threshold, 40) (beyond 40 the exact x rounds to
 *   y). A vector runs only the ranges its lanes need (bits of the range masks; the lanes' bits do not
 *   depend on their neighbours). Polynomials: tests/tools/softplus_f64_inverse_coeffs.sollya, LA degree 5 in
 *   z^2 (absolute error of z^2 LA 2^-65.0 on [0, 1/2]), M degree 8 (relative error of expm1 2^-61.9).
 *   Careful path: z below 2^-1022 (y <= 0, beta*y < 0, subnormal or underflowed products) or NaN, a result
 *   below 2^-969, every lane when |beta| < 2^-1000. There beta*y = mb*my 2^(eb + ey) is formed without
 *   underflow (long double's range, as the scalar reference), v as above, and x = (v/mb) 2^-eb rounded
 *   once (sp_scale: subnormal results, overflow to inf); then beta*y < 0 gives the default NaN, y = +-0
 *   -inf/beta, z > threshold y, a NaN y itself quieted -- the scalar reference's order.
 *   Accuracy (tests/accuracy/ulp_sweep --f64 --op inv against the long double reference; AVX2 = AVX-512 =
 *   NEON by the digest; thresholds inf and 20 alike):
 *     beta 1 (10^8 inputs): 0.582 ULP at y = 0x1.5d2a169b5dp-1, got -0x1.70990a8e0416ep-6, want
 *       -0xb.84c8547020b74a7p-9 (z ~ 0.682: E just below -0.0293, where log1p(1 + 2E) - ln2 cancels);
 *       968 of 10^8 results over 0.5 ULP
 *     beta 0.5, 2, -1 (10^7 each): 0.564 at y = 0x1.66920bfa7c3dp+0 (beta 0.5), got 0x1.d53ff4a9eae04p-6,
 *       want 0xe.a9ffa54f5702483p-9, the same z for 2 and -1; beta 7.3: 0.554 at y = 0x1.8bf0910a5e3c6p-4,
 *       got 0x1.be5b808b339c8p-9, want 0xd.f2dc04599ce3b91p-12; beta -2.7: 0.533
 *     beta 1e-305 (every lane careful), 1e-300, 1e300, -7.3e200, 1.5e-9, 3e150 (3*10^5 each): at most
 *       0.5625 (1e-305: y = 0x1.8d97c42b39fe8p+1012, got -0x1.b01f08b725c11p+1007)
 *   Bounds SP_MAX_ULP{,_BETA}_F64_{AVX2,AVX512,NEON} = 1.0 (kernels.h).
 */

/* ---- per-call context: parameters and the op layer's tables ------------------------------------- */
/* The scalars, in memory (the special paths read them); the tables, in a context whose address never
 * leaves the inlined fast path, so that a small call loads them from the read-only tables into registers
 * and never copies them through the stack (the special paths load their own). */
typedef struct sp_f64_par {
    double beta, rb, threshold;
    double a_fast; /* lanes with a = |beta*x| above it (or NaN) take the special path */
    /* the beta gradient: beta^2 = b2h + b2l, ib2 = RN(1/b2h), and its a_fast (-1: every lane special) */
    double b2h, b2l, ib2, a_fast_bbeta;
    /* the inverse: x = y where z > inv_cut = min(threshold, 40); fast-path results below inv_x_min (NaN:
     * every lane, when |beta| < 2^-1000) take the careful path; inv_at_zero = -inf/beta (y = +-0) */
    double inv_cut, inv_x_min, inv_at_zero;
} sp_f64_par;
typedef struct sp_f64_ctx {
    const sp_f64_par *par;
    sp_f64_tables tab;
} sp_f64_ctx;

/* The parts of the context beyond beta, threshold, a_fast and the tables, each built only for the ops
 * that read it (a division costs more than the rest of a one-element call's setup): rb, read by
 * forward's fast path when beta != 1 (with beta == 1 the B1 loops never read it); the beta gradient's
 * b2h, b2l, ib2 and a_fast_bbeta (left unset by the other ops). rb is 1 when not built. */
#define SP_F64_CTX_RB 1
#define SP_F64_CTX_B2 2
#define SP_F64_CTX_INV 4 /* the inverse's inv_cut, inv_x_min, inv_at_zero */

SP_INLINE void sp_f64_ctx_init(sp_f64_ctx *ctx, sp_f64_par *k, const sp_params_f64 *p, int parts)
{
    k->beta = p->beta;
    k->threshold = p->threshold;
    k->a_fast = sp_f64_a_fast(p->beta);
    k->rb = 1.0;
    if ((parts & SP_F64_CTX_RB) && p->beta != 1.0)
        k->rb = 1.0 / p->beta;
    if (parts & SP_F64_CTX_B2) {
        /* |beta| in [2^-480, 2^480]: beta^2 and its low part are normal, h/beta^2 <= 2^960 */
        const double ab = fabs(p->beta);
        const int b2_ok = ab >= 0x1p-480 && ab <= 0x1p480;
        k->b2h = b2_ok ? p->beta * p->beta : 1.0;
        k->b2l = b2_ok ? fma(p->beta, p->beta, -k->b2h) : 0.0;
        k->ib2 = 1.0 / k->b2h;
        k->a_fast_bbeta = b2_ok ? SP_F64_A_FAST_BBETA : -1.0;
    }
    if (parts & SP_F64_CTX_INV) {
        k->inv_cut = p->threshold < SP_F64_INV_EXACT ? p->threshold : SP_F64_INV_EXACT; /* NaN -> 40 */
        k->inv_x_min = k->a_fast < 0.0 ? NAN : SP_F64_DX_TINY;
        k->inv_at_zero = -INFINITY / p->beta;
    }
    ctx->par = k;
    sp_f64_load_tables(&ctx->tab);
}

#ifndef LOOKUP2 /* the two tables indexed by i, looked up one by one */
#define LOOKUP2(t, na, nb, i, a, b) ((a) = LOOKUP((t).na, i), (b) = LOOKUP((t).nb, i))
#endif

/* ---- shared pieces ------------------------------------------------------------------------------ */

/* E(r) = exp(-r) - 1 */
SP_INLINE vd sp_exp_poly(vd r)
{
    const vd r2 = MUL(r, r);
    const vd p23 = FMA(F(SP_F64_E3), r, F(SP_F64_E2));
    const vd p45 = FMA(F(SP_F64_E5), r, F(SP_F64_E4));
    const vd p67 = FMA(F(SP_F64_E7), r, F(SP_F64_E6));
    const vd p47 = FMA(p67, r2, p45);
    const vd p27 = FMA(p47, r2, p23);
    return FMS(p27, r2, r);
}

/* Q(v) with log1p(v) = v + v^2*Q(v) */
SP_INLINE vd sp_log_poly(vd v, vd v2)
{
    const vd q23 = FMA(F(SP_F64_G3), v, F(SP_F64_G2));
    const vd q45 = FMA(F(SP_F64_G5), v, F(SP_F64_G4));
    const vd q67 = FMA(F(SP_F64_G7), v, F(SP_F64_G6));
    const vd q89 = FMA(F(SP_F64_G9), v, F(SP_F64_G8));
    const vd v4 = MUL(v2, v2);
    const vd q25 = FMA(q45, v2, q23);
    const vd q69 = FMA(q89, v2, q67);
    return FMA(q69, v4, q25);
}

/* 2^k for integer-valued k in [-1022, 1023] */
SP_INLINE vd sp_pow2(vd k)
{
    const vd b = ADD(k, F(SP_F64_SHIFT));
    return ISHL(IADD(b, FBITS((uint64_t)(1023 - 0x4338000000000000LL))), 52);
}

/* RN((wh + wl) * 2^k) with a single rounding, for integer-valued k, |wl| <= 2^-52 |wh| and |wh| in
 * [2^-60, 2^60] or 0 (the products by 2^k1 below are exact there). A normal result is RN(wh + wl)
 * scaled exactly. A subnormal one is rounded where 2^-1022 is 1: h = sgn + u puts the 2^-1074 grid
 * at 2^-52 and its error is added back before the one rounding that counts. k beyond
 * [-1150, 1100] gives 0 or inf anyway. */
SP_INLINE vd sp_scale(vd wh, vd wl, vd k)
{
    const vd kc = MIN(MAX(k, F(-1150.0)), F(1100.0));
    const vd k1 = FLOOR(MUL(kc, F(0.5)));
    const vd yn = MUL(MUL(ADD(wh, wl), sp_pow2(k1)), sp_pow2(SUB(kc, k1)));
    const vd ks = MIN(ADD(kc, F(1022.0)), F(64.0));
    const vd j1 = FLOOR(MUL(ks, F(0.5)));
    const vd p1 = sp_pow2(j1), p2 = sp_pow2(SUB(ks, j1));
    const vd u = MUL(MUL(wh, p1), p2);
    const vd ul = MUL(MUL(wl, p1), p2);
    const vd sgn = OR(AND(wh, F(-0.0)), F(1.0));
    const vd h = ADD(sgn, u);
    const vd e = ADD(SUB(sgn, h), u);
    vd ys = MUL(SUB(ADD(h, ADD(e, ul)), sgn), F(0x1p-1022));
    ys = OR(ys, AND(wh, F(-0.0))); /* h - sgn = +0 when it rounds to zero */
    return SELECT(LT(ABS(yn), F(0x1p-1022)), ys, yn);
}

/* e and the significand of v = m * 2^e with |m| in [1, 2), for finite v; a zero or subnormal v
 * gives e = -1023 (the caller's scaling then rounds the product to +-0, as it should) */
SP_INLINE vd sp_split_exp(vd v, vd *e)
{
    const vd ebits = AND(v, FBITS(0x7ff0000000000000ULL));
    *e = SUB(OR(ISHR(ebits, 52), F(SP_F64_SHIFT)), F(SP_F64_SHIFT + 1023.0));
    return OR(ANDNOT(ebits, v), F(1.0));
}

/* v = m * 2^e with |m| in [1, 2), for finite non-zero v, subnormals included */
SP_INLINE vd sp_normalise(vd v, vd *e)
{
    const vm sub = LT(ABS(v), F(0x1p-1022));
    vd eb;
    const vd m = sp_split_exp(SELECT(sub, MUL(v, F(0x1p54)), v), &eb);
    *e = SELECT(sub, SUB(eb, F(54.0)), eb);
    return m;
}

/* ---- the fast path, in two stages ------------------------------------------------------------------ */

/* t = exp(-(a + a_lo)) = th + tl with a = |z| (the forward and the 1.1 ops), or w = exp(-(z + z_lo)) with
 * a = z (signed: backward's 1/(1 + w)); for |z| <= 700, 2^(k/16) and the result stay normal either way */
SP_INLINE void sp_stage1(vd x, const sp_f64_ctx *k, int mode, int of_z, vd *pth, vd *ptl)
{
    const int b1 = mode & SP_F64_B1;
    const vd beta = F(k->par->beta);
    const vd z = b1 ? x : MUL(beta, x);
    const vd a = of_z ? z : ABS(z);
    const vd kd = FMA(a, F(-SP_F64_INV_L), F(SP_F64_SHIFT));
    const vd kf = SUB(kd, F(SP_F64_SHIFT));
    const vd rho = FMA(kf, F(SP_F64_L_HI), a); /* exact */
    vd rl;
    if (b1) {
        rl = MUL(kf, F(SP_F64_L_LO));
    } else {
        const vd zl = FMS(beta, x, z);
        const vd al = of_z ? zl : XOR(zl, AND(z, F(-0.0)));
        rl = FMA(kf, F(SP_F64_L_LO), al);
    }
    const vd e = sp_exp_poly(ADD(rho, rl));
    vd tb, tr;
    LOOKUP2(k->tab, tb, tr, kd, tb, tr);
    const vd s1 = IADD(tb, ISHL(kd, 48));
    const vd s2 = MUL(s1, ADD(e, tr));
    const vd th = ADD(s1, s2);
    *pth = th;
    *ptl = SUB(s2, SUB(th, s1));
}

/* g = log1p(t) = l_i + log1p(v) = gh + gl for t = th + tl in [0, 1] */
SP_INLINE void sp_log1p_t(vd th, vd tl, const sp_f64_ctx *k, vd *pgh, vd *pgl)
{
    /* adding 1.5*2^48 leaves round(16 t) in the low bits */
    const vd id = ADD(MIN(th, F(SP_F64_IDX_MAX)), F(0x1.8p48));
    vd c, l;
    LOOKUP2(k->tab, c, l, id, c, l);
    const vd ph = MUL(c, th);
    const vd pl = FMS(c, th, ph);
    const vd vh = ADD(ph, SUB(c, F(1.0))); /* exact */
    const vd vl = FMA(c, tl, pl);
    const vd v2 = MUL(vh, vh);
    const vd lq = MUL(v2, sp_log_poly(vh, v2));
    const vd vl1 = FNMA(vl, vh, vl); /* vl/(1 + vh) to first order */
    const vd gh = ADD(l, vh);        /* |l| >= |vh| or l = 0 */
    *pgh = gh;
    *pgl = ADD(ADD(SUB(vh, SUB(gh, l)), lq), vl1);
}

/* forward from t: y = (max(z, 0) + z_lo[z > 0] + log1p(t)) / beta */
SP_INLINE vd sp_fwd_stage2(vd x, vd th, vd tl, const sp_f64_ctx *k, int mode, vm *special)
{
    const int b1 = mode & SP_F64_B1;
    const vd zero = ZERO();
    const vd beta = F(k->par->beta);
    const vd z = b1 ? x : MUL(beta, x);
    *special = NLE(ABS(z), F(k->par->a_fast));

    vd gh, gl;
    sp_log1p_t(th, tl, k, &gh, &gl);

    /* S = max(z, 0) + g = sh + sl: both terms >= 0, so a two-sum on (max, min) is exact */
    const vd lz = MAX(z, zero);
    const vd big = MAX(lz, gh);
    const vd small = MIN(lz, gh);
    const vd sh = ADD(big, small);
    vd sl = ADD(SUB(small, SUB(sh, big)), gl);
    vd y;
    if (b1) {
        y = ADD(sh, sl);
    } else {
        /* z > 0: the linear part is beta*x = z + z_lo; then y = S/beta with one FMA residual */
        const vd zl = FMS(beta, x, z);
        sl = ADD(sl, MASKZ(GT(z, zero), zl));
        const vd rb = F(k->par->rb);
        const vd q = MUL(sh, rb);
        const vd res = ADD(FNMA(q, beta, sh), sl);
        y = FMA(res, rb, q);
    }
    if (!(mode & SP_F64_TF))
        return y;
    return SELECT(GT(z, F(k->par->threshold)), x, y);
}

/* u = 1 + t = uh + ul for t = th + tl in [0, 1]: uh's error exactly (Fast2Sum, 1 >= th) plus tl,
 * |ul| <= 2^-53 uh */
SP_INLINE vd sp_one_plus_t(vd th, vd tl, vd *pul)
{
    const vd uh = ADD(F(1.0), th);
    *pul = ADD(SUB(th, SUB(uh, F(1.0))), tl);
    return uh;
}

/* 1/(1 + t) = r0 + r1 for t = th + tl >= 0 (the careful paths): one Newton step from RN(1/uh) */
SP_INLINE void sp_recip_1pt(vd th, vd tl, vd *pr0, vd *pr1)
{
    const vd one = F(1.0);
    vd ul;
    const vd uh = sp_one_plus_t(th, tl, &ul);
    const vd r0 = DIV(one, uh);
    const vd rr = FNMA(r0, ul, FNMA(r0, uh, one));
    *pr0 = r0;
    *pr1 = MUL(r0, rr);
}

/* t/(1 + t) = nh + nl for t = th + tl in [0, 1] (the beta gradient's fast path): u = 1 + t = uh + ul,
 * q = RN(1/uh) (one division), nh = RN(th q), nl = (t - nh u) q with the residual by fmas (its first
 * product exact): ~2^-100 relative, three fmas fewer than the Newton reciprocal and a product */
SP_INLINE void sp_t_over_1pt(vd th, vd tl, vd *pnh, vd *pnl)
{
    vd ul;
    const vd uh = sp_one_plus_t(th, tl, &ul);
    const vd q = DIV(F(1.0), uh);
    const vd nh = MUL(th, q);
    *pnh = nh;
    *pnl = MUL(FNMA(nh, ul, ADD(FNMA(nh, uh, th), tl)), q);
}

/* Backward's sigmoid 1/(1 + w) from w = exp(-z) = wh + wl (stage 1 with of_z) as sh + sl: 1 + w = U + D by
 * Fast2Sum on max(wh, 1), min(wh, 1) plus wl, sh = RN(1/U) (one IEEE division), r = 1 - U sh exactly (fma)
 * and sl = sh (r - D sh), so that sh + sl is 1/(U + D) to ~2^-100 relative. The same operations for both
 * signs of z: no numerator to select, nothing formed as a complement (w reaches e^700 for z = -700, the
 * sigmoid e^-700, both normal). Until December 2026 it took t = exp(-|z|) and N/(1 + t), N = 1 or t, with
 * a residual on the numerator (one more fma, a compare and two selects). */
SP_INLINE void sp_bwd_sigmoid(vd wh, vd wl, vd *psh, vd *psl)
{
    const vd one = F(1.0);
    const vd hi = MAX(wh, one);
    const vd lo = MIN(wh, one);
    const vd U = ADD(hi, lo);
    const vd D = ADD(ADD(SUB(hi, U), lo), wl);
    const vd sh = DIV(one, U);
    const vd r = FNMA(U, sh, one);
    *psh = sh;
    *psl = MUL(sh, FNMA(D, sh, r));
}

/* backward from t: dx = dy*s */
SP_INLINE vd sp_bwd_stage2(vd dy, vd x, vd th, vd tl, const sp_f64_ctx *k, int mode, vm *special)
{
    const vd z = (mode & SP_F64_B1) ? x : MUL(F(k->par->beta), x);
    vd sh, sl;
    sp_bwd_sigmoid(th, tl, &sh, &sl);
    vd dx = FMA(dy, sh, MUL(dy, sl));
    /* s > 0, so dx has dy's sign; the FMA alone gives +0 for dy = -0 when dy*sl = +0 */
    dx = OR(dx, AND(dy, F(-0.0)));
    /* dy = +-inf makes inf - inf in the FMA: such lanes (and NaN dy) go to the special path too; so
     * do lanes with |dx| < 2^-969 and dy != 0, where dy*sl rounds on the subnormal grid before the
     * FMA adds it (a second rounding of up to half an ulp of dx) */
    *special = MOR(NLE(ABS(z), F(SP_F64_A_FAST)), MAND(NEQ(dy, ZERO()), NGE(ABS(dx), F(SP_F64_DX_TINY))));
    if (!(mode & SP_F64_TF))
        return dx;
    return SELECT(GT(z, F(k->par->threshold)), dy, dx);
}

/* ---- release 1.1: the second derivative and the beta gradient, fast path ------------------------- */

/* second derivative from t: out = g*beta*d, d = t/(1+t)^2 = dh + dl: u = 1 + t = U + D (Fast2Sum, t <= 1,
 * plus tl), u^2 = Vh + Vl (the square's error by fma, and 2 U D), q = RN(1/Vh) (one division), dh = RN(th q)
 * and dl = (t - dh u^2) q with the residual by fmas: d to ~2^-100 relative. (Until December 2026 the
 * product of t/(1+t) and 1/(1+t), each from a Newton step: four more fmas.) */
SP_INLINE vd sp_dbwd_stage2(vd g, vd x, vd th, vd tl, const sp_f64_ctx *k, int mode, vm *special)
{
    const int b1 = mode & SP_F64_B1;
    const vd beta = F(k->par->beta);
    const vd z = b1 ? x : MUL(beta, x);
    vd D;
    const vd U = sp_one_plus_t(th, tl, &D);
    const vd Vh = MUL(U, U);
    const vd Vl = FMA(ADD(U, U), D, FMS(U, U, Vh));
    const vd q = DIV(F(1.0), Vh);
    const vd dh = MUL(th, q);
    const vd dl = MUL(FNMA(dh, Vl, ADD(FNMA(dh, Vh, th), tl)), q);
    vd out;
    if (b1) {
        out = FMA(g, dh, MUL(g, dl));
    } else {
        /* g*beta = gbh + gbl exactly wherever out is normal (|g*beta| >= 4 |out| >= 2^-967) */
        const vd gbh = MUL(g, beta);
        const vd gbl = FMS(g, beta, gbh);
        out = FMA(gbh, dh, FMA(gbh, dl, MUL(gbl, dh)));
    }
    /* d > 0: out has the sign of g*beta, also where it is zero */
    out = OR(out, AND(XOR(g, beta), F(-0.0)));
    /* the special path: |z| > 700 or NaN; g = +-inf or NaN, g*beta overflowing, out overflowing or
     * below 2^-969 (where the products round on the subnormal grid before the last FMA) */
    const vd ao = ABS(out);
    *special = MOR(NLE(ABS(z), F(SP_F64_A_FAST)),
                   MAND(NEQ(g, ZERO()), MOR(NGE(ao, F(SP_F64_DX_TINY)), NLE(ao, F(SP_F64_OUT_MAX)))));
    if (!(mode & SP_F64_TF))
        return out;
    return SELECT(GT(z, F(k->par->threshold)), ZERO(), out);
}

/* h = softplus(z) - z s(z) = a t/(1+t) + log1p(t) in 2^es units (a = |beta*x| = a + al, t = th + tl in
 * those units), as hh + hl: two positive terms, a two-sum on (max, min) is exact */
SP_INLINE void sp_bbeta_h(vd a, vd al, vd nh, vd nl, vd gh, vd gl, vd *phh, vd *phl)
{
    const vd ph = MUL(a, nh);
    const vd pl = FMA(a, nl, FMA(al, nh, FMS(a, nh, ph)));
    const vd big = MAX(ph, gh);
    const vd small = MIN(ph, gh);
    const vd hh = ADD(big, small);
    *phh = hh;
    *phl = ADD(ADD(SUB(small, SUB(hh, big)), pl), gl);
}

/* beta gradient from t: out = -dy * h/beta^2 */
SP_INLINE vd sp_bbeta_stage2(vd dy, vd x, vd th, vd tl, const sp_f64_ctx *k, int mode, vm *special)
{
    const int b1 = mode & SP_F64_B1;
    const vd beta = F(k->par->beta);
    const vd z = b1 ? x : MUL(beta, x);
    const vd a = ABS(z);
    const vd al = b1 ? ZERO() : XOR(FMS(beta, x, z), AND(z, F(-0.0)));
    vd nh, nl, gh, gl, hh, hl;
    sp_t_over_1pt(th, tl, &nh, &nl);
    sp_log1p_t(th, tl, k, &gh, &gl);
    sp_bbeta_h(a, al, nh, nl, gh, gl, &hh, &hl);
    vd qh = hh, ql = hl;
    vm sp = NLE(a, F(k->par->a_fast_bbeta));
    if (!b1) {
        /* q = h/beta^2: q0 = h*RN(1/beta^2) and one FMA-residual correction */
        const vd q0 = MUL(hh, F(k->par->ib2));
        const vd res = ADD(SUB(FNMA(q0, F(k->par->b2h), hh), MUL(q0, F(k->par->b2l))), hl);
        qh = q0;
        ql = MUL(res, F(k->par->ib2));
        sp = MOR(sp, NGE(q0, F(SP_F64_Q_MIN)));
    }
    vd out = FMA(dy, qh, MUL(dy, ql));
    /* h > 0: out = -(dy*q) has the opposite sign of dy, also where it is zero */
    out = XOR(OR(out, AND(dy, F(-0.0))), F(-0.0));
    const vd ao = ABS(out);
    *special = MOR(sp, MAND(NEQ(dy, ZERO()), MOR(NGE(ao, F(SP_F64_DX_TINY)), NLE(ao, F(SP_F64_OUT_MAX)))));
    if (!(mode & SP_F64_TF))
        return out;
    return SELECT(GT(z, F(k->par->threshold)), ZERO(), out);
}

/* ---- release 1.1: the inverse, fast path ------------------------------------------------------------ */

/* v = log(expm1(z + zl)) as vh + vl for z >= 2^-1022 (other lanes: any value), t = exp(-(z + zl)) = th + tl
 * from stage 1. Three ranges, each Zh + Zl + log1p(wh + wl) with one log1p (forward's table) for all:
 *   z < 1/2      log z + z/2 + z^2 LA(z^2): z = 2^kz m, w = m - 1 (exact), Z = kz ln2 + z/2 + z^2 LA +
 *                zl (1/z + 1/2 + z/12) (the first-order term of zl, left out when has_zl is 0; kofs is added
 *                to kz: the careful path's scaled z, has_kofs; both flags constants)
 *   1/2 <= z <= 0.9   log1p(E), E = 2 expm1(d) = e^z - 2, d = z + zl - ln2 as D + Dl (ln 2 in three doubles:
 *                the zero at z = ln 2 comes out relatively exact), expm1(d) = d + d^2/2 + d^3 M(d); w = E
 *                for E >= -0.0293 (Z = 0), else log(1 + E) = log1p(1 + 2E) - ln2 (w = 1 + 2E, Z = -ln 2)
 *   z > 0.9      z + zl + log(1 - t) = z + zl - ln2 + log1p(1 - 2t): w = 1 - 2t, Z = z + zl - ln 2
 * Only the ranges some lane of the vector needs run (a lane in none -- NaN -- counts as the middle one):
 * every lane that keeps its value gets the same operations either way, so its bits do not depend on its
 * neighbours. */
SP_INLINE void sp_inv_v(vd z, vd zl, int has_zl, vd th, vd tl, vd kofs, int has_kofs, const sp_f64_ctx *k, vd *pvh,
                        vd *pvl)
{
    const vd one = F(1.0), zero = ZERO();
    const vm low = LT(z, F(SP_F64_INV_LOW));
    const vm high = GT(z, F(SP_F64_INV_HIGH));
    const uint64_t lanes = SP_LOOP_W == 64 ? ~(uint64_t)0 : ((uint64_t)1 << SP_LOOP_W) - 1u;
    const uint64_t low_bits = BITS(low), high_bits = BITS(high);
    const int any_mid = (low_bits | high_bits) != lanes;

    /* z < 1/2: kz <= -2, so |Za| >= 2 ln2 - 1/4 > log(m): Za + log1p(w) below is a Fast2Sum */
    vd wa = zero, Za = zero, Zal = zero;
    if (low_bits) {
        vd kz;
        const vd mz = sp_split_exp(z, &kz);
        if (has_kofs)
            kz = ADD(kz, kofs);
        wa = SUB(mz, one); /* exact */
        const vd kh = MUL(kz, F(SP_F64_LN2_1));
        const vd kl = FMA(kz, F(SP_F64_LN2_2), FMS(kz, F(SP_F64_LN2_1), kh));
        const vd zhalf = MUL(z, F(0.5));
        Za = ADD(kh, zhalf);
        const vd z2 = MUL(z, z);
        const vd z4 = MUL(z2, z2);
        const vd a01 = FMA(F(SP_F64_LA1), z2, F(SP_F64_LA0));
        const vd a23 = FMA(F(SP_F64_LA3), z2, F(SP_F64_LA2));
        const vd a45 = FMA(F(SP_F64_LA5), z2, F(SP_F64_LA4));
        const vd la = FMA(FMA(a45, z4, a23), z4, a01);
        Zal = ADD(ADD(SUB(kh, Za), zhalf), FMA(z2, la, kl));
        /* d/dz log(expm1(z)) = 1/z + 1/2 + z/12 - ...: zl/z <= 2^-53 needs only a few bits of the factor */
        if (has_zl) /* (beta = 1: zl = 0, and the division is left out) */
            Zal = FMA(DIV(zl, z), FMA(z, FMA(z, F(0x1.5555555555555p-4 /* 1/12 */), F(0.5)), one), Zal);
    }

    /* 1/2 <= z <= 0.9: E/2 = expm1(D + Dl) = eh + el. z - ln2_1 is exact (Sterbenz) and a multiple of 2^-53
     * larger than |zl| <= 2^-54 unless zero (Fast2Sum); then a 2Sum with -ln2_2 */
    vd Eh = zero, El = zero;
    if (any_mid) {
        const vd dh = SUB(z, F(SP_F64_LN2_1));
        const vd s1 = ADD(dh, zl);
        const vd s1l = ADD(SUB(dh, s1), zl);
        const vd D = SUB(s1, F(SP_F64_LN2_2));
        const vd bb = SUB(D, s1);
        const vd Dl = ADD(ADD(SUB(s1, SUB(D, bb)), SUB(F(-SP_F64_LN2_2), bb)), SUB(s1l, F(SP_F64_LN2_3)));
        /* expm1(D + Dl) = D + D^2/2 + D^3 M(D) + Dl (1 + D), D^2/2 exact as a pair */
        const vd sq = MUL(D, D);
        const vd sql = FMS(D, D, sq);
        const vd hsq = MUL(sq, F(0.5));
        const vd d4 = MUL(sq, sq);
        const vd m01 = FMA(F(SP_F64_M1), D, F(SP_F64_M0));
        const vd m23 = FMA(F(SP_F64_M3), D, F(SP_F64_M2));
        const vd m45 = FMA(F(SP_F64_M5), D, F(SP_F64_M4));
        const vd m67 = FMA(F(SP_F64_M7), D, F(SP_F64_M6));
        const vd m48 = FMA(FMA(F(SP_F64_M8), sq, m67), sq, m45);
        const vd M = FMA(m48, d4, FMA(m23, sq, m01));
        const vd eh = ADD(D, hsq); /* |D| <= 0.21: |D| > D^2/2 */
        const vd el = ADD(ADD(SUB(D, eh), hsq), FMA(sql, F(0.5), FMA(Dl, ADD(one, D), MUL(MUL(sq, D), M))));
        const vd e2 = ADD(eh, el); /* renormalised (Fast2Sum): log1p takes its low part to first order */
        Eh = ADD(e2, e2);
        El = MUL(ADD(SUB(eh, e2), el), F(2.0));
    }

    /* The wide lanes (z > 0.9, and E < -0.0293 between) take log(1 + X) = log1p(1 + 2X) - ln2 with X = -t or
     * E: 1 + 2X = wh + wl, where 1 - wh is exact (Sterbenz when wh >= 1/2; else 1 + 2Xh is a multiple of 2^-53
     * and wh = 1 + 2Xh) and the fma adds 2Xh to it exactly. E >= -0.0293 is log1p's argument itself (table
     * entry 0, Q holds down to -0.0295). Z = z + zl - ln 2 (z > 0.9) or -ln 2 (E < -0.0293) is Zwh + Zwl,
     * z - ln2_1 by Fast2Sum. Without a middle lane the wide lanes are the high ones: the same operations on
     * every lane that keeps its value, with the middle's selects left out. */
    vd wh, wl, Zh, Zl;
    if (any_mid) {
        const vd Xh = SELECT(high, XOR(th, F(-0.0)), Eh);
        const vd Xl = SELECT(high, XOR(tl, F(-0.0)), El);
        const vm wide = MOR(high, LT(Eh, F(SP_F64_INV_E_DIRECT)));
        const vd w1h = FMA(F(2.0), Xh, one);
        const vd w1l = FMA(F(2.0), Xl, FMA(F(2.0), Xh, SUB(one, w1h)));
        const vd zs = MASKZ(high, z);
        const vd Zwh = SUB(zs, F(SP_F64_LN2_1));
        const vd Zwl = ADD(SUB(SUB(zs, Zwh), F(SP_F64_LN2_1)), SUB(MASKZ(high, zl), F(SP_F64_LN2_2)));
        wh = SELECT(low, wa, SELECT(wide, w1h, Eh));
        wl = SELECT(low, zero, SELECT(wide, w1l, El));
        Zh = SELECT(low, Za, SELECT(wide, Zwh, zero));
        Zl = SELECT(low, Zal, SELECT(wide, Zwl, zero));
    } else {
        const vd w1h = FNMA(F(2.0), th, one);
        const vd w1l = FNMA(F(2.0), tl, FNMA(F(2.0), th, SUB(one, w1h)));
        const vd Zwh = SUB(z, F(SP_F64_LN2_1));
        const vd Zwl = ADD(SUB(SUB(z, Zwh), F(SP_F64_LN2_1)), SUB(zl, F(SP_F64_LN2_2)));
        wh = SELECT(low, wa, w1h);
        wl = SELECT(low, zero, w1l);
        Zh = SELECT(low, Za, Zwh);
        Zl = SELECT(low, Zal, Zwl);
    }

    /* v = Zh + log1p(w) + Zl: Fast2Sum, |Zh| >= log1p(w) (z > 0.9: z - ln2 - log(2 - 2e^-z) =
     * log(e^2z / (4 (e^z - 1))) >= 0; between: ln2 > log1p(w), w < 0.95; below 1/2 above; else Zh = 0) */
    vd gh, gl;
    sp_log1p_t(wh, wl, k, &gh, &gl);
    const vd vh = ADD(Zh, gh);
    *pvh = vh;
    *pvl = ADD(ADD(SUB(Zh, vh), gh), ADD(Zl, gl));
}

/* inverse from t: x = v/beta (forward's quotient); x = y where z > min(threshold, 40) */
SP_INLINE vd sp_inv_stage2(vd y, vd th, vd tl, const sp_f64_ctx *k, int mode, vm *special)
{
    const int b1 = mode & SP_F64_B1;
    const vd beta = F(k->par->beta);
    const vd z = b1 ? y : MUL(beta, y);
    const vd zl = b1 ? ZERO() : FMS(beta, y, z);
    vd vh, vl;
    sp_inv_v(z, zl, !b1, th, tl, ZERO(), 0, k, &vh, &vl);
    /* z < 2^-1022 (y <= 0, beta*y < 0 or subnormal) or NaN: the careful path */
    vm sp = NGE(z, F(0x1p-1022));
    vd x;
    if (b1) {
        x = ADD(vh, vl); /* |x| >= 2^-55: never below inv_x_min */
    } else {
        const vd rb = F(k->par->rb);
        const vd q = MUL(vh, rb);
        const vd res = ADD(FNMA(q, beta, vh), vl);
        x = FMA(res, rb, q);
        /* a result below 2^-969 (q's residual would round on the subnormal grid), or every lane when
         * inv_x_min is NaN */
        sp = MOR(sp, MAND(LE(z, F(k->par->inv_cut)), NGE(ABS(x), F(k->par->inv_x_min))));
    }
    *special = sp;
    return SELECT(GT(z, F(k->par->inv_cut)), y, x);
}

/* ---- the careful path --------------------------------------------------------------------------- */

/* The front of the special paths: z = fl(beta*x), the lanes with |z| < a_huge (fin), z_lo there (0
 * elsewhere), kd and k = round(-16a/ln2) for a = min(|z|, a_huge) (NaN -> a_huge), and E(r) in *pe;
 * returns k. What stays in 2^(k/16) is the caller's choice of exponent split (sp_special_s1). */
SP_INLINE vd sp_special_kf(vd x, const sp_f64_ctx *k, double a_huge, vd *pz, vm *pfin, vd *pzl, vd *pkd, vd *pe)
{
    const vd beta = F(k->par->beta);
    const vd z = MUL(beta, x);
    const vd a = ABS(z);
    const vm fin = LT(a, F(a_huge));
    const vd zl = MASKZ(fin, FMS(beta, x, z));
    const vd al = XOR(zl, AND(z, F(-0.0)));
    const vd ac = MIN(a, F(a_huge)); /* NaN -> a_huge */

    const vd kd = FMA(ac, F(-SP_F64_INV_L), F(SP_F64_SHIFT));
    const vd kf = SUB(kd, F(SP_F64_SHIFT));
    const vd rho = FMA(kf, F(SP_F64_L_HI), ac);
    const vd r = ADD(rho, FMA(kf, F(SP_F64_L_LO), al));
    *pe = sp_exp_poly(r);
    *pz = z;
    *pfin = fin;
    *pzl = zl;
    *pkd = kd;
    return kf;
}

/* t = 2^es * (s1 + s2): s1 = T_j 2^((k>>4) - es) exactly (an integer add on the exponent bits; es
 * chosen by the caller so that s1 stays normal) and s2 = s1*(E + Tr) */
SP_INLINE vd sp_special_s1(vd kd, vd kf, vd es, vd e, const sp_f64_ctx *k, vd *ps2)
{
    vd tb, tr;
    LOOKUP2(k->tab, tb, tr, kd, tb, tr);
    const vd ks = ADD(FMA(es, F(-16.0), kf), F(SP_F64_SHIFT));
    const vd s1 = IADD(tb, ISHL(ks, 48));
    *ps2 = MUL(s1, ADD(e, tr));
    return s1;
}

/* The careful paths' t = exp(-a) and log1p(t), both scaled: t = 2^es * (th + tl) with es = k>>4 once
 * t < 2^-8, else 0, and sc = 2^max(es, -1000); log1p(t) = 2^es * (gh + gl) (lanes with es != 0 have
 * t < 2^-8, so i = 0 and c = 1 there). Returns es. */
SP_INLINE vd sp_special_t_log1p(vd kd, vd kf, vd e, const sp_f64_ctx *k, vd *pth, vd *ptl, vd *psc, vd *pgh,
                                vd *pgl)
{
    const vd ek = FLOOR(MUL(kf, F(0.0625)));
    const vd es = MASKZ(LT(ek, F(-8.0)), ek);
    vd s2;
    const vd s1 = sp_special_s1(kd, kf, es, e, k, &s2);
    const vd th = ADD(s1, s2);
    const vd tl = SUB(s2, SUB(th, s1));
    const vd sc = sp_pow2(MAX(es, F(-1000.0)));
    const vd id = FMA(MIN(MUL(th, sc), F(SP_F64_IDX_MAX)), F(16.0), F(SP_F64_SHIFT));
    vd c, l;
    LOOKUP2(k->tab, c, l, id, c, l);
    const vd ph = MUL(c, th);
    const vd pl = FMS(c, th, ph);
    const vd vh = ADD(ph, SUB(c, F(1.0)));
    const vd vl = FMA(c, tl, pl);
    const vd vt = MUL(vh, sc); /* the unscaled v */
    const vd vt2 = MUL(vt, vt);
    const vd lq = MUL(vh, MUL(vt, sp_log_poly(vt, vt2)));
    const vd vl1 = FNMA(vl, vt, vl);
    const vd gh = ADD(l, vh);
    *pgh = gh;
    *pgl = ADD(ADD(SUB(vh, SUB(gh, l)), lq), vl1);
    *pth = th;
    *ptl = tl;
    *psc = sc;
    return es;
}

/* The careful path for the lanes in m: exp(-a) and 1/beta carry separate powers of two, applied by
 * one final rounding. Recomputes all lanes and keeps those in m. */
static SP_NOINLINE vd sp_fwd_special(vd x, vd y, vm m, const sp_f64_par *par)
{
    sp_f64_ctx kc;
    kc.par = par;
    sp_f64_load_tables(&kc.tab);
    const sp_f64_ctx *k = &kc;
    const vd zero = ZERO();
    const vd beta = F(k->par->beta);
    vd z, zl, kd, e;
    vm fin;
    const vd kf = sp_special_kf(x, k, SP_F64_A_HUGE, &z, &fin, &zl, &kd, &e);
    /* t = 2^es * (th + tl), log1p(t) = 2^es * (gh + gl) */
    vd th, tl, sc, gh, gl;
    const vd es = sp_special_t_log1p(kd, kf, e, k, &th, &tl, &sc, &gh, &gl);

    /* z > 0: g joins max(z, 0) unscaled (it is far below z's ULP when es < -1000) */
    const vm pos = GT(z, zero);
    gh = SELECT(pos, MUL(gh, sc), gh);
    gl = SELECT(pos, MUL(gl, sc), gl);
    double mbs, rbms, ebs;
    sp_f64_beta_split(k->par->beta, &mbs, &rbms, &ebs);
    const vd fe = SUB(SELECT(pos, zero, es), F(ebs));
    const vd lz = MAX(z, zero);
    const vd big = MAX(lz, gh);
    const vd small = MIN(lz, gh);
    const vd sh = ADD(big, small);
    const vd sl = ADD(ADD(SUB(small, SUB(sh, big)), gl), MASKZ(pos, zl));
    const vd mb = F(mbs), rbm = F(rbms);
    const vd q = MUL(sh, rbm);
    const vd res = ADD(FNMA(q, mb, sh), sl);
    const vd wh = FMA(res, rbm, q);
    const vd wl = SUB(MUL(res, rbm), SUB(wh, q));
    vd yc = sp_scale(wh, wl, fe);

    /* |z| >= A_HUGE, inf or NaN: y = x (z > 0), 0 with beta's sign (z < 0: the exact value, a tiny
     * number of beta's sign, rounds to that zero), NaN from x */
    vd alt = SELECT(pos, x, AND(beta, F(-0.0)));
    alt = SELECT(UNORD(z), ADD(x, x), alt);
    yc = SELECT(fin, yc, alt);
    yc = SELECT(GT(z, F(k->par->threshold)), x, yc);
    return SELECT(m, yc, y);
}

/* Lanes with a > A_FAST or NaN: for z >= 0 the sigmoid is 1 - t with t < 2^-1009, so dx = dy; for
 * z < 0 it is t to 2^-1009 relative, carried as 2^es * (s1 + s2) with s1 in [1/2, 1) so that
 * dy*(s1 + s2) cannot overflow, then scaled with one rounding. */
static SP_NOINLINE vd sp_bwd_special(vd dy, vd x, vd dx, vm m, const sp_f64_par *par)
{
    sp_f64_ctx kc;
    kc.par = par;
    sp_f64_load_tables(&kc.tab);
    const sp_f64_ctx *k = &kc;
    const vd zero = ZERO();
    vd z, zl, kd, e;
    vm fin;
    const vd kf = sp_special_kf(x, k, SP_F64_A_HUGE, &z, &fin, &zl, &kd, &e);
    (void)zl;
    (void)fin;
    const vd es = ADD(FLOOR(MUL(kf, F(0.0625))), F(1.0));
    vd s2;
    const vd s1 = sp_special_s1(kd, kf, es, e, k, &s2);
    /* dy = dm * 2^ed with |dm| in [1, 2) keeps dm*(s1 + s2) inside sp_scale's range (a zero or
     * subnormal dy gives ed = -1023 and a result that rounds to +-0, as it should) */
    vd ed;
    const vd dm = sp_split_exp(dy, &ed);
    const vd ph = MUL(dm, s1);
    vd dn = sp_scale(ph, FMA(dm, s2, FMS(dm, s1, ph)), ADD(es, ed));
    /* dy = +-inf or NaN: dy times the sign of the exact sigmoid, which is > 0 for every finite x (also
     * where beta*x overflows to -inf) and 0 for an infinite x with z < 0 (dy*0 = NaN there) */
    const vd sgz = MASKZ(LT(ABS(x), F(INFINITY)), F(1.0));
    dn = SELECT(NLT(ABS(dy), F(INFINITY)), MUL(dy, sgz), dn);
    vd dc = SELECT(LT(z, zero), OR(dn, AND(dy, F(-0.0))), dy);
    /* Lanes of the fast path (a <= A_FAST, dy finite) sent here for |dx| < 2^-969: the fast path's
     * sigmoid sh + sl times dy, with dy = dm*2^ed and sh = sm*2^es2 normalised to [1, 2) so that one
     * final scaling rounds once, into the subnormals too. */
    const vm small = MAND(LE(ABS(z), F(SP_F64_A_FAST)), LT(ABS(dy), F(INFINITY)));
    if (ANY(MAND(small, m))) {
        vd th, tl, sh, sl, e1, e2;
        sp_stage1(x, k, 0, 1, &th, &tl);
        sp_bwd_sigmoid(th, tl, &sh, &sl);
        const vd dmn = sp_normalise(dy, &e1);
        const vd sm = sp_normalise(sh, &e2);
        const vd sml = MUL(sl, sp_pow2(SUB(zero, e2)));
        const vd qh = MUL(dmn, sm);
        const vd ql = FMA(dmn, sml, FMS(dmn, sm, qh));
        const vd dt = sp_scale(qh, ql, ADD(e1, e2));
        dc = SELECT(small, OR(dt, AND(dy, F(-0.0))), dc);
    }
    /* The NaN policy (softplus.h): a NaN made here (an infinite dy times the sigmoid 0 of an infinite
     * x) is the positive default NaN on every ISA; then x's NaN, quieted; dy's NaN, quieted, wins over
     * both and over the threshold rule. */
    dc = SELECT(UNORD(dc), F(NAN), dc);
    dc = SELECT(UNORD(z), ADD(x, x), dc);
    dc = SELECT(GT(z, F(k->par->threshold)), dy, dc);
    dc = SELECT(UNORD(dy), ADD(dy, dy), dc);
    return SELECT(m, dc, dx);
}

/* The careful paths of the second derivative and the beta gradient: like backward's, the same method
 * on every lane with exp(-a) as 2^es*(s1 + s2), the multiplier as m*2^em and beta as mb*2^eb, one
 * final scaling that rounds once (also into the subnormals). a is clamped at SP_F64_A_HUGE_11. */

/* m = mm * 2^em with |mm| in [1, 2) for a finite non-zero m (zero, inf, NaN: any value, replaced) */
static SP_NOINLINE vd sp_dbwd_special(vd g, vd x, vd out, vm m, const sp_f64_par *par)
{
    sp_f64_ctx kc;
    kc.par = par;
    sp_f64_load_tables(&kc.tab);
    const sp_f64_ctx *k = &kc;
    const vd beta = F(k->par->beta);
    vd z, zl, kd, e;
    vm fin;
    const vd kf = sp_special_kf(x, k, SP_F64_A_HUGE_11, &z, &fin, &zl, &kd, &e);
    (void)zl;
    (void)fin;
    /* t = 2^es * tn, tn = s1 + s2 in [1/2, 1]; 1/(1 + t) from t itself (t < 2^-1000: 1) */
    const vd es = ADD(FLOOR(MUL(kf, F(0.0625))), F(1.0));
    vd s2;
    const vd s1 = sp_special_s1(kd, kf, es, e, k, &s2);
    const vd tnh = ADD(s1, s2);
    const vd tnl = SUB(s2, SUB(tnh, s1));
    const vd sc = sp_pow2(MAX(es, F(-1000.0)));
    vd r0, r1;
    sp_recip_1pt(MUL(tnh, sc), MUL(tnl, sc), &r0, &r1);
    /* d = 2^es * tn * r^2 = 2^es * (m2h + m2l), m2h in [1/8, 1] */
    const vd m1h = MUL(tnh, r0);
    const vd m1l = FMA(tnh, r1, FMA(tnl, r0, FMS(tnh, r0, m1h)));
    const vd m2h = MUL(m1h, r0);
    const vd m2l = FMA(m1h, r1, FMA(m1l, r0, FMS(m1h, r0, m2h)));
    /* g*beta*d = gm*mb * (m2h + m2l) * 2^(es + eg + eb), the mantissas' product in [1/8, 4) */
    double mbs, rbms, ebs;
    sp_f64_beta_split(k->par->beta, &mbs, &rbms, &ebs);
    (void)rbms;
    vd eg;
    const vd gm = sp_normalise(g, &eg);
    const vd gbh = MUL(gm, F(mbs));
    const vd gbl = FMS(gm, F(mbs), gbh);
    const vd wh = MUL(gbh, m2h);
    const vd wl = FMA(gbh, m2l, FMA(gbl, m2h, FMS(gbh, m2h, wh)));
    vd oc = sp_scale(wh, wl, ADD(ADD(es, eg), F(ebs)));
    const vd sgn = AND(XOR(g, beta), F(-0.0));
    /* g = +-0: the zero of g*beta's sign; g = +-inf: g*beta times the sign of the exact d, which is
     * > 0 for every finite x (also where beta*x overflows) and 0 for an infinite x (NaN) */
    oc = SELECT(NEQ(g, ZERO()), oc, sgn);
    const vd sgz = MASKZ(LT(ABS(x), F(INFINITY)), F(1.0));
    oc = SELECT(NLT(ABS(g), F(INFINITY)), MUL(MUL(g, beta), sgz), oc);
    /* the NaN policy, as backward's: the NaN made here is the default NaN; then x's, then g's */
    oc = SELECT(UNORD(oc), F(NAN), oc);
    oc = SELECT(UNORD(z), ADD(x, x), oc);
    oc = SELECT(GT(z, F(k->par->threshold)), ZERO(), oc);
    oc = SELECT(UNORD(g), ADD(g, g), oc);
    return SELECT(m, oc, out);
}

static SP_NOINLINE vd sp_bbeta_special(vd dy, vd x, vd out, vm m, const sp_f64_par *par)
{
    sp_f64_ctx kc;
    kc.par = par;
    sp_f64_load_tables(&kc.tab);
    const sp_f64_ctx *k = &kc;
    const vd zero = ZERO();
    vd z, zl, kd, e;
    vm fin;
    const vd kf = sp_special_kf(x, k, SP_F64_A_HUGE_11, &z, &fin, &zl, &kd, &e);
    (void)fin;
    const vd ac = MIN(ABS(z), F(SP_F64_A_HUGE_11));
    const vd al = XOR(zl, AND(z, F(-0.0)));
    /* t = 2^es * (th + tl), log1p(t) = 2^es * (gh + gl), as forward's careful path */
    vd th, tl, sc, gh, gl;
    const vd es = sp_special_t_log1p(kd, kf, e, k, &th, &tl, &sc, &gh, &gl);
    /* t/(1 + t) = 2^es * (nh + nl), 1/(1 + t) from t itself */
    vd r0, r1;
    sp_recip_1pt(MUL(th, sc), MUL(tl, sc), &r0, &r1);
    const vd nh = MUL(th, r0);
    const vd nl = FMA(th, r1, FMA(tl, r0, FMS(th, r0, nh)));
    vd hh, hl;
    sp_bbeta_h(ac, al, nh, nl, gh, gl, &hh, &hl); /* hh in [1/64, 6000] */

    /* dy*h/beta^2 = dm * (h/mb^2) * 2^(es + ed - 2 eb) */
    double mbs, rbms, ebs;
    sp_f64_beta_split(k->par->beta, &mbs, &rbms, &ebs);
    const double mb2h = mbs * mbs, mb2l = fma(mbs, mbs, -mb2h), rmb2 = rbms * rbms;
    const vd q0 = MUL(hh, F(rmb2));
    const vd res = ADD(SUB(FNMA(q0, F(mb2h), hh), MUL(q0, F(mb2l))), hl);
    const vd q1 = MUL(res, F(rmb2));
    vd ed;
    const vd dm = XOR(sp_normalise(dy, &ed), F(-0.0));
    const vd wh = MUL(dm, q0);
    const vd wl = FMA(dm, q1, FMS(dm, q0, wh));
    vd oc = sp_scale(wh, wl, SUB(ADD(es, ed), F(2.0 * ebs)));
    /* dy = +-0: the zero of -dy's sign; dy = +-inf: -dy times the sign of the exact h, > 0 for every
     * finite x and 0 for an infinite x (NaN) */
    const vd ndy = XOR(dy, F(-0.0));
    oc = SELECT(NEQ(dy, zero), oc, AND(ndy, F(-0.0)));
    const vd sgz = MASKZ(LT(ABS(x), F(INFINITY)), F(1.0));
    oc = SELECT(NLT(ABS(dy), F(INFINITY)), MUL(ndy, sgz), oc);
    oc = SELECT(UNORD(oc), F(NAN), oc);
    oc = SELECT(UNORD(z), ADD(x, x), oc);
    oc = SELECT(GT(z, F(k->par->threshold)), zero, oc);
    oc = SELECT(UNORD(dy), ADD(dy, dy), oc);
    return SELECT(m, oc, out);
}

/* The inverse's careful path: z = fl(beta*y) normal takes the fast path's v; 0 < beta*y with z below 2^-1022
 * (rounded on the subnormal grid or to 0) is P 2^(eb + ey), P = mb*my in [1, 4) rounded once (2^-53 of z:
 * 2^-53 absolute in v ~ -708 and below, whose ulp is 2^-43 or more), run as z = P 2^-600 with eb + ey + 600
 * added to its exponent (z/2 and the z^2 terms are far below v's ulp either way). x = (v/mb) 2^-eb rounded
 * once (sp_scale: overflow to inf, subnormals). Then beta*y < 0 gives the default NaN, y = +-0 the limit
 * -inf/beta, z > min(threshold, 40) y, and a NaN y itself, quieted. */
static SP_NOINLINE vd sp_inv_special(vd y, vd x, vm m, const sp_f64_par *par)
{
    sp_f64_ctx kc;
    kc.par = par;
    sp_f64_load_tables(&kc.tab);
    const sp_f64_ctx *k = &kc;
    const vd zero = ZERO();
    const vd beta = F(k->par->beta);
    const vd z = MUL(beta, y);
    double mbs, rbms, ebs;
    sp_f64_beta_split(k->par->beta, &mbs, &rbms, &ebs);
    const vm tiny = NGE(z, F(0x1p-1022)); /* lanes not positive and NaN too: replaced below */
    vd ey;
    const vd my = sp_normalise(y, &ey);
    const vd zs = SELECT(tiny, MUL(MUL(my, F(mbs)), F(0x1p-600)), z);
    const vd zl = SELECT(tiny, zero, FMS(beta, y, z));
    const vd kofs = MASKZ(tiny, ADD(ey, F(ebs + 600.0)));
    vd th, tl, vh, vl;
    sp_stage1(y, k, 0, 0, &th, &tl);
    sp_inv_v(zs, zl, 1, th, tl, kofs, 1, k, &vh, &vl);
    const vd mb = F(mbs), rbm = F(rbms);
    const vd q = MUL(vh, rbm);
    const vd res = ADD(FNMA(q, mb, vh), vl);
    const vd wh = FMA(res, rbm, q);
    const vd wl = SUB(MUL(res, rbm), SUB(wh, q));
    vd xc = sp_scale(wh, wl, F(-ebs));
    /* y*sign(beta) < 0: beta*y < 0, outside softplus's range */
    xc = SELECT(LT(XOR(y, AND(beta, F(-0.0))), zero), F(NAN), xc);
    xc = SELECT(NEQ(y, zero), xc, F(k->par->inv_at_zero));
    xc = SELECT(GT(z, F(k->par->inv_cut)), y, xc);
    xc = SELECT(UNORD(y), ADD(y, y), xc);
    return SELECT(m, xc, x);
}

/* ---- the loops (arch/softplus_loop.h) and the kernels' bodies ----------------------------------- */
#define SP_LOOP_T double
#define SP_LOOP_V vd
#define SP_LOOP_M vm
#define SP_LOOP_CTX sp_f64_ctx
#define SP_LOOP_BITS(m) BITS(m)

#define SP_LOOP_NAME sp_f64_fwd_loop
#define SP_LOOP_NIN 1
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(k, mode, x, pth, ptl) sp_stage1(x, k, mode, 0, pth, ptl)
#define SP_LOOP_STAGE2(k, mode, x, th, tl, pm) sp_fwd_stage2(x, th, tl, k, mode, pm)
#define SP_LOOP_SPECIAL(k, mode, x, y, bits) sp_fwd_special(x, y, MASK_FROM_BITS(bits), (k)->par)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_f64_bwd_loop
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(k, mode, dy, x, pth, ptl) sp_stage1(x, k, mode, 1, pth, ptl)
#define SP_LOOP_STAGE2(k, mode, dy, x, th, tl, pm) sp_bwd_stage2(dy, x, th, tl, k, mode, pm)
#define SP_LOOP_SPECIAL(k, mode, dy, x, dx, bits) sp_bwd_special(dy, x, dx, MASK_FROM_BITS(bits), (k)->par)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_f64_dbwd_loop
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(k, mode, g, x, pth, ptl) sp_stage1(x, k, mode, 0, pth, ptl)
#define SP_LOOP_STAGE2(k, mode, g, x, th, tl, pm) sp_dbwd_stage2(g, x, th, tl, k, mode, pm)
#define SP_LOOP_SPECIAL(k, mode, g, x, r, bits) sp_dbwd_special(g, x, r, MASK_FROM_BITS(bits), (k)->par)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_f64_bbeta_loop
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(k, mode, dy, x, pth, ptl) sp_stage1(x, k, mode, 0, pth, ptl)
#define SP_LOOP_STAGE2(k, mode, dy, x, th, tl, pm) sp_bbeta_stage2(dy, x, th, tl, k, mode, pm)
#define SP_LOOP_SPECIAL(k, mode, dy, x, r, bits) sp_bbeta_special(dy, x, r, MASK_FROM_BITS(bits), (k)->par)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_f64_inv_loop
#define SP_LOOP_NIN 1
#define SP_LOOP_NBUF 2
#define SP_LOOP_STAGE1(k, mode, y, pth, ptl) sp_stage1(y, k, mode, 0, pth, ptl)
#define SP_LOOP_STAGE2(k, mode, y, th, tl, pm) sp_inv_stage2(y, th, tl, k, mode, pm)
#define SP_LOOP_SPECIAL(k, mode, y, x, bits) sp_inv_special(y, x, MASK_FROM_BITS(bits), (k)->par)
#include "arch/softplus_loop.h"

/* The bodies of sp_fwd_f64_<isa> and sp_bwd_f64_<isa>, before the split by size at the end of this file. */
SP_INLINE void sp_f64_fwd_modes(size_t n, const double *x, double *y, const sp_params_f64 *p)
{
    sp_f64_par par;
    sp_f64_ctx k;
    sp_f64_ctx_init(&k, &par, p, SP_F64_CTX_RB);
    SP_F64_RUN(p, sp_f64_fwd_loop, sp_f64_fwd_loop, n, x, y, &k);
}

SP_INLINE void sp_f64_bwd_modes(size_t n, const double *dy, const double *x, double *dx, const sp_params_f64 *p)
{
    sp_f64_par par;
    sp_f64_ctx k;
    sp_f64_ctx_init(&k, &par, p, 0);
    SP_F64_RUN(p, sp_f64_bwd_loop, sp_f64_bwd_loop, n, dy, x, dx, &k);
}


/* release 1.1: the bodies of sp_dbwd_f64_<isa> and sp_bbeta_f64_<isa>; both are 0 in the linear branch,
 * so every finite threshold is tested per lane */
SP_INLINE void sp_f64_dbwd_modes(size_t n, const double *g, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_par par;
    sp_f64_ctx k;
    sp_f64_ctx_init(&k, &par, p, 0);
    SP_F64_RUN_TF(p, p->threshold < INFINITY, sp_f64_dbwd_loop, sp_f64_dbwd_loop, n, g, x, out, &k);
}

SP_INLINE void sp_f64_bbeta_modes(size_t n, const double *dy, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_par par;
    sp_f64_ctx k;
    sp_f64_ctx_init(&k, &par, p, SP_F64_CTX_B2);
    SP_F64_RUN_TF(p, p->threshold < INFINITY, sp_f64_bbeta_loop, sp_f64_bbeta_loop, n, dy, x, out, &k);
}

/* release 1.1: the body of sp_inv_f64_<isa>; its threshold test (min(threshold, 40)) is always per lane */
SP_INLINE void sp_f64_inv_modes(size_t n, const double *y, double *x, const sp_params_f64 *p)
{
    sp_f64_par par;
    sp_f64_ctx k;
    sp_f64_ctx_init(&k, &par, p, SP_F64_CTX_RB | SP_F64_CTX_INV);
    SP_F64_RUN_TF(p, 0, sp_f64_inv_loop, sp_f64_inv_loop, n, y, x, &k);
}

/* the bodies split by size (kernels.h) */
SP_KERNEL_BY_SIZE_1(sp_f64_fwd, double, sp_params_f64)
SP_KERNEL_BY_SIZE_2(sp_f64_bwd, double, sp_params_f64)
SP_KERNEL_BY_SIZE_2(sp_f64_dbwd, double, sp_params_f64)
SP_KERNEL_BY_SIZE_2(sp_f64_bbeta, double, sp_params_f64)
SP_KERNEL_BY_SIZE_1(sp_f64_inv, double, sp_params_f64)

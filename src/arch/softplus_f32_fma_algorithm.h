/* softplus_f32_fma_algorithm.h -- the f32 FMA softplus algorithm, written once in per-ISA vector ops.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: x86/softplus_f32_avx2.c, x86/softplus_f32_avx512.c and arm/softplus_f32_neon.c
 * each include it once, after defining
 *   vf, vm                             the vector and lane-mask types;
 *   F ADD SUB MUL DIV FMA FMS FNMA MIN MAX ABS SIGN XOR IADD ISUB ISHL IAND SCALE LOOKUP_T LOOKUP_J GT
 *   LT NGE OR_MASK SELECT              the operations, each with the x86 semantics its file documents
 *   ZERO LOGB MANT RINT_BITS           (FMA family fused; DIV the IEEE quotient; IADD, ISUB, ISHL, IAND
 *                                      32-bit integer ops on the bits; RINT_BITS a float in [0, 2^31)
 *                                      to the nearest integer, ties to even, as the lane's bits;
 *                                      NGE true when unordered;
 *                                      MIN/MAX give b when unordered or equal;
 *                                      LOOKUP_x(i, tab) reads the static table tab, so each ISA keeps
 *                                      its table registers however suits it);
 *   SP_LOOP_W, SP_LOOP_BITS(m)         the lanes per vector and a mask's lanes as bits (the inverse
 *                                      skips the ranges no lane of a vector needs);
 * and the constants of softplus_f32_fma_constants.h. Because every kernel runs this one text, the
 * operations and their order are the same on every ISA, which is what makes the AVX2, AVX-512 and
 * NEON results bit-identical (tests/accuracy/test_fma_identity.c, tests/accuracy/test_digest.c).
 * Vector state lives in plain variables and out-parameters, never in structs, so the text also suits
 * sizeless vector types (SVE); the per-call constants are scalars, broadcast where used.
 *
 * Method. With z = fl(beta*x), zl = beta*x - z (one fma; nothing for beta = 1) and a = min(|z|, 40):
 *   1. t = exp(-a) = 2^-q 2^(-m/8) exp(-r): k = round(8a/ln2) = 8q + m, r = a - k ln2/8 (Cody-Waite,
 *      the first step exact; zl enters r, so exp sees the exact product to first order),
 *      |r| <= ln2/16; exp(-r) - 1 = s = -r + r^2 P(r); 2^(-m/8) = Th + Tl (8-entry table);
 *      Th + (Th s + Tl) is renormalised (Fast2Sum) and scaled by 2^-q into th + tl, |error| < 2^-29 t.
 *   2. log1p(t) from a table: j = round(15 th), c_j ~ 1/(1 + j/15) (16-entry table) and
 *      e + el = c_j (1 + t) - 1 exactly enough: p + pl = c th exactly (fma), e = p + (c - 1) exactly
 *      (Sterbenz: the bins and c_1 >= 15/16 guarantee it), el = c tl + pl; |e| <= 0.0334.
 *      log1p(t) = G_j + log1p(e + el) = G_j + e + (e^2 Q(e) + el), G_j = -log(c_j) a float within
 *      3e-4 ulp of the true value (c_j searched for that: Tang's trick).
 *   3. y = max(z,0) + G + e + w: G + e and max(z,0) + (G + e) (both >= 0, ordered with max/min) are
 *      added exactly (Fast2Sum), so y is one rounding of a sum good to about 2^-28 relative.
 *      beta != 1: y = sign(beta) (that sum + zl [z > 0]) / |beta|, the division a product by
 *      1/|beta| = ib + ibe, rounded once inside an fma.
 *   4. The deep lanes, z < -40 (a is clamped at SP_FWD_A_MAIN = 40, so that every intermediate above is
 *      normal), are redone after the block in vectors (sp_fwd_deep): y = t/beta = 2^-k T/beta, T from
 *      backward's table-free exponential, scaled back by integer operations only (an exponent add, or a
 *      conversion to an integer that is the subnormal's bit pattern). On Intel an instruction with a
 *      subnormal result takes a microcode assist (~70 ns); until December 2026 forward formed t down to
 *      2^-184 in the main path and ran 15-45x slower per element over x in [-105, -40] (Xeon with AVX-512;
 *      now 2.5x slower than x in [-20, 20] there, the deep path's own work).
 *   Backward has a method of its own (a sigmoid needs an exponential and one accurate quotient, not the
 *   log1p bins): w = exp(-v) = 2^-k T, v = z clamped to [-80, 20], k = round(v/ln2), T = exp(-r) = th + tl
 *   with no table, r = v - k ln2 carried as rh + rl (rh exact; one float r would cost 2^-26 of T) and
 *   exp(-rh) = 1 - rh + rh^2 EB(rh), EB by Estrin's scheme (pairs in rh, then two steps in rh^2: Horner's
 *   five fmas in a chain of three; on AMD Zen 5 this loop is bound by its dependency chains, not its
 *   pipes -- about 19 cycles per vector against ~11 of FMA-pipe work -- and the shorter chain made
 *   backward 0.91-0.96x the time with AVX-512, 0.95-0.96x with AVX2, the second derivative 0.94-0.97x,
 *   4K and 64K elements, alternated in one process, December 2026);
 *   W = 2^-k th by an integer add to th's exponent; then 1 + w = U + D
 *   (Fast2Sum on max(W, 1), min(W, 1), plus 2^-k tl), s0 = 1/U (one IEEE division), r = 1 - U s0 exactly
 *   (fma) and sigmoid = s0 + s0 (r - D s0), rounded once; dx = dy * sigmoid (one more rounding, none when
 *   dy = 1). Both signs of z take the same operations, the sigmoid never its complement: for z < 0, w is
 *   up to e^80 and the sigmoid 1/(1 + w) down to 2^-115.4, normal. Every intermediate of a lane with
 *   z >= -80 is normal, and so is dy s but for |dy| < 2^-10 (on Intel a subnormal result costs a ~70 ns
 *   microcode assist); the lanes below -80 take the deep path (sp_bwd_deep), whose scaling back is integer
 *   operations. With the clamp at -87 the main path's dy s for those lanes was subnormal for most |dy| < 1
 *   and cost an assist per vector (x in [-130, -120] ran at 4.7 ns per element, now 1.4). Until December
 *   2026 backward formed t = exp(-|z|) and N/(1 + t) with N = 1 or t (a second residual on the numerator, a
 *   select of it and of the scaling: 9 FMA-pipe operations after the division against 4 now, 0.85x the
 *   speed, 0.583 ULP).
 *   Every product is spelled MUL, which each ISA maps to something with the bits of a*b (on x86 an
 *   fma(a, b, -0): on AMD Zen 5 a multiply whose result is subnormal is several times slower and an
 *   fma is not; with vmulps, inputs in [-100, -90] ran at half speed). SCALE is exact scaling (ldexp):
 *   AVX-512's scalef, reproduced bit for bit by the AVX2 and NEON files from the exponent's bits (two
 *   products by 2^(64-q), an integer subtract on 2^64, and 2^-64; until December 2026 they converted the
 *   float exponent: floor, convert, add, shift), or, where no lane of a vector has t below the normal range,
 *   by an integer subtract and one product (sp_exp): forward 1.07x faster with AVX2, the same bits.
 * Polynomials and tables: tests/tools/softplus_f32_coeffs.sollya (fpminimax, float coefficients):
 *   P degree 2 on |r| <= ln2/16 + 2^-12, absolute error 2^-31.7; Q degree 3 on |e| <= 0.0356,
 *   relative error of log1p 2^-30.5; the tables 2^(-m/8) (float pairs) and c_j, G_j (Tang search)
 *   come from the same script; backward's EB degree 5 on |r| <= ln2/2 + 2^-12, absolute error 2^-33.1.
 * Accuracy (tests/accuracy/ulp_sweep, every one of the 2^32 inputs, reference in double; the AVX2,
 *   AVX-512 and NEON kernels return the same bits, so these figures are every one of them):
 *   beta   op   worst ULP  at x               got              want (both thresholds, inf and 20)
 *   1      fwd  0.781      -0x1.5e8858p+6    0x1.7c96e8p-127  0x1.7c96e4e07c2acp-127
 *   1      bwd  0.597      -0x1.25f68ap+4    0x1.687d26p-27   0x1.687d2731dbef2p-27
 *   0.5    fwd  0.769*     -0x1.61951p+7     0x1.631ep-127    0x1.631dfcecb9d54p-127
 *   0.5    bwd  0.597*     -0x1.f3e0eep+4    0x1.60f5ccp-23   0x1.60f5cd317f8ecp-23
 *   2      fwd  0.778*     -0x1.5c3b98p+5    0x1.522978p-127  0x1.52297b1d0de8dp-127
 *   2      bwd  0.597*     -0x1.f3e0eep+2    0x1.60f5ccp-23   0x1.60f5cd317f8ecp-23
 *   -1     fwd  0.768*     0x1.5e7066p+6     -0x1.85981p-127  -0x1.8598131222896p-127
 *   -1     bwd  0.597*     0x1.f3e0eep+3     0x1.60f5ccp-23   0x1.60f5cd317f8ecp-23
 *   7.3    fwd  0.776*     -0x1.76f244p+3    0x1.a91d18p-127  0x1.a91d1b1af4918p-127
 *   7.3    bwd  0.586*     -0x1.a9d4p+0      0x1.6579a4p-18   0x1.6579a52bcbf3fp-18
 *   * beta = 1 on all 2^32 inputs, the other betas on every 16th (the suite's ulp_sweep_f32_beta_* runs),
 *   since EB by Estrin (December 2026; Horner's rule before: beta 1 fwd 0.779, bwd 0.582 at -0x1.1ef744p+6,
 *   the others 0.761-0.772 and 0.575-0.577):
 *   backward's own method (December 2026; before it 0.785-0.799, in the underflow, as forward then) and
 *   forward's deep path (December 2026; before it 0.758-0.790, beta 1's worst at -0x1.5804c2p+6, a
 *   normal result whose subnormal tl had lost bits; 1e-5 and 3e4 now 0.759 and 0.760).
 *   Forward's worst cases are all subnormal results, rounded twice (to 24 bits, then to the grid);
 *   for results >= 2^-120 (beta = 1) the worst is 0.604 ULP forward (x = -0x1.c1e8cep+1, got
 *   0x1.e05188p-6 want 0x1.e0518935198c4p-6). Backward's sigmoid is one rounding of a value good to
 *   about 2^-27 relative everywhere (the float evaluation of rh^2 EB(rh)). Its results for z < -80 (a
 *   sigmoid subnormal or nearly) come from its deep path (sp_bwd_deep): every input below -87 at beta 1, 0.5, -1 and
 *   7.3 with dy = 1 (10^7 each) within 0.556 ULP (x = -0x1.5c0236p+6, got 0x1.65a726p-126), and with random dy (2^-149..2^73, 10^7 per
 *   beta) within 0.074 |dy| ulp'(s) + ulp(dx)/2 of the exact dy*s, the contract's form with B = 1.
 *   SP_MAX_ULP{,_BETA}_F32_{AVX2,AVX512,NEON} (src/kernels.h, enforced by the tests): 1.0.
 * Special values: lanes where z is not finite (NaN, +-inf, beta*x overflowing), forward's z < -40 and,
 *   backward, where dy is not finite or z < -80, are flagged in a mask and redone after each block
 *   (arch/softplus_f32_kernels.h, arch/softplus_loop.h): forward's finite z < -40 and backward's z < -80
 *   with |dy| <= 2^64 by their deep paths, in vectors; every other flagged lane by the reference scalar
 *   kernel. +-0, subnormal x and every other finite z take the fast path. Forward with |beta| outside
 *   [2^-20, 2^16] runs the scalar kernel (see sp_f32_fwd_vector_ok). The threshold rule comes last:
 *   fl(beta*x) > threshold returns x (or dy) unchanged.
 */

#include "arch/softplus_f32_masks.h" /* sp_nan_unless_finite */

static int sp_f32_bbeta_range_ok(float abs_beta)
{
    return abs_beta >= 0x1p-20f && abs_beta <= 0x1p+16f;
}

/* Per-call scalars, broadcast where used: ib + ibe = 1/|beta|, bsign = sign bit of beta. */
typedef struct sp_f32_k {
    float beta, ib, ibe, bsign, thr;
    float ib2, ib2e; /* 1/beta^2 = ib2 + ib2e, for the beta gradient (0 outside its vector range) */
} sp_f32_k;

/* The other ops leave ib2, ib2e at 0: their double division would cost each call its latency. */
static sp_f32_k sp_f32_make_k(const sp_params_f32 *p)
{
    sp_f32_k k;
    const float ab = fabsf(p->beta);
    const float ib = 1.0f / ab;
    /* 1/|beta| = ib*(1 + eps) + O(eps^2), eps = 1 - |beta|*ib exactly (one fma) */
    const float eps = fmaf(-ab, ib, 1.0f);
    k.beta = p->beta;
    k.ib = ib;
    k.ibe = eps * ib;
    k.bsign = copysignf(0.0f, p->beta);
    k.thr = p->threshold;
    k.ib2 = k.ib2e = 0.0f;
    return k;
}

/* sp_f32_make_k and 1/beta^2 in double (beta^2 exact there) split into two floats: only used for |beta|
 * in [2^-20, 2^16], where both are normal */
static sp_f32_k sp_f32_make_k_bbeta(const sp_params_f32 *p)
{
    sp_f32_k k = sp_f32_make_k(p);
    const float ab = fabsf(p->beta);
    const double ib2 = sp_f32_bbeta_range_ok(ab) ? 1.0 / ((double)ab * (double)ab) : 0.0;
    k.ib2 = (float)ib2;
    k.ib2e = (float)(ib2 - (double)k.ib2);
    return k;
}

/* Forward with |beta| outside [2^-20, 2^16] goes to the reference kernel: below, exp(-128)/beta (the
 * clamp of |z|) would no longer round to 0; above, t/beta can be subnormal where t is not scaled
 * (z >= -64), and the small terms of the sum would lose bits to underflow. Backward takes any
 * finite beta: it does not divide by it. */
static int sp_f32_fwd_vector_ok(const sp_params_f32 *p)
{
    const float m = fabsf(p->beta);
    return m >= 0x1p-20f && m <= 0x1p+16f;
}

/* The two stages of each op, in the argument order of arch/softplus_loop.h (context, mode = unit,
 * the op's inputs, then the vectors stage 1 hands to stage 2). Stage 1 is t = exp(-|beta*x|): forward
 * th + tl (scaled), backward th, tl and the scale 2^-k apart; stage 2 is the rest. Splitting forward
 * there rather than after the bins (j, e, el) measured 1-10% faster on Zen 5, and it leaves two vectors
 * per input vector in the block buffers, as in the f64 kernels. z = fl(beta*x) and what
 * follows from it are recomputed in stage 2 rather than carried: the same operations on the same
 * input, so the same bits. */
#define SP_FWD_NBUF 2
#define SP_BWD_NBUF 3

/* t = exp(-a) = th + tl, a = |z| clamped to [a_min, a_max], from z = fl(beta*x) and zl = beta*x - z (zero
 * for beta = 1). Forward clamps at SP_FWD_A_MAIN (its lanes beyond are deep, redone by sp_fwd_deep), so that t
 * and every intermediate stay normal; the beta gradient and the inverse at 70 (their lanes beyond are special
 * or linear). a_min > 0 (the inverse: it reads t only for z >= 1) keeps r^2 normal: for |z| below 2^-63 it is
 * subnormal, a microcode assist on Intel (forward and the beta gradient keep that cost for |x| in [2^-75,
 * 2^-63], rather than one more operation on every vector). */
SP_INLINE void sp_exp(vf z, vf zl, int unit, float a_min, float a_max, vf *th, vf *tl)
{
    const vf a = a_min > 0.0f ? MIN(MAX(ABS(z), F(a_min)), F(a_max)) : MIN(ABS(z), F(a_max));
    /* a = k ln2/8 + r with k = 8q + m, exp(-a) = 2^-q * 2^(-m/8) * exp(-r), |r| <= ln2/16 */
    const vf kshift = FMA(a, F(SP_INV_LN2_8), F(SP_KSHIFT));
    const vf kf = SUB(kshift, F(SP_KSHIFT));
    /* 2^-q for SCALE, twice (each ISA reads the form it needs, the other is dead code): -q = floor((7 - k)/8)
     * as a float (scalef takes the floor of its exponent), and the bits q << 23 (kshift's bits are
     * 0x4b400000 + k, a multiple of 2^12 plus k < 2^12: clear m, shift) */
    const vf nq = FMA(kf, F(-0.125f), F(0.875f));
    const vf qe = ISHL(IAND(kshift, 0xfffffff8u), 20);
    const vf Th = LOOKUP_T(kshift, sp_t_hi);
    const vf Tl = LOOKUP_T(kshift, sp_t_lo);
    const vf r1 = FNMA(kf, F(SP_LN2_8_HI), a); /* exact */
    /* |beta*x| = |z| + al, the product's rounding error entering r (clamped: it can be huge only
     * where |z| > a_max and t is not used) */
    const vf rz = unit ? r1 : ADD(r1, XOR(MAX(MIN(zl, F(0x1p-16f)), F(-0x1p-16f)), SIGN(z)));
    const vf r = FNMA(kf, F(SP_LN2_8_LO), rz);
    const vf r2 = MUL(r, r);
    const vf P = FMA(FMA(F(SP_P2), r, F(SP_P1)), r, F(SP_P0));
    const vf s = FMS(r2, P, r);      /* exp(-r) - 1, |s| < 0.045 */
    const vf u = FMA(Th, s, Tl);     /* 2^(-m/8) exp(-r) = Th + u */
    const vf h = ADD(Th, u);
    const vf l = ADD(SUB(Th, h), u); /* Fast2Sum: |Th| > |u| */
#ifndef SP_SCALE_NATIVE
    /* Where SCALE is built from products (AVX2, NEON) and no lane of the vector has t below the normal range
     * (a <= SP_A_NORMAL: t >= e^-87 > 2^-125.6; always so for forward's clamp), th = 2^-q h is an integer
     * subtract on h's exponent field and tl = l 2^-q one product by a normal 2^-q, rounded once as SCALE
     * rounds it: the same bits, three products fewer. The branch depends on a alone and resolves early. */
    if (a_max <= SP_A_NORMAL || !SP_LOOP_BITS(GT(a, F(SP_A_NORMAL)))) {
        *th = ISUB(h, qe);
        *tl = MUL(l, ISUB(F(1.0f), qe));
        return;
    }
#endif
    *th = SCALE(h, nq, qe);
    *tl = SCALE(l, nq, qe);
}

/* The bin of t = th + tl: j = round(15 th) (in the low mantissa bits) with c = c_j, and
 * e + el = c*(1 + t) - 1, |e| <= 0.0356, with p + el = c*t. */
SP_INLINE void sp_bin(vf th, vf tl, vf *pj, vf *pc, vf *pe, vf *pel, vf *pp)
{
    const vf j = FMA(th, F(15.0f), F(SP_JSHIFT));
    const vf c = LOOKUP_J(j, sp_c_table);
    const vf p = MUL(c, th);
    const vf pl = FMS(c, th, p);               /* c*th = p + pl exactly */
    *pe = ADD(p, SUB(c, F(1.0f)));             /* exact: Sterbenz, given the bins */
    *pel = FMA(c, tl, pl);
    *pj = j;
    *pc = c;
    *pp = p;
}

/* z = fl(beta*x) and zl = beta*x - z */
SP_INLINE void sp_fwd_z(vf x, const sp_f32_k *k, int unit, vf *z, vf *zl)
{
    *z = unit ? x : MUL(F(k->beta), x);
    *zl = unit ? ZERO() : FMS(F(k->beta), x, *z);
}

SP_INLINE void sp_fwd_front(const sp_f32_k *k, int unit, vf x, vf *th, vf *tl)
{
    vf z, zl;
    sp_fwd_z(x, k, unit, &z, &zl);
    sp_exp(z, zl, unit, 0.0f, SP_FWD_A_MAIN, th, tl);
}

/* Forward and backward run a third loop for beta = 1 and a threshold at or above these (the defaults among
 * them), unit = 2 (arch/softplus_f32_kernels.h), which leaves out the threshold rule's compare and select:
 * the arithmetic already returns x resp. dy there. Forward, x > 16: log1p(t) <= e^-16 = 2^-23.08, below
 * half an ulp of x (2^-20), so U = x + S rounds to x and y = U + small to x again; backward, x > 18: the
 * clamped v >= 18 gives w <= e^-18 < 2^-25.9, so U = 1, s0 = 1 and s = s0 + s0 (r - D s0) rounds to 1, and
 * dy * 1 is dy. Special lanes (NaN, infinities) are flagged in every mode. */
#define SP_FWD_THRESHOLD_FREE 16.0f
#define SP_BWD_THRESHOLD_FREE 18.0f

/* y = softplus(x) from t; *special flags the lanes (NaN, +-inf, beta*x overflowing) that the scalar
 * reference must redo. */
SP_INLINE vf sp_fwd_finish(const sp_f32_k *k, int unit, vf x, vf th, vf tl, vm *special)
{
    vf z, zl, j, c, e, el, p; /* c, p: not needed forward */
    sp_fwd_z(x, k, unit, &z, &zl);
    /* the deep lanes (z < -SP_FWD_A_MAIN: their t was clamped) and z = -inf, NaN or +inf */
    *special = NGE(z, sp_nan_unless_finite(z, -SP_FWD_A_MAIN));
    sp_bin(th, tl, &j, &c, &e, &el, &p);
    const vf G = LOOKUP_J(j, sp_g_table);
    const vf e2 = MUL(e, e);
    const vf Q = FMA(FMA(F(SP_Q3), e, F(SP_Q2)), e2, FMA(F(SP_Q1), e, F(SP_Q0)));
    const vf w = FMA(e2, Q, el);
    /* log1p(t) = G + e + w with G + e = S + Sl exactly (|G| > |e|, or G = 0) */
    const vf S = ADD(G, e);
    const vf Sl = ADD(SUB(G, S), e);
    /* max(z,0) + S: both >= 0, added exactly by ordering them (Fast2Sum) */
    const vf zp = MAX(z, ZERO());
    const vf hi = MAX(zp, S);
    const vf lo = MIN(zp, S);
    const vf U = ADD(hi, lo);
    const vf Ul = SUB(lo, SUB(U, hi));
    const vf small = ADD(ADD(Ul, Sl), w);
    vf y;
    if (unit) {
        y = ADD(U, small); /* the one rounding that matters */
    } else {
        /* y = (beta*x [z > 0] + log1p(t))/beta = sign(beta) (U + small + zl [z > 0]) (ib + ibe),
         * ib + ibe = 1/|beta|: the large product U*ib rounded once inside the fma, and a zero result
         * gets the sign of beta from the final xor */
        const vf ib = F(k->ib);
        const vf sm = ADD(small, SELECT(GT(z, ZERO()), zl, ZERO()));
        y = XOR(FMA(U, ib, FMA(U, F(k->ibe), MUL(sm, ib))), F(k->bsign));
    }
    return unit == 2 ? y : SELECT(GT(z, F(k->thr)), x, y);
}

/* c0 + c1 x + ... + c5 x^5 by Estrin's scheme, x2 = x*x the caller's: Horner's five fmas in a chain of three
 * (pairs in x, then two steps in x2). On Zen 5 the strict loops wait on their chains, not their pipes: backward's
 * exponential and the inverse's middle range measured 0.91-0.98x the time this way (December 2026). */
SP_INLINE vf sp_estrin5(vf x, vf x2, float c0, float c1, float c2, float c3, float c4, float c5)
{
    const vf p45 = FMA(F(c5), x, F(c4));
    const vf p23 = FMA(F(c3), x, F(c2));
    const vf p01 = FMA(F(c1), x, F(c0));
    return FMA(FMA(p45, x2, p23), x2, p01);
}

/* Backward has an algorithm of its own: a sigmoid needs an exponential and one accurate quotient, not
 * forward's log1p bins. The exponential, with no table: exp(-(a + al)) = 2^-k (th + tl), k = round(a/ln2),
 * a + al = k ln2 + rh + rl (rh = a - k ln2_hi exact, rl = -k ln2_lo + al: r carried as a pair, since one
 * float r would cost 2^-26 of the result), exp(-rh) = 1 - rh + rh^2 EB(rh), 1 - rh = h + l0 exactly
 * (Fast2Sum), exp(-rh) = th + tl (Fast2Sum), exp(-r) = (th + tl)(1 - rl) to 2^-34, the product's small part
 * folded into tl; and 2^-k as a float. Backward takes a = z clamped to [-80, 20] (w = exp(-z), the sigmoid
 * 1/(1 + w)), the second derivative a = min(|z|, 87) and the deep lanes |z| clamped to [80, 150] (backward)
 * or [40, 128] (forward) (t = exp(-|z|)); a and al are the caller's (al: the product's rounding error,
 * |al| <= 2^-16, beta != 1 only). kd holds -k in its low mantissa bits. The result itself is never formed
 * by these: every intermediate of a lane the fast path keeps stays normal (on Intel a subnormal result costs
 * a ~70 ns microcode assist). */
SP_INLINE vf sp_sig_exp(int unit, vf a, vf al, vf *pth, vf *ptl)
{
    /* kd holds -k in its low mantissa bits; kf = -k */
    const vf kd = FMA(a, F(-SP_INV_LN2), F(SP_KSHIFT));
    const vf kf = SUB(kd, F(SP_KSHIFT));
    const vf rh = FMA(kf, F(SP_LN2_HI), a); /* exact: |rh| <= ln2/2 on a grid of 2^-24 */
    vf rl = MUL(kf, F(SP_LN2_LO));
    if (!unit)
        rl = ADD(rl, al);
    const vf r2 = MUL(rh, rh);
    const vf EB = sp_estrin5(rh, r2, SP_EB0, SP_EB1, SP_EB2, SP_EB3, SP_EB4, SP_EB5);
    const vf h = SUB(F(1.0f), rh);
    const vf l0 = SUB(SUB(F(1.0f), h), rh);  /* 1 - rh = h + l0 exactly */
    const vf l = FMA(r2, EB, l0); /* exp(-rh) = h + l, |l| < 0.07 */
    const vf th = ADD(h, l);
    *pth = th;
    *ptl = FNMA(rl, th, ADD(SUB(h, th), l)); /* |tl| < 2^-15 th: small beside th, all that matters */
    return kd;
}

/* zl = beta*x - z clamped to 2^-16 (large only where |z| is clamped and exp's result is irrelevant) */
SP_INLINE vf sp_sig_zl(const sp_f32_k *k, vf x, vf z)
{
    return MAX(MIN(FMS(F(k->beta), x, z), F(0x1p-16f)), F(-0x1p-16f));
}

/* al with |beta*x| = |z| + al: zl with the sign of z (zero for beta = 1) */
SP_INLINE vf sp_sig_al(const sp_f32_k *k, int unit, vf x, vf z)
{
    return unit ? ZERO() : XOR(sp_sig_zl(k, x, z), SIGN(z));
}

/* t = exp(-min(|z|, a_max)) = 2^-k (th + tl), symmetric in z (the second derivative, the deep lanes) */
SP_INLINE vf sp_sig_exp_abs(const sp_f32_k *k, int unit, vf x, vf z, float a_max, vf *pth, vf *ptl)
{
    const vf al = sp_sig_al(k, unit, x, z);
    return sp_sig_exp(unit, MIN(ABS(z), F(a_max)), al, pth, ptl);
}

/* Backward's stage 1: w = exp(-v) = W + pk tl with W = pk th, v = z clamped to [-80, 20] (below, the lane
 * is special; above, the sigmoid rounds to 1 either way): k in [-115, 29], so pk = 2^-k and W are normal
 * (W is th with -k added to its exponent field). */
SP_INLINE void sp_bwd_front(const sp_f32_k *k, int unit, vf dy, vf x, vf *pW, vf *ptl, vf *ppk)
{
    (void)dy;
    const vf z = unit ? x : MUL(F(k->beta), x);
    const vf v = MIN(MAX(z, F(SP_Z_BWD_DEEP)), F(SP_Z_SIGMOID_ONE));
    vf th;
    const vf kd = sp_sig_exp(unit, v, unit ? ZERO() : sp_sig_zl(k, x, z), &th, ptl);
    const vf e = ISHL(kd, 23);
    *pW = IADD(th, e);
    *ppk = IADD(e, F(1.0f));
}

/* dx = dy * sigmoid(beta*x) = dy / (1 + w) from w = W + pk tl; *special flags the lanes the careful path must
 * redo (the deep path, sp_bwd_deep, or the scalar reference): z below SP_Z_BWD_DEEP or NaN (below -87 s
 * is subnormal and dy*s would carry its lost bits into dx for any dy that scales it up; both careful
 * paths round the product once), and an infinite or NaN dy (inf times an underflowed sigmoid must not
 * become NaN). z = +inf (x = +inf, or beta*x overflowing) gives s = 1 here, as there.
 * 1 + w = U + D: U = 1 + W rounded, its error by Fast2Sum on max(W, 1) and min(W, 1), and pk tl (D is
 * good to 2^-48 U); s0 = 1/U (one division), the residual r = 1 - U s0 exactly (fma), and
 * s = s0 + s0 (r - D s0) = 1/(U + D) to about 2^-46: one rounding of a sigmoid as good as w (2^-27). The
 * sigmoid is never formed from its complement, so z < 0 needs no second numerator: s is normal for
 * z >= -80. */
SP_INLINE vf sp_bwd_finish(const sp_f32_k *k, int unit, vf dy, vf x, vf W, vf tl, vf pk, vm *special)
{
    const vf z = unit ? x : MUL(F(k->beta), x);
    *special = NGE(z, sp_nan_unless_finite(dy, SP_Z_BWD_DEEP));
    const vf one = F(1.0f);
    const vf hi = MAX(W, one);
    const vf lo = MIN(W, one);
    const vf U = ADD(hi, lo);
    const vf D = FMA(tl, pk, ADD(SUB(hi, U), lo));
    const vf s0 = DIV(one, U);
    const vf r = FNMA(U, s0, one);
    const vf s = FMA(s0, FNMA(D, s0, r), s0);
    return unit == 2 ? MUL(dy, s) : SELECT(GT(z, F(k->thr)), dy, MUL(dy, s));
}

/* |m| t rounded once onto the format, t = e^-(a + al): the deep paths' product (backward's dy s, the second
 * derivative's g beta d, the beta gradient's dy (a + 1) t/beta^2). t = 2^-k (th + tl) comes from backward's own exp;
 * the caller holds a within [40, 150] on every lane, deep or not (k in [58, 217]), so that 2^(175 - k) and the
 * products below are normal on the lanes it discards too (unclamped, their garbage had subnormal results: on Intel an
 * assist each, 6.5 ns per element where a tenth of backward's lanes were +-[64, 128] among [-20, 20]). S1 = (th + tl)
 * 2^(175 - k) (normal: 175 - k in [-42, 117]) as a renormalised pair, |m| = am + aml (aml = 0 unless pair, |aml| <=
 * ulp(am)/2; |m| S1 < 2^128 is the caller's bound), and |m| t = |m| S1 2^-175 rounded once onto the format: where |m|
 * S1 >= 2^49 (a normal result) by the product's own rounding, below it onto the multiples of 2^26, the subnormal grid
 * scaled: one fma with 2^49 rounds am S1h (the sum stays in [2^49, 2^50], spaced 2^26), and the residual with the low
 * parts moves it by one step where it crosses half of one. The scaling back is exact and, like everything here, makes
 * no subnormal intermediate: below 2^49 q is a multiple of 2^26 and q 2^-26 (at most 2^23) is the subnormal's bit
 * pattern; above, an integer subtract on q's exponent field. So the result is |m| times a t good to 2^-33, rounded
 * once (a residual within 2^-24 of half a step aside). *pP gets |m| S1, for a caller whose bound on |m| S1 is per
 * lane. */
SP_INLINE vf sp_deep_product(int unit, vf a, vf al, vf am, vf aml, int pair, vf *pP)
{
    vf th, tl;
    const vf kd = sp_sig_exp(unit, a, al, &th, &tl);
    /* t 2^(175 - k) = S1h + S1l, renormalised (Fast2Sum) so that |S1l| <= ulp(S1h)/2; the scaling is exact */
    const vf Sh = ADD(th, tl);
    const vf p2 = IADD(ISHL(kd, 23), F(SP_DEEP_POW2_BITS));
    const vf S1h = MUL(Sh, p2);
    const vf S1l = MUL(ADD(SUB(th, Sh), tl), p2);
    const vf lo = pair ? FMA(aml, S1h, MUL(am, S1l)) : MUL(am, S1l);
    const vf P = FMA(am, S1h, lo); /* |m| S1, one rounding */
    *pP = P;
    /* below 2^49: am S1h onto the grid (q0), then what q0 left out, am S1h - q0 + the low parts (to 2^-24;
     * |R| < one step), moves q0 by one step where it exceeds half of one */
    const vf q0 = SUB(FMA(am, S1h, F(SP_DEEP_GRID_BASE)), F(SP_DEEP_GRID_BASE));
    const vf R0 = FMA(am, S1l, FMS(am, S1h, q0));
    const vf R = pair ? FMA(aml, S1h, R0) : R0;
    const float half = 0.5f * SP_DEEP_GRID_STEP;
    const vf step = SELECT(GT(R, F(half)), F(SP_DEEP_GRID_STEP),
                           SELECT(LT(R, F(-half)), F(-SP_DEEP_GRID_STEP), ZERO()));
    const vm sub = LT(P, F(SP_DEEP_GRID_BASE));
    const vf q = SELECT(sub, ADD(q0, step), P);
    return SELECT(sub, RINT_BITS(MUL(MIN(q, F(SP_DEEP_GRID_BASE)), F(0x1p-26f))), ISUB(q, F(SP_DEEP_UNSCALE_BITS)));
}

/* Backward's deep lanes, redone after the block (arch/softplus_f32_kernels.h) instead of by the scalar
 * reference: z = fl(beta*x) < -80 (finite, or -inf) with |dy| <= 2^64, the lanes whose sigmoid is subnormal
 * or nearly. There s = t/(1+t) = t (1 - t) with t < 2^-115.4, so s is t itself to 2^-115, and dx = dy t
 * rounded once by sp_deep_product with |z| clamped at 150 (|dy| S1 < 2^124). Lanes where fl(beta*x) >
 * threshold get dy. *deep gets the lanes this applies to (the others -- NaN, infinite or huge dy, NaN z --
 * stay with the scalar reference). */
#define SP_DEEP_PATHS 1 /* arch/softplus_f32_kernels.h: the ops below have vector deep paths */
#define SP_BWD_DEEP sp_bwd_deep
SP_INLINE vf sp_bwd_deep(const sp_f32_k *k, int unit, vf dy, vf x, vm *deep)
{
    const vf z = unit ? x : MUL(F(k->beta), x);
    /* z < -80 where |dy| <= 2^64 (z replaced by 0 elsewhere: NaN and huge dy are not deep) */
    *deep = LT(SELECT(NGE(F(SP_DEEP_DY_MAX), ABS(dy)), ZERO(), z), F(SP_Z_BWD_DEEP));
    const vf al = sp_sig_al(k, unit, x, z);
    const vf a = MAX(MIN(ABS(z), F(SP_DEEP_A_MAX)), F(-SP_Z_BWD_DEEP));
    vf P;
    const vf dxa = sp_deep_product(unit, a, al, ABS(dy), ZERO(), 0, &P);
    return SELECT(GT(z, F(k->thr)), dy, XOR(dxa, SIGN(dy)));
}

/* Forward's deep lanes, redone after the block (arch/softplus_f32_kernels.h) as backward's are: z = fl(beta*x)
 * < -SP_FWD_A_MAIN, finite. There log1p(t) = t (1 - t/2 + ...) with t = e^z < 2^-57, so y = t/beta to 2^-58,
 * and t = 2^-k (th + tl) comes from backward's exponential (no table) with |z| clamped at SP_A_MAX (k <= 185:
 * below e^-128 2^20 every result rounds to 0). Y = (th + tl)/|beta| (the product by ib + ibe, rounded once;
 * Y in [2^-17, 2^21]) and y = Y 2^-k with no subnormal intermediate: where y is normal, by an integer add
 * on Y's exponent field; where it is subnormal, P = Y 2^(149 - k) (exact, below 2^23) rounded to the
 * nearest integer, ties to even, is the subnormal's bit pattern (2^23: the smallest normal's). A subnormal
 * result is so rounded twice (Y to 24 bits, then to the grid): within 0.75 ULP plus Y's error. Every
 * lane's a is held in [SP_FWD_A_MAIN, SP_A_MAX], so k stays in [58, 185] and 2^(149 - k) normal. Lanes where
 * fl(beta*x) > threshold get x. (On Intel an instruction with a subnormal result takes a microcode assist,
 * ~70 ns: with t formed unclamped in the main path down to 2^-184, as until December 2026, forward ran 15-45x
 * slower per element for x in [-105, -40] on a Xeon with AVX-512.) *deep gets the lanes this applies to. */
#define SP_FWD_DEEP sp_fwd_deep
SP_INLINE vf sp_fwd_deep(const sp_f32_k *k, int unit, vf x, vm *deep)
{
    vf th, tl;
    const vf z = unit ? x : MUL(F(k->beta), x);
    *deep = LT(z, sp_nan_unless_finite(z, -SP_FWD_A_MAIN)); /* finite z below -40 */
    const vf al = sp_sig_al(k, unit, x, z);
    const vf kd = sp_sig_exp(unit, MAX(MIN(ABS(z), F(SP_A_MAX)), F(SP_FWD_A_MAIN)), al, &th, &tl);
    const vf Y = unit ? ADD(th, tl) : FMA(th, F(k->ib), FMA(th, F(k->ibe), MUL(tl, F(k->ib))));
    const vf e = ISHL(kd, 23);                                  /* -k in the exponent field */
    const vf P = MUL(Y, IADD(e, F(SP_FWD_DEEP_POW2_BITS)));     /* Y 2^(149 - k), exact */
    const vf grid = F(0x1p23f);
    const vf y = SELECT(LT(P, grid), RINT_BITS(MIN(P, grid)), IADD(Y, e));
    return SELECT(GT(z, F(k->thr)), x, XOR(y, F(k->bsign)));
}

/* ---- release 1.1: the second derivative and the beta gradient --------------------------------------
 *   second derivative  backward's exponential of |z| (sp_sig_exp_abs: t = pk (th + tl), no table) and one
 *                      quotient (sp_dbwd_finish): d = t/(1+t)^2 = pk T/u^2, symmetric in z, with u = 1 + t =
 *                      U + D, u^2 = Vh + Vl, q = 1/Vh (one division), T/u^2 = d0 + rr q, d0 = th q and
 *                      rr = T - d0 u^2 (fmas); one rounding, then the exact scaling by pk (d >= e^-70/4 is
 *                      normal where the lane is not special); beta d = fma(beta, d0 pk, beta (rr q pk)).
 *                      Before December 2026 it took forward's exp and the log1p bins with the R polynomial
 *                      below (0.716 ULP at x = 0x1.b525e4p+1 on every 256th input), then backward's former
 *                      quotient refined twice (the same worst case as now).
 *   beta gradient      forward's stage 1 (sp_exp) and the bins of sp_bin, so that with 1 + rho = 1/(1 + e + el)
 *                      (the R polynomial): h = softplus(z) - z s(z) = a s(-a) + log1p(t), a = |z| (+ al, the
 *                      product's rounding error, for beta != 1), both terms >= 0: s(-a) = p + (p rho + el),
 *                      log1p(t) = G + e + w as forward's; a p = ap + apl exactly (fma), ap + (G + e) ordered
 *                      (Fast2Sum) into U + Ul, and h = U + (Ul + Sl + w + apl + a (p rho + el) [+ al p]);
 *                      dbeta = -dy h / beta^2 with 1/beta^2 = ib2 + ib2e (a float pair, from double at the
 *                      call's start), U ib2 rounded once inside the fma.
 * The multiplier (g, dy) comes last, one rounding: the contract "multiplier times the unit result rounded
 * once" of include/softplus.h. Lanes that the vector code cannot carry to full precision are special
 * (sp_new_op_special): non-finite z or multiplier, |z| beyond the main path's clamp outside the linear branch
 * (70 for the second derivative: forward's tl, ~2^-24 t, is subnormal beyond it; 40 for the beta gradient: its
 * e^2 and p rho, ~t^2, beyond 43.6), which the deep paths (sp_dbwd_deep, sp_bbeta_deep) take in vectors where
 * their multiplier allows it, and for beta != 1 a result below 2^-120 (the small terms would lose bits to
 * underflow); the rest go to the scalar reference. The beta gradient needs |beta| in [2^-20, 2^16] for ib2,
 * ib2e to be normal (else the scalar kernel runs the whole call, sp_f32_bbeta_vector_ok); the second derivative
 * takes any
 * finite beta.
 * Accuracy (tests/accuracy/ulp_sweep against the reference of tests/ulp.c, unit multiplier, thresholds inf
 * and 20; AVX2 = AVX-512 bits, NEON = the same digests under qemu; beta 1 on all 2^32 inputs, the other betas
 * on every 16th bit pattern, the suite's sweeps (every 256th before the change below)):
 *   beta   op     worst ULP  at x              got              want
 *   1      dbwd   0.598      0x1.fcef82p+2    0x1.70c04p-12    0x1.70c03ece0c1dcp-12 (and -x: symmetric)
 *   1      bbeta  0.636      0x1.cb3436p+1    -0x1.fb628cp-4   -0x1.fb628d4593476p-4 (all 2^32, threshold inf)
 *   7.3    dbwd   0.585      0x1.bb13dcp+1    0x1.54a074p-34   0x1.54a072d43bbf4p-34 (every 16th input)
 *   7.3    bbeta  0.635      0x1.f13488p-3    -0x1.fda0eap-8   -0x1.fda0e8badb0dcp-8 (every 16th input)
 *   Since EB by Estrin (December 2026), from ulp_sweep; before, beta 1 dbwd 0.583 at -0x1.49b16p+5, and on
 *   every 256th input 7.3's dbwd 0.559 and bbeta 0.594.
 *   (0.5, 2, -1, every 16th input: dbwd 0.585, bbeta 0.614, the beta = 1 inputs scaled; at these betas z and
 *   1/beta^2 are exact, so the beta gradient's result is the beta = 1 one scaled exactly and its worst over
 *   all inputs is beta 1's 0.636 at x = 0x1.cb3436p+1 / beta.) The second derivative's worst is backward's,
 *   the same quotient at the same input. The beta gradient's full sweep (December 2026, 518 s on 2 threads):
 *   1952356 of the 2^32 results over 0.5 ULP with threshold inf; with threshold 20 (every 16th input of the
 *   blocks far below it) 0.607 at x = 0x1.cb2b2p+1. With |z| > 87 instead of 70 sent to the scalar kernel the
 *   beta gradient measured 0.986 (tl subnormal). Since its deep path (December 2026; every 16th input):
 *   beta 1 / 7.3 / -1 / 0.5 / 1e-5 / 3e4 worst 0.614 / 0.635 / 0.614 / 0.614 / 0.617 / 0.628 ULP, all in
 *   the main path (the deep path rounds an accurate product once). The bound SP_MAX_ULP_*_F32_{AVX2,AVX512,
 *   NEON} = 1.0.
 * Speed: see the inverse's note below.
 */
#define SP_BBETA_NBUF 2
#define SP_Z_TINY_T 0x1.18p+6f    /* 70: beyond it (outside the linear branch) tl, ~2^-24 t, is subnormal */
#define SP_UNIT_TINY 0x1p-120f    /* unit results below this lose bits in the small terms' underflow */
/* The beta gradient's main path clamps |z| here: t >= e^-40 > 2^-57.8, so e^2 and p rho (~t^2) stay normal;
 * beyond, its lanes are deep (sp_bbeta_deep) or linear */
#define SP_BBETA_A_MAIN 0x1.4p+5f /* 40 */

/* Lanes the careful paths must redo (the deep path, the scalar reference): z or the multiplier not finite,
 * |z| > a_main (70 for the second derivative, 40 for the beta gradient) outside the linear branch (where the
 * result is +0 whatever they are), and, beta != 1, a result below 2^-120. min(threshold, z) is z outside the
 * linear branch (NaN included: MIN gives its second operand when unordered) and the threshold inside it, so
 * with |threshold| <= a_main (the default 20) no lane of the linear branch is special, z = +inf included; a
 * threshold beyond only sends more lanes to the careful paths, which give the same +0 there. With beta = 1
 * no result of a lane with |z| <= 70 is below 2^-120 (both ops are at least e^-70/4 > 2^-103 there), so the
 * unit loop leaves that test out. */
SP_INLINE vm sp_new_op_special(const sp_f32_k *k, int unit, vf m, vf z, vf unit_value, float a_main)
{
    const vm special = NGE(sp_nan_unless_finite(m, a_main), ABS(MIN(F(k->thr), z))); /* !(|.| <= a_main) */
    if (unit)
        return special;
    return OR_MASK(special, LT(ABS(SELECT(GT(z, F(k->thr)), F(1.0f), unit_value)), F(SP_UNIT_TINY)));
}

/* t = exp(-|beta*x|) = th + tl by forward's exp, |beta*x| clamped to [a_min, a_max] (the beta gradient's and
 * the inverse's stage 1; beyond a_max their lanes are special or linear) */
SP_INLINE void sp_sig_front(const sp_f32_k *k, int unit, float a_min, float a_max, vf x, vf *th, vf *tl)
{
    const vf z = unit ? x : MUL(F(k->beta), x);
    const vf zl = unit ? ZERO() : FMS(F(k->beta), x, z);
    sp_exp(z, zl, unit, a_min, a_max, th, tl);
}

/* The second derivative: t = 2^-k T = 2^-k (th + tl) by backward's exponential of |z| (no table); u = 1 + t =
 * U + D (Fast2Sum, t <= 1, plus 2^-k tl), u^2 = Vh + Vl (the square's error by fma, and 2 U D), q = 1/Vh (one
 * division), d/2^-k = T/u^2 = d0 + rr q with d0 = th q and the residual rr = T - d0 u^2 (fmas, exact to ~2^-47
 * of d0); rounded once and scaled exactly by an exponent add (d >= e^-70/4 > 2^-103 is normal wherever the
 * lane is not special). Stage 1 hands over th, tl and kd's exponent increment (-k << 23). Until December 2026
 * the quotient was backward's N/u refined a second time (13 FMA-pipe operations after stage 1 against 9).
 * |z| is clamped at 70, where the lanes beyond are deep (sp_dbwd_deep) or linear. */
#define SP_DBWD_NBUF 3

SP_INLINE void sp_dbwd_front(const sp_f32_k *k, int unit, vf g, vf x, vf *th, vf *tl, vf *pe)
{
    (void)g;
    const vf z = unit ? x : MUL(F(k->beta), x);
    *pe = ISHL(sp_sig_exp_abs(k, unit, x, z, SP_Z_TINY_T, th, tl), 23); /* beyond 70: deep or linear */
}

SP_INLINE vf sp_dbwd_finish(const sp_f32_k *k, int unit, vf g, vf x, vf th, vf tl, vf e, vm *special)
{
    const vf z = unit ? x : MUL(F(k->beta), x);
    const vf one = F(1.0f);
    const vf t = IADD(th, e);   /* 2^-k th, exactly */
    const vf pk = IADD(e, one); /* 2^-k */
    const vf U = ADD(one, t);
    const vf D = FMA(tl, pk, ADD(SUB(one, U), t));
    const vf Vh = MUL(U, U);
    const vf Vl = FMA(ADD(U, U), D, FMS(U, U, Vh));
    const vf q = DIV(one, Vh);
    const vf d0 = MUL(th, q);
    const vf rr = FNMA(d0, Vl, ADD(FNMA(d0, Vh, th), tl));
    vf u;
    if (unit) {
        u = IADD(FMA(rr, q, d0), e);
    } else {
        const vf beta = F(k->beta);
        /* scaled by pk before beta multiplies: beta (d0 + rr q) first overflows for |beta| near FLT_MAX (the
         * fuzzer's finding, tests/fuzz/test_fuzz_findings.c); the small term rr q pk is subnormal from |z| ~ 55 on
         * with beta != 1 (a microcode assist on Intel, bits below the result's last) */
        u = FMA(beta, MUL(d0, pk), MUL(beta, MUL(MUL(rr, q), pk)));
    }
    *special = sp_new_op_special(k, unit, g, z, u, SP_Z_TINY_T);
    return SELECT(GT(z, F(k->thr)), ZERO(), MUL(g, u));
}

/* The second derivative's deep lanes, redone after the block (arch/softplus_f32_kernels.h) as backward's
 * instead of by the scalar reference: 70 < |z| < inf outside the linear branch, with |g beta| <= 2^52. There
 * d = t/(1+t)^2 = t (1 - 2t + ...) with t = e^-|z| < 2^-101, so d is t itself to 2^-100, and out = (g beta) t
 * rounded once by sp_deep_product with |z| clamped to [70, 150], g beta an exact pair (fma) so that the
 * product is one rounding of the exact one, as the multiplier's contract asks (|g beta| S1 < 2^127). *deep
 * gets the lanes this applies to (the others -- NaN or infinite z, huge or non-finite g beta -- stay with
 * the scalar reference). */
#define SP_DBWD_DEEP sp_dbwd_deep
#define SP_DEEP_M_MAX 0x1p+52f /* the deep multipliers' bound (second derivative, beta gradient) */
SP_INLINE vf sp_dbwd_deep(const sp_f32_k *k, int unit, vf g, vf x, vm *deep)
{
    const vf z = unit ? x : MUL(F(k->beta), x);
    const vf mh = unit ? g : MUL(g, F(k->beta));
    const vf ml = unit ? ZERO() : FMS(g, F(k->beta), mh);
    const vf az = ABS(z);
    /* |z| with 0 where the lane is not deep: the linear branch, |g beta| above the bound (or NaN); and the
     * compare leaves out z not finite */
    const vf w = SELECT(OR_MASK(GT(z, F(k->thr)), NGE(F(SP_DEEP_M_MAX), ABS(mh))), ZERO(), az);
    *deep = GT(w, sp_nan_unless_finite(z, SP_Z_TINY_T));
    const vf al = sp_sig_al(k, unit, x, z);
    const vf a = MAX(MIN(az, F(SP_DEEP_A_MAX)), F(SP_Z_TINY_T));
    vf P;
    const vf outa = sp_deep_product(unit, a, al, ABS(mh), XOR(ml, SIGN(mh)), !unit, &P);
    return SELECT(GT(z, F(k->thr)), ZERO(), XOR(outa, SIGN(mh)));
}

SP_INLINE void sp_bbeta_front(const sp_f32_k *k, int unit, vf dy, vf x, vf *th, vf *tl)
{
    (void)dy;
    sp_sig_front(k, unit, 0.0f, SP_BBETA_A_MAIN, x, th, tl);
}

SP_INLINE vf sp_bbeta_finish(const sp_f32_k *k, int unit, vf dy, vf x, vf th, vf tl, vm *special)
{
    vf j, c, e, el, p;
    const vf z = unit ? x : MUL(F(k->beta), x);
    const vf a = ABS(z);
    sp_bin(th, tl, &j, &c, &e, &el, &p);
    const vf e2 = MUL(e, e);
    /* s(-a) = t/(1+t) = p + sl */
    const vf R = FMA(FMA(F(SP_R3), e, F(SP_R2)), e2, FMA(F(SP_R1), e, F(SP_R0)));
    const vf rho = SUB(FMS(e2, R, e), el);
    const vf sl = FMA(p, rho, el);
    /* log1p(t) = G + e + w = S + Sl + w */
    const vf G = LOOKUP_J(j, sp_g_table);
    const vf Q = FMA(FMA(F(SP_Q3), e, F(SP_Q2)), e2, FMA(F(SP_Q1), e, F(SP_Q0)));
    const vf w = FMA(e2, Q, el);
    const vf S = ADD(G, e);
    const vf Sl = ADD(SUB(G, S), e);
    /* a s(-a) = ap + apl + a sl */
    const vf ap = MUL(a, p);
    const vf apl = FMS(a, p, ap);
    const vf hi = MAX(ap, S);
    const vf lo = MIN(ap, S);
    const vf U = ADD(hi, lo);
    const vf Ul = SUB(lo, SUB(U, hi));
    vf small = ADD(ADD(Ul, Sl), ADD(w, FMA(a, sl, apl)));
    vf h; /* the unit result is -h */
    if (unit) {
        h = ADD(U, small);
    } else {
        /* the product's rounding error: a + al, al = zl sign(z) */
        const vf al = XOR(FMS(F(k->beta), x, z), SIGN(z));
        small = FMA(al, p, small);
        h = FMA(U, F(k->ib2), FMA(U, F(k->ib2e), MUL(small, F(k->ib2))));
    }
    *special = sp_new_op_special(k, unit, dy, z, h, SP_BBETA_A_MAIN);
    /* -(dy h) + -0: the bits of dy (-h) + -0, i.e. of MUL(dy, -h) */
    return SELECT(GT(z, F(k->thr)), ZERO(), FNMA(dy, h, F(-0.0f)));
}

/* The beta gradient's deep lanes, redone after the block (arch/softplus_f32_kernels.h) as backward's instead of
 * by the scalar reference: 40 < |z| < inf outside the linear branch. There h = a s(-a) + log1p(t) = (a + 1) t
 * (1 - O(a t)) with t = e^-a < 2^-57, a = |beta*x| = |z| + al, so dbeta = -dy h/beta^2 is -m t with
 * m = dy (a + al + 1)/beta^2 carried as a pair (a + 1 by Fast2Sum; 1/beta^2 = ib2 + ib2e), and sp_deep_product
 * rounds |m| t once with |z| clamped to [40, 150]. The lane is deep where |m| <= 2^52 (so that |z| > 150,
 * clamped, still rounds to 0) and |m| S1 < 2^127 (per lane: S1 reaches 2^117.5 at |z| = 40); the others --
 * NaN or infinite z or dy, larger m -- stay with the scalar reference. */
#define SP_BBETA_DEEP sp_bbeta_deep
SP_INLINE vf sp_bbeta_deep(const sp_f32_k *k, int unit, vf dy, vf x, vm *deep)
{
    const vf z = unit ? x : MUL(F(k->beta), x);
    const vf az = ABS(z);
    const vf a = MAX(MIN(az, F(SP_DEEP_A_MAX)), F(SP_BBETA_A_MAIN));
    const vf al = sp_sig_al(k, unit, x, z);
    const vf A1 = ADD(a, F(1.0f));
    const vf L = ADD(ADD(SUB(a, A1), F(1.0f)), al); /* a + 1 = A1 + its error (Fast2Sum, a >= 1), plus al */
    vf m0, m1;
    if (unit) {
        m0 = MUL(dy, A1);
        m1 = FMA(dy, L, FMS(dy, A1, m0));
    } else {
        const vf Ch = MUL(A1, F(k->ib2));
        const vf Cl = FMA(A1, F(k->ib2e), FMA(L, F(k->ib2), FMS(A1, F(k->ib2), Ch)));
        m0 = MUL(dy, Ch);
        m1 = FMA(dy, Cl, FMS(dy, Ch, m0));
    }
    /* renormalised (Fast2Sum): sp_deep_product needs |ml| <= ulp(mh)/2, which m1 (the low parts of a + 1,
     * al and 1/beta^2 beside the product's error) can exceed -- its residual then spans two grid steps */
    const vf mh = ADD(m0, m1);
    const vf ml = ADD(SUB(m0, mh), m1);
    vf P;
    const vf outa = sp_deep_product(unit, a, al, ABS(mh), XOR(ml, SIGN(mh)), 1, &P);
    /* |z| with 0 where the lane is not deep: the linear branch, |m| or |m| S1 too large (or NaN); and the
     * compare leaves out z not finite */
    const vm out_of_range = OR_MASK(NGE(F(SP_DEEP_M_MAX), ABS(mh)), NGE(F(0x1p127f), ABS(P))); /* P: +-inf, NaN */
    const vf w = SELECT(OR_MASK(GT(z, F(k->thr)), out_of_range), ZERO(), az);
    *deep = GT(w, sp_nan_unless_finite(z, SP_BBETA_A_MAIN));
    /* -m t: the sign of -dy (mh's may not be, for a zero dy: +0 - -0 in the renormalisation) */
    return SELECT(GT(z, F(k->thr)), ZERO(), XOR(outa, XOR(SIGN(dy), F(-0.0f))));
}

/* The beta gradient's vector code needs 1/beta^2 = ib2 + ib2e as normal floats. */
static int sp_f32_bbeta_vector_ok(const sp_params_f32 *p)
{
    return sp_f32_bbeta_range_ok(fabsf(p->beta));
}

/* ---- release 1.1: the inverse, x = log(expm1(beta*y))/beta ------------------------------------------
 * Method. z = fl(beta*y), zl = beta*y - z (one fma; nothing for beta = 1); v = log(expm1(z + zl)) and
 * x = v/beta (forward's product by ib + ibe, one rounding). Three ranges of z, each written as
 *   v = Zh + Zl + log1p(q),   q a float pair in [0, 1] (or in [-0x1.1p-6, 0), bin 0), log1p(q) = G + e + w by
 *                             forward's bins (sp_bin, the G table and Q: relative error 2^-30.5),
 * so that one log1p serves them all, no lane divides, and Zh + log1p(q) is a Fast2Sum:
 *   z < 1/2       log z + log(expm1(z)/z) = k ln2 + log1p(m - 1) + z/2 + z^2 LA(z^2) (+ zl/z (1 + z/2
 *                 + z^2/12), the first-order term of zl): z = 2^k m, m in [1, 2), q = m - 1 exact; v <= -0.43
 *   1/2 <= z < 1  log1p(E), E = 2 expm1(d) = e^z - 2, d = z + zl - ln2 (ln 2 in three floats, d a pair
 *                 exact to 2^-70: the zero of v at z = ln 2 comes out relatively exact), expm1(d) = d + d^2/2
 *                 + d^3 M(d) with d^2/2 exact; q = E for E >= -0x1.1p-6 (-0.0166), else log(1 + E) =
 *                 log1p(1 + 2E) - ln2 (q = 1 + 2E in [0.3, 0.97] by Fast2Sum; |v| >= 0.0167 there, so the
 *                 bins' absolute error of ~2^-35 stays near 2^-29 of v); |v| <= 0.55
 *   z >= 1        z + zl + log(1 - t) = z + zl - ln2 + log1p(1 - 2t), t = exp(-(z + zl)) by forward's exp
 *                 (sp_exp, stage 1), q = 1 - 2t in [0.26, 1]; v >= 0.54, and for z > 128 t = 0: x = y
 * Whole vectors branch (SP_LOOP_BITS of the range masks): the first range runs only when some lane is below
 * 1/2, the second only when some lane is in neither of the others (NaN and special lanes count there), and
 * without such a lane the selects of the second are left out; every lane that keeps its value gets the same
 * operations either way, so the bits do not depend on the neighbours. Until December 2026 the second and
 * third ranges took -log1p(n/(1 - n)) (n = t or |E|: one division per vector) and every lane ran all three
 * (0.595 ULP at y = 0x1.5af7d2p-1; 0.36x backward's speed).
 * Lanes the scalar reference redoes: z not finite, z < 2^-100 (y <= 0 included: NaN, the limit -inf/beta,
 * and a z too small for the exponent split). |beta| outside [2^-20, 2^16] runs the scalar kernel for the
 * whole call (the quotient by beta as in forward, sp_f32_fwd_vector_ok). The threshold comes last:
 * fl(beta*y) > threshold returns y.
 * Polynomials: tests/tools/softplus_f32_inverse_coeffs.sollya (LA degree 2 in z^2, absolute error 2^-33.6;
 * M degree 5, relative error 2^-34.2; ln 2's third float); the bins, G and Q are forward's.
 * Accuracy (tests/accuracy/ulp_sweep --op inv against tests/ulp.c's long double reference, thresholds inf
 * and 20; AVX2 = AVX-512 bits, NEON = the same digest under qemu; beta 1 on all 2^32 inputs, 117232 of them
 * over 0.5 ULP; the other betas on every 16th bit pattern; since M by Estrin's scheme, December 2026 --
 * before, with Horner's rule, beta 1 had the same worst case and 116251 results over 0.5 ULP, and every
 * 256th input of the other betas gave 0.534-0.538):
 *   beta   worst ULP  at y               got              want
 *   1      0.553      0x1.f8b07ap-2     -0x1.cdd244p-2   -0x1.cdd2451b252b1p-2
 *   0.5    0.547      0x1.fa34p-1       -0x1.c9ef88p-1   -0x1.c9ef8917da3b4p-1
 *   2      0.547      0x1.fa34p-3       -0x1.c9ef88p-3   -0x1.c9ef8917da3b4p-3
 *   -1     0.547      -0x1.fa34p-2      0x1.c9ef88p-2    0x1.c9ef8917da3b4p-2
 *   7.3    0.569      0x1.162332p-4     -0x1.f1ec8ap-5   -0x1.f1ec8b23293d5p-5
 *   Just past E = -0x1.1p-6 (z ~ 0.68) log1p(1 + 2E) - ln2 cancels to |v| ~ 0.017: there the bins' dropped
 *   second-order term e el (up to 2^-30) measured 0.831 ULP (y = 0x1.5e993cp-1), hence w's FNMA below.
 *   Deliberately dropping the low part of 1 + 2X (wl = 0) measured 8.5 ULP at y = 0x1.5be65ep-1 (every 4096th
 *   input): the sweep, test_accuracy and test_digest fail on it.
 * SP_MAX_ULP{,_BETA}_F32_{AVX2,AVX512,NEON} = 1.0.
 * Speed of the three 1.1 ops beside backward (bench_softplus --size 4096, kernel column, Gelem/s, one run per
 * ISA on the 2-core EPYC at load ~4, December 2026, after backward's and the second derivative's new quotients;
 * instructions per vector: AVX-512 the loop bodies of stage 1 + stage 2 in objdump, AVX2 executed on the
 * bench's inputs under callgrind):
 *            backward        second derivative     beta gradient         inverse
 *   AVX-512  2.18   34+37    1.90 (0.87x)  32+49   1.41 (0.65x)  28+71   0.89 (0.41x)  28+146 (the middle range's
 *                                                                                      ~45 skipped by most vectors)
 *   AVX2     1.53   62.1     1.31 (0.86x)  72.2    0.85 (0.56x)  105.4   0.59 (0.39x)  154.5
 *   earlier  (load 10-13, backward's previous quotient at 1.68 / 1.02 Gelem/s, 32+43 / 68.2 instructions):
 *   0.92x, 0.80x, 0.53x of it on AVX-512; before that 0.85x, 0.67x, 0.36x. On Zen 4 a 512-bit FMA, a compare
 *   into a mask and half a division each take both FMA pipes for a cycle, and those pipes bound these loops:
 *   after the same exponential, backward's stage 2 has 5 fmas, 3 compares and the division, the second
 *   derivative's 9 fmas (its square u^2 and the residual against it), 3 compares and the division (AVX-512
 *   objdump); the beta gradient is forward's cost plus a sigmoid, the inverse forward's exp plus a
 *   log1p and the first range's log z: none of the three reaches backward's rate in L1 (the goal).
 */
#define SP_INV_NBUF 2
#define SP_INV_Z_TINY 0x1p-100f /* z below this (and z <= 0, NaN) goes to the scalar reference */

SP_INLINE void sp_inv_front(const sp_f32_k *k, int unit, vf y, vf *th, vf *tl)
{
    sp_sig_front(k, unit, 1.0f, SP_Z_TINY_T, y, th, tl); /* t is read for z >= 1 only */
}

SP_INLINE vf sp_inv_finish(const sp_f32_k *k, int unit, vf y, vf th, vf tl, vm *special)
{
    const vf one = F(1.0f);
    const vf z = unit ? y : MUL(F(k->beta), y);
    const vf zl = unit ? ZERO() : FMS(F(k->beta), y, z);
    *special = NGE(z, sp_nan_unless_finite(z, SP_INV_Z_TINY));
    const vm low = LT(z, F(0.5f));
    const vm high = GT(z, F(0x1.fffffep-1f)); /* z >= 1 */

    /* Each range runs only where some lane of the vector needs it (a lane in no range -- NaN, special -- counts
     * as the middle one): a skipped range's values would be discarded by the selects below, so the bits are
     * the same as computing all three. */
    const uint64_t lanes = SP_LOOP_W == 64 ? ~(uint64_t)0 : ((uint64_t)1 << SP_LOOP_W) - 1u;
    const uint64_t low_bits = SP_LOOP_BITS(low), high_bits = SP_LOOP_BITS(high);
    const int any_mid = (low_bits | high_bits) != lanes;

    /* z < 1/2: log z = kz ln2 + log1p(mz - 1), kz <= -2 */
    vf qa = ZERO(), Za = ZERO(), Zal = ZERO();
    if (low_bits) {
        const vf kz = LOGB(z);
        qa = SUB(MANT(z), one); /* exact */
        const vf kh = MUL(kz, F(SP_LN2_HI));
        const vf kl = FMA(kz, F(SP_LN2_LO), FMS(kz, F(SP_LN2_HI), kh));
        const vf zhalf = MUL(z, F(0.5f));
        Za = ADD(kh, zhalf);
        /* z^2 from z >= 2^-40: below, z^2 LA(z^2) < 2^-84 is lost beside kl anyway, and z^2 would be
         * subnormal for z < 2^-63 (a microcode assist on Intel: 16x slower over y in [2^-64, 2^-63]) */
        const vf zq = MAX(z, F(0x1p-40f));
        const vf z2 = MUL(zq, zq);
        const vf LA = FMA(FMA(F(SP_LA2), z2, F(SP_LA1)), z2, F(SP_LA0));
        Zal = ADD(ADD(SUB(kh, Za), zhalf), FMA(z2, LA, kl));
        if (!unit) /* d/dz log(expm1(z)) = (1/z)(1 + z/2 + z^2/12 + ...), applied to zl */
            Zal = FMA(DIV(zl, z), FMA(z, FMA(z, F(0x1.555556p-4f), F(0.5f)), one), Zal); /* 1/12 ~ 0.083333336 */
    }

    /* 1/2 <= z < 1: d = (z - ln2_hi) + zl - ln2_lo - ln2_lo2 = D + Dl; z - ln2_hi is exact (Sterbenz),
     * and a multiple of 2^-24 larger than |zl| unless zero (Fast2Sum); then a 2Sum with -ln2_lo */
    vf Eh = ZERO(), El = ZERO();
    if (any_mid) {
        const vf dh = SUB(z, F(SP_LN2_HI));
        const vf s1 = ADD(dh, zl);
        const vf s1l = ADD(SUB(dh, s1), zl);
        const vf D = SUB(s1, F(SP_LN2_LO));
        const vf bb = SUB(D, s1);
        const vf Dl = ADD(ADD(SUB(s1, SUB(D, bb)), SUB(F(-SP_LN2_LO), bb)), SUB(s1l, F(SP_LN2_LO2)));
        /* E/2 = expm1(D + Dl) = D + D^2/2 + D^3 M(D) + Dl (1 + D): eh + el, D^2/2 exact as a pair */
        const vf sq = MUL(D, D);
        const vf sql = FMS(D, D, sq);
        const vf hsq = MUL(sq, F(0.5f));
        const vf M = sp_estrin5(D, sq, SP_M0, SP_M1, SP_M2, SP_M3, SP_M4, SP_M5);
        const vf eh = ADD(D, hsq); /* |D| <= 0.31: |D| > D^2/2 */
        const vf el = ADD(ADD(SUB(D, eh), hsq), FMA(sql, F(0.5f), FMA(Dl, ADD(one, D), MUL(MUL(sq, D), M))));
        const vf Eh2 = ADD(eh, el); /* renormalised (Fast2Sum): log1p takes its low part to first order */
        Eh = ADD(Eh2, Eh2);
        El = MUL(ADD(SUB(eh, Eh2), el), F(2.0f));
    }

    /* The wide lanes (z >= 1, and E < -0x1.1p-6 between) take log(1 + X) = log1p(1 + 2X) - ln2 with X = -t or
     * E, 1 + 2X = wh + wl by Fast2Sum (|2X| <= 0.74 < 1): no quotient. Between, E >= -0x1.1p-6 is q = E itself:
     * bin 0 for E < 0 (15 E >= -0.249 rounds to j = 0 in sp_bin, where the float grid below 2^23 is 1/2; the
     * log1p polynomial holds for |e| <= 0.0356). Z = z + zl - ln 2 (z >= 1) or -ln 2 (E < -0x1.1p-6) is
     * Zwh + Zwl, z - ln2_hi by Fast2Sum (z >= 1 > ln2_hi). Without a middle lane the wide lanes are the high
     * ones: the same operations on every lane that keeps its value, with the middle's selects left out. */
    vf q0, ql, Zh, Zl;
    if (any_mid) {
        const vf Xh = SELECT(high, XOR(th, F(-0.0f)), Eh);
        const vf Xl = SELECT(high, XOR(tl, F(-0.0f)), El);
        const vm wide = OR_MASK(high, LT(Eh, F(-0x1.1p-6f))); /* -0.0166015625 */
        const vf wh = FMA(F(2.0f), Xh, one);
        const vf wl = FMA(F(2.0f), Xl, FMA(F(2.0f), Xh, SUB(one, wh))); /* 1 - wh and the fma's sum: exact */
        const vf zs = SELECT(high, z, ZERO());
        const vf Zwh = SUB(zs, F(SP_LN2_HI));
        const vf Zwl0 = SUB(SUB(zs, Zwh), F(SP_LN2_HI));
        const vf Zwl = unit ? SUB(Zwl0, F(SP_LN2_LO)) : ADD(Zwl0, SUB(SELECT(high, zl, ZERO()), F(SP_LN2_LO)));
        q0 = SELECT(low, qa, SELECT(wide, wh, Eh));
        ql = SELECT(low, ZERO(), SELECT(wide, wl, El));
        Zh = SELECT(low, Za, SELECT(wide, Zwh, ZERO()));
        Zl = SELECT(low, Zal, SELECT(wide, Zwl, ZERO()));
    } else {
        const vf wh = FNMA(F(2.0f), th, one);
        const vf wl = FNMA(F(2.0f), tl, FNMA(F(2.0f), th, SUB(one, wh)));
        const vf Zwh = SUB(z, F(SP_LN2_HI));
        const vf Zwl0 = SUB(SUB(z, Zwh), F(SP_LN2_HI));
        const vf Zwl = unit ? SUB(Zwl0, F(SP_LN2_LO)) : ADD(Zwl0, SUB(zl, F(SP_LN2_LO)));
        q0 = SELECT(low, qa, wh);
        ql = SELECT(low, ZERO(), wl);
        Zh = SELECT(low, Za, Zwh);
        Zl = SELECT(low, Zal, Zwl);
    }

    /* log1p(q0 + ql) = S + Sl + w */
    vf j, c, e, elb, p;
    sp_bin(q0, ql, &j, &c, &e, &elb, &p);
    const vf G = LOOKUP_J(j, sp_g_table);
    const vf e2 = MUL(e, e);
    const vf Q = FMA(FMA(F(SP_Q3), e, F(SP_Q2)), e2, FMA(F(SP_Q1), e, F(SP_Q0)));
    /* log1p(e + el) = log1p(e) + el (1 - e) to 2^-45: the e el term (up to 2^-30) counts here, where
     * log1p(1 + 2E) - ln2 cancels to |v| ~ 0.017 (0.831 ULP without it) */
    const vf w = FMA(e2, Q, FNMA(e, elb, elb));
    const vf S = ADD(G, e);
    const vf Sl = ADD(SUB(G, S), e);

    /* v = Zh + Zl + S + Sl + w, Zh + S by Fast2Sum: |Zh| >= |S| (below 1/2: |Zh| >= 1.13 > log1p(q); z >= 1:
     * z - ln 2 >= log(4 (1 - e^-z)) = S; E < -0x1.1p-6: ln 2 > log1p(q), q < 0.97; else Zh = 0) */
    const vf U = ADD(Zh, S);
    const vf Ul = ADD(SUB(Zh, U), S);
    const vf small = ADD(ADD(Ul, Zl), ADD(Sl, w));
    vf x;
    if (unit) {
        x = ADD(U, small);
    } else {
        const vf ib = F(k->ib);
        x = XOR(FMA(U, ib, FMA(U, F(k->ibe), MUL(small, ib))), F(k->bsign));
    }
    return SELECT(GT(z, F(k->thr)), y, x);
}

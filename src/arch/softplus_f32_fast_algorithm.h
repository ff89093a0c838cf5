/* softplus_f32_fast_algorithm.h -- the fast tier's f32 softplus algorithm (within 4 ULP), written once in
 * per-ISA vector ops.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: x86/softplus_f32_fast_avx2.c, x86/softplus_f32_fast_avx512.c and
 * arm/softplus_f32_fast_neon.c each include it once, after defining
 *   vf, vm                    the vector and lane-mask types;
 *   F ADD SUB MUL FMA FMS FNMA MIN MAX ABS SIGN XOR GT LT NOT_FINITE NOT_LE_ABS OR_MASK SELECT ZERO
 *                             the operations with the semantics of arch/softplus_f32_fma_algorithm.h
 *                             (FMA family fused, MIN/MAX give b when unordered or equal), and
 *                             NOT_LE_ABS(a, c): the lanes where |a| <= c is false (NaN included);
 *   POW2_64_MINUS_Q(kshift)   2^(64 - q) for the integer q in the low bits of kshift (kshift =
 *                             0x1.8p23 + q as a float, 0 <= q <= 185): integer arithmetic on the bits,
 *                             exact on every ISA.
 * One text, one operation order: the AVX2, AVX-512 and NEON fast kernels return the same bits
 * (tests/accuracy/test_digest.c: committed digests of 22M results per op). It plugs into the same shell as
 * the strict kernels (arch/softplus_f32_kernels.h: special lanes, the loop driver, the entry logic).
 *
 * Method, no table. z = fl(beta*x), zl = beta*x - z (one fma; nothing for beta = 1), a = min(|z|, 128):
 *   1. t = exp(-a) carried scaled, ts = t*2^64 (always normal: t >= exp(-128) = 2^-184.7), so that no
 *      intermediate is subnormal (Intel cores charge ~70 ns per subnormal operand or result) and a
 *      subnormal result is rounded once, at the end: q = round(a/ln2) (the 0x1.8p23 shift),
 *      r = a - q ln2 in two fma steps (ln2 split hi + lo; q*hi is exact), with zl entering r so exp sees
 *      the exact product to first order; exp(-r) = E(r), degree 6 (E(0) = 1); ts = E(r) * 2^(64-q).
 *   2. log1p(t) = t H(t), H ~ log1p(t)/t degree 8 on [0, 1] (H(0) = 1), evaluated at
 *      t' = max(ts, 2^34) 2^-64 (t itself where t >= 2^-30; below, H rounds to 1 anyway).
 *   3. y = max(z,0) + ts * (H 2^-64): one fma, so every result, subnormal ones included, is one
 *      rounding of t H(t) + max(z, 0).
 *      beta != 1: y = sign(beta) (max(z,0) + zl [z > 0] + t H) (ib + ibe), 1/|beta| = ib + ibe: the
 *      large term max(z,0) ib rounded once in the last fma, the scaled t H multiplied by
 *      (ib + ibe) 2^-64 (normal for the |beta| the vector path takes).
 *   Backward: d = 1 + t', 1/d from a degree-2 start R(d) on [1, 2] (relative error 2^-7.4) and two
 *   Newton steps (2^-29.8 before rounding: no division, and the same bits on every ISA, which a
 *   hardware reciprocal estimate would not give); sigmoid = 1/d for z >= 0, t/d for z < 0; dx = dy/d,
 *   or (dy (ts/d)) 2^-64 so that an underflowing sigmoid is carried scaled where dy brings dx back.
 * Polynomials: tests/tools/softplus_f32_fast_coeffs.sollya (fpminimax, float coefficients, relative
 *   error): E degree 6 on |r| <= ln2/2 + 2^-10, 2^-28.0; H degree 8 on [0, 1], 2^-24.7; R degree 2 on
 *   [1, 2], 2^-7.4.
 * Accuracy (tests/accuracy/ulp_sweep, every one of the 2^32 inputs at beta = 1 and every 16th at the
 *   other betas, reference in double, dy = 1; AVX2, AVX-512 and NEON return the same bits):
 *   beta   op   worst ULP  at x               got              want            (both thresholds, inf and 20)
 *   1      fwd  2.476      -0x1.ba5cbap+1    0x1.fd0acep-6    0x1.fd0ac90c3f5ffp-6   (all 2^32)
 *   1      bwd  2.846      -0x1.362b48p+2    0x1.fee196p-8    0x1.fee19bb10306cp-8   (all 2^32)
 *   0.5    fwd  2.432      -0x1.ba2bfep+2    0x1.fdc9c6p-5    0x1.fdc9c122b1172p-5   (every 16th)
 *   0.5    bwd  2.647      -0x1.5c86aap+2    0x1.f8eff2p-5    0x1.f8eff74b535bp-5    (every 16th)
 *   7.3    fwd  3.120      -0x1.55a91p-4     0x1.e76902p-5    0x1.e768fbc2683c6p-5   (every 16th)
 *   7.3    bwd  2.622      -0x1.82c666p-2    0x1.e8df0ep-5    0x1.e8df08c176635p-5   (every 16th)
 *   2, -1: the beta = 0.5 figures at x scaled by 1/4 and -2 (the same z; every 16th).
 *   The errors come from E and H (about 1 ULP each, relative, at the top of a binade) and the float
 *   evaluation; other betas add the rounding of 1/|beta| where z < 0. Results far in the tail (t below
 *   2^-30, subnormal results included) are t rounded once: <= 0.5 ULP plus E's error.
 *   SP_MAX_ULP{,_BETA}_F32_{AVX2,AVX512,NEON}_FAST (src/kernels.h, enforced by the tests): 4.0.
 * Special values, exactly as strict: lanes where z is not finite (NaN, +-inf, beta*x overflowing) and,
 *   backward, where dy is not finite or |dy| > 2^32 (see sp_bwd_finish), are flagged and redone
 *   by the reference scalar kernel (arch/softplus_f32_kernels.h); forward with |beta| outside
 *   [2^-20, 2^16] runs the scalar kernel. The threshold rule comes last: fl(beta*x) > threshold returns
 *   x (or dy) unchanged, the same comparison on the same z as the strict kernels.
 */

/* The coefficients (tests/tools/softplus_f32_fast_coeffs.sollya) and the reduction's constants. */
#define SP_FAST_SHIFT 0x1.8p23f           /* 12582912: round to integer in the low mantissa bits */
#define SP_FAST_INV_LN2 0x1.715476p+0f    /* 1/ln2 = 1.44269502 */
#define SP_FAST_LN2_HI 0x1.62e4p-1f       /* ln2 to 15 bits = 0.693145752: q*hi exact for q < 512 */
#define SP_FAST_LN2_LO 0x1.7f7d1cp-20f    /* ln2 - hi = 1.42860677e-6 */
#define SP_FAST_A_MAX 128.0f              /* exp(-128) 2^64 = 2^-120.7 is normal; t/beta rounds to 0 */
#define SP_FAST_E6 0x1.685b52p-10f        /* 0.00137465179 */
#define SP_FAST_E5 -0x1.123d56p-7f        /* -0.00836912822 */
#define SP_FAST_E4 0x1.555b92p-5f         /* 0.0416696407 */
#define SP_FAST_E3 -0x1.55548cp-3f        /* -0.166665167 */
#define SP_FAST_E2 0x1.fffff8p-2f         /* 0.499999881 */
#define SP_FAST_H8 0x1.5d9d2p-8f          /* 0.00533468276 */
#define SP_FAST_H7 -0x1.ea9222p-6f        /* -0.0299420673 */
#define SP_FAST_H6 0x1.4392c4p-4f         /* 0.0789973885 */
#define SP_FAST_H5 -0x1.194e64p-3f        /* -0.13735655 */
#define SP_FAST_H4 0x1.8815ep-3f          /* 0.191447973 */
#define SP_FAST_H3 -0x1.fd06cp-3f         /* -0.248548031 */
#define SP_FAST_H2 0x1.55350ap-2f         /* 0.33321014 */
#define SP_FAST_H1 -0x1.ffff0ap-2f        /* -0.499996334 */
#define SP_FAST_R2 0x1.4afd76p-2f         /* 0.323232502 */
#define SP_FAST_R1 -0x1.745d2p0f          /* -1.45454597 */
#define SP_FAST_R0 0x1.0f83e4p1f          /* 2.12121248 */

/* Per-call scalars, broadcast where used: ib + ibe = 1/|beta|, the same times 2^-64 (ibes flushed to 0
 * where it would be subnormal: a correction below 2^-46 relative), bsign = sign bit of beta. */
typedef struct sp_f32_k {
    float beta, thr, ib, ibe, ibs, ibes, bsign;
} sp_f32_k;

static sp_f32_k sp_f32_make_k(const sp_params_f32 *p)
{
    sp_f32_k k;
    const float ab = fabsf(p->beta);
    const float ib = 1.0f / ab;
    /* 1/|beta| = ib*(1 + eps) + O(eps^2), eps = 1 - |beta|*ib exactly (one fma) */
    const float eps = fmaf(-ab, ib, 1.0f);
    k.beta = p->beta;
    k.thr = p->threshold;
    k.ib = ib;
    k.ibe = eps * ib;
    k.ibs = ib * 0x1p-64f;
    k.ibes = k.ibe * 0x1p-64f;
    if (fabsf(k.ibes) < 0x1p-126f)
        k.ibes = 0.0f;
    k.bsign = copysignf(0.0f, p->beta);
    return k;
}

/* As the strict kernels: below 2^-20, exp(-128)/|beta| would no longer round to 0; above 2^16 the
 * scaled 1/|beta| 2^-64 would leave the normal range. Backward takes any finite beta. */
static int sp_f32_fwd_vector_ok(const sp_params_f32 *p)
{
    const float m = fabsf(p->beta);
    return m >= 0x1p-20f && m <= 0x1p+16f;
}

/* Stage 1 (arch/softplus_loop.h) is ts = exp(-|beta*x|) 2^64, the same for both ops; stage 2 the rest.
 * z = fl(beta*x) is recomputed in stage 2: the same operations on the same input, so the same bits. */
#define SP_FWD_NBUF 1
#define SP_BWD_NBUF 1

SP_INLINE vf sp_fast_z(const sp_f32_k *k, int unit, vf x)
{
    return unit ? x : MUL(F(k->beta), x);
}

/* ts = exp(-|beta*x|) 2^64 from z = fl(beta*x) and zl = beta*x - z (zero for beta = 1) */
SP_INLINE vf sp_fast_exp(vf z, vf zl, int unit)
{
    const vf a = MIN(ABS(z), F(SP_FAST_A_MAX));
    const vf kshift = FMA(a, F(SP_FAST_INV_LN2), F(SP_FAST_SHIFT));
    const vf kf = SUB(kshift, F(SP_FAST_SHIFT));
    const vf r1 = FNMA(kf, F(SP_FAST_LN2_HI), a); /* exact */
    /* |beta*x| = |z| + zl sign(z); zl clamped: it is large only where |z| > 128 and t = 0 anyway */
    const vf rz = unit ? r1 : ADD(r1, XOR(MAX(MIN(zl, F(0x1p-16f)), F(-0x1p-16f)), SIGN(z)));
    const vf r = FNMA(kf, F(SP_FAST_LN2_LO), rz);
    vf e = FMA(F(SP_FAST_E6), r, F(SP_FAST_E5));
    e = FMA(e, r, F(SP_FAST_E4));
    e = FMA(e, r, F(SP_FAST_E3));
    e = FMA(e, r, F(SP_FAST_E2));
    e = FMA(e, r, F(-1.0f));
    e = FMA(e, r, F(1.0f));
    return MUL(e, POW2_64_MINUS_Q(kshift));
}

/* t' = t for t >= 2^-30, else 2^-30 (never subnormal): the argument of H and of 1 + t */
SP_INLINE vf sp_fast_t(vf ts)
{
    return MUL(MAX(ts, F(0x1p34f)), F(0x1p-64f));
}

SP_INLINE void sp_fwd_front(const sp_f32_k *k, int unit, vf x, vf *ts)
{
    const vf z = sp_fast_z(k, unit, x);
    *ts = sp_fast_exp(z, unit ? ZERO() : FMS(F(k->beta), x, z), unit);
}

/* y = softplus(x) from ts; *special flags the lanes (NaN, +-inf, beta*x overflowing) that the scalar
 * reference must redo. */
SP_INLINE vf sp_fwd_finish(const sp_f32_k *k, int unit, vf x, vf ts, vm *special)
{
    const vf z = sp_fast_z(k, unit, x);
    *special = NOT_FINITE(z);
    const vf t = sp_fast_t(ts);
    vf h = FMA(F(SP_FAST_H8), t, F(SP_FAST_H7));
    h = FMA(h, t, F(SP_FAST_H6));
    h = FMA(h, t, F(SP_FAST_H5));
    h = FMA(h, t, F(SP_FAST_H4));
    h = FMA(h, t, F(SP_FAST_H3));
    h = FMA(h, t, F(SP_FAST_H2));
    h = FMA(h, t, F(SP_FAST_H1));
    h = FMA(h, t, F(1.0f));
    const vf zp = MAX(z, ZERO());
    vf y;
    if (unit) {
        y = FMA(ts, MUL(h, F(0x1p-64f)), zp); /* the one rounding */
    } else {
        const vf zl = FMS(F(k->beta), x, z);
        const vf zc = SELECT(GT(z, ZERO()), zl, ZERO());
        const vf small = FMA(zp, F(k->ibe), MUL(zc, F(k->ib)));
        const vf hb = FMA(h, F(k->ibes), MUL(h, F(k->ibs)));
        y = FMA(zp, F(k->ib), FMA(ts, hb, small));
        y = XOR(y, F(k->bsign)); /* a zero result gets the sign of beta */
    }
    return SELECT(GT(z, F(k->thr)), x, y);
}

SP_INLINE void sp_bwd_front(const sp_f32_k *k, int unit, vf dy, vf x, vf *ts)
{
    (void)dy;
    const vf z = sp_fast_z(k, unit, x);
    *ts = sp_fast_exp(z, unit ? ZERO() : FMS(F(k->beta), x, z), unit);
}

/* dx = dy * sigmoid(beta*x) from ts; *special flags the lanes the scalar reference must redo: z not
 * finite, dy NaN, infinite or above 2^32 in magnitude. Below that, dy ts/d <= 2^96 cannot overflow, and
 * the clamp a <= 128 changes no result: where |beta*x| > 126.2, dy*sigmoid < 2^-150 rounds to 0, as
 * dy times the clamped sigmoid (< 2^-152.7) does. */
SP_INLINE vf sp_bwd_finish(const sp_f32_k *k, int unit, vf dy, vf x, vf ts, vm *special)
{
    const vf z = sp_fast_z(k, unit, x);
    *special = OR_MASK(NOT_FINITE(z), NOT_LE_ABS(dy, F(0x1p32f)));
    const vf d = ADD(sp_fast_t(ts), F(1.0f));
    vf r = FMA(FMA(F(SP_FAST_R2), d, F(SP_FAST_R1)), d, F(SP_FAST_R0));
    r = FMA(r, FNMA(d, r, F(1.0f)), r); /* Newton: relative error squared */
    r = FMA(r, FNMA(d, r, F(1.0f)), r);
    /* z < 0: sigmoid = t/d = (ts r) 2^-64, applied after dy so an underflowing sigmoid keeps its bits */
    const vm neg = LT(z, ZERO());
    const vf m = SELECT(neg, MUL(ts, r), r);
    const vf dx = MUL(MUL(dy, m), SELECT(neg, F(0x1p-64f), F(1.0f)));
    return SELECT(GT(z, F(k->thr)), dy, dx);
}

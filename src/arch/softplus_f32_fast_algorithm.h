/* softplus_f32_fast_algorithm.h -- the fast tier's f32 softplus algorithm (within 4 ULP), written once in
 * per-ISA vector ops.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: x86/softplus_f32_fast_avx2.c, x86/softplus_f32_fast_avx512.c and
 * arm/softplus_f32_fast_neon.c each include it once, after defining
 *   vf, vm                    the vector and lane-mask types;
 *   F ADD SUB MUL DIV FMA FMS MIN MAX ABS SIGN XOR GT ZERO NOT_FINITE SELECT
 *                             the operations with the semantics of arch/softplus_f32_fma_algorithm.h
 *                             (FMA family fused, DIV the IEEE division, MIN/MAX give b when unordered
 *                             or equal), IADD and ISHL (32-bit integer add and left shift on the bits);
 *   SCALE(a, n, qe)           where SP_SCALE_NATIVE is defined (AVX-512): a 2^n in one instruction,
 *                             exact for a normal result (qe unused); elsewhere not read;
 *   OR(a, b)                  bitwise or;
 *   SIGN_MASK(a)              the lanes whose sign bit is set, as a mask (vm);
 *   NO_LANES()                the empty mask.
 * One text, one operation order: the AVX2, AVX-512 and NEON fast kernels return the same bits
 * (tests/accuracy/test_digest.c: committed digests of 22M results per op). It plugs into the same shell as
 * the strict kernels (arch/softplus_f32_kernels.h: special lanes, the loop driver, the entry logic).
 *
 * Method, no table. z = fl(beta*x), zl = beta*x - z (one fma; nothing for beta = 1).
 *   exp: exp(-v) 2^s for v in [-128, 128] (sp_fast_exp): n = round(-v/ln2) (the 0x1.8p23 shift), r = v
 *      + n ln2 in two fma steps (ln2 split hi + lo; n*hi is exact), zl entering r so that exp sees the
 *      exact product to first order; exp(-r) 2^s = E(r) with 2^s in E's coefficients (E(0) = 2^s), and
 *      2^n applied by vscalefps (AVX-512) or an integer add to E's exponent field. s keeps the result
 *      normal (no subnormal operand or result anywhere: Intel cores charge ~70 ns for one) so that a
 *      subnormal result rounds once.
 *   Forward, a = min(|z|, 128):
 *   1. ts = exp(-a) 2^64 (normal: exp(-128) 2^64 = 2^-120.7), E degree 5 (beta = 1) or 6.
 *   2. log1p(t) = t H(t), H ~ log1p(t)/t degree 8 on [0, 1] (H(0) = 1), evaluated at
 *      t' = max(ts, 2^34) 2^-64 (t itself where t >= 2^-30; below, H rounds to 1 anyway); the scalings
 *      by 2^-64 are integer adds too.
 *   3. y = max(z,0) + ts * (H 2^-64): one fma, so every result, subnormal ones included, is one
 *      rounding of t H(t) + max(z, 0).
 *      beta != 1: y = sign(beta) (max(z,0) + zl [z > 0] + t H) (ib + ibe), 1/|beta| = ib + ibe: the
 *      large term max(z,0) ib rounded once in the last fma, the scaled t H multiplied by
 *      (ib + ibe) 2^-64 (normal for the |beta| the vector path takes).
 *   Backward, v = z clamped to [-128, 20] (beyond, the result is 0 resp. dy either way):
 *      es = exp(-v) 2^-64 (in [2^-94, 2^122]), E degree 5 (beta = 1) or 6; d = es + 2^-64 = (1 + e) 2^-64
 *      rounded once;
 *      dx = dy sigmoid(z) = (dy / d) 2^-64: one IEEE division, the same bits on every ISA (a hardware
 *      reciprocal estimate would not give them), and an exact scaling back that rounds again only
 *      where dx is subnormal. |dy| <= 2^33 keeps dy / d below 2^97.
 * Polynomials: tests/tools/softplus_f32_fast_coeffs.sollya (fpminimax, float coefficients, relative
 *   error): E degree 5 on |r| <= ln2/2 + 2^-10, 2^-23.2 (beta = 1); E degree 6 there, 2^-28.0 (the other
 *   betas, whose 1/|beta| resp. beta*x's rounding add an error: with degree 5 the forward's worst at beta
 *   = 7.3 was 3.85 ULP, at x = -0x1.07e5fep-1, every 16th input); H degree 8 on [0, 1], 2^-24.7. (The
 *   backward at beta = 1 took degree 6 until December 2026: 2.481 ULP at x = -0x1.0a2bd8p+4; degree 5
 *   saves an fma per vector, 0.94-0.97x the time with AVX2, and keeps it within the tier's 4.)
 * Accuracy (tests/accuracy/ulp_sweep, every one of the 2^32 inputs at beta = 1 and every 16th at the
 *   other betas, reference in double, dy = 1; AVX2, AVX-512 and NEON return the same bits):
 *   beta   op   worst ULP  at x               got              want            (both thresholds, inf and 20)
 *   1      fwd  3.132      -0x1.442aecp+0    0x1.fc9288p-3    0x1.fc928e436083ap-3   (all 2^32)
 *   1      bwd  3.612      -0x1.0c5c26p+4    0x1.be76ecp-25   0x1.be76e4c6a20d9p-25  (all 2^32; 20: 3.528)
 *   0.5    fwd  2.432      -0x1.ba2bfep+2    0x1.fdc9c6p-5    0x1.fdc9c122b1172p-5   (every 16th)
 *   0.5    bwd  2.329      -0x1.0a88p+5      0x1.f485e6p-25   0x1.f485eaa87baa8p-25  (every 16th)
 *   7.3    fwd  3.120      -0x1.55a91p-4     0x1.e76902p-5    0x1.e768fbc2683c6p-5   (every 16th)
 *   7.3    bwd  2.414      -0x1.23bd98p+1    0x1.fe9196p-25   0x1.fe919ad420a67p-25  (every 16th)
 *   2, -1: the beta = 0.5 figures at x scaled by 1/4 and -2 (the same z; every 16th). The forward at
 *   beta != 1 gives the bits of the previous fast kernel (the same operations, E degree 6); so does the
 *   backward at beta != 1.
 *   The errors come from E (up to 1.8 ULP relative at the top of a binade with degree 5) and H, and the
 *   float evaluation; backward adds the roundings of d and of the division; other betas add the
 *   rounding of 1/|beta| where z < 0. Results far in the tail (t below 2^-30, subnormal results
 *   included) are t rounded once: <= 0.5 ULP plus E's error.
 *   SP_MAX_ULP{,_BETA}_F32_{AVX2,AVX512,NEON}_FAST (src/kernels.h, enforced by the tests): 4.0.
 * Special values, exactly as strict. Forward: lanes where z is not finite (NaN, +-inf, beta*x
 *   overflowing) are flagged and redone by the reference scalar kernel (arch/softplus_f32_kernels.h),
 *   except in the loop of beta = 1 and a threshold >= 16 (mode 2 below), where the arithmetic already
 *   gives their results (sp_fwd_finish: +inf gives inf, -inf gives +0, a NaN comes out of the last fma
 *   quieted with its sign and payload, the NaN policy); |beta| outside [2^-20, 2^16] runs the scalar
 *   kernel. Backward: lanes where z is not finite, dy is not
 *   finite or |dy| > 2^33 are flagged (sp_fast_multiplier_special_z: one fma and one test) and redone.
 *   The threshold rule comes last: fl(beta*x) > threshold returns x (or dy) unchanged, the same
 *   comparison on the same z as the strict kernels; with beta = 1 and the threshold at or above 16
 *   (forward) or 18 (backward), the defaults among them, the arithmetic returns exactly that, and the
 *   loops leave the compare out (mode 2, SP_FWD_THRESHOLD_FREE).
 * Speed (AMD Zen 4, where a 512-bit FMA, a compare into a mask register and half a division each take
 *   the two FMA pipes for a cycle, and min, max, add, logic and integer adds go to other pipes): beta
 *   = 1, threshold 20, per vector (stage 1 + stage 2 of arch/softplus_loop.h, loop overhead
 *   included), forward 19 + 19 instructions (17 FMA and nothing else for the FMA pipes), backward
 *   23 + 7 in a block its screen clears (AVX2 25 + 8: 11 FMA and a division; the screen, sp_bwd_screen,
 *   replaced the per-vector mask, 20 + 18 and 21 + 17 with it); before, 22 + 33 and 22 + 44 (23 and 24
 *   FMA-pipe slots). AVX-512 with beta = 1 divides in stage 1 (sp_bwd_front below: 29 instructions there,
 *   on the Intel Xeon 0.89-0.95x the time). A 512-bit division occupies the divider ~11 cycles on Zen 4
 *   (3.0 ns per vdivps zmm measured back to back): the backward's ceiling there, about 5 Gelem/s at
 *   3.6 GHz. The constants of both stages stay in registers (AVX-512): GCC spilling them to the stack once
 *   cost a third of the forward's speed, so check the objdump after a change. vscalefps instead of the
 *   shift and integer add (AVX-512, one operation fewer per exponential; the same values), with the
 *   backward's degree 5: stage 1 of beta = 1 from 21 to 20 instructions (forward) and from 31 to 29
 *   (backward, the division included; objdump, prefetches and loop counters counted); alternated on the
 *   Intel Xeon, 4K / 64K elements, forward 0.96x / 0.97x the time, backward 0.94x / 0.92-0.94x.
 *   bench/peers: README.md.
 */

#include "arch/softplus_f32_masks.h" /* sp_nan_unless_finite */

/* The coefficients (tests/tools/softplus_f32_fast_coeffs.sollya) and the reduction's constants. */
#define SP_FAST_SHIFT 0x1.8p23f           /* 12582912: round to integer in the low mantissa bits */
#define SP_FAST_INV_LN2 0x1.715476p+0f    /* 1/ln2 = 1.44269502 */
#define SP_FAST_LN2_HI 0x1.62e4p-1f       /* ln2 to 15 bits = 0.693145752: n*hi exact for |n| < 512 */
#define SP_FAST_LN2_LO 0x1.7f7d1cp-20f    /* ln2 - hi = 1.42860677e-6 */
#define SP_FAST_A_MAX 128.0f              /* exp(-128) 2^64 = 2^-120.7 is normal; t/beta rounds to 0 */
#define SP_FAST_Z_MAX 20.0f               /* backward: exp(-20) < 2^-28, 1 + e rounds to 1 above 17.4 */
/* E ~ exp(-r): degree 5 at beta = 1, degree 6 for the other betas */
#define SP_FAST_E5_5 -0x1.0ebd6cp-7f      /* -0.00826232694 */
#define SP_FAST_E5_4 0x1.573f14p-5f       /* 0.0419001952 */
#define SP_FAST_E5_3 -0x1.555cf2p-3f      /* -0.166681185 */
#define SP_FAST_E5_2 0x1.fffdb8p-2f       /* 0.499991298 */
#define SP_FAST_E5_1 -0x1.fffffp-1f       /* -0.999999523 */
#define SP_FAST_E6_6 0x1.685b52p-10f      /* 0.00137465179 */
#define SP_FAST_E6_5 -0x1.123d56p-7f      /* -0.00836912822 */
#define SP_FAST_E6_4 0x1.555b92p-5f       /* 0.0416696407 */
#define SP_FAST_E6_3 -0x1.55548cp-3f      /* -0.166665167 */
#define SP_FAST_E6_2 0x1.fffff8p-2f       /* 0.499999881 */
#define SP_FAST_E6_1 -1.0f
#define SP_FAST_H8 0x1.5d9d2p-8f          /* 0.00533468276 */
#define SP_FAST_H7 -0x1.ea9222p-6f        /* -0.0299420673 */
#define SP_FAST_H6 0x1.4392c4p-4f         /* 0.0789973885 */
#define SP_FAST_H5 -0x1.194e64p-3f        /* -0.13735655 */
#define SP_FAST_H4 0x1.8815ep-3f          /* 0.191447973 */
#define SP_FAST_H3 -0x1.fd06cp-3f         /* -0.248548031 */
#define SP_FAST_H2 0x1.55350ap-2f         /* 0.33321014 */
#define SP_FAST_H1 -0x1.ffff0ap-2f        /* -0.499996334 */
/* H of degree 7, the half formats' cheap forward's (arch/softplus_half_fused.h, its bound and
 * tests/tools/softplus_half_cheap_coeffs.sollya) */
#define SP_HALF_H7_7 -0x1.1ddc92p-7f     /* -0.00872380380 */
#define SP_HALF_H7_6 0x1.6ee92ap-5f      /* 0.0447889157 */
#define SP_HALF_H7_5 -0x1.bd6986p-4f     /* -0.108743213 */
#define SP_HALF_H7_4 0x1.6d1b64p-3f      /* 0.178274900 */
#define SP_HALF_H7_3 -0x1.f65e42p-3f     /* -0.245296970 */
#define SP_HALF_H7_2 0x1.54d0eep-2f      /* 0.332828254 */
#define SP_HALF_H7_1 -0x1.fffb08p-2f     /* -0.499981046 */
/* H of degree 6, bf16's cheap forward's (the same file and script: its window holds the wider bound) */
#define SP_HALF_H6_6 0x1.daccbap-7f      /* 0.0144897373 */
#define SP_HALF_H6_5 -0x1.14ad9cp-4f     /* -0.0675483793 */
#define SP_HALF_H6_4 0x1.349664p-3f      /* 0.150677472 */
#define SP_HALF_H6_3 -0x1.e32d42p-3f     /* -0.235926166 */
#define SP_HALF_H6_2 0x1.534fd4p-2f      /* 0.331359208 */
#define SP_HALF_H6_1 -0x1.ffe6c4p-2f     /* -0.499903738 */
/* Integer constants for IADD, written as the floats with their bit patterns */
#define SP_FAST_EXP_MINUS_64 -0x1p65f     /* 0xe0000000 = -64 << 23: a normal a >= 2^-62 times 2^-64 */
#define SP_FAST_DY_LIMIT 0x1.fffffep-32f  /* 0x2fffffff: sign set from patterns above 2^33 (0x50000000) */

/* Per-call scalars, broadcast where used: ib + ibe = 1/|beta|, the same times 2^-64 (ibes flushed to 0
 * where it would be subnormal: a correction below 2^-46 relative), bsign = sign bit of beta; nib2s +
 * nib2se = -2^-64/beta^2, which only the half formats' beta gradient reads (arch/softplus_half_fused.h
 * sets them: a double division the other calls do not pay; 0 here). */
typedef struct sp_f32_k {
    float beta, thr, ib, ibe, ibs, ibes, bsign, nib2s, nib2se;
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
    k.nib2s = k.nib2se = 0.0f;
    return k;
}

/* As the strict kernels: below 2^-20, exp(-128)/|beta| would no longer round to 0; above 2^16 the
 * scaled 1/|beta| 2^-64 would leave the normal range. Backward takes any finite beta. */
static int sp_f32_fwd_vector_ok(const sp_params_f32 *p)
{
    const float m = fabsf(p->beta);
    return m >= 0x1p-20f && m <= 0x1p+16f;
}

/* Stage 1 (arch/softplus_loop.h) is the scaled exponential, stage 2 the rest. z = fl(beta*x) is
 * recomputed in stage 2: the same operations on the same input, so the same bits. */
#define SP_FWD_NBUF 1
#define SP_BWD_NBUF 1

/* The loops' modes (arch/softplus_f32_kernels.h): 0 any beta, 1 beta = 1, 2 beta = 1 and a threshold at
 * or above these, where the arithmetic itself returns x resp. dy for x > threshold: forward,
 * x >= 16 has t H(t) <= exp(-16) = 2^-23.08 below half an ulp of x (2^-20), so y rounds to x;
 * backward, x >= 18 has e <= 2^-25.9 (z is clamped to 20 first), so d rounds to 2^-64 and dx is dy
 * (times 2^64 and back, exactly: |dy| <= 2^33). The rule's compare and select are left out. */
#define SP_FWD_THRESHOLD_FREE 16.0f
#define SP_BWD_THRESHOLD_FREE 18.0f

SP_INLINE vf sp_fast_z(const sp_f32_k *k, int unit, vf x)
{
    return unit ? x : MUL(F(k->beta), x);
}

/* zl = beta*x - z, clamped: it is large only where |z| is far beyond the exponential's clamps */
SP_INLINE vf sp_fast_zl(const sp_f32_k *k, vf x, vf z)
{
    return MAX(MIN(FMS(F(k->beta), x, z), F(0x1p-16f)), F(-0x1p-16f));
}

/* al = zl sign(z): the product's error, toward |z| */
SP_INLINE vf sp_fast_al(const sp_f32_k *k, vf x, vf z)
{
    return XOR(sp_fast_zl(k, x, z), SIGN(z));
}

/* The lanes a multiplier's op must redo, from the sign bits of two integer adds (one mask operation): |z|'s
 * pattern plus z_flag sets the sign (|z| past the op's limit, z_flag = 2^31 minus the limit's pattern: the
 * beta gradient's SP_HALF_BBETA_Z_LIMIT), or the multiplier m is NaN, infinite or above 2^33 in magnitude
 * (below, m 2^64 / d and m ts cannot overflow). */
SP_INLINE vm sp_fast_multiplier_special(vf z, vf m, float z_flag)
{
    return SIGN_MASK(OR(IADD(ABS(z), F(z_flag)), IADD(ABS(m), F(SP_FAST_DY_LIMIT))));
}

/* The same where the op's only limit on z is that it be finite (backward, the halves' second derivative), in
 * two operations, the test of backward's block screen (sp_bwd_screen) on one vector: fma(m, C, z) with C =
 * 2^95 (1 - 2^-24) is not finite where z or m is not, or where |m| > 2^33 (m C is 2^128 or more, which
 * rounds to an infinity; m = +-2^33 gives +-FLT_MAX), but for two kinds of lanes, both with |z| > 2^103:
 * 2^33 < |m| < 2^34 against z of the other sign (not flagged), and |m| <= 2^33 against z of the same sign
 * whose sum overflows (flagged). Either way the lane's value is the same, since the fast path's is the
 * reference's there: backward's 0 (z < -2^103: the quotient m/(e + 2^-64), e = exp(128) 2^-64, is below
 * 2^-86, so dx < 2^-150 rounds to zero) or m itself (z > 2^103: v is clamped to 20 and e + 2^-64 rounds to
 * 2^-64); the second derivative's m beta t/(1 + t)^2, below 2^34 2^16 2^-184.7 = 2^-134.7 in magnitude (t =
 * exp(-128), |beta| <= 2^16 in the vector range), which rounds to the zero of m beta's sign in every half
 * format (for z > 2^103 > threshold: +0 either way). */
/* fma(m, C, z): not finite exactly on the lanes described above */
SP_INLINE vf sp_fast_multiplier_flag(vf z, vf m)
{
    return FMA(m, F(0x1.fffffep94f), z); /* C = 2^95 (1 - 2^-24) ~ 4.0e28 */
}

SP_INLINE vm sp_fast_multiplier_special_z(vf z, vf m)
{
    return NOT_FINITE(sp_fast_multiplier_flag(z, m));
}

/* The polynomials as coefficient lists, constant term first (E(0) = H(0) = 1) */
static const float sp_fast_e5[] = {1.0f, SP_FAST_E5_1, SP_FAST_E5_2, SP_FAST_E5_3, SP_FAST_E5_4, SP_FAST_E5_5};
static const float sp_fast_e6[] = {1.0f,         SP_FAST_E6_1, SP_FAST_E6_2, SP_FAST_E6_3,
                                   SP_FAST_E6_4, SP_FAST_E6_5, SP_FAST_E6_6};
static const float sp_fast_h8[] = {1.0f,       SP_FAST_H1, SP_FAST_H2, SP_FAST_H3, SP_FAST_H4,
                                   SP_FAST_H5, SP_FAST_H6, SP_FAST_H7, SP_FAST_H8};
static const float sp_half_h6[] = {1.0f,         SP_HALF_H6_1, SP_HALF_H6_2, SP_HALF_H6_3,
                                   SP_HALF_H6_4, SP_HALF_H6_5, SP_HALF_H6_6};
static const float sp_half_h7[] = {1.0f,         SP_HALF_H7_1, SP_HALF_H7_2, SP_HALF_H7_3,
                                   SP_HALF_H7_4, SP_HALF_H7_5, SP_HALF_H7_6, SP_HALF_H7_7};

/* scale (c[0] + c[1] x + ... + c[degree] x^degree) by Horner's rule, one fma per degree; scale a power of
 * two (exact). Inlined with constant arguments, the loop unrolls and the coefficients fold into
 * broadcast constants: the same operations as the chain written out. */
SP_INLINE vf sp_fast_horner(vf x, const float *c, int degree, float scale)
{
    vf p = FMA(F(c[degree] * scale), x, F(c[degree - 1] * scale));
#pragma GCC unroll 8
    for (int i = degree - 2; i >= 0; i--)
        p = FMA(p, x, F(c[i] * scale));
    return p;
}

/* e 2^n for kshift = SP_FAST_SHIFT + n, kf = n (an integer in [-256, 255]) and e 2^n normal: one vscalefps
 * where SCALE is an instruction (AVX-512), else an integer add of n << 23 to e's exponent field (n is
 * kshift's low 9 bits, two's complement, which the shift by 23 moves to the top). The same exact value. */
SP_INLINE vf sp_fast_ldexp(vf e, vf kshift, vf kf)
{
#ifdef SP_SCALE_NATIVE
    (void)kshift;
    return SCALE(e, kf, kf);
#else
    (void)kf;
    return IADD(e, ISHL(kshift, 23));
#endif
}

/* 2^n (2^s E(r)) from the reduction's r, kshift and kf = n (the polynomial of degree 5 or 6, scale = 2^s a
 * compile-time constant in its coefficients: exact, every intermediate of the Horner chain is the unscaled
 * one times 2^s, all normal), 2^n by sp_fast_ldexp */
SP_INLINE vf sp_fast_exp_of_r(vf r, vf kshift, vf kf, float scale, int degree6)
{
    const vf e = degree6 ? sp_fast_horner(r, sp_fast_e6, 6, scale) : sp_fast_horner(r, sp_fast_e5, 5, scale);
    return sp_fast_ldexp(e, kshift, kf);
}

/* exp(-(v + dv)) 2^s, v in [-128, 128], |dv| <= 2^-16 (beta != 1 only: the product's error), scale = 2^s;
 * the caller keeps the result normal. n = round(-v/ln2) = kshift - SP_FAST_SHIFT, r = v + dv + n ln2 (n hi
 * exact, |r| <= ln2/2 + 2^-10), exp(-(v + dv)) 2^s = 2^n (2^s E(r)). (2^(s + n) by one integer add, s in the
 * shift constant, is the same value; vscalefps instead of the shift and add saves an operation per vector
 * on AVX-512.) */
SP_INLINE vf sp_fast_exp(vf v, vf dv, int unit, float scale, int degree6)
{
    const vf kshift = FMA(v, F(-SP_FAST_INV_LN2), F(SP_FAST_SHIFT));
    const vf kf = SUB(kshift, F(SP_FAST_SHIFT));
    const vf r1 = FMA(kf, F(SP_FAST_LN2_HI), v); /* exact */
    const vf r = FMA(kf, F(SP_FAST_LN2_LO), unit ? r1 : ADD(r1, dv));
    return sp_fast_exp_of_r(r, kshift, kf, scale, degree6);
}

/* ts = exp(-(a + al)) 2^64, a = min(|beta*x|, 128): n in [-185, 0], ts in [2^-121, 2^64]. A NaN z gives
 * a = 128 (MIN's unordered rule): ts stays finite. */
SP_INLINE vf sp_fast_exp_abs(const sp_f32_k *k, int unit, vf x, int degree6)
{
    const vf z = sp_fast_z(k, unit, x);
    const vf a = MIN(ABS(z), F(SP_FAST_A_MAX));
    return sp_fast_exp(a, unit ? ZERO() : sp_fast_al(k, x, z), unit, 0x1p64f, degree6);
}

/* Forward stage 1: sp_fast_exp_abs with E of degree 5 for beta = 1, degree 6 for the other betas, whose
 * 1/|beta| adds a rounding (degree 5 gave 3.85 ULP at beta = 7.3). */
SP_INLINE void sp_fwd_front(const sp_f32_k *k, int mode, vf x, vf *ts)
{
    *ts = sp_fast_exp_abs(k, mode != 0, x, mode == 0);
}

/* H(t) ~ log1p(t)/t from ts = t 2^64, at t' = max(t, 2^-30) (H(t) rounds to 1 below; the scaling by
 * 2^-64 is an integer add): degree 8 (the fast tier), 7 (f16's cheap forward) or 6 (bf16's) */
SP_INLINE vf sp_fast_log1p_over_t(vf ts, int degree)
{
    const vf t = IADD(MAX(ts, F(0x1p34f)), F(SP_FAST_EXP_MINUS_64));
    return sp_fast_horner(t, degree == 8 ? sp_fast_h8 : degree == 7 ? sp_half_h7 : sp_half_h6, degree, 1.0f);
}

/* y = softplus(x) from ts; *special flags the lanes (NaN, +-inf, beta*x overflowing) that the scalar
 * reference must redo (arch/softplus_half_fused.h relies on them too), except in mode 2, beta = 1,
 * where none needs it: +inf gives max(0, z) = inf, -inf gives t 2^-64 rounding to +0, and a NaN passes
 * through max(0, z) (MAX's unordered rule) into the last fma, which returns it quieted with its sign and
 * payload: the NaN policy. */
SP_INLINE vf sp_fwd_finish_of(const sp_f32_k *k, int mode, int degree, vf x, vf ts, vm *special)
{
    const int unit = mode != 0;
    const vf z = sp_fast_z(k, unit, x);
    *special = mode == 2 ? NO_LANES() : NOT_FINITE(z);
    const vf h = sp_fast_log1p_over_t(ts, degree);
    const vf zp = MAX(ZERO(), z);
    vf y;
    if (unit) {
        y = FMA(ts, IADD(h, F(SP_FAST_EXP_MINUS_64)), zp); /* the one rounding: ts (H 2^-64) + max(z, 0) */
    } else {
        const vf zl = FMS(F(k->beta), x, z);
        const vf zc = SELECT(GT(z, ZERO()), zl, ZERO());
        const vf small = FMA(zp, F(k->ibe), MUL(zc, F(k->ib)));
        const vf hb = FMA(h, F(k->ibes), MUL(h, F(k->ibs)));
        y = FMA(zp, F(k->ib), FMA(ts, hb, small));
        y = XOR(y, F(k->bsign)); /* a zero result gets the sign of beta */
    }
    return mode == 2 ? y : SELECT(GT(z, F(k->thr)), x, y);
}

/* the fast tier's forward stage 2: H of degree 8 */
SP_INLINE vf sp_fwd_finish(const sp_f32_k *k, int mode, vf x, vf ts, vm *special)
{
    return sp_fwd_finish_of(k, mode, 8, x, ts, special);
}

/* Backward's exponential: es = exp(-v) 2^-64, v = beta*x clamped to [-128, 20]: n in [-29, 185], es in
 * [2^-94, 2^122]. Below -128, dy sigmoid < 2^33 2^-184.7 rounds to 0 either way; above 20, 1 + e is 1. */
SP_INLINE vf sp_bwd_exp(const sp_f32_k *k, int mode, vf x)
{
    const int unit = mode != 0;
    const vf z = sp_fast_z(k, unit, x);
    const vf v = MIN(MAX(z, F(-SP_FAST_A_MAX)), F(SP_FAST_Z_MAX));
    return sp_fast_exp(v, unit ? ZERO() : sp_fast_zl(k, x, z), unit, 0x1p-64f, mode == 0);
}

/* q = dy / d with d = es + 2^-64 = (1 + e) 2^-64 rounded once: one IEEE division, the same bits on every
 * ISA; q = dy sigmoid(beta*x) 2^64 */
SP_INLINE vf sp_bwd_quotient(vf dy, vf es)
{
    return DIV(dy, ADD(es, F(0x1p-64f)));
}

/* dx = dy sigmoid(beta*x) = q 2^-64, an exact scaling that rounds a second time only where dx is subnormal.
 * *special flags the lanes the scalar reference must redo, z not finite or dy NaN, infinite or above 2^33
 * in magnitude (sp_fast_multiplier_special_z). */
SP_INLINE vf sp_bwd_from_quotient(const sp_f32_k *k, int mode, vf dy, vf x, vf q, vm *special)
{
    const vf z = sp_fast_z(k, mode != 0, x);
    *special = sp_fast_multiplier_special_z(z, dy);
    const vf dx = MUL(q, F(0x1p-64f));
    return mode == 2 ? dx : SELECT(GT(z, F(k->thr)), dy, dx);
}

/* dx from the exponential es (the half-precision loops, which take dy in their second pass) */
SP_INLINE vf sp_bwd_value(const sp_f32_k *k, int mode, vf dy, vf x, vf es, vm *special)
{
    return sp_bwd_from_quotient(k, mode, dy, x, sp_bwd_quotient(dy, es), special);
}

/* The loop driver's two stages (arch/softplus_loop.h). Where the ops header defines
 * SP_FAST_BWD_DIVIDE_IN_STAGE1 (AVX-512), the loops of beta = 1 (modes 1 and 2) divide in stage 1, so that
 * the divider runs beside the exponential's FMA work, which holds both of the core's 512-bit pipes, instead of
 * after it in a pass of its own; the buffer then holds q instead of es. The same operations on the same
 * values either way: the same bits (the digests). Alternated (Intel Xeon, threshold 20): AVX-512 beta 1, 4K to
 * 64K elements, 0.89-0.95x the time; at 32M 1.00x (memory). Left where it lost: AVX-512 beta 0.5 and 2 (mode
 * 0, whose stage 1 also carries beta*x's rounding error) 1.01-1.09x; AVX2 4K 0.90-0.98x but 16K-64K
 * 1.02-1.05x; the strict backward (its division after the exponential's pair arithmetic) 1.07-1.14x, AVX-512
 * and AVX2; the bf16 and f16 backward (arch/softplus_half_fused.h, dy widened in its first pass too)
 * 1.04-1.08x, AVX-512: they take sp_bwd_exp and sp_bwd_value. */
#ifdef SP_FAST_BWD_DIVIDE_IN_STAGE1
#define SP_FAST_BWD_DIVIDES_FIRST(mode) ((mode) != 0)
#else
#define SP_FAST_BWD_DIVIDES_FIRST(mode) 0
#endif

SP_INLINE void sp_bwd_front(const sp_f32_k *k, int mode, vf dy, vf x, vf *b)
{
    const vf es = sp_bwd_exp(k, mode, x);
    *b = SP_FAST_BWD_DIVIDES_FIRST(mode) ? sp_bwd_quotient(dy, es) : es;
}

SP_INLINE vf sp_bwd_finish(const sp_f32_k *k, int mode, vf dy, vf x, vf b, vm *special)
{
    return sp_bwd_from_quotient(k, mode, dy, x, SP_FAST_BWD_DIVIDES_FIRST(mode) ? b : sp_bwd_quotient(dy, b),
                                special);
}

/* Backward's block screen (arch/softplus_loop.h): acc + fma(dy, C, z), the sum of what sp_bwd_finish's test
 * (sp_fast_multiplier_special_z) tests, stays finite over a block only if no lane of it is flagged: an infinity or
 * NaN never comes back to a finite sum. So a block whose sum is finite runs without reading the mask; a sum
 * that overflows from finite terms only sends its block to the masked loop. Two operations per vector instead
 * of the mask's, its move to a general register, test and branch (the product rounded on its own, dy 2^96
 * then + z, was three: 0.94-0.98x the time with AVX-512 at 4K-64K elements, AVX2 0.94-0.96x, beta 1, Intel
 * Xeon, December 2026). */
SP_INLINE vf sp_bwd_screen(const sp_f32_k *k, int mode, vf dy, vf x, vf acc)
{
    return ADD(acc, sp_fast_multiplier_flag(sp_fast_z(k, mode != 0, x), dy));
}
#define SP_BWD_SCREEN sp_bwd_screen
#define SP_BWD_SCREEN_INIT ZERO()
#define SP_BWD_SCREEN_HIT(acc) SP_LOOP_BITS(NOT_FINITE(acc))

/* softplus_f32_sse41.c -- f32 softplus kernels for SSE4.1 (no FMA): forward, backward and release 1.1's ops.
 * SPDX-License-Identifier: MIT
 *
 * Method. Without FMA the error-free steps of the FMA kernels cost too much, so this kernel works in
 * double, two lanes at a time, where beta*x is exact (24 + 24 bits) and ~30 correct bits are plenty
 * for a result rounded once to float:
 *   t = exp(-a), a = min(|beta*x|, 600): a = k ln2 + r (Cody-Waite, k*SP_LN2_HI exact), |r| <= ln2/2,
 *     exp(-r) = E(r) (degree 6), 2^-k put in the exponent field (k <= 866, a normal double).
 *     The cap is not 120, where exp(-a) already rounds to float 0, because the result may still be
 *     scaled up: by 1/|beta| <= 2^149 forward and by |dy| < 2^128 backward, so float results reach down
 *     to exp(-a) ~ 2^-299; at a = 600 (2^-865.6) every such product is far below float's range, while
 *     exp(-a) times 1/|beta| >= 2^-128 or |dy| >= 2^-149 is still a normal double, so a zero result
 *     keeps its sign (x*0 + tiny, not +0 + -0);
 *   log1p(t) = 2 atanh(s), s = t/(2+t) <= 1/3: 2s + 2s w G(w), w = s^2, G degree 4;
 *   both polynomials by Estrin's scheme (pairs, then powers r^2, r^4 resp. w^2), not Horner's rule:
 *     without FMA each Horner step is a dependent multiply and add, and those chains set the pace of
 *     forward and the beta gradient (alternated in one process on AMD Zen 5, 4K elements, December 2026:
 *     forward 0.955x the time, the beta gradient 0.933x, the inverse 0.988x; backward and the second
 *     derivative 0.991-0.996x, bound by their operation count at two lanes per double vector);
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
 *   7.3    fwd  0.5371     -0x1.29ab32p-1    0x1.ff98fp-10    0x1.ff98f112fa45ap-10
 *   7.3    bwd  0.5343     -0x1.9eaffep+1    0x1.d7273ap-35   0x1.d7273b11929ep-35
 *   i.e. one rounding of a double result good to ~2^-28.7 (the exp polynomial dominates). Since the
 *   polynomials run by Estrin's scheme (December 2026) beta 1 is unchanged on all 2^32 inputs (every op);
 *   beta 7.3 is from every 16th input (before: fwd 0.5372 at -0x1.8b407ap-1, bwd 0.5344 at -0x1.d0c46ap+0).
 *   SP_MAX_ULP_F32_SSE41 and SP_MAX_ULP_BETA_F32_SSE41 (src/kernels.h, enforced by the tests): 0.75.
 * Special values: lanes where fl(beta*x) is not finite (NaN, +-inf, overflow) and, backward, where dy
 *   is not finite, are flagged in a mask and redone after each block by the scalar reference in
 *   sp_*_special (arch/softplus_f32_kernels.h). The threshold test is on the float product, as PyTorch makes it.
 * Loops, tails and the special lanes' deferral: arch/softplus_loop.h through the f32 kernels' shared
 *   shell, arch/softplus_f32_kernels.h; stage 1 is t = exp(-|beta*x|) in double (two vectors of two
 *   lanes, handed on as float vectors of the same bits), stage 2 the rest.
 * Release 1.1's ops, the same way: forward's stage 1 (t = exp(-min(|z|, 600)) in double), then in double,
 *   rounded once to float:
 *   second derivative  g beta t/(1+t)^2 (one division; g beta exact in double, so the multiplier costs one
 *                      rounding in double and one to float, as the scalar reference's g*beta*d);
 *   beta gradient      -dy h/beta^2, h = a t/(1+t) + log1p(t) = softplus(z) - z s(z), a = min(|z|, 600):
 *                      two positive terms, nothing cancels; q = t/((1+t)(2+t)) is the one division, t/(1+t) =
 *                      q (2+t) and log1p(t) = 2 atanh(q (1+t)) by forward's G; -1/beta^2 in double (beta^2 is
 *                      exact and normal there for every finite float beta);
 *   inverse            x = v/beta, v = log(expm1(z)) = Z + log(N/D) with log(N/D) = 2 atanh((N-D)/(N+D)) by G
 *                      (one division) in three ranges: z >= 1: Z = z, N/D = 1 - t; 1/2 <= z < 1: Z = 0, N/D =
 *                      1 + 2 expm1(d), d = (z - ln2_hi) - ln2_lo in double (the first difference exact), expm1(d)
 *                      = d + d^2/2 + d^3 MB(d), so the zero at z = ln 2 is relatively exact for any beta; z < 1/2:
 *                      Z = k ln2 + z/2 + z^2 LB(z^2), N/D = m, z = 2^k m, m in [sqrt(1/2), sqrt(2)) from the
 *                      bits. A vector runs the middle and the low range only when one of its lanes needs it
 *                      (the lanes' bits do not depend on it). |(N-D)/(N+D)| <= 0.27 everywhere: w <= 0.07.
 *   Special lanes, redone by the scalar reference: fl(beta*x) not finite, the multiplier not finite, and for
 *   the inverse fl(beta*y) <= 0 (NaN, the limit -inf/beta, beta*y rounding to 0). The linear branch gives +0
 *   (second derivative, beta gradient) or y (inverse). Any finite beta runs the vector code.
 * Polynomials of the inverse: tests/tools/softplus_f32_coeffs.sollya (LB degree 2 in z^2 on (0, 1/2], absolute
 *   error of z^2 LB 2^-36.2; MB degree 4 on [-0.2, 0.31], relative error of expm1 2^-32.6).
 * Accuracy of the 1.1 ops (tests/accuracy/ulp_sweep against tests/ulp.c's references, unit multiplier,
 *   thresholds inf and 20; beta = 1 on all 2^32 inputs, the other betas on every 16th (2^28); every result
 *   within 0.538 ULP):
 *   beta   op     worst ULP  at x               got              want
 *   1      dbwd   0.5344     0x1.aba238p+5     0x1.d7bffep-78   0x1.d7bfff11a2d23p-78
 *   1      inv    0.5186     0x1.01f21ap+0     0x1.1b4d0ap-1    0x1.1b4d08f678469p-1
 *   1      bbeta  0.5372     0x1.eda584p+2     -0x1.fe253cp-9   -0x1.fe253d13097b9p-9
 *   0.5, 2, -1  every 16th input: the errors of beta = 1's every 16th (0.5343 at 0x1.d47954p+3, 0.5181 at
 *          0x1.0282eep+0, 0.5365 at 0x1.0acbdcp+5), at the same beta x (inputs x 2, x 1/2, x -1)
 *   7.3    dbwd   0.5313     0x1.0e3754p+0     0x1.ae9028p-9    0x1.ae9029100cfcap-9
 *   7.3    inv    0.5202     0x1.1b3bfep-3     0x1.383618p-4    0x1.383616f5a8ac1p-4
 *   7.3    bbeta  0.5366     0x1.bc36aap-1     -0x1.ffa5p-13    -0x1.ffa50112c10dp-13
 *   i.e. one rounding of a double result good to ~2^-28.7, as forward and backward (t's exp dominates).
 *   SP_MAX_ULP{,_BETA}_F32_SSE41 = 0.75 holds for them as for forward and backward.
 *   The tests catch a broken kernel: deciding the middle range from the low two lanes only (a lane's bits
 *   then depend on its neighbours) failed test_accuracy's tails and beta 2 / 7.3 sweeps.
 * Speed of the 1.1 ops beside backward (bench_softplus --isa sse41, SOFTPLUS_ISA=sse41, kernel column,
 *   Gelem/s, one run per size under /tmp/smt/hi.sh on the 2-core EPYC at load 12-20, so the ratios rather
 *   than the rates):
 *                 backward  second derivative  inverse        beta gradient   forward
 *   1K  (L1)      0.395     0.422 (1.07x)      0.181 (0.46x)  0.173 (0.44x)   0.299
 *   4K  (L1)      0.393     0.388 (0.99x)      0.180 (0.46x)  0.219 (0.56x)   0.228
 *   32M (DRAM)    0.380     0.288 (0.76x)*     0.157 (0.41x)  0.172 (0.45x)   0.231   (a second run: the first
 *                 had backward at 0.123 +-23%; * +-20%, its api column 0.375; compute-bound, as in L1)
 *   The scalar reference they replace (bench --isa scalar, 4K): 0.099, 0.056, 0.052-0.075 Gelem/s, so 3.9x,
 *   3.2x and 3-4x. The second derivative is backward plus a multiplication; the inverse and the beta
 *   gradient cost an exp, a quotient and forward's log polynomial (forward's own work, which runs at ~0.6x
 *   backward's rate on this ISA) plus their range logic: short of the "as fast as backward" in L1.
 * Speed of forward and backward (AMD EPYC Zen 5 at ~4.2 GHz, one core, contiguous f32, machine otherwise idle; measured with
 * the one-vector-per-iteration loops this file had before arch/softplus_loop.h):
 *   Gelem/s (bench/bench_softplus)   L1 (1K)  L2 (16K)  LLC (512K)  DRAM (32M)
 *   forward  beta = 1                 0.25     0.27      0.27        0.27
 *   backward beta = 1                 0.45     0.45      0.45        0.44
 *   forward 2.1-2.4x the libm loop (expf + log1pf, 0.12), backward 3.6x an expf loop at LLC/DRAM:
 *   the goal of 4x is not met (two double lanes per instruction, a division per lane).
 *   The two-stage blocks run faster than those loops at L1 (adjacent runs on a loaded machine,
 *   new/old 1.25 forward, 1.13 backward).
 */
#include <math.h>
#include <smmintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#include "arch/x86/f32_tail_sse41.h"

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
/* The inverse: ln 2 = SP_LN2D_HI + SP_LN2D_LO to 2^-110; log(expm1(z)/z) - z/2 = z^2 LB(z^2) on (0, 1/2],
 * absolute error 2^-36.2; expm1(d) = d + d^2/2 + d^3 MB(d) on [-0.2, 0.31], relative error 2^-32.6 */
#define SP_LN2D_HI 0x1.62e42fefa39efp-1  /* ln 2 rounded to double ~ 0.69314718 */
#define SP_LN2D_LO 0x1.abc9e3b39803fp-56 /* ln 2 - SP_LN2D_HI ~ 2.3190468e-17 */
#define SP_SQRT_HALF_BITS 0x3fe6a09e667f3bcdll /* the bits of sqrt(1/2) ~ 0.70710678 */
#define SP_LB0 0x1.5555554e77c3cp-5      /*  0.041666666 */
#define SP_LB1 -0x1.6c15c9d93bf2p-12     /* -0.00034721862 */
#define SP_LB2 0x1.6f4881205c565p-18     /*  5.4729465e-06 */
#define SP_MB0 0x1.555555885bb38p-3      /*  0.16666667 */
#define SP_MB1 0x1.55554c60dff5cp-5      /*  0.041666653 */
#define SP_MB2 0x1.110e93a86aa97p-7      /*  0.0083334636 */
#define SP_MB3 0x1.6c6ddbfa4718bp-10     /*  0.0013901897 */
#define SP_MB4 0x1.aee973a085bddp-13     /*  0.00020548889 */

#define D(c) _mm_set1_pd(c)

/* ---- the vector ops of arch/softplus_loop.h and arch/softplus_f32_kernels.h ------------------- */
typedef __m128 vf;
typedef __m128 vm; /* lane masks are all-ones/all-zeros vectors */
#define SP_LOOP_W 4
#define SP_LOOP_LOADU(p) _mm_loadu_ps(p)
#define SP_LOOP_STOREU(p, v) _mm_storeu_ps(p, v)
#define SP_LOOP_LOADA(p) _mm_load_ps(p)
#define SP_LOOP_STOREA(p, v) _mm_store_ps(p, v)
#define SP_LOOP_STREAM(p, v) _mm_stream_ps(p, v)
#define SP_LOOP_STREAM_FENCE() _mm_sfence()
#define SP_LOOP_BITS(m) ((uint64_t)_mm_movemask_ps(m))
/* The last k = 1..3 elements: arch/x86/f32_tail_sse41.h */
#define SP_LOOP_LOAD_TAIL(p, k) sp_load_tail3(p, k)
#define SP_LOOP_STORE_TAIL(p, v, k) sp_store_tail3(p, v, k)

/* exp(-a) for 0 <= a <= SP_A_MAX: a = k ln2 + r, exp(-r) by a polynomial, 2^-k built in the
 * exponent field (k <= 866, so 2^-k is a normal double). */
SP_INLINE __m128d sp_exp_neg(__m128d a)
{
    const __m128d k =
        _mm_round_pd(_mm_mul_pd(a, D(SP_INV_LN2)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m128d r = _mm_sub_pd(_mm_sub_pd(a, _mm_mul_pd(k, D(SP_LN2_HI))), _mm_mul_pd(k, D(SP_LN2_LO)));
    const __m128d r2 = _mm_mul_pd(r, r), r4 = _mm_mul_pd(r2, r2);
    const __m128d p01 = _mm_add_pd(_mm_mul_pd(D(SP_E1), r), D(1.0));
    const __m128d p23 = _mm_add_pd(_mm_mul_pd(D(SP_E3), r), D(SP_E2));
    const __m128d p45 = _mm_add_pd(_mm_mul_pd(D(SP_E5), r), D(SP_E4));
    const __m128d p46 = _mm_add_pd(_mm_mul_pd(D(SP_E6), r2), p45);
    const __m128d E = _mm_add_pd(_mm_add_pd(_mm_mul_pd(p23, r2), p01), _mm_mul_pd(p46, r4));
    const __m128i ki = _mm_cvtepi32_epi64(_mm_cvtpd_epi32(k));
    const __m128i bits = _mm_slli_epi64(_mm_sub_epi64(_mm_set1_epi64x(1023), ki), 52);
    return _mm_mul_pd(E, _mm_castsi128_pd(bits));
}

/* Per-call scalars, broadcast where used. The double 1/beta has relative error 2^-53: nothing a
 * float result can see. */
typedef struct sp_f32_k {
    float beta, thr;
    double betad, ibd;
    double nib2; /* -1/beta^2 for the beta gradient (sp_f32_make_k_bbeta), else 0 */
} sp_f32_k;

static sp_f32_k sp_f32_make_k(const sp_params_f32 *p)
{
    sp_f32_k k;
    k.beta = p->beta;
    k.thr = p->threshold;
    k.betad = (double)p->beta;
    k.ibd = 1.0 / (double)p->beta;
    k.nib2 = 0.0;
    return k;
}

/* sp_f32_make_k and -1/beta^2 (beta^2 is exact in double and normal, 2^-298 to 2^256), which only the beta
 * gradient reads: the other ops' calls do without its division */
static sp_f32_k sp_f32_make_k_bbeta(const sp_params_f32 *p)
{
    sp_f32_k k = sp_f32_make_k(p);
    k.nib2 = -1.0 / ((double)p->beta * (double)p->beta);
    return k;
}

/* any finite beta keeps its exactness in double (forward and the inverse) */
static int sp_f32_fwd_vector_ok(const sp_params_f32 *p)
{
    (void)p;
    return 1;
}

/* ... and the beta gradient's 1/beta^2 stays a normal double */
static int sp_f32_bbeta_vector_ok(const sp_params_f32 *p)
{
    (void)p;
    return 1;
}

/* The two stages, in the argument order of arch/softplus_loop.h: stage 1 is t = exp(-|beta*x|) for
 * the low and the high two lanes (as float vectors of the same bits), stage 2 the rest; both ops
 * share stage 1. Each stage recomputes z = beta*x (exact in double): the same bits either way. */
#define SP_FWD_NBUF 2
#define SP_BWD_NBUF 2

SP_INLINE __m128d sp_t2(__m128d xd, const sp_f32_k *k, int unit)
{
    const __m128d z = unit ? xd : _mm_mul_pd(D(k->betad), xd);
    return sp_exp_neg(_mm_min_pd(_mm_andnot_pd(D(-0.0), z), D(SP_A_MAX)));
}

SP_INLINE void sp_fwd_front(const sp_f32_k *k, int unit, vf x, vf *tlo, vf *thi)
{
    *tlo = _mm_castpd_ps(sp_t2(_mm_cvtps_pd(x), k, unit));
    *thi = _mm_castpd_ps(sp_t2(_mm_cvtps_pd(_mm_movehl_ps(x, x)), k, unit));
}

SP_INLINE void sp_bwd_front(const sp_f32_k *k, int unit, vf dy, vf x, vf *tlo, vf *thi)
{
    (void)dy;
    sp_fwd_front(k, unit, x, tlo, thi);
}

/* 2 atanh(s) = log((1 + s)/(1 - s)) for |s| <= 1/3: 2s + 2s w G(w), w = s^2 */
SP_INLINE __m128d sp_log_ratio(__m128d s)
{
    const __m128d w = _mm_mul_pd(s, s);
    const __m128d w2 = _mm_mul_pd(w, w);
    const __m128d g01 = _mm_add_pd(_mm_mul_pd(D(SP_G1), w), D(SP_G0));
    const __m128d g23 = _mm_add_pd(_mm_mul_pd(D(SP_G3), w), D(SP_G2));
    const __m128d g24 = _mm_add_pd(_mm_mul_pd(D(SP_G4), w2), g23);
    const __m128d G = _mm_add_pd(_mm_mul_pd(g24, w2), g01);
    const __m128d s2 = _mm_add_pd(s, s);
    return _mm_add_pd(s2, _mm_mul_pd(s2, _mm_mul_pd(w, G)));
}

/* Two lanes of softplus in double from t: y = (z > 0 ? x : 0) + log1p(t)/beta, z = beta*x exact. */
SP_INLINE __m128d sp_fwd2(__m128d xd, __m128d t, const sp_f32_k *k, int unit)
{
    const __m128d z = unit ? xd : _mm_mul_pd(D(k->betad), xd);
    const __m128d g = sp_log_ratio(_mm_div_pd(t, _mm_add_pd(t, D(2.0)))); /* log1p(t) */
    const __m128d xp = _mm_and_pd(_mm_cmpgt_pd(z, _mm_setzero_pd()), xd);
    return _mm_add_pd(xp, unit ? g : _mm_mul_pd(g, D(k->ibd)));
}

/* Two lanes of sigmoid(beta*x) in double from t. */
SP_INLINE __m128d sp_sig2(__m128d xd, __m128d t, const sp_f32_k *k, int unit)
{
    const __m128d z = unit ? xd : _mm_mul_pd(D(k->betad), xd);
    const __m128d num = _mm_blendv_pd(D(1.0), t, _mm_cmplt_pd(z, _mm_setzero_pd()));
    return _mm_div_pd(num, _mm_add_pd(t, D(1.0)));
}

#define SP_NOT_FINITE(v) _mm_cmpnlt_ps(_mm_andnot_ps(_mm_set1_ps(-0.0f), v), _mm_set1_ps(INFINITY))

SP_INLINE vf sp_fwd_finish(const sp_f32_k *k, int unit, vf x, vf tlo, vf thi, vm *special)
{
    /* the branch decision is on the float product, as PyTorch makes it */
    const __m128 zf = unit ? x : _mm_mul_ps(_mm_set1_ps(k->beta), x);
    *special = SP_NOT_FINITE(zf); /* NaN, +-inf, or beta*x overflowing */
    const __m128d lo = sp_fwd2(_mm_cvtps_pd(x), _mm_castps_pd(tlo), k, unit);
    const __m128d hi = sp_fwd2(_mm_cvtps_pd(_mm_movehl_ps(x, x)), _mm_castps_pd(thi), k, unit);
    const __m128 y = _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
    return _mm_blendv_ps(y, x, _mm_cmpgt_ps(zf, _mm_set1_ps(k->thr)));
}

SP_INLINE vf sp_bwd_finish(const sp_f32_k *k, int unit, vf dy, vf x, vf tlo, vf thi, vm *special)
{
    const __m128 zf = unit ? x : _mm_mul_ps(_mm_set1_ps(k->beta), x);
    /* also an infinite or NaN dy: the reference's inf*0 = NaN where exp underflows in double */
    *special = _mm_or_ps(SP_NOT_FINITE(zf), SP_NOT_FINITE(dy));
    const __m128d slo = sp_sig2(_mm_cvtps_pd(x), _mm_castps_pd(tlo), k, unit);
    const __m128d shi = sp_sig2(_mm_cvtps_pd(_mm_movehl_ps(x, x)), _mm_castps_pd(thi), k, unit);
    /* dx = dy*s rounded once from double, as the reference does */
    const __m128d dlo = _mm_mul_pd(_mm_cvtps_pd(dy), slo);
    const __m128d dhi = _mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(dy, dy)), shi);
    const __m128 dx = _mm_movelh_ps(_mm_cvtpd_ps(dlo), _mm_cvtpd_ps(dhi));
    return _mm_blendv_ps(dx, dy, _mm_cmpgt_ps(zf, _mm_set1_ps(k->thr)));
}

/* ---- release 1.1: the second derivative, the beta gradient and the inverse -------------------------
 * All three take forward's stage 1 (t = exp(-min(|beta*x|, 600)) in double) and finish in double, rounded
 * once to float; their methods are in the header comment. */
#define SP_DBWD_NBUF 2
#define SP_BBETA_NBUF 2
#define SP_INV_NBUF 2

SP_INLINE void sp_dbwd_front(const sp_f32_k *k, int unit, vf g, vf x, vf *tlo, vf *thi)
{
    (void)g;
    sp_fwd_front(k, unit, x, tlo, thi);
}

SP_INLINE void sp_bbeta_front(const sp_f32_k *k, int unit, vf dy, vf x, vf *tlo, vf *thi)
{
    (void)dy;
    sp_fwd_front(k, unit, x, tlo, thi);
}

SP_INLINE void sp_inv_front(const sp_f32_k *k, int unit, vf y, vf *tlo, vf *thi)
{
    sp_fwd_front(k, unit, y, tlo, thi);
}

/* Two lanes of g beta t/(1+t)^2: g beta is exact in double, so the multiplier costs one rounding in double
 * and the result one to float, as the reference's. */
SP_INLINE __m128d sp_dbwd2(__m128d gd, __m128d t, const sp_f32_k *k, int unit)
{
    const __m128d u = _mm_add_pd(t, D(1.0));
    const __m128d d = _mm_div_pd(t, _mm_mul_pd(u, u));
    return _mm_mul_pd(unit ? gd : _mm_mul_pd(gd, D(k->betad)), d);
}

SP_INLINE vf sp_dbwd_finish(const sp_f32_k *k, int unit, vf g, vf x, vf tlo, vf thi, vm *special)
{
    const __m128 zf = unit ? x : _mm_mul_ps(_mm_set1_ps(k->beta), x);
    *special = _mm_or_ps(SP_NOT_FINITE(zf), SP_NOT_FINITE(g));
    const __m128d lo = sp_dbwd2(_mm_cvtps_pd(g), _mm_castps_pd(tlo), k, unit);
    const __m128d hi = sp_dbwd2(_mm_cvtps_pd(_mm_movehl_ps(g, g)), _mm_castps_pd(thi), k, unit);
    const __m128 r = _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
    return _mm_andnot_ps(_mm_cmpgt_ps(zf, _mm_set1_ps(k->thr)), r); /* +0 in the linear branch */
}

/* Two lanes of -dy h/beta^2, h = a t/(1+t) + log1p(t), a = min(|z|, 600): both terms positive, and one
 * division for both quotients, q = 1/((1+t)(2+t)). Past the clamp every such result is a float zero (of
 * -dy's sign), as the exact one: dy/beta^2 <= 2^426 and h(600) < 2^-856. */
SP_INLINE __m128d sp_bbeta2(__m128d dyd, __m128d xd, __m128d t, const sp_f32_k *k, int unit)
{
    const __m128d z = unit ? xd : _mm_mul_pd(D(k->betad), xd);
    const __m128d a = _mm_min_pd(_mm_andnot_pd(D(-0.0), z), D(SP_A_MAX));
    const __m128d u1 = _mm_add_pd(t, D(1.0));
    const __m128d u2 = _mm_add_pd(t, D(2.0));
    const __m128d q = _mm_div_pd(t, _mm_mul_pd(u1, u2));
    const __m128d sig = _mm_mul_pd(q, u2);                /* t/(1+t) = s(-a) */
    const __m128d g = sp_log_ratio(_mm_mul_pd(q, u1));    /* log1p(t) = 2 atanh(t/(2+t)) */
    const __m128d h = _mm_add_pd(_mm_mul_pd(a, sig), g);
    const __m128d dh = _mm_mul_pd(dyd, h);
    return unit ? _mm_xor_pd(dh, D(-0.0)) : _mm_mul_pd(dh, D(k->nib2));
}

SP_INLINE vf sp_bbeta_finish(const sp_f32_k *k, int unit, vf dy, vf x, vf tlo, vf thi, vm *special)
{
    const __m128 zf = unit ? x : _mm_mul_ps(_mm_set1_ps(k->beta), x);
    *special = _mm_or_ps(SP_NOT_FINITE(zf), SP_NOT_FINITE(dy));
    const __m128d lo = sp_bbeta2(_mm_cvtps_pd(dy), _mm_cvtps_pd(x), _mm_castps_pd(tlo), k, unit);
    const __m128d hi =
        sp_bbeta2(_mm_cvtps_pd(_mm_movehl_ps(dy, dy)), _mm_cvtps_pd(_mm_movehl_ps(x, x)), _mm_castps_pd(thi), k, unit);
    const __m128 r = _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
    return _mm_andnot_ps(_mm_cmpgt_ps(zf, _mm_set1_ps(k->thr)), r); /* +0 in the linear branch */
}

/* Two lanes of the inverse, v = log(expm1(z)) and x = v/beta, for z > 0 (other lanes are special). Each
 * range gives v = Z + log(N/D) with N/D in [0.63, 1.72], whose logarithm is one quotient and G:
 *   z >= 1        Z = z,  N/D = 1 - t (s = -t/(2 - t))
 *   1/2 <= z < 1  Z = 0,  N/D = 1 + E, E = 2 expm1(d) = e^z - 2, d = (z - ln2_hi) - ln2_lo (the first
 *                 difference exact, Sterbenz): the zero of v at ln 2 comes out relatively exact
 *   z < 1/2       Z = k ln2 + z/2 + z^2 LB(z^2), N/D = m, z = 2^k m with m in [sqrt(1/2), sqrt(2)): m - 1 exact
 * The middle and the low ranges run only where the caller says some lane of the vector needs them (mid,
 * low); a range that does not run leaves lanes that are not in it unchanged, so the bits do not depend
 * on the neighbours. */
SP_INLINE __m128d sp_inv2(__m128d yd, __m128d t, const sp_f32_k *k, int unit, int mid, int low)
{
    const __m128d z = unit ? yd : _mm_mul_pd(D(k->betad), yd);
    const __m128d in_high = _mm_cmpge_pd(z, D(1.0));
    __m128d num = _mm_xor_pd(t, D(-0.0)), den = _mm_sub_pd(D(2.0), t), Z = z;
    if (mid) {
        const __m128d d = _mm_sub_pd(_mm_sub_pd(z, D(SP_LN2D_HI)), D(SP_LN2D_LO));
        const __m128d d2 = _mm_mul_pd(d, d);
        __m128d M = _mm_add_pd(_mm_mul_pd(D(SP_MB4), d), D(SP_MB3));
        M = _mm_add_pd(_mm_mul_pd(M, d), D(SP_MB2));
        M = _mm_add_pd(_mm_mul_pd(M, d), D(SP_MB1));
        M = _mm_add_pd(_mm_mul_pd(M, d), D(SP_MB0));
        const __m128d em1 = _mm_add_pd(d, _mm_add_pd(_mm_mul_pd(d2, D(0.5)), _mm_mul_pd(_mm_mul_pd(d2, d), M)));
        const __m128d E = _mm_add_pd(em1, em1);
        num = _mm_blendv_pd(E, num, in_high);
        den = _mm_blendv_pd(_mm_add_pd(E, D(2.0)), den, in_high);
        Z = _mm_and_pd(in_high, Z);
    }
    if (low) {
        const __m128d in_low = _mm_cmplt_pd(z, D(0.5));
        const __m128i bits = _mm_castpd_si128(z);
        const __m128i off = _mm_sub_epi64(bits, _mm_set1_epi64x(SP_SQRT_HALF_BITS));
        /* k = off >> 52 (arithmetic: the high halves >> 20), m = z 2^-k */
        const __m128i kv = _mm_shuffle_epi32(_mm_srai_epi32(off, 20), _MM_SHUFFLE(3, 1, 3, 1));
        const __m128d kd = _mm_cvtepi32_pd(kv);
        const __m128d m =
            _mm_castsi128_pd(_mm_sub_epi64(bits, _mm_and_si128(off, _mm_set1_epi64x((long long)0xfff0000000000000ull))));
        const __m128d z2 = _mm_mul_pd(z, z);
        __m128d L = _mm_add_pd(_mm_mul_pd(D(SP_LB2), z2), D(SP_LB1));
        L = _mm_add_pd(_mm_mul_pd(L, z2), D(SP_LB0));
        const __m128d small = _mm_add_pd(_mm_mul_pd(kd, D(SP_LN2_LO)), _mm_add_pd(_mm_mul_pd(z, D(0.5)), _mm_mul_pd(z2, L)));
        const __m128d Zl = _mm_add_pd(_mm_mul_pd(kd, D(SP_LN2_HI)), small); /* k SP_LN2_HI is exact */
        num = _mm_blendv_pd(num, _mm_sub_pd(m, D(1.0)), in_low);
        den = _mm_blendv_pd(den, _mm_add_pd(m, D(1.0)), in_low);
        Z = _mm_blendv_pd(Z, Zl, in_low);
    }
    const __m128d v = _mm_add_pd(Z, sp_log_ratio(_mm_div_pd(num, den)));
    return unit ? v : _mm_mul_pd(v, D(k->ibd));
}

SP_INLINE vf sp_inv_finish(const sp_f32_k *k, int unit, vf y, vf tlo, vf thi, vm *special)
{
    const __m128 zf = unit ? y : _mm_mul_ps(_mm_set1_ps(k->beta), y);
    /* y <= 0 (NaN, the limit -inf/beta), beta*y rounding to 0 or overflowing: the reference */
    *special = _mm_or_ps(_mm_cmpngt_ps(zf, _mm_setzero_ps()), SP_NOT_FINITE(zf));
    const __m128d ylo = _mm_cvtps_pd(y), yhi = _mm_cvtps_pd(_mm_movehl_ps(y, y));
    const __m128d zlo = unit ? ylo : _mm_mul_pd(D(k->betad), ylo);
    const __m128d zhi = unit ? yhi : _mm_mul_pd(D(k->betad), yhi);
    /* which ranges some lane needs, from the same double z the ranges' selects use (a lane in no range,
     * NaN, counts as a middle one) */
    const int low = _mm_movemask_pd(_mm_cmplt_pd(zlo, D(0.5))) | _mm_movemask_pd(_mm_cmplt_pd(zhi, D(0.5)));
    const int mid = (_mm_movemask_pd(_mm_cmpnlt_pd(zlo, D(0.5))) & ~_mm_movemask_pd(_mm_cmpge_pd(zlo, D(1.0)))) |
                    (_mm_movemask_pd(_mm_cmpnlt_pd(zhi, D(0.5))) & ~_mm_movemask_pd(_mm_cmpge_pd(zhi, D(1.0))));
    const __m128d lo = sp_inv2(ylo, _mm_castps_pd(tlo), k, unit, mid, low);
    const __m128d hi = sp_inv2(yhi, _mm_castps_pd(thi), k, unit, mid, low);
    const __m128 x = _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
    return _mm_blendv_ps(x, y, _mm_cmpgt_ps(zf, _mm_set1_ps(k->thr)));
}

#include "arch/softplus_f32_kernels.h"

void sp_fwd_f32_sse41(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    sp_f32_fwd(n, x, y, p);
}

void sp_bwd_f32_sse41(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    sp_f32_bwd(n, dy, x, dx, p);
}

void sp_dbwd_f32_sse41(size_t n, const float *g, const float *x, float *out, const sp_params_f32 *p)
{
    sp_f32_dbwd(n, g, x, out, p);
}

void sp_bbeta_f32_sse41(size_t n, const float *dy, const float *x, float *dbeta, const sp_params_f32 *p)
{
    sp_f32_bbeta(n, dy, x, dbeta, p);
}

void sp_inv_f32_sse41(size_t n, const float *y, float *x, const sp_params_f32 *p)
{
    sp_f32_inv(n, y, x, p);
}

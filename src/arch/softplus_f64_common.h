/* softplus_f64_common.h -- constants, tables and scalar helpers shared by the f64 kernels.
 * SPDX-License-Identifier: MIT
 *
 * Included by x86/softplus_f64_{sse41,avx2,avx512}.c, which are compiled with different -m flags, and
 * by arm/softplus_f64_neon.c (sharing the constants is part of what keeps the FMA kernels bit-identical
 * across x86 and aarch64). So this header holds only macros, constants, types and static scalar
 * functions without intrinsics: each kernel file compiles its own copy with its own flags, and nothing
 * here can carry one ISA's instructions into another file. The method and the measured errors are in
 * softplus_f64_fma_algorithm.h, the vector text of the FMA kernels; the SSE4.1 kernel keeps its own.
 */
#ifndef SP_SOFTPLUS_F64_COMMON_H
#define SP_SOFTPLUS_F64_COMMON_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"


/* ---- constants: output of tests/tools/softplus_f64_coeffs.sollya -------------------------------- */
#define SP_F64_INV_L 0x1.71547652b82fep4  /* 16/ln2 ~ 23.0831 */
/* the FMA kernels (avx2, avx512) reduce with fma(k, L_HI, a), exact for any k */
#define SP_F64_L_HI 0x1.62e42fefa39efp-5  /* ln2/16 ~ 0.0433217 */
#define SP_F64_L_LO 0x1.abc9e3b39803fp-60 /* ln2/16 - SP_F64_L_HI ~ 1.45e-18 */
/* sse41 has no FMA: a Cody-Waite high part short enough for k*L_CW_HI to be exact */
#define SP_F64_L_CW_HI 0x1.62e42fefap-5     /* ln2/16 to 37 bits: k*L_CW_HI is exact for |k| < 2^16 */
#define SP_F64_L_CW_LO 0x1.cf79abc9e3b3ap-44 /* ln2/16 - SP_F64_L_CW_HI ~ 1.65e-13 */
#define SP_F64_E2 0x1.0000000000004p-1    /* ~ 1/2 */
#define SP_F64_E3 -0x1.555555555555ap-3   /* ~ -1/6 */
#define SP_F64_E4 0x1.5555555484f75p-5    /* ~ 1/24 */
#define SP_F64_E5 -0x1.11111110720e1p-7   /* ~ -1/120 */
#define SP_F64_E6 0x1.6c183d9c33334p-10   /* ~ 1/720 */
#define SP_F64_E7 -0x1.a01badadc1e5ep-13  /* ~ -1/5040 */
#define SP_F64_G2 -0x1.fffffffffffd8p-2   /* ~ -1/2 */
#define SP_F64_G3 0x1.5555555555a09p-2    /* ~ 1/3 */
#define SP_F64_G4 -0x1.000000009667p-2    /* ~ -1/4 */
#define SP_F64_G5 0x1.999999888ccfbp-3    /* ~ 1/5 */
#define SP_F64_G6 -0x1.555542dd4ae99p-3   /* ~ -1/6 */
#define SP_F64_G7 0x1.2492d0c4dc43ap-3    /* ~ 1/7 */
#define SP_F64_G8 -0x1.006aa6b5b68dep-3   /* ~ -1/8 */
#define SP_F64_G9 0x1.c4e25d9b5bd76p-4    /* ~ 1/9 */

/* The tables as lists of (first, second) entries, j = 0..15, from which each kernel builds the layout
 * its lookup wants: the arrays below, and (AVX2) rows of (first, second) pairs, one load per lane.
 * Exp: (bits of T_j = RN(2^(j/16)) minus j<<48, so that adding k<<48 (k = 16e + j) yields T_j * 2^e;
 * Tr_j = (2^(j/16) - T_j) / T_j, all below 2^-53). */
#define SP_F64_EXP_TABLE(X) \
    X(0x3ff0000000000000ULL, 0x0p+0) \
    X(0x3fefb5586cf9890fULL, 0x1.79aa65d837b6dp-54) \
    X(0x3fef72b83c7d517bULL, -0x1.01b15eaa59348p-55) \
    X(0x3fef387a6e756238ULL, 0x1.68efde3a8a894p-54) \
    X(0x3fef06fe0a31b715ULL, 0x1.34d754db0abb6p-55) \
    X(0x3feedea64c123422ULL, 0x1.59f48a72a4c6dp-55) \
    X(0x3feebfdad5362a27ULL, 0x1.690cebb7aafbp-56) \
    X(0x3feeab07dd485429ULL, 0x1.063e1e21c5409p-54) \
    X(0x3feea09e667f3bcdULL, -0x1.3b3efbf5e2228p-54) \
    X(0x3feea11473eb0187ULL, -0x1.b32dcb94da51dp-56) \
    X(0x3feeace5422aa0dbULL, 0x1.db72fc1f0eab4p-55) \
    X(0x3feec49182a3f090ULL, 0x1.1affc2b91ce27p-56) \
    X(0x3feee89f995ad3adULL, 0x1.c1a7792cb3387p-55) \
    X(0x3fef199bdd85529cULL, 0x1.36eae30af0cb3p-56) \
    X(0x3fef5818dcfba487ULL, 0x1.4a385a63d07a7p-56) \
    X(0x3fefa4afa2a490daULL, -0x1.ff7128fd391fp-55)
/* Log: (c_i ~ 1/(1 + i/16) (c_15 ~ 1/(1 + 61/64)), 26 significant bits; l_i = -log(c_i), each within
 * 2^-13 ULP of the exact value) */
#define SP_F64_LOG_TABLE(X) \
    X(0x1p0 /* 1 */, 0x0p+0) \
    X(0x1.e1dcc78p-1 /* 0.941 */, 0x1.f0f9ccf6ae99fp-5) \
    X(0x1.c71bcp-1 /* 0.889 */, 0x1.e276b6e3e7aebp-4) \
    X(0x1.af27078p-1 /* 0.842 */, 0x1.5ff9a36d347f1p-3) \
    X(0x1.999b51p-1 /* 0.800 */, 0x1.c8f6e77e440a6p-3) \
    X(0x1.860eb58p-1 /* 0.762 */, 0x1.168f2e9b4ed0fp-2) \
    X(0x1.745c428p-1 /* 0.727 */, 0x1.461b05426d18dp-2) \
    X(0x1.6431dbp-1 /* 0.696 */, 0x1.738e29e92161cp-2) \
    X(0x1.55510fp-1 /* 0.667 */, 0x1.9f3f11e0886ddp-2) \
    X(0x1.47ad368p-1 /* 0.640 */, 0x1.c902322a9498dp-2) \
    X(0x1.3b0e8ep-1 /* 0.615 */, 0x1.f139a89dca5e9p-2) \
    X(0x1.2f697d8p-1 /* 0.593 */, 0x1.0be52a7b56731p-1) \
    X(0x1.2490e8p-1 /* 0.571 */, 0x1.1e885fe879073p-1) \
    X(0x1.1a7c84p-1 /* 0.552 */, 0x1.307bc3f5a6a9ap-1) \
    X(0x1.1111628p-1 /* 0.533 */, 0x1.41d865d47def4p-1) \
    X(0x1.062801p-1 /* 0.512 */, 0x1.56b97b70a6229p-1)
#define SP_F64_TAB_FIRST(a, b) a,
#define SP_F64_TAB_SECOND(a, b) b,
static const uint64_t sp_f64_exp_tbits[16] = {SP_F64_EXP_TABLE(SP_F64_TAB_FIRST)};
static const double sp_f64_exp_trel[16] = {SP_F64_EXP_TABLE(SP_F64_TAB_SECOND)};
static const double sp_f64_log_c[16] = {SP_F64_LOG_TABLE(SP_F64_TAB_FIRST)};
static const double sp_f64_log_l[16] = {SP_F64_LOG_TABLE(SP_F64_TAB_SECOND)};

#define SP_F64_SHIFT 0x1.8p52     /* 2^52 + 2^51: adding it rounds to an integer kept in the low bits */
#define SP_F64_A_FAST 700.0       /* exp(-700) ~ 2^-1009.9: t, s2 and the results stay normal */
#define SP_F64_A_HUGE 2048.0      /* from here on exp(-a) is 0 at any scale the special paths use */
#define SP_F64_DX_TINY 0x1p-969   /* backward results below it take the special path (one rounding) */
#define SP_F64_THR_EXACT 40.0     /* e^-40 < 2^-57: x + g and dy*(1 - t) round to x and dy */
#define SP_F64_IDX_MAX 0x1.ep-1   /* 15/16: the log table index is round(16 t) clamped to 15 */
/* release 1.1's ops (second derivative, beta gradient): their multipliers g*beta and dy/beta^2 reach
 * 2^2048 and 2^3172, so their special paths carry exp(-a) further: at a = 3000, (a + 1) e^-a 2^3172 <
 * 2^-1144 rounds to 0 */
#define SP_F64_A_HUGE_11 3000.0
#define SP_F64_A_FAST_BBETA 600.0 /* h >= e^-600 ~ 2^-866: h/beta^2's FMA residual cannot underflow */
#define SP_F64_Q_MIN 0x1p-900     /* h/beta^2 below it (fast path) takes the special path */
#define SP_F64_OUT_MAX 0x1.fffffffffffffp1023 /* DBL_MAX: above it (inf, NaN) the special path */

/* release 1.1's inverse (softplus_f64_fma_algorithm.h): tests/tools/softplus_f64_inverse_coeffs.sollya.
 * ln2 in three doubles: LN2_1 + LN2_2 are 16 (SP_F64_L_HI + SP_F64_L_LO); LN2_3 carries d = z - ln2 near 0 */
#define SP_F64_LN2_1 0x1.62e42fefa39efp-1  /* ~ 0.693147 */
#define SP_F64_LN2_2 0x1.abc9e3b39803fp-56 /* ~ 2.32e-17 */
#define SP_F64_LN2_3 0x1.7b57a079a1934p-111 /* ~ 5.71e-34 */
/* LA(z^2) = (log(expm1(z)/z) - z/2)/z^2 on z in [0, 1/2], absolute error of z^2 LA 2^-65.0 */
#define SP_F64_LA0 0x1.5555555555555p-5   /* ~ 1/24 */
#define SP_F64_LA1 -0x1.6c16c16c15d14p-12 /* ~ -1/2880 */
#define SP_F64_LA2 0x1.71de3a4f49accp-18  /* ~ 1/181440 */
#define SP_F64_LA3 -0x1.bbd767cf345a5p-24 /* ~ -1.03e-7 */
#define SP_F64_LA4 0x1.1ee17d09d55c1p-29  /* ~ 2.09e-9 */
#define SP_F64_LA5 -0x1.7b3feaaf7ebeap-35 /* ~ -4.31e-11 */
/* M(d) = (expm1(d) - d - d^2/2)/d^3 on [-0.1935, 0.2072], relative error of expm1 2^-61.9 */
#define SP_F64_M0 0x1.5555555555555p-3    /* ~ 1/6 */
#define SP_F64_M1 0x1.5555555555539p-5    /* ~ 1/24 */
#define SP_F64_M2 0x1.1111111111618p-7    /* ~ 1/120 */
#define SP_F64_M3 0x1.6c16c16c5f5a7p-10   /* ~ 1/720 */
#define SP_F64_M4 0x1.a01a019bd714ap-13   /* ~ 1/5040 */
#define SP_F64_M5 0x1.a019fb54dd82dp-16   /* ~ 1/40320 */
#define SP_F64_M6 0x1.71de45036afefp-19   /* ~ 1/362880 */
#define SP_F64_M7 0x1.2818eb990b5dbp-22   /* ~ 1/3628800 */
#define SP_F64_M8 0x1.aed00beffc533p-26   /* ~ 1/39916800 */
#define SP_F64_INV_LOW 0.5        /* z below it: log z + z/2 + z^2 LA(z^2) */
#define SP_F64_INV_HIGH 0.9       /* z above it: z - ln2 + log1p(1 - 2t); between, log1p(2 expm1(z - ln2)) */
#define SP_F64_INV_E_DIRECT -0x1.ep-6 /* -0.0293: E = 2 expm1(d) from here on is log1p's argument itself */
#define SP_F64_INV_EXACT 40.0     /* z above it: x = y(1 - e^-z/z + ...) rounds to y */

/* ---- per-call scalars ---------------------------------------------------------------------------- */

/* The bound on a = |beta*x| of the fast path. The fast path needs 1/beta finite and g/beta normal
 * for g >= exp(-a_fast): for 2^(e-1) <= |beta| < 2^e, a_fast is lowered by e*ln2. For tiny |beta|,
 * (z + g)/beta could overflow the intermediate q (and in sse41 2^eb would not be a normal double):
 * -1 sends every lane to the special path. */
static inline double sp_f64_a_fast(double beta)
{
    uint64_t b;
    memcpy(&b, &beta, sizeof b);
    const int e = (int)(b >> 52 & 0x7ff) - 1022; /* 2^(e-1) <= |beta| < 2^e; <= -1022 if subnormal */
    if (e < -1000)
        return -1.0;
    else if (e > 0)
        return SP_F64_A_FAST - (double)e * 0x1.62e42fefa39efp-1 /* ln2 ~ 0.693 */;
    else
        return SP_F64_A_FAST;
}

/* Whether the threshold needs a per-lane test: beyond |z| = 40 the exact function already rounds
 * to x (forward) and dy (backward), so a threshold >= 40 (+inf included) needs none. */
static inline int sp_f64_threshold_active(double threshold)
{
    return !(threshold >= SP_F64_THR_EXACT);
}

/* Mode bits of the f64 loops (arch/softplus_loop.h passes them to every stage): beta == 1 (the beta
 * arithmetic drops out, with the same bits as beta = 1) and a threshold that needs a per-lane test. */
#define SP_F64_B1 1
#define SP_F64_TF 2

/* Calls loop_b1 (beta == 1) or loop with the arguments and the mode bits as a constant, so that each
 * combination compiles to its own loop. */
#define SP_F64_RUN(p, loop_b1, loop, ...)                                                             \
    SP_F64_RUN_TF(p, sp_f64_threshold_active((p)->threshold), loop_b1, loop, __VA_ARGS__)
/* The same with the threshold test decided by tf: release 1.1's second derivative and beta gradient
 * are 0 in the linear branch, not the exact function's tiny value, so any finite threshold needs it. */
#define SP_F64_RUN_TF(p, tf, loop_b1, loop, ...)                                                      \
    do {                                                                                             \
        const int sp_tf_ = (tf);                                                                     \
        if ((p)->beta == 1.0) {                                                                      \
            if (sp_tf_)                                                                              \
                loop_b1(__VA_ARGS__, SP_F64_B1 | SP_F64_TF);                                         \
            else                                                                                     \
                loop_b1(__VA_ARGS__, SP_F64_B1);                                                     \
        } else if (sp_tf_) {                                                                         \
            loop(__VA_ARGS__, SP_F64_TF);                                                            \
        } else {                                                                                     \
            loop(__VA_ARGS__, 0);                                                                    \
        }                                                                                            \
    } while (0)

/* beta = mb * 2^eb, |mb| in [1, 2), and rbm = 1/mb, for the special paths of the FMA kernels */
static inline void sp_f64_beta_split(double beta, double *mb, double *rbm, double *eb)
{
    int e;
    *mb = 2.0 * frexp(beta, &e);
    *eb = (double)(e - 1);
    *rbm = 1.0 / *mb;
}

#endif /* SP_SOFTPLUS_F64_COMMON_H */

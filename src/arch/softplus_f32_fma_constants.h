/* softplus_f32_fma_constants.h -- constants and tables of the f32 FMA kernels (AVX2, AVX-512, NEON).
 * SPDX-License-Identifier: MIT
 *
 * Included by x86/softplus_f32_avx2.c, x86/softplus_f32_avx512.c and arm/softplus_f32_neon.c, which run
 * one algorithm in the same operation order; sharing the constants is part of what keeps their results
 * bit-identical. Only macros and static const data here, so nothing carries one ISA's instructions into
 * another file. Every value is printed by tests/tools/softplus_f32_coeffs.sollya.
 */
#ifndef SP_SOFTPLUS_F32_FMA_CONSTANTS_H
#define SP_SOFTPLUS_F32_FMA_CONSTANTS_H

#define SP_INV_LN2_8 0x1.715476p+3f  /* 8/ln 2 ~ 11.541560 */
#define SP_LN2_8_HI 0x1.62e43p-4f    /* ln2/8 rounded to float ~ 0.086643398 */
#define SP_LN2_8_LO -0x1.05c61p-32f  /* ln2/8 - SP_LN2_8_HI ~ -2.3808e-10 */
#define SP_KSHIFT 0x1.8p+23f         /* 12582912: k = round(8a/ln2) lands in the low mantissa bits */
#define SP_JSHIFT 0x1p+23f           /* 8388608: j = round(15t) lands in the low mantissa bits */
#define SP_A_MAX 0x1p+7f             /* |z| clamp: exp(-128) < 2^-184 rounds to 0 */
/* Forward's main path clamps |z| here: t >= e^-40 > 2^-57.8, so t, tl and e^2 stay normal (the small terms
 * divided by a beta above 2^5 may not, near z = -40: a slower lane, not a less accurate one); lanes with z
 * below -SP_FWD_A_MAIN are deep (sp_fwd_deep), and above +SP_FWD_A_MAIN log1p(t) < 2^-57 is far below half an
 * ulp of z (and of the result, for beta != 1). At 32 instead, beta = 2 over x in [-20, 20] (every tenth lane
 * deep) ran 1.57x slower. */
#define SP_FWD_A_MAIN 0x1.4p+5f      /* 40 */
#define SP_FWD_DEEP_POW2_BITS -0x1p-107f /* bit pattern 276 << 23: plus -k << 23, the float 2^(149 - k) */
#define SP_A_NORMAL 87.0f            /* exp(-a) >= e^-87 > 2^-125.6 is normal for a <= this */
/* exp(-r) = 1 - r + r^2*P(r), |r| <= ln2/16 + 2^-12, absolute error < 2^-31.7 */
#define SP_P0 0x1.ffffeep-2f         /*  0.49999973 */
#define SP_P1 -0x1.555c8ap-3f        /* -0.16668041 */
#define SP_P2 0x1.56af7p-5f          /*  0.041831702 */
/* log1p(e) = e + e^2*Q(e), |e| <= 0.0356, relative error < 2^-30.4 */
#define SP_Q0 -0x1.fffffap-2f        /* -0.49999991 */
#define SP_Q1 0x1.55554cp-2f         /*  0.33333319 */
#define SP_Q2 -0x1.0046bp-2f         /* -0.25026965 */
#define SP_Q3 0x1.9a318p-3f          /*  0.20028973 */
/* 1/(1+e) = 1 - e + e^2*R(e), |e| <= 0.0356, absolute error < 2^-33 (the 1.1 ops' sigmoid) */
#define SP_R0 0x1.ffffe8p-1f         /*  0.99999928 */
#define SP_R1 -0x1.ffffd8p-1f        /* -0.99999881 */
#define SP_R2 0x1.00751cp+0f         /*  1.0017869 */
#define SP_R3 -0x1.0090e8p+0f        /* -1.0022111 */
/* Backward (no table): exp(-a) = 2^-k exp(-r), k = round(a/ln2), r = a - k ln2 */
#define SP_INV_LN2 0x1.715476p+0f    /* 1/ln 2 ~ 1.4426950 */
#define SP_LN2_HI 0x1.62e43p-1f      /* ln 2 rounded to float ~ 0.69314718 */
#define SP_LN2_LO -0x1.05c61p-29f    /* ln 2 - SP_LN2_HI ~ -1.9047e-09 */
/* exp(-r) = 1 - r + r^2*EB(r), |r| <= ln2/2 + 2^-12, absolute error < 2^-33.0 */
#define SP_EB0 0x1p-1f                /*  0.5 */
#define SP_EB1 -0x1.555556p-3f        /* -0.16666667 */
#define SP_EB2 0x1.5554e4p-5f         /*  0.041666456 */
#define SP_EB3 -0x1.110feep-7f        /* -0.0083331978 */
#define SP_EB4 0x1.6d516p-10f         /*  0.0013935771 */
#define SP_EB5 -0x1.a27408p-13f       /* -0.00019953406 */

/* The inverse (tests/tools/softplus_f32_inverse_coeffs.sollya): ln 2 = SP_LN2_HI + SP_LN2_LO + SP_LN2_LO2
 * to 2^-78 (the float nearest ln 2 is 2^-29 from it, and the inverse is relatively exact there) */
#define SP_LN2_LO2 -0x1.950d88p-54f    /* -8.7831837e-17 */
/* log(expm1(z)/z) = z/2 + z^2 LA(z^2), 0 < z <= 1/2, absolute error of z^2 LA < 2^-33.5 */
#define SP_LA0 0x1.555556p-5f          /*  0.041666668 */
#define SP_LA1 -0x1.6c1b56p-12f        /* -0.00034723929 */
#define SP_LA2 0x1.73b89ap-18f         /*  5.5390760e-06 */
/* expm1(d) = d + d^2/2 + d^3 M(d), -0.2 <= d <= 0.31, relative error < 2^-34.1 */
#define SP_M0 0x1.555556p-3f           /*  0.16666667 */
#define SP_M1 0x1.555552p-5f           /*  0.041666660 */
#define SP_M2 0x1.110d56p-7f           /*  0.0083328886 */
#define SP_M3 0x1.6c5128p-10f          /*  0.0013897591 */
#define SP_M4 0x1.b15daap-13f          /*  0.00020664495 */
#define SP_M5 0x1.fbd8ep-19f           /*  3.7837563e-06 */

/* 2^(-m/8) = sp_t_hi[m] + sp_t_lo[m] for m = 0..7 (repeated: a 16-lane permute reads k mod 16). */
static const float sp_t_hi[16] = {
    0x1p+0f,        0x1.d5818ep-1f, 0x1.ae89fap-1f, 0x1.8ace54p-1f,
    0x1.6a09e6p-1f, 0x1.4bfdaep-1f, 0x1.306fep-1f,  0x1.172b84p-1f,
    0x1p+0f,        0x1.d5818ep-1f, 0x1.ae89fap-1f, 0x1.8ace54p-1f,
    0x1.6a09e6p-1f, 0x1.4bfdaep-1f, 0x1.306fep-1f,  0x1.172b84p-1f,
};
static const float sp_t_lo[16] = {
    0x0p+0f,         -0x1.822dbcp-28f, -0x1.a94b14p-27f, 0x1.15506ep-28f,
    0x1.9fcef4p-27f, -0x1.593abcp-26f, 0x1.4636e2p-26f,  -0x1.c15742p-28f,
    0x0p+0f,         -0x1.822dbcp-28f, -0x1.a94b14p-27f, 0x1.15506ep-28f,
    0x1.9fcef4p-27f, -0x1.593abcp-26f, 0x1.4636e2p-26f,  -0x1.c15742p-28f,
};
/* c_j ~ 1/(1 + j/15) and G_j = -log(c_j) for j = round(15t): each c_j is the float near 1/(1 + j/15)
 * whose -log is closest to a float (within 2^-11 ulp), and c_1 >= 15/16 so that c*t + (c - 1) is
 * exact for every t in bin 1 (Sterbenz); j = 0 is c = 1, G = 0. */
/* Backward's upper clamp of z: above it the sigmoid rounds to 1 (from z = 17.4 on), and w = exp(-z) >= 2^-29.9
 * stays normal with its 2^-k (k <= 29). */
#define SP_Z_SIGMOID_ONE 0x1.4p+4f        /* 20.0 */
/* Backward's lower clamp of z: below it the lane takes the deep path (sp_bwd_deep), so that dy s is normal
 * in the main path but for |dy| < 2^-10 (s >= 2^-115.4), where -87 left it subnormal for most |dy| < 1. */
#define SP_Z_BWD_DEEP -0x1.4p+6f /* -80.0 */
/* Backward's deep lanes (sp_bwd_deep): z < SP_Z_BWD_DEEP with |dy| <= SP_DEEP_DY_MAX. |z| is clamped at SP_DEEP_A_MAX,
 * where e^-150 2^64 < 2^-152 rounds to 0 for every such dy; the result is formed scaled by 2^175, where the
 * format's subnormal grid (2^-149) is the spacing of the binade [2^49, 2^50). */
#define SP_DEEP_A_MAX 0x1.2cp+7f      /* 150 */
#define SP_DEEP_DY_MAX 0x1p+64f
#define SP_DEEP_POW2_BITS -0x1p-81f   /* bit pattern 302 << 23: plus -k << 23, the float 2^(175 - k) */
#define SP_DEEP_GRID_BASE 0x1p+49f    /* 2^-126 scaled by 2^175 */
#define SP_DEEP_GRID_STEP 0x1p+26f    /* the spacing there: 2^-149 scaled by 2^175 */
#define SP_DEEP_UNSCALE_BITS 0x1p+48f /* bit pattern 175 << 23: subtracted, the exponent field's 2^-175 */

static const float sp_c_table[16] = {
    0x1p+0f,        0x1.e01facp-1f, 0x1.c3cdfap-1f, 0x1.aaae7cp-1f,
    0x1.9440d6p-1f, 0x1.7fea98p-1f, 0x1.6db3eep-1f, 0x1.5d0df8p-1f,
    0x1.4dd37cp-1f, 0x1.3ff3ap-1f,  0x1.33468p-1f,  0x1.275bf2p-1f,
    0x1.1c5922p-1f, 0x1.1239b2p-1f, 0x1.08dedap-1f, 0x1.00040cp-1f,
};
static const float sp_g_table[16] = {
    0x0p+0f,        0x1.074b5p-4f,  0x1.00273ep-3f, 0x1.7552aep-3f,
    0x1.e3e85ep-3f, 0x1.26cf38p-2f, 0x1.58946p-2f,  0x1.884a6ap-2f,
    0x1.b5f824p-2f, 0x1.e1703cp-2f, 0x1.056ac6p-1f, 0x1.19aaf8p-1f,
    0x1.2d1ebep-1f, 0x1.3fadfep-1f, 0x1.517366p-1f, 0x1.62dc18p-1f,
};

#endif /* SP_SOFTPLUS_F32_FMA_CONSTANTS_H */

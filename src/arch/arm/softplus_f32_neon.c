/* softplus_f32_neon.c -- f32 softplus forward and backward kernels for aarch64 Advanced SIMD (NEON).
 * SPDX-License-Identifier: MIT
 *
 * Method: the algorithm of x86/softplus_f32_avx512.c, whose header explains it, on 4 lanes. Its one
 * text, arch/softplus_f32_fma_algorithm.h, is included by the AVX-512, AVX2 and NEON files over macros
 * that give the same rounding, so this kernel returns the same bits as those two for every input, beta
 * and threshold. In short: with z = fl(beta*x), zl = beta*x - z, t = exp(-|beta*x|) =
 * 2^-q 2^(-m/8) exp(-r) (Cody-Waite with zl in r, degree-2 polynomial, 8-entry table, th + tl);
 * log1p(t) = G_j + log1p(e + el) with j = round(15 th), c_j ~ 1/(1 + j/15), e + el = c_j (1 + t) - 1
 * (Tang's table, degree-3 polynomial); y = max(z,0) + G + e + small terms, added exactly and rounded
 * once (beta != 1: times ib + ibe = 1/|beta|, t scaled by 2^64 below z = -64); backward
 * sigmoid = c/(1 + e + el) or (p + el)/(1 + e + el) with 1/(1+e) a degree-3 polynomial.
 * How each x86 operation is reproduced (the macros below):
 *   FMA/FMS/FNMA  vfmaq_f32 / vfmsq_f32, one rounding like vfmadd/vfmsub/vfnmadd; a*b - c is formed as
 *                 a*b + (-c) (not -(c - a*b)) so that an exact zero gets the sign x86 gives it.
 *   MUL           vmulq_f32: the same bits as the x86 fma(a, b, -0) (that spelling is for Zen 5 speed).
 *   MIN/MAX       compare and select: x86 min/max return the second operand when the operands are
 *                 equal (+0 vs -0) or unordered, where vminq/vmaxq would pick -0/+0 or return NaN.
 *   SCALE         the AVX2 spelling of scalef, (a*2^(floor(n)+64))*2^-64 (floor by vcvtmq_s32_f32),
 *                 which gives the bits of AVX-512's scalef for the n that occur.
 *   LOOKUP_T/J    TBL on the tables as bytes: index (k mod 8) resp. (j mod 16), read from the low
 *                 mantissa bits of the shifted k and j exactly as the x86 permutes read them.
 *   masks         all-ones lanes (vcgtq/vcltq; NOT_FINITE = !(|a| < inf), true for NaN, like _CMP_NLT_UQ).
 * Polynomials and tables: tests/tools/softplus_f32_coeffs.sollya (fpminimax, float coefficients; P
 *   degree 2 on |r| <= ln2/16 + 2^-12, Q and R degree 3 on |e| <= 0.0356), shared with the x86 kernels
 *   through arch/softplus_f32_fma_constants.h.
 * Accuracy (tests/accuracy/ulp_sweep under qemu-aarch64: beta = 1 every 64th of the 2^32 floats,
 *   other betas every 1024th; thresholds +inf and 20; reference in double):
 *   beta   op   worst ULP  at x               got              want (both thresholds, inf and 20)
 *   1      fwd  0.765      -0x1.58a7bep+6    0x1.9d8b4cp-125  0x1.9d8b4d87ad8ap-125
 *   1      bwd  0.765      -0x1.58a7bep+6    0x1.9d8b4cp-125  0x1.9d8b4d87ad8ap-125
 *   0.5    fwd  0.735      -0x1.61475p+7     0x1.7f216p-127   0x1.7f2162f0c615fp-127
 *   0.5    bwd  0.742      -0x1.5a419p+7     0x1.1525b4p-125  0x1.1525b57c1fbcbp-125
 *   2      fwd  0.739      -0x1.5c50d4p+5    0x1.4b38dp-127   0x1.4b38cd0ae90c4p-127
 *   2      bwd  0.742      -0x1.5a419p+5     0x1.1525b4p-125  0x1.1525b57c1fbcbp-125
 *   -1     fwd  0.736      0x1.601a26p+6     -0x1.0110f8p-127 -0x1.0110f50ecd197p-127
 *   -1     bwd  0.742      0x1.5a419p+6      0x1.1525b4p-125  0x1.1525b57c1fbcbp-125
 *   7.3    fwd  0.746      -0x1.771084p+3    0x1.9dcebp-127   0x1.9dcead03b8762p-127
 *   7.3    bwd  0.743      -0x1.80c13p+3     0x1.4b3298p-127  0x1.4b329506e0a04p-127
 *   The same bits as the AVX2 and AVX-512 kernels (compared on 16.8 million inputs -- every 256th bit
 *   pattern, the specials and the neighbourhoods of z = 0, +-20, -64, +-128 -- times 16 betas, 3
 *   thresholds, forward and backward with mixed dy), so their exhaustive figures hold here too: worst
 *   0.785 ULP for beta = 1 (x = -0x1.5804c2p+6, got 0x1.e4e4acp-125, want 0x1.e4e4aa6e0e4afp-125;
 *   test_accuracy finds it under qemu with these bits), 0.799 ULP over the betas above (beta = 7.3
 *   backward, x = -0x1.79ab44p+3); the worst cases are results below 2^-122, where tl is subnormal
 *   or a subnormal result is rounded twice.
 *   SP_MAX_ULP_F32_NEON and SP_MAX_ULP_BETA_F32_NEON (src/kernels.h, enforced by the tests): 1.0, as
 *   for the x86 FMA kernels.
 * Special values: lanes where z is not finite (NaN, +-inf, beta*x overflowing) and, backward, where dy
 *   is not finite are flagged in a mask and redone by the reference scalar kernel (sp_fwd_special /
 *   sp_bwd_special, not inlined). Forward with |beta| outside [2^-20, 2^16] runs the scalar kernel.
 * Tails: the same vector code on a zero-padded copy in a stack buffer, copied back, so the last
 *   elements get the same bits as the rest; unaligned pointers and in-place calls are fine (each
 *   vector is loaded before it is stored).
 * Speed: not measured (no aarch64 hardware here; qemu timings say nothing about it).
 */
#include <arm_neon.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#include "arch/softplus_f32_fma_constants.h"

#if defined(__ARM_BIG_ENDIAN)
#error "softplus_f32_neon.c: the table lookups assume little-endian lanes"
#endif

/* ---- the operations arch/softplus_f32_fma_algorithm.h is written in: the same names, and the same
 * rounding, as in the x86 FMA files ----------------------------------------------------------- */
typedef float32x4_t vf;
typedef uint32x4_t vm; /* lane masks are all-ones/all-zeros */
typedef struct sp_tables {
    uint8x16x2_t t_hi, t_lo; /* 2^(-m/8), entries 0-7 */
    uint8x16x4_t c, g;       /* entries 0-15 */
} sp_tables;
#define F(c) vdupq_n_f32(c)
#define ADD(a, b) vaddq_f32(a, b)
#define SUB(a, b) vsubq_f32(a, b)
/* the x86 files spell a*b as fma(a, b, -0) for speed on Zen 5: the same bits as a plain multiply */
#define MUL(a, b) vmulq_f32(a, b)
#define FMA(a, b, c) vfmaq_f32(c, a, b)            /* a*b + c, one rounding */
#define FMS(a, b, c) vfmaq_f32(vnegq_f32(c), a, b) /* a*b + (-c): x86 vfmsub, zero signs included */
#define FNMA(a, b, c) vfmsq_f32(c, a, b)           /* (-a*b) + c: x86 vfnmadd */
#define MIN(a, b) vbslq_f32(vcltq_f32(a, b), a, b) /* x86 semantics: b when unordered or equal */
#define MAX(a, b) vbslq_f32(vcgtq_f32(a, b), a, b)
#define ABS(a) vabsq_f32(a)
#define SIGN(a) vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(0x80000000u)))
#define XOR(a, b) vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)))
#define SCALE(a, n) sp_scale(a, n)
#define LOOKUP_T(k, tab) vreinterpretq_f32_u8(vqtbl2q_u8(tab, sp_byte_index(k, 7u)))  /* tab[k mod 8] */
#define LOOKUP_J(j, tab) vreinterpretq_f32_u8(vqtbl4q_u8(tab, sp_byte_index(j, 15u))) /* tab[j mod 16] */
#define GT(a, b) vcgtq_f32(a, b)
#define LT(a, b) vcltq_f32(a, b)
#define NOT_FINITE(a) vmvnq_u32(vcaltq_f32(a, F(INFINITY))) /* !(|a| < inf): NaN and +-inf */
#define OR_MASK(m1, m2) vorrq_u32(m1, m2)
#define SELECT(m, a, b) vbslq_f32(m, a, b) /* m ? a : b */
#define ZERO() vdupq_n_f32(0.0f)

/* a*2^floor(n) for n in [-190, 1), bit for bit what AVX-512's scalef gives (see the AVX2 file): the
 * first product is exact when a*2^(n+64) is normal and the second rounds once; otherwise both give a
 * signed zero. 2^(n+64) and 2^-64 are normal floats. */
SP_INLINE vf sp_scale(vf a, vf n)
{
    const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtmq_s32_f32(n), vdupq_n_s32(127 + 64)), 23);
    return MUL(MUL(a, vreinterpretq_f32_s32(e)), F(0x1p-64f));
}

/* TBL byte indices of float entry (bits(v) & mask) of a table: 4i, 4i+1, 4i+2, 4i+3 in each lane */
SP_INLINE uint8x16_t sp_byte_index(vf v, uint32_t mask)
{
    const uint32x4_t i = vandq_u32(vreinterpretq_u32_f32(v), vdupq_n_u32(mask));
    return vreinterpretq_u8_u32(vmlaq_u32(vdupq_n_u32(0x03020100u), i, vdupq_n_u32(0x04040404u)));
}

static sp_tables sp_load_tables(void)
{
    sp_tables t;
    const uint8_t *th = (const uint8_t *)sp_t_hi, *tl = (const uint8_t *)sp_t_lo;
    const uint8_t *c = (const uint8_t *)sp_c_table, *g = (const uint8_t *)sp_g_table;
    for (int i = 0; i < 2; i++) {
        t.t_hi.val[i] = vld1q_u8(th + 16 * i);
        t.t_lo.val[i] = vld1q_u8(tl + 16 * i);
    }
    for (int i = 0; i < 4; i++) {
        t.c.val[i] = vld1q_u8(c + 16 * i);
        t.g.val[i] = vld1q_u8(g + 16 * i);
    }
    return t;
}

/* The algorithm, one text for every FMA kernel (it uses the ops defined above). */
#include "arch/softplus_f32_fma_algorithm.h"

/* Lanes the vector path cannot do (NaN, infinities, beta*x overflowing, non-finite dy) get the
 * reference kernel's answer, element by element. */
static SP_NOINLINE vf sp_fwd_special(vf x, vf y, vm special, const sp_params_f32 *p)
{
    float xs[4], ys[4];
    uint32_t ms[4];
    vst1q_f32(xs, x);
    vst1q_f32(ys, y);
    vst1q_u32(ms, special);
    for (int i = 0; i < 4; i++)
        if (ms[i])
            sp_fwd_f32_scalar(1, &xs[i], &ys[i], p);
    return vld1q_f32(ys);
}

static SP_NOINLINE vf sp_bwd_special(vf dy, vf x, vf dx, vm special, const sp_params_f32 *p)
{
    float dys[4], xs[4], dxs[4];
    uint32_t ms[4];
    vst1q_f32(dys, dy);
    vst1q_f32(xs, x);
    vst1q_f32(dxs, dx);
    vst1q_u32(ms, special);
    for (int i = 0; i < 4; i++)
        if (ms[i])
            sp_bwd_f32_scalar(1, &dys[i], &xs[i], &dxs[i], p);
    return vld1q_f32(dxs);
}

/* Forward with |beta| outside [2^-20, 2^16] goes to the reference kernel, as on x86: below,
 * exp(-128)/beta (the clamp of |z|) would no longer round to 0; above, t/beta can be subnormal where
 * t is not scaled (z >= -64), and the small terms of the sum would lose bits to underflow. */
static int sp_beta_in_range(float beta)
{
    const float m = fabsf(beta);
    return m >= 0x1p-20f && m <= 0x1p+16f;
}

static sp_ctx sp_make_ctx(const sp_params_f32 *p)
{
    sp_ctx k;
    const float ab = fabsf(p->beta);
    const float ib = 1.0f / ab;
    /* 1/|beta| = ib*(1 + eps) + O(eps^2), eps = 1 - |beta|*ib exactly (one fma) */
    const float eps = fmaf(-ab, ib, 1.0f);
    k.beta = F(p->beta);
    k.ib = F(ib);
    k.ibe = F(eps * ib);
    k.bsign = F(copysignf(0.0f, p->beta));
    k.thr = F(p->threshold);
    k.tab = sp_load_tables();
    return k;
}

/* The second half of a vector, and the special lanes' repair. */
SP_INLINE vf sp_fwd_finish(const sp_fwd_state *st, const sp_ctx *k, int unit, const sp_params_f32 *p)
{
    vf yv = sp_fwd_b(st, k, unit);
    if (vmaxvq_u32(st->special))
        yv = sp_fwd_special(st->x, yv, st->special, p);
    return yv;
}

SP_INLINE vf sp_bwd_finish(const sp_bwd_state *st, const sp_ctx *k, const sp_params_f32 *p)
{
    vf dxv = sp_bwd_b(st, k);
    if (vmaxvq_u32(st->special))
        dxv = sp_bwd_special(st->dy, st->x, dxv, st->special, p);
    return dxv;
}

/* One vector per iteration: there is no loop-carried dependency, so an out-of-order core overlaps
 * the long dependency chains of consecutive vectors by itself (the x86 loops pipeline by hand). */
SP_INLINE void sp_fwd_loop(size_t n, const float *x, float *y, const sp_params_f32 *p, int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const sp_fwd_state st = sp_fwd_a(vld1q_f32(x + i), &k, unit);
        vst1q_f32(y + i, sp_fwd_finish(&st, &k, unit, p));
    }
    if (i < n) {
        /* the same vector code on a zero-padded copy, so the last elements get the same bits */
        float buf[4] = {0};
        memcpy(buf, x + i, (n - i) * sizeof(float));
        const sp_fwd_state st = sp_fwd_a(vld1q_f32(buf), &k, unit);
        vst1q_f32(buf, sp_fwd_finish(&st, &k, unit, p));
        memcpy(y + i, buf, (n - i) * sizeof(float));
    }
}

SP_INLINE void sp_bwd_loop(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p,
                           int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    /* each vector is loaded before it is stored, so dx may be dy or x */
    for (; i + 4 <= n; i += 4) {
        const sp_bwd_state st = sp_bwd_a(vld1q_f32(dy + i), vld1q_f32(x + i), &k, unit);
        vst1q_f32(dx + i, sp_bwd_finish(&st, &k, p));
    }
    if (i < n) {
        float bdy[4] = {0}, bx[4] = {0};
        memcpy(bdy, dy + i, (n - i) * sizeof(float));
        memcpy(bx, x + i, (n - i) * sizeof(float));
        const sp_bwd_state st = sp_bwd_a(vld1q_f32(bdy), vld1q_f32(bx), &k, unit);
        vst1q_f32(bx, sp_bwd_finish(&st, &k, p));
        memcpy(dx + i, bx, (n - i) * sizeof(float));
    }
}

void sp_fwd_f32_neon(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    if (p->beta == 1.0f)
        sp_fwd_loop(n, x, y, p, 1);
    else if (sp_beta_in_range(p->beta))
        sp_fwd_loop(n, x, y, p, 0);
    else
        sp_fwd_f32_scalar(n, x, y, p);
}

void sp_bwd_f32_neon(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    /* any finite beta: backward does not divide by it */
    if (p->beta == 1.0f)
        sp_bwd_loop(n, dy, x, dx, p, 1);
    else
        sp_bwd_loop(n, dy, x, dx, p, 0);
}

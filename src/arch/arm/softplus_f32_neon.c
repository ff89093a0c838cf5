/* softplus_f32_neon.c -- f32 softplus forward and backward kernels for aarch64 Advanced SIMD (NEON).
 * SPDX-License-Identifier: MIT
 *
 * Method: the algorithm of x86/softplus_f32_avx512.c, whose header explains it, on 4 lanes. The block
 * between the "algorithm" markers is the same text as in the AVX-512 and AVX2 files, over macros that
 * give the same rounding, so this kernel returns the same bits as those two for every input, beta and
 * threshold. In short: with z = fl(beta*x), zl = beta*x - z, t = exp(-|beta*x|) =
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

/* ---- the operations the algorithm is written in: the same names, and the same rounding, as in the
 * x86 FMA files, so the algorithm below is the same text in all three -------------------------- */
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

/* ==== the algorithm: the same text in x86/softplus_f32_{avx512,avx2}.c and arm/softplus_f32_neon.c ==== */

/* What forward and backward share. From z = fl(beta*x) and zl = beta*x - z (zero for beta = 1):
 * t = exp(-|beta*x|) = th + tl, the bin j = round(15 th) with c = c_j, and
 * e + el = c*(1 + t) - 1, |e| <= 0.0356, with p + el = c*t. */
typedef struct sp_front {
    vf j, c, e, el, p;
} sp_front;

SP_INLINE sp_front sp_front_eval(vf z, vf zl, int unit, vf qadd, const sp_tables *tab)
{
    const vf a = MIN(ABS(z), F(SP_A_MAX));
    /* a = k ln2/8 + r with k = 8q + m, exp(-a) = 2^-q * 2^(-m/8) * exp(-r), |r| <= ln2/16 */
    const vf kshift = FMA(a, F(SP_INV_LN2_8), F(SP_KSHIFT));
    const vf kf = SUB(kshift, F(SP_KSHIFT));
    /* -q = floor((7 - k)/8): SCALE takes the floor of its exponent, as scalef does */
    const vf nq = FMA(kf, F(-0.125f), F(0.875f));
    /* qadd = 64 computes t*2^64 instead of t (forward, beta != 1, z < -64): see sp_fwd_a */
    const vf nqs = unit ? nq : ADD(nq, qadd);
    const vf Th = LOOKUP_T(kshift, tab->t_hi);
    const vf Tl = LOOKUP_T(kshift, tab->t_lo);
    const vf r1 = FNMA(kf, F(SP_LN2_8_HI), a); /* exact */
    /* |beta*x| = |z| + al, the product's rounding error entering r (clamped: it can be huge only
     * where |z| > SP_A_MAX and t = 0 anyway) */
    const vf rz = unit ? r1 : ADD(r1, XOR(MAX(MIN(zl, F(0x1p-16f)), F(-0x1p-16f)), SIGN(z)));
    const vf r = FNMA(kf, F(SP_LN2_8_LO), rz);
    const vf r2 = MUL(r, r);
    const vf P = FMA(FMA(F(SP_P2), r, F(SP_P1)), r, F(SP_P0));
    const vf s = FMS(r2, P, r);      /* exp(-r) - 1, |s| < 0.045 */
    const vf u = FMA(Th, s, Tl);     /* 2^(-m/8) exp(-r) = Th + u */
    const vf h = ADD(Th, u);
    const vf l = ADD(SUB(Th, h), u); /* Fast2Sum: |Th| > |u| */
    const vf th = SCALE(h, nqs);
    const vf tl = SCALE(l, nqs);
    sp_front f;
    f.j = FMA(th, F(15.0f), F(SP_JSHIFT));
    f.c = LOOKUP_J(f.j, tab->c);
    f.p = MUL(f.c, th);
    const vf pl = FMS(f.c, th, f.p);            /* c*th = p + pl exactly */
    f.e = ADD(f.p, SUB(f.c, F(1.0f)));          /* exact: Sterbenz, given the bins */
    f.el = FMA(f.c, tl, pl);
    return f;
}

typedef struct sp_ctx {
    vf beta, ib, ibe, bsign, thr; /* ib + ibe = 1/|beta|, bsign = sign bit of beta */
    sp_tables tab;
} sp_ctx;

/* Forward in two halves, so that a loop can overlap the second half of one vector with the first
 * half of the next (software pipelining: the dependency chain is long). sp_fwd_a: the shared front;
 * st->special flags the lanes sp_fwd_special must redo. */
typedef struct sp_fwd_state {
    vf x, z, zl;
    vm special, deep;
    sp_front f;
} sp_fwd_state;

SP_INLINE sp_fwd_state sp_fwd_a(vf x, const sp_ctx *k, int unit)
{
    sp_fwd_state st;
    st.x = x;
    st.z = unit ? x : MUL(k->beta, x);
    st.zl = unit ? ZERO() : FMS(k->beta, x, st.z);
    st.special = NOT_FINITE(st.z); /* NaN, +-inf, or beta*x overflowing */
    /* beta != 1: t/beta may be normal where t is not; below z = -64, t is computed scaled by 2^64
     * (always normal then) and the result scaled back once at the end. */
    st.deep = LT(st.z, F(-64.0f));
    st.f = sp_front_eval(st.z, st.zl, unit, unit ? ZERO() : SELECT(st.deep, F(64.0f), ZERO()), &k->tab);
    return st;
}

/* y = softplus(x) from the front. */
SP_INLINE vf sp_fwd_b(const sp_fwd_state *st, const sp_ctx *k, int unit)
{
    const sp_front f = st->f;
    const vf z = st->z;
    const vf G = LOOKUP_J(f.j, k->tab.g);
    const vf e2 = MUL(f.e, f.e);
    const vf Q = FMA(FMA(F(SP_Q3), f.e, F(SP_Q2)), e2, FMA(F(SP_Q1), f.e, F(SP_Q0)));
    const vf w = FMA(e2, Q, f.el);
    /* log1p(t) = G + e + w with G + e = S + Sl exactly (|G| > |e|, or G = 0) */
    const vf S = ADD(G, f.e);
    const vf Sl = ADD(SUB(G, S), f.e);
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
        const vf sm = ADD(small, SELECT(GT(z, ZERO()), st->zl, ZERO()));
        y = FMA(U, k->ib, FMA(U, k->ibe, MUL(sm, k->ib)));
        y = XOR(SELECT(st->deep, MUL(y, F(0x1p-64f)), y), k->bsign);
    }
    return SELECT(GT(z, k->thr), st->x, y);
}

/* Backward in the same two halves: sp_bwd_a, the shared front (st->special flags the lanes
 * sp_bwd_special must redo), then sp_bwd_b, dx = dy * sigmoid(beta*x). */
typedef struct sp_bwd_state {
    vf dy, x, z;
    vm special;
    sp_front f;
} sp_bwd_state;

SP_INLINE sp_bwd_state sp_bwd_a(vf dy, vf x, const sp_ctx *k, int unit)
{
    sp_bwd_state st;
    st.dy = dy;
    st.x = x;
    st.z = unit ? x : MUL(k->beta, x);
    const vf zl = unit ? ZERO() : FMS(k->beta, x, st.z);
    /* also an infinite or NaN dy: inf times an underflowed sigmoid must not become NaN */
    st.special = OR_MASK(NOT_FINITE(st.z), NOT_FINITE(dy));
    st.f = sp_front_eval(st.z, zl, unit, ZERO(), &k->tab);
    return st;
}

SP_INLINE vf sp_bwd_b(const sp_bwd_state *st, const sp_ctx *k)
{
    const sp_front f = st->f;
    const vf e2 = MUL(f.e, f.e);
    const vf R = FMA(FMA(F(SP_R3), f.e, F(SP_R2)), e2, FMA(F(SP_R1), f.e, F(SP_R0)));
    const vf rho = SUB(FMS(e2, R, f.e), f.el);     /* 1/(1 + e + el) - 1, first order in el */
    const vf spos = FMA(f.c, rho, f.c);            /* 1/(1+t) = c/(1 + e + el) */
    const vf sneg = ADD(f.p, FMA(f.p, rho, f.el)); /* t/(1+t) = (p + el)/(1 + e + el) */
    const vf s = SELECT(LT(st->z, ZERO()), sneg, spos);
    return SELECT(GT(st->z, k->thr), st->dy, MUL(st->dy, s));
}

/* ==== end of the shared algorithm ============================================================ */

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

/* softplus_f32_avx2.c -- f32 softplus forward and backward kernels for AVX2 with FMA.
 * SPDX-License-Identifier: MIT
 *
 * Method: the algorithm of softplus_f32_avx512.c, whose header explains it -- the block between the
 * "algorithm" markers is the same text in both files, over macros that give the same rounding here, so
 * the two kernels return the same bits for every input and every beta (tests/accuracy/
 * test_fma_identity.c checks it). What differs is only how an operation is spelled on 8 lanes:
 * scalef becomes (a*2^(n+64))*2^-64 (bit-identical, see sp_scale), the 16-entry tables are two 8-lane
 * permutes and a blend, lane masks are vectors. Polynomials and tables: tests/tools/
 * softplus_f32_coeffs.sollya.
 * Accuracy (tests/accuracy/ulp_sweep, every one of the 2^32 inputs, reference in double): the same
 * bits as the AVX-512 kernel, hence the same figures:
 *   beta   op   worst ULP  at x               got              want (both thresholds, inf and 20)
 *   1      fwd  0.785      -0x1.5804c2p+6    0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   1      bwd  0.785      -0x1.5804c2p+6    0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   0.5    fwd  0.758      -0x1.61b058p+7    0x1.59c7f8p-127  0x1.59c7f4f76b2fdp-127
 *   0.5    bwd  0.785      -0x1.5804c2p+7    0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   2      fwd  0.759      -0x1.5c2d6p+5     0x1.56e3fp-127   0x1.56e3ecf6758efp-127
 *   2      bwd  0.785      -0x1.5804c2p+5    0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   -1     fwd  0.764      0x1.5f36eap+6     -0x1.40efa8p-127 -0x1.40efab0df77bbp-127
 *   -1     bwd  0.785      0x1.5804c2p+6     0x1.e4e4acp-125  0x1.e4e4aa6e0e4afp-125
 *   7.3    fwd  0.790      -0x1.764e8ep+3    0x1.ebe228p-127  0x1.ebe224d6c263dp-127
 *   7.3    bwd  0.799      -0x1.79ab44p+3    0x1.a0e4b8p-125  0x1.a0e4b998ecdbbp-125
 *   The worst cases are all results below 2^-122, where tl (about 2^-24 t) is subnormal and loses
 *   bits, or where a subnormal result is rounded twice (once to 24 bits, once by the scaling);
 *   for results >= 2^-120 (beta = 1) the worst is 0.604 ULP forward (x = -0x1.c1e8cep+1, got
 *   0x1.e05188p-6 want 0x1.e0518935198c4p-6) and 0.602 backward (x = -0x1.cb31c6p+1).
 *   SP_MAX_ULP_F32_AVX2 and SP_MAX_ULP_BETA_F32_AVX2 (src/kernels.h, enforced by the tests): 1.0.
 * Special values: as in the AVX-512 file (mask, then the scalar reference in sp_*_special).
 * Tails: the same vector code on a zero-padded copy in a stack buffer, copied back, so the last
 *   elements get the same bits as the rest; unaligned pointers and in-place calls are fine.
 * Speed (AMD EPYC Zen 5 at ~4.2 GHz, one core, contiguous f32, machine otherwise idle):
 *   Gelem/s (bench/bench_softplus)   L1 (1K)  L2 (16K)  LLC (512K)  DRAM (32M)
 *   forward  beta = 1                 1.06     1.05      1.05        1.04
 *   backward beta = 1                 1.16     1.16      1.14        1.13
 *   8.9x the libm loop (expf + log1pf, 0.12); the goal of 1.9 forward is not met: the
 *   AVX2 spelling costs ~70 instructions per 8 lanes (two-permute lookups, scalef emulation).
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"


#include "arch/softplus_f32_fma_constants.h"

/* ---- the operations the algorithm is written in: the same names, and the same rounding, as in
 * softplus_f32_avx512.c, so the algorithm below is the same text in both files ---------------- */
typedef __m256 vf;
typedef __m256 vm; /* lane masks are all-ones/all-zeros vectors */
typedef struct sp_tab16 {
    __m256 lo, hi; /* entries 0-7 and 8-15 */
} sp_tab16;
typedef struct sp_tables {
    vf t_hi, t_lo;
    sp_tab16 c, g;
} sp_tables;
#define F(c) _mm256_set1_ps(c)
#define ADD(a, b) _mm256_add_ps(a, b)
#define SUB(a, b) _mm256_sub_ps(a, b)
/* a*b as fma(a, b, -0): the same bits (-0 is the additive identity for every result, zeros
 * included), but a multiply whose result is subnormal is several times slower on AMD Zen 5 */
#define MUL(a, b) _mm256_fmadd_ps(a, b, F(-0.0f))
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)   /* a*b + c, one rounding */
#define FMS(a, b, c) _mm256_fmsub_ps(a, b, c)   /* a*b - c */
#define FNMA(a, b, c) _mm256_fnmadd_ps(a, b, c) /* c - a*b */
#define MIN(a, b) _mm256_min_ps(a, b)           /* x86 semantics: b when unordered or equal */
#define MAX(a, b) _mm256_max_ps(a, b)
#define ABS(a) _mm256_andnot_ps(F(-0.0f), a)
#define SIGN(a) _mm256_and_ps(F(-0.0f), a)
#define XOR(a, b) _mm256_xor_ps(a, b)
#define SCALE(a, n) sp_scale(a, n)
#define LOOKUP_T(k, tab) _mm256_permutevar8x32_ps(tab, _mm256_castps_si256(k)) /* tab[k mod 8] */
#define LOOKUP_J(j, tab) sp_lookup16(j, tab)                                   /* tab[j mod 16] */
#define GT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define NOT_FINITE(a) _mm256_cmp_ps(ABS(a), F(INFINITY), _CMP_NLT_UQ)
#define OR_MASK(m1, m2) _mm256_or_ps(m1, m2)
#define SELECT(m, a, b) _mm256_blendv_ps(b, a, m) /* m ? a : b */
#define ZERO() _mm256_setzero_ps()

/* a*2^floor(n) for n in [-190, 1), bit for bit what AVX-512's scalef gives: when a*2^(n+64) is normal
 * the first product is exact and the second rounds once, as scalef does; otherwise |a*2^n| < 2^-190
 * and both give a signed zero. 2^(n+64) and 2^-64 are normal floats. */
SP_INLINE vf sp_scale(vf a, vf n)
{
    const __m256i e = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_floor_ps(n)), _mm256_set1_epi32(127 + 64)), 23);
    return MUL(MUL(a, _mm256_castsi256_ps(e)), F(0x1p-64f));
}

/* 16-entry lookup: two 8-lane permutes, bit 3 of the index chooses. */
SP_INLINE vf sp_lookup16(vf j, sp_tab16 tab)
{
    const __m256i idx = _mm256_castps_si256(j);
    const vf lo = _mm256_permutevar8x32_ps(tab.lo, idx);
    const vf hi = _mm256_permutevar8x32_ps(tab.hi, idx);
    return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
}

static sp_tables sp_load_tables(void)
{
    sp_tables t;
    t.t_hi = _mm256_loadu_ps(sp_t_hi);
    t.t_lo = _mm256_loadu_ps(sp_t_lo);
    t.c.lo = _mm256_loadu_ps(sp_c_table);
    t.c.hi = _mm256_loadu_ps(sp_c_table + 8);
    t.g.lo = _mm256_loadu_ps(sp_g_table);
    t.g.hi = _mm256_loadu_ps(sp_g_table + 8);
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
static SP_NOINLINE vf sp_fwd_special(vf x, vf y, int special, const sp_params_f32 *p)
{
    float xs[8], ys[8];
    _mm256_storeu_ps(xs, x);
    _mm256_storeu_ps(ys, y);
    for (int i = 0; i < 8; i++)
        if (special & (1 << i))
            sp_fwd_f32_scalar(1, &xs[i], &ys[i], p);
    return _mm256_loadu_ps(ys);
}

static SP_NOINLINE vf sp_bwd_special(vf dy, vf x, vf dx, int special, const sp_params_f32 *p)
{
    float dys[8], xs[8], dxs[8];
    _mm256_storeu_ps(dys, dy);
    _mm256_storeu_ps(xs, x);
    _mm256_storeu_ps(dxs, dx);
    for (int i = 0; i < 8; i++)
        if (special & (1 << i))
            sp_bwd_f32_scalar(1, &dys[i], &xs[i], &dxs[i], p);
    return _mm256_loadu_ps(dxs);
}

/* Forward with |beta| outside [2^-20, 2^16] goes to the reference kernel: below, exp(-128)/beta (the
 * clamp of |z|) would no longer round to 0; above, t/beta can be subnormal where t is not scaled
 * (z >= -64), and the small terms of the sum would lose bits to underflow. */
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
    const int s = _mm256_movemask_ps(st->special);
    if (s)
        yv = sp_fwd_special(st->x, yv, s, p);
    return yv;
}

SP_INLINE vf sp_bwd_finish(const sp_bwd_state *st, const sp_ctx *k, const sp_params_f32 *p)
{
    vf dxv = sp_bwd_b(st, k);
    const int s = _mm256_movemask_ps(st->special);
    if (s)
        dxv = sp_bwd_special(st->dy, st->x, dxv, s, p);
    return dxv;
}

SP_INLINE void sp_fwd_loop(size_t n, const float *x, float *y, const sp_params_f32 *p, int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    if (n >= 8) {
        /* the front of vector i + 8 is issued before the rest of vector i (software pipelining) */
        sp_fwd_state cur = sp_fwd_a(_mm256_loadu_ps(x), &k, unit);
        for (; i + 16 <= n; i += 8) {
            const sp_fwd_state next = sp_fwd_a(_mm256_loadu_ps(x + i + 8), &k, unit);
            _mm256_storeu_ps(y + i, sp_fwd_finish(&cur, &k, unit, p));
            cur = next;
        }
        _mm256_storeu_ps(y + i, sp_fwd_finish(&cur, &k, unit, p));
        i += 8;
    }
    if (i < n) {
        /* the same vector code on a zero-padded copy, so the last elements get the same bits */
        float buf[8] = {0};
        memcpy(buf, x + i, (n - i) * sizeof(float));
        const sp_fwd_state st = sp_fwd_a(_mm256_loadu_ps(buf), &k, unit);
        _mm256_storeu_ps(buf, sp_fwd_finish(&st, &k, unit, p));
        memcpy(y + i, buf, (n - i) * sizeof(float));
    }
}

SP_INLINE void sp_bwd_loop(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p,
                           int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    if (n >= 8) {
        /* pipelined as sp_fwd_loop; every vector is loaded before any store, so dx may be dy or x */
        sp_bwd_state cur = sp_bwd_a(_mm256_loadu_ps(dy), _mm256_loadu_ps(x), &k, unit);
        for (; i + 16 <= n; i += 8) {
            const sp_bwd_state next =
                sp_bwd_a(_mm256_loadu_ps(dy + i + 8), _mm256_loadu_ps(x + i + 8), &k, unit);
            _mm256_storeu_ps(dx + i, sp_bwd_finish(&cur, &k, p));
            cur = next;
        }
        _mm256_storeu_ps(dx + i, sp_bwd_finish(&cur, &k, p));
        i += 8;
    }
    if (i < n) {
        float bdy[8] = {0}, bx[8] = {0};
        memcpy(bdy, dy + i, (n - i) * sizeof(float));
        memcpy(bx, x + i, (n - i) * sizeof(float));
        const sp_bwd_state st = sp_bwd_a(_mm256_loadu_ps(bdy), _mm256_loadu_ps(bx), &k, unit);
        _mm256_storeu_ps(bx, sp_bwd_finish(&st, &k, p));
        memcpy(dx + i, bx, (n - i) * sizeof(float));
    }
}

void sp_fwd_f32_avx2(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    if (p->beta == 1.0f)
        sp_fwd_loop(n, x, y, p, 1);
    else if (sp_beta_in_range(p->beta))
        sp_fwd_loop(n, x, y, p, 0);
    else
        sp_fwd_f32_scalar(n, x, y, p);
}

void sp_bwd_f32_avx2(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    /* any finite beta: backward does not divide by it */
    if (p->beta == 1.0f)
        sp_bwd_loop(n, dy, x, dx, p, 1);
    else
        sp_bwd_loop(n, dy, x, dx, p, 0);
}

/* softplus_f32_avx512.c -- f32 softplus forward and backward kernels for AVX-512 (F, DQ, BW, VL).
 * SPDX-License-Identifier: MIT
 *
 * Method. One algorithm, shared operation for operation with softplus_f32_avx2.c and
 * arm/softplus_f32_neon.c: its one text, arch/softplus_f32_fma_algorithm.h, is written in a few
 * macros (ADD, FMA, SCALE, LOOKUP_J, ...) that each file maps to its instructions with the same
 * rounding, so the kernels give the same bits on every input (tests/accuracy/test_fma_identity.c,
 * tests/accuracy/test_digest.c).
 * With z = fl(beta*x), zl = beta*x - z (one fma; nothing for beta = 1) and a = min(|z|, 128):
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
 *      1/|beta| = ib + ibe, rounded once inside an fma; for z < -64, t is formed scaled by 2^64 (always
 *      normal then) and the result scaled back once, so t/beta keeps its bits when t is subnormal.
 *   Backward: sigmoid = 1/(1+t) = c/(1 + e + el) for z >= 0 and t/(1+t) = (p + el)/(1 + e + el) for
 *   z < 0, with 1/(1+e) = 1 - e + e^2 R(e); dx = dy * sigmoid (one more rounding, none when dy = 1).
 *   Every product is an fma(a, b, -0) (MUL): the same bits as a*b, but on AMD Zen 5 a multiply whose
 *   result is subnormal is several times slower and an fma is not (with vmulps, inputs in
 *   [-100, -90] ran at half speed). scalef is exact scaling (ldexp); the AVX2 file reproduces it.
 * Polynomials and tables: tests/tools/softplus_f32_coeffs.sollya (fpminimax, float coefficients):
 *   P degree 2 on |r| <= ln2/16 + 2^-12, absolute error 2^-31.7; Q degree 3 on |e| <= 0.0356,
 *   relative error of log1p 2^-30.5; R degree 3 on |e| <= 0.0356, absolute error 2^-33.4; the tables
 *   2^(-m/8) (float pairs) and c_j, G_j (Tang search) come from the same script.
 * Accuracy (tests/accuracy/ulp_sweep, every one of the 2^32 inputs, reference in double):
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
 *   SP_MAX_ULP_F32_AVX512 and SP_MAX_ULP_BETA_F32_AVX512 (src/kernels.h, enforced by the tests): 1.0.
 * Special values: lanes where z is not finite (NaN, +-inf, beta*x overflowing) and, backward, where
 *   dy is not finite, are flagged in a mask and redone by the reference scalar kernel in
 *   sp_fwd_special / sp_bwd_special (not inlined; the fast path has one test and branch per vector).
 *   +-0, subnormal x and any finite z take the fast path (|z| > 128 is clamped: t rounds to 0).
 *   Forward with |beta| outside [2^-20, 2^16] runs the scalar kernel (see sp_beta_in_range).
 *   The threshold rule comes last: fl(beta*x) > threshold returns x (or dy) unchanged.
 * Tails: masked loads and stores around the same vector code, so position never changes a result;
 *   unaligned pointers and in-place calls (y == x; dx == dy or x) are fine: each vector is loaded
 *   before it is stored.
 * Speed (AMD EPYC Zen 5 at ~4.2 GHz, one core, contiguous f32, machine otherwise idle):
 *   Gelem/s (bench/bench_softplus)   L1 (1K)  L2 (16K)  LLC (512K)  DRAM (32M)   copy L1 / 32M
 *   forward  beta = 1                 2.55     2.65      2.58        2.51         35.0 / 3.9
 *   backward beta = 1                 2.85     2.82      2.73        2.66         35.6 / 4.7
 *   libm loop (expf + log1pf) 0.12: forward 21x it. The kernel is compute-bound at every size (64%
 *   of a copy's bandwidth at 32M elements): about 55 instructions and a ~70-cycle dependency chain
 *   per vector, and this core keeps only ~3 such chains in flight (a chain of 16 dependent FMAs
 *   measures 23 cycles per vector), hence the software pipelining of the loops (+10%). The
 *   issue's goals (5.7 forward, 6.6 backward, 90% of a copy at 32M) are not met.
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"


#include "arch/softplus_f32_fma_constants.h"

/* ---- the operations arch/softplus_f32_fma_algorithm.h is written in; softplus_f32_avx2.c and
 * arm/softplus_f32_neon.c define the same names with the same rounding ------------------------- */
typedef __m512 vf;
typedef __mmask16 vm;
typedef struct sp_tables {
    vf t_hi, t_lo, c, g;
} sp_tables;
#define F(c) _mm512_set1_ps(c)
#define ADD(a, b) _mm512_add_ps(a, b)
#define SUB(a, b) _mm512_sub_ps(a, b)
/* a*b as fma(a, b, -0): the same bits (-0 is the additive identity for every result, zeros
 * included), but a multiply whose result is subnormal is several times slower on AMD Zen 5 */
#define MUL(a, b) _mm512_fmadd_ps(a, b, F(-0.0f))
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)   /* a*b + c, one rounding */
#define FMS(a, b, c) _mm512_fmsub_ps(a, b, c)   /* a*b - c */
#define FNMA(a, b, c) _mm512_fnmadd_ps(a, b, c) /* c - a*b */
#define MIN(a, b) _mm512_min_ps(a, b)           /* x86 semantics: b when unordered or equal */
#define MAX(a, b) _mm512_max_ps(a, b)
#define ABS(a) _mm512_andnot_ps(F(-0.0f), a)
#define SIGN(a) _mm512_and_ps(F(-0.0f), a)
#define XOR(a, b) _mm512_xor_ps(a, b)
/* a*2^floor(n) for n in [-190, 1): scalef rounds once, like (a*2^(n+64))*2^-64 (see the AVX2 file) */
#define SCALE(a, n) _mm512_scalef_ps(a, n)
#define LOOKUP_T(k, tab) _mm512_permutexvar_ps(_mm512_castps_si512(k), tab) /* tab[k mod 8] */
#define LOOKUP_J(j, tab) _mm512_permutexvar_ps(_mm512_castps_si512(j), tab) /* tab[j mod 16] */
#define GT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define LT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define NOT_FINITE(a) _mm512_cmp_ps_mask(ABS(a), F(INFINITY), _CMP_NLT_UQ)
#define OR_MASK(m1, m2) ((vm)((m1) | (m2)))
#define SELECT(m, a, b) _mm512_mask_mov_ps(b, m, a) /* m ? a : b */
#define ZERO() _mm512_setzero_ps()

static sp_tables sp_load_tables(void)
{
    sp_tables t;
    t.t_hi = _mm512_loadu_ps(sp_t_hi);
    t.t_lo = _mm512_loadu_ps(sp_t_lo);
    t.c = _mm512_loadu_ps(sp_c_table);
    t.g = _mm512_loadu_ps(sp_g_table);
    return t;
}

/* The algorithm, one text for every FMA kernel (it uses the ops defined above). */
#include "arch/softplus_f32_fma_algorithm.h"

/* Lanes the vector path cannot do (NaN, infinities, beta*x overflowing, non-finite dy) get the
 * reference kernel's answer, element by element. */
static SP_NOINLINE vf sp_fwd_special(vf x, vf y, vm special, const sp_params_f32 *p)
{
    float xs[16], ys[16];
    _mm512_storeu_ps(xs, x);
    _mm512_storeu_ps(ys, y);
    for (int i = 0; i < 16; i++)
        if (special & (1u << i))
            sp_fwd_f32_scalar(1, &xs[i], &ys[i], p);
    return _mm512_loadu_ps(ys);
}

static SP_NOINLINE vf sp_bwd_special(vf dy, vf x, vf dx, vm special, const sp_params_f32 *p)
{
    float dys[16], xs[16], dxs[16];
    _mm512_storeu_ps(dys, dy);
    _mm512_storeu_ps(xs, x);
    _mm512_storeu_ps(dxs, dx);
    for (int i = 0; i < 16; i++)
        if (special & (1u << i))
            sp_bwd_f32_scalar(1, &dys[i], &xs[i], &dxs[i], p);
    return _mm512_loadu_ps(dxs);
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

SP_INLINE void sp_fwd_loop(size_t n, const float *x, float *y, const sp_params_f32 *p, int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    if (n >= 16) {
        /* the front of vector i + 16 is issued before the rest of vector i (software pipelining) */
        sp_fwd_state cur = sp_fwd_a(_mm512_loadu_ps(x), &k, unit);
        for (; i + 32 <= n; i += 16) {
            const sp_fwd_state next = sp_fwd_a(_mm512_loadu_ps(x + i + 16), &k, unit);
            vf yv = sp_fwd_b(&cur, &k, unit);
            if (cur.special)
                yv = sp_fwd_special(cur.x, yv, cur.special, p);
            _mm512_storeu_ps(y + i, yv);
            cur = next;
        }
        vf yv = sp_fwd_b(&cur, &k, unit);
        if (cur.special)
            yv = sp_fwd_special(cur.x, yv, cur.special, p);
        _mm512_storeu_ps(y + i, yv);
        i += 16;
    }
    if (i < n) {
        /* masked: lanes past n load 0 (never special) and are not stored */
        const vm m = (vm)((1u << (n - i)) - 1u);
        const sp_fwd_state st = sp_fwd_a(_mm512_maskz_loadu_ps(m, x + i), &k, unit);
        vf yv = sp_fwd_b(&st, &k, unit);
        if (st.special)
            yv = sp_fwd_special(st.x, yv, st.special, p);
        _mm512_mask_storeu_ps(y + i, m, yv);
    }
}

SP_INLINE void sp_bwd_loop(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p,
                           int unit)
{
    const sp_ctx k = sp_make_ctx(p);
    size_t i = 0;
    if (n >= 16) {
        /* software pipelined as in sp_fwd_loop; every vector is loaded before any store, so dx may be
         * dy or x */
        sp_bwd_state cur = sp_bwd_a(_mm512_loadu_ps(dy), _mm512_loadu_ps(x), &k, unit);
        for (; i + 32 <= n; i += 16) {
            const sp_bwd_state next =
                sp_bwd_a(_mm512_loadu_ps(dy + i + 16), _mm512_loadu_ps(x + i + 16), &k, unit);
            vf dxv = sp_bwd_b(&cur, &k);
            if (cur.special)
                dxv = sp_bwd_special(cur.dy, cur.x, dxv, cur.special, p);
            _mm512_storeu_ps(dx + i, dxv);
            cur = next;
        }
        vf dxv = sp_bwd_b(&cur, &k);
        if (cur.special)
            dxv = sp_bwd_special(cur.dy, cur.x, dxv, cur.special, p);
        _mm512_storeu_ps(dx + i, dxv);
        i += 16;
    }
    if (i < n) {
        const vm m = (vm)((1u << (n - i)) - 1u);
        const sp_bwd_state st =
            sp_bwd_a(_mm512_maskz_loadu_ps(m, dy + i), _mm512_maskz_loadu_ps(m, x + i), &k, unit);
        vf dxv = sp_bwd_b(&st, &k);
        if (st.special)
            dxv = sp_bwd_special(st.dy, st.x, dxv, st.special, p);
        _mm512_mask_storeu_ps(dx + i, m, dxv);
    }
}

void sp_fwd_f32_avx512(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    if (p->beta == 1.0f)
        sp_fwd_loop(n, x, y, p, 1);
    else if (sp_beta_in_range(p->beta))
        sp_fwd_loop(n, x, y, p, 0);
    else
        sp_fwd_f32_scalar(n, x, y, p);
}

void sp_bwd_f32_avx512(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    /* any finite beta: backward does not divide by it */
    if (p->beta == 1.0f)
        sp_bwd_loop(n, dy, x, dx, p, 1);
    else
        sp_bwd_loop(n, dy, x, dx, p, 0);
}

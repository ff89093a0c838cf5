/* softplus_f32_fma_algorithm.h -- the f32 FMA softplus algorithm, written once in per-ISA vector ops.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: x86/softplus_f32_avx2.c, x86/softplus_f32_avx512.c and arm/softplus_f32_neon.c
 * each include it once, after defining
 *   vf, vm, sp_tab16, sp_tables        the vector, mask, 16-entry table and table-set types;
 *   F ADD SUB MUL FMA FMS FNMA MIN MAX ABS SIGN XOR SCALE LOOKUP_T LOOKUP_J GT LT NOT_FINITE OR_MASK
 *   SELECT ZERO                        the operations, each with the x86 semantics its file documents
 *                                      (FMA family fused; MIN/MAX give b when unordered or equal);
 * and the constants of softplus_f32_fma_constants.h. Because every kernel runs this one text, the
 * operations and their order are the same on every ISA, which is what makes the AVX2, AVX-512 and
 * NEON results bit-identical (tests/accuracy/test_fma_identity.c, tests/accuracy/test_digest.c). The
 * method and its error analysis are in the header comment of x86/softplus_f32_avx512.c. */

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

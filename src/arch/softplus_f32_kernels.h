/* softplus_f32_kernels.h -- what every f32 SIMD kernel file shares around its algorithm: the loops,
 * the special lanes' repair and the entry logic.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: a kernel file includes it once, after its vector ops and its algorithm
 * (arch/softplus_f32_fma_algorithm.h), having defined
 *   SP_LANES              lanes per vector;
 *   LOADU(p) STOREU(p, v) unaligned load and store of SP_LANES floats;
 *   MASK_BITS(m)          the lane mask m as an unsigned, bit i for lane i;
 *   LOAD_PART(p, n), STORE_PART(p, v, n)  optional: n < SP_LANES lanes, the others loaded as 0 and not
 *                         stored; without them a tail is copied through a zero-padded stack buffer.
 * It then defines sp_f32_fwd and sp_f32_bwd, which the file's exported sp_fwd_f32_<isa> and
 * sp_bwd_f32_<isa> call.
 *
 * Invariants the loops keep (src/kernels.h states the contract): every input vector is loaded before
 * the output vector at the same position is stored, so y may be x and dx may be dy or x; a tail runs
 * the same vector code on zero-padded lanes (0 is never a special input), so an element's result does
 * not depend on its position; no byte outside [p, p + n) is read or written.
 */

#include <string.h>

#ifndef LOAD_PART
/* the tail through a zero-padded copy: the same vector code, so the last elements get the same bits */
SP_INLINE vf sp_load_part(const float *p, size_t n)
{
    float buf[SP_LANES] = {0};
    memcpy(buf, p, n * sizeof(float));
    return LOADU(buf);
}

SP_INLINE void sp_store_part(float *p, vf v, size_t n)
{
    float buf[SP_LANES];
    STOREU(buf, v);
    memcpy(p, buf, n * sizeof(float));
}
#define LOAD_PART(p, n) sp_load_part(p, n)
#define STORE_PART(p, v, n) sp_store_part(p, v, n)
#endif

/* Lanes the vector path cannot do (NaN, infinities, beta*x overflowing, non-finite dy) get the
 * reference kernel's answer, element by element. Not inlined: the fast path keeps one test and
 * branch per vector. */
static SP_NOINLINE vf sp_fwd_special(vf x, vf y, unsigned special, const sp_params_f32 *p)
{
    float xs[SP_LANES], ys[SP_LANES];
    STOREU(xs, x);
    STOREU(ys, y);
    for (int i = 0; i < SP_LANES; i++)
        if (special >> i & 1u)
            sp_fwd_f32_scalar(1, &xs[i], &ys[i], p);
    return LOADU(ys);
}

static SP_NOINLINE vf sp_bwd_special(vf dy, vf x, vf dx, unsigned special, const sp_params_f32 *p)
{
    float dys[SP_LANES], xs[SP_LANES], dxs[SP_LANES];
    STOREU(dys, dy);
    STOREU(xs, x);
    STOREU(dxs, dx);
    for (int i = 0; i < SP_LANES; i++)
        if (special >> i & 1u)
            sp_bwd_f32_scalar(1, &dys[i], &xs[i], &dxs[i], p);
    return LOADU(dxs);
}

/* Stage 2 of a vector, and its special lanes' repair. */
SP_INLINE vf sp_fwd_vec2(vf x, vf j, vf e, vf el, const sp_f32_k *k, int unit, const sp_params_f32 *p)
{
    vm sm;
    vf y = sp_fwd_finish(x, j, e, el, k, unit, &sm);
    const unsigned s = MASK_BITS(sm);
    if (s)
        y = sp_fwd_special(x, y, s, p);
    return y;
}

SP_INLINE vf sp_bwd_vec2(vf dy, vf x, vf c, vf pp, vf e, vf el, const sp_f32_k *k, int unit,
                         const sp_params_f32 *p)
{
    vm sm;
    vf dx = sp_bwd_finish(dy, x, c, pp, e, el, k, unit, &sm);
    const unsigned s = MASK_BITS(sm);
    if (s)
        dx = sp_bwd_special(dy, x, dx, s, p);
    return dx;
}

/* Software pipelined: stage 1 of vector i + 1 is issued before stage 2 of vector i, so two long
 * dependency chains are in flight (+10% on Zen 5 over one vector per iteration). */
SP_INLINE void sp_fwd_loop(size_t n, const float *x, float *y, const sp_params_f32 *p, int unit)
{
    const sp_f32_k k = sp_f32_make_k(p);
    size_t i = 0;
    if (n >= SP_LANES) {
        vf cx = LOADU(x), cj, ce, cel;
        sp_fwd_front(cx, &k, unit, &cj, &ce, &cel);
        for (; i + 2 * SP_LANES <= n; i += SP_LANES) {
            const vf nx = LOADU(x + i + SP_LANES);
            vf nj, ne, nel;
            sp_fwd_front(nx, &k, unit, &nj, &ne, &nel);
            STOREU(y + i, sp_fwd_vec2(cx, cj, ce, cel, &k, unit, p));
            cx = nx;
            cj = nj;
            ce = ne;
            cel = nel;
        }
        STOREU(y + i, sp_fwd_vec2(cx, cj, ce, cel, &k, unit, p));
        i += SP_LANES;
    }
    if (i < n) {
        const vf tx = LOAD_PART(x + i, n - i);
        vf tj, te, tel;
        sp_fwd_front(tx, &k, unit, &tj, &te, &tel);
        STORE_PART(y + i, sp_fwd_vec2(tx, tj, te, tel, &k, unit, p), n - i);
    }
}

SP_INLINE void sp_bwd_loop(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p,
                           int unit)
{
    const sp_f32_k k = sp_f32_make_k(p);
    size_t i = 0;
    if (n >= SP_LANES) {
        vf cdy = LOADU(dy), cx = LOADU(x), cc, cp, ce, cel;
        sp_bwd_front(cx, &k, unit, &cc, &cp, &ce, &cel);
        for (; i + 2 * SP_LANES <= n; i += SP_LANES) {
            const vf ndy = LOADU(dy + i + SP_LANES), nx = LOADU(x + i + SP_LANES);
            vf nc, np, ne, nel;
            sp_bwd_front(nx, &k, unit, &nc, &np, &ne, &nel);
            STOREU(dx + i, sp_bwd_vec2(cdy, cx, cc, cp, ce, cel, &k, unit, p));
            cdy = ndy;
            cx = nx;
            cc = nc;
            cp = np;
            ce = ne;
            cel = nel;
        }
        STOREU(dx + i, sp_bwd_vec2(cdy, cx, cc, cp, ce, cel, &k, unit, p));
        i += SP_LANES;
    }
    if (i < n) {
        const vf tdy = LOAD_PART(dy + i, n - i), tx = LOAD_PART(x + i, n - i);
        vf tc, tp, te, tel;
        sp_bwd_front(tx, &k, unit, &tc, &tp, &te, &tel);
        STORE_PART(dx + i, sp_bwd_vec2(tdy, tx, tc, tp, te, tel, &k, unit, p), n - i);
    }
}

/* The bodies of sp_fwd_f32_<isa> and sp_bwd_f32_<isa>: beta = 1 gets its own loop, with the beta
 * arithmetic compiled out (the same bits as the general code with beta = 1). */
SP_INLINE void sp_f32_fwd(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    if (p->beta == 1.0f)
        sp_fwd_loop(n, x, y, p, 1);
    else if (sp_f32_fwd_vector_ok(p))
        sp_fwd_loop(n, x, y, p, 0);
    else
        sp_fwd_f32_scalar(n, x, y, p);
}

SP_INLINE void sp_f32_bwd(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    if (p->beta == 1.0f)
        sp_bwd_loop(n, dy, x, dx, p, 1);
    else
        sp_bwd_loop(n, dy, x, dx, p, 0);
}

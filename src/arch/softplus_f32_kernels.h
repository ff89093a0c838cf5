/* softplus_f32_kernels.h -- what every f32 SIMD kernel file shares around its algorithm: the loops
 * (arch/softplus_loop.h), the special lanes' repair and the entry logic.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: a kernel file includes it once, after
 *   - its vector ops: vf, vm, and the per-ISA parameters of arch/softplus_loop.h (SP_LOOP_W,
 *     SP_LOOP_LOADU/STOREU/LOADA/STOREA, SP_LOOP_BITS, optionally SP_LOOP_LOAD_TAIL/STORE_TAIL);
 *   - its algorithm (arch/softplus_f32_fma_algorithm.h, or the SSE4.1 file's own), which provides
 *     the context type sp_f32_k (with float members beta and thr: the call's parameters) and
 *     sp_f32_make_k (and sp_f32_make_k_bbeta, which adds what only the beta gradient reads), the
 *     predicate sp_f32_fwd_vector_ok (whether forward with this beta runs the vector code at all),
 *     and the stages in the driver's argument order: sp_fwd_front/sp_fwd_finish with SP_FWD_NBUF
 *     vectors between them, sp_bwd_front/sp_bwd_finish with SP_BWD_NBUF.
 * It defines sp_f32_fwd and sp_f32_bwd, the bodies of the file's exported sp_fwd_f32_<isa> and
 * sp_bwd_f32_<isa>, and (release 1.1, where the algorithm provides their stages, SP_DBWD_NBUF and SP_INV_NBUF:
 * the FMA text and the SSE4.1 file) sp_f32_dbwd, sp_f32_bbeta and sp_f32_inv. The driver's guarantees (in-place calls, position-independent tails, no access
 * outside the arrays, special lanes redone after each block from saved inputs) are the kernels'.
 */

/* Lanes the vector path cannot do (NaN, infinities, beta*x overflowing, non-finite or huge multipliers) get
 * the reference kernel's answer, element by element. Not inlined: the fast loop stays small. */
typedef void (*sp_scalar1_fn)(size_t, const float *, float *, const sp_params_f32 *);
typedef void (*sp_scalar2_fn)(size_t, const float *, const float *, float *, const sp_params_f32 *);

static SP_NOINLINE vf sp_scalar1_lanes(sp_scalar1_fn scalar, const sp_f32_k *k, vf in, vf r, uint64_t bits)
{
    const sp_params_f32 p = {k->beta, k->thr};
    float ins[SP_LOOP_W], rs[SP_LOOP_W];
    SP_LOOP_STOREU(ins, in);
    SP_LOOP_STOREU(rs, r);
    for (int i = 0; i < SP_LOOP_W; i++)
        if (bits >> i & 1u)
            scalar(1, &ins[i], &rs[i], &p);
    return SP_LOOP_LOADU(rs);
}

static SP_NOINLINE vf sp_scalar2_lanes(sp_scalar2_fn scalar, const sp_f32_k *k, vf m, vf x, vf r, uint64_t bits)
{
    const sp_params_f32 p = {k->beta, k->thr};
    float ms[SP_LOOP_W], xs[SP_LOOP_W], rs[SP_LOOP_W];
    SP_LOOP_STOREU(ms, m);
    SP_LOOP_STOREU(xs, x);
    SP_LOOP_STOREU(rs, r);
    for (int i = 0; i < SP_LOOP_W; i++)
        if (bits >> i & 1u)
            scalar(1, &ms[i], &xs[i], &rs[i], &p);
    return SP_LOOP_LOADU(rs);
}

/* A vector's special lanes (SP_LOOP_SPECIAL). Where the algorithm has a vector path for an op's deep lanes
 * (it defines SP_<OP>_DEEP as that function: forward's z < -40, backward's z < -80, the second derivative's
 * |z| > 70, the beta gradient's |z| > 40), those lanes take it, inline, so that the redone vectors of a block
 * overlap -- the scalar reference costs 30-40 ns a lane, most of a vector's time when one lane in a few
 * hundred is that deep -- and the rest (NaN, infinities, huge multipliers) the scalar reference. The deep
 * function is a constant at every call, so the test below folds away; an algorithm with deep paths defines
 * SP_DEEP_PATHS (the others need not provide the vector ops they use). */
typedef vf (*sp_deep1_fn)(const sp_f32_k *, int, vf, vm *);
typedef vf (*sp_deep2_fn)(const sp_f32_k *, int, vf, vf, vm *);

SP_INLINE vf sp_special1(sp_deep1_fn deep, sp_scalar1_fn scalar, const sp_f32_k *k, int unit, vf in, vf r,
                         uint64_t bits)
{
#ifdef SP_DEEP_PATHS
    if (deep) {
        vm m;
        const vf rd = deep(k, unit, in, &m);
        r = SELECT(m, rd, r);
        bits &= ~SP_LOOP_BITS(m);
        if (!bits)
            return r;
    }
#else
    (void)deep, (void)unit;
#endif
    return sp_scalar1_lanes(scalar, k, in, r, bits);
}

SP_INLINE vf sp_special2(sp_deep2_fn deep, sp_scalar2_fn scalar, const sp_f32_k *k, int unit, vf m, vf x, vf r,
                         uint64_t bits)
{
#ifdef SP_DEEP_PATHS
    if (deep) {
        vm dm;
        const vf rd = deep(k, unit, m, x, &dm);
        r = SELECT(dm, rd, r);
        bits &= ~SP_LOOP_BITS(dm);
        if (!bits)
            return r;
    }
#else
    (void)deep, (void)unit;
#endif
    return sp_scalar2_lanes(scalar, k, m, x, r, bits);
}

#ifndef SP_FWD_DEEP
#define SP_FWD_DEEP NULL
#endif
#ifndef SP_BWD_DEEP
#define SP_BWD_DEEP NULL
#endif
#ifndef SP_DBWD_DEEP
#define SP_DBWD_DEEP NULL
#endif
#ifndef SP_BBETA_DEEP
#define SP_BBETA_DEEP NULL
#endif

#define SP_LOOP_T float
#define SP_LOOP_V vf
#define SP_LOOP_M vm
#define SP_LOOP_CTX sp_f32_k

#define SP_LOOP_NAME sp_f32_fwd_loop
#define SP_LOOP_NIN 1
#define SP_LOOP_NBUF SP_FWD_NBUF
#define SP_LOOP_STAGE1 sp_fwd_front
#define SP_LOOP_STAGE2 sp_fwd_finish
#define SP_LOOP_SPECIAL(k, unit, x, y, bits) sp_special1(SP_FWD_DEEP, sp_fwd_f32_scalar, k, unit, x, y, bits)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_f32_bwd_loop
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF SP_BWD_NBUF
#define SP_LOOP_STAGE1 sp_bwd_front
#define SP_LOOP_STAGE2 sp_bwd_finish
#define SP_LOOP_SPECIAL(k, unit, dy, x, dx, bits) sp_special2(SP_BWD_DEEP, sp_bwd_f32_scalar, k, unit, dy, x, dx, bits)
#ifdef SP_BWD_SCREEN /* an algorithm whose backward has a block screen (arch/softplus_loop.h) */
#define SP_LOOP_SCREEN SP_BWD_SCREEN
#define SP_LOOP_SCREEN_INIT SP_BWD_SCREEN_INIT
#define SP_LOOP_SCREEN_HIT SP_BWD_SCREEN_HIT
#endif
#include "arch/softplus_loop.h"

#ifdef SP_DBWD_NBUF
#define SP_LOOP_NAME sp_f32_dbwd_loop
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF SP_DBWD_NBUF
#define SP_LOOP_STAGE1 sp_dbwd_front
#define SP_LOOP_STAGE2 sp_dbwd_finish
#define SP_LOOP_SPECIAL(k, unit, g, x, r, bits) sp_special2(SP_DBWD_DEEP, sp_dbwd_f32_scalar, k, unit, g, x, r, bits)
#include "arch/softplus_loop.h"

#define SP_LOOP_NAME sp_f32_bbeta_loop
#define SP_LOOP_NIN 2
#define SP_LOOP_NBUF SP_BBETA_NBUF
#define SP_LOOP_STAGE1 sp_bbeta_front
#define SP_LOOP_STAGE2 sp_bbeta_finish
#define SP_LOOP_SPECIAL(k, unit, dy, x, r, bits) sp_special2(SP_BBETA_DEEP, sp_bbeta_f32_scalar, k, unit, dy, x, r, bits)
#include "arch/softplus_loop.h"
#endif

#ifdef SP_INV_NBUF
#define SP_LOOP_NAME sp_f32_inv_loop
#define SP_LOOP_NIN 1
#define SP_LOOP_NBUF SP_INV_NBUF
#define SP_LOOP_STAGE1 sp_inv_front
#define SP_LOOP_STAGE2 sp_inv_finish
#define SP_LOOP_SPECIAL(k, unit, y, x, bits) sp_special1(NULL, sp_inv_f32_scalar, k, unit, y, x, bits)
#include "arch/softplus_loop.h"
#endif

/* beta = 1 gets its own loops, with the beta arithmetic compiled out (the same bits as the general
 * code with beta = 1): mode 1, mode 0 for any beta. An algorithm whose beta = 1 arithmetic already
 * returns x (forward) or dy (backward) wherever x > t for every threshold t >= SP_FWD_THRESHOLD_FREE
 * (SP_BWD_THRESHOLD_FREE) defines them and gets a third loop for such thresholds, mode 2, which leaves
 * out the rule's compare and select (the fast tier's: the defaults, beta 1 and threshold 20, run it). */
SP_INLINE void sp_f32_fwd_modes(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    const sp_f32_k k = sp_f32_make_k(p);
#ifdef SP_FWD_THRESHOLD_FREE
    if (p->beta == 1.0f && p->threshold >= SP_FWD_THRESHOLD_FREE)
        sp_f32_fwd_loop(n, x, y, &k, 2);
    else
#endif
    if (p->beta == 1.0f)
        sp_f32_fwd_loop(n, x, y, &k, 1);
    else if (sp_f32_fwd_vector_ok(p))
        sp_f32_fwd_loop(n, x, y, &k, 0);
    else
        sp_fwd_f32_scalar(n, x, y, p);
}

SP_INLINE void sp_f32_bwd_modes(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    const sp_f32_k k = sp_f32_make_k(p);
#ifdef SP_BWD_THRESHOLD_FREE
    if (p->beta == 1.0f && p->threshold >= SP_BWD_THRESHOLD_FREE)
        sp_f32_bwd_loop(n, dy, x, dx, &k, 2);
    else
#endif
    if (p->beta == 1.0f)
        sp_f32_bwd_loop(n, dy, x, dx, &k, 1);
    else
        sp_f32_bwd_loop(n, dy, x, dx, &k, 0);
}

#ifdef SP_DBWD_NBUF
SP_INLINE void sp_f32_dbwd_modes(size_t n, const float *g, const float *x, float *out, const sp_params_f32 *p)
{
    const sp_f32_k k = sp_f32_make_k(p);
    if (p->beta == 1.0f)
        sp_f32_dbwd_loop(n, g, x, out, &k, 1);
    else
        sp_f32_dbwd_loop(n, g, x, out, &k, 0);
}

SP_INLINE void sp_f32_bbeta_modes(size_t n, const float *dy, const float *x, float *dbeta, const sp_params_f32 *p)
{
    const sp_f32_k k = sp_f32_make_k_bbeta(p);
    if (p->beta == 1.0f)
        sp_f32_bbeta_loop(n, dy, x, dbeta, &k, 1);
    else if (sp_f32_bbeta_vector_ok(p))
        sp_f32_bbeta_loop(n, dy, x, dbeta, &k, 0);
    else
        sp_bbeta_f32_scalar(n, dy, x, dbeta, p);
}
#endif

#ifdef SP_INV_NBUF
SP_INLINE void sp_f32_inv_modes(size_t n, const float *y, float *x, const sp_params_f32 *p)
{
    const sp_f32_k k = sp_f32_make_k(p);
    if (p->beta == 1.0f)
        sp_f32_inv_loop(n, y, x, &k, 1);
    else if (sp_f32_fwd_vector_ok(p))
        sp_f32_inv_loop(n, y, x, &k, 0);
    else
        sp_inv_f32_scalar(n, y, x, p);
}
#endif

/* The file's kernel bodies, split by size (SP_KERNEL_BY_SIZE_*, kernels.h) */
SP_KERNEL_BY_SIZE_1(sp_f32_fwd, float, sp_params_f32)
SP_KERNEL_BY_SIZE_2(sp_f32_bwd, float, sp_params_f32)
#ifdef SP_DBWD_NBUF
SP_KERNEL_BY_SIZE_2(sp_f32_dbwd, float, sp_params_f32)
SP_KERNEL_BY_SIZE_2(sp_f32_bbeta, float, sp_params_f32)
#endif
#ifdef SP_INV_NBUF
SP_KERNEL_BY_SIZE_1(sp_f32_inv, float, sp_params_f32)
#endif

/* softplus_f64_neon.c -- f64 softplus forward, backward, second derivative, inverse and beta
 * gradient, 2 lanes of AArch64 Advanced SIMD (NEON).
 * SPDX-License-Identifier: MIT
 *
 * The algorithm, its error analysis and its special-value handling are in
 * arch/softplus_f64_fma_algorithm.h; this file spells its operations in NEON with x86 semantics and
 * runs it through arch/softplus_loop.h, so on every input (every beta, threshold, special value and
 * tail position) the result has the same bits as the x86 FMA kernels' (tests/accuracy/test_digest.c).
 *
 * Accuracy under qemu-aarch64 against the binary128 long double reference (tests/accuracy/ulp_sweep
 * --f64 --count 1e6 --isa neon, per beta, thresholds +inf and 20 alike); bounds SP_MAX_ULP_F64_NEON and
 * SP_MAX_ULP_BETA_F64_NEON (1.0, those of the x86 FMA kernels) in kernels.h:
 *   forward  beta 1: max 0.573 ULP at x = -0x1.64f3769a263p+2, got 0x1.eed981daa5633p-9, want
 *            0x1.eed981daa56326d612de924d2ea3p-9; beta 0.5, 2, -1: 0.569; beta 7.3: 0.571; beta -2.7:
 *            0.577 at x = 0x1.2297bbbfcf3a1p+1, got -0x1.a6525347a2196p-11, want
 *            -0x1.a6525347a21956c2fa4e60b5bf54p-11; beta 1.5e-9: 0.607 at x = -0x1.25e329997cffdp+31,
 *            got 0x1.f1e3171db6bf3p+23, want 0x1.f1e3171db6bf264a1381eecbc526p+23; beta 1e-300, 1e300,
 *            -7.3e200: at most 0.582.
 *   backward beta 1: max 0.547 ULP at x = -0x1.25eafcdc37772p+8, got 0x1.f419a23a5bbe6p-425, want
 *            0x1.f419a23a5bbe57400a6d4b4d4275p-425; every other beta above at most 0.547 (-2.7).
 * These are samples of 10^6 inputs (the emulated binary128 reference is slow). The results are those of
 * the x86 kernels bit for bit, so their sweeps of 10^8 inputs per beta apply here as well: forward 0.636
 * ULP (z = beta*x = -0x1.c434ace87e88p+1), backward 0.552 ULP.
 *
 * Where NEON and x86 differ and how the ops below keep x86's results:
 *   - x86 min/max return the second operand when either is NaN (and on +-0); FMIN/FMAX return NaN.
 *     MIN and MAX are a compare and a select, so every lane carries x86's values (the special path
 *     clamps a NaN |z| with min(NaN, 2048) = 2048; such lanes are overwritten later, but the copy does
 *     not depend on that).
 *   - table lookups (vpermps/vpermt2pd use the index's low 4 bits): one scalar load per lane of
 *     tab[bits & 15]; the tables stay in memory.
 *   - x86 fmsub(a, b, c) = fma(a, b, -c) (negating c is exact), fnmadd(a, b, c) = FMLS.
 *   - masks are all-ones lanes from compares; the unordered compares are NOTs of the ordered ones.
 *   - the tail (n odd) runs the same vector code on a register with a zero in the other lane.
 * NaN results: which NaN comes out (sign, payload) follows each ISA's own rules, and only NaN-ness is
 * part of the contract. The one class seen to differ: backward at z = -inf with dy = +-inf, where
 * dx = dy*0 is a new NaN (x86 0xfff8000000000000, AArch64 0x7ff8000000000000 with dy's sign or-ed in).
 */
#include <arm_neon.h>

#include "arch/softplus_f64_common.h"

/* ---- the operations arch/softplus_f64_fma_algorithm.h is written in --------------------------- */
typedef float64x2_t vd;
typedef uint64x2_t vm; /* a lane mask: all ones or all zeros */
typedef struct sp_f64_tables {
    const uint64_t *tb;
    const double *tr, *c, *l;
} sp_f64_tables;

static void sp_f64_load_tables(sp_f64_tables *t)
{
    t->tb = sp_f64_exp_tbits;
    t->tr = sp_f64_exp_trel;
    t->c = sp_f64_log_c;
    t->l = sp_f64_log_l;
}

#define SP_U(v) vreinterpretq_u64_f64(v)
#define SP_D(v) vreinterpretq_f64_u64(v)

SP_INLINE vm sp_not(vm m) { return vreinterpretq_u64_u32(vmvnq_u32(vreinterpretq_u32_u64(m))); }

/* tab[i & 15] for the low 4 bits of each lane's bits, as vpermt2pd reads its index */
SP_INLINE vd sp_lut(const double *tab, uint64x2_t i)
{
    const double *p0 = tab + (vgetq_lane_u64(i, 0) & 15u);
    const double *p1 = tab + (vgetq_lane_u64(i, 1) & 15u);
    return vcombine_f64(vld1_f64(p0), vld1_f64(p1));
}

SP_INLINE vd sp_lut_bits(const uint64_t *tab, uint64x2_t i)
{
    const uint64_t *p0 = tab + (vgetq_lane_u64(i, 0) & 15u);
    const uint64_t *p1 = tab + (vgetq_lane_u64(i, 1) & 15u);
    return SP_D(vcombine_u64(vld1_u64(p0), vld1_u64(p1)));
}

SP_INLINE vm sp_mask_from_bits(uint64_t u)
{
    static const uint64_t lane[2] = {1, 2};
    return vtstq_u64(vdupq_n_u64(u), vld1q_u64(lane));
}

#define F(c) vdupq_n_f64(c)
#define FBITS(u) SP_D(vdupq_n_u64(u))
#define ZERO() vdupq_n_f64(0.0)
#define ADD(a, b) vaddq_f64(a, b)
#define SUB(a, b) vsubq_f64(a, b)
#define MUL(a, b) vmulq_f64(a, b)
#define DIV(a, b) vdivq_f64(a, b)
#define FMA(a, b, c) vfmaq_f64(c, a, b)            /* a*b + c */
#define FMS(a, b, c) vfmaq_f64(vnegq_f64(c), a, b) /* a*b - c */
#define FNMA(a, b, c) vfmsq_f64(c, a, b)           /* c - a*b */
#define SELECT(m, a, b) vbslq_f64(m, a, b)
#define MIN(a, b) SELECT(vcltq_f64(a, b), a, b) /* minpd: a < b ? a : b */
#define MAX(a, b) SELECT(vcgtq_f64(a, b), a, b)
#define ABS(a) SP_D(vbicq_u64(SP_U(a), SP_U(F(-0.0))))
#define AND(a, b) SP_D(vandq_u64(SP_U(a), SP_U(b)))
#define OR(a, b) SP_D(vorrq_u64(SP_U(a), SP_U(b)))
#define XOR(a, b) SP_D(veorq_u64(SP_U(a), SP_U(b)))
#define ANDNOT(a, b) SP_D(vbicq_u64(SP_U(b), SP_U(a))) /* ~a & b */
#define FLOOR(a) vrndmq_f64(a)
#define IADD(a, b) SP_D(vaddq_u64(SP_U(a), SP_U(b)))
#define ISHL(a, n) SP_D(vshlq_n_u64(SP_U(a), n))
#define ISHR(a, n) SP_D(vshrq_n_u64(SP_U(a), n))
#define GT(a, b) vcgtq_f64(a, b)
#define LT(a, b) vcltq_f64(a, b)
#define LE(a, b) vcleq_f64(a, b)
#define NLE(a, b) sp_not(vcleq_f64(a, b))
#define NGE(a, b) sp_not(vcgeq_f64(a, b))
#define NLT(a, b) sp_not(vcltq_f64(a, b))
#define NEQ(a, b) sp_not(vceqq_f64(a, b))
#define UNORD(a) sp_not(vceqq_f64(a, a))
#define MAND(a, b) vandq_u64(a, b)
#define MOR(a, b) vorrq_u64(a, b)
#define ANY(m) ((vgetq_lane_u64(m, 0) | vgetq_lane_u64(m, 1)) != 0)
#define BITS(m) ((vgetq_lane_u64(m, 0) & 1u) | (vgetq_lane_u64(m, 1) & 2u))
#define MASK_FROM_BITS(u) sp_mask_from_bits(u)
#define MASKZ(m, a) SP_D(vandq_u64(m, SP_U(a)))
#define LOOKUP(t, i) _Generic((t), const uint64_t *: sp_lut_bits, default: sp_lut)(t, SP_U(i))

#define SP_LOOP_W 2
#define SP_LOOP_LOADU(p) vld1q_f64(p)
#define SP_LOOP_STOREU(p, v) vst1q_f64(p, v)
#define SP_LOOP_LOADA(p) vld1q_f64(p)
#define SP_LOOP_STOREA(p, v) vst1q_f64(p, v)
/* the tail is one element (k = 1): lane 0, and a zero in lane 1 */
#define SP_LOOP_LOAD_TAIL(p, k) vsetq_lane_f64(*(p), vdupq_n_f64(0.0), 0)
#define SP_LOOP_STORE_TAIL(p, v, k) vst1q_lane_f64(p, v, 0)

#include "arch/softplus_f64_fma_algorithm.h"

void sp_fwd_f64_neon(size_t n, const double *x, double *y, const sp_params_f64 *p)
{
    sp_f64_fwd(n, x, y, p);
}

void sp_bwd_f64_neon(size_t n, const double *dy, const double *x, double *dx, const sp_params_f64 *p)
{
    sp_f64_bwd(n, dy, x, dx, p);
}

void sp_dbwd_f64_neon(size_t n, const double *g, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_dbwd(n, g, x, out, p);
}

void sp_bbeta_f64_neon(size_t n, const double *dy, const double *x, double *out, const sp_params_f64 *p)
{
    sp_f64_bbeta(n, dy, x, out, p);
}

void sp_inv_f64_neon(size_t n, const double *y, double *x, const sp_params_f64 *p)
{
    sp_f64_inv(n, y, x, p);
}

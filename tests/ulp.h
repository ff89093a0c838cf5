/* ulp.h -- an independent softplus reference, ULP error measurement and the table of compiled kernels.
 * SPDX-License-Identifier: MIT
 *
 * Reference. The function of the exact real product z = beta*x, never of a rounded one:
 *     softplus = (z > 0 ? x : 0) + log1p(exp(-|z|)) / beta     (x = z/beta exactly; the two terms never
 *                                                               have opposite signs, so nothing cancels)
 *     sigmoid  = 1/(1+t) for z >= 0, t/(1+t) for z < 0,  t = exp(-|z|)
 * f32 inputs are evaluated in double, where beta*x is exact (24+24 bits) and exp/log1p keep the result
 * within a few 2^-53 relatively, i.e. ~2^-28 ULP of float. f64 inputs are evaluated in long double
 * (x87, 64-bit significand). beta*x needs up to 106 bits there, so it is carried as hi + lo
 * (lo = fmal(beta, x, -hi), exact) and lo is applied to first order; the neglected second-order term is
 * below 2^-120 relatively. This code is x86-64 specific in precision only: where long double is double
 * (aarch64 has a 128-bit one, which is better still; armhf/MSVC have none) the f64 numbers are less
 * trustworthy, and ref_f64_is_accurate() says so.
 *
 * Zero results carry the sign of the function: softplus has the sign of beta for every finite x, so a
 * result that rounds to zero is +0 for beta > 0 and -0 for beta < 0, and so are the limits at +-inf
 * (log1p(exp(z))/beta at z = -inf is 0/beta), as PyTorch computes them.
 *
 * The threshold rule is PyTorch's: the linear branch (softplus = x, backward = dy) is taken where the
 * product rounded to the tensor's precision, fl(beta*x), is > threshold. In that branch the kernel must
 * return x (or dy) bit for bit, which ulp_check_* enforces.
 *
 * ULP error: |got - ref| / ulp(ref), ulp taken in the target format at |ref| (2^(e-23) or 2^(e-52) for
 * ref in [2^e, 2^(e+1)), never below 2^-149 or 2^-1074). NaN must meet NaN, an infinite ref must meet
 * the same infinity, a zero result must have the sign of the reference, and an infinite result for a
 * finite reference counts as 2^128 (2^1024). Mismatches of those kinds are reported as INFINITY.
 */
#ifndef SP_TEST_ULP_H
#define SP_TEST_ULP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

/* ---- the reference ------------------------------------------------------------------------------ */

/* log(1 + exp(beta*x)) / beta of the exact product, for f32 inputs, in double. */
double ref_softplus_f32(float x, float beta);
/* sigmoid(beta*x) of the exact product, in double. */
double ref_sigmoid_f32(float x, float beta);
/* 1 where PyTorch takes the linear branch: (float)(beta*x) > threshold. */
int ref_linear_f32(float x, float beta, float threshold);
/* The forward and backward results with the threshold rule applied (x or dy in the linear branch). */
double ref_fwd_f32(float x, float beta, float threshold);
double ref_bwd_f32(float dy, float x, float beta, float threshold);

/* The same for f64 inputs, in long double; the rule uses the double product. */
long double ref_softplus_f64(double x, double beta);
long double ref_sigmoid_f64(double x, double beta);
int ref_linear_f64(double x, double beta, double threshold);
long double ref_fwd_f64(double x, double beta, double threshold);
long double ref_bwd_f64(double dy, double x, double beta, double threshold);

/* Release 1.1's ops, without the threshold rule, for a unit multiplier (g = 1, dy = 1): the second
 * derivative beta s(z)(1 - s(z)), the inverse log(expm1(beta*y))/beta (NaN for beta*y < 0, -inf/beta at
 * 0), the beta gradient (z s(z) - softplus(z))/beta^2; f32 inputs in double (the inverse in long double),
 * f64 in long double with the product's low part applied to first order. */
double ref_dbwd_curve_f32(float x, float beta);
double ref_inv_curve_f32(float y, float beta);
double ref_bbeta_curve_f32(float x, float beta);
long double ref_dbwd_curve_f64(double x, double beta);
long double ref_inv_curve_f64(double y, double beta);
long double ref_bbeta_curve_f64(double x, double beta);
/* Any op's curve (softplus, sigmoid, and the three above), and what its linear branch returns: x for
 * forward and the inverse, the multiplier m for backward, +0 for the second derivative and the beta
 * gradient. */
double ref_curve_f32(sp_op op, float x, float beta);
long double ref_curve_f64(sp_op op, double x, double beta);
double ref_linear_value(sp_op op, double x, double m);
/* The op's tensor inputs (src/lists.h): 1 (x) or 2 (multiplier, x). */
int ulp_op_inputs(sp_op op);

/* 1 when long double has at least 64 significand bits, so the f64 reference is good to ~2^-11 ULP. */
int ref_f64_is_accurate(void);

/* ---- ULP errors --------------------------------------------------------------------------------- */

/* |got - ref| / ulp_float(ref), with the NaN / infinity / zero-sign rules above (INFINITY on a
 * mismatch). */
double ulp_error_f32(float got, double ref);
double ulp_error_f64(double got, long double ref);

/* ulp_error_*, except that exact != 0 demands got == ref bit for bit (any NaN meets any NaN): the
 * linear branch returns its input unchanged. */
double ulp_check_f32(float got, double ref, int exact);
double ulp_check_f64(double got, long double ref, int exact);

/* 1 when got is a zero whose sign differs from that of the reference, which rounds to zero: the
 * mismatch ulp_error_* reports as INFINITY. Sweeps count these apart, with the numeric error of the
 * zero of the right sign, so one wrong sign does not hide the ULP figures. */
int ulp_zero_sign_wrong_f32(float got, double ref);
int ulp_zero_sign_wrong_f64(double got, long double ref);

/* The backward contract (softplus.h, "Accuracy"): dx within `bound` ULP of the exact dy*sigmoid(beta*x)
 * relative to dx itself, plus the final rounding, for every finite dy: the sigmoid's ulp is taken as if
 * the format had no subnormals (a kernel whose s underflows must scale it where dy brings dx back into
 * range). Returns |dx - dy*sigma| / tol, tol = |dy| * bound * ulp_unbounded(sigma) + 0.5 * ulp(dx),
 * so a result passes when the value is <= 1; the 0.5 ulp(dx) of the final rounding is dropped when dy
 * is a power of two and |dx| is above the normal minimum, where dy*s is exact (so dy = 1 keeps the plain
 * ULP bound). In the linear branch dx must be dy bit for bit. NaN must meet NaN, an infinite dy with a
 * finite x must give dy's infinity (sigmoid > 0), and a zero result must have the sign of dy*sigma:
 * INFINITY otherwise. */
double ulp_bwd_contract_f32(float got, float dy, float x, float beta, float threshold, double bound);
double ulp_bwd_contract_f64(double got, double dy, double x, double beta, double threshold, double bound);

/* The multiplier contract of an op with a multiplier m (backward's, for any unit value): got within
 * |m| * bound * ulp'(unit) + ulp(got)/2 of m*unit, as ulp_bwd_contract_*; an infinite m gives the infinity
 * of m's sign times unit's sign for a finite x, NaN for an infinite x with unit 0. Returns the same ratio. */
double ulp_mult_contract_f32(float got, float m, double unit, int finite_x, double bound);
double ulp_mult_contract_f64(double got, double m, long double unit, int finite_x, double bound);

/* Bit-identical, or both NaN. */
int same_f32(float a, float b);
int same_f64(double a, double b);

/* Bit patterns and back, inline: the exhaustive sweeps call them per result. */
static inline uint32_t bits_f32(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static inline float f32_from_bits(uint32_t b)
{
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static inline uint64_t bits_f64(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static inline double f64_from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* ---- every kernel compiled into this build ----------------------------------------------------- */

/* One ISA's own kernels of one accuracy tier for one dtype, as the registry (src/registry.h) holds
 * them: the entries for every op of src/lists.h, each with its name, origin and documented bounds. */
typedef struct ulp_kernel {
    const char *name;                 /* the ISA tag, then the tier's unless strict: "avx2", "avx2_fast" */
    softplus_isa isa;                 /* what the CPU must run (sp_kernels_for_isa(isa) != NULL) */
    softplus_accuracy tier;
    sp_dtype dtype;
    const sp_kernel *op[SP_OP_COUNT]; /* origin == isa and tier == tier: never a borrowed entry */
} ulp_kernel;

/* At most one kernel file per ISA and tier of src/lists.h. */
#define ULP_ISA_ONE(ctx, tag, TAG, fallback, priority, features) +1
#define ULP_TIER_ONE(ctx, tag, TAG, suffix) +1
#define ULP_MAX_KERNELS ((0 SP_ISAS(ULP_ISA_ONE, ~)) * (0 SP_ACCURACIES(ULP_TIER_ONE, ~)))

/* Every kernel of dtype compiled into this build, of every tier, scalar first (ISA list order, the
 * tiers of one ISA together), whether or not this CPU runs it, into out[ULP_MAX_KERNELS]; returns how
 * many. A tier's entry that is the strict kernel (f64 in the fast tier) is not listed twice. A new ISA
 * or tier in src/lists.h whose kernel file the build compiles appears here without an edit. */
size_t ulp_kernels(sp_dtype dtype, ulp_kernel *out);

/* 1 when k's own kernel file runs op: not an entry borrowed from a fallback ISA or from the strict tier
 * (a fast tier's op without a fast kernel), which is tested once, as its own kernel's. */
int ulp_kernel_owns(const ulp_kernel *k, sp_op op);

/* 1 when this CPU (and OS) runs the kernels of isa and they are compiled in. */
int ulp_isa_runnable(softplus_isa isa);

/* The kernel's documented bound for this beta: max_ulp for beta = 1, else max_ulp_beta. */
double ulp_bound(const sp_kernel *k, double beta);

/* Calls through the registry entry's run (ptrs: output first, then the inputs in public order);
 * params points to the dtype's sp_params_<ctag>. */
void ulp_run_fwd(const sp_kernel *k, size_t n, const void *x, void *y, const void *params);
void ulp_run_bwd(const sp_kernel *k, size_t n, const void *dy, const void *x, void *dx, const void *params);

/* ---- the dtypes, for table-driven tests --------------------------------------------------------- */

/* One dtype's reference and measures behind one interface, so that a test can be written once and
 * run over SP_DTYPES: values of the dtype are carried exactly in double, elements as bit patterns (the
 * low `size` bytes of a uint64_t, so NaN payloads survive), references in long double. Each function
 * is the dtype's own one above. A new dtype adds its typed functions and a row in ulp.c. */
typedef struct ulp_dtype {
    sp_dtype dtype;
    const char *name;           /* "f32" */
    size_t size;
    int hex;                    /* hex digits of a bit pattern */
    double max, true_min;
    uint64_t qnan, snan;        /* a quiet and a signalling NaN */
    uint64_t (*enc)(double v);  /* rounded to the dtype, as bits */
    double (*val)(uint64_t b);  /* the value of a bit pattern (a NaN may come back quiet) */
    double (*step)(double x, int k); /* x moved k ulps of the dtype */
    int (*ref_linear)(double x, double beta, double threshold);
    long double (*ref_softplus)(double x, double beta);
    long double (*ref_sigmoid)(double x, double beta);
    long double (*ref_fwd)(double x, double beta, double threshold);
    long double (*ref_bwd)(double dy, double x, double beta, double threshold);
    double (*ulp_error)(double got, long double ref);
    double (*ulp_check)(double got, long double ref, int exact);
    int (*zero_sign_wrong)(double got, long double ref);
    double (*bwd_contract)(double got, double dy, double x, double beta, double threshold, double bound);
    long double (*ref_curve)(sp_op op, double x, double beta);
    double (*mult_contract)(double got, double m, long double unit, int finite_x, double bound);
} ulp_dtype;

extern const ulp_dtype ulp_dtypes[SP_DTYPE_COUNT];

/* ---- deterministic random numbers --------------------------------------------------------------- */

/* splitmix64: the n-th value of a stream is a pure function of (seed, n), so threads and blocks can
 * generate their inputs independently and every run sees the same ones. */
uint64_t ulp_mix64(uint64_t v);
/* Uniform in [0, 1) with 53 random bits. */
double ulp_unit(uint64_t r);

/* The i-th f64 input of the sweep stream `seed` for this beta and threshold, a pure function of its
 * arguments. Per 16 consecutive indices: 6 uniform in x over [-750, 750], 2 uniform in z = beta*x over
 * [-750, 750], 4 log-uniform magnitudes of either sign (every binade, subnormals included), 1 in the
 * underflow region z in [-746, -700], 1 within 2^20 ulps of threshold/beta (20/beta for an infinite
 * threshold), 1 with |z| <= 40, and 1 from a table of edges (zeros, subnormal and normal limits,
 * infinities, NaN, exp's overflow and underflow points, ...) stepped by up to 4 ulps either way. */
double ulp_sample_f64(uint64_t seed, uint64_t i, double beta, double threshold);

#endif /* SP_TEST_ULP_H */

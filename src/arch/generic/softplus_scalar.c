/* softplus_scalar.c -- the portable reference kernels every other kernel is tested against.
 * SPDX-License-Identifier: MIT
 *
 * Method. With z = beta*x the function is split so that nothing can overflow and the large part is
 * exact:
 *     softplus(x) = x + g/beta  (z > 0)   or   g/beta  (z <= 0),   g = log1p(exp(-|z|))   (z/beta = x)
 *     sigmoid(z)  = 1/(1+t)  (z >= 0)   or   t/(1+t)  (z < 0),     t = exp(-|z|)
 * f32 works in double: beta*x is exact there (24+24 bits) and the double result is rounded once to
 * float. The branch decision uses (float)(beta*x), which is exactly the rounded float product PyTorch
 * compares with the threshold.
 * f64 works in long double (x87 80-bit on x86-64, IEEE quad -- in software, slow -- on aarch64,
 * where the NEON kernels are what runs): plain double with libm's exp and log1p measured up to 2.2 ULP
 * for beta = 7.3 (three roundings of ~0.5-1 ULP each, then the division by beta), past the 2 ULP
 * contract. This kernel is the reference the SIMD kernels are checked against, so it buys accuracy
 * with speed. The rounding error of z = fl(beta*x) is recovered with an FMA (z_lo = beta*x - z
 * exactly) and applied to first order, because the relative condition number of log1p(exp(z)) and
 * of sigmoid(z) grows like |z| for z << 0: uncorrected, beta = 7.3 would cost ~|z|/2 ULP near
 * z = -700 (and even a 64-bit product would cost 0.4 ULP there).
 *     g(|z|) = log1p(t) - |z|_lo * t/(1+t)      d/da log1p(exp(-a)) = -t/(1+t)
 *     s      = s(z_hi) + z_lo * t/(1+t)^2       d/dz sigmoid(z)     = s*(1-s) = t/(1+t)^2
 * For z <= 0 the result is g/beta alone (not 0 + g/beta), so its zero has the sign of 1/beta, as
 * log1p(exp(z))/beta gives in PyTorch.
 *
 * Measured worst errors (tests/accuracy/ulp_sweep, x86-64, thresholds +inf and 20; backward with
 * dy = 1 against sigmoid(beta*x); reference of the exact product in double for f32 and in x87 long
 * double for f64, itself within ~0.001 ULP of mpmath), bounds SP_MAX_ULP_*_SCALAR in kernels.h:
 *   f32, all 2^32 inputs, beta = 1: forward 0.500 ULP (x = 0x1.d483ap-12: got 0x1.630178p-1, the
 *     reference falls on the midpoint 0x1.630179p-1 in double), backward 0.500 ULP (x = 0x1p-23: got
 *     0x1p-1, reference 0x1.000001p-1); no result over 0.5 ULP: correct rounding of the double value.
 *   f32, every 16th bit pattern (2^28 inputs), beta 0.5, 2, -1, 7.3 (also threshold -3.5): 0.500 ULP
 *     forward and backward, none over 0.5 (beta 7.3: forward x = 0x1.541ffep-3, backward
 *     x = -0x1.b39576p+0).
 *   f64, 10^8 inputs (ulp_sample_f64: dense over [-750, 750], log-uniform, edges):
 *     beta 1, 0.5, 2, -1: forward 0.500 ULP, backward 0.5005 ULP (beta 1: x = -0x1.0d4f542911cb4p+4,
 *       got 0x1.a4bab0c56cf38p-25; 146-200 results of 10^8 over 0.5 ULP, double rounding);
 *     beta 7.3: forward 0.5015 ULP (x = -0x1.10b8ef403a047p-3, got 0x1.680b5a3acbd4ap-5), backward
 *       0.5015 ULP (x = -0x1.e22b825c018p-2, got 0x1.fe5662337d409p-6); mpmath at 300 bits puts these
 *       three witnesses at 0.5004, 0.5003 and 0.5003 ULP (the rest is the reference's own error).
 *
 * Special values follow from the formulas, NaN aside: a NaN input is returned quieted (the NaN policy in
 * include/softplus.h), since exp(-fabs(NaN)) would flip its sign. x = +-inf gives
 * t = 0 and so x + 0 or 0/beta; z = fl(beta*x) overflowing to +-inf for finite x still gives x or 0,
 * because the large part is x itself. Backward, a sigmoid that underflowed for a finite x counts as
 * the smallest positive number, so dy = +-inf gives +-inf: only an infinite x (z = -inf) gives 0.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "arch/generic/softplus_f64_reference.h"
#include "kernels.h"

/* exp(-a) for a >= 0: +0 past 746 (double) or 11400 (long double, x87 or quad), where the exact value is
 * below half the smallest subnormal; libm's underflow path there costs more than the rest of the element
 * and sets errno. */
static double exp_neg(double a)
{
    return a > 746.0 ? 0.0 : exp(-a);
}

/* The NaN policy (include/softplus.h): a NaN result is an input NaN, quieted, with its sign and payload;
 * backward takes dy's when both are NaN. x + x quiets a NaN and keeps the rest. */
static float sp_ref_fwd_f32(float x, float beta, float threshold)
{
    if (isnan(x))
        return x + x;
    const double z = (double)beta * (double)x; /* exact */
    if ((float)z > threshold)
        return x;
    const double g = log1p(exp_neg(fabs(z))) / (double)beta;
    return (float)(z > 0 ? (double)x + g : g);
}

static float sp_ref_bwd_f32(float dy, float x, float beta, float threshold)
{
    if (isnan(dy))
        return dy + dy;
    if (isnan(x))
        return x + x;
    const double z = (double)beta * (double)x; /* exact */
    if ((float)z > threshold)
        return dy;
    const double t = exp_neg(fabs(z));
    const double r = 1.0 / (1.0 + t);
    const double s = z >= 0 ? r : t * r;
    /* sigmoid(z) > 0 for every z > -inf: an underflowed s stays positive, so that dy = +-inf gives
     * +-inf (and finite dy still gives the correctly signed zero). z is exact here, so z > -inf is
     * the same as a finite x. */
    const double dx = (double)dy * (s == 0 && z > -INFINITY ? DBL_TRUE_MIN : s);
    /* the one NaN made here, +-inf times the sigmoid 0 of an infinite x: the policy's default NaN */
    return isnan(dx) ? NAN : (float)dx;
}

/* ---- release 1.1: the second derivative, the inverse and the gradient with respect to beta ------------
 * With z = beta*x (exact in double for f32; hi + lo for f64, lo applied through t), a = |z|, t = exp(-a):
 *   double backward   out = g * beta * t/(1+t)^2           (s(z) s(-z), symmetric in z: no 1 - s)
 *   inverse           x = log(expm1(z))/beta, z = beta*y, evaluated by the size of z so that nothing
 *                     cancels or overflows: z <= 0.35: log(expm1(z)); z <= 1.4: log1p(2 expm1(z - ln 2))
 *                     (e^z - 1 = 1 + 2 expm1(z - ln 2): the zero at y = ln2/beta comes out relatively
 *                     exact); else y + log1p(-exp(-z))/beta (y and a small correction of opposite sign
 *                     whose ratio is at most 0.2: no bits lost)
 *   backward beta     dbeta = -dy * h/beta^2, h = a t/(1+t) + log1p(t) = softplus(z) - z s(z) for either
 *                     sign of z: two positive terms, nothing cancels (the issue's -(z s(-z) + log1p(exp(-z)))
 *                     for z > 0, and its mirror for z < 0)
 * The linear branch (fl(beta*x) > threshold) is +0 for the double backward and the beta gradient (the
 * derivative of x or dy with respect to x or beta is 0) and y for the inverse.
 * Special values, the NaN policy of include/softplus.h: a NaN input is returned quieted (g or dy first);
 * the inverse of y with beta*y < 0 (outside softplus's range) is the default NaN, of y = +-0 the limit
 * -inf/beta; a second derivative or a beta gradient that underflows for a finite x counts as the smallest
 * positive number, so an infinite multiplier gives an infinity (only an infinite x gives multiplier * 0).
 * Measured worst errors: README.md and tests/accuracy (ulp_sweep), f32 all 2^32 inputs at beta = 1.
 */
static float sp_ref_dbwd_f32(float g, float x, float beta, float threshold)
{
    if (isnan(g))
        return g + g;
    if (isnan(x))
        return x + x;
    const double z = (double)beta * (double)x; /* exact */
    if ((float)z > threshold)
        return 0.0f;
    const double t = exp_neg(fabs(z)), u = 1.0 + t;
    const double d = t / (u * u);
    /* g*beta is exact in double (24 + 24 bits): one rounding in double, one to float */
    const double out = (double)g * (double)beta * (d == 0 && isfinite(z) ? DBL_TRUE_MIN : d);
    return isnan(out) ? NAN : (float)out;
}

/* log(expm1(z)) for z > 0, relative error a few 2^-53 (absolute where the result is near 0) */
static double log_expm1(double z)
{
    if (z <= 0.35)
        return log(expm1(z));
    /* z - ln 2: the first subtraction is exact (Sterbenz, z in [ln2/2, 2 ln2]) */
    const double ln2_hi = 0x1.62e42fefa39efp-1, ln2_lo = 0x1.abc9e3b39803fp-56;
    return log1p(2.0 * expm1((z - ln2_hi) - ln2_lo));
}

static float sp_ref_inv_f32(float y, float beta, float threshold)
{
    if (isnan(y))
        return y + y;
    const double z = (double)beta * (double)y; /* exact */
    if ((float)z > threshold)
        return y;
    if (z < 0)
        return NAN;
    if (z == 0)
        return (float)(-INFINITY / (double)beta);
    if (z <= 1.4)
        return (float)(log_expm1(z) / (double)beta);
    return (float)((double)y + log1p(-exp(-z)) / (double)beta);
}

static float sp_ref_bbeta_f32(float dy, float x, float beta, float threshold)
{
    if (isnan(dy))
        return dy + dy;
    if (isnan(x))
        return x + x;
    const double z = (double)beta * (double)x; /* exact */
    if ((float)z > threshold)
        return 0.0f;
    const double a = fabs(z), t = exp_neg(a);
    /* an infinite x: h = 0 (z s(z) - softplus(z) -> 0 at either end) */
    const double h = isinf(a) ? 0.0 : a * t / (1.0 + t) + log1p(t);
    const double out = -(double)dy * (h == 0 && isfinite(a) ? DBL_TRUE_MIN : h) / ((double)beta * (double)beta);
    return isnan(out) ? NAN : (float)out;
}

/* The kernels: one loop per (op, dtype computed in its storage type; the half dtypes' scalar kernels are
 * arch/generic/softplus_half_scalar.c) of lists.h over the element functions sp_ref_<op>_<dtype>(inputs
 * in the public order, beta, threshold): f32's above, f64's in softplus_f64_reference.h. */
#define SP_SCALAR_KERNEL_1(otag, dtag, T, P)                                                         \
    void sp_##otag##_##dtag##_scalar(size_t n, const T *in, T *out, const P *p)                      \
    {                                                                                                \
        for (size_t i = 0; i < n; i++)                                                               \
            out[i] = sp_ref_##otag##_##dtag(in[i], p->beta, p->threshold);                           \
    }
#define SP_SCALAR_KERNEL_2(otag, dtag, T, P)                                                         \
    void sp_##otag##_##dtag##_scalar(size_t n, const T *in1, const T *in2, T *out, const P *p)       \
    {                                                                                                \
        for (size_t i = 0; i < n; i++)                                                               \
            out[i] = sp_ref_##otag##_##dtag(in1[i], in2[i], p->beta, p->threshold);                  \
    }
#define SP_SCALAR_KERNEL(dtag, compute, ctag, otag, inputs)                                          \
    SP_SCALAR_KERNEL_##inputs(otag, dtag, compute, sp_params_##ctag)
#define SP_SCALAR_KERNEL_OP(c, otag, OTAG, public, inputs) SP_CALL(SP_SCALAR_KERNEL, SP_UNPACK c, otag, inputs)
#define SP_SCALAR_KERNEL_DTYPE(ctx, dtag, DTAG, storage, size, compute, ctag)                        \
    SP_OPS(SP_SCALAR_KERNEL_OP, (dtag, compute, ctag))
SP_STORED_DTYPES(SP_SCALAR_KERNEL_DTYPE, ~)

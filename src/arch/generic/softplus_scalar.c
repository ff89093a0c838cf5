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

#include "kernels.h"

/* The NaN policy (include/softplus.h): a NaN result is an input NaN, quieted, with its sign and payload;
 * backward takes dy's when both are NaN. x + x quiets a NaN and keeps the rest. */
static float fwd_f32(float x, float beta, float threshold)
{
    if (isnan(x))
        return x + x;
    const double z = (double)beta * (double)x; /* exact */
    if ((float)z > threshold)
        return x;
    const double g = log1p(exp(-fabs(z))) / (double)beta;
    return (float)(z > 0 ? (double)x + g : g);
}

static float bwd_f32(float dy, float x, float beta, float threshold)
{
    if (isnan(dy))
        return dy + dy;
    if (isnan(x))
        return x + x;
    const double z = (double)beta * (double)x; /* exact */
    if ((float)z > threshold)
        return dy;
    const double t = exp(-fabs(z));
    const double r = 1.0 / (1.0 + t);
    const double s = z >= 0 ? r : t * r;
    /* sigmoid(z) > 0 for every z > -inf: an underflowed s stays positive, so that dy = +-inf gives
     * +-inf (and finite dy still gives the correctly signed zero). z is exact here, so z > -inf is
     * the same as a finite x. */
    const double dx = (double)dy * (s == 0 && z > -INFINITY ? DBL_TRUE_MIN : s);
    /* the one NaN made here, +-inf times the sigmoid 0 of an infinite x: the policy's default NaN */
    return isnan(dx) ? NAN : (float)dx;
}

static double fwd_f64(double x, double beta, double threshold)
{
    if (isnan(x))
        return x + x;
    const double z = beta * x;
    if (z > threshold)
        return x;
    /* |z|_lo: the part of |beta*x| that fl() dropped, 0 once z overflowed (where t = 0 anyway). */
    const double z_lo = isfinite(z) ? fma(beta, x, -z) : 0.0;
    const long double abs_lo = z >= 0 ? z_lo : -z_lo;
    const long double t = expl(-fabsl((long double)z));
    const long double g = (log1pl(t) - abs_lo * t / (1.0L + t)) / beta;
    return (double)(z > 0 ? x + g : g);
}

static double bwd_f64(double dy, double x, double beta, double threshold)
{
    if (isnan(dy))
        return dy + dy;
    if (isnan(x))
        return x + x;
    const double z = beta * x;
    if (z > threshold)
        return dy;
    const double z_lo = isfinite(z) ? fma(beta, x, -z) : 0.0;
    const long double t = expl(-fabsl((long double)z));
    const long double u = 1.0L + t;
    const long double s = (z >= 0 ? 1.0L : t) / u + z_lo * t / (u * u);
    /* as in bwd_f32, but decided on x: beta*x may overflow to -inf in double for a finite x, whose
     * sigmoid is still > 0 (so dy = +-inf gives +-inf, not NaN) */
    const long double dx = dy * (s == 0 && isfinite(x) ? LDBL_TRUE_MIN : s);
    return isnan(dx) ? (double)NAN : (double)dx;
}

void sp_fwd_f32_scalar(size_t n, const float *x, float *y, const sp_params_f32 *p)
{
    for (size_t i = 0; i < n; i++)
        y[i] = fwd_f32(x[i], p->beta, p->threshold);
}

void sp_fwd_f64_scalar(size_t n, const double *x, double *y, const sp_params_f64 *p)
{
    for (size_t i = 0; i < n; i++)
        y[i] = fwd_f64(x[i], p->beta, p->threshold);
}

void sp_bwd_f32_scalar(size_t n, const float *dy, const float *x, float *dx, const sp_params_f32 *p)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = bwd_f32(dy[i], x[i], p->beta, p->threshold);
}

void sp_bwd_f64_scalar(size_t n, const double *dy, const double *x, double *dx, const sp_params_f64 *p)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = bwd_f64(dy[i], x[i], p->beta, p->threshold);
}

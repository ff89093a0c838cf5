/* softplus_scalar.c -- the portable reference kernels every other kernel is tested against.
 * SPDX-License-Identifier: MIT
 *
 * Method. With z = beta*x the function is split so that nothing can overflow and the large part is
 * exact:
 *     softplus(x) = (z > 0 ? x : 0) + log1p(exp(-|z|)) / beta        (z/beta = x exactly)
 *     sigmoid(z)  = r or t*r,  t = exp(-|z|), r = 1/(1+t)              (for z >= 0 or z < 0)
 * f32 works in double: beta*x is exact there (24+24 bits) and the double result is rounded once to
 * float. The branch decision uses (float)(beta*x), which is exactly the rounded float product PyTorch
 * compares with the threshold.
 * f64 works in double with libm's exp and log1p. The rounding error of z = fl(beta*x) is recovered
 * with an FMA (z_lo = beta*x - z exactly) and applied to first order, because the relative condition
 * number of log1p(exp(z)) and of sigmoid(z) grows like |z| for z << 0: uncorrected, beta = 7.3 would
 * cost ~|z|/2 ULP near z = -700.
 *     g(|z|) = log1p(t) - |z|_lo * t*r          d/da log1p(exp(-a)) = -t/(1+t)
 *     s      = s(z_hi) + z_lo * t*r*r           d/dz sigmoid(z)     = s*(1-s) = t*r*r
 *
 * Measured worst errors (tests/test_accuracy.c, tests/ulp_sweep.c; reference in double for f32 and
 * long double for f64), see SP_SCALAR_*_MAX_ULP in kernels.h for the bounds the tests enforce:
 *   f32 forward  0.500 ULP over all 2^32 inputs (beta = 1): correct rounding of a double result.
 *   f32 backward 0.500 ULP over all 2^32 inputs (beta = 1).
 *   f64 forward and backward: see the f64 sweep figures in README.md.
 *
 * Special values follow from the formulas: NaN propagates through exp/log1p; x = +-inf gives
 * t = 0 and so x + 0 or 0/beta; z = fl(beta*x) overflowing to +-inf for finite x still gives x or 0,
 * because the large part is x itself.
 */
#include <math.h>

#include "kernels.h"

static float fwd_f32(float x, float beta, float threshold)
{
    const double z = (double)beta * (double)x; /* exact */
    if ((float)z > threshold)
        return x;
    const double linear = z > 0 ? (double)x : 0.0;
    return (float)(linear + log1p(exp(-fabs(z))) / (double)beta);
}

static float bwd_f32(float dy, float x, float beta, float threshold)
{
    const double z = (double)beta * (double)x; /* exact */
    if ((float)z > threshold)
        return dy;
    const double t = exp(-fabs(z));
    const double r = 1.0 / (1.0 + t);
    const double s = z >= 0 ? r : t * r;
    return (float)((double)dy * s);
}

static double fwd_f64(double x, double beta, double threshold)
{
    const double z = beta * x;
    if (z > threshold)
        return x;
    /* |z|_lo: the part of |beta*x| that fl() dropped, 0 once z overflowed (where t = 0 anyway). */
    const double z_lo = isfinite(z) ? fma(beta, x, -z) : 0.0;
    const double abs_lo = z >= 0 ? z_lo : -z_lo;
    const double t = exp(-fabs(z));
    const double g = fma(-abs_lo, t / (1.0 + t), log1p(t));
    const double linear = z > 0 ? x : 0.0;
    return linear + g / beta;
}

static double bwd_f64(double dy, double x, double beta, double threshold)
{
    const double z = beta * x;
    if (z > threshold)
        return dy;
    const double z_lo = isfinite(z) ? fma(beta, x, -z) : 0.0;
    const double t = exp(-fabs(z));
    const double r = 1.0 / (1.0 + t);
    const double s = z >= 0 ? r : t * r;
    return dy * fma(z_lo, t * r * r, s);
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

/* softplus_f64_reference.h -- the scalar reference's f64 element functions, in long double, written once
 * for the two kernels that run them.
 * SPDX-License-Identifier: MIT
 *
 * sp_ref_<op>_f64(inputs in the public order, beta, threshold) is one element of op, the scalar kernel's
 * whole method (its header, arch/generic/softplus_scalar.c, has the analysis and the measured errors).
 * Included by arch/generic/softplus_scalar.c (the reference kernels loop over them) and
 * arch/x86/softplus_f64_sse41.c (its careful lanes run them, so they give the reference's bits). Needs
 * <float.h>, <math.h>, <stdint.h> and <string.h> before it. Every function is static inline: each file
 * compiles its own copy with its own flags, and none is exported.
 */
#ifndef SOFTPLUS_F64_REFERENCE_H
#define SOFTPLUS_F64_REFERENCE_H

/* exp(-a) for a >= 0: +0 past 11400 (long double, x87 or quad), where the exact value is below half the
 * smallest subnormal; libm's underflow path there costs more than the rest of the element and sets errno. */
static inline long double sp_ref_expl_neg(long double a)
{
    return a > 11400.0L ? 0.0L : expl(-a);
}

/* beta*x - hi exactly, for hi = beta*x rounded to long double and finite: Dekker's product, both factors cut
 * into halves of at most 32 bits, so that every partial product and step is exact in a significand of 64
 * bits or more. fmal gives the same, but glibc's saves and restores the FP environment around a software
 * FMA: most of an f64 element's time. */
static inline double sp_ref_head32(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    b &= ~(((uint64_t)1 << 21) - 1);
    memcpy(&v, &b, sizeof v);
    return v;
}

static inline long double sp_ref_product_lo(double beta, double x, long double hi)
{
    const long double xh = sp_ref_head32(x), xl = (long double)x - xh;
    const long double bh = sp_ref_head32(beta), bl = (long double)beta - bh;
    return (((bh * xh - hi) + bh * xl) + bl * xh) + bl * xl;
}

/* log(expm1(zh + zl)) for 0 < zh <= 1.4: log(expm1(zh)) + zl (1 + 1/expm1(zh)) to 0.35 (the derivative
 * e^z/(e^z - 1)), log1p(2 expm1(z - ln 2)) above (ln 2 in two long doubles) */
static inline long double sp_ref_log_expm1_ld(long double zh, long double zl)
{
    if (zh <= 0.35L)
        return logl(expm1l(zh)) + zl * (1.0L + 1.0L / expm1l(zh));
    const long double ln2_hi = 0xb.17217f7d1cf79acp-4L, ln2_lo = -0xd.871319ff0342543p-70L;
    return log1pl(2.0L * expm1l(((zh - ln2_hi) + zl) - ln2_lo));
}

/* The inverse: y where fl(beta*y) > threshold, else log(expm1(beta*y))/beta with z = beta*y as zh + zl in
 * long double (no underflow for subnormal y or tiny beta), rounded once to double. A NaN y comes back
 * quieted, beta*y < 0 gives the default NaN, y = +-0 the limit -inf/beta. */
static inline double sp_ref_inv_f64(double y, double beta, double threshold)
{
    if (isnan(y))
        return y + y;
    if (beta * y > threshold)
        return y;
    const long double zh = (long double)beta * (long double)y;
    if (zh < 0)
        return NAN;
    if (zh == 0)
        return -INFINITY / beta;
    const long double zl = isfinite(zh) ? sp_ref_product_lo(beta, y, zh) : 0.0L;
    if (zh <= 1.4L)
        return (double)(sp_ref_log_expm1_ld(zh, zl) / beta);
    /* log1p(-t) with t = exp(-(zh + zl)) */
    const long double t = sp_ref_expl_neg(zh) * (1.0L - zl);
    return (double)(y + log1pl(-t) / beta);
}

/* Forward's and backward's t = exp(-|z|) for z = fl(beta*x) in double, and *z_lo = beta*x - z exactly: the
 * part of beta*x that fl() dropped, applied by the caller to first order (0 once z overflowed, where t = 0
 * anyway). */
static inline long double sp_ref_t_of_double_z(double x, double beta, double z, double *z_lo)
{
    *z_lo = isfinite(z) ? fma(beta, x, -z) : 0.0;
    return sp_ref_expl_neg(fabsl((long double)z));
}

static inline double sp_ref_fwd_f64(double x, double beta, double threshold)
{
    if (isnan(x))
        return x + x;
    const double z = beta * x;
    if (z > threshold)
        return x;
    double z_lo;
    const long double t = sp_ref_t_of_double_z(x, beta, z, &z_lo);
    const long double abs_lo = z >= 0 ? z_lo : -z_lo; /* |z|_lo */
    const long double g = (log1pl(t) - abs_lo * t / (1.0L + t)) / beta;
    return (double)(z > 0 ? x + g : g);
}

static inline double sp_ref_bwd_f64(double dy, double x, double beta, double threshold)
{
    if (isnan(dy))
        return dy + dy;
    if (isnan(x))
        return x + x;
    const double z = beta * x;
    if (z > threshold)
        return dy;
    double z_lo;
    const long double t = sp_ref_t_of_double_z(x, beta, z, &z_lo);
    const long double u = 1.0L + t;
    const long double s = (z >= 0 ? 1.0L : t) / u + z_lo * t / (u * u);
    /* as in softplus_scalar.c's sp_ref_bwd_f32, but decided on x: beta*x may overflow to -inf in double
     * for a finite x, whose sigmoid is still > 0 (so dy = +-inf gives +-inf, not NaN) */
    const long double dx = dy * (s == 0 && isfinite(x) ? LDBL_TRUE_MIN : s);
    return isnan(dx) ? (double)NAN : (double)dx;
}

/* f64 in long double: z = zh + zl (zl = beta*x - zh exactly, an fma in long double), a = |zh| + al;
 * t = exp(-a) is formed as exp(-|zh|) (1 - al), exact to second order in al (|al| <= 2^-64 a). */
static inline long double sp_ref_t_f64(double x, double beta, long double *a_out)
{
    const long double zh = (long double)beta * (long double)x;
    const long double zl = isfinite(zh) ? sp_ref_product_lo(beta, x, zh) : 0.0L;
    const long double a = fabsl(zh), al = zh >= 0 ? zl : -zl;
    *a_out = a + al;
    return sp_ref_expl_neg(a) * (1.0L - al);
}

/* The second derivative (bbeta = 0) and the beta gradient (bbeta = 1), both a multiplier m times a unit
 * result: g * beta * t/(1+t)^2, or -dy * (a t/(1+t) + log1p(t))/beta^2. The NaN policy first (m's NaN,
 * then x's, quieted), +0 in the linear branch; a unit result that underflows for a finite x counts as
 * the smallest positive number, so an infinite multiplier gives an infinity. */
static inline double sp_ref_times_unit_f64(double m, double x, double beta, double threshold, int bbeta)
{
    if (isnan(m))
        return m + m;
    if (isnan(x))
        return x + x;
    if (beta * x > threshold)
        return 0.0;
    long double a;
    const long double t = sp_ref_t_f64(x, beta, &a), u = 1.0L + t;
    long double out;
    if (bbeta) {
        const long double h = isinf(x) ? 0.0L : a * t / u + log1pl(t);
        out = -(long double)m * (h == 0 && isfinite(x) ? LDBL_TRUE_MIN : h) / ((long double)beta * beta);
    } else {
        const long double d = t / (u * u);
        out = (long double)m * beta * (d == 0 && isfinite(x) ? LDBL_TRUE_MIN : d);
    }
    return isnan(out) ? (double)NAN : (double)out;
}

static inline double sp_ref_dbwd_f64(double g, double x, double beta, double threshold)
{
    return sp_ref_times_unit_f64(g, x, beta, threshold, 0);
}

static inline double sp_ref_bbeta_f64(double dy, double x, double beta, double threshold)
{
    return sp_ref_times_unit_f64(dy, x, beta, threshold, 1);
}

#endif

/* ulp.c -- an independent softplus reference, ULP error measurement and the table of compiled kernels.
 * SPDX-License-Identifier: MIT
 *
 * See ulp.h for what the reference computes and how errors are measured. Nothing here calls the
 * library's kernels: the reference shares no code with them.
 */
#include "ulp.h"

#include <float.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "dispatch.h"
#include "registry.h"

/* ---- the reference, f32 inputs in double ---------------------------------------------------------- */

/* exp(-a) for a >= 0 or NaN: +0 past 746, where the exact value (< 2^-1076) rounds to +0, without libm's
 * underflow path (the exhaustive sweeps meet it for nearly half of all floats). */
static double exp_neg(double a)
{
    return a > 746.0 ? 0.0 : exp(-a);
}

double ref_softplus_f32(float x, float beta)
{
    const double z = (double)beta * (double)x; /* exact: 24 + 24 significant bits */
    const double g = log1p(exp_neg(fabs(z)));
    /* x and g/beta have the sign of beta (or are zero): no cancellation, and g/beta alone keeps the
     * sign of a zero result. */
    return z > 0 ? (double)x + g / (double)beta : g / (double)beta;
}

double ref_sigmoid_f32(float x, float beta)
{
    const double z = (double)beta * (double)x;
    const double t = exp_neg(fabs(z));
    const double r = 1.0 / (1.0 + t);
    return z >= 0 ? r : t * r;
}

int ref_linear_f32(float x, float beta, float threshold)
{
    const float z = (float)((double)beta * (double)x); /* one rounding of the exact product */
    return z > threshold;
}

double ref_fwd_f32(float x, float beta, float threshold)
{
    return ref_linear_f32(x, beta, threshold) ? (double)x : ref_softplus_f32(x, beta);
}

double ref_bwd_f32(float dy, float x, float beta, float threshold)
{
    return ref_linear_f32(x, beta, threshold) ? (double)dy : (double)dy * ref_sigmoid_f32(x, beta);
}

/* ---- the reference, f64 inputs in long double -------------------------------------------------- */

#ifndef SP_TEST_REDUCED
/* A double's significand cut after its first 32 bits (the low 21 cleared): x - head32(x) is exact. */
static double head32(double x)
{
    return f64_from_bits(bits_f64(x) & ~(((uint64_t)1 << 21) - 1));
}
#endif

/* beta*x = hi + lo exactly: hi is the product rounded to long double and lo the rest (at most
 * 106 - 64 = 42 significant bits), by Dekker's product: with both factors cut into halves of at most 32
 * bits every partial product and every step below is exact in the 64-bit significand (fmal would do the
 * same, but glibc's saves and restores the FP environment: a third of the f64 sweep's time). */
static void product_f64(double x, double beta, long double *hi, long double *lo)
{
    const long double h = (long double)beta * (long double)x;
    *hi = h;
    if (!isfinite(h)) {
        *lo = 0.0L;
        return;
    }
#ifdef SP_TEST_REDUCED
    /* valgrind: its x87 long double products are rounded to double's 53 bits, too few for the split (a
     * 2-3 ULP reference error at beta*x ~ -20); glibc's fmal stays exact there */
    *lo = fmal((long double)beta, (long double)x, -h);
#else
    const long double xh = head32(x), xl = (long double)x - xh, bh = head32(beta), bl = (long double)beta - bh;
    *lo = (((bh * xh - h) + bh * xl) + bl * xh) + bl * xl;
#endif
}

long double ref_softplus_f64(double x, double beta)
{
    long double zh, zl;
    product_f64(x, beta, &zh, &zl);
    if (isnan(zh))
        return zh;
    /* |z| = a + a_lo; d/da log1p(exp(-a)) = -t/(1+t). */
    const long double a = fabsl(zh);
    const long double a_lo = zh >= 0 ? zl : -zl;
    const long double t = expl(-a);
    const long double g = log1pl(t) - a_lo * (t / (1.0L + t));
    return zh > 0 ? (long double)x + g / beta : g / beta;
}

long double ref_sigmoid_f64(double x, double beta)
{
    long double zh, zl;
    product_f64(x, beta, &zh, &zl);
    if (isnan(zh))
        return zh;
    /* d/dz sigmoid(z) = sigmoid(z) * (1 - sigmoid(z)) = t/(1+t)^2 for either sign of z. */
    const long double t = expl(-fabsl(zh));
    const long double r = 1.0L / (1.0L + t);
    const long double s = zh >= 0 ? r : t * r;
    return s + zl * (t * r * r);
}

int ref_linear_f64(double x, double beta, double threshold)
{
    const double z = beta * x; /* the double product, rounded once (no contraction: C11, fp-contract off) */
    return z > threshold;
}

long double ref_fwd_f64(double x, double beta, double threshold)
{
    return ref_linear_f64(x, beta, threshold) ? (long double)x : ref_softplus_f64(x, beta);
}

long double ref_bwd_f64(double dy, double x, double beta, double threshold)
{
    return ref_linear_f64(x, beta, threshold) ? (long double)dy
                                              : (long double)dy * ref_sigmoid_f64(x, beta);
}

/* ---- release 1.1: the second derivative, the inverse, the beta gradient ----------------------------
 * Formulas of their own, not the kernels' (softplus_scalar.c uses t/(1+t)^2, a t/(1+t) and double for the
 * f32 inverse): the second derivative as 1/(4 cosh^2(z/2)), the beta gradient's h = softplus(z) - z s(z)
 * as log1p(t) + a/(1 + e^a), and the f32 inverse in long double with its own branch points. */

double ref_dbwd_curve_f32(float x, float beta)
{
    const double z = (double)beta * (double)x; /* exact */
    if (fabs(z) > 1500.0)
        return (double)beta * 0.0; /* the value is < 2^-1080: what the overflowed cosh below gives, sooner */
    const double c = cosh(0.5 * z);
    return (double)beta * (0.25 / c / c); /* cosh overflows to inf where the value is < 2^-1020: 0 */
}

double ref_bbeta_curve_f32(float x, float beta)
{
    const double a = fabs((double)beta * (double)x);
    if (isinf(a))
        return -0.0; /* the limit at either end, -dy*0/beta^2 for dy = 1 */
    const double h = a > 746.0 ? 0.0 : log1p(exp(-a)) + a / (1.0 + exp(a)); /* both terms < 2^-1066 past 746 */
    return -h / ((double)beta * (double)beta);
}

/* log(expm1(z)) for z = zh + zl > 0 in long double: the zero at z = ln 2 through z - ln 2 (zh - ln2_hi is
 * exact there), the large end through log1p(-exp(-z)) */
static long double ref_log_expm1(long double zh, long double zl)
{
    if (zh <= 0.5L)
        return logl(expm1l(zh)) + zl * (1.0L + 1.0L / expm1l(zh));
    const long double ln2_hi = 0xb.17217f7d1cf79acp-4L, ln2_lo = -0xd.871319ff0342543p-70L;
    return log1pl(2.0L * expm1l(((zh - ln2_hi) + zl) - ln2_lo)); /* callers: zh <= 40 */
}

double ref_inv_curve_f32(float y, float beta)
{
    const long double z = (long double)beta * (long double)y; /* exact */
    if (isnan(z))
        return z;
    if (z < 0)
        return NAN;
    if (z == 0)
        return -INFINITY / (double)beta;
    if (isinf(z))
        return y;
    if (z > 40.0L) /* y plus the small correction, so that a huge y keeps its value */
        return (double)((long double)y + log1pl(-expl(-z)) / beta);
    return (double)(ref_log_expm1(z, 0.0L) / beta);
}

long double ref_dbwd_curve_f64(double x, double beta)
{
    long double zh, zl;
    product_f64(x, beta, &zh, &zl);
    if (isnan(zh))
        return zh;
    /* d(z) = 1/(4 cosh^2(z/2)), d'(z) = -tanh(z/2) d(z) */
    const long double c = coshl(0.5L * zh);
    const long double d = 0.25L / c / c;
    return beta * (d - zl * tanhl(0.5L * zh) * d);
}

long double ref_bbeta_curve_f64(double x, double beta)
{
    long double zh, zl;
    product_f64(x, beta, &zh, &zl);
    if (isnan(zh))
        return zh;
    if (isinf(x))
        return -0.0L;
    /* h(a) = log1p(e^-a) + a/(1 + e^a), h'(a) = -a e^-a/(1 + e^-a)^2 */
    const long double a = fabsl(zh), al = zh >= 0 ? zl : -zl;
    const long double t = expl(-a), u = 1.0L + t;
    const long double h = log1pl(t) + a / (1.0L + expl(a)) - al * a * t / (u * u);
    return -h / ((long double)beta * (long double)beta);
}

long double ref_inv_curve_f64(double y, double beta)
{
    long double zh, zl;
    product_f64(y, beta, &zh, &zl);
    if (isnan(zh))
        return zh;
    if (zh < 0)
        return NAN;
    if (zh == 0)
        return -INFINITY / beta;
    if (isinf(zh))
        return y;
    if (zh > 40.0L)
        return (long double)y + log1pl(-expl(-zh) * (1.0L - zl)) / beta;
    return ref_log_expm1(zh, zl) / beta;
}

/* The reference of each op without the threshold rule, for a unit multiplier, and what the linear branch
 * returns (x, the multiplier 1, or +0). */
double ref_curve_f32(sp_op op, float x, float beta)
{
    switch (op) {
    case SP_OP_FWD: return ref_softplus_f32(x, beta);
    case SP_OP_BWD: return ref_sigmoid_f32(x, beta);
    case SP_OP_DBWD: return ref_dbwd_curve_f32(x, beta);
    case SP_OP_INV: return ref_inv_curve_f32(x, beta);
    case SP_OP_BBETA: return ref_bbeta_curve_f32(x, beta);
    default: return NAN;
    }
}

long double ref_curve_f64(sp_op op, double x, double beta)
{
    switch (op) {
    case SP_OP_FWD: return ref_softplus_f64(x, beta);
    case SP_OP_BWD: return ref_sigmoid_f64(x, beta);
    case SP_OP_DBWD: return ref_dbwd_curve_f64(x, beta);
    case SP_OP_INV: return ref_inv_curve_f64(x, beta);
    case SP_OP_BBETA: return ref_bbeta_curve_f64(x, beta);
    default: return NAN;
    }
}

int ulp_op_inputs(sp_op op)
{
#define ULP_OP_INPUTS(ctx, tag, TAG, public, inputs) [SP_OP_##TAG] = inputs,
    static const int inputs[SP_OP_COUNT] = {SP_OPS(ULP_OP_INPUTS, ~)};
#undef ULP_OP_INPUTS
    return inputs[op];
}

double ref_linear_value(sp_op op, double x, double m)
{
    switch (op) {
    case SP_OP_FWD: case SP_OP_INV: return x;
    case SP_OP_BWD: return m;
    default: return 0.0;
    }
}

int ref_f64_is_accurate(void)
{
    return LDBL_MANT_DIG >= 64;
}

/* ---- ULP errors ----------------------------------------------------------------------------------- */

double ulp_error_f32(float got, double ref)
{
    if (isnan(ref) || isnan(got))
        return isnan(ref) && isnan(got) ? 0.0 : INFINITY;
    if (isinf(ref))
        return (double)got == ref ? 0.0 : INFINITY;
    if (ulp_zero_sign_wrong_f32(got, ref))
        return INFINITY;
    /* A reference at or above FLT_MAX + ulp/2 rounds to infinity: that infinity is exact. Otherwise an
     * infinite result for a finite reference sits one binade above FLT_MAX. */
    if (isinf(got) && fabs(ref) >= 0x1p128 - 0x1p103 && (got > 0) == (ref > 0))
        return 0.0;
    const double g = isinf(got) ? copysign(0x1p128, (double)got) : (double)got;
    /* The binade of |ref| from its double exponent field (the exhaustive sweep calls this 2^34 times,
     * so no ilogb/ldexp); a double below 2^-126, subnormal or zero included, gets the float ulp 2^-149. */
    int e = (int)((bits_f64(ref) >> 52) & 0x7ff) - 1023;
    if (e < FLT_MIN_EXP - 1)
        e = FLT_MIN_EXP - 1;
    const double ulp = f64_from_bits((uint64_t)(e - (FLT_MANT_DIG - 1) + 1023) << 52);
    return fabs(g - ref) / ulp;
}

double ulp_error_f64(double got, long double ref)
{
    if (isnan(ref) || isnan(got))
        return isnan(ref) && isnan(got) ? 0.0 : INFINITY;
    if (isinf(ref))
        return (long double)got == ref ? 0.0 : INFINITY;
    if (ulp_zero_sign_wrong_f64(got, ref))
        return INFINITY;
    /* As in f32: a reference at or above DBL_MAX + ulp/2 rounds to the infinity of its sign. */
    if (isinf(got) && fabsl(ref) >= 0x1p1024L - 0x1p970L && (got > 0) == (ref > 0))
        return 0.0;
    const long double g = isinf(got) ? copysignl(0x1p1024L, (long double)got) : (long double)got;
    /* The binade of |ref| from the exponent field of ref rounded to double (the sweeps call this 10^9
     * times: no ilogbl/ldexpl), one lower where that rounding carried into the next binade; below
     * 2^-1022, zero included, the ulp stays 2^-1074. The scale 2^(52 - e) is two double factors. */
    const long double a = fabsl(ref);
    int e = (int)((bits_f64((double)a) >> 52) & 0x7ff) - 1023;
    if (e > DBL_MIN_EXP - 1 && a < (long double)f64_from_bits((uint64_t)(e + 1023) << 52))
        e--;
    if (e < DBL_MIN_EXP - 1)
        e = DBL_MIN_EXP - 1;
    const int k = DBL_MANT_DIG - 1 - e, k1 = k / 2, k2 = k - k1;
    return (double)(fabsl(g - ref) * f64_from_bits((uint64_t)(k1 + 1023) << 52) *
                    f64_from_bits((uint64_t)(k2 + 1023) << 52));
}

/* ---- the backward contract ---------------------------------------------------------------------- */

/* ulp of the format (mant bits, minimum normal exponent emin) at |v|, never below the subnormal step */
static long double ulp_at(long double v, int mant, int emin)
{
    const long double a = fabsl(v);
    int e = a == 0.0L || !isfinite(a) ? emin : ilogbl(a);
    if (e < emin)
        e = emin;
    return ldexpl(1.0L, e - (mant - 1));
}

/* dy = +-2^k (or 0): dy*s is exact wherever it is a normal number */
static int power_of_two(long double dy)
{
    int e;
    return dy == 0.0L || (isfinite(dy) && fabsl(frexpl(dy, &e)) == 0.5L);
}

static double contract_ratio(long double got, long double dy, long double sigma, int finite_x, double bound,
                             int mant, int emin, int emax)
{
    const long double top = ldexpl(1.0L, emax + 1);
    if (isnan(dy) || isnan(sigma))
        return isnan(got) ? 0.0 : INFINITY;
    if (isinf(dy)) {
        /* sigmoid of a finite product is > 0 however far it underflows; of z = -inf it is 0 */
        if (finite_x || sigma != 0) /* the unit value's sign: signbit, so that an underflowed -0 counts */
            return got == (signbit(sigma) ? -dy : dy) ? 0.0 : INFINITY;
        return isnan(got) ? 0.0 : INFINITY;
    }
    if (isnan(got))
        return INFINITY;
    const long double want = dy * sigma;
    const long double half_tiny = ldexpl(1.0L, emin - mant); /* half the smallest subnormal */
    if (got == 0 && fabsl(want) <= half_tiny && !signbit(got) != !signbit(want))
        return INFINITY;
    /* a product beyond the format's largest value rounds to the infinity of its sign */
    if (isinf(got) && fabsl(want) >= top - ldexpl(1.0L, emax - mant) && !signbit(got) == !signbit(want))
        return 0.0;
    const long double g = isinf(got) ? copysignl(top, got) : got;
    const long double min_normal = ldexpl(1.0L, emin);
    const int exact = power_of_two(dy) && fabsl(g) > min_normal && fabsl(g) < top;
    /* The sigmoid's part is relative, as if the format had no subnormals (LDBL_MIN_EXP: ulp_at's floor
     * out of reach): s must carry the sigmoid's full precision wherever dy scales it up, so dx is
     * within the bound of dy*sigma relative to dx itself, for every finite dy. */
    const long double tol = fabsl(dy) * (long double)bound * ulp_at(sigma, mant, LDBL_MIN_EXP - 1) +
                            (exact ? 0.0L : 0.5L * ulp_at(fabsl(g) < top ? g : top / 2, mant, emin));
    const long double err = fabsl(g - want);
    if (err == 0)
        return 0.0;
    return tol > 0 ? (double)(err / tol) : INFINITY;
}

/* ---- written once, instantiated per dtype ----------------------------------------------------------
 * ULP_PER_DTYPE(tag, T, R, MANT, EMIN, EMAX): T the element type, R its reference type, the format's
 * significand bits and normal exponent range. The bodies depend on nothing else. */
#define ULP_PER_DTYPE(tag, T, R, MANT, EMIN, EMAX)                                                    \
    int same_##tag(T a, T b)                                                                         \
    {                                                                                                \
        return (isnan(a) && isnan(b)) || bits_##tag(a) == bits_##tag(b);                            \
    }                                                                                                \
    int ulp_zero_sign_wrong_##tag(T got, R ref)                                                      \
    {                                                                                                \
        return got == 0 && (T)ref == 0 && !signbit(got) != !signbit(ref);                           \
    }                                                                                                \
    double ulp_check_##tag(T got, R ref, int exact)                                                  \
    {                                                                                                \
        if (exact)                                                                                   \
            return same_##tag(got, (T)ref) ? 0.0 : INFINITY;                                         \
        return ulp_error_##tag(got, ref);                                                            \
    }                                                                                                \
    double ulp_bwd_contract_##tag(T got, T dy, T x, T beta, T threshold, double bound)               \
    {                                                                                                \
        if (ref_linear_##tag(x, beta, threshold))                                                    \
            return same_##tag(got, dy) ? 0.0 : INFINITY;                                             \
        return contract_ratio(got, dy, ref_sigmoid_##tag(x, beta), isfinite(x), bound, MANT, EMIN, EMAX); \
    }                                                                                                \
    double ulp_mult_contract_##tag(T got, T m, R unit, int finite_x, double bound)                   \
    {                                                                                                \
        return contract_ratio(got, m, unit, finite_x, bound, MANT, EMIN, EMAX);                      \
    }
ULP_PER_DTYPE(f32, float, double, FLT_MANT_DIG, FLT_MIN_EXP - 1, FLT_MAX_EXP - 1)
ULP_PER_DTYPE(f64, double, long double, DBL_MANT_DIG, DBL_MIN_EXP - 1, DBL_MAX_EXP - 1)

/* ---- the dtype table ------------------------------------------------------------------------------ */

/* Adapters from values carried in double (exact for every dtype so far) to the typed functions. */
#define ULP_ADAPTERS(tag, T, R, BT)                                                                    \
    static uint64_t enc_##tag(double v) { return bits_##tag((T)v); }                                 \
    static double val_##tag(uint64_t b) { return (double)tag##_from_bits((BT)b); }                       \
    static double step_##tag(double x, int k)                                                        \
    {                                                                                                \
        T v = (T)x;                                                                                  \
        for (; k > 0; k--)                                                                           \
            v = next_##tag(v, INFINITY);                                                             \
        for (; k < 0; k++)                                                                           \
            v = next_##tag(v, -INFINITY);                                                            \
        return v;                                                                                    \
    }                                                                                                \
    static int linear_##tag(double x, double b, double t) { return ref_linear_##tag((T)x, (T)b, (T)t); } \
    static long double softplus_##tag(double x, double b) { return ref_softplus_##tag((T)x, (T)b); }  \
    static long double sigmoid_##tag(double x, double b) { return ref_sigmoid_##tag((T)x, (T)b); }    \
    static long double fwd_##tag(double x, double b, double t) { return ref_fwd_##tag((T)x, (T)b, (T)t); } \
    static long double bwd_##tag(double dy, double x, double b, double t)                            \
    {                                                                                                \
        return ref_bwd_##tag((T)dy, (T)x, (T)b, (T)t);                                               \
    }                                                                                                \
    static double error_##tag(double got, long double ref) { return ulp_error_##tag((T)got, (R)ref); } \
    static double check_##tag(double got, long double ref, int exact)                                \
    {                                                                                                \
        return ulp_check_##tag((T)got, (R)ref, exact);                                               \
    }                                                                                                \
    static int sign_##tag(double got, long double ref) { return ulp_zero_sign_wrong_##tag((T)got, (R)ref); } \
    static double contract_##tag(double got, double dy, double x, double b, double t, double bound)  \
    {                                                                                                \
        return ulp_bwd_contract_##tag((T)got, (T)dy, (T)x, (T)b, (T)t, bound);                       \
    }                                                                                                \
    static long double curve_##tag(sp_op op, double x, double b) { return ref_curve_##tag(op, (T)x, (T)b); } \
    static double mcontract_##tag(double got, double m, long double unit, int finite_x, double bound) \
    {                                                                                                \
        return ulp_mult_contract_##tag((T)got, (T)m, (R)unit, finite_x, bound);                      \
    }
static float next_f32(float v, float to) { return nextafterf(v, to); }
static double next_f64(double v, double to) { return nextafter(v, to); }
ULP_ADAPTERS(f32, float, double, uint32_t)
ULP_ADAPTERS(f64, double, long double, uint64_t)

#define ULP_DTYPE_ROW(tag, TAG, size, MAX, TRUE_MIN, QNAN, SNAN)                                      \
    [SP_DTYPE_##TAG] = {SP_DTYPE_##TAG, #tag, size, 2 * (size), MAX, TRUE_MIN, QNAN, SNAN, enc_##tag, val_##tag, \
                        step_##tag, linear_##tag, softplus_##tag, sigmoid_##tag, fwd_##tag, bwd_##tag,        \
                        error_##tag, check_##tag, sign_##tag, contract_##tag, curve_##tag, mcontract_##tag},
const ulp_dtype ulp_dtypes[SP_DTYPE_COUNT] = {
    ULP_DTYPE_ROW(f32, F32, 4, FLT_MAX, 0x1p-149, 0x7fc00000u, 0x7f800001u)
    ULP_DTYPE_ROW(f64, F64, 8, DBL_MAX, 0x1p-1074, 0x7ff8000000000000u, 0x7ff0000000000001u)
};

/* ---- the kernel table ---------------------------------------------------------------------------- */

size_t ulp_kernels(sp_dtype dtype, ulp_kernel *out)
{
    static const softplus_isa isas[] = {
#define ULP_ISA(ctx, tag, TAG, fallback, priority, features) SOFTPLUS_ISA_##TAG,
        SP_ISAS(ULP_ISA, ~)
#undef ULP_ISA
    };
    static const struct {
        softplus_accuracy tier;
        const char *suffix;
    } tiers[] = {
#define ULP_TIER(ctx, tag, TAG, suffix) {SOFTPLUS_ACCURACY_##TAG, #suffix},
        SP_ACCURACIES(ULP_TIER, ~)
#undef ULP_TIER
    };
    /* "avx512" + "_fast" and the like, one per (ISA, tier) */
    static char names[sizeof isas / sizeof isas[0]][sizeof tiers / sizeof tiers[0]][32];
    size_t n = 0;
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        const sp_kernel_set *set = sp_registry_set(isas[i]);
        for (size_t t = 0; set && t < sizeof tiers / sizeof tiers[0]; t++) {
            const sp_kernel *first = sp_kernel_of(set, tiers[t].tier, (sp_op)0, dtype);
            /* an entry borrowed from a fallback ISA or from the strict tier is tested where it is own */
            if (first->origin != isas[i] || first->tier != tiers[t].tier)
                continue;
            ulp_kernel *k = &out[n++];
            snprintf(names[i][t], sizeof names[i][t], "%s%s", set->name, tiers[t].suffix);
            k->name = names[i][t];
            k->isa = isas[i];
            k->tier = tiers[t].tier;
            k->dtype = dtype;
            for (int op = 0; op < SP_OP_COUNT; op++)
                k->op[op] = sp_kernel_of(set, tiers[t].tier, (sp_op)op, dtype);
        }
    }
    return n;
}

int ulp_kernel_owns(const ulp_kernel *k, sp_op op)
{
    return k->op[op]->origin == k->isa && k->op[op]->tier == k->tier;
}

int ulp_isa_runnable(softplus_isa isa)
{
    return sp_kernels_for_isa(isa) != NULL;
}

double ulp_bound(const sp_kernel *k, double beta)
{
    return beta == 1.0 ? k->max_ulp : k->max_ulp_beta;
}

void ulp_run_fwd(const sp_kernel *k, size_t n, const void *x, void *y, const void *params)
{
    void *const ptrs[2] = {y, (void *)x};
    k->run(n, ptrs, params);
}

void ulp_run_bwd(const sp_kernel *k, size_t n, const void *dy, const void *x, void *dx, const void *params)
{
    void *const ptrs[3] = {dx, (void *)dy, (void *)x};
    k->run(n, ptrs, params);
}

/* ---- deterministic random numbers ---------------------------------------------------------------- */

uint64_t ulp_mix64(uint64_t v)
{
    v += 0x9e3779b97f4a7c15u;
    v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9u;
    v = (v ^ (v >> 27)) * 0x94d049bb133111ebu;
    return v ^ (v >> 31);
}

double ulp_unit(uint64_t r)
{
    return (double)(r >> 11) * 0x1p-53;
}

/* ---- the f64 sweep inputs ------------------------------------------------------------------------- */

static double step_ulps(double x, long k)
{
    for (; k > 0; k--)
        x = nextafter(x, INFINITY);
    for (; k < 0; k++)
        x = nextafter(x, -INFINITY);
    return x;
}

double ulp_sample_f64(uint64_t seed, uint64_t i, double beta, double threshold)
{
    const uint64_t r = ulp_mix64(ulp_mix64(seed) ^ i);
    const uint64_t r2 = ulp_mix64(r);
    const double u = ulp_unit(r);
    const double sign = (r2 & 1) ? -1.0 : 1.0;
    switch (i % 16) {
    case 0: case 1: case 2: case 3: case 4: case 5:
        return -750.0 + 1500.0 * u;
    case 6: case 7:
        return (-750.0 + 1500.0 * u) / beta;
    case 8: case 9: case 10: case 11: {
        /* biased exponent 0..2046 uniformly (0: subnormal), 52 random significand bits */
        const uint64_t e = (r2 >> 1) % 2047u;
        return f64_from_bits(((r2 & 1) << 63) | (e << 52) | (r & 0xfffffffffffffu));
    }
    case 12:
        return (-746.0 + 46.0 * u) / beta;
    case 13: {
        const double x0 = (isfinite(threshold) ? threshold : 20.0) / beta;
        const long k = (long)(r2 % (2u << 20)) - (1l << 20);
        const uint64_t b = bits_f64(x0);
        /* stepping the bit pattern walks ulp by ulp away from x0 (toward larger magnitudes for k > 0) */
        if (x0 == 0.0 || (k < 0 && (uint64_t)(-k) > (b & 0x7fffffffffffffffu)))
            return step_ulps(x0, k % 8);
        return f64_from_bits(b + (uint64_t)k);
    }
    case 14:
        return sign * 40.0 * u / beta;
    default: {
        static const double edges[] = {
            0.0, 0x1p-1074, 0x1.ffffffffffffep-1023, 0x1p-1022, 0x1p-600, 0x1p-54, 0x1p-27, 0x1p-1,
            0x1.62e42fefa39efp-1 /* ln 2 */, 1.0, 2.0, 0x1.2b708872320e2p+5 /* 37.43: exp(-x) = 2^-54 */,
            0x1.62e42fefa39efp+9 /* 709.78: exp overflows */, 0x1.74385446d71c3p+9 /* 744.44 */,
            0x1.74910d52d3051p+9 /* 745.13: exp underflows to 0 */, 750.0, 1e300, 0x1p1023,
            0x1.fffffffffffffp+1023, INFINITY, NAN,
        };
        const size_t count = sizeof edges / sizeof edges[0];
        const uint64_t j = i / 16;
        const double e = edges[j % count];
        const long k = (long)((j / count) % 9) - 4; /* 0, then +-1..4 ulps */
        const double s = ((j / count / 9) & 1) ? -1.0 : 1.0;
        /* alternate rounds of 18 passes put the edge on the z axis instead of the x axis */
        const double base = ((j / count / 18) & 1) && isfinite(e) ? e / beta : e;
        return s * step_ulps(base, k);
    }
    }
}

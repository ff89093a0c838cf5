/* softplus_half_kernels.h -- bfloat16 and float16 kernels, correctly rounded, for every op: one text, one
 * instantiation per ISA file (arch/<arch>/softplus_half_<isa>.c, arch/generic/softplus_half_scalar.c).
 * SPDX-License-Identifier: MIT
 *
 * Semantics (include/softplus.h): the inputs are widened to float exactly, the branch is
 * fl32(beta*x) > threshold, and the result is the exact function of the widened inputs rounded once to
 * the storage type, round-to-nearest-even, f16 subnormals and overflow to inf included.
 *
 * Method (Ziv's strategy). A half result needs 8 (bf16) or 11 (f16) good bits, not 24. Per block of
 * SP_HALF_BLOCK elements:
 *   1. widen the inputs to float (exact: sp_f32_of_bf16, sp_f32_of_f16, or the ISA's conversion);
 *   2. run the kernel set's float kernel of the op, the fast tier's where the set has one (bound B
 *      ULP, from its registry entry: 4 for the FMA sets' forward and backward, else <= 1);
 *   3. round each float result y to the storage type (sp_bf16_of_f32, sp_f16_of_f32: RNE on the bits);
 *   4. check: y is "near" when the float patterns E below and E above |y| round to different half values,
 *      i.e. a rounding boundary (a midpoint, or the overflow threshold) lies within E float steps of y.
 *      E = 2B + 2 for the one-input ops and 4B + 3 for the two-input ones: the exact value t is within
 *      B ULP of t (2B float steps of y when they straddle a binade, which happens at the f16 midpoint
 *      2^-25), and a product dy*s carries |dy| B ulp(s) <= 2B ulp(dx), plus the final rounding (the fused
 *      loop, arch/softplus_half_fused.h, checks |y| + 2^-14 below 2^-14 and takes about half these);
 *   5. redo the near elements (about 2E/2^13 of them for f16, 2E/2^16 for bf16) with the set's strict
 *      f64 kernel at threshold +inf (their branch, decided in float, is the function's: a branch result is
 *      a half value itself, never near), and round its double once to the storage type
 *      (sp_half_of_f64: exact, ties to even; a product dy*s that is a midpoint -- dy*0.5 at x = 0 in
 *      the f16 subnormal range -- is exact in double and rounds to even).
 * Residual risk: an exact value within the f64 kernel's error (1 ULP of double, 2^-52 relative) of a
 * midpoint, which would need the function to agree with a 12-bit number to 40 more bits; the
 * exhaustive test (tests/accuracy/test_half.c) finds none for its betas and thresholds.
 * No table: beta and threshold are runtime parameters.
 *
 * An including ISA file instantiates the kernels with SP_HALF_KERNELS(tag, TAG); defining SP_HALF_F16C
 * first swaps in F16C's f16 conversions (arch/x86/softplus_half_f16c.h: SP_HALF_WIDEN_F16 and
 * SP_HALF_NARROW_F16), SP_HALF_SSE41_CONV the same in SSE4.1 operations (arch/x86/softplus_half_sse41_conv.h),
 * which must give the bits of the portable functions below:
 * tests/accuracy/test_half.c runs every set against one reference. Defining SP_HALF_FUSED (after the
 * set's f32 vector ops, the fast tier's algorithm text and the half-vector operations) runs forward and
 * backward in one vector loop instead of this block driver (arch/softplus_half_fused.h: the same method,
 * the conversions and the check in registers); the AVX2, AVX-512 and NEON sets do.
 */
#ifndef SP_HALF_KERNELS_H
#define SP_HALF_KERNELS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "registry.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SP_HALF_LITTLE_ENDIAN 0
#else
#define SP_HALF_LITTLE_ENDIAN 1
#endif

/* Elements per block: the float and double scratch arrays live on the stack (3 KiB + 3 KiB). */
#define SP_HALF_BLOCK 256

SP_INLINE uint32_t sp_half_bits_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

SP_INLINE float sp_half_f32_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- exact conversions on the bits ------------------------------------------------------------- */

/* bf16 is the top half of a float: widening is exact, NaNs keep sign, payload and signalling bit (the
 * float kernels quiet them). */
SP_INLINE float sp_f32_of_bf16(uint16_t h)
{
    return sp_half_f32_bits((uint32_t)h << 16);
}

/* f16 to float, exact, without branches (the loops vectorise): the exponent and fraction move up 13 bits
 * and the exponent is rebiased by 127 - 15 = 112; inf and NaN (exponent 31) get 128 - 16 more, to 255,
 * keeping their payload; a subnormal m 2^-24 is (2^-14 + m 2^-24) - 2^-14, both exact in float. */
SP_INLINE float sp_f32_of_f16(uint16_t h)
{
    const uint32_t em = (uint32_t)(h & 0x7fffu) << 13, e = em & 0x0f800000u;
    const uint32_t normal = em + (112u << 23) + (e == 0x0f800000u ? 112u << 23 : 0u);
    const float sub = sp_half_f32_bits(em + (113u << 23)) - 0x1p-14f;
    const uint32_t mag = e == 0 ? sp_half_bits_f32(sub) : normal;
    return sp_half_f32_bits(mag | (uint32_t)(h & 0x8000u) << 16);
}

/* float bits to bf16, RNE (a carry out of the mantissa steps the exponent, up to inf); a NaN keeps its
 * sign and top payload and is quieted. */
SP_INLINE uint16_t sp_bf16_of_f32(uint32_t u)
{
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16, quieted = (u >> 16) | 0x40u;
    return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? quieted : rounded);
}

/* |float| bits (a <= 0x7f800000, no NaN) to |f16| bits, RNE:
 *   a >= 65520 (0x477ff000, the midpoint above 65504): inf;
 *   a >= 2^-14 (0x38800000, f16's smallest normal): rebias (112 << 23) and round off 13 bits;
 *   2^-25 < a < 2^-14: m 2^(e-150) in steps of 2^-24 is m >> (126 - e) rounded, 14..24 bits off (1024 =
 *   0x400 is the smallest normal's pattern, so a carry out of the subnormals is right);
 *   a <= 2^-25: 0 (2^-25 is the tie between 0 and 2^-24: even). */
SP_INLINE uint32_t sp_f16_of_f32_abs(uint32_t a)
{
    const uint32_t normal = (a - 0x38000000u + 0xfffu + ((a >> 13) & 1u)) >> 13;
    const uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
    const uint32_t s = 126u - (e < 102u ? 102u : e > 112u ? 112u : e); /* 14..24 */
    const uint32_t sub = (m + (1u << (s - 1u)) - 1u + ((m >> s) & 1u)) >> s;
    return a >= 0x477ff000u ? 0x7c00u : a >= 0x38800000u ? normal : a > 0x33000000u ? sub : 0u;
}

SP_INLINE uint16_t sp_f16_of_f32(uint32_t u)
{
    const uint32_t a = u & 0x7fffffffu, sign = (u >> 16) & 0x8000u;
    const uint32_t quieted = 0x7e00u | ((a >> 13) & 0x3ffu), finite = sp_f16_of_f32_abs(a < 0x7f800000u ? a : 0x7f800000u);
    return (uint16_t)(sign | (a > 0x7f800000u ? quieted : finite));
}

/* Whether a rounding boundary of the format lies within e float steps of the finite |y| = a: the
 * patterns a - e and a + e (clamped to [0, inf]) round differently. Non-finite results are exact. */
SP_INLINE uint32_t sp_bf16_near(uint32_t a, uint32_t e)
{
    /* bf16 drops the low 16 bits of every float, subnormal or not: the boundaries are the patterns
     * k 2^16 + 0x8000 */
    return (uint32_t)(a < 0x7f800000u) & (uint32_t)((a & 0xffffu) - 0x8000u + e <= 2u * e);
}

SP_INLINE uint32_t sp_f16_near(uint32_t a, uint32_t e)
{
    const uint32_t lo = a > e ? a - e : 0u, hi = a + e < 0x7f800000u ? a + e : 0x7f800000u;
    return (uint32_t)(a < 0x7f800000u) & (uint32_t)(sp_f16_of_f32_abs(lo) != sp_f16_of_f32_abs(hi));
}

/* src[j..n) widened to dst by sp_f32_of_f16 (the portable widening, and the vector ones' tails) */
SP_INLINE void sp_half_widen_f16_from(float *dst, const uint16_t *src, size_t j, size_t n)
{
    for (; j < n; j++)
        dst[j] = sp_f32_of_f16(src[j]);
}

/* y[j..m) rounded to f16 into out and their near flags (window e) into flag, by the functions above;
 * returns whether any is near (the portable narrowing, and the vector ones' tails) */
SP_INLINE uint32_t sp_half_narrow_f16_from(uint16_t *out, uint8_t *flag, const float *y, size_t j, size_t m,
                                           uint32_t e)
{
    uint32_t any = 0;
    for (; j < m; j++) {
        const uint32_t u = sp_half_bits_f32(y[j]), f = sp_f16_near(u & 0x7fffffffu, e);
        out[j] = sp_f16_of_f32(u);
        flag[j] = (uint8_t)f;
        any |= f;
    }
    return any;
}

/* The format's step at d (precision p bits, smallest normal 2^emin): 2^(max(e, emin) - p + 1), e the
 * binade of the finite double d. */
SP_INLINE double sp_half_quantum(double d, int p, int emin)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ffu) - 1023;
    if (e < emin)
        e = emin;
    const uint64_t qbits = (uint64_t)(e - p + 1 + 1023) << 52;
    double q;
    memcpy(&q, &qbits, sizeof q);
    return q;
}

/* A double rounded once to the format (precision p bits, smallest normal 2^emin), RNE, as the format's
 * bits: d is rounded to a multiple of the format's step at d's exponent, q = 2^(max(e, emin) - p + 1)
 * (d/q < 2^p is exact, rint rounds to even in the default mode the kernels run in), and the result,
 * a value of the format or the power of two past its largest, goes to float exactly and then to the
 * format's bits exactly (or to inf). */
SP_INLINE uint32_t sp_half_round_f64_to_f32(double d, int p, int emin)
{
    if (d != d)
        return sp_half_bits_f32((float)d);
    const double q = sp_half_quantum(d, p, emin);
    return sp_half_bits_f32((float)(rint(d / q) * q));
}

/* hi + lo (|lo| < ulp(hi) scale, or 0) rounded once to the format: the double sum, moved one double step
 * toward the true value when it fell exactly on a midpoint of the format (Fast2Sum's error says which
 * way; a zero error leaves a true tie to the even rule). */
SP_INLINE uint32_t sp_half_round_pair_to_f32(double hi, double lo, int p, int emin)
{
    double sum = hi + lo;
    const double err = (hi - sum) + lo;
    if (err != 0 && sum == sum) {
        const double r = fabs(sum) / sp_half_quantum(sum, p, emin);
        if (r - floor(r) == 0.5)
            sum = nextafter(sum, err > 0 ? INFINITY : -INFINITY);
    }
    return sp_half_round_f64_to_f32(sum, p, emin);
}

/* the ISA's vector conversions, where its file asks for them: F16C's, or SSE4.1's integer code */
#ifdef SP_HALF_F16C
#include "arch/x86/softplus_half_f16c.h"
#elif defined(SP_HALF_SSE41_CONV)
#include "arch/x86/softplus_half_sse41_conv.h"
#endif

/* the set's vector f16 conversions as functions, for tests/accuracy/test_half_conv.c (declared in kernels.h) */
#ifdef SP_HALF_NARROW_F16
#define SP_HALF_CONVERSIONS(isa)                                                                     \
    void sp_half_conv_widen_f16_##isa(float *dst, const uint16_t *src, size_t n)                    \
    {                                                                                                \
        SP_HALF_WIDEN_F16(dst, src, n);                                                              \
    }                                                                                                \
    uint32_t sp_half_conv_narrow_f16_##isa(uint16_t *out, uint8_t *flag, const float *y, size_t m, uint32_t e) \
    {                                                                                                \
        return SP_HALF_NARROW_F16(out, flag, y, m, e);                                               \
    }
#endif

/* ---- the driver ------------------------------------------------------------------------------- */

#ifndef SP_HALF_WIDEN_F16
#define SP_HALF_WIDEN_F16(dst, src, n) sp_half_widen_f16_from(dst, src, 0, n)
#endif
#define SP_HALF_WIDEN_BF16(dst, src, n)                                                              \
    for (size_t sp_i_ = 0; sp_i_ < (n); sp_i_++)                                                     \
        (dst)[sp_i_] = sp_f32_of_bf16((src)[sp_i_])

/* format: 0 bf16, 1 f16 */
typedef struct sp_half_format {
    int f16;
    int precision; /* bits, the hidden one included */
    int emin;      /* the smallest normal is 2^emin */
} sp_half_format;

static const sp_half_format sp_half_bf16 = {0, 8, -126};
static const sp_half_format sp_half_f16 = {1, 11, -14};

/* Rounds m float results to the format into out and lists the near ones in near[] (returns how many).
 * The first pass has no branch and no compaction, so that it vectorises; the near ones are rare. */
static size_t sp_half_narrow(const sp_half_format *fmt, const float *y, uint16_t *out, size_t m, uint32_t e,
                             uint16_t *near)
{
    uint8_t flag[SP_HALF_BLOCK + 8];
    uint32_t any = 0;
    if (fmt->f16) {
#ifdef SP_HALF_NARROW_F16
        any = SP_HALF_NARROW_F16(out, flag, y, m, e);
#else
        any = sp_half_narrow_f16_from(out, flag, y, 0, m, e);
#endif
    } else {
        for (size_t j = 0; j < m; j++) {
            const uint32_t u = sp_half_bits_f32(y[j]), f = sp_bf16_near(u & 0x7fffffffu, e);
            out[j] = sp_bf16_of_f32(u);
            flag[j] = (uint8_t)f;
            any |= f;
        }
    }
    /* the near ones, 8 flags (bytes of 0 or 1) per word: few are set, and a branch per element would
     * mispredict on each */
    size_t count = 0;
    if (any) {
        memset(flag + m, 0, 8);
        for (size_t j = 0; j < m; j += 8) {
            uint64_t w;
            memcpy(&w, flag + j, sizeof w);
            for (; w; w &= w - 1) {
                const unsigned bit = (unsigned)__builtin_ctzll(w);
                near[count++] = (uint16_t)(j + (SP_HALF_LITTLE_ENDIAN ? bit / 8 : 7 - bit / 8));
            }
        }
    }
    return count;
}

/* Backward's s(z) -> 1/2 and the double backward's s(1-s) -> 1/4 as z -> 0: for |z| < 2^-20 the product
 * with the multiplier is hi + lo, hi = dy/2 or g beta/4 exact in double (11 + 24 bits) and lo the
 * deviation from the Taylor series (s = 1/2 + z/4 - z^3/48, s(1-s) = 1/4 - z^2/16 + z^4/96; the next
 * terms are below 2^-80 relative). The f64 kernel's s, within 2^-53 of 1/2, would put dy/2 on a
 * midpoint of the format (an odd subnormal dy) that the exact value misses by dy z/4. */
#define SP_HALF_SMALL_Z 0x1p-20

/* Near elements again, in double: x[k] the branch input (x, or y for the inverse) and dy[k] the
 * multiplier (dy NULL for the one-input ops) of the result at out[at[k]], k < count <= SP_HALF_BLOCK. */
static void sp_half_redo(const sp_half_format *fmt, sp_op op, const sp_kernel *k64, const sp_params_f32 *p,
                         const float *dy, const float *x, uint16_t *out, const size_t *at, size_t count)
{
    double x64[SP_HALF_BLOCK], dy64[SP_HALF_BLOCK], y64[SP_HALF_BLOCK];
    size_t pos[SP_HALF_BLOCK];
    size_t m = 0;
    for (size_t k = 0; k < count; k++) {
        /* a branch result (x, dy, y, 0) is exact: never near, but decided here the kernels' way */
        if (p->beta * x[k] > p->threshold)
            continue;
        x64[m] = x[k];
        if (dy)
            dy64[m] = dy[k];
        pos[m++] = at[k];
    }
    if (m == 0)
        return;
    const sp_params_f64 p64 = {p->beta, INFINITY};
    void *const ptrs[] = {y64, dy ? (void *)dy64 : (void *)x64, x64};
    k64->run(m, ptrs, &p64);
    for (size_t k = 0; k < m; k++) {
        const double z = (double)p->beta * x64[k]; /* exact: 24 + 11 bits */
        uint32_t u;
        if ((op == SP_OP_BWD || op == SP_OP_DBWD) && fabs(z) < SP_HALF_SMALL_Z) {
            const double zz = z * z;
            const double hi = op == SP_OP_BWD ? dy64[k] * 0.5 : dy64[k] * p->beta * 0.25;
            const double lo = op == SP_OP_BWD ? dy64[k] * (0.25 * z) * (1.0 - zz / 12.0)
                                              : dy64[k] * p->beta * (-0.0625 * zz) * (1.0 - zz / 6.0);
            u = sp_half_round_pair_to_f32(hi, lo, fmt->precision, fmt->emin);
        } else {
            u = sp_half_round_f64_to_f32(y64[k], fmt->precision, fmt->emin);
        }
        out[pos[k]] = fmt->f16 ? sp_f16_of_f32(u) : sp_bf16_of_f32(u);
    }
}

/* Steps of the check: ceil of the float kernel's bound b (any beta), then E as the header says; a constant
 * expression for a constant b. */
#define SP_HALF_CEIL_U32(b) ((uint32_t)(b) + ((double)(uint32_t)(b) < (b)))
#define SP_HALF_STEPS(b, inputs) ((inputs) == 1 ? 2u * SP_HALF_CEIL_U32(b) + 2u : 4u * SP_HALF_CEIL_U32(b) + 3u)

/* a float kernel's bound at any beta, ULP */
SP_INLINE double sp_half_kernel_bound(const sp_kernel *k32)
{
    return k32->max_ulp > k32->max_ulp_beta ? k32->max_ulp : k32->max_ulp_beta;
}

static uint32_t sp_half_steps(const sp_kernel *k32, int inputs)
{
    return SP_HALF_STEPS(sp_half_kernel_bound(k32), inputs);
}

/* n elements of op over half arrays: in2 NULL for the one-input ops (in1 = x or y), else in1 = dy,
 * in2 = x; out may be exactly in1 or in2 (each block's inputs are widened before its outputs are
 * written). */
static void sp_half_run(const sp_half_format *fmt, softplus_isa isa, sp_op op, size_t n, const uint16_t *in1,
                        const uint16_t *in2, uint16_t *out, const sp_params_f32 *p)
{
    const sp_kernel_set *set = sp_registry_set(isa);
    const sp_kernel *k32 = sp_kernel_of(set, SOFTPLUS_ACCURACY_FAST, op, SP_DTYPE_F32);
    const sp_kernel *k64 = sp_kernel_of(set, SOFTPLUS_ACCURACY_STRICT, op, SP_DTYPE_F64);
    const int inputs = in2 ? 2 : 1;
    const uint32_t e = sp_half_steps(k32, inputs);
    float a[SP_HALF_BLOCK], b[SP_HALF_BLOCK], y[SP_HALF_BLOCK];
    uint16_t near[SP_HALF_BLOCK];
    for (size_t i = 0; i < n; i += SP_HALF_BLOCK) {
        const size_t m = n - i < SP_HALF_BLOCK ? n - i : SP_HALF_BLOCK;
        if (fmt->f16) {
            SP_HALF_WIDEN_F16(a, in1 + i, m);
            if (in2)
                SP_HALF_WIDEN_F16(b, in2 + i, m);
        } else {
            SP_HALF_WIDEN_BF16(a, in1 + i, m);
            if (in2)
                SP_HALF_WIDEN_BF16(b, in2 + i, m);
        }
        void *const ptrs[] = {y, a, b};
        k32->run(m, ptrs, p);
        const size_t count = sp_half_narrow(fmt, y, out + i, m, e, near);
        if (count) {
            float nx[SP_HALF_BLOCK], ndy[SP_HALF_BLOCK];
            size_t at[SP_HALF_BLOCK];
            for (size_t k = 0; k < count; k++) {
                nx[k] = in2 ? b[near[k]] : a[near[k]];
                ndy[k] = a[near[k]];
                at[k] = near[k];
            }
            sp_half_redo(fmt, op, k64, p, in2 ? ndy : NULL, nx, out + i, at, count);
        }
    }
}

/* ---- the kernels: sp_<op>_<bf16|f16>_<isa> ------------------------------------------------------ */
/* the ISA file's fused forward, backward and second derivative, where it asks for them (SP_HALF_FUSED,
 * after its vector ops: arch/softplus_half_fused.h) */
#ifdef SP_HALF_FUSED
#include "arch/softplus_half_fused.h"
#else
#define SP_HALF_FUSED_RUN sp_half_run
#endif
#define SP_HALF_KERNEL_1(otag, OTAG, dtag, isa, ISA)                                                 \
    void sp_##otag##_##dtag##_##isa(size_t n, const uint16_t *in, uint16_t *out, const sp_params_f32 *p) \
    {                                                                                                \
        SP_HALF_FUSED_RUN(&sp_half_##dtag, SOFTPLUS_ISA_##ISA, SP_OP_##OTAG, n, in, NULL, out, p);       \
    }
#define SP_HALF_KERNEL_2(otag, OTAG, dtag, isa, ISA)                                                 \
    void sp_##otag##_##dtag##_##isa(size_t n, const uint16_t *in1, const uint16_t *in2, uint16_t *out, \
                                    const sp_params_f32 *p)                                         \
    {                                                                                                \
        SP_HALF_FUSED_RUN(&sp_half_##dtag, SOFTPLUS_ISA_##ISA, SP_OP_##OTAG, n, in1, in2, out, p);       \
    }
#define SP_HALF_KERNEL_(otag, OTAG, inputs, dtag, isa, ISA) SP_HALF_KERNEL_##inputs(otag, OTAG, dtag, isa, ISA)
#define SP_HALF_KERNEL(isa, ISA, otag, OTAG, inputs)                                                 \
    SP_HALF_KERNEL_(otag, OTAG, inputs, bf16, isa, ISA) SP_HALF_KERNEL_(otag, OTAG, inputs, f16, isa, ISA)
#define SP_HALF_KERNEL_OP(c, otag, OTAG, public, inputs) SP_CALL(SP_HALF_KERNEL, SP_UNPACK c, otag, OTAG, inputs)
#define SP_HALF_KERNELS(isa, ISA) SP_OPS(SP_HALF_KERNEL_OP, (isa, ISA))

#endif /* SP_HALF_KERNELS_H */

/** softplus.h -- the public C API of libsoftplus: softplus and its gradient over strided tensors.
 * SPDX-License-Identifier: MIT
 * @file
 *
 * The function (PyTorch semantics):
 *
 *     softplus(x; beta, threshold) = x                              if fl(beta*x) > threshold
 *                                  = log(1 + exp(beta*x)) / beta    otherwise
 *
 * where fl(beta*x) is the product rounded to the tensor's precision and the comparison is a strict '>',
 * exactly as torch.nn.functional.softplus decides. The defaults are beta = 1, threshold = 20;
 * threshold = +INFINITY gives the exact function everywhere. The library evaluates the second branch as
 * max(z,0) + log1p(exp(-|z|)) with z = beta*x (the rounding of the product corrected where it matters),
 * so it never overflows.
 *
 * The gradient (backward):
 *
 *     dx = dy                       if fl(beta*x) > threshold
 *        = dy * sigmoid(beta*x)     otherwise.
 *
 * Special values (z = fl(beta*x); with threshold = +INFINITY the same limits hold):
 *
 *     x        forward, beta > 0   forward, beta < 0   backward, beta > 0   backward, beta < 0
 *     +inf     +inf                -0                  dy                   dy * 0
 *     -inf     +0                  -inf                dy * 0               dy
 *     +-0      ln 2 / beta         ln 2 / beta         dy / 2               dy / 2
 *
 * For a finite x the sigmoid is > 0 even where beta*x overflows the format, so an infinite dy gives an
 * infinite dx of dy's sign; dy * 0 is NaN only for an infinite dy.
 *
 * NaN policy, the same bits from every kernel set: a NaN result is an input's NaN, quieted (quiet bit
 * set), with its sign and payload, as x86 arithmetic propagates it in PyTorch's formulas:
 *
 *     forward    x is NaN                         ->  x, quieted
 *     backward   dy is NaN (whatever x is)        ->  dy, quieted
 *                x is NaN, dy is not              ->  x, quieted
 *
 * The one NaN made from non-NaN inputs, backward's +-inf times the sigmoid 0 of an infinite x, is the
 * positive default quiet NaN (0x7fc00000, 0x7ff8000000000000) on every architecture.
 *
 * beta may be any finite non-zero value (beta = -1 gives log-sigmoid); threshold may be anything but NaN.
 *
 * Accuracy: where fl(beta*x) > threshold the result is x (forward) or dy (backward) bit for bit.
 * Elsewhere the forward result is within the kernel set's bound of the exact value of the function,
 * in ULP of the tensor's format at the exact value (subnormal-aware: never less than the format's
 * smallest subnormal step); every kernel set is within 1 ULP in the strict tier and within 4 ULP in
 * the fast one (f32; see "Accuracy tiers" below; the per-set figures are in README.md).
 * The backward result is within the same bound of the exact dy*sigmoid(beta*x) relative to dx itself,
 * plus the final rounding, for every finite dy: |dx - dy*sigmoid(beta*x)| <= |dy| * B * ulp'(sigmoid) +
 * ulp(dx)/2, with B the bound and ulp' the ulp as if the format had no subnormals -- where the sigmoid
 * underflows and dy scales the result back up, it is carried scaled, never flushed. For dy = 1 (or any
 * power of two, with a normal dx) this is the plain B ULP bound on the sigmoid. Both follow the exact
 * product beta*x, not its rounding to the format.
 *
 * Tensors and strides
 * -------------------
 * A tensor is a base pointer, a shape of ndim sizes and ndim strides. Strides count elements, not bytes
 * (as DLPack and PyTorch do): element (i0, ..., i{n-1}) is at base[i0*stride[0] + ... ].
 *   - A NULL strides pointer means C-contiguous (row-major, last index fastest).
 *   - Input strides may be negative or zero (a zero stride broadcasts one element along that dimension).
 *   - Output strides may be negative, but two different indices of the output must never name the same
 *     element (the output may not overlap itself). The check is a sufficient condition: ordered by
 *     |stride|, each output stride must exceed the span (sum of |stride| * (size-1)) of all smaller
 *     ones. Every permutation of a dense or padded layout passes; the rare injective views that do not
 *     (shape {3,2} with strides {2,3}) are rejected as overlapping.
 *   - ndim = 0 is a scalar: one element. A dimension of size 0 means the tensor is empty: the call
 *     returns SOFTPLUS_OK and touches nothing; for an empty tensor the data pointers may be NULL.
 *     The product of the non-zero sizes must still fit in ptrdiff_t, so that a shape gives the same
 *     status whatever the order of its dimensions.
 *   - The output may be exactly the same view as an input (same base pointer and the same stride in
 *     every dimension of size > 1): that is an in-place call. Any other overlap between the output and
 *     an input is rejected. The check is conservative: two views are taken to overlap when the byte
 *     ranges they span intersect, so interleaved views of one buffer (x = buf[0::2], y = buf[1::2]) are
 *     rejected too. Inputs may overlap each other freely.
 *   - Pointers need only the alignment of their element type.
 *   - A call writes the output view's elements and nothing else, not even the bytes between them. It may
 *     read the bytes between an input view's elements (vector loads de-interleave a stride-2 view), never
 *     a byte outside the span from the view's lowest element to the end of its highest.
 *
 * Every argument is validated before any memory is read or written: a call that returns an error has
 * written nothing.
 *
 * Kernel selection
 * ----------------
 * The library carries one kernel set per instruction set (scalar, sse41, avx2, avx512, neon) and picks
 * the best one this CPU runs the first time it needs one. The environment variable SOFTPLUS_ISA (one of
 * the names softplus_isa_name returns, except "auto") is read once, at that moment, and forces its kernel
 * set when that set is compiled in and supported; an unknown or unsupported name is ignored. After that
 * the library never reads the environment. softplus_set_isa changes the active set at any time. Every
 * function is thread-safe; choosing the kernel set is lock-free.
 *
 * Accuracy tiers (since 1.1): every kernel set has a strict tier (the default; the bounds above, <= 1 ULP)
 * and a fast tier, whose f32 kernels (AVX2, AVX-512, NEON) stay within 4 ULP for the speed of a shorter
 * method; f64 is strict in both tiers, and so are the scalar and SSE4.1 sets. SOFTPLUS_ACCURACY=strict
 * or fast in the environment, read once together with SOFTPLUS_ISA (any other value is ignored), or
 * softplus_set_accuracy at any time choose the tier, process-wide. Threshold rule, special values and
 * NaN policy are the same bits in both tiers.
 *
 * The library never prints, never aborts and never changes errno.
 *
 * Floating-point environment
 * --------------------------
 * Results do not depend on the caller's floating-point control modes. Every call computes in the IEEE
 * default modes -- round to nearest even, subnormals neither flushed to zero nor read as zero, every
 * exception masked, no default-NaN mode, and on x86 the x87 unit at 64-bit precision -- and its output
 * is bit for bit what it is under those modes, whatever rounding direction (fesetround), flush-to-zero
 * or denormals-are-zero (x86 MXCSR FTZ/DAZ, e.g. set by code built with -ffast-math; aarch64 FPCR
 * FZ/FZ16), default-NaN mode (FPCR DN), x87 precision or enabled traps (feenableexcept) the caller has
 * set. A call whose control modes differ from that default switches to it after validation, only when
 * it has elements to compute, and before returning restores the caller's control modes exactly (MXCSR
 * and x87 control word, or FPCR). Cost (bench/bench_fpenv, AMD Zen 5): when the caller's modes are
 * the default, one read of the control registers per call, about 3 ns; otherwise the switch and the
 * restore add about 10-15 ns per call. This holds for x86 and aarch64 built with GCC or Clang; on
 * other targets the library sets only the rounding direction (to nearest) for the call.
 * Exception flags: a call may raise any floating-point exception flag -- which ones is unspecified and
 * may differ between kernel sets and between inputs with the same result -- and never clears one: a
 * flag set before a call is still set after it, and fetestexcept then also reports the flags the call
 * raised. A call never traps, even with traps enabled; such a flag is raised when the call returns
 * and traps only when the caller's own code raises that exception again.
 */
#ifndef SOFTPLUS_H
#define SOFTPLUS_H

#include <stddef.h>
#include <stdint.h>

/** @{ */
/** The version of this header, as numbers (softplus_version_string() gives the library's). */
#define SOFTPLUS_VERSION_MAJOR 1
#define SOFTPLUS_VERSION_MINOR 1
#define SOFTPLUS_VERSION_PATCH 0
/** @} */
/** MAJOR*10000 + MINOR*100 + PATCH, for `#if` comparisons. */
#define SOFTPLUS_VERSION_NUMBER \
    (SOFTPLUS_VERSION_MAJOR * 10000 + SOFTPLUS_VERSION_MINOR * 100 + SOFTPLUS_VERSION_PATCH)

/** The largest ndim the tensor functions accept. */
#define SOFTPLUS_MAX_NDIM 32

#if defined(_WIN32) && defined(SOFTPLUS_BUILDING_DLL)
#define SOFTPLUS_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define SOFTPLUS_API __attribute__((visibility("default")))
#else
#define SOFTPLUS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** The result of every call that can fail. Checked in this order: RANK, NULL (shape), PARAM, OVERFLOW
 * (element count), then -- for a non-empty tensor -- NULL (data pointers), OVERFLOW (address ranges),
 * OVERLAP. The values are part of the ABI and never change. */
typedef enum softplus_status {
    SOFTPLUS_OK = 0,              /**< done: every output element written */
    SOFTPLUS_ERR_NULL = 1,        /**< a required pointer is NULL: shape when ndim > 0; a data pointer of
                                     a non-empty tensor */
    SOFTPLUS_ERR_RANK = 2,        /**< ndim > SOFTPLUS_MAX_NDIM */
    SOFTPLUS_ERR_PARAM = 3,       /**< beta is 0, NaN or infinite; threshold is NaN; softplus_set_accuracy:
                                     not a softplus_accuracy value */
    SOFTPLUS_ERR_OVERFLOW = 4,    /**< the element count does not fit in ptrdiff_t, or a view's byte range
                                     ((|stride| * (size-1) summed, plus 1) times the element size: from
                                     its lowest byte to one past its highest) does not fit in ptrdiff_t
                                     or would wrap the address space */
    SOFTPLUS_ERR_OVERLAP = 5,     /**< the output overlaps itself (two indices, one element; a zero output
                                     stride on a dimension of size > 1), or it overlaps an input without
                                     being exactly the same view */
    SOFTPLUS_ERR_UNSUPPORTED = 6  /**< softplus_set_isa: that ISA is not compiled in or this CPU lacks it */
} softplus_status;

/** Instruction sets a kernel set may use. The values are part of the ABI and never change. */
typedef enum softplus_isa {
    SOFTPLUS_ISA_AUTO = 0,    /**< the best kernel set this CPU supports */
    SOFTPLUS_ISA_SCALAR = 1,  /**< portable C */
    SOFTPLUS_ISA_SSE41 = 2,   /**< x86-64 SSE4.1 */
    SOFTPLUS_ISA_AVX2 = 3,    /**< x86-64 AVX2 with FMA */
    SOFTPLUS_ISA_AVX512 = 4,  /**< x86-64 AVX-512 F+DQ (+BW+VL) */
    SOFTPLUS_ISA_NEON = 5     /**< aarch64 Advanced SIMD */
} softplus_isa;

/** Accuracy tiers (since 1.1). The values are part of the ABI and never change.
 * The tier is process-wide, like the kernel set: softplus_set_accuracy or the environment variable
 * SOFTPLUS_ACCURACY ("strict" or "fast", read once, when SOFTPLUS_ISA is) choose it. Each call reads it
 * once when it starts, so a call runs one tier for all its elements even while another thread
 * changes it. Both tiers compute the same function with the same threshold rule, the same special
 * values and the same NaN policy, bit for bit; only the rounding error of the values differs. */
typedef enum softplus_accuracy {
    SOFTPLUS_ACCURACY_STRICT = 0,  /**< the default: every kernel within its documented bound (<= 1 ULP) */
    SOFTPLUS_ACCURACY_FAST = 1     /**< f32 kernels within 4 ULP, for speed (forward and backward, every
                                      beta and threshold, the bound of "Accuracy" above with B = 4).
                                      f64 stays strict: its kernels are the strict ones in both tiers.
                                      Kernel sets without fast f32 kernels (scalar, sse41) run their
                                      strict ones. */
} softplus_accuracy;

/** y = softplus(x; beta, threshold), elementwise over a tensor of the given shape.
 * @param ndim       number of dimensions, 0..SOFTPLUS_MAX_NDIM (0: one element)
 * @param shape      ndim sizes; may be NULL only when ndim = 0
 * @param x,y        base pointers of the input and output views
 * @param x_strides,y_strides  ndim element strides each, or NULL for C-contiguous
 * @param beta       finite, non-zero
 * @param threshold  any value but NaN; +INFINITY disables the linear branch
 * @return SOFTPLUS_OK, or an error status having written nothing. y may be the same view as x. */
SOFTPLUS_API softplus_status softplus_forward_f32(size_t ndim, const size_t *shape,
                                                  const float *x, const ptrdiff_t *x_strides,
                                                  float *y, const ptrdiff_t *y_strides,
                                                  float beta, float threshold);

/** The same in double precision. */
SOFTPLUS_API softplus_status softplus_forward_f64(size_t ndim, const size_t *shape,
                                                  const double *x, const ptrdiff_t *x_strides,
                                                  double *y, const ptrdiff_t *y_strides,
                                                  double beta, double threshold);

/** dx = dy * d/dx softplus(x; beta, threshold) = dy * sigmoid(beta*x), or dy where fl(beta*x) > threshold.
 * dy, x and dx share one shape; each has its own strides (NULL: C-contiguous). dx may be the same view
 * as dy or as x (or both). Statuses as for the forward functions. */
SOFTPLUS_API softplus_status softplus_backward_f32(size_t ndim, const size_t *shape,
                                                   const float *dy, const ptrdiff_t *dy_strides,
                                                   const float *x, const ptrdiff_t *x_strides,
                                                   float *dx, const ptrdiff_t *dx_strides,
                                                   float beta, float threshold);

/** The same in double precision. */
SOFTPLUS_API softplus_status softplus_backward_f64(size_t ndim, const size_t *shape,
                                                   const double *dy, const ptrdiff_t *dy_strides,
                                                   const double *x, const ptrdiff_t *x_strides,
                                                   double *dx, const ptrdiff_t *dx_strides,
                                                   double beta, double threshold);

/* ---- release 1.1 (version node SOFTPLUS_1.1) -------------------------------------------------------
 * With z = beta*x (the exact product, as above; fl(beta*x) the product rounded to the tensor's precision)
 * and s(z) = sigmoid(z). Each function takes the same shape and stride conventions, statuses and NaN
 * policy (a NaN input gives that NaN quieted, the first tensor's NaN when both are NaN) as backward; the
 * output may be the same view as any input. Accuracy: within 1 ULP of the exact value for a unit
 * multiplier (g = 1, dy = 1), and for any multiplier the multiplier times the unit result rounded once,
 * as backward's contract above; README.md has the per-set figures. */

/** The second derivative applied to a gradient: out = g * beta * s(z) * (1 - s(z)), or +0 where
 * fl(beta*x) > threshold (the derivative of backward's linear branch). This is PyTorch's
 * softplus_double_backward(g, x, beta, threshold), which autograd calls with g = ggI * grad_output to get
 * the gradient of backward with respect to x. Computed as s(z) s(-z) = t/(1+t)^2, t = exp(-|z|), accurate
 * down to the underflow (where s rounds to 1 and s(1 - s) would be 0); zero only where fl(beta*x) >
 * threshold, so at fl(beta*x) == threshold it is the true second derivative, consistent with backward.
 * x = +-inf gives g * 0 (NaN for an infinite g); a second derivative that underflows for a finite x
 * leaves an infinite g infinite. */
SOFTPLUS_API softplus_status softplus_double_backward_f32(size_t ndim, const size_t *shape,
                                                          const float *g, const ptrdiff_t *g_strides,
                                                          const float *x, const ptrdiff_t *x_strides,
                                                          float *out, const ptrdiff_t *out_strides,
                                                          float beta, float threshold);

/** The same in double precision. */
SOFTPLUS_API softplus_status softplus_double_backward_f64(size_t ndim, const size_t *shape,
                                                          const double *g, const ptrdiff_t *g_strides,
                                                          const double *x, const ptrdiff_t *x_strides,
                                                          double *out, const ptrdiff_t *out_strides,
                                                          double beta, double threshold);

/** The inverse of softplus: x = y where fl(beta*y) > threshold, else y + log(-expm1(-beta*y)) / beta
 * (= log(expm1(beta*y)) / beta), so that forward(inverse(y)) = y for every y in the range of softplus.
 * beta*y < 0 (outside the range) gives NaN (the default quiet NaN); y = +-0 gives the limit -inf/beta
 * (-inf for beta > 0); y = +-inf with beta*y = +inf gives y. Evaluated without overflow and without
 * cancellation: near y = ln2/beta (x = 0) and at the small-y end (x ~ log(beta*y)/beta) alike. */
SOFTPLUS_API softplus_status softplus_inverse_f32(size_t ndim, const size_t *shape,
                                                  const float *y, const ptrdiff_t *y_strides,
                                                  float *x, const ptrdiff_t *x_strides,
                                                  float beta, float threshold);

/** The same in double precision. */
SOFTPLUS_API softplus_status softplus_inverse_f64(size_t ndim, const size_t *shape,
                                                  const double *y, const ptrdiff_t *y_strides,
                                                  double *x, const ptrdiff_t *x_strides,
                                                  double beta, double threshold);

/** The gradient with respect to beta, elementwise (reduce over the elements that share a beta):
 * dbeta = dy * d softplus(x; beta)/d beta = dy * (z s(z) - softplus(z)) / beta^2, or +0 where
 * fl(beta*x) > threshold. Evaluated as -dy * (|z| s(-|z|) + log1p(exp(-|z|))) / beta^2: two terms of
 * one sign, no cancellation, no overflow for any finite beta. x = +-inf gives dy * 0 (the limit; NaN for
 * an infinite dy); x = 0 gives -dy * ln2 / beta^2. */
SOFTPLUS_API softplus_status softplus_backward_beta_f32(size_t ndim, const size_t *shape,
                                                        const float *dy, const ptrdiff_t *dy_strides,
                                                        const float *x, const ptrdiff_t *x_strides,
                                                        float *dbeta, const ptrdiff_t *dbeta_strides,
                                                        float beta, float threshold);

/** The same in double precision. */
SOFTPLUS_API softplus_status softplus_backward_beta_f64(size_t ndim, const size_t *shape,
                                                        const double *dy, const ptrdiff_t *dy_strides,
                                                        const double *x, const ptrdiff_t *x_strides,
                                                        double *dbeta, const ptrdiff_t *dbeta_strides,
                                                        double beta, double threshold);

/* ---- bfloat16 and float16 (release 1.1, SOFTPLUS_1.1) ------------------------------------------------
 * Every function above for tensors of bfloat16 (softplus_<op>_bf16) and IEEE binary16 (softplus_<op>_f16)
 * elements, passed as their bit patterns in uint16_t so that the ABI needs no compiler support for half
 * types; beta and threshold are float. Semantics as PyTorch's for reduced floating types: each input is
 * widened to float (exactly), the branch is fl32(beta*x) > threshold (fl32(beta*y) for the inverse), and
 * the result is the exact function of the widened inputs rounded once to the storage type, to nearest
 * even: correctly rounded, every op, every input, every beta and threshold (for the binary ops the
 * exact product dy*s(z) rounded once, never through a float). f16 subnormals and overflow to infinity
 * are exact; a NaN input gives a quiet NaN with its sign and top payload bits (the NaN policy above);
 * the branch results (x, dy, y, +0) are the input bits. Same statuses, shapes, strides (in elements)
 * and in-place rules as the float functions; alignment of 2 bytes. */
/** A bfloat16 value as its bit pattern: sign, 8 exponent bits, 7 fraction bits (the top half of a float). */
typedef uint16_t softplus_bf16;
/** An IEEE 754 binary16 value as its bit pattern: sign, 5 exponent bits, 10 fraction bits. */
typedef uint16_t softplus_f16;

/** softplus_forward_f32 on bfloat16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_forward_bf16(size_t ndim, const size_t *shape,
                                                   const softplus_bf16 *x, const ptrdiff_t *x_strides,
                                                   softplus_bf16 *y, const ptrdiff_t *y_strides,
                                                   float beta, float threshold);

/** softplus_backward_f32 on bfloat16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_backward_bf16(size_t ndim, const size_t *shape,
                                                    const softplus_bf16 *dy, const ptrdiff_t *dy_strides,
                                                    const softplus_bf16 *x, const ptrdiff_t *x_strides,
                                                    softplus_bf16 *dx, const ptrdiff_t *dx_strides,
                                                    float beta, float threshold);

/** softplus_double_backward_f32 on bfloat16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_double_backward_bf16(size_t ndim, const size_t *shape,
                                                           const softplus_bf16 *g, const ptrdiff_t *g_strides,
                                                           const softplus_bf16 *x, const ptrdiff_t *x_strides,
                                                           softplus_bf16 *out, const ptrdiff_t *out_strides,
                                                           float beta, float threshold);

/** softplus_inverse_f32 on bfloat16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_inverse_bf16(size_t ndim, const size_t *shape,
                                                   const softplus_bf16 *y, const ptrdiff_t *y_strides,
                                                   softplus_bf16 *x, const ptrdiff_t *x_strides,
                                                   float beta, float threshold);

/** softplus_backward_beta_f32 on bfloat16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_backward_beta_bf16(size_t ndim, const size_t *shape,
                                                         const softplus_bf16 *dy, const ptrdiff_t *dy_strides,
                                                         const softplus_bf16 *x, const ptrdiff_t *x_strides,
                                                         softplus_bf16 *dbeta, const ptrdiff_t *dbeta_strides,
                                                         float beta, float threshold);

/** softplus_forward_f32 on float16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_forward_f16(size_t ndim, const size_t *shape,
                                                  const softplus_f16 *x, const ptrdiff_t *x_strides,
                                                  softplus_f16 *y, const ptrdiff_t *y_strides,
                                                  float beta, float threshold);

/** softplus_backward_f32 on float16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_backward_f16(size_t ndim, const size_t *shape,
                                                   const softplus_f16 *dy, const ptrdiff_t *dy_strides,
                                                   const softplus_f16 *x, const ptrdiff_t *x_strides,
                                                   softplus_f16 *dx, const ptrdiff_t *dx_strides,
                                                   float beta, float threshold);

/** softplus_double_backward_f32 on float16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_double_backward_f16(size_t ndim, const size_t *shape,
                                                          const softplus_f16 *g, const ptrdiff_t *g_strides,
                                                          const softplus_f16 *x, const ptrdiff_t *x_strides,
                                                          softplus_f16 *out, const ptrdiff_t *out_strides,
                                                          float beta, float threshold);

/** softplus_inverse_f32 on float16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_inverse_f16(size_t ndim, const size_t *shape,
                                                  const softplus_f16 *y, const ptrdiff_t *y_strides,
                                                  softplus_f16 *x, const ptrdiff_t *x_strides,
                                                  float beta, float threshold);

/** softplus_backward_beta_f32 on float16 tensors, correctly rounded. */
SOFTPLUS_API softplus_status softplus_backward_beta_f16(size_t ndim, const size_t *shape,
                                                        const softplus_f16 *dy, const ptrdiff_t *dy_strides,
                                                        const softplus_f16 *x, const ptrdiff_t *x_strides,
                                                        softplus_f16 *dbeta, const ptrdiff_t *dbeta_strides,
                                                        float beta, float threshold);

/** A short English description of a status, for example "beta must be finite and non-zero,
 * threshold must not be NaN, an accuracy must be a tier" for SOFTPLUS_ERR_PARAM. Never NULL: an unknown value gives
 * "unknown status". The string is static. */
SOFTPLUS_API const char *softplus_status_string(softplus_status status);

/** The library's runtime version, "MAJOR.MINOR.PATCH" (compare with the SOFTPLUS_VERSION_* macros to
 * detect a header/library mismatch). Static, never NULL. */
SOFTPLUS_API const char *softplus_version_string(void);

/** The kernel set that calls use now (never SOFTPLUS_ISA_AUTO). Resolves it on first use. */
SOFTPLUS_API softplus_isa softplus_active_isa(void);

/** 1 when the kernel set for isa is compiled into this library and this CPU (and OS) can run it, else 0.
 * SOFTPLUS_ISA_AUTO and SOFTPLUS_ISA_SCALAR always give 1; unknown values give 0. */
SOFTPLUS_API int softplus_isa_supported(softplus_isa isa);

/** Make isa the active kernel set for every thread, from the next call on. SOFTPLUS_ISA_AUTO selects the
 * best supported set again (SOFTPLUS_ISA in the environment is not consulted again). Returns
 * SOFTPLUS_ERR_UNSUPPORTED, changing nothing, when softplus_isa_supported(isa) is 0. */
SOFTPLUS_API softplus_status softplus_set_isa(softplus_isa isa);

/** "auto", "scalar", "sse41", "avx2", "avx512" or "neon"; "unknown" for other values. Static, never NULL. */
SOFTPLUS_API const char *softplus_isa_name(softplus_isa isa);

/** Make accuracy the tier of every thread's calls from the next call on (since 1.1). Thread-safe,
 * lock-free; SOFTPLUS_ACCURACY in the environment is not consulted again. Returns SOFTPLUS_ERR_PARAM,
 * changing nothing, when accuracy is not a softplus_accuracy value. */
SOFTPLUS_API softplus_status softplus_set_accuracy(softplus_accuracy accuracy);

/** The tier calls use now (since 1.1): SOFTPLUS_ACCURACY_STRICT unless softplus_set_accuracy or the
 * environment (SOFTPLUS_ACCURACY=fast) chose SOFTPLUS_ACCURACY_FAST. Resolves it on first use. */
SOFTPLUS_API softplus_accuracy softplus_accuracy_mode(void);

/* Threads (since 1.1)
 * -------------------
 * By default every call runs on the caller's thread. A process may let large calls run on several
 * threads: the library's own pool (softplus_set_num_threads, or SOFTPLUS_NUM_THREADS in the environment,
 * read once together with SOFTPLUS_ISA), or the host's executor (softplus_set_parallel_for), so that a
 * framework keeps softplus on its own threads instead of adding more. A call splits its tensor only
 * when it has at least 2^18 elements (two tasks of 2^17: below that, waking a thread costs more than it
 * saves; README.md "Threads" has the measurements); smaller calls never read these settings. The split
 * follows the output's outer dimensions (each task writes whole runs of its memory; a tensor with too few
 * outer indices is split along its inner run), and every op, dtype and layout gives the same bits as a
 * serial call, whatever the thread count or executor. Arguments are validated on the caller's thread
 * before any task starts, with the same statuses; every task computes in the default floating-point
 * control state of "Floating-point environment" above, on whichever thread runs it, and leaves that
 * thread's errno and control modes as it found them. A call made while one of the library's tasks runs
 * on the thread (from a host executor's task, for example) or while the thread waits for a call's tasks
 * runs serially: no deadlock, no nested oversubscription. A call reads the settings once when it starts:
 * a setter racing it changes the next call, never a call in progress. The setters are thread-safe and
 * may be called at any time.
 *
 * The pool makes its threads on the first call that needs them, parks them on a condition variable
 * between calls (an idle pool uses no CPU), and releases them when the library is unloaded (dlclose)
 * or the process exits. A child process made by fork() starts with no pool threads and makes its own
 * when it needs them. One call at a time uses the pool: a large call that finds it busy with another
 * thread's call runs serially. Where a thread cannot be created the call runs on fewer threads, down to
 * the caller's alone. */

/** A range of one call's work: task(task_ctx, begin, end) computes the elements of indices [begin, end)
 * of [0, n) (see softplus_parallel_for_fn). Callable from any thread, concurrently with other ranges of
 * the same call; every range must be run exactly once. */
typedef void (*softplus_task_fn)(void *task_ctx, size_t begin, size_t end);

/** A host's executor: run task(task_ctx, begin, end) over a partition of [0, n) into ranges of at least
 * `grain` elements (the last may be shorter) -- on any threads, in any order, the calling thread
 * included -- and return when all have finished. pool_ctx is the pointer given to
 * softplus_set_parallel_for. n >= 2 * grain >= 2 on every call the library makes. */
typedef void (*softplus_parallel_for_fn)(void *pool_ctx, size_t n, size_t grain, softplus_task_fn task,
                                         void *task_ctx);

/** The number of threads a large call uses in the built-in pool, the caller's thread included (since
 * 1.1): 1 = serial (the default), 0 = one thread per CPU in the calling thread's affinity mask (read
 * now), up to 1024. SOFTPLUS_NUM_THREADS in the environment (a decimal number, same meaning; read once
 * with SOFTPLUS_ISA, ignored when it is not a number in range) sets it before the first call; after that
 * only this function does. Returns SOFTPLUS_ERR_PARAM, changing nothing, when n > 1024. */
SOFTPLUS_API softplus_status softplus_set_num_threads(size_t n);

/** The built-in pool's thread count that a large call started now uses (since 1.1): 1 unless
 * softplus_set_num_threads or SOFTPLUS_NUM_THREADS chose another; never 0. While a host executor is set,
 * large calls go to it and this count is not used. */
SOFTPLUS_API size_t softplus_num_threads(void);

/** Make fn the executor of every large call from the next call on, whatever softplus_num_threads
 * says (since 1.1): the library calls fn(pool_ctx, n, grain, task, task_ctx) on the caller's thread
 * and returns when fn has returned. fn NULL goes back to the built-in pool (pool_ctx is then ignored).
 * Returns SOFTPLUS_OK. */
SOFTPLUS_API softplus_status softplus_set_parallel_for(softplus_parallel_for_fn fn, void *pool_ctx);

#ifdef __cplusplus
}
#endif

#endif /* SOFTPLUS_H */

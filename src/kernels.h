/* kernels.h -- the internal kernel contract and the kernel registry's types.
 * SPDX-License-Identifier: MIT
 *
 * A kernel computes n elements of one op on contiguous arrays and knows nothing of shapes, strides or
 * errors: the caller (src/softplus.c) has validated everything. Invariants a kernel may rely on:
 *   - n >= 1 and every pointer is valid for n elements, aligned to its element type only;
 *   - the output is either exactly an input array (in-place) or disjoint from every input, so reading
 *     element i of the inputs before writing element i of the output is always safe;
 *   - beta is finite and non-zero, threshold is not NaN.
 * A kernel must give the same result for an element whatever its position (tails included) and must
 * not touch memory outside [p, p + n) of any array.
 *
 * Names: sp_<op>_<dtype>_<isa>, e.g. sp_fwd_f32_avx2, with the tags of src/lists.h. A kernel of an op
 * with one input is fn(n, in, out, params), with two fn(n, in1, in2, out, params), inputs in the
 * public signature's order (backward: dy, x), arrays of the dtype's storage type (uint16_t bit patterns
 * for bf16 and f16), parameters in its compute type.
 */
#ifndef SP_KERNELS_H
#define SP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "lists.h"
#include "softplus.h"

/* For kernel files: the special-case path stays out of line so the fast path stays small, and the
 * vector helpers are always inlined into it. */
#if defined(__GNUC__) || defined(__clang__)
#define SP_NOINLINE __attribute__((noinline))
#define SP_INLINE static inline __attribute__((always_inline))
#define SP_UNLIKELY(c) __builtin_expect(!!(c), 0)
#define SP_ASSUME(c) ((c) ? (void)0 : __builtin_unreachable()) /* c holds: the compiler may drop what needs !c */
#define SP_STAGE_UNROLL _Pragma("GCC unroll 2")
#else
#define SP_NOINLINE
#define SP_INLINE static inline
#define SP_UNLIKELY(c) (c)
#define SP_ASSUME(c) ((void)0)
#define SP_STAGE_UNROLL
#endif
/* SP_STAGE_UNROLL precedes the stage loops of arch/softplus_loop.h and arch/softplus_half_fused.h: two
 * vectors per iteration, whose dependency chains the compiler's scheduler interleaves where the kernel
 * files are compiled with -fschedule-insns -fsched-pressure (cmake/isa.cmake, x86; GCC schedules before
 * register allocation on aarch64 by default). A vector's chain is long (an exponential, a quotient): on
 * Zen 5 the strict f32 backward ran ~19 cycles per AVX-512 vector against ~11 of FMA-pipe work, the
 * out-of-order window full of operations waiting on their chain. With the loop driver's masked stage 2 in
 * pairs (arch/softplus_loop.h), alternated in one process against the build without either (Zen 5,
 * December 2026; 4K f32 and half, 2K f64 elements; medians of 9-15 pairs), the time of: AVX-512 f32
 * forward 0.965x, backward 0.948x, second derivative 0.887x, beta gradient 0.942x, inverse 0.989x, fast
 * tier forward 0.975x and backward 0.943x; AVX2 f32 0.91-0.96x (fast forward 1.01x); SSE4.1 f32 0.91-0.98x;
 * f64 AVX-512 0.88-0.94x (inverse 1.01x), AVX2 0.86-0.99x, SSE4.1 0.87-0.97x but forward 1.04x; bf16 and
 * f16 0.94-1.03x. The scheduler's flag without unrolling gave the f32 backward nothing (1.00x); unrolled
 * without the flag, f64 was level (0.99-1.01x). Four vectors per iteration on AVX-512 gained 2-3.5% in
 * three ops, nothing in the others, for 4% more library. The bits do not change (digests). */

/* A SIMD kernel file's body of op `name` (its inline name##_modes: the mode dispatch and the loop driver,
 * arch/softplus_loop.h) split by size: a call shorter than one vector (SP_LOOP_W, defined by the file) runs
 * name##_few and the rest name##_many, each the same body with SP_ASSUME on n, so that a short call runs
 * none of the block loops' set-up (their 5 KiB frame of buffers, three more saved registers) and fetches a
 * smaller function. The same driver, so the same bits. Alternated at n = 1 through the API (Intel Xeon,
 * December 2026; the AVX-512 set runs f32 calls below 8 elements on the AVX2 kernel): f32 forward 0.93-1.01x
 * the time, backward 0.91-0.95x, AVX-512 and AVX2; at 20 and 4096 elements 0.99-1.01x (noise).
 * SP_KERNEL_BY_SIZE_1 for ops of one input (T *in), _2 for two (in1, in2); P the parameter struct. */
#define SP_KERNEL_BY_SIZE_(name, params, args)                                                       \
    static SP_NOINLINE void name##_few params                                                        \
    {                                                                                                \
        SP_ASSUME(n < SP_LOOP_W);                                                                    \
        name##_modes args;                                                                           \
    }                                                                                                \
    static SP_NOINLINE void name##_many params                                                       \
    {                                                                                                \
        SP_ASSUME(n >= SP_LOOP_W);                                                                   \
        name##_modes args;                                                                           \
    }                                                                                                \
    SP_INLINE void name params                                                                       \
    {                                                                                                \
        if (n < SP_LOOP_W)                                                                           \
            name##_few args;                                                                         \
        else                                                                                         \
            name##_many args;                                                                        \
    }
#define SP_KERNEL_BY_SIZE_1(name, T, P)                                                              \
    SP_KERNEL_BY_SIZE_(name, (size_t n, const T *in, T *out, const P *p), (n, in, out, p))
#define SP_KERNEL_BY_SIZE_2(name, T, P)                                                              \
    SP_KERNEL_BY_SIZE_(name, (size_t n, const T *in1, const T *in2, T *out, const P *p), (n, in1, in2, out, p))

/* Asks for the cache line SP_PREFETCH_BYTES beyond address p, for reading. The address is computed as an
 * integer, so it may lie beyond the array (a prefetch never faults and reads nothing the program sees).
 * The vector loops (arch/softplus_loop.h, arch/softplus_half_fused.h) prefetch their inputs so in calls of
 * at least SP_LOOP_PREFETCH_FROM bytes per input: a kernel file may set it (AVX-512: 0, every call), else
 * SP_PREFETCH_FROM_DEFAULT. Measurements: arch/softplus_loop.h. */
#if defined(__GNUC__) || defined(__clang__)
#define SP_PREFETCH_AHEAD(p) __builtin_prefetch((const void *)((uintptr_t)(p) + SP_PREFETCH_BYTES))
#else
#define SP_PREFETCH_AHEAD(p) ((void)(p))
#endif
#define SP_PREFETCH_BYTES 4096
#define SP_PREFETCH_FROM_DEFAULT ((size_t)1 << 20)
/* Outputs of at least this many bytes (beyond a core's share of the last-level cache) are written with
 * non-temporal stores where the code has them: the x86 loop drivers (arch/softplus_loop.h, the half formats'
 * arch/softplus_half_fused.h) and the transposed tiles' rows (strided.c). An ordinary store first reads its
 * line: 12 bytes move per f32 element instead of 8. */
#define SP_STREAM_FROM_BYTES ((size_t)16 << 20)
/* Whether a loop over n elements of elem_bytes each writes out with non-temporal stores (SP_STREAM_FROM_BYTES
 * or more, out element-aligned); if so *aligned gets the index of out's first vector_bytes-aligned element, where
 * the aligned vectors start (the loop runs the elements before it as a partial vector). */
SP_INLINE int sp_stream_this_call(const void *out, size_t n, size_t elem_bytes, size_t vector_bytes, size_t *aligned)
{
    if (n < SP_STREAM_FROM_BYTES / elem_bytes || (uintptr_t)out % elem_bytes != 0)
        return 0;
    *aligned = (vector_bytes - (uintptr_t)out % vector_bytes) % vector_bytes / elem_bytes;
    return 1;
}
/* Whether a loop over n elements of elem_bytes each prefetches: n * elem_bytes >= from (from 0: every call,
 * a constant the compiler folds, so that no loop without the prefetches is compiled for it) */
SP_INLINE int sp_prefetch_this_call(size_t n, size_t elem_bytes, size_t from)
{
    return from == 0 || n >= from / elem_bytes;
}
/* Vectors of vector_bytes per 64-byte line (at least 1): a loop prefetches on the first of each line's worth */
#define SP_PREFETCH_LINE_VECS(vector_bytes) ((vector_bytes) >= 64 ? 1 : 64 / (vector_bytes))

/* beta and threshold in the compute type: sp_params_f32, sp_params_f64. */
#define SP_PARAMS_TYPE(ctx, tag, TAG, storage, size, compute, ctag)                                  \
    typedef struct sp_params_##tag {                                                                 \
        compute beta;                                                                                \
        compute threshold;                                                                           \
    } sp_params_##tag;
SP_DTYPES(SP_PARAMS_TYPE, ~)
#undef SP_PARAMS_TYPE

typedef enum sp_op {
#define SP_OP_ENUM(ctx, tag, TAG, public, inputs) SP_OP_##TAG,
    SP_OPS(SP_OP_ENUM, ~)
#undef SP_OP_ENUM
    SP_OP_COUNT
} sp_op;

typedef enum sp_dtype {
#define SP_DTYPE_ENUM(ctx, tag, TAG, storage, size, compute, ctag) SP_DTYPE_##TAG,
    SP_DTYPES(SP_DTYPE_ENUM, ~)
#undef SP_DTYPE_ENUM
    SP_DTYPE_COUNT
} sp_dtype;

/* The accuracy tiers of src/lists.h, indexed by their public softplus_accuracy values. */
#define SP_ACCURACY_ONE(ctx, tag, TAG, suffix) +1
enum { SP_ACCURACY_COUNT = 0 SP_ACCURACIES(SP_ACCURACY_ONE, ~) };
#undef SP_ACCURACY_ONE

/* Typed kernel prototypes, declared for every (op, dtype, ISA, accuracy tier) of the lists; only the
 * kernel files a build compiles define theirs (cmake/isa.cmake), and only those are referenced
 * (registry.c). */
#define SP_KERNEL_PROTO_1(name, T, P) void name(size_t n, const T *in, T *out, const P *p);
#define SP_KERNEL_PROTO_2(name, T, P) void name(size_t n, const T *in1, const T *in2, T *out, const P *p);
#define SP_KERNEL_PROTO_TIER(c, atag, ATAG, suffix) SP_KERNEL_PROTO_TIER_X(SP_UNPACK c, suffix)
#define SP_KERNEL_PROTO_TIER_X(...) SP_KERNEL_PROTO_TIER_(__VA_ARGS__) /* SP_CALL is busy one level up */
#define SP_KERNEL_PROTO_TIER_(isa, dtag, compute, ctag, otag, inputs, suffix)                        \
    SP_KERNEL_PROTO_##inputs(sp_##otag##_##dtag##_##isa##suffix, compute, sp_params_##ctag)
#define SP_KERNEL_PROTO(isa, dtag, compute, ctag, otag, inputs)                                      \
    SP_ACCURACIES(SP_KERNEL_PROTO_TIER, (isa, dtag, compute, ctag, otag, inputs))
#define SP_KERNEL_PROTO_OP(c, otag, OTAG, public, inputs) SP_CALL(SP_KERNEL_PROTO, SP_UNPACK c, otag, inputs)
#define SP_KERNEL_PROTO_DTYPE(isa, dtag, DTAG, storage, size, compute, ctag)                         \
    SP_OPS(SP_KERNEL_PROTO_OP, (isa, dtag, storage, ctag))
#define SP_KERNEL_PROTO_ISA(ctx, isa, ISA, fallback, priority, features) SP_DTYPES(SP_KERNEL_PROTO_DTYPE, isa)
SP_ISAS(SP_KERNEL_PROTO_ISA, ~)

/* The strided engine's view of a kernel: ptrs[0] the output, ptrs[1..] the inputs in the public
 * order; params points to the dtype's sp_params_<ctag>. */
typedef void (*sp_run_fn)(size_t n, void *const *ptrs, const void *params);

/* One entry of the registry: what runs for (accuracy, op, dtype) in one ISA's kernel set. */
typedef struct sp_kernel {
    sp_run_fn run;        /* (AVX-512 f32: calls under 8 elements run AVX2's kernel, the same bits; registry.c) */
    const char *name;     /* the kernel that really runs, e.g. "sp_fwd_f64_avx2", "sp_fwd_f32_avx2_fast" */
    softplus_isa origin;  /* the ISA whose code it is: not the set's own ISA after a fallback fill */
    softplus_accuracy tier; /* the tier whose code it is: strict where a tier has no kernel of its own */
    double max_ulp;       /* documented worst error for beta = 1 (the tests enforce it) */
    double max_ulp_beta;  /* ... and for any other beta (rounding beta*x, dividing by beta) */
} sp_kernel;

/* One instruction set's kernels, complete, per accuracy tier: an entry the ISA has no kernel file for
 * holds its fallback's (src/lists.h), a tier's entry without a kernel of that tier the strict one. */
typedef struct sp_kernel_set {
    softplus_isa isa;
    const char *name; /* the ISA's tag */
    sp_kernel k[SP_ACCURACY_COUNT][SP_OP_COUNT][SP_DTYPE_COUNT];
} sp_kernel_set;

/* Worst errors in ULP that the tests enforce, per kernel file: SP_MAX_ULP_<DTYPE>_<ISA> for beta = 1
 * and SP_MAX_ULP_BETA_<DTYPE>_<ISA> for any other beta (where rounding beta*x and dividing by beta
 * cost something). Forward is measured against the exact function, backward as dx against
 * dy*sigmoid(beta*x) exactly; release 1.1's ops against theirs (the second derivative and the beta
 * gradient with a unit multiplier, the inverse against log(expm1(beta*y))/beta), within the same bound
 * as the file's forward and backward: 1.0 everywhere they have kernels (the scalar reference, the
 * f32 FMA files and the f64 FMA files, the inverse included, and the SSE4.1 f64 file's three), 0.75
 * for the SSE4.1 f32 file's three (measured worst cases in README.md, arch/softplus_f32_fma_algorithm.h,
 * arch/softplus_f64_fma_algorithm.h, arch/x86/softplus_f32_sse41.c and arch/x86/softplus_f64_sse41.c).
 * A kernel file's header states what it measured; these are the contract, and a kernel that cannot meet
 * one says so in its issue rather than loosening it.
 * The registry (registry.c) carries them into each sp_kernel. */
/* A kernel of another tier than strict has its own pair, SP_MAX_ULP_<DTYPE>_<ISA>_<TIER>. */
#define SP_MAX_ULP_F32_SCALAR 1.0
#define SP_MAX_ULP_BETA_F32_SCALAR 1.0
#define SP_MAX_ULP_F64_SCALAR 1.0
#define SP_MAX_ULP_BETA_F64_SCALAR 1.0

#define SP_MAX_ULP_F32_SSE41 0.75
#define SP_MAX_ULP_BETA_F32_SSE41 0.75
#define SP_MAX_ULP_F64_SSE41 1.0
#define SP_MAX_ULP_BETA_F64_SSE41 1.0

#define SP_MAX_ULP_F32_AVX2 1.0
#define SP_MAX_ULP_BETA_F32_AVX2 1.0
#define SP_MAX_ULP_F64_AVX2 1.0
#define SP_MAX_ULP_BETA_F64_AVX2 1.0

#define SP_MAX_ULP_F32_AVX512 1.0
#define SP_MAX_ULP_BETA_F32_AVX512 1.0
#define SP_MAX_ULP_F64_AVX512 1.0
#define SP_MAX_ULP_BETA_F64_AVX512 1.0

/* The fast tier (f32, the FMA sets; arch/softplus_f32_fast_algorithm.h): the 4 ULP contract. */
#define SP_MAX_ULP_F32_AVX2_FAST 4.0
#define SP_MAX_ULP_BETA_F32_AVX2_FAST 4.0
#define SP_MAX_ULP_F32_AVX512_FAST 4.0
#define SP_MAX_ULP_BETA_F32_AVX512_FAST 4.0
#define SP_MAX_ULP_F32_NEON_FAST 4.0
#define SP_MAX_ULP_BETA_F32_NEON_FAST 4.0

/* The half dtypes (arch/softplus_half_kernels.h): correctly rounded, every ISA, every op. */
#define SP_MAX_ULP_BF16_SCALAR 0.5
#define SP_MAX_ULP_BETA_BF16_SCALAR 0.5
#define SP_MAX_ULP_F16_SCALAR 0.5
#define SP_MAX_ULP_BETA_F16_SCALAR 0.5
#define SP_MAX_ULP_BF16_SSE41 0.5
#define SP_MAX_ULP_BETA_BF16_SSE41 0.5
#define SP_MAX_ULP_F16_SSE41 0.5
#define SP_MAX_ULP_BETA_F16_SSE41 0.5
#define SP_MAX_ULP_BF16_AVX2 0.5
#define SP_MAX_ULP_BETA_BF16_AVX2 0.5
#define SP_MAX_ULP_F16_AVX2 0.5
#define SP_MAX_ULP_BETA_F16_AVX2 0.5
#define SP_MAX_ULP_BF16_AVX512 0.5
#define SP_MAX_ULP_BETA_BF16_AVX512 0.5
#define SP_MAX_ULP_F16_AVX512 0.5
#define SP_MAX_ULP_BETA_F16_AVX512 0.5
#define SP_MAX_ULP_BF16_NEON 0.5
#define SP_MAX_ULP_BETA_BF16_NEON 0.5
#define SP_MAX_ULP_F16_NEON 0.5
#define SP_MAX_ULP_BETA_F16_NEON 0.5

/* The half formats' cheap forward (arch/softplus_half_fused.h, beta = 1; bf16's a degree cheaper, its
 * window holding the wider bound): its bound in ULP of the float result, which sets the near window;
 * tests/accuracy/test_half_cheap.c asserts it at every finite float. sp_half_cheap_fwd_<isa>: the format's
 * evaluation (f16 nonzero: f16's) on n floats (n a multiple of the vector width), for the test. */
#define SP_HALF_CHEAP_ULP_BF16 28.0
#define SP_HALF_CHEAP_ULP_F16 6.5
void sp_half_cheap_fwd_avx2(int f16, size_t n, const float *x, float *y);
void sp_half_cheap_fwd_avx512(int f16, size_t n, const float *x, float *y);
void sp_half_cheap_fwd_neon(int f16, size_t n, const float *x, float *y);
/* The cheap backward (beta = 1): its bound in ULP of the float dx at dy = 1, which sets the window of
 * the product dy*s as the fast tier's does; sp_half_cheap_bwd_<isa>: dx at dy = 1 of n floats, for the
 * same test. */
#define SP_HALF_CHEAP_BWD_ULP_BF16 6.5
#define SP_HALF_CHEAP_BWD_ULP_F16 4.0
void sp_half_cheap_bwd_avx2(int f16, size_t n, const float *x, float *y);
void sp_half_cheap_bwd_avx512(int f16, size_t n, const float *x, float *y);
void sp_half_cheap_bwd_neon(int f16, size_t n, const float *x, float *y);
/* The fused loop's own evaluations of the second derivative, the beta gradient and the inverse (any beta
 * of the fast tier's vector range; each with a cheaper one for bf16, whose window is a power of two of steps,
 * 64 for a bound up to 13 ULP for the second derivative and 14 for the beta gradient, 32 for one below 15 for
 * the inverse): their bounds in ULP of the float result at a unit multiplier, which set the windows
 * (arch/softplus_half_fused.h, "the near windows"); sp_half_cheap_op_<isa>: the format's
 * evaluation (f16 nonzero: f16's) of op (SP_OP_DBWD, SP_OP_BBETA or SP_OP_INV) at a unit multiplier of n
 * floats at that beta, threshold inf, for the same test. */
#define SP_HALF_CHEAP_DBWD_ULP_F16 3.5
#define SP_HALF_CHEAP_DBWD_ULP_BF16 7.0
#define SP_HALF_CHEAP_BBETA_ULP_F16 4.0
#define SP_HALF_CHEAP_BBETA_ULP_BF16 7.0
#define SP_HALF_CHEAP_INV_ULP_F16 3.5
#define SP_HALF_CHEAP_INV_ULP_BF16 8.0
void sp_half_cheap_op_avx2(int f16, int op, float beta, size_t n, const float *x, float *y);
void sp_half_cheap_op_avx512(int f16, int op, float beta, size_t n, const float *x, float *y);
void sp_half_cheap_op_neon(int f16, int op, float beta, size_t n, const float *x, float *y);

/* The block driver's f16 conversions in vector code (arch/x86/softplus_half_sse41_conv.h; F16C's,
 * arch/x86/softplus_half_f16c.h, in the avx2 and avx512 sets), for tests/accuracy/test_half_conv.c:
 * sp_half_conv_widen_f16_<isa> widens n patterns, sp_half_conv_narrow_f16_<isa> rounds m floats to f16 into
 * out and sets flag[j] to 1 where y[j] is within e float steps of a rounding boundary, else 0 (returns
 * whether any is); the bits of the portable functions (sp_f32_of_f16, sp_f16_of_f32, sp_f16_near), but
 * for F16C's widening of a signalling NaN, which comes out quiet. */
void sp_half_conv_widen_f16_sse41(float *dst, const uint16_t *src, size_t n);
void sp_half_conv_widen_f16_avx2(float *dst, const uint16_t *src, size_t n);
void sp_half_conv_widen_f16_avx512(float *dst, const uint16_t *src, size_t n);
uint32_t sp_half_conv_narrow_f16_sse41(uint16_t *out, uint8_t *flag, const float *y, size_t m, uint32_t e);
uint32_t sp_half_conv_narrow_f16_avx2(uint16_t *out, uint8_t *flag, const float *y, size_t m, uint32_t e);
uint32_t sp_half_conv_narrow_f16_avx512(uint16_t *out, uint8_t *flag, const float *y, size_t m, uint32_t e);

#define SP_MAX_ULP_F32_NEON 1.0
#define SP_MAX_ULP_BETA_F32_NEON 1.0
#define SP_MAX_ULP_F64_NEON 1.0
#define SP_MAX_ULP_BETA_F64_NEON 1.0

#endif /* SP_KERNELS_H */

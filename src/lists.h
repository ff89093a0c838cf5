/* lists.h -- the axes of the library: instruction sets, ops, dtypes and accuracy tiers, each listed once.
 * SPDX-License-Identifier: MIT
 *
 * Every place that enumerates an axis expands one of these X-macro lists: the kernel declarations and
 * the registry (kernels.h, registry.c), dispatch, the public entry points (softplus.c), the tests, the
 * fuzzer and the benchmark; cmake/isa.cmake reads SP_ISAS for the fallback chain. Adding an entry is
 * one line here plus the code that is really new (src/README.md says what that is per axis).
 * Each list takes X and a context argument passed through as X's first argument, so that lists nest
 * (SP_OPS(X, ctx) inside the expansion of SP_DTYPES(Y, ...)); pass ~ when there is no context.
 *
 * SP_ISAS: X(ctx, tag, TAG, fallback, priority, features)
 *   tag        the name everywhere: kernel suffix (sp_fwd_f32_<tag>), softplus_isa_name(), SOFTPLUS_ISA
 *   TAG        SOFTPLUS_ISA_<TAG>, the public enum value (include/softplus.h; released values never change)
 *   fallback   the ISA whose kernels fill a dtype that this ISA has no kernel file for; listed before it
 *   priority   automatic selection takes the supported ISA with the highest priority
 *   features   SP_CPU_* bits (dispatch.c) that the CPU and the OS must provide */
#ifndef SP_LISTS_H
#define SP_LISTS_H

#define SP_ISAS(X, ctx)                                                                              \
    X(ctx, scalar, SCALAR, scalar, 0, 0)                                                             \
    X(ctx, sse41, SSE41, scalar, 1, SP_CPU_SSE41)                                                    \
    X(ctx, avx2, AVX2, sse41, 2, SP_CPU_SSE41 | SP_CPU_AVX2_FMA)                                     \
    X(ctx, avx512, AVX512, avx2, 3, SP_CPU_SSE41 | SP_CPU_AVX2_FMA | SP_CPU_AVX512)                  \
    X(ctx, neon, NEON, scalar, 1, SP_CPU_ASIMD)

/* SP_OPS: X(ctx, tag, TAG, public, inputs)
 *   tag      kernel prefix (sp_<tag>_<dtype>_<isa>), and the op's name in tests, fuzzer and benchmark
 *   TAG      SP_OP_<TAG>, the index into a kernel set's table
 *   public   the public function is softplus_<public>_<dtype>
 *   inputs   tensor inputs in the public signature's order, 1 (x, or y for the inverse) or 2 (dy, x;
 *            g, x); the output follows them
 * Which kernel files define an op is SP_OP_IN_FILE below: an (op, dtype) that an ISA's file lacks is
 * served by the scalar reference, and the registry says so (origin scalar). */
#define SP_OPS(X, ctx)                                                                               \
    X(ctx, fwd, FWD, forward, 1)                                                                     \
    X(ctx, bwd, BWD, backward, 2)                                                                    \
    X(ctx, dbwd, DBWD, double_backward, 2)                                                           \
    X(ctx, inv, INV, inverse, 1)                                                                     \
    X(ctx, bbeta, BBETA, backward_beta, 2)

/* SP_OP_IN_FILE(otag, dtag, isa): 1 when the kernel file of (isa, dtag) defines sp_<otag>_<dtag>_<isa>,
 * else 0, as a preprocessor token (the registry picks the kernel with it). Every file defines forward and
 * backward; the ops of release 1.1 list the files that have them as SP_IN_FILE_<otag>_<dtag>_<isa> ~, 1
 * (anything not listed is 0: the scalar reference serves it). */
#define SP_IN_FILE_fwd_ ~, 1
#define SP_IN_FILE_bwd_ ~, 1
#define SP_IN_FILE_dbwd_f32_scalar ~, 1
#define SP_IN_FILE_dbwd_f64_scalar ~, 1
#define SP_IN_FILE_inv_f32_scalar ~, 1
#define SP_IN_FILE_inv_f64_scalar ~, 1
#define SP_IN_FILE_bbeta_f32_scalar ~, 1
#define SP_IN_FILE_bbeta_f64_scalar ~, 1
#define SP_IN_FILE_dbwd_f32_sse41 ~, 1
#define SP_IN_FILE_dbwd_f32_avx2 ~, 1
#define SP_IN_FILE_dbwd_f32_avx512 ~, 1
#define SP_IN_FILE_dbwd_f32_neon ~, 1
#define SP_IN_FILE_bbeta_f32_sse41 ~, 1
#define SP_IN_FILE_bbeta_f32_avx2 ~, 1
#define SP_IN_FILE_bbeta_f32_avx512 ~, 1
#define SP_IN_FILE_bbeta_f32_neon ~, 1
#define SP_IN_FILE_inv_f32_sse41 ~, 1
#define SP_IN_FILE_inv_f32_avx2 ~, 1
#define SP_IN_FILE_inv_f32_avx512 ~, 1
#define SP_IN_FILE_inv_f32_neon ~, 1
#define SP_IN_FILE_dbwd_f64_sse41 ~, 1
#define SP_IN_FILE_dbwd_f64_avx2 ~, 1
#define SP_IN_FILE_dbwd_f64_avx512 ~, 1
#define SP_IN_FILE_dbwd_f64_neon ~, 1
#define SP_IN_FILE_bbeta_f64_sse41 ~, 1
#define SP_IN_FILE_bbeta_f64_avx2 ~, 1
#define SP_IN_FILE_bbeta_f64_avx512 ~, 1
#define SP_IN_FILE_bbeta_f64_neon ~, 1
#define SP_IN_FILE_inv_f64_sse41 ~, 1
#define SP_IN_FILE_inv_f64_avx2 ~, 1
#define SP_IN_FILE_inv_f64_avx512 ~, 1
#define SP_IN_FILE_inv_f64_neon ~, 1
#define SP_SECOND_(a, b, ...) b
#define SP_SECOND(...) SP_SECOND_(__VA_ARGS__)
/* SP_IF(c, a, b): a when the token c is 1, b when it is 0 */
#define SP_IF_1(a, b) a
#define SP_IF_0(a, b) b
#define SP_IF_(c, a, b) SP_IF_##c(a, b)
#define SP_IF(c, a, b) SP_IF_(c, a, b)
#define SP_NOTHING(...)
#define SP_OR_00 0
#define SP_OR_01 1
#define SP_OR_10 1
#define SP_OR_11 1
#define SP_OR_(a, b) SP_OR_##a##b
#define SP_OR(a, b) SP_OR_(a, b)
/* A dtype whose every kernel file defines every op (the half dtypes below: one driver over the compute
 * type's kernels serves them all) says so once, SP_IN_FILE_ALL_<dtag> ~, 1. */
#define SP_IN_FILE_ALL_bf16 ~, 1
#define SP_IN_FILE_ALL_f16 ~, 1
#define SP_OP_IN_FILE(otag, dtag, isa)                                                               \
    SP_OR(SP_OR(SP_SECOND(SP_IN_FILE_##otag##_, 0, ~), SP_SECOND(SP_IN_FILE_##otag##_##dtag##_##isa, 0, ~)), \
          SP_SECOND(SP_IN_FILE_ALL_##dtag, 0, ~))

/* SP_DTYPES: X(ctx, tag, TAG, storage, size, compute, ctag)
 *   tag       suffix of the public functions and the kernels
 *   TAG       SP_DTYPE_<TAG>, the index into a kernel set's table
 *   storage   the C type of tensor elements in the public API; size = sizeof(storage) in bytes
 *   compute   the C type of beta, threshold and the kernel's arithmetic; ctag its tag (sp_params_<ctag>)
 * A dtype stored in one type and computed in another (bfloat16 and float16 as uint16_t bit patterns,
 * computed in float) has kernels of its storage type like any other, one file per ISA
 * (arch/softplus_half_kernels.h: they widen a block, run the set's float kernel, and round once to the
 * storage type, correctly); SP_STORED_AS_COMPUTED(tag) is 1 for the dtypes computed in their storage
 * type, 0 for the others, as a preprocessor token. */
#define SP_DTYPES(X, ctx)                                                                            \
    X(ctx, f32, F32, float, 4, float, f32)                                                           \
    X(ctx, f64, F64, double, 8, double, f64)                                                         \
    X(ctx, bf16, BF16, uint16_t, 2, float, f32)                                                      \
    X(ctx, f16, F16, uint16_t, 2, float, f32)
#define SP_STORED_AS_COMPUTED_f32 ~, 1
#define SP_STORED_AS_COMPUTED_f64 ~, 1
#define SP_STORED_AS_COMPUTED(tag) SP_SECOND(SP_STORED_AS_COMPUTED_##tag, 0, ~)
/* SP_DTYPES restricted to the dtypes computed in their storage type (f32, f64): what the kernel files of
 * one precision and the ULP tests enumerate. */
#define SP_STORED_DTYPES(X, ctx) SP_DTYPES(SP_STORED_DTYPE_, (X, ctx))
#define SP_STORED_DTYPE_(c, ...) SP_STORED_DTYPE_X(SP_UNPACK c, __VA_ARGS__) /* not SP_CALL: X may use it */
#define SP_STORED_DTYPE_X(...) SP_STORED_DTYPE__(__VA_ARGS__)
#define SP_STORED_DTYPE__(X, ctx, tag, ...) SP_IF(SP_STORED_AS_COMPUTED(tag), X, SP_NOTHING)(ctx, tag, __VA_ARGS__)

/* SP_ACCURACIES: X(ctx, tag, TAG, suffix)
 *   tag      the tier's name: SOFTPLUS_ACCURACY=<tag>, the tests' and the benchmark's labels
 *   TAG      SOFTPLUS_ACCURACY_<TAG>, the public enum value and the index into a kernel set's table
 *   suffix   appended to a kernel's name: sp_<op>_<dtype>_<isa><suffix> (strict: none, so the strict
 *            kernels keep their 1.0 names)
 * strict comes first: it has an entry for every (ISA, op, dtype). Another tier's entry is its own
 * kernel where the build compiles one for that ISA and dtype (cmake/isa.cmake: a kernel file
 * <dtype>_<tag>), else the strict entry of the same set, with the strict kernel's bounds. */
#define SP_ACCURACIES(X, ctx)                                                                        \
    X(ctx, strict, STRICT, )                                                                         \
    X(ctx, fast, FAST, _fast)

/* For nesting: a context that carries several values is a parenthesised tuple c, spread into a
 * call as SP_CALL(m, SP_UNPACK c, more...). */
#define SP_UNPACK(...) __VA_ARGS__
#define SP_CALL(m, ...) m(__VA_ARGS__)

#endif /* SP_LISTS_H */

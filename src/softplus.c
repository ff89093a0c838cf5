/* softplus.c -- the public entry points: validate, plan the strided walk, run the active kernels.
 * SPDX-License-Identifier: MIT
 */
#include "softplus.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dispatch.h"
#include "fpenv.h"
#include "parallel.h"
#include "registry.h"
#include "strided.h"

#define SP_STRINGIFY_(x) #x
#define SP_STRINGIFY(x) SP_STRINGIFY_(x)

/* beta finite and non-zero, threshold not NaN. Decided on the bits: no floating-point instruction may run
 * before the call switches to the default FP environment, because with the caller's exceptions unmasked
 * a compare on a signalling NaN (invalid) or a float-to-double conversion of a subnormal (denormal)
 * would trap. */
static int params_valid_f32(float beta, float threshold)
{
    uint32_t b, t;
    memcpy(&b, &beta, sizeof b);
    memcpy(&t, &threshold, sizeof t);
    b &= 0x7fffffffu;
    t &= 0x7fffffffu;
    return b != 0 && b < 0x7f800000u && t <= 0x7f800000u;
}

static int params_valid_f64(double beta, double threshold)
{
    uint64_t b, t;
    memcpy(&b, &beta, sizeof b);
    memcpy(&t, &threshold, sizeof t);
    b &= 0x7fffffffffffffffu;
    t &= 0x7fffffffffffffffu;
    return b != 0 && b < 0x7ff0000000000000u && t <= 0x7ff0000000000000u;
}

/* The checks every tensor function makes before looking at its tensors. */
static softplus_status check_call(size_t ndim, const size_t *shape, int params_valid)
{
    if (ndim > SOFTPLUS_MAX_NDIM)
        return SOFTPLUS_ERR_RANK;
    if (ndim > 0 && shape == NULL)
        return SOFTPLUS_ERR_NULL;
    if (!params_valid)
        return SOFTPLUS_ERR_PARAM;
    return SOFTPLUS_OK;
}

/* One call's work for its tasks: the plan and what runs it. Read-only while the tasks run. */
typedef struct sp_job {
    sp_plan plan;
    sp_split split;
    sp_run_fn run;
    const void *params;
    const sp_convert *convert;
    const sp_strided_copy *copy;
} sp_job;

/* Parts [begin, end) of a job (a softplus_task_fn): on any thread, in the default FP control state,
 * leaving that thread's errno and control modes as they were. */
static void run_parts(void *task_ctx, size_t begin, size_t end)
{
    const sp_job *job = task_ctx;
    if (begin >= end || end > job->split.n) /* a host executor's range outside [0, n): nothing to do */
        return;
    const int was_nested = sp_parallel_task_enter();
    const int saved_errno = errno;
    sp_fpenv caller;
    const int switched = sp_fpenv_enter(&caller);
    sp_plan part;
    sp_plan_part(&part, &job->plan, &job->split, begin, end);
    sp_plan_execute(&part, job->run, job->params, job->convert, job->copy);
    if (switched)
        sp_fpenv_leave(&caller);
    errno = saved_errno;
    sp_parallel_task_leave(was_nested);
}

/* Large calls (at least two grains of elements) on the threads the settings give, when they give more
 * than the caller's; 0 when the call is to run serially. */
static int run_in_parallel(sp_job *job, size_t count)
{
    sp_parallel parallel;
    if (count < 2 * sp_parallel_grain || !sp_parallel_begin(&parallel))
        return 0;
    /* a few parts per thread (a host's count is unknown: as many as 64 threads could use) */
    const size_t parts = parallel.host ? 64 * 4 : parallel.threads * 4;
    job->split = sp_plan_split(&job->plan, parts);
    const size_t per_index = count / job->plan.shape[job->split.dim];
    const size_t per_unit = per_index * job->split.unit;
    const size_t grain = (sp_parallel_grain + per_unit - 1) / per_unit;
    if (job->split.n < 2 * grain)
        return 0;
    sp_parallel_run(&parallel, job->split.n, grain, run_parts, job);
    return 1;
}

/* Validates the tensors, then walks them with the active set's kernel for (op, dtype), on the caller's
 * thread or, for a large call with threads enabled, in parts on several. Operand order: output, inputs.
 * The general path: strided views, and contiguous calls large enough to be split (run_call takes the
 * rest). */
static SP_NOINLINE softplus_status plan_and_run(sp_op op, sp_dtype dtype, size_t ndim, const size_t *shape,
                                                size_t noperands, size_t elem_size, void *const *bases,
                                                const ptrdiff_t *const *strides, const void *params,
                                                int all_contiguous)
{
    sp_job job;
    size_t count = 0;
    /* Every view C-contiguous (sp_strides_contiguous; the common small call): one run, no plan to build. */
    const softplus_status status =
        all_contiguous ? sp_check_contiguous(ndim, shape, noperands, elem_size, bases, &count)
                       : sp_plan_build(&job.plan, ndim, shape, noperands, elem_size, bases, strides);
    if (status != SOFTPLUS_OK || (all_contiguous ? count == 0 : job.plan.empty))
        return status;
    const sp_kernel_set *set = sp_active_kernels();
    /* the tier is read once here: one call never mixes tiers, whatever other threads set meanwhile */
    const sp_kernel *kernel = sp_kernel_of(set, sp_active_accuracy(), op, dtype);
    /* libm's exp may set errno (ERANGE on underflow); the header promises errno never changes. */
    const int saved_errno = errno;
    if (!all_contiguous)
        count = sp_plan_count(&job.plan);
    job.run = kernel->run;
    job.params = params;
    job.convert = NULL;
    if (count >= 2 * sp_parallel_grain) {
        if (all_contiguous)
            sp_plan_contiguous(&job.plan, count, noperands, elem_size, bases);
        job.copy = sp_strided_copy_for(set->isa);
        if (run_in_parallel(&job, count)) {
            errno = saved_errno;
            return status;
        }
    }
    /* The kernels' results are defined in the default FP control state (fpenv.h). */
    sp_fpenv caller;
    const int switched = sp_fpenv_enter(&caller);
    if (all_contiguous)
        job.run(count, bases, params);
    else
        sp_plan_execute(&job.plan, job.run, params, job.convert, sp_strided_copy_for(set->isa));
    if (switched)
        sp_fpenv_leave(&caller);
    errno = saved_errno;
    return status;
}

/* Whether every operand's strides (sp_strides_contiguous) lay its view out C-contiguously. Out of line: inlined
 * into run_call, its loop over the stride arrays cost a call with NULL strides 1.04-1.12x the time at n = 1. */
static SP_NOINLINE int views_contiguous(size_t ndim, const size_t *shape, size_t noperands,
                                        const ptrdiff_t *const *strides)
{
    for (size_t k = 0; k < noperands; k++)
        if (!sp_strides_contiguous(ndim, shape, strides[k]))
            return 0;
    return 1;
}

/* Every call: the common one (all views C-contiguous, too small to split: one kernel call on the
 * caller's thread) here, inlined into each public function with its operand count and element size as
 * constants, so that its checks unroll and no job is built; anything else in plan_and_run. The same
 * checks in the same order (sp_check_contiguous), the same kernel, the same FP environment and errno
 * handling: a short path, not another one. */
SP_INLINE softplus_status run_call(sp_op op, sp_dtype dtype, size_t ndim, const size_t *shape,
                                          size_t noperands, size_t elem_size, void *const *bases,
                                          const ptrdiff_t *const *strides, const void *params)
{
    int all_null = 1;
    for (size_t k = 0; k < noperands; k++)
        all_null &= strides[k] == NULL;
    size_t count = 0;
    if (!all_null && !views_contiguous(ndim, shape, noperands, strides))
        return plan_and_run(op, dtype, ndim, shape, noperands, elem_size, bases, strides, params, 0);
    const softplus_status status = sp_check_contiguous(ndim, shape, noperands, elem_size, bases, &count);
    if (status != SOFTPLUS_OK || count == 0)
        return status;
    if (count >= 2 * sp_parallel_grain) /* may be split: checked again there, cheap beside the call */
        return plan_and_run(op, dtype, ndim, shape, noperands, elem_size, bases, strides, params, 1);
    const sp_run_fn run = sp_kernel_of(sp_active_kernels(), sp_active_accuracy(), op, dtype)->run;
    const int saved_errno = errno;
    sp_fpenv caller;
    const int switched = sp_fpenv_enter(&caller);
    run(count, bases, params);
    if (switched)
        sp_fpenv_leave(&caller);
    errno = saved_errno;
    return status;
}

/* The public functions, one per (op, dtype) of src/lists.h; their prototypes, with the parameter
 * names users read, are in include/softplus.h. */
#define SP_PUBLIC_INPUTS_1(T) const T *in1, const ptrdiff_t *in1_strides,
#define SP_PUBLIC_INPUTS_2(T) const T *in1, const ptrdiff_t *in1_strides, const T *in2, const ptrdiff_t *in2_strides,
#define SP_PUBLIC_BASES_1 (void *)in1
#define SP_PUBLIC_BASES_2 (void *)in1, (void *)in2
#define SP_PUBLIC_STRIDES_1 in1_strides
#define SP_PUBLIC_STRIDES_2 in1_strides, in2_strides
#define SP_PUBLIC_(otag, OTAG, public, inputs, dtag, DTAG, T, size, C, ctag)                         \
    SOFTPLUS_API softplus_status softplus_##public##_##dtag(size_t ndim, const size_t *shape,         \
                                                            SP_PUBLIC_INPUTS_##inputs(T) T *out,      \
                                                            const ptrdiff_t *out_strides, C beta,     \
                                                            C threshold)                             \
    {                                                                                                \
        softplus_status status = check_call(ndim, shape, params_valid_##ctag(beta, threshold));      \
        if (status != SOFTPLUS_OK)                                                                   \
            return status;                                                                           \
        const sp_params_##ctag params = {beta, threshold};                                           \
        void *const bases[] = {out, SP_PUBLIC_BASES_##inputs};                                       \
        const ptrdiff_t *const strides[] = {out_strides, SP_PUBLIC_STRIDES_##inputs};                 \
        return run_call(SP_OP_##OTAG, SP_DTYPE_##DTAG, ndim, shape, 1 + (inputs), size, bases, strides, \
                        &params);                                                                    \
    }
#define SP_PUBLIC(op, dtag, DTAG, T, size, C, ctag) SP_CALL(SP_PUBLIC_, SP_UNPACK op, dtag, DTAG, T, size, C, ctag)
#define SP_PUBLIC_OP(ctx, otag, OTAG, public, inputs) SP_DTYPES(SP_PUBLIC, (otag, OTAG, public, inputs))
SP_OPS(SP_PUBLIC_OP, ~)

SOFTPLUS_API const char *softplus_status_string(softplus_status status)
{
    switch (status) {
    case SOFTPLUS_OK: return "success";
    case SOFTPLUS_ERR_NULL: return "a required pointer is NULL";
    case SOFTPLUS_ERR_RANK: return "ndim exceeds SOFTPLUS_MAX_NDIM";
    case SOFTPLUS_ERR_PARAM:
        return "beta must be finite and non-zero, threshold must not be NaN, an accuracy must be a tier";
    case SOFTPLUS_ERR_OVERFLOW: return "element count or address range does not fit";
    case SOFTPLUS_ERR_OVERLAP: return "output overlaps itself or partially overlaps an input";
    case SOFTPLUS_ERR_UNSUPPORTED: return "instruction set not compiled in or not supported by this CPU";
    }
    return "unknown status";
}

SOFTPLUS_API const char *softplus_version_string(void)
{
    return SP_STRINGIFY(SOFTPLUS_VERSION_MAJOR) "." SP_STRINGIFY(SOFTPLUS_VERSION_MINOR) "." SP_STRINGIFY(
        SOFTPLUS_VERSION_PATCH);
}

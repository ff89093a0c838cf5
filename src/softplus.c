/* softplus.c -- the public entry points: validate, plan the strided walk, run the active kernels.
 * SPDX-License-Identifier: MIT
 */
#include "softplus.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dispatch.h"
#include "fpenv.h"
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

/* Validates the tensors, then walks them with the active set's kernel for (op, dtype). Operand order:
 * output, inputs. */
static softplus_status plan_and_run(sp_op op, sp_dtype dtype, size_t ndim, const size_t *shape,
                                    size_t noperands, size_t elem_size, void *const *bases,
                                    const ptrdiff_t *const *strides, const void *params)
{
    sp_plan plan;
    size_t count = 0;
    int all_contiguous = 1;
    for (size_t k = 0; k < noperands; k++)
        all_contiguous &= strides[k] == NULL;
    /* Every view C-contiguous (strides NULL, the common small call): one run, no plan to build. */
    const softplus_status status =
        all_contiguous ? sp_check_contiguous(ndim, shape, noperands, elem_size, bases, &count)
                       : sp_plan_build(&plan, ndim, shape, noperands, elem_size, bases, strides);
    if (status != SOFTPLUS_OK || (all_contiguous ? count == 0 : plan.empty))
        return status;
    const sp_kernel_set *set = sp_active_kernels();
    /* the tier is read once here: one call never mixes tiers, whatever other threads set meanwhile */
    const sp_kernel *kernel = sp_kernel_of(set, sp_active_accuracy(), op, dtype);
    /* libm's exp may set errno (ERANGE on underflow); the header promises errno never changes. */
    const int saved_errno = errno;
    /* The kernels' results are defined in the default FP control state (fpenv.h). */
    sp_fpenv caller;
    const int switched = sp_fpenv_enter(&caller);
    if (all_contiguous)
        kernel->run(count, bases, params);
    else
        sp_plan_execute(&plan, kernel->run, params, NULL, sp_strided_copy_for(set->isa));
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
        return plan_and_run(SP_OP_##OTAG, SP_DTYPE_##DTAG, ndim, shape, 1 + (inputs), size, bases,     \
                            strides, &params);                                                       \
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

/* softplus.c -- the public entry points: validate, plan the strided walk, run the active kernels.
 * SPDX-License-Identifier: MIT
 */
#include "softplus.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dispatch.h"
#include "fpenv.h"
#include "kernels.h"
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

typedef struct run_f32 {
    const sp_kernel_set *kernels;
    sp_params_f32 params;
} run_f32;

typedef struct run_f64 {
    const sp_kernel_set *kernels;
    sp_params_f64 params;
} run_f64;

static void run_fwd_f32(size_t n, void *const *ptrs, const void *ctx)
{
    const run_f32 *r = ctx;
    r->kernels->fwd_f32(n, ptrs[1], ptrs[0], &r->params);
}

static void run_fwd_f64(size_t n, void *const *ptrs, const void *ctx)
{
    const run_f64 *r = ctx;
    r->kernels->fwd_f64(n, ptrs[1], ptrs[0], &r->params);
}

static void run_bwd_f32(size_t n, void *const *ptrs, const void *ctx)
{
    const run_f32 *r = ctx;
    r->kernels->bwd_f32(n, ptrs[1], ptrs[2], ptrs[0], &r->params);
}

static void run_bwd_f64(size_t n, void *const *ptrs, const void *ctx)
{
    const run_f64 *r = ctx;
    r->kernels->bwd_f64(n, ptrs[1], ptrs[2], ptrs[0], &r->params);
}

/* Validates the tensors, then walks them with fn. Operand order: output, inputs. */
static softplus_status plan_and_run(size_t ndim, const size_t *shape, size_t noperands, size_t elem_size,
                                    void *const *bases, const ptrdiff_t *const *strides, sp_run_fn fn,
                                    const void *ctx)
{
    sp_plan plan;
    const softplus_status status = sp_plan_build(&plan, ndim, shape, noperands, elem_size, bases, strides);
    if (status == SOFTPLUS_OK && !plan.empty) {
        /* libm's exp may set errno (ERANGE on underflow); the header promises errno never changes. */
        const int saved_errno = errno;
        /* The kernels' results are defined in the default FP control state (fpenv.h). */
        sp_fpenv caller;
        const int switched = sp_fpenv_enter(&caller);
        sp_plan_execute(&plan, fn, ctx);
        if (switched)
            sp_fpenv_leave(&caller);
        errno = saved_errno;
    }
    return status;
}

SOFTPLUS_API softplus_status softplus_forward_f32(size_t ndim, const size_t *shape,
                                                  const float *x, const ptrdiff_t *x_strides,
                                                  float *y, const ptrdiff_t *y_strides,
                                                  float beta, float threshold)
{
    softplus_status status = check_call(ndim, shape, params_valid_f32(beta, threshold));
    if (status != SOFTPLUS_OK)
        return status;
    const run_f32 run = {sp_active_kernels(), {beta, threshold}};
    void *const bases[] = {y, (void *)x};
    const ptrdiff_t *const strides[] = {y_strides, x_strides};
    return plan_and_run(ndim, shape, 2, sizeof(float), bases, strides, run_fwd_f32, &run);
}

SOFTPLUS_API softplus_status softplus_forward_f64(size_t ndim, const size_t *shape,
                                                  const double *x, const ptrdiff_t *x_strides,
                                                  double *y, const ptrdiff_t *y_strides,
                                                  double beta, double threshold)
{
    softplus_status status = check_call(ndim, shape, params_valid_f64(beta, threshold));
    if (status != SOFTPLUS_OK)
        return status;
    const run_f64 run = {sp_active_kernels(), {beta, threshold}};
    void *const bases[] = {y, (void *)x};
    const ptrdiff_t *const strides[] = {y_strides, x_strides};
    return plan_and_run(ndim, shape, 2, sizeof(double), bases, strides, run_fwd_f64, &run);
}

SOFTPLUS_API softplus_status softplus_backward_f32(size_t ndim, const size_t *shape,
                                                   const float *dy, const ptrdiff_t *dy_strides,
                                                   const float *x, const ptrdiff_t *x_strides,
                                                   float *dx, const ptrdiff_t *dx_strides,
                                                   float beta, float threshold)
{
    softplus_status status = check_call(ndim, shape, params_valid_f32(beta, threshold));
    if (status != SOFTPLUS_OK)
        return status;
    const run_f32 run = {sp_active_kernels(), {beta, threshold}};
    void *const bases[] = {dx, (void *)dy, (void *)x};
    const ptrdiff_t *const strides[] = {dx_strides, dy_strides, x_strides};
    return plan_and_run(ndim, shape, 3, sizeof(float), bases, strides, run_bwd_f32, &run);
}

SOFTPLUS_API softplus_status softplus_backward_f64(size_t ndim, const size_t *shape,
                                                   const double *dy, const ptrdiff_t *dy_strides,
                                                   const double *x, const ptrdiff_t *x_strides,
                                                   double *dx, const ptrdiff_t *dx_strides,
                                                   double beta, double threshold)
{
    softplus_status status = check_call(ndim, shape, params_valid_f64(beta, threshold));
    if (status != SOFTPLUS_OK)
        return status;
    const run_f64 run = {sp_active_kernels(), {beta, threshold}};
    void *const bases[] = {dx, (void *)dy, (void *)x};
    const ptrdiff_t *const strides[] = {dx_strides, dy_strides, x_strides};
    return plan_and_run(ndim, shape, 3, sizeof(double), bases, strides, run_bwd_f64, &run);
}

SOFTPLUS_API const char *softplus_status_string(softplus_status status)
{
    switch (status) {
    case SOFTPLUS_OK: return "success";
    case SOFTPLUS_ERR_NULL: return "a required pointer is NULL";
    case SOFTPLUS_ERR_RANK: return "ndim exceeds SOFTPLUS_MAX_NDIM";
    case SOFTPLUS_ERR_PARAM: return "beta must be finite and non-zero, threshold must not be NaN";
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

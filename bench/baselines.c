/* baselines.c -- the copy and naive-libm loops the benchmark compares every kernel with.
 * SPDX-License-Identifier: MIT
 *
 * The libm loops are deliberately plain: one libm call per element in a simple loop, the form a user
 * writes before reaching for a library. Without -ffast-math the compiler cannot vectorise them.
 */
#include "baselines.h"

#include <math.h>
#include <string.h>

void bench_copy(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
}

void bench_libm_fwd_f32(size_t n, const float *x, float *y, float beta, float threshold)
{
    for (size_t i = 0; i < n; i++) {
        const float z = beta * x[i];
        y[i] = z > threshold ? x[i] : (fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z)))) / beta;
    }
}

void bench_libm_bwd_f32(size_t n, const float *dy, const float *x, float *dx, float beta, float threshold)
{
    for (size_t i = 0; i < n; i++) {
        const float z = beta * x[i];
        if (z > threshold) {
            dx[i] = dy[i];
        } else {
            const float t = expf(-fabsf(z));
            dx[i] = dy[i] * (z >= 0.0f ? 1.0f / (1.0f + t) : t / (1.0f + t));
        }
    }
}

void bench_libm_fwd_f64(size_t n, const double *x, double *y, double beta, double threshold)
{
    for (size_t i = 0; i < n; i++) {
        const double z = beta * x[i];
        y[i] = z > threshold ? x[i] : (fmax(z, 0.0) + log1p(exp(-fabs(z)))) / beta;
    }
}

void bench_libm_bwd_f64(size_t n, const double *dy, const double *x, double *dx, double beta,
                        double threshold)
{
    for (size_t i = 0; i < n; i++) {
        const double z = beta * x[i];
        if (z > threshold) {
            dx[i] = dy[i];
        } else {
            const double t = exp(-fabs(z));
            dx[i] = dy[i] * (z >= 0.0 ? 1.0 / (1.0 + t) : t / (1.0 + t));
        }
    }
}

/* baselines.h -- what the benchmark measures the kernels against: a copy and a naive libm loop.
 * SPDX-License-Identifier: MIT
 *
 * These live in their own translation unit so the compiler cannot see through a call and drop the
 * work of a timed loop whose results the benchmark never prints.
 */
#ifndef BENCH_BASELINES_H
#define BENCH_BASELINES_H

#include <stddef.h>

/* The memory limit: a plain copy of bytes (memcpy). */
void bench_copy(void *dst, const void *src, size_t bytes);

/* softplus and its gradient as anyone would write them with libm, in the stable form:
 *   forward:  z = beta*x; y = z > threshold ? x : (max(z,0) + log1p(exp(-|z|))) / beta
 *   backward: t = exp(-|z|); dx = z > threshold ? dy : dy * (z >= 0 ? 1/(1+t) : t/(1+t))
 * f32 calls expf/log1pf in float, f64 calls exp/log1p in double. */
void bench_libm_fwd_f32(size_t n, const float *x, float *y, float beta, float threshold);
void bench_libm_bwd_f32(size_t n, const float *dy, const float *x, float *dx, float beta, float threshold);
void bench_libm_fwd_f64(size_t n, const double *x, double *y, double beta, double threshold);
void bench_libm_bwd_f64(size_t n, const double *dy, const double *x, double *dx, double beta,
                        double threshold);

#endif /* BENCH_BASELINES_H */

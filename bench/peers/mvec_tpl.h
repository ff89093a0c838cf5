/* mvec_tpl.h -- the stable softplus formula in plain C, as a user writes it, for GCC to vectorise.
 * SPDX-License-Identifier: MIT
 *
 * Included by peer_mvec_<isa>.c (compiled -O3 -ffast-math with that ISA's flags: GCC replaces
 * expf/log1pf, exp/log1p by glibc libmvec's _ZGV<isa>N<lanes>v_ variants through <bits/math-vector.h>)
 * and by peer_libm.c (no -ffast-math: one scalar libm call per element). PEER_PREFIX and PEER_ISA name
 * the functions: PEER_PREFIX_<op>_<dtype>_<PEER_ISA>. bench/peers/libmvec_calls.sh lists the libmvec
 * variants each built function calls.
 */
#include <math.h>
#include <stddef.h>

#define PEER_CAT_(a, b, c) a##_##b##_##c
#define PEER_CAT(a, b, c) PEER_CAT_(a, b, c)
#define PEER_FN(op) PEER_CAT(PEER_PREFIX, op, PEER_ISA)

void PEER_FN(fwd_f32)(size_t n, const float *restrict x, float *restrict y, float beta, float threshold)
{
    for (size_t i = 0; i < n; i++) {
        const float z = beta * x[i];
        const float r = (fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z)))) / beta;
        y[i] = z > threshold ? x[i] : r;
    }
}

void PEER_FN(bwd_f32)(size_t n, const float *restrict dy, const float *restrict x, float *restrict dx,
                      float beta, float threshold)
{
    for (size_t i = 0; i < n; i++) {
        const float z = beta * x[i];
        const float e = expf(-fabsf(z));
        const float s = (z >= 0.0f ? 1.0f : e) / (1.0f + e);
        dx[i] = z > threshold ? dy[i] : dy[i] * s;
    }
}

void PEER_FN(fwd_f64)(size_t n, const double *restrict x, double *restrict y, double beta, double threshold)
{
    for (size_t i = 0; i < n; i++) {
        const double z = beta * x[i];
        const double r = (fmax(z, 0.0) + log1p(exp(-fabs(z)))) / beta;
        y[i] = z > threshold ? x[i] : r;
    }
}

void PEER_FN(bwd_f64)(size_t n, const double *restrict dy, const double *restrict x, double *restrict dx,
                      double beta, double threshold)
{
    for (size_t i = 0; i < n; i++) {
        const double z = beta * x[i];
        const double e = exp(-fabs(z));
        const double s = (z >= 0.0 ? 1.0 : e) / (1.0 + e);
        dx[i] = z > threshold ? dy[i] : dy[i] * s;
    }
}

/* peers.h -- the peer implementations bench_peers times beside libsoftplus, one signature for all.
 * SPDX-License-Identifier: MIT
 *
 * Each peer computes, over n contiguous elements, what the public API computes:
 *   forward   y  = x where fl(beta*x) > threshold, else (max(z,0) + log1p(exp(-|z|))) / beta, z = beta*x
 *   backward  dx = dy where fl(beta*x) > threshold, else dy * sigmoid(z), with e = exp(-|z|) and
 *                  sigmoid(z) = 1/(1+e) for z >= 0, e/(1+e) for z < 0
 * oneDNN's soft_relu is the exception: it has no beta (2.6 ignores alpha/beta) nor threshold, so its
 * wrapper takes the parameters and ignores them (bench_peers runs beta = 1).
 * Families and the ISA tags (the library's: scalar, sse41, avx2, avx512) each file is built for:
 *   peer_sleef_<isa>.c   SLEEF u10 exp/log1p of that width (sleef_tpl.h on per-ISA helpers)
 *   peer_mvec_<isa>.c    plain C compiled -O3 -ffast-math for that width: GCC calls libmvec (mvec_tpl.h)
 *   peer_libm.c          the same plain C without -ffast-math: scalar libm calls
 *   peer_dnnl.c          oneDNN's eltwise soft_relu primitive, forward and backward, f32 only
 */
#ifndef SP_BENCH_PEERS_H
#define SP_BENCH_PEERS_H

#include <stddef.h>

typedef void (*peer_fwd_f32)(size_t n, const float *x, float *y, float beta, float threshold);
typedef void (*peer_bwd_f32)(size_t n, const float *dy, const float *x, float *dx, float beta,
                             float threshold);
typedef void (*peer_fwd_f64)(size_t n, const double *x, double *y, double beta, double threshold);
typedef void (*peer_bwd_f64)(size_t n, const double *dy, const double *x, double *dx, double beta,
                             double threshold);

/* The four entry points of one peer file: <prefix>_{fwd,bwd}_{f32,f64}_<isa>. */
#define PEER_DECLARE(prefix, isa)                                                                       \
    void prefix##_fwd_f32_##isa(size_t n, const float *x, float *y, float beta, float threshold);       \
    void prefix##_bwd_f32_##isa(size_t n, const float *dy, const float *x, float *dx, float beta,       \
                                float threshold);                                                       \
    void prefix##_fwd_f64_##isa(size_t n, const double *x, double *y, double beta, double threshold);   \
    void prefix##_bwd_f64_##isa(size_t n, const double *dy, const double *x, double *dx, double beta,   \
                                double threshold);

PEER_DECLARE(peer_sleef, scalar)
PEER_DECLARE(peer_sleef, sse41)
PEER_DECLARE(peer_sleef, avx2)
PEER_DECLARE(peer_sleef, avx512)
PEER_DECLARE(peer_mvec, sse41)
PEER_DECLARE(peer_mvec, avx2)
PEER_DECLARE(peer_mvec, avx512)
PEER_DECLARE(peer_libm, scalar)

/* oneDNN (peer_dnnl.c). peer_dnnl_init creates the CPU engine and stream and describes the library
 * (version, threading runtime, JIT ISA) in info; it returns 0 when oneDNN cannot run here. The
 * primitives for each n are created on first use and kept (creation is outside every timing). A
 * failing oneDNN call after init prints the status and exits. */
int peer_dnnl_init(char *info, size_t len);
int peer_dnnl_has_backward(void);
const char *peer_dnnl_isa(void);          /* the width oneDNN's forward kernel runs: avx512, avx2, sse41 */
const char *peer_dnnl_impl(int backward); /* oneDNN's implementation name, e.g. "jit:avx512_core" */
void peer_dnnl_fwd_f32(size_t n, const float *x, float *y, float beta, float threshold);
void peer_dnnl_bwd_f32(size_t n, const float *dy, const float *x, float *dx, float beta, float threshold);

#endif

/* peer_sleef_sse41.c -- the SLEEF peer at SSE4.1 width: Sleef_{exp,log1p}f4_u10sse4, _d2_u10sse4.
 * SPDX-License-Identifier: MIT */
#if !defined(__SSE4_1__)
#error "peer_sleef_sse41.c needs -msse4.1 (set per file in bench/peers/CMakeLists.txt)"
#endif
#include <smmintrin.h>
#include <string.h>

#include <sleef.h>

#include "peers.h"

#define T float
#define VT __m128
#define VW 4
#define LOADU(p) _mm_loadu_ps(p)
#define STOREU(p, v) _mm_storeu_ps(p, v)
#define SET1(s) _mm_set1_ps(s)
#define ADD _mm_add_ps
#define MUL _mm_mul_ps
#define DIV _mm_div_ps
#define MAX _mm_max_ps
#define ABS(v) _mm_andnot_ps(_mm_set1_ps(-0.0f), v)
#define NEG(v) _mm_xor_ps(_mm_set1_ps(-0.0f), v)
#define SEL_GT(a, b, t, f) _mm_blendv_ps(f, t, _mm_cmpgt_ps(a, b))
#define SEL_GE(a, b, t, f) _mm_blendv_ps(f, t, _mm_cmpge_ps(a, b))
#define VEXP Sleef_expf4_u10sse4
#define VLOG1P Sleef_log1pf4_u10sse4
#define NAME(op) peer_sleef_##op##_f32_sse41
#include "sleef_tpl.h"

#define T double
#define VT __m128d
#define VW 2
#define LOADU(p) _mm_loadu_pd(p)
#define STOREU(p, v) _mm_storeu_pd(p, v)
#define SET1(s) _mm_set1_pd(s)
#define ADD _mm_add_pd
#define MUL _mm_mul_pd
#define DIV _mm_div_pd
#define MAX _mm_max_pd
#define ABS(v) _mm_andnot_pd(_mm_set1_pd(-0.0), v)
#define NEG(v) _mm_xor_pd(_mm_set1_pd(-0.0), v)
#define SEL_GT(a, b, t, f) _mm_blendv_pd(f, t, _mm_cmpgt_pd(a, b))
#define SEL_GE(a, b, t, f) _mm_blendv_pd(f, t, _mm_cmpge_pd(a, b))
#define VEXP Sleef_expd2_u10sse4
#define VLOG1P Sleef_log1pd2_u10sse4
#define NAME(op) peer_sleef_##op##_f64_sse41
#include "sleef_tpl.h"

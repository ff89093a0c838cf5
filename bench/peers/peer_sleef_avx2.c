/* peer_sleef_avx2.c -- the SLEEF peer at AVX2 width: Sleef_{exp,log1p}f8_u10avx2, _d4_u10avx2.
 * SPDX-License-Identifier: MIT */
#if !defined(__AVX2__) || !defined(__FMA__)
#error "peer_sleef_avx2.c needs -mavx2 -mfma (set per file in bench/peers/CMakeLists.txt)"
#endif
#include <immintrin.h>
#include <string.h>

#include <sleef.h>

#include "peers.h"

#define T float
#define VT __m256
#define VW 8
#define LOADU(p) _mm256_loadu_ps(p)
#define STOREU(p, v) _mm256_storeu_ps(p, v)
#define SET1(s) _mm256_set1_ps(s)
#define ADD _mm256_add_ps
#define MUL _mm256_mul_ps
#define DIV _mm256_div_ps
#define MAX _mm256_max_ps
#define ABS(v) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v)
#define NEG(v) _mm256_xor_ps(_mm256_set1_ps(-0.0f), v)
#define SEL_GT(a, b, t, f) _mm256_blendv_ps(f, t, _mm256_cmp_ps(a, b, _CMP_GT_OQ))
#define SEL_GE(a, b, t, f) _mm256_blendv_ps(f, t, _mm256_cmp_ps(a, b, _CMP_GE_OQ))
#define VEXP Sleef_expf8_u10avx2
#define VLOG1P Sleef_log1pf8_u10avx2
#define NAME(op) peer_sleef_##op##_f32_avx2
#include "sleef_tpl.h"

#define T double
#define VT __m256d
#define VW 4
#define LOADU(p) _mm256_loadu_pd(p)
#define STOREU(p, v) _mm256_storeu_pd(p, v)
#define SET1(s) _mm256_set1_pd(s)
#define ADD _mm256_add_pd
#define MUL _mm256_mul_pd
#define DIV _mm256_div_pd
#define MAX _mm256_max_pd
#define ABS(v) _mm256_andnot_pd(_mm256_set1_pd(-0.0), v)
#define NEG(v) _mm256_xor_pd(_mm256_set1_pd(-0.0), v)
#define SEL_GT(a, b, t, f) _mm256_blendv_pd(f, t, _mm256_cmp_pd(a, b, _CMP_GT_OQ))
#define SEL_GE(a, b, t, f) _mm256_blendv_pd(f, t, _mm256_cmp_pd(a, b, _CMP_GE_OQ))
#define VEXP Sleef_expd4_u10avx2
#define VLOG1P Sleef_log1pd4_u10avx2
#define NAME(op) peer_sleef_##op##_f64_avx2
#include "sleef_tpl.h"

/* peer_sleef_avx512.c -- the SLEEF peer at AVX-512 width: Sleef_{exp,log1p}f16_u10avx512f, _d8_u10avx512f.
 * SPDX-License-Identifier: MIT
 * AVX-512F only (SLEEF's avx512f variants need nothing more): sign operations go through the integer
 * view, as the float and/xor forms are AVX-512DQ. */
#if !defined(__AVX512F__)
#error "peer_sleef_avx512.c needs -mavx512f (set per file in bench/peers/CMakeLists.txt)"
#endif
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include <sleef.h>

#include "peers.h"

#define T float
#define VT __m512
#define VW 16
#define LOADU(p) _mm512_loadu_ps(p)
#define STOREU(p, v) _mm512_storeu_ps(p, v)
#define SET1(s) _mm512_set1_ps(s)
#define ADD _mm512_add_ps
#define MUL _mm512_mul_ps
#define DIV _mm512_div_ps
#define MAX _mm512_max_ps
#define ABS(v) _mm512_abs_ps(v)
#define NEG(v) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN)))
#define SEL_GT(a, b, t, f) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), f, t)
#define SEL_GE(a, b, t, f) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GE_OQ), f, t)
#define VEXP Sleef_expf16_u10avx512f
#define VLOG1P Sleef_log1pf16_u10avx512f
#define NAME(op) peer_sleef_##op##_f32_avx512
#include "sleef_tpl.h"

#define T double
#define VT __m512d
#define VW 8
#define LOADU(p) _mm512_loadu_pd(p)
#define STOREU(p, v) _mm512_storeu_pd(p, v)
#define SET1(s) _mm512_set1_pd(s)
#define ADD _mm512_add_pd
#define MUL _mm512_mul_pd
#define DIV _mm512_div_pd
#define MAX _mm512_max_pd
#define ABS(v) _mm512_abs_pd(v)
#define NEG(v) _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(v), _mm512_set1_epi64(INT64_MIN)))
#define SEL_GT(a, b, t, f) _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a, b, _CMP_GT_OQ), f, t)
#define SEL_GE(a, b, t, f) _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a, b, _CMP_GE_OQ), f, t)
#define VEXP Sleef_expd8_u10avx512f
#define VLOG1P Sleef_log1pd8_u10avx512f
#define NAME(op) peer_sleef_##op##_f64_avx512
#include "sleef_tpl.h"

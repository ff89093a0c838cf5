/* softplus_half_avx512.c -- bf16 and f16 kernels of the avx512 set, every op, correctly rounded, fused
 * on 16 lanes (arch/softplus_half_fused.h; the block driver of arch/softplus_half_kernels.h over this
 * set's float and double kernels for the betas out of the vector range).
 * SPDX-License-Identifier: MIT
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#include "arch/x86/softplus_f32_avx512_ops.h"

#include "arch/softplus_f32_fast_algorithm.h"

/* the half-vector operations of arch/softplus_half_fused.h: 16 patterns in a ymm register; vcvtph2ps
 * is exact and vcvtps2ph with imm8 round-to-nearest-even (not MXCSR's mode) rounds once, subnormals
 * and overflow included */
typedef __m256i vh;
#define HALF_LOAD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define HALF_STORE(p, h) _mm256_storeu_si256((__m256i *)(void *)(p), h)
/* a non-temporal store at p aligned to 32 bytes, and the fence after the last (the loop driver's streaming) */
#define HALF_STREAM(p, h) _mm256_stream_si256((__m256i *)(void *)(p), h)
#define HALF_STREAM_FENCE() _mm_sfence()
/* two vectors' patterns, the first in the low half: joined, the top 16 bits of each float lane (one
 * two-source word permutation), stored, streamed (aligned to 32 bytes: two stores) */
typedef __m512i vh2;
#define HALF_JOIN(h0, h1) _mm512_inserti64x4(_mm512_castsi256_si512(h0), h1, 1)
#define TOP_HALVES2(a, b)                                                                            \
    _mm512_permutex2var_epi16(_mm512_castps_si512(a),                                               \
                              _mm512_set_epi16(63, 61, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33, \
                                               31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1),  \
                              _mm512_castps_si512(b))
#define HALF_STORE2(p, h) _mm512_storeu_si512((void *)(p), h)
#define HALF_STREAM2(p, h)                                                                           \
    (HALF_STREAM(p, _mm512_castsi512_si256(h)), HALF_STREAM((p) + 16, _mm512_extracti64x4_epi64(h, 1)))
/* the first k = 1..15 patterns, zeros above, and the way back: 16-bit lane masks (AVX512BW+VL) */
#define HALF_LOAD_TAIL(p, k) _mm256_maskz_loadu_epi16((__mmask16)((1u << (k)) - 1u), p)
#define HALF_STORE_TAIL(p, h, k) _mm256_mask_storeu_epi16(p, (__mmask16)((1u << (k)) - 1u), h)
/* bf16 to float: pattern l to the top half of lane l, zeros below, in one word permutation */
#define WIDEN_BF16(h)                                                                                \
    _mm512_castsi512_ps(_mm512_maskz_permutexvar_epi16(                                              \
        (__mmask32)0xaaaaaaaau,                                                                      \
        _mm512_set_epi16(15, 0, 14, 0, 13, 0, 12, 0, 11, 0, 10, 0, 9, 0, 8, 0, 7, 0, 6, 0, 5, 0, 4, 0, 3, 0, \
                         2, 0, 1, 0, 0, 0),                                                          \
        _mm512_castsi256_si512(h)))
#define WIDEN_F16(h) _mm512_cvtph_ps(h)
#define NARROW_F16(y) _mm512_cvtps_ph(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define TOP_HALVES(a) _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(a), 16))
/* lanes where bits(a) & mask is zero; where (bits(a) & low) <= bound, unsigned */
#define LOW_BITS_ZERO(a, mask) _mm512_testn_epi32_mask(_mm512_castps_si512(a), _mm512_set1_epi32((int)(mask)))
#define LOW_BITS_LE(a, low, bound)                                                                   \
    _mm512_cmple_epu32_mask(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)(low))), \
                            _mm512_set1_epi32((int)(bound)))

#define SP_HALF_F16C 1  /* dispatch.c requires F16C for this set: the block driver's conversions */
#define SP_HALF_FUSED 1 /* every op: arch/softplus_half_fused.h */
#include "arch/softplus_half_kernels.h"

SP_HALF_KERNELS(avx512, AVX512)
SP_HALF_CONVERSIONS(avx512)
SP_HALF_CHEAP_EVAL(avx512)

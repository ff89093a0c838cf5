/* softplus_half_avx2.c -- bf16 and f16 kernels of the avx2 set, every op, correctly rounded, fused
 * on 8 lanes (arch/softplus_half_fused.h; the block driver of arch/softplus_half_kernels.h over this
 * set's float and double kernels for the betas out of the vector range).
 * SPDX-License-Identifier: MIT
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#include "arch/x86/softplus_f32_avx2_ops.h"

#include "arch/softplus_f32_fast_algorithm.h"

/* the half-vector operations of arch/softplus_half_fused.h: 8 patterns in an xmm register; F16C's
 * vcvtph2ps is exact and vcvtps2ph with imm8 round-to-nearest-even (not MXCSR's mode) rounds once,
 * subnormals and overflow included */
typedef __m128i vh;
#define HALF_LOAD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define HALF_STORE(p, h) _mm_storeu_si128((__m128i *)(void *)(p), h)
/* a non-temporal store at p aligned to 16 bytes, and the fence after the last (the loop driver's streaming) */
#define HALF_STREAM(p, h) _mm_stream_si128((__m128i *)(void *)(p), h)
#define HALF_STREAM_FENCE() _mm_sfence()
/* two vectors' patterns, the first in the low half: joined, the top 16 bits of each float lane, stored,
 * streamed (aligned to 16 bytes: two stores) */
typedef __m256i vh2;
#define HALF_JOIN(h0, h1) _mm256_set_m128i(h1, h0)
#define TOP_HALVES2(a, b) sp_top_halves2_avx2(a, b)
#define HALF_STORE2(p, h) _mm256_storeu_si256((__m256i *)(void *)(p), h)
#define HALF_STREAM2(p, h)                                                                           \
    (HALF_STREAM(p, _mm256_castsi256_si128(h)), HALF_STREAM((p) + 8, _mm256_extracti128_si256(h, 1)))
/* the first k = 1..7 patterns, zeros above, and the way back (arch/softplus_half_fused.h's integer moves) */
#define HALF_LOAD_TAIL(p, k)                                                                         \
    _mm_set_epi64x((long long)((k) > 4 ? sp_half_bits_load((p) + 4, (k) - 4) : 0),                   \
                   (long long)sp_half_bits_load(p, (k) < 4 ? (k) : 4))
#define HALF_STORE_TAIL(p, h, k)                                                                     \
    do {                                                                                             \
        sp_half_bits_store(p, (uint64_t)_mm_cvtsi128_si64(h), (k) < 4 ? (k) : 4);                    \
        if ((k) > 4)                                                                                 \
            sp_half_bits_store((p) + 4, (uint64_t)_mm_extract_epi64(h, 1), (k) - 4);                 \
    } while (0)
#define WIDEN_BF16(h) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16))
#define WIDEN_F16(h) _mm256_cvtph_ps(h)
#define NARROW_F16(y) _mm256_cvtps_ph(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define TOP_HALVES(a) sp_top_halves_avx2(a)
/* lanes where bits(a) & mask is zero; where (bits(a) & low) <= bound, unsigned */
#define LOW_BITS_ZERO(a, mask)                                                                       \
    _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32((int)(mask))), \
                                           _mm256_setzero_si256()))
#define LOW_BITS_LE(a, low, bound) sp_low_bits_le_avx2(a, low, bound)

/* the 16-bit results pack without saturating */
SP_INLINE vh sp_top_halves_avx2(vf a)
{
    const __m256i r = _mm256_srli_epi32(_mm256_castps_si256(a), 16);
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

/* a's and b's in lane order: the in-lane pack interleaves their 128-bit halves, one permutation puts them back */
SP_INLINE vh2 sp_top_halves2_avx2(vf a, vf b)
{
    const __m256i p = _mm256_packus_epi32(_mm256_srli_epi32(_mm256_castps_si256(a), 16),
                                          _mm256_srli_epi32(_mm256_castps_si256(b), 16));
    return _mm256_permute4x64_epi64(p, 0xd8);
}

/* d <= bound as bound + 1 > d, a signed compare: both are below 2^31 (low and bound + 1 are) */
SP_INLINE vm sp_low_bits_le_avx2(vf a, uint32_t low, uint32_t bound)
{
    const __m256i d = _mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32((int)low));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)(bound + 1u)), d));
}

#define SP_HALF_F16C 1  /* dispatch.c requires F16C for this set: the block driver's conversions */
#define SP_HALF_FUSED 1 /* every op: arch/softplus_half_fused.h */
#include "arch/softplus_half_kernels.h"

SP_HALF_KERNELS(avx2, AVX2)
SP_HALF_CONVERSIONS(avx2)
SP_HALF_CHEAP_EVAL(avx2)

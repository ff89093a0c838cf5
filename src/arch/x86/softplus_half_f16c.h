/* softplus_half_f16c.h -- the f16 conversions of arch/softplus_half_kernels.h with F16C (vcvtph2ps,
 * vcvtps2ph; every AVX2 and AVX-512 CPU has it, and dispatch.c requires it for both sets), 8 lanes.
 * SPDX-License-Identifier: MIT
 *
 * Bit-identical to the portable functions (tests/accuracy/test_half.c runs every set against one
 * reference, tests/accuracy/test_half_conv.c these conversions against their own): vcvtph2ps is exact
 * (a signalling NaN comes out quiet, where the portable widening keeps its bit: the float kernels quiet
 * it either way); vcvtps2ph with imm8 round-to-nearest-even (not MXCSR's mode) rounds
 * once, subnormals and overflow to inf included, and quiets a NaN keeping its sign and top 10 payload
 * bits, as sp_f16_of_f32 does. The check rounds the patterns |y| -+ e (clamped to [0, inf]) the same way.
 * Tails (m mod 8) go to the portable functions.
 */
#ifndef SP_HALF_F16C_H
#define SP_HALF_F16C_H

#include <immintrin.h>

#define SP_HALF_F16C_ROUND (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

static void sp_half_widen_f16_f16c(float *dst, const uint16_t *src, size_t n)
{
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(dst + j, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(src + j))));
    sp_half_widen_f16_from(dst, src, j, n);
}

/* out[j] = y[j] rounded to f16, flag[j] = 1 where it is near a rounding boundary (sp_f16_near); returns
 * whether any is */
static uint32_t sp_half_narrow_f16_f16c(uint16_t *out, uint8_t *flag, const float *y, size_t m, uint32_t e)
{
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
    const __m256i steps = _mm256_set1_epi32((int)e);
    __m128i any = _mm_setzero_si128();
    size_t j = 0;
    for (; j + 8 <= m; j += 8) {
        const __m256 v = _mm256_loadu_ps(y + j);
        _mm_storeu_si128((__m128i *)(void *)(out + j), _mm256_cvtps_ph(v, SP_HALF_F16C_ROUND));
        const __m256i a = _mm256_and_si256(_mm256_castps_si256(v), abs_mask);
        const __m256i lo = _mm256_sub_epi32(_mm256_max_epu32(a, steps), steps);
        const __m256i hi = _mm256_min_epu32(_mm256_add_epi32(a, steps), inf);
        const __m128i hlo = _mm256_cvtps_ph(_mm256_castsi256_ps(lo), SP_HALF_F16C_ROUND);
        const __m128i hhi = _mm256_cvtps_ph(_mm256_castsi256_ps(hi), SP_HALF_F16C_ROUND);
        const __m256i finite = _mm256_cmpgt_epi32(inf, a); /* a <= 0x7fffffff: signed compare */
        const __m128i finite16 = _mm_packs_epi32(_mm256_castsi256_si128(finite), _mm256_extracti128_si256(finite, 1));
        const __m128i near16 = _mm_andnot_si128(_mm_cmpeq_epi16(hlo, hhi), finite16);
        const __m128i near8 = _mm_and_si128(_mm_packs_epi16(near16, near16), _mm_set1_epi8(1));
        _mm_storel_epi64((__m128i *)(void *)(flag + j), near8);
        any = _mm_or_si128(any, near8);
    }
    return sp_half_narrow_f16_from(out, flag, y, j, m, e) |
           (uint32_t)(_mm_movemask_epi8(_mm_cmpeq_epi8(any, _mm_setzero_si128())) != 0xffff);
}

#define SP_HALF_WIDEN_F16(dst, src, n) sp_half_widen_f16_f16c(dst, src, n)
#define SP_HALF_NARROW_F16(out, flag, y, m, e) sp_half_narrow_f16_f16c(out, flag, y, m, e)

#endif /* SP_HALF_F16C_H */

/* softplus_half_sse41_conv.h -- the f16 conversions of arch/softplus_half_kernels.h in SSE4.1 integer and
 * float operations, 4 lanes (the sse41 set has no F16C).
 * SPDX-License-Identifier: MIT
 *
 * Bit-identical to the portable functions (tests/accuracy/test_half.c runs every set against one
 * reference), which SSE4.1 cannot vectorise as written: their subnormal rounding shifts each lane by its
 * own count. Here every shift is by a constant:
 *   widening    sp_f32_of_f16's steps, lane by lane the same (the subnormal m 2^-24 as (2^-14 + m 2^-24)
 *               - 2^-14, exact);
 *   narrowing   a = |y|'s pattern; a >= 2^-14 rebiases and rounds off 13 bits as sp_f16_of_f32_abs does;
 *               below, the float sum |y| + 1/2 rounds |y| to a multiple of 2^-24 (1/2's step), to
 *               nearest even (the kernels run in the default rounding mode: fpenv.h), so the sum's pattern
 *               minus 1/2's is |y|/2^-24 rounded, up to 1024 = 0x400 (the smallest normal's pattern),
 *               and 0 at and below the tie 2^-25; overflow, the NaN quieting and the check as the portable
 *               functions (sp_f16_of_f32, sp_f16_near: the patterns |y| -+ e rounded the same way).
 * Against the portable functions, which the compiler left scalar (alternated in one process, AMD Zen 5, 4K
 * elements, December 2026), the sse41 set's f16 ops take 0.44x (backward) to 0.59x (inverse) the time:
 * forward 0.50x, second derivative 0.45x, beta gradient 0.51x. Tails (n mod 4) go to the portable
 * functions.
 */
#ifndef SP_HALF_SSE41_CONV_H
#define SP_HALF_SSE41_CONV_H

#include <smmintrin.h>

/* four f16 patterns (the low 16 bits of each 32-bit lane) to float, exact */
SP_INLINE __m128 sp_half_f32_of_f16_sse41(__m128i h)
{
    const __m128i em = _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x7fff)), 13);
    const __m128i e = _mm_and_si128(em, _mm_set1_epi32(0x0f800000));
    const __m128i rebias = _mm_set1_epi32(112 << 23);
    const __m128i special = _mm_cmpeq_epi32(e, _mm_set1_epi32(0x0f800000)); /* inf, NaN: to 255 */
    const __m128i normal = _mm_add_epi32(_mm_add_epi32(em, rebias), _mm_and_si128(special, rebias));
    const __m128 sub =
        _mm_sub_ps(_mm_castsi128_ps(_mm_add_epi32(em, _mm_set1_epi32(113 << 23))), _mm_set1_ps(0x1p-14f));
    const __m128i mag = _mm_blendv_epi8(normal, _mm_castps_si128(sub), _mm_cmpeq_epi32(e, _mm_setzero_si128()));
    return _mm_castsi128_ps(_mm_or_si128(mag, _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x8000)), 16)));
}

/* |float| patterns a <= 0x7f800000 (no NaN) to |f16| patterns, RNE (sp_f16_of_f32_abs) */
SP_INLINE __m128i sp_half_f16_of_f32_abs_sse41(__m128i a)
{
    const __m128i odd = _mm_and_si128(_mm_srli_epi32(a, 13), _mm_set1_epi32(1));
    const __m128i normal = _mm_srli_epi32(_mm_add_epi32(_mm_sub_epi32(a, _mm_set1_epi32(0x38000000 - 0xfff)), odd), 13);
    const __m128i sub = _mm_sub_epi32(_mm_castps_si128(_mm_add_ps(_mm_castsi128_ps(a), _mm_set1_ps(0.5f))),
                                      _mm_set1_epi32(0x3f000000));
    /* a < 2^31: signed compares */
    const __m128i r = _mm_blendv_epi8(sub, normal, _mm_cmpgt_epi32(a, _mm_set1_epi32(0x38800000 - 1)));
    return _mm_blendv_epi8(r, _mm_set1_epi32(0x7c00), _mm_cmpgt_epi32(a, _mm_set1_epi32(0x477ff000 - 1)));
}

static void sp_half_widen_f16_sse41(float *dst, const uint16_t *src, size_t n)
{
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        _mm_storeu_ps(dst + j, sp_half_f32_of_f16_sse41(
                                   _mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(src + j)))));
    sp_half_widen_f16_from(dst, src, j, n);
}

/* out[j] = y[j] rounded to f16, flag[j] = 1 where it is near a rounding boundary (sp_f16_near); returns
 * whether any is */
static uint32_t sp_half_narrow_f16_sse41(uint16_t *out, uint8_t *flag, const float *y, size_t m, uint32_t e)
{
    const __m128i abs_mask = _mm_set1_epi32(0x7fffffff), inf = _mm_set1_epi32(0x7f800000);
    const __m128i steps = _mm_set1_epi32((int)e);
    __m128i any = _mm_setzero_si128();
    size_t j = 0;
    for (; j + 4 <= m; j += 4) {
        const __m128i u = _mm_castps_si128(_mm_loadu_ps(y + j));
        const __m128i a = _mm_and_si128(u, abs_mask);
        const __m128i nan = _mm_cmpgt_epi32(a, inf); /* a < 2^31: signed */
        const __m128i quieted =
            _mm_or_si128(_mm_set1_epi32(0x7e00), _mm_and_si128(_mm_srli_epi32(a, 13), _mm_set1_epi32(0x3ff)));
        const __m128i mag = _mm_blendv_epi8(sp_half_f16_of_f32_abs_sse41(_mm_min_epu32(a, inf)), quieted, nan);
        const __m128i h = _mm_or_si128(mag, _mm_and_si128(_mm_srli_epi32(u, 16), _mm_set1_epi32(0x8000)));
        _mm_storel_epi64((__m128i *)(void *)(out + j), _mm_packus_epi32(h, h));
        const __m128i lo = _mm_sub_epi32(_mm_max_epu32(a, steps), steps);
        const __m128i hi = _mm_min_epu32(_mm_add_epi32(a, steps), inf);
        const __m128i same = _mm_cmpeq_epi32(sp_half_f16_of_f32_abs_sse41(lo), sp_half_f16_of_f32_abs_sse41(hi));
        const __m128i finite = _mm_cmpgt_epi32(inf, a);
        const __m128i near = _mm_and_si128(_mm_andnot_si128(same, finite), _mm_set1_epi32(1));
        const __m128i near8 = _mm_packus_epi16(_mm_packus_epi32(near, near), _mm_setzero_si128());
        const uint32_t w = (uint32_t)_mm_cvtsi128_si32(near8);
        memcpy(flag + j, &w, sizeof w);
        any = _mm_or_si128(any, near);
    }
    return sp_half_narrow_f16_from(out, flag, y, j, m, e) | (uint32_t)!_mm_testz_si128(any, any);
}

#define SP_HALF_WIDEN_F16(dst, src, n) sp_half_widen_f16_sse41(dst, src, n)
#define SP_HALF_NARROW_F16(out, flag, y, m, e) sp_half_narrow_f16_sse41(out, flag, y, m, e)

#endif /* SP_HALF_SSE41_CONV_H */

/* strided_gather16_sse41.h -- the 2-byte gather of the strided copies for the SSE4.1 and AVX2 sets
 * (strided.h, sp_strided_copy.gather), included by arch/x86/strided_sse41.c and strided_avx2.c.
 * SPDX-License-Identifier: MIT
 *
 * Inner stride +-2 and -1, 8 elements per 128-bit vector: the pairs (even, odd) of 16-bit lanes taken as
 * 32-bit ones, the wanted half of each kept by a mask or a shift and packed by packusdw (exact: each
 * value fits in 16 bits); stride -2 and a reversed run reverse the lanes with one byte shuffle. A block
 * is taken only while its whole span lies inside the view (stride +-2 reads one element past the
 * block's last: the loop stops one element early); the rest goes through the generic loop. The AVX2 set
 * runs it too: a 256-bit version (packusdw within 128-bit lanes, then a cross-lane permute) measured
 * 1.01-1.02x this one in AVX2 calls at stride 2 (bf16, f16, 16K elements), not worth a second text.
 * Only moves, masks and shuffles: the bits are copied exactly.
 */
#include <smmintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "strided.h"

static __m128i load16x8(const uint16_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

static void store16x8(uint16_t *p, __m128i v)
{
    _mm_storeu_si128((__m128i *)(void *)p, v);
}

static void gather16(uint16_t *dst, const uint16_t *src, ptrdiff_t s, size_t n)
{
    size_t i = 0;
    const __m128i low_halves = _mm_set1_epi32(0xffff);
    /* 16-bit lanes in reverse order */
    const __m128i reverse = _mm_setr_epi8(14, 15, 12, 13, 10, 11, 8, 9, 6, 7, 4, 5, 2, 3, 0, 1);
    if (s == 2) {
        for (; i + 8 < n; i += 8) {
            const uint16_t *p = src + 2 * (ptrdiff_t)i;
            const __m128i a = load16x8(p), b = load16x8(p + 8);
            store16x8(dst + i, _mm_packus_epi32(_mm_and_si128(a, low_halves), _mm_and_si128(b, low_halves)));
        }
    } else if (s == -2) { /* the odd offsets {1,3,...,15} from the low end, reversed */
        for (; i + 8 < n; i += 8) {
            const uint16_t *p = src - 2 * (ptrdiff_t)(i + 7) - 1;
            const __m128i a = load16x8(p), b = load16x8(p + 8);
            store16x8(dst + i, _mm_shuffle_epi8(_mm_packus_epi32(_mm_srli_epi32(a, 16), _mm_srli_epi32(b, 16)), reverse));
        }
    } else if (s == -1) {
        for (; i + 8 <= n; i += 8) {
            store16x8(dst + i, _mm_shuffle_epi8(load16x8(src - (ptrdiff_t)(i + 7)), reverse));
        }
    }
    if (i < n)
        sp_gather_generic(dst + i, (const char *)(src + s * (ptrdiff_t)i), s * 2, n - i, 2);
}

/* strided_avx2.c -- the strided engine's copies for the AVX2 kernel set (strided.h, sp_strided_copy).
 * SPDX-License-Identifier: MIT
 *
 * Gathers of 4- and 8-byte elements at inner stride +-2 and -1: two whole vectors of the view's span
 * are loaded and de-interleaved by an in-lane shuffle and one cross-lane permute (a reversed run: one
 * permute); 2-byte elements by the SSE4.1 set's 128-bit gather (arch/x86/strided_gather16_sse41.h). Scatters stay element by element (the generic loop): AVX2 has no lane-masked store that is
 * fast on every CPU (vmaskmov is microcoded on AMD), and a store must not rewrite the elements between
 * the view's. A block is taken only while its whole span lies inside the view (stride +-2 reads one
 * element past the block's last: the loop stops one element early); the rest goes through the generic
 * loop. Only moves and permutes: the bits are copied exactly whatever the FP environment.
 */
#include <immintrin.h>
#include <stddef.h>

#include "strided.h"

#include "arch/x86/strided_gather16_sse41.h"
#include "arch/x86/strided_transpose_avx2.h"

static void gather32(float *dst, const float *src, ptrdiff_t s, size_t n)
{
    size_t i = 0;
    if (s == 2 || s == -2) {
        /* after the shuffle, lanes hold offsets {0,2,8,10,4,6,12,14} (even, s > 0) or the odd ones
         * {1,3,9,11,5,7,13,15} from the block's low end; the permute orders them by element */
        const __m256i order = s > 0 ? _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7) : _mm256_setr_epi32(7, 6, 3, 2, 5, 4, 1, 0);
        for (; i + 8 < n; i += 8) {
            const float *p = s > 0 ? src + 2 * (ptrdiff_t)i : src - 2 * (ptrdiff_t)(i + 7) - 1;
            const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
            const __m256 t = s > 0 ? _mm256_shuffle_ps(a, b, 0x88) : _mm256_shuffle_ps(a, b, 0xdd);
            _mm256_storeu_ps(dst + i, _mm256_permutevar8x32_ps(t, order));
        }
    } else if (s == -1) {
        const __m256i reverse = _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0);
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(dst + i, _mm256_permutevar8x32_ps(_mm256_loadu_ps(src - (ptrdiff_t)(i + 7)), reverse));
    }
    if (i < n)
        sp_gather_generic(dst + i, (const char *)(src + s * (ptrdiff_t)i), s * 4, n - i, 4);
}

static void gather64(double *dst, const double *src, ptrdiff_t s, size_t n)
{
    size_t i = 0;
    if (s == 2) { /* unpacklo: offsets {0,4,2,6}; the permute orders them */
        for (; i + 4 < n; i += 4) {
            const double *p = src + 2 * (ptrdiff_t)i;
            const __m256d t = _mm256_unpacklo_pd(_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4));
            _mm256_storeu_pd(dst + i, _mm256_permute4x64_pd(t, 0xd8));
        }
    } else if (s == -2) { /* unpackhi: offsets {1,5,3,7} from the low end; elements are {7,5,3,1} */
        for (; i + 4 < n; i += 4) {
            const double *p = src - 2 * (ptrdiff_t)(i + 3) - 1;
            const __m256d t = _mm256_unpackhi_pd(_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4));
            _mm256_storeu_pd(dst + i, _mm256_permute4x64_pd(t, 0x27));
        }
    } else if (s == -1) {
        for (; i + 4 <= n; i += 4)
            _mm256_storeu_pd(dst + i, _mm256_permute4x64_pd(_mm256_loadu_pd(src - (ptrdiff_t)(i + 3)), 0x1b));
    }
    if (i < n)
        sp_gather_generic(dst + i, (const char *)(src + s * (ptrdiff_t)i), s * 8, n - i, 8);
}

SP_STRIDED_GATHER_BY_SIZE(gather_avx2, gather)

const sp_strided_copy sp_strided_copy_avx2 = {gather_avx2, sp_scatter_generic, sp_transpose_avx2};

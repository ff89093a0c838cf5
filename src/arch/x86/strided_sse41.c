/* strided_sse41.c -- the strided engine's copies for the SSE4.1 kernel set (strided.h, sp_strided_copy).
 * SPDX-License-Identifier: MIT
 *
 * Gathers of 4- and 8-byte elements at inner stride +-2 and -1: two whole vectors of the view's span are
 * loaded and de-interleaved by one shuffle (stride -2 and a reversed run: one more); 2-byte elements by
 * arch/x86/strided_gather16_sse41.h. Scatters stay element by element (the generic loop): SSE has no
 * lane-masked store short of maskmovdqu (a non-temporal store), and a store must not rewrite the
 * elements between the view's. A block is taken only while its whole span lies inside the view (stride
 * +-2 reads one element past the block's last: the loop stops one element early); the rest goes through
 * the generic loop. Only moves and shuffles: the bits are copied exactly whatever the FP environment.
 */
#include <smmintrin.h>
#include <stddef.h>

#include "strided.h"

#include "arch/x86/strided_gather16_sse41.h"

static void gather32(float *dst, const float *src, ptrdiff_t s, size_t n)
{
    size_t i = 0;
    if (s == 2) {
        for (; i + 4 < n; i += 4) {
            const float *p = src + 2 * (ptrdiff_t)i;
            _mm_storeu_ps(dst + i, _mm_shuffle_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 4), 0x88));
        }
    } else if (s == -2) { /* the odd offsets {1,3,5,7} from the low end, reversed */
        for (; i + 4 < n; i += 4) {
            const float *p = src - 2 * (ptrdiff_t)(i + 3) - 1;
            const __m128 t = _mm_shuffle_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 4), 0xdd);
            _mm_storeu_ps(dst + i, _mm_shuffle_ps(t, t, 0x1b));
        }
    } else if (s == -1) {
        for (; i + 4 <= n; i += 4) {
            const __m128 t = _mm_loadu_ps(src - (ptrdiff_t)(i + 3));
            _mm_storeu_ps(dst + i, _mm_shuffle_ps(t, t, 0x1b));
        }
    }
    if (i < n)
        sp_gather_generic(dst + i, (const char *)(src + s * (ptrdiff_t)i), s * 4, n - i, 4);
}

static void gather64(double *dst, const double *src, ptrdiff_t s, size_t n)
{
    size_t i = 0;
    if (s == 2) {
        for (; i + 2 < n; i += 2) {
            const double *p = src + 2 * (ptrdiff_t)i;
            _mm_storeu_pd(dst + i, _mm_unpacklo_pd(_mm_loadu_pd(p), _mm_loadu_pd(p + 2)));
        }
    } else if (s == -2) { /* offsets {3,1} from the low end */
        for (; i + 2 < n; i += 2) {
            const double *p = src - 2 * (ptrdiff_t)(i + 1) - 1;
            _mm_storeu_pd(dst + i, _mm_unpackhi_pd(_mm_loadu_pd(p + 2), _mm_loadu_pd(p)));
        }
    } else if (s == -1) {
        for (; i + 2 <= n; i += 2) {
            const __m128d t = _mm_loadu_pd(src - (ptrdiff_t)(i + 1));
            _mm_storeu_pd(dst + i, _mm_shuffle_pd(t, t, 1));
        }
    }
    if (i < n)
        sp_gather_generic(dst + i, (const char *)(src + s * (ptrdiff_t)i), s * 8, n - i, 8);
}

SP_STRIDED_GATHER_BY_SIZE(gather_sse41, gather)

const sp_strided_copy sp_strided_copy_sse41 = {gather_sse41, sp_scatter_generic, sp_transpose_generic};

/* strided_transpose_avx2.h -- the tile transpose of the strided copies for the AVX2 and AVX-512 sets
 * (strided.h, sp_strided_copy.transpose), included by arch/x86/strided_avx2.c and strided_avx512.c.
 * SPDX-License-Identifier: MIT
 *
 * 8 x 8 blocks of 2- and 4-byte elements and 4 x 4 blocks of 8-byte elements: one whole-vector load per
 * column of the block (2-byte: a 128-bit one), in-lane unpacks and shuffles, cross-lane permutes (2-byte:
 * none, three rounds of unpacks of 16-, 32- and 64-bit lanes), one store per row; the edges of the tile
 * through the generic copy. Only moves: the bits are copied exactly. The loops over a block's vectors are
 * unrolled: rolled, GCC -O2 kept r, t and u on the stack (a 2-byte block then cost ~46 cycles, and
 * unrolling ran transposed bf16 calls 1.37-1.41x and f32 1.11-1.27x faster, AVX2 and AVX-512 sets).
 */
#include <immintrin.h>
#include <stddef.h>

#include "strided.h"

static void sp_transpose_avx2(char *dst, ptrdiff_t dst_row, const char *src, ptrdiff_t src_col, size_t n0,
                              size_t n1, size_t elem_size)
{
    const size_t w = elem_size == 2 || elem_size == 4 ? 8 : elem_size == 8 ? 4 : 0; /* block edge */
    const size_t b0 = w ? n0 / w * w : 0, b1 = w ? n1 / w * w : 0;
    for (size_t i0 = 0; i0 < b0; i0 += w) {
        for (size_t i1 = 0; i1 < b1; i1 += w) {
            const char *s = src + (ptrdiff_t)i0 * src_col + (ptrdiff_t)(i1 * elem_size);
            char *d = dst + (ptrdiff_t)i1 * dst_row + (ptrdiff_t)(i0 * elem_size);
            if (elem_size == 2) {
                __m128i r[8], t[8], u[8];
                _Pragma("GCC unroll 8")
                for (int c = 0; c < 8; c++)
                    r[c] = _mm_loadu_si128((const __m128i *)(const void *)(s + c * src_col));
                _Pragma("GCC unroll 8")
                for (int c = 0; c < 8; c += 2) { /* columns 0-3 (t[c]) and 4-7 (t[c + 1]) of rows c, c + 1 */
                    t[c] = _mm_unpacklo_epi16(r[c], r[c + 1]);
                    t[c + 1] = _mm_unpackhi_epi16(r[c], r[c + 1]);
                }
                _Pragma("GCC unroll 8")
                for (int h = 0; h < 8; h += 4) { /* rows h..h+3: columns 0-1, 2-3, 4-5, 6-7 */
                    u[h] = _mm_unpacklo_epi32(t[h], t[h + 2]);
                    u[h + 1] = _mm_unpackhi_epi32(t[h], t[h + 2]);
                    u[h + 2] = _mm_unpacklo_epi32(t[h + 1], t[h + 3]);
                    u[h + 3] = _mm_unpackhi_epi32(t[h + 1], t[h + 3]);
                }
                _Pragma("GCC unroll 8")
                for (int j = 0; j < 4; j++) { /* columns 2j, 2j + 1: rows 0-3 from u[j], 4-7 from u[j + 4] */
                    _mm_storeu_si128((__m128i *)(void *)(d + 2 * j * dst_row), _mm_unpacklo_epi64(u[j], u[j + 4]));
                    _mm_storeu_si128((__m128i *)(void *)(d + (2 * j + 1) * dst_row), _mm_unpackhi_epi64(u[j], u[j + 4]));
                }
            } else if (elem_size == 4) {
                __m256 r[8], t[8], u[8];
                _Pragma("GCC unroll 8")
                for (int c = 0; c < 8; c++)
                    r[c] = _mm256_loadu_ps((const float *)(const void *)(s + c * src_col));
                _Pragma("GCC unroll 8")
                for (int c = 0; c < 8; c += 2) {
                    t[c] = _mm256_unpacklo_ps(r[c], r[c + 1]);
                    t[c + 1] = _mm256_unpackhi_ps(r[c], r[c + 1]);
                }
                _Pragma("GCC unroll 8")
                for (int h = 0; h < 8; h += 4) { /* columns h..h+3: rows 0|4, 1|5, 2|6, 3|7 */
                    u[h] = _mm256_shuffle_ps(t[h], t[h + 2], 0x44);
                    u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], 0xee);
                    u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0x44);
                    u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0xee);
                }
                _Pragma("GCC unroll 8")
                for (int j = 0; j < 4; j++) {
                    _mm256_storeu_ps((float *)(void *)(d + j * dst_row), _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
                    _mm256_storeu_ps((float *)(void *)(d + (j + 4) * dst_row), _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
                }
            } else {
                __m256d r[4], t[4];
                _Pragma("GCC unroll 8")
                for (int c = 0; c < 4; c++)
                    r[c] = _mm256_loadu_pd((const double *)(const void *)(s + c * src_col));
                t[0] = _mm256_unpacklo_pd(r[0], r[1]); /* rows 0|2 of columns 0, 1 */
                t[1] = _mm256_unpackhi_pd(r[0], r[1]); /* rows 1|3 */
                t[2] = _mm256_unpacklo_pd(r[2], r[3]);
                t[3] = _mm256_unpackhi_pd(r[2], r[3]);
                _mm256_storeu_pd((double *)(void *)d, _mm256_permute2f128_pd(t[0], t[2], 0x20));
                _mm256_storeu_pd((double *)(void *)(d + dst_row), _mm256_permute2f128_pd(t[1], t[3], 0x20));
                _mm256_storeu_pd((double *)(void *)(d + 2 * dst_row), _mm256_permute2f128_pd(t[0], t[2], 0x31));
                _mm256_storeu_pd((double *)(void *)(d + 3 * dst_row), _mm256_permute2f128_pd(t[1], t[3], 0x31));
            }
        }
        if (b1 < n1) /* the rows below the last whole block, for these columns */
            for (size_t c = i0; c < i0 + w; c++)
                sp_transpose_generic(dst + (ptrdiff_t)b1 * dst_row + (ptrdiff_t)(c * elem_size), dst_row,
                                     src + (ptrdiff_t)c * src_col + (ptrdiff_t)(b1 * elem_size), src_col, 1, n1 - b1,
                                     elem_size);
    }
    if (b0 < n0) /* the columns right of the last whole block, every row */
        sp_transpose_generic(dst + (ptrdiff_t)(b0 * elem_size), dst_row, src + (ptrdiff_t)b0 * src_col, src_col,
                             n0 - b0, n1, elem_size);
}

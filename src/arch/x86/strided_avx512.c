/* strided_avx512.c -- the strided engine's copies for the AVX-512 kernel set (strided.h, sp_strided_copy).
 * SPDX-License-Identifier: MIT
 *
 * 4- and 8-byte elements at inner stride +-1 and +-2: whole vectors of the view's span are loaded and
 * de-interleaved (or reversed) by one two-source permute into a contiguous vector; a scatter permutes a
 * contiguous vector into place and stores it with a lane mask, once per half for stride +-2, so it writes
 * the view's elements and nothing between them (a masked-off lane is never accessed). Every other
 * stride goes through the generic loops: on AMD Zen the hardware gather and scatter (vgatherdps,
 * vscatterdps) copied stride 3 at half the generic loop's rate (0.53 against 0.27 ns per f32 element).
 * Only moves and permutes: the bits are copied exactly whatever the FP environment. A full block is
 * taken only while its whole span lies inside the view (stride +-2 reads 2W elements for W, the last of
 * them one element past the block's last element, so a gather's block loop stops one element early);
 * the last 1..W elements are one more block whose loads and stores are masked to exactly their span
 * (offset_mask), not an element-by-element loop. The scatter's permute indices and lane masks are
 * computed from the stride in a few vector instructions: a call on one chunk spends no loop on them
 * (the table built lane by lane on each call put the scatter at 16% of a 16-element stride-2 backward
 * call's samples, against 33% for its kernel).
 */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "strided.h"

#include "arch/x86/strided_transpose_avx2.h"

/* A block of W lanes at |stride| m (1 or 2) spans W*m elements from its low end q: stride s > 0, element j
 * at offset s*j from q = the block's first element; s < 0, at W*m - 1 + s*j from q = (the block's first
 * element) + s*(W - 1) - (m - 1). A block of r <= W elements reads or writes the offsets
 * [offset_lo, offset_hi]: offset_mask gives them as bits (bit o: offset o, W*m <= 32), split into one lane
 * mask per W-lane vector of the span. */
static uint32_t offset_mask(ptrdiff_t s, size_t m, size_t w, size_t r)
{
    const size_t lo = s > 0 ? 0 : w * m - 1 - m * (r - 1), hi = s > 0 ? m * (r - 1) : w * m - 1;
    const uint32_t upto_hi = hi >= 31 ? UINT32_MAX : ((uint32_t)1 << (hi + 1)) - 1;
    return upto_hi & ~(((uint32_t)1 << lo) - 1);
}

/* ---- 4-byte elements (f32 bits), 16 lanes -------------------------------------------------------- */

static __m512i lanes_times32(ptrdiff_t s)
{
    return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                              _mm512_set1_epi32((int32_t)s));
}

/* The low end of the block of elements [i, i + 16) (see offset_mask); for the last block of a view
 * (fewer than 16 elements) it may lie outside the view: only offsets in its mask are accessed. */
static const float *block_low32(const float *p, ptrdiff_t s, size_t m, size_t i)
{
    return s > 0 ? p + s * (ptrdiff_t)i : p + s * (ptrdiff_t)(i + 15) - (ptrdiff_t)(m - 1);
}

static void gather32(float *dst, const float *src, ptrdiff_t s, size_t n)
{
    size_t i = 0;
    const size_t m = s < 0 ? (size_t)-s : (size_t)s;
    if ((m == 1 || m == 2) && n > 0) { /* n - 1 below */
        /* element j of a block at offset s*j + (s < 0 ? 16m - 1 : 0) from its low end */
        const __m512i idx = _mm512_add_epi32(lanes_times32(s), _mm512_set1_epi32(s < 0 ? (int32_t)(16 * m - 1) : 0));
        /* whole blocks while the span's 16m elements lie inside the view (s = +-2: one past the last) */
        for (; (i + 16) * m - 1 <= (n - 1) * m; i += 16) {
            const float *p = block_low32(src, s, m, i);
            const __m512 v = m == 1 ? _mm512_permutexvar_ps(idx, _mm512_loadu_ps(p))
                                    : _mm512_permutex2var_ps(_mm512_loadu_ps(p), idx, _mm512_loadu_ps(p + 16));
            _mm512_storeu_ps(dst + i, v);
        }
        if (i < n) { /* the last 1-16 elements: masked loads of exactly their span (masked-off lanes are never accessed) */
            const size_t r = n - i;
            const uint32_t span = offset_mask(s, m, 16, r);
            const uintptr_t p = (uintptr_t)src + (uintptr_t)((s > 0 ? s * (ptrdiff_t)i : s * (ptrdiff_t)(i + 15) - (ptrdiff_t)(m - 1)) * 4);
            const __m512 lo = _mm512_maskz_loadu_ps((__mmask16)span, (const void *)p);
            const __m512 v = m == 1 ? _mm512_permutexvar_ps(idx, lo)
                                    : _mm512_permutex2var_ps(lo, idx, _mm512_maskz_loadu_ps((__mmask16)(span >> 16), (const void *)(p + 64)));
            _mm512_mask_storeu_ps(dst + i, (__mmask16)(((uint32_t)1 << r) - 1), v);
            return;
        }
    }
    if (i < n)
        sp_gather_generic(dst + i, (const char *)(src + s * (ptrdiff_t)i), s * 4, n - i, 4);
}

static void scatter32(float *dst, ptrdiff_t s, const float *src, size_t n)
{
    size_t i = 0;
    const size_t m = s < 0 ? (size_t)-s : (size_t)s;
    if (m == 1 || m == 2) {
        /* Vector h of a block's span (h = 0, 1 for m == 2; h = 0 for m == 1) is stored from q + 16h with
         * lane L, offset t = 16h + L from the block's low end, taking element j = t/m (s > 0) or
         * (16m - 1 - t)/m (s < 0) when that divides: lane mask 0xffff (m == 1), even lanes 0x5555 (s = 2)
         * or odd lanes 0xaaaa (s = -2), the same in both vectors. */
        const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512i t0 = s > 0 ? lanes : _mm512_sub_epi32(_mm512_set1_epi32((int32_t)(16 * m - 1)), lanes);
        const __m512i t1 = s > 0 ? _mm512_add_epi32(lanes, _mm512_set1_epi32(16)) : _mm512_sub_epi32(_mm512_set1_epi32(15), lanes);
        const __m512i i0 = m == 2 ? _mm512_srli_epi32(t0, 1) : t0, i1 = _mm512_srli_epi32(t1, 1);
        const uint32_t lane_mask = m == 1 ? 0xffffu : s > 0 ? 0x5555u : 0xaaaau;
        for (; i + 16 <= n; i += 16) {
            const __m512 v = _mm512_loadu_ps(src + i);
            float *q = (float *)block_low32(dst, s, m, i);
            _mm512_mask_storeu_ps(q, (__mmask16)lane_mask, _mm512_permutexvar_ps(i0, v));
            if (m == 2)
                _mm512_mask_storeu_ps(q + 16, (__mmask16)lane_mask, _mm512_permutexvar_ps(i1, v));
        }
        if (i < n) { /* the last 1-15 elements: the same stores, masked to their offsets */
            const size_t r = n - i;
            const uint32_t span = offset_mask(s, m, 16, r) & (lane_mask | lane_mask << 16);
            const uintptr_t q = (uintptr_t)dst + (uintptr_t)((s > 0 ? s * (ptrdiff_t)i : s * (ptrdiff_t)(i + 15) - (ptrdiff_t)(m - 1)) * 4);
            const __m512 v = _mm512_maskz_loadu_ps((__mmask16)(((uint32_t)1 << r) - 1), src + i);
            _mm512_mask_storeu_ps((void *)q, (__mmask16)span, _mm512_permutexvar_ps(i0, v));
            if (m == 2)
                _mm512_mask_storeu_ps((void *)(q + 64), (__mmask16)(span >> 16), _mm512_permutexvar_ps(i1, v));
        }
        return;
    }
    sp_scatter_generic((char *)dst, s * 4, src, n, 4);
}

/* ---- 8-byte elements (f64 bits), 8 lanes ---------------------------------------------------------- */

static __m512i lanes_times64(ptrdiff_t s)
{
    return _mm512_mullo_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_epi64((int64_t)s));
}

static const double *block_low64(const double *p, ptrdiff_t s, size_t m, size_t i)
{
    return s > 0 ? p + s * (ptrdiff_t)i : p + s * (ptrdiff_t)(i + 7) - (ptrdiff_t)(m - 1);
}

static void gather64(double *dst, const double *src, ptrdiff_t s, size_t n)
{
    size_t i = 0;
    const size_t m = s < 0 ? (size_t)-s : (size_t)s;
    if ((m == 1 || m == 2) && n > 0) { /* n - 1 below */
        const __m512i idx = _mm512_add_epi64(lanes_times64(s), _mm512_set1_epi64(s < 0 ? (int64_t)(8 * m - 1) : 0));
        for (; (i + 8) * m - 1 <= (n - 1) * m; i += 8) {
            const double *p = block_low64(src, s, m, i);
            const __m512d v = m == 1 ? _mm512_permutexvar_pd(idx, _mm512_loadu_pd(p))
                                     : _mm512_permutex2var_pd(_mm512_loadu_pd(p), idx, _mm512_loadu_pd(p + 8));
            _mm512_storeu_pd(dst + i, v);
        }
        if (i < n) {
            const size_t r = n - i;
            const uint32_t span = offset_mask(s, m, 8, r);
            const uintptr_t p = (uintptr_t)src + (uintptr_t)((s > 0 ? s * (ptrdiff_t)i : s * (ptrdiff_t)(i + 7) - (ptrdiff_t)(m - 1)) * 8);
            const __m512d lo = _mm512_maskz_loadu_pd((__mmask8)span, (const void *)p);
            const __m512d v = m == 1 ? _mm512_permutexvar_pd(idx, lo)
                                     : _mm512_permutex2var_pd(lo, idx, _mm512_maskz_loadu_pd((__mmask8)(span >> 8), (const void *)(p + 64)));
            _mm512_mask_storeu_pd(dst + i, (__mmask8)(((uint32_t)1 << r) - 1), v);
            return;
        }
    }
    if (i < n)
        sp_gather_generic(dst + i, (const char *)(src + s * (ptrdiff_t)i), s * 8, n - i, 8);
}

static void scatter64(double *dst, ptrdiff_t s, const double *src, size_t n)
{
    size_t i = 0;
    const size_t m = s < 0 ? (size_t)-s : (size_t)s;
    if (m == 1 || m == 2) {
        /* as scatter32, 8 lanes: lane masks 0xff, 0x55 (s = 2), 0xaa (s = -2) */
        const __m512i lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
        const __m512i t0 = s > 0 ? lanes : _mm512_sub_epi64(_mm512_set1_epi64((int64_t)(8 * m - 1)), lanes);
        const __m512i t1 = s > 0 ? _mm512_add_epi64(lanes, _mm512_set1_epi64(8)) : _mm512_sub_epi64(_mm512_set1_epi64(7), lanes);
        const __m512i i0 = m == 2 ? _mm512_srli_epi64(t0, 1) : t0, i1 = _mm512_srli_epi64(t1, 1);
        const uint32_t lane_mask = m == 1 ? 0xffu : s > 0 ? 0x55u : 0xaau;
        for (; i + 8 <= n; i += 8) {
            const __m512d v = _mm512_loadu_pd(src + i);
            double *q = (double *)block_low64(dst, s, m, i);
            _mm512_mask_storeu_pd(q, (__mmask8)lane_mask, _mm512_permutexvar_pd(i0, v));
            if (m == 2)
                _mm512_mask_storeu_pd(q + 8, (__mmask8)lane_mask, _mm512_permutexvar_pd(i1, v));
        }
        if (i < n) {
            const size_t r = n - i;
            const uint32_t span = offset_mask(s, m, 8, r) & (lane_mask | lane_mask << 8);
            const uintptr_t q = (uintptr_t)dst + (uintptr_t)((s > 0 ? s * (ptrdiff_t)i : s * (ptrdiff_t)(i + 7) - (ptrdiff_t)(m - 1)) * 8);
            const __m512d v = _mm512_maskz_loadu_pd((__mmask8)(((uint32_t)1 << r) - 1), src + i);
            _mm512_mask_storeu_pd((void *)q, (__mmask8)span, _mm512_permutexvar_pd(i0, v));
            if (m == 2)
                _mm512_mask_storeu_pd((void *)(q + 64), (__mmask8)(span >> 8), _mm512_permutexvar_pd(i1, v));
        }
        return;
    }
    sp_scatter_generic((char *)dst, s * 8, src, n, 8);
}

/* ---- the pair ------------------------------------------------------------------------------------ */

SP_STRIDED_GATHER_BY_SIZE(gather_avx512, gather)

SP_STRIDED_SCATTER_BY_SIZE(scatter_avx512, scatter)

const sp_strided_copy sp_strided_copy_avx512 = {gather_avx512, scatter_avx512, sp_transpose_avx2};

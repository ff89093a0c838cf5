/* strided_avx512.c -- the strided engine's copies for the AVX-512 kernel set (strided.h, sp_strided_copy).
 * SPDX-License-Identifier: MIT
 *
 * 2-, 4- and 8-byte elements (bf16/f16, f32, f64 bits) at inner stride +-1 and +-2, one algorithm for the
 * three sizes (their vector ops below): whole vectors of the view's span are loaded and
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

/* ---- the vector ops of one element size: es = 2 (AVX-512BW), 4 or 8 bytes, W = 64 / es lanes ---------
 * Integer lanes throughout: the bits are only moved. es is a constant wherever these are inlined. */

static const uint16_t lane_numbers16[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const uint32_t lane_numbers32[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint64_t lane_numbers64[8] = {0, 1, 2, 3, 4, 5, 6, 7};

SP_INLINE __m512i lane_numbers(size_t es)
{
    return _mm512_loadu_si512(es == 2   ? (const void *)lane_numbers16
                              : es == 4 ? (const void *)lane_numbers32
                                        : (const void *)lane_numbers64);
}

SP_INLINE __m512i broadcast(size_t es, int64_t v)
{
    return es == 2 ? _mm512_set1_epi16((short)v) : es == 4 ? _mm512_set1_epi32((int)v) : _mm512_set1_epi64(v);
}

SP_INLINE __m512i add(size_t es, __m512i a, __m512i b)
{
    return es == 2 ? _mm512_add_epi16(a, b) : es == 4 ? _mm512_add_epi32(a, b) : _mm512_add_epi64(a, b);
}

SP_INLINE __m512i sub(size_t es, __m512i a, __m512i b)
{
    return es == 2 ? _mm512_sub_epi16(a, b) : es == 4 ? _mm512_sub_epi32(a, b) : _mm512_sub_epi64(a, b);
}

SP_INLINE __m512i mul(size_t es, __m512i a, __m512i b)
{
    return es == 2 ? _mm512_mullo_epi16(a, b) : es == 4 ? _mm512_mullo_epi32(a, b) : _mm512_mullo_epi64(a, b);
}

SP_INLINE __m512i halve(size_t es, __m512i a)
{
    return es == 2 ? _mm512_srli_epi16(a, 1) : es == 4 ? _mm512_srli_epi32(a, 1) : _mm512_srli_epi64(a, 1);
}

/* lane L of the result = lane idx[L] of a */
SP_INLINE __m512i permute(size_t es, __m512i idx, __m512i a)
{
    return es == 2   ? _mm512_permutexvar_epi16(idx, a)
           : es == 4 ? _mm512_permutexvar_epi32(idx, a)
                     : _mm512_permutexvar_epi64(idx, a);
}

/* lane L of the result = lane idx[L] of the 2W lanes a, b */
SP_INLINE __m512i permute2(size_t es, __m512i a, __m512i idx, __m512i b)
{
    return es == 2 ? _mm512_permutex2var_epi16(a, idx, b)
           : es == 4 ? _mm512_permutex2var_epi32(a, idx, b)
                     : _mm512_permutex2var_epi64(a, idx, b);
}

/* The lanes of mask (bit L: lane L) from p, zero elsewhere; a masked-off lane is never accessed. */
SP_INLINE __m512i load_lanes(size_t es, uint64_t mask, uintptr_t p)
{
    return es == 2 ? _mm512_maskz_loadu_epi16((__mmask32)mask, (const void *)p)
           : es == 4 ? _mm512_maskz_loadu_epi32((__mmask16)mask, (const void *)p)
                     : _mm512_maskz_loadu_epi64((__mmask8)mask, (const void *)p);
}

SP_INLINE void store_lanes(size_t es, uintptr_t p, uint64_t mask, __m512i v)
{
    if (es == 2)
        _mm512_mask_storeu_epi16((void *)p, (__mmask32)mask, v);
    else if (es == 4)
        _mm512_mask_storeu_epi32((void *)p, (__mmask16)mask, v);
    else
        _mm512_mask_storeu_epi64((void *)p, (__mmask8)mask, v);
}

/* ---- the copies, written once for every element size ----------------------------------------------
 * A block of W lanes at |stride| m (1 or 2) spans W*m elements from its low end q: stride s > 0, element j
 * at offset s*j from q = the block's first element; s < 0, at W*m - 1 + s*j from q = (the block's first
 * element) + s*(W - 1) - (m - 1). A block of r <= W elements reads or writes the offsets
 * [offset_lo, offset_hi]: offset_mask gives them as bits (bit o: offset o, W*m <= 64), split into one lane
 * mask per W-lane vector of the span. Addresses are computed as integers: the low end of a view's last
 * block (fewer than W elements) may lie outside the view, and only offsets in its mask are accessed. */
static uint64_t offset_mask(ptrdiff_t s, size_t m, size_t w, size_t r)
{
    const size_t lo = s > 0 ? 0 : w * m - 1 - m * (r - 1), hi = s > 0 ? m * (r - 1) : w * m - 1;
    const uint64_t upto_hi = hi >= 63 ? UINT64_MAX : ((uint64_t)1 << (hi + 1)) - 1;
    return upto_hi & ~(((uint64_t)1 << lo) - 1);
}

/* The low end of the block of elements [i, i + W) of the view at p (element size es, stride s). */
SP_INLINE uintptr_t block_low(size_t es, uintptr_t p, ptrdiff_t s, size_t m, size_t i)
{
    const size_t w = 64 / es;
    const ptrdiff_t first = s > 0 ? s * (ptrdiff_t)i : s * (ptrdiff_t)(i + w - 1) - (ptrdiff_t)(m - 1);
    return p + (uintptr_t)(first * (ptrdiff_t)es);
}

SP_INLINE void gather_lanes(size_t es, void *dst, const char *src, ptrdiff_t s, size_t n)
{
    const size_t w = 64 / es, m = s < 0 ? (size_t)-s : (size_t)s;
    size_t i = 0;
    if ((m == 1 || m == 2) && n > 0) { /* n - 1 below */
        /* element j of a block at offset s*j + (s < 0 ? W*m - 1 : 0) from its low end */
        const __m512i idx =
            add(es, mul(es, lane_numbers(es), broadcast(es, s)), broadcast(es, s < 0 ? (int64_t)(w * m - 1) : 0));
        /* whole blocks while the span's W*m elements lie inside the view (s = +-2: one past the last) */
        for (; (i + w) * m - 1 <= (n - 1) * m; i += w) {
            const uintptr_t p = block_low(es, (uintptr_t)src, s, m, i);
            const __m512i lo = _mm512_loadu_si512((const void *)p);
            const __m512i v =
                m == 1 ? permute(es, idx, lo) : permute2(es, lo, idx, _mm512_loadu_si512((const void *)(p + 64)));
            _mm512_storeu_si512((char *)dst + i * es, v);
        }
        if (i < n) { /* the last 1..W elements: loads of exactly their span */
            const size_t r = n - i;
            const uint64_t span = offset_mask(s, m, w, r), lanes = ((uint64_t)1 << w) - 1;
            const uintptr_t p = block_low(es, (uintptr_t)src, s, m, i);
            const __m512i lo = load_lanes(es, span & lanes, p);
            const __m512i v = m == 1 ? permute(es, idx, lo) : permute2(es, lo, idx, load_lanes(es, span >> w, p + 64));
            store_lanes(es, (uintptr_t)dst + i * es, ((uint64_t)1 << r) - 1, v);
            return;
        }
    }
    if (i < n)
        sp_gather_generic((char *)dst + i * es, src + s * (ptrdiff_t)(i * es), s * (ptrdiff_t)es, n - i, es);
}

SP_INLINE void scatter_lanes(size_t es, char *dst, ptrdiff_t s, const void *src, size_t n)
{
    const size_t w = 64 / es, m = s < 0 ? (size_t)-s : (size_t)s;
    if (m != 1 && m != 2) {
        sp_scatter_generic(dst, s * (ptrdiff_t)es, src, n, es);
        return;
    }
    /* Vector h of a block's span (h = 0, 1 for m == 2; h = 0 for m == 1) is stored from q + W*h with lane
     * L, offset t = W*h + L from the block's low end, taking element j = t/m (s > 0) or (W*m - 1 - t)/m
     * (s < 0) when that divides: every lane (m == 1), the even lanes (s = 2) or the odd lanes (s = -2),
     * the same in both vectors. */
    const __m512i lanes = lane_numbers(es);
    const __m512i t0 = s > 0 ? lanes : sub(es, broadcast(es, (int64_t)(w * m - 1)), lanes);
    const __m512i t1 =
        s > 0 ? add(es, lanes, broadcast(es, (int64_t)w)) : sub(es, broadcast(es, (int64_t)w - 1), lanes);
    const __m512i i0 = m == 2 ? halve(es, t0) : t0, i1 = halve(es, t1);
    const uint64_t all = ((uint64_t)1 << w) - 1;
    const uint64_t lane_mask = m == 1 ? all : s > 0 ? all & 0x5555555555555555u : all & 0xaaaaaaaaaaaaaaaau;
    size_t i = 0;
    for (; i + w <= n; i += w) {
        const __m512i v = _mm512_loadu_si512((const char *)src + i * es);
        const uintptr_t q = block_low(es, (uintptr_t)dst, s, m, i);
        store_lanes(es, q, lane_mask, permute(es, i0, v));
        if (m == 2)
            store_lanes(es, q + 64, lane_mask, permute(es, i1, v));
    }
    if (i < n) { /* the last 1..W-1 elements: the same stores, masked to their offsets */
        const size_t r = n - i;
        const uint64_t span = offset_mask(s, m, w, r) & (lane_mask | lane_mask << w);
        const uintptr_t q = block_low(es, (uintptr_t)dst, s, m, i);
        const __m512i v = load_lanes(es, ((uint64_t)1 << r) - 1, (uintptr_t)src + i * es);
        store_lanes(es, q, span & all, permute(es, i0, v));
        if (m == 2)
            store_lanes(es, q + 64, span >> w, permute(es, i1, v));
    }
}

/* ---- the pair ------------------------------------------------------------------------------------ */

/* es a constant in each branch: one instance of each copy per element size */
static void gather_avx512(void *dst, const char *src, ptrdiff_t stride, size_t n, size_t elem_size)
{
    if (elem_size == 2)
        gather_lanes(2, dst, src, stride / 2, n);
    else if (elem_size == 4)
        gather_lanes(4, dst, src, stride / 4, n);
    else if (elem_size == 8)
        gather_lanes(8, dst, src, stride / 8, n);
    else
        sp_gather_generic(dst, src, stride, n, elem_size);
}

static void scatter_avx512(char *dst, ptrdiff_t stride, const void *src, size_t n, size_t elem_size)
{
    if (elem_size == 2)
        scatter_lanes(2, dst, stride / 2, src, n);
    else if (elem_size == 4)
        scatter_lanes(4, dst, stride / 4, src, n);
    else if (elem_size == 8)
        scatter_lanes(8, dst, stride / 8, src, n);
    else
        sp_scatter_generic(dst, stride, src, n, elem_size);
}

const sp_strided_copy sp_strided_copy_avx512 = {gather_avx512, scatter_avx512, sp_transpose_avx2};

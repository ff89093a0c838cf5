/* f32_tail_sse41.h -- the last k = 1..3 floats of an f32 loop in one 128-bit register and back, for the
 * SSE4.1 kernels (a whole tail) and the AVX2 ones (the part beyond a 128-bit half), included by
 * arch/x86/softplus_f32_sse41.c and arch/x86/softplus_f32_avx2_ops.h.
 * SPDX-License-Identifier: MIT
 *
 * Built in registers by one 8-byte and one 4-byte move: a vector load of single-element stores (a
 * zero-padded stack copy) waits for them to retire, store forwarding fails (AVX2 f32 forward of 2..7
 * elements ran at 42-48 ns per call through such a copy against 18 ns for one element); vmaskmovps
 * stores are microcoded on AMD. Lanes k and up of a loaded vector are zero; nothing beyond p + k is read
 * or written.
 */
#ifndef SP_F32_TAIL_SSE41_H
#define SP_F32_TAIL_SSE41_H

#include <smmintrin.h>
#include <stddef.h>

static inline __m128 sp_load_tail3(const float *p, size_t k)
{
    /* two floats by one 8-byte move (the unaligned-type intrinsic: p is aligned to 4 only) */
    const __m128 lo = k >= 2 ? _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)p)) : _mm_load_ss(p);
    return k == 3 ? _mm_insert_ps(lo, _mm_load_ss(p + 2), 0x20) : lo;
}

static inline void sp_store_tail3(float *p, __m128 v, size_t k)
{
    if (k >= 2)
        _mm_storel_epi64((__m128i *)(void *)p, _mm_castps_si128(v));
    else
        _mm_store_ss(p, v);
    if (k == 3)
        _mm_store_ss(p + 2, _mm_movehl_ps(v, v));
}

#endif /* SP_F32_TAIL_SSE41_H */

/* strided_neon.c -- the strided engine's copies for the NEON kernel set (strided.h, sp_strided_copy).
 * SPDX-License-Identifier: MIT
 *
 * Gathers of 2-, 4- and 8-byte elements at inner stride 2: the de-interleaving loads (ld2) read two whole
 * vectors of the view's span and keep the even elements. Everything else, and every scatter, goes
 * through the generic loops: NEON has no lane-masked store, and a store must not rewrite the elements
 * between the view's (st2 would). A block is taken only while its whole span lies inside the view (it
 * reads one element past the block's last: the loop stops one element early). Only loads and stores:
 * the bits are copied exactly whatever the FP environment.
 */
#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

#include "strided.h"

static void gather_neon(void *dst, const char *src, ptrdiff_t stride, size_t n, size_t elem_size)
{
    size_t i = 0;
    if (elem_size == 2 && stride == 4) {
        uint16_t *d = dst;
        const uint16_t *s = (const uint16_t *)(const void *)src;
        for (; i + 8 < n; i += 8)
            vst1q_u16(d + i, vld2q_u16(s + 2 * i).val[0]);
    } else if (elem_size == 4 && stride == 8) {
        float *d = dst;
        const float *s = (const float *)(const void *)src;
        for (; i + 4 < n; i += 4)
            vst1q_f32(d + i, vld2q_f32(s + 2 * i).val[0]);
    } else if (elem_size == 8 && stride == 16) {
        double *d = dst;
        const double *s = (const double *)(const void *)src;
        for (; i + 2 < n; i += 2)
            vst1q_f64(d + i, vld2q_f64(s + 2 * i).val[0]);
    }
    if (i < n)
        sp_gather_generic((char *)dst + i * elem_size, src + (ptrdiff_t)i * stride, stride, n - i, elem_size);
}

const sp_strided_copy sp_strided_copy_neon = {gather_neon, sp_scatter_generic, sp_transpose_generic};

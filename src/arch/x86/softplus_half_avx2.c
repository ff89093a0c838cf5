/* softplus_half_avx2.c -- bf16 and f16 kernels of the avx2 set, every op, correctly rounded: the method of
 * arch/softplus_half_kernels.h over this set's float and double kernels.
 * SPDX-License-Identifier: MIT
 */
#define SP_HALF_F16C 1 /* dispatch.c requires F16C for this set */
#include "arch/softplus_half_kernels.h"

SP_HALF_KERNELS(avx2, AVX2)

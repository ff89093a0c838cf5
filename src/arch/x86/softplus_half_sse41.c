/* softplus_half_sse41.c -- bf16 and f16 kernels of the sse41 set, every op, correctly rounded: the method of
 * arch/softplus_half_kernels.h over this set's float and double kernels.
 * SPDX-License-Identifier: MIT
 */
#define SP_HALF_SSE41_CONV 1 /* the f16 conversions in vector operations: arch/x86/softplus_half_sse41_conv.h */
#include "arch/softplus_half_kernels.h"

SP_HALF_KERNELS(sse41, SSE41)
SP_HALF_CONVERSIONS(sse41)

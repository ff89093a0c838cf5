/* softplus_half_neon.c -- bf16 and f16 kernels of the neon set, every op, correctly rounded: the method of
 * arch/softplus_half_kernels.h over this set's float and double kernels.
 * SPDX-License-Identifier: MIT
 */
#include "arch/softplus_half_kernels.h"

SP_HALF_KERNELS(neon, NEON)

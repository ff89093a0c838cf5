/* softplus_half_scalar.c -- bf16 and f16 kernels of the scalar set, every op, correctly rounded: the method of
 * arch/softplus_half_kernels.h over this set's float and double kernels.
 * SPDX-License-Identifier: MIT
 */
#include "arch/softplus_half_kernels.h"

SP_HALF_KERNELS(scalar, SCALAR)

/* registry.h -- every ISA's kernel set, indexed [op][dtype], with each kernel's bounds and origin.
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_REGISTRY_H
#define SP_REGISTRY_H

#include "kernels.h"

/* The complete kernel set of an ISA of src/lists.h whose own kernels this build compiled (at least
 * one dtype), else NULL; says nothing about whether this CPU runs it (dispatch.h does). */
const sp_kernel_set *sp_registry_set(softplus_isa isa);

/* The entry for (op, dtype) of a set. */
static inline const sp_kernel *sp_kernel_of(const sp_kernel_set *set, sp_op op, sp_dtype dtype)
{
    return &set->k[op][dtype];
}

#endif /* SP_REGISTRY_H */

/* registry.h -- every ISA's kernel set, indexed [accuracy][op][dtype], with each kernel's bounds and origin.
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_REGISTRY_H
#define SP_REGISTRY_H

#include "kernels.h"

/* The complete kernel set of an ISA of src/lists.h whose own kernels this build compiled (at least
 * one dtype), else NULL; says nothing about whether this CPU runs it (dispatch.h does). */
const sp_kernel_set *sp_registry_set(softplus_isa isa);

/* The entry for (accuracy, op, dtype) of a set; accuracy is a valid softplus_accuracy. */
static inline const sp_kernel *sp_kernel_of(const sp_kernel_set *set, softplus_accuracy accuracy, sp_op op,
                                            sp_dtype dtype)
{
    return &set->k[accuracy][op][dtype];
}

#endif /* SP_REGISTRY_H */

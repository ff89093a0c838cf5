/* dispatch.h -- CPU detection, the active kernel set and accuracy tier: resolved once, lock-free,
 * overridable.
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_DISPATCH_H
#define SP_DISPATCH_H

#include <stdatomic.h>

#include "kernels.h"

#if defined(__GNUC__) || defined(__clang__)
#define SP_HIDDEN __attribute__((visibility("hidden")))
#else
#define SP_HIDDEN
#endif

/* What the two functions below read: the active set (NULL until resolved) and tier (-1 until resolved),
 * written only by dispatch.c. Inline, so that a small call's two reads are loads, not calls. */
extern SP_HIDDEN _Atomic(const sp_kernel_set *) sp_active_set;
extern SP_HIDDEN atomic_int sp_active_tier;
const sp_kernel_set *sp_resolve_kernels(void);
softplus_accuracy sp_resolve_accuracy(void);

/* The active kernel set; resolves it (CPU detection, then SOFTPLUS_ISA once) on the first call.
 * One acquire load on every later call. Never NULL. */
static inline const sp_kernel_set *sp_active_kernels(void)
{
    const sp_kernel_set *k = atomic_load_explicit(&sp_active_set, memory_order_acquire);
    return k ? k : sp_resolve_kernels();
}

/* The active accuracy tier (a valid softplus_accuracy); resolves it (SOFTPLUS_ACCURACY, read once, with
 * SOFTPLUS_ISA) on the first call. One acquire load on every later call: a call reads it once. */
static inline softplus_accuracy sp_active_accuracy(void)
{
    const int a = atomic_load_explicit(&sp_active_tier, memory_order_acquire);
    return a >= 0 ? (softplus_accuracy)a : sp_resolve_accuracy();
}

/* The kernel set of one ISA when it is compiled in and this CPU runs it, else NULL.
 * Tests use it to call every kernel by ISA, whatever is active. */
const sp_kernel_set *sp_kernels_for_isa(softplus_isa isa);

/* The best ISA this CPU runs among those compiled in. */
softplus_isa sp_best_isa(void);

#endif /* SP_DISPATCH_H */

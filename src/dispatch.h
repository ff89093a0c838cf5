/* dispatch.h -- CPU detection, the active kernel set and accuracy tier: resolved once, lock-free,
 * overridable.
 * SPDX-License-Identifier: MIT
 */
#ifndef SP_DISPATCH_H
#define SP_DISPATCH_H

#include "kernels.h"

/* The active kernel set; resolves it (CPU detection, then SOFTPLUS_ISA once) on the first call.
 * One acquire load on every later call. Never NULL. */
const sp_kernel_set *sp_active_kernels(void);

/* The active accuracy tier (a valid softplus_accuracy); resolves it (SOFTPLUS_ACCURACY, read once, with
 * SOFTPLUS_ISA) on the first call. One acquire load on every later call: a call reads it once. */
softplus_accuracy sp_active_accuracy(void);

/* The kernel set of one ISA when it is compiled in and this CPU runs it, else NULL.
 * Tests use it to call every kernel by ISA, whatever is active. */
const sp_kernel_set *sp_kernels_for_isa(softplus_isa isa);

/* The best ISA this CPU runs among those compiled in. */
softplus_isa sp_best_isa(void);

#endif /* SP_DISPATCH_H */

/* parallel.h -- where a large call's tasks run: the built-in pool, the host's executor, or the caller.
 * SPDX-License-Identifier: MIT
 *
 * A call splits its work into tasks only above SP_PARALLEL_GRAIN elements and only when it is not
 * nested (made from inside one of the library's tasks, or while a host executor runs one): then it
 * reads the settings once (sp_parallel_begin) and hands [0, n) to sp_parallel_run, which returns when
 * every task has run. Tasks must compute the same bits whichever thread runs them and in any order;
 * each enters the default FP control state itself (fpenv.h), since a pool thread or a host thread has
 * its own.
 */
#ifndef SP_PARALLEL_H
#define SP_PARALLEL_H

#include <stddef.h>

#include "softplus.h"

/* The fewest elements a task gets, in every op and dtype: below two of them a call runs on the caller's
 * thread without reading any setting. Measured (bench/bench_threads: the crossover on this 2-core EPYC
 * of a 2-thread call against a serial one, f32 forward, the cheapest op per element): waking a parked
 * thread and waiting for it costs 10-30 us, what 40-120k f32 elements take; README "Threads" has the
 * figures. */
#define SP_PARALLEL_GRAIN ((size_t)1 << 17)

/* The grain calls use: SP_PARALLEL_GRAIN, lowered only by the unit tests (before any call), so that
 * small tensors split into many tasks there. */
extern size_t sp_parallel_grain;

/* The most threads softplus_set_num_threads accepts. */
#define SP_MAX_THREADS 1024

/* One call's settings, read once when it starts. */
typedef struct sp_parallel {
    size_t threads;                 /* the built-in pool's thread count, the caller's included (>= 1) */
    softplus_parallel_for_fn host;  /* the host's executor, or NULL: the pool */
    void *host_ctx;
} sp_parallel;

/* Reads SOFTPLUS_NUM_THREADS, once per process (dispatch.c calls it when it reads SOFTPLUS_ISA and
 * SOFTPLUS_ACCURACY); a setter that ran first wins. */
void sp_parallel_resolve_environment(void);

/* Whether the calling thread may split a call: fills *p and returns 1, or returns 0 when the call is
 * nested or the settings leave it serial (one thread and no host executor). */
int sp_parallel_begin(sp_parallel *p);

/* Runs task over a partition of [0, n) into ranges of at least grain (the last may be shorter), on the
 * host's executor or the pool as p says, and returns when all have finished; the calling thread counts
 * as nested meanwhile. Where the pool cannot help (busy with another call, no thread could be started)
 * the caller runs task(task_ctx, 0, n) itself. */
void sp_parallel_run(const sp_parallel *p, size_t n, size_t grain, softplus_task_fn task, void *task_ctx);

/* Marks the calling thread as running one of the library's tasks (nested calls run serially) and
 * returns the previous mark, for sp_parallel_task_leave. */
int sp_parallel_task_enter(void);
void sp_parallel_task_leave(int previous);

#endif /* SP_PARALLEL_H */

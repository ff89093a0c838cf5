/* parallel.c -- the thread settings, the built-in pool, and the host's executor.
 * SPDX-License-Identifier: MIT
 *
 * The pool: worker threads made on the first call that needs them (as many as the largest thread count
 * asked for since, minus the caller, who works too), parked on a condition variable between calls (no
 * spinning), all signals blocked. One call at a time owns the pool; a call that finds it owned runs on
 * its own thread instead of queueing. The owner posts a job under the lock and wakes the workers; the
 * tasks (a few per thread, so that a thread the machine is slow to schedule leaves its share to the
 * others) are claimed from an atomic counter by the caller and by the workers the job names that join
 * it in time. When every task is claimed the caller closes the job -- a worker that wakes later finds it
 * closed and does not touch it -- and waits only for the workers that joined to finish theirs, so no
 * worker can still be reading the caller's context when the call returns, and a worker that a busy
 * machine schedules late never delays it. Fork: the child has none of the parent's threads, so its pool starts empty
 * (pthread_atfork). Unload and exit: a destructor wakes the workers with a shutdown mark and joins them.
 */
#define _GNU_SOURCE /* sched_getaffinity and CPU_COUNT; the dialect stays C11 */
#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t sp_parallel_grain = SP_PARALLEL_GRAIN;

/* ---- the settings ------------------------------------------------------------------------------- */

/* Guarded by settings_lock: a call copies all three at once, so it never pairs one executor's function
 * with another's context. */
static pthread_mutex_t settings_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t setting_threads = 1;
static softplus_parallel_for_fn setting_host;
static void *setting_host_ctx;
static int setting_resolved; /* SOFTPLUS_NUM_THREADS read, or a setter ran first */

/* Set while the thread runs one of our tasks, or hands one of our calls to the pool or the host. */
static _Thread_local int nested;

/* The CPUs in the calling thread's affinity mask (at least 1). */
static size_t cpus_available(void)
{
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (size_t)CPU_COUNT(&set);
#endif
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (size_t)online : 1;
}

/* n threads as the API takes it (0: one per CPU), capped; 0 when n is out of range. */
static size_t threads_for_request(size_t n)
{
    if (n > SP_MAX_THREADS)
        return 0;
    if (n == 0) {
        const size_t cpus = cpus_available();
        return cpus < SP_MAX_THREADS ? cpus : SP_MAX_THREADS;
    }
    return n;
}

/* SOFTPLUS_NUM_THREADS as a thread count, or 0 when it is absent or not a decimal number in range. */
static size_t threads_from_environment(void)
{
    const char *text = getenv("SOFTPLUS_NUM_THREADS");
    if (!text || *text < '0' || *text > '9')
        return 0;
    size_t n = 0;
    for (; *text >= '0' && *text <= '9'; text++) {
        n = n * 10 + (size_t)(*text - '0');
        if (n > SP_MAX_THREADS)
            return 0;
    }
    return *text == '\0' ? threads_for_request(n) : 0;
}

/* With settings_lock held. */
static void resolve_locked(void)
{
    if (setting_resolved)
        return;
    const size_t n = threads_from_environment();
    if (n)
        setting_threads = n;
    setting_resolved = 1;
}

void sp_parallel_resolve_environment(void)
{
    pthread_mutex_lock(&settings_lock);
    resolve_locked();
    pthread_mutex_unlock(&settings_lock);
}

int sp_parallel_begin(sp_parallel *p)
{
    if (nested)
        return 0;
    pthread_mutex_lock(&settings_lock);
    resolve_locked();
    p->threads = setting_threads;
    p->host = setting_host;
    p->host_ctx = setting_host_ctx;
    pthread_mutex_unlock(&settings_lock);
    return p->host != NULL || p->threads > 1;
}

int sp_parallel_task_enter(void)
{
    const int previous = nested;
    nested = 1;
    return previous;
}

void sp_parallel_task_leave(int previous)
{
    nested = previous;
}

SOFTPLUS_API softplus_status softplus_set_num_threads(size_t n)
{
    const size_t threads = threads_for_request(n);
    if (!threads)
        return SOFTPLUS_ERR_PARAM;
    pthread_mutex_lock(&settings_lock);
    setting_threads = threads;
    setting_resolved = 1;
    pthread_mutex_unlock(&settings_lock);
    return SOFTPLUS_OK;
}

SOFTPLUS_API size_t softplus_num_threads(void)
{
    pthread_mutex_lock(&settings_lock);
    resolve_locked();
    const size_t n = setting_threads;
    pthread_mutex_unlock(&settings_lock);
    return n;
}

SOFTPLUS_API softplus_status softplus_set_parallel_for(softplus_parallel_for_fn fn, void *pool_ctx)
{
    pthread_mutex_lock(&settings_lock);
    setting_host = fn;
    setting_host_ctx = fn ? pool_ctx : NULL;
    pthread_mutex_unlock(&settings_lock);
    return SOFTPLUS_OK;
}

/* ---- the pool ----------------------------------------------------------------------------------- */

/* A few tasks per thread: the pool's threads share a machine with others, and a thread that is
 * scheduled late then leaves its tasks to the rest. */
enum { SP_TASKS_PER_THREAD = 4 };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;             /* a job was posted, or shutdown */
    pthread_cond_t done;             /* the last worker in a closed job finished */
    size_t nworkers;
    pthread_t worker[SP_MAX_THREADS - 1];
    unsigned long born[SP_MAX_THREADS - 1]; /* the generation a worker was made at: its first job is the next */
    unsigned long generation;        /* counts the jobs posted */
    int shutdown;
    /* the job of the current generation */
    softplus_task_fn task;
    void *task_ctx;
    size_t n, ntasks, nhelpers;      /* workers 0..nhelpers-1 may join */
    size_t joined;                   /* workers running the job's tasks now */
    int closed;                      /* every task claimed: nobody joins any more */
    atomic_size_t next;              /* the next task to claim */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static atomic_int pool_owned; /* a call owns the pool */
static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;

/* Task i of ntasks over [0, n): equal shares, the first n % ntasks one longer. */
static void claim_and_run(softplus_task_fn task, void *task_ctx, size_t n, size_t ntasks)
{
    const size_t share = n / ntasks, longer = n % ntasks;
    for (;;) {
        const size_t i = atomic_fetch_add_explicit(&pool.next, 1, memory_order_relaxed);
        if (i >= ntasks)
            return;
        const size_t begin = i * share + (i < longer ? i : longer);
        task(task_ctx, begin, begin + share + (i < longer));
    }
}

static void *worker_main(void *arg)
{
    const size_t index = (size_t)(uintptr_t)arg;
    nested = 1; /* a call made from one of our tasks runs serially */
    pthread_mutex_lock(&pool.lock);
    unsigned long seen = pool.born[index];
    for (;;) {
        while (pool.generation == seen && !pool.shutdown)
            pthread_cond_wait(&pool.wake, &pool.lock);
        if (pool.generation == seen)
            break; /* shutdown, and no job left for this worker */
        seen = pool.generation;
        if (index >= pool.nhelpers || pool.closed)
            continue;
        pool.joined++;
        const softplus_task_fn task = pool.task;
        void *const task_ctx = pool.task_ctx;
        const size_t n = pool.n, ntasks = pool.ntasks;
        pthread_mutex_unlock(&pool.lock);
        claim_and_run(task, task_ctx, n, ntasks);
        pthread_mutex_lock(&pool.lock);
        if (--pool.joined == 0 && pool.closed)
            pthread_cond_signal(&pool.done);
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

/* fork: the prepare handler takes both locks so the child copies consistent state; the child has none
 * of the workers (fork copies only the calling thread), so it starts with an empty pool and fresh
 * locks. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&settings_lock);
    pthread_mutex_lock(&pool.lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&settings_lock);
}

static void fork_child(void)
{
    pthread_mutex_init(&settings_lock, NULL);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.done, NULL);
    pool.nworkers = 0;
    pool.nhelpers = 0;
    pool.joined = 0;
    pool.closed = 1;
    pool.shutdown = 0;
    atomic_store_explicit(&pool_owned, 0, memory_order_relaxed);
}

static void register_fork_handlers(void)
{
    /* glibc drops a library's handlers when it is unloaded (dlclose); a failure leaves the pool as it is,
     * which a child that never uses it does not notice */
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Makes workers until there are `want` (with pool.lock held); stops at the first that cannot start. */
static void grow_pool(size_t want)
{
    if (want > SP_MAX_THREADS - 1)
        want = SP_MAX_THREADS - 1;
    if (pool.nworkers >= want)
        return;
    /* workers take no signals: the host's handlers run on the host's threads */
    sigset_t all, old;
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
        return;
    while (pool.nworkers < want) {
        const size_t index = pool.nworkers;
        pool.born[index] = pool.generation;
        if (pthread_create(&pool.worker[index], NULL, worker_main, (void *)(uintptr_t)index) != 0)
            break;
        pool.nworkers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Runs [0, n) on up to `threads` threads of the pool, the caller's included; 0 when the pool could not
 * take it (owned by another call, or no worker), and nothing has run. */
static int pool_run(size_t threads, size_t n, size_t grain, softplus_task_fn task, void *task_ctx)
{
    const size_t most_tasks = grain ? n / grain : n;
    size_t ntasks = threads * SP_TASKS_PER_THREAD;
    if (ntasks > most_tasks)
        ntasks = most_tasks;
    if (ntasks < 2)
        return 0;
    /* before the pool's lock, which the prepare handler takes while fork() holds glibc's handler lock */
    pthread_once(&fork_handlers_once, register_fork_handlers);
    int expected = 0;
    if (!atomic_compare_exchange_strong_explicit(&pool_owned, &expected, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        return 0;
    pthread_mutex_lock(&pool.lock);
    size_t helpers = pool.shutdown ? 0 : threads - 1 < ntasks - 1 ? threads - 1 : ntasks - 1; /* none after unload began */
    grow_pool(helpers);
    if (helpers > pool.nworkers)
        helpers = pool.nworkers;
    if (helpers == 0) {
        pthread_mutex_unlock(&pool.lock);
        atomic_store_explicit(&pool_owned, 0, memory_order_release);
        return 0;
    }
    pool.task = task;
    pool.task_ctx = task_ctx;
    pool.n = n;
    pool.ntasks = ntasks;
    pool.nhelpers = helpers;
    pool.joined = 0;
    pool.closed = 0;
    atomic_store_explicit(&pool.next, 0, memory_order_relaxed);
    pool.generation++;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    claim_and_run(task, task_ctx, n, ntasks);

    pthread_mutex_lock(&pool.lock);
    pool.closed = 1;
    while (pool.joined > 0)
        pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    atomic_store_explicit(&pool_owned, 0, memory_order_release);
    return 1;
}

void sp_parallel_run(const sp_parallel *p, size_t n, size_t grain, softplus_task_fn task, void *task_ctx)
{
    const int previous = sp_parallel_task_enter();
    if (p->host)
        p->host(p->host_ctx, n, grain, task, task_ctx);
    else if (!pool_run(p->threads, n, grain, task, task_ctx))
        task(task_ctx, 0, n);
    sp_parallel_task_leave(previous);
}

/* At dlclose and at exit: every worker finishes the job it has, sees the shutdown mark and returns; the
 * threads are joined, so none outlives the library's code and none is left for a leak checker. */
__attribute__((destructor)) static void pool_release(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.shutdown = 1;
    pthread_cond_broadcast(&pool.wake);
    const size_t nworkers = pool.nworkers;
    pthread_mutex_unlock(&pool.lock);
    for (size_t i = 0; i < nworkers; i++)
        pthread_join(pool.worker[i], NULL);
    pthread_mutex_lock(&pool.lock);
    pool.nworkers = 0;
    pthread_mutex_unlock(&pool.lock);
}

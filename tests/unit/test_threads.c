/* test_threads.c -- parallel calls: the built-in pool and host executors give the serial call's bytes.
 * SPDX-License-Identifier: MIT
 *
 * Every parallel call here is compared, byte for byte over each operand's whole arena (the views and the
 * bytes around them), with the same call made serially (one thread, no executor). The grain is lowered
 * (sp_parallel_grain, before any call) so that tensors of a few thousand elements split into many tasks;
 * one case runs at the shipped grain. Tests:
 *   1. random shapes (rank 1-4), layouts (permuted, padded, reversed, broadcast inputs, in place, all
 *      C-contiguous), every op and dtype, beta and threshold: the pool with 2, 3 and 4 threads, a host
 *      executor running the ranges in order on the calling thread, and one running them in reverse
 *      order on three threads of its own; the executor's ranges must partition [0, n) with n >= 2 grain;
 *   2. the same with the caller's rounding mode set upward: every task computes in the default mode,
 *      and the caller's mode is restored;
 *   3. nested calls: a host executor that makes a large call itself before running the ranges (it must
 *      run serially: the executor is never re-entered);
 *   4. setters racing calls: threads calling while others cycle softplus_set_num_threads and
 *      softplus_set_parallel_for (TSan suite);
 *   5. concurrent callers sharing the pool (one owns it; the other runs serially);
 *   6. fork in a process with a pool, a thread calling meanwhile: the child starts with one thread, its
 *      parallel calls give the serial bytes, and it makes its own pool (under TSan, which cannot start
 *      threads in such a child, it calls serially);
 *   7. the setters' contract: counts, 0 = CPUs, > 1024 refused, the executor set and reset;
 *   8. `env N`: SOFTPLUS_NUM_THREADS read once with SOFTPLUS_ISA (tests/unit/CMakeLists.txt).
 * Label "threads": the TSan suite runs it (tests/run.sh). Where threads cannot start (qemu-user 7.2 on
 * Linux 6.x never returns from pthread_create) the tests that need no new thread still run: the random
 * cases and nested calls through the host executor that runs every range on the calling thread.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include <fenv.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parallel.h"
#include "process_threads.h"
#include "unit_common.h"


/* ThreadSanitizer cannot start threads in the child of a multi-threaded fork ("not supported. Dying"):
 * there the child checks its serial call only. */
#if defined(__SANITIZE_THREAD__)
#define SP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SP_TSAN 1
#endif
#endif
#ifndef SP_TSAN
#define SP_TSAN 0
#endif

#ifdef SP_TEST_REDUCED /* valgrind (~50x slower) and TSan */
enum { DEFAULT_CASES = 12, RACE_CALLS = 6, FORKS = 2 };
#else
enum { DEFAULT_CASES = 120, RACE_CALLS = 40, FORKS = 6 };
#endif
static size_t random_cases = DEFAULT_CASES; /* test_threads CASES: fewer under an emulator */
enum { TEST_GRAIN = 64, MAX_ELEMENTS = 24000, HOST_THREADS = 3 };


/* ---- a case: a call with its arenas ---------------------------------------------------------------- */

typedef struct tcase {
    sp_call call;
    size_t shape[4];
    ptrdiff_t strides[3][4];
    unsigned char *arena[3];   /* operand k's memory (the output's also holds operand 1 when in place) */
    size_t bytes[3];
    unsigned char *initial[3]; /* each arena before any call */
    unsigned char *serial;     /* the output arena after the serial call */
    size_t noperands;
    int in_place;
} tcase;

/* A layout of `shape`: dimensions nested in a random order, each one's stride the span of those inside
 * it plus random padding, signs random; a zero stride (broadcast) on a random dimension when allowed.
 * Returns the elements from the lowest element to the highest, and the offset of element 0 from the
 * lowest in *origin. */
static size_t random_layout(sp_rng *r, size_t ndim, const size_t *shape, ptrdiff_t *strides, int broadcast,
                            size_t *origin)
{
    size_t order[4] = {0, 1, 2, 3};
    for (size_t i = ndim; i > 1; i--) {
        const size_t j = rng_below(r, i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    size_t span = 1; /* elements from the lowest to the highest of the dimensions placed so far */
    size_t low = 0;
    for (size_t i = 0; i < ndim; i++) {
        const size_t d = order[i];
        const size_t step = i == 0 ? 1 + rng_below(r, 3) * (rng_below(r, 3) == 0) : span + rng_below(r, 3);
        ptrdiff_t s = (ptrdiff_t)step;
        if (rng_below(r, 4) == 0)
            s = -s;
        if (broadcast && rng_below(r, 5) == 0)
            s = 0;
        strides[d] = s;
        span += (size_t)(s < 0 ? -s : s) * (shape[d] - 1);
        if (s < 0)
            low += (size_t)(-s) * (shape[d] - 1);
    }
    *origin = low;
    return span;
}

static void fill_random(sp_rng *r, unsigned char *p, size_t bytes, size_t es)
{
    for (size_t i = 0; i + es <= bytes; i += es) {
        if (rng_below(r, 8) == 0) {
            interesting_value(r, es, p + i);
        } else { /* the bulk in the range where the function is not linear */
            const double v = (rng_unit(r) - 0.5) * 60;
            if (es == 2) { /* bf16 (and, as bits, f16): the top half of the float */
                const float f = (float)v;
                uint32_t u;
                memcpy(&u, &f, 4);
                const uint16_t h = (uint16_t)(u >> 16);
                memcpy(p + i, &h, 2);
            } else if (es == 4) {
                const float f = (float)v;
                memcpy(p + i, &f, 4);
            } else {
                memcpy(p + i, &v, 8);
            }
        }
    }
}

static void case_free(tcase *t)
{
    for (size_t k = 0; k < 3; k++) {
        free(t->arena[k]);
        free(t->initial[k]);
    }
    free(t->serial);
    memset(t, 0, sizeof *t);
}

static void case_reset(tcase *t)
{
    for (size_t k = 0; k < t->noperands; k++)
        if (t->arena[k])
            memcpy(t->arena[k], t->initial[k], t->bytes[k]);
}

/* The case's call, serially. */
static void run_serial(tcase *t)
{
    assert_int_equal(softplus_set_parallel_for(NULL, NULL), SOFTPLUS_OK);
    assert_int_equal(softplus_set_num_threads(1), SOFTPLUS_OK);
    case_reset(t);
    assert_int_equal(call_run(&t->call), SOFTPLUS_OK);
}

/* A random case of op fn with at most `most` elements (at least 2 grains, so that it splits). */
static void case_random(tcase *t, sp_rng *r, sp_fn fn, size_t most)
{
    memset(t, 0, sizeof *t);
    sp_call *c = &t->call;
    c->op = fn;
    t->noperands = op_noperands(fn);
    const size_t es = op_elem_size(fn);
    size_t count;
    do {
        c->ndim = 1 + rng_below(r, 4);
        const size_t cap = c->ndim == 1 ? most : c->ndim == 2 ? 300 : c->ndim == 3 ? 50 : 16;
        count = 1;
        for (size_t d = 0; d < c->ndim; d++) {
            t->shape[d] = 1 + rng_below(r, cap);
            count *= t->shape[d];
        }
    } while (count > most || count < 2 * TEST_GRAIN);
    c->shape = t->shape;
    const int contiguous = rng_below(r, 5) == 0;
    t->in_place = rng_below(r, 5) == 0;
    for (size_t k = 0; k < t->noperands; k++) {
        size_t origin = 0, span;
        if (contiguous) {
            span = count;
            c->strides[k] = NULL;
        } else {
            span = random_layout(r, c->ndim, t->shape, t->strides[k], k > 0, &origin);
            c->strides[k] = t->strides[k];
        }
        if (k == 1 && t->in_place) { /* the output's view itself */
            c->ptr[1] = c->ptr[0];
            c->strides[1] = c->strides[0];
            continue;
        }
        const size_t pad = 3;
        t->bytes[k] = (span + 2 * pad) * es;
        t->arena[k] = malloc(t->bytes[k]);
        t->initial[k] = malloc(t->bytes[k]);
        assert_non_null(t->arena[k]);
        assert_non_null(t->initial[k]);
        fill_random(r, t->initial[k], t->bytes[k], es);
        c->ptr[k] = t->arena[k] + (pad + origin) * es;
    }
    static const double betas[] = {1.0, 0.5, -2.0, 3.0};
    static const double thresholds[] = {20.0, INFINITY, 5.0};
    c->beta = betas[rng_below(r, 4)];
    c->threshold = thresholds[rng_below(r, 3)];
    run_serial(t);
    t->serial = malloc(t->bytes[0]);
    assert_non_null(t->serial);
    memcpy(t->serial, t->arena[0], t->bytes[0]);
}

/* A C-contiguous case of op fn with `count` elements in one dimension. */
static void case_contiguous(tcase *t, sp_rng *r, sp_fn fn, size_t count)
{
    memset(t, 0, sizeof *t);
    sp_call *c = &t->call;
    c->op = fn;
    c->ndim = 1;
    t->shape[0] = count;
    c->shape = t->shape;
    t->noperands = op_noperands(fn);
    const size_t es = op_elem_size(fn);
    for (size_t k = 0; k < t->noperands; k++) {
        t->bytes[k] = count * es;
        t->arena[k] = malloc(t->bytes[k]);
        t->initial[k] = malloc(t->bytes[k]);
        assert_non_null(t->arena[k]);
        assert_non_null(t->initial[k]);
        fill_random(r, t->initial[k], t->bytes[k], es);
        c->ptr[k] = t->arena[k];
    }
    c->beta = 1;
    c->threshold = 20;
    run_serial(t);
    t->serial = malloc(t->bytes[0]);
    assert_non_null(t->serial);
    memcpy(t->serial, t->arena[0], t->bytes[0]);
}

static void describe(const tcase *t, const char *how)
{
    print_error("%s, %s: rank %zu, shape", op_name(t->call.op), how, t->call.ndim);
    for (size_t d = 0; d < t->call.ndim; d++)
        print_error(" %zu", t->shape[d]);
    for (size_t k = 0; k < t->noperands; k++) {
        print_error("; %s strides", operand_name(t->call.op, k));
        if (!t->call.strides[k])
            print_error(" NULL");
        for (size_t d = 0; t->call.strides[k] && d < t->call.ndim; d++)
            print_error(" %td", t->call.strides[k][d]);
    }
    print_error("%s; beta %g threshold %g\n", t->in_place ? " (in place)" : "", t->call.beta, t->call.threshold);
}

/* Whether the last call left the serial call's bytes in every arena. */
static int case_matches(const tcase *t, const char *how)
{
    if (memcmp(t->arena[0], t->serial, t->bytes[0]) == 0) {
        for (size_t k = 1; k < t->noperands; k++)
            if (t->arena[k] && memcmp(t->arena[k], t->initial[k], t->bytes[k]) != 0) {
                describe(t, how);
                print_error("    input arena %zu changed\n", k);
                return 0;
            }
        return 1;
    }
    size_t first = 0, wrong = 0;
    for (size_t i = 0; i < t->bytes[0]; i++)
        if (t->arena[0][i] != t->serial[i] && wrong++ == 0)
            first = i;
    describe(t, how);
    print_error("    %zu byte(s) differ from the serial call's, the first at output arena byte %zu\n", wrong, first);
    return 0;
}

/* ---- host executors ------------------------------------------------------------------------------ */

typedef struct host {
    int reverse;
    size_t threads;            /* 0: the ranges on the calling thread */
    tcase *nested;             /* when set: run this case's call first, from inside the executor */
    atomic_int calls;
    atomic_int bad;            /* a contract violation seen on some thread */
    atomic_int nested_wrong;
} host;

/* executor calls in progress on this thread: a nested call must never come back */
static _Thread_local int host_depth;

typedef struct host_share {
    host *h;
    size_t n, grain, index, stride;
    softplus_task_fn task;
    void *task_ctx;
} host_share;

/* Ranges index, index + stride, ... of [0, n) cut every `grain`, in reverse order or not. */
static void run_share(const host_share *s)
{
    const size_t ranges = (s->n + s->grain - 1) / s->grain;
    for (size_t j = 0; j < ranges; j++) {
        const size_t i = s->h->reverse ? ranges - 1 - j : j;
        if (i % s->stride != s->index)
            continue;
        const size_t begin = i * s->grain, end = begin + s->grain < s->n ? begin + s->grain : s->n;
        s->task(s->task_ctx, begin, end);
    }
}

static void *share_thread(void *arg)
{
    run_share(arg);
    return NULL;
}

static void host_parallel_for(void *pool_ctx, size_t n, size_t grain, softplus_task_fn task, void *task_ctx)
{
    host *h = pool_ctx;
    atomic_fetch_add(&h->calls, 1);
    if (host_depth++ != 0 || grain == 0 || n < 2 * grain || !task)
        atomic_store(&h->bad, 1);
    if (h->nested) { /* a call from inside the executor: serial, never back here */
        case_reset(h->nested);
        if (call_run(&h->nested->call) != SOFTPLUS_OK || memcmp(h->nested->arena[0], h->nested->serial,
                                                                h->nested->bytes[0]) != 0)
            atomic_store(&h->nested_wrong, 1);
    }
    if (h->threads == 0) {
        const host_share s = {h, n, grain, 0, 1, task, task_ctx};
        run_share(&s);
    } else {
        pthread_t tid[8];
        host_share s[8];
        size_t started = 0;
        for (size_t t = 0; t < h->threads; t++) {
            s[t] = (host_share){h, n, grain, t, h->threads, task, task_ctx};
            if (pthread_create(&tid[t], NULL, share_thread, &s[t]) == 0)
                started++;
            else
                run_share(&s[t]);
        }
        for (size_t t = 0; t < started; t++)
            pthread_join(tid[t], NULL);
    }
    host_depth--;
}

/* ---- the configurations a case runs under ---------------------------------------------------------- */

typedef struct config {
    const char *name;
    size_t threads;
    int host_reverse;
    size_t host_threads;
    int use_host;
} config;

/* Whether this process can start threads: not under qemu-user 7.2 on Linux 6.x, where pthread_create
 * never returns (then only the configurations that need no new thread run: the host executor on the
 * calling thread splits and runs every task as well). */
static int threads_work;

static int config_runs(const config *cf)
{
    return threads_work || (cf->threads == 1 && cf->host_threads == 0);
}

static const config configs[] = {
    {"pool, 2 threads", 2, 0, 0, 0},
    {"pool, 3 threads", 3, 0, 0, 0},
    {"pool, 4 threads", 4, 0, 0, 0},
    {"host executor, in order, calling thread", 1, 0, 0, 1},
    {"host executor, reverse order, 3 threads of its own", 1, 1, HOST_THREADS, 1},
};
#define NCONFIGS (sizeof configs / sizeof configs[0])

static host hosts[NCONFIGS];
static size_t executor_used; /* calls of a host configuration that reached its executor */

/* The case under configuration i; 1 when it gave the serial bytes and the executor kept the contract. */
static int run_config(tcase *t, size_t i)
{
    const config *cf = &configs[i];
    host *h = &hosts[i];
    h->reverse = cf->host_reverse;
    h->threads = cf->host_threads;
    const int calls_before = atomic_load(&h->calls);
    assert_int_equal(softplus_set_num_threads(cf->threads), SOFTPLUS_OK);
    assert_int_equal(softplus_set_parallel_for(cf->use_host ? host_parallel_for : NULL, h), SOFTPLUS_OK);
    case_reset(t);
    const softplus_status status = call_run(&t->call);
    assert_int_equal(softplus_set_parallel_for(NULL, NULL), SOFTPLUS_OK);
    assert_int_equal(softplus_set_num_threads(1), SOFTPLUS_OK);
    if (status != SOFTPLUS_OK) {
        describe(t, cf->name);
        print_error("    status %d\n", (int)status);
        return 0;
    }
    if (cf->use_host && atomic_load(&h->calls) != calls_before)
        executor_used++;
    if (atomic_load(&h->bad)) {
        describe(t, cf->name);
        print_error("    the executor was called against its contract (n < 2 grain, grain 0, or re-entered)\n");
        return 0;
    }
    return case_matches(t, cf->name);
}

/* ---- 1, 2. random cases --------------------------------------------------------------------------- */

static void check_random_cases(int round_upward)
{
    sp_rng r = {0x7e57ab1e5eedULL + (uint64_t)round_upward};
    int failures = 0;
    executor_used = 0;
    for (size_t n = 0; n < random_cases; n++) {
        tcase t;
        case_random(&t, &r, (sp_fn)(n % SP_FN_COUNT), MAX_ELEMENTS);
        for (size_t i = 0; i < NCONFIGS; i++) {
            if (!config_runs(&configs[i]))
                continue;
            if (round_upward)
                assert_int_equal(fesetround(FE_UPWARD), 0);
            const int ok = run_config(&t, i);
            if (round_upward) {
                const int mode = fegetround();
                fesetround(FE_TONEAREST);
                assert_int_equal(mode, FE_UPWARD);
            }
            failures += !ok;
        }
        case_free(&t);
    }
    assert_int_equal(failures, 0);
    /* most cases split (the others have no dimension of two grains' units) */
    const size_t host_calls = random_cases * (threads_work ? 2 : 1);
    if (executor_used < host_calls * 3 / 4)
        print_error("the executors ran %zu of %zu calls\n", executor_used, host_calls);
    assert_true(executor_used >= host_calls * 3 / 4);
}

static void test_random_cases(void **state)
{
    (void)state;
    check_random_cases(0);
    /* the pool was used: its workers exist (3 of them after 4 threads) */
    if (threads_work)
        assert_true(process_threads() >= 4);
}

static void test_random_cases_caller_rounds_upward(void **state)
{
    (void)state;
#ifdef FE_UPWARD
    check_random_cases(1);
#else
    skip();
#endif
}

/* One case at the shipped grain (2^18 f32 elements, rows of 1024 with padding), pool and host. */
static void test_shipped_grain(void **state)
{
    (void)state;
    sp_parallel_grain = SP_PARALLEL_GRAIN;
    sp_rng r = {42};
    tcase t;
    memset(&t, 0, sizeof t);
    t.call.op = SP_FN_FWD_F32;
    t.noperands = 2;
    t.call.ndim = 2;
    t.shape[0] = 2 * SP_PARALLEL_GRAIN / 1024;
    t.shape[1] = 1024;
    t.call.shape = t.shape;
    const size_t row = 1024 + 5;
    for (size_t k = 0; k < 2; k++) {
        t.strides[k][0] = (ptrdiff_t)row;
        t.strides[k][1] = 1;
        t.call.strides[k] = t.strides[k];
        t.bytes[k] = row * t.shape[0] * 4;
        t.arena[k] = malloc(t.bytes[k]);
        t.initial[k] = malloc(t.bytes[k]);
        assert_non_null(t.arena[k]);
        assert_non_null(t.initial[k]);
        fill_random(&r, t.initial[k], t.bytes[k], 4);
        t.call.ptr[k] = t.arena[k];
    }
    t.call.beta = 1;
    t.call.threshold = 20;
    run_serial(&t);
    t.serial = malloc(t.bytes[0]);
    assert_non_null(t.serial);
    memcpy(t.serial, t.arena[0], t.bytes[0]);
    const size_t used = executor_used;
    if (threads_work)
        assert_true(run_config(&t, 0));
    assert_true(run_config(&t, 3));
    assert_int_equal(executor_used, used + 1);
    /* one element short of two grains, contiguous: serial, the executor is not called */
    t.call.ndim = 1;
    t.shape[0] = 2 * SP_PARALLEL_GRAIN - 1;
    t.call.strides[0] = t.call.strides[1] = NULL;
    run_serial(&t);
    memcpy(t.serial, t.arena[0], t.bytes[0]);
    if (threads_work)
        assert_true(run_config(&t, 0));
    const int before = atomic_load(&hosts[3].calls);
    hosts[3].nested = NULL;
    assert_int_equal(softplus_set_parallel_for(host_parallel_for, &hosts[3]), SOFTPLUS_OK);
    case_reset(&t);
    assert_int_equal(call_run(&t.call), SOFTPLUS_OK);
    assert_int_equal(softplus_set_parallel_for(NULL, NULL), SOFTPLUS_OK);
    assert_int_equal(atomic_load(&hosts[3].calls), before);
    assert_true(case_matches(&t, "one element short of two grains"));
    case_free(&t);
    sp_parallel_grain = TEST_GRAIN;
}

/* ---- 3. nested calls ----------------------------------------------------------------------------- */

static void test_nested(void **state)
{
    (void)state;
    sp_rng r = {0x4e57ed};
    for (size_t n = 0; n < 4; n++) {
        tcase outer, inner;
        case_random(&outer, &r, (sp_fn)(2 * n % SP_FN_COUNT), MAX_ELEMENTS);
        case_random(&inner, &r, (sp_fn)((2 * n + 1) % SP_FN_COUNT), MAX_ELEMENTS);
        for (size_t i = 3; i < NCONFIGS; i++) {
            if (!config_runs(&configs[i]))
                continue;
            hosts[i].nested = &inner; /* it runs serially, and right */
            const int ok = run_config(&outer, i);
            hosts[i].nested = NULL;
            assert_true(ok);
            assert_int_equal(atomic_load(&hosts[i].nested_wrong), 0);
        }
        case_free(&outer);
        case_free(&inner);
    }
}

/* ---- 4, 5. racing setters, concurrent callers ------------------------------------------------------ */

typedef struct racer {
    tcase *cases; /* its own, one per op */
    size_t ncases;
    atomic_int *stop;
    int failures;
} racer;

static void *racer_calls(void *arg)
{
    racer *rc = arg;
    for (size_t n = 0; n < RACE_CALLS; n++) {
        tcase *t = &rc->cases[n % rc->ncases];
        case_reset(t);
        if (call_run(&t->call) != SOFTPLUS_OK || memcmp(t->arena[0], t->serial, t->bytes[0]) != 0)
            rc->failures++;
    }
    return NULL;
}

static void *racer_setters(void *arg)
{
    racer *rc = arg;
    size_t i = 0;
    while (!atomic_load(rc->stop)) {
        softplus_set_num_threads(1 + i % 4);
        softplus_set_parallel_for(i % 3 == 0 ? host_parallel_for : NULL, &hosts[i % 2 ? 3 : 4]);
        (void)softplus_num_threads();
        i++;
        sched_yield();
    }
    return NULL;
}

static void race(int setters)
{
    enum { CALLERS = 3, PER = 3 };
    sp_rng r = {0x5ace + (uint64_t)setters};
    tcase cases[CALLERS][PER];
    racer rc[CALLERS + 1];
    atomic_int stop = 0;
    for (size_t c = 0; c < CALLERS; c++) {
        for (size_t j = 0; j < PER; j++)
            case_random(&cases[c][j], &r, (sp_fn)((c * PER + j) % SP_FN_COUNT), MAX_ELEMENTS);
        rc[c] = (racer){cases[c], PER, &stop, 0};
    }
    /* the host executors run their ranges on the calling thread here: fewer threads under TSan */
    hosts[3].threads = 0;
    hosts[4].threads = 0;
    hosts[4].reverse = 1;
    assert_int_equal(softplus_set_num_threads(3), SOFTPLUS_OK);
    pthread_t tid[CALLERS + 1];
    for (size_t c = 0; c < CALLERS; c++)
        assert_int_equal(pthread_create(&tid[c], NULL, racer_calls, &rc[c]), 0);
    rc[CALLERS] = (racer){NULL, 0, &stop, 0};
    if (setters)
        assert_int_equal(pthread_create(&tid[CALLERS], NULL, racer_setters, &rc[CALLERS]), 0);
    int failures = 0;
    for (size_t c = 0; c < CALLERS; c++) {
        pthread_join(tid[c], NULL);
        failures += rc[c].failures;
    }
    atomic_store(&stop, 1);
    if (setters)
        pthread_join(tid[CALLERS], NULL);
    assert_int_equal(softplus_set_parallel_for(NULL, NULL), SOFTPLUS_OK);
    assert_int_equal(softplus_set_num_threads(1), SOFTPLUS_OK);
    for (size_t c = 0; c < CALLERS; c++)
        for (size_t j = 0; j < PER; j++)
            case_free(&cases[c][j]);
    assert_int_equal(atomic_load(&hosts[3].bad) | atomic_load(&hosts[4].bad), 0);
    assert_int_equal(failures, 0);
}

static void test_setters_racing_calls(void **state)
{
    (void)state;
    if (!threads_work)
        skip();
    race(1);
}

static void test_concurrent_callers(void **state)
{
    (void)state;
    if (!threads_work)
        skip();
    race(0);
}

/* ---- 6. fork ----------------------------------------------------------------------------------------- */

static void *fork_caller(void *arg)
{
    racer *rc = arg;
    while (!atomic_load(rc->stop)) {
        tcase *t = &rc->cases[0];
        case_reset(t);
        if (call_run(&t->call) != SOFTPLUS_OK || memcmp(t->arena[0], t->serial, t->bytes[0]) != 0)
            rc->failures++;
    }
    return NULL;
}

static void test_fork(void **state)
{
    (void)state;
    if (!threads_work)
        skip();
    sp_rng r = {0xf0f0};
    tcase t, mine;
    case_contiguous(&t, &r, SP_FN_FWD_F32, MAX_ELEMENTS);
    case_contiguous(&mine, &r, SP_FN_BWD_F64, MAX_ELEMENTS);
    assert_int_equal(softplus_set_num_threads(3), SOFTPLUS_OK);
    assert_true(run_config(&mine, 1)); /* makes the pool: 2 workers at least */
    assert_int_equal(softplus_set_num_threads(3), SOFTPLUS_OK);
    atomic_int stop = 0;
    racer rc = {&t, 1, &stop, 0};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, fork_caller, &rc), 0); /* the pool in use while we fork */
    int failures = 0;
    for (size_t n = 0; n < FORKS; n++) {
        fflush(NULL);
        const pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* the child: only this thread; calls work, serially and with a pool of its own */
            int code = process_threads() == 1 ? 0 : 8;
            if (SP_TSAN && softplus_set_num_threads(1) != SOFTPLUS_OK)
                code |= 4;
            case_reset(&mine);
            if (call_run(&mine.call) != SOFTPLUS_OK || memcmp(mine.arena[0], mine.serial, mine.bytes[0]) != 0)
                code |= 1;
            if (!SP_TSAN && process_threads() < 3)
                code |= 2; /* no pool made in the child */
            /* The child holds the memory of the parent's threads (their stacks and TLS, which only
             * their own exit would free); a leak checker counting it at the child's exit (valgrind)
             * would blame fork, not the library. Exec'd, the child ends without that check. */
            char status_command[32];
            snprintf(status_command, sizeof status_command, "exit %d", code);
            execl("/bin/sh", "sh", "-c", status_command, (char *)NULL);
            _exit(code);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            print_error("fork %zu: the child exited with status 0x%x\n", n, (unsigned)status);
            failures++;
        }
    }
    atomic_store(&stop, 1);
    pthread_join(tid, NULL);
    assert_int_equal(softplus_set_num_threads(1), SOFTPLUS_OK);
    case_free(&t);
    case_free(&mine);
    assert_int_equal(rc.failures, 0);
    assert_int_equal(failures, 0);
}

/* ---- 7. the setters ------------------------------------------------------------------------------- */

static size_t affinity_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    return (size_t)CPU_COUNT(&set);
}

static void test_setters(void **state)
{
    (void)state;
    assert_int_equal(softplus_set_num_threads(3), SOFTPLUS_OK);
    assert_int_equal(softplus_num_threads(), 3);
    assert_int_equal(softplus_set_num_threads(SP_MAX_THREADS), SOFTPLUS_OK);
    assert_int_equal(softplus_num_threads(), SP_MAX_THREADS);
    assert_int_equal(softplus_set_num_threads(SP_MAX_THREADS + 1), SOFTPLUS_ERR_PARAM);
    assert_int_equal(softplus_set_num_threads((size_t)-1), SOFTPLUS_ERR_PARAM);
    assert_int_equal(softplus_num_threads(), SP_MAX_THREADS); /* unchanged */
    assert_int_equal(softplus_set_num_threads(0), SOFTPLUS_OK);
    const size_t cpus = affinity_cpus();
    if (cpus)
        assert_int_equal(softplus_num_threads(), cpus);
    assert_int_equal(softplus_set_num_threads(1), SOFTPLUS_OK);
    assert_int_equal(softplus_num_threads(), 1);
    assert_int_equal(softplus_set_parallel_for(host_parallel_for, &hosts[3]), SOFTPLUS_OK);
    assert_int_equal(softplus_set_parallel_for(NULL, &hosts[3]), SOFTPLUS_OK);
    /* back to the pool of one thread: a large call runs serially, the executor is not called */
    sp_rng r = {7};
    tcase t;
    case_random(&t, &r, SP_FN_FWD_F64, MAX_ELEMENTS);
    const int calls = atomic_load(&hosts[3].calls);
    case_reset(&t);
    assert_int_equal(call_run(&t.call), SOFTPLUS_OK);
    assert_int_equal(atomic_load(&hosts[3].calls), calls);
    assert_true(case_matches(&t, "serial"));
    /* errors are reported before any task: nothing handed to the executor, nothing written */
    assert_int_equal(softplus_set_parallel_for(host_parallel_for, &hosts[3]), SOFTPLUS_OK);
    float x[4] = {1, 2, 3, 4};
    const size_t shape[2] = {2, 2};
    const ptrdiff_t overlapping[2] = {1, 1};
    assert_int_equal(softplus_forward_f32(2, shape, x, NULL, x, overlapping, 1, 20), SOFTPLUS_ERR_OVERLAP);
    assert_int_equal(softplus_forward_f32(2, shape, x, NULL, x, NULL, 0, 20), SOFTPLUS_ERR_PARAM);
    assert_int_equal(atomic_load(&hosts[3].calls), calls);
    assert_int_equal(softplus_set_parallel_for(NULL, NULL), SOFTPLUS_OK);
    case_free(&t);
}

/* ---- 8. SOFTPLUS_NUM_THREADS ---------------------------------------------------------------------- */

/* `env WANT`: the count after the first call (WANT "cpus": the affinity mask's CPUs). */
static int check_environment(const char *want)
{
    float x = 1, y;
    if (softplus_forward_f32(0, NULL, &x, NULL, &y, NULL, 1, 20) != SOFTPLUS_OK)
        return 1;
    const size_t expected = strcmp(want, "cpus") == 0 ? affinity_cpus() : (size_t)strtoul(want, NULL, 10);
    const size_t got = softplus_num_threads();
    if (got != expected) {
        fprintf(stderr, "SOFTPLUS_NUM_THREADS=%s: softplus_num_threads() = %zu, want %zu\n",
                getenv("SOFTPLUS_NUM_THREADS") ? getenv("SOFTPLUS_NUM_THREADS") : "(unset)", got, expected);
        return 1;
    }
    /* read once: a change of the environment afterwards changes nothing */
    setenv("SOFTPLUS_NUM_THREADS", "7", 1);
    return softplus_num_threads() == expected ? 0 : 1;
}

static void *probe_thread(void *arg)
{
    return arg;
}

/* Whether a thread starts and is joined within 10 s, tried in a child process (some emulators never
 * return from pthread_create, and then do not deliver the child's own alarm either: the parent kills
 * it). Makes no library call. */
static int threads_start(void)
{
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        pthread_t tid;
        if (pthread_create(&tid, NULL, probe_thread, NULL) != 0)
            _exit(1);
        pthread_join(tid, NULL);
        _exit(0);
    }
    int status = 0;
    for (int waited_ms = 0; waited_ms < 10000; waited_ms += 10) {
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (done < 0)
            return 0;
        const struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "env") == 0)
        return check_environment(argv[2]);
    if (argc == 2)
        random_cases = (size_t)strtoul(argv[1], NULL, 10);
    threads_work = threads_start();
    if (!threads_work)
        fprintf(stderr, "test_threads: a new thread never started (seen under qemu-user 7.2 on Linux 6.x): "
                        "only the host executor on the calling thread runs; the pool, races and fork are skipped\n");
    sp_parallel_grain = TEST_GRAIN;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setters),
        cmocka_unit_test(test_random_cases),
        cmocka_unit_test(test_random_cases_caller_rounds_upward),
        cmocka_unit_test(test_shipped_grain),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_setters_racing_calls),
        cmocka_unit_test(test_concurrent_callers),
        cmocka_unit_test(test_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_stress_threads.c -- thread safety under load: 32 threads' first calls, softplus_set_isa while
 * others compute, large strided calls at once; every call leaves one ISA's single-threaded output.
 * SPDX-License-Identifier: MIT
 *
 * The property: a call's output is decided by its arguments and by the one kernel set it runs, never by
 * what other threads do. The entry points read the active set once per call (src/softplus.c keeps the
 * pointer in the run context for every run of the walk), so even with softplus_set_isa racing, every
 * element of one call comes from the same ISA: each call's whole output arena -- the view and the
 * bytes around it -- must equal, byte for byte, what a single-threaded call gives under one supported
 * ISA. Three tests, in this order:
 *   1. fresh processes (forked before this process makes any library call): 32 threads released by one
 *      barrier make their first calls at once -- forward and backward, f32 and f64, softplus_active_isa,
 *      and in half of the processes softplus_set_isa(S) -- so detection, the first resolution and a
 *      set_isa race each other. Each output must be the per-element result of the resolved ISA or of S;
 *      without setters all threads see the best ISA; with them S is active afterwards (a set_isa is
 *      never undone by a first resolution that lost the race).
 *   2. for each supported ISA in turn, 32 threads run every strided case (transposed, reversed with
 *      inner stride 3, rank 3 padded with a broadcast input, in place, contiguous) at once: each call
 *      equals that ISA's single-threaded output.
 *   3. 4 threads cycle softplus_set_isa over every supported ISA and AUTO while the other 28 run the same
 *      cases: each call equals the single-threaded output of some supported ISA, as a whole.
 * The cases are large enough (20k-40k elements, many gather chunks and kernel calls per call) for a
 * set read per chunk to show, and the test checks that the ISAs' outputs differ enough to tell a call
 * that mixed two of them (a spliced output must match none). AVX2 and AVX-512 agree bit for bit by
 * design, so a mix of those two is harmless and undetectable.
 * (32 threads natively; 12 in the reduced builds for valgrind and TSan.)
 * Built with -fsanitize=thread in the TSan suite (tests/run.sh); exit 77 where threads cannot start.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit_common.h"

enum { SETTERS = 4, MAX_ISAS = 8, PAD = 67 /* elements around each view */ };

/* ROUNDS passes over the cases per worker, each taking every CASE_STEP-th case from its own start */
#ifdef SP_TEST_REDUCED /* valgrind (one thread at a time, ~50x slower) and TSan (~10x) */
/* 12 threads: valgrind runs them one at a time anyway (32 took 150 s of its suite on an Intel Xeon) */
enum { NTHREADS = 12, FRESH_PROCESSES = 2, ROUNDS = 1, CASE_STEP = 8 };
#else
enum { NTHREADS = 32, FRESH_PROCESSES = 40, ROUNDS = 3, CASE_STEP = 1 };
#endif

#define EXIT_SKIPPED 77

/* ---- strided cases -------------------------------------------------------------------------------- */

/* A view of every operand (0 output, 1 x or dy, 2 x of backward), strides in elements, outermost
 * dimension first as the API takes them. null_strides passes NULL (C-contiguous) for every operand;
 * in_place makes operand 1 the output view itself. */
typedef struct view_spec {
    const char *name;
    size_t ndim;
    size_t shape[3];
    ptrdiff_t strides[3][3];
    int null_strides;
    int in_place;
} view_spec;

static const view_spec views[] = {
    {"contiguous 40009", 1, {40009}, {{1}, {1}, {1}}, 1, 0},
    /* the output column-major, x row-major: the inner run gathers x at stride 211 */
    {"transposed 193x211", 2, {193, 211}, {{1, 193}, {211, 1}, {1, 193}}, 0, 0},
    {"reversed 20011, inputs at stride 3 and -1", 1, {20011}, {{-2}, {3}, {-1}}, 0, 0},
    /* padded rows in the output, x (or dy) broadcast along dimension 0, the last input reversed */
    {"rank 3 padded, broadcast input", 3, {6, 40, 97}, {{4000, 100, 1}, {0, 97, 1}, {-3880, -97, -1}}, 0, 0},
    {"in place 97x301 padded, x transposed", 2, {97, 301}, {{320, 1}, {320, 1}, {1, 97}}, 0, 1},
};
#define NVIEWS (sizeof views / sizeof views[0])
#define NCASES (NVIEWS * SP_FN_COUNT)

/* One case, laid out: operand k lives in its own arena at elements [0, len[k]), its base at first[k]. */
typedef struct stress_case {
    sp_fn op;
    const view_spec *v;
    size_t len[3];
    size_t first[3];
    unsigned char *init[3]; /* pristine contents of each arena; init[0] seeds every output arena */
    size_t bytes;           /* of the output arena */
} stress_case;

static stress_case cases[NCASES];
static softplus_isa isas[MAX_ISAS];
static size_t nisas;
/* Functions that every supported set serves with the same kernel, the scalar reference (release 1.1's ops
 * without SIMD files: src/lists.h, SP_OP_IN_FILE): they run the same entry, plan and dispatch code as the
 * others but have no ISA choice to race, and at ~300 ns per f64 element they would cost most of this
 * test's time; the threaded tests skip them. */
static unsigned char scalar_everywhere[SP_FN_COUNT];
/* refs[c][j]: the output arena of case c after one single-threaded call under isas[j] */
static unsigned char *refs[NCASES][MAX_ISAS];

static void extent(size_t ndim, const size_t *shape, const ptrdiff_t *st, ptrdiff_t *lo, ptrdiff_t *hi)
{
    *lo = *hi = 0;
    for (size_t d = 0; d < ndim; d++) {
        const ptrdiff_t span = (ptrdiff_t)(shape[d] - 1) * st[d];
        if (span < 0)
            *lo += span;
        else
            *hi += span;
    }
}

static void case_layout(stress_case *c, sp_fn op, const view_spec *v, sp_rng *r)
{
    const size_t es = op_elem_size(op);
    c->op = op;
    c->v = v;
    for (size_t k = 0; k < op_noperands(op); k++) {
        ptrdiff_t lo, hi;
        extent(v->ndim, v->shape, v->strides[k], &lo, &hi);
        c->first[k] = (size_t)(PAD - lo);
        c->len[k] = (size_t)(hi - lo) + 1 + 2 * PAD;
        if (k == 1 && v->in_place)
            continue; /* operand 1 is the output view */
        c->init[k] = malloc(c->len[k] * es);
        assert_non_null(c->init[k]);
        for (size_t i = 0; i < c->len[k]; i++)
            interesting_value(r, es, c->init[k] + i * es);
    }
    c->bytes = c->len[0] * es;
}

/* Runs case c with its output arena at out (holding init[0] on entry). */
static softplus_status case_run(const stress_case *c, unsigned char *out)
{
    const size_t es = op_elem_size(c->op);
    const view_spec *v = c->v;
    sp_call call = {c->op, v->ndim, v->shape, {NULL, NULL, NULL}, {NULL, NULL, NULL}, 1.0, 20.0};
    for (size_t k = 0; k < op_noperands(c->op); k++) {
        const unsigned char *arena = k == 0 || (k == 1 && v->in_place) ? out : c->init[k];
        call.ptr[k] = (void *)(arena + c->first[k] * es);
        call.strides[k] = v->null_strides ? NULL : v->strides[k];
    }
    /* beta 0.5 on half the cases, both dtypes: the rounding of beta*x and the division by beta take part */
    if ((size_t)(v - views + c->op) % 2)
        call.beta = 0.5;
    return call_run(&call);
}

/* Index j of the ISA whose single-threaded output arena out equals, or -1. */
static int matching_isa(size_t ci, const unsigned char *out)
{
    for (size_t j = 0; j < nisas; j++)
        if (memcmp(out, refs[ci][j], cases[ci].bytes) == 0)
            return (int)j;
    return -1;
}

/* The index of the output view's element at arena element pos, into idx; 0 when pos is outside it. */
static int locate(const stress_case *c, size_t pos, size_t *idx)
{
    const view_spec *v = c->v;
    memset(idx, 0, sizeof(size_t) * 3);
    do {
        ptrdiff_t at = (ptrdiff_t)c->first[0];
        for (size_t d = 0; d < v->ndim; d++)
            at += (ptrdiff_t)idx[d] * v->strides[0][d];
        if ((size_t)at == pos)
            return 1;
    } while (next_index(v->ndim, v->shape, idx));
    return 0;
}

/* Describes how out differs from each ISA's reference: first differing element, inputs, got, want. */
static void describe_mismatch(char *msg, size_t len, size_t ci, const unsigned char *out, const char *what)
{
    const stress_case *c = &cases[ci];
    const size_t es = op_elem_size(c->op);
    size_t used = (size_t)snprintf(msg, len, "%s, %s, %s: the output matches no ISA's single-threaded output;",
                                   what, op_name(c->op), c->v->name);
    for (size_t j = 0; j < nisas && used < len; j++) {
        size_t pos = 0;
        while (pos < c->len[0] && memcmp(out + pos * es, refs[ci][j] + pos * es, es) == 0)
            pos++;
        char g[96], w[96], x0[96], x1[96] = "";
        size_t idx[3];
        const int inside = locate(c, pos, idx);
        if (inside) {
            const view_spec *v = c->v;
            for (size_t k = 1; k < op_noperands(c->op); k++) {
                ptrdiff_t at = (ptrdiff_t)c->first[k];
                for (size_t d = 0; d < v->ndim; d++)
                    at += (ptrdiff_t)idx[d] * v->strides[k][d];
                const unsigned char *src = k == 1 && v->in_place ? c->init[0] : c->init[k];
                elem_str(k == 1 ? x0 : x1, sizeof x0, src + (size_t)at * es, es);
            }
        }
        used += (size_t)snprintf(msg + used, len - used, " vs %s: %s arena element %zu%s%s%s%s got %s, want %s;",
                                 softplus_isa_name(isas[j]), inside ? "view" : "outside the view at", pos,
                                 inside ? " input " : "", inside ? x0 : "", x1[0] ? ", " : "", x1,
                                 elem_str(g, sizeof g, out + pos * es, es),
                                 elem_str(w, sizeof w, refs[ci][j] + pos * es, es));
    }
}

/* ---- failure reporting from threads (cmocka is not thread-safe) --------------------------------- */

static atomic_int failures;
static char failure_message[4096];
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;

static void stress_fail_mismatch(size_t ci, const unsigned char *out, const char *what)
{
    pthread_mutex_lock(&failure_lock);
    if (atomic_fetch_add(&failures, 1) == 0)
        describe_mismatch(failure_message, sizeof failure_message, ci, out, what);
    pthread_mutex_unlock(&failure_lock);
}

static void stress_fail(const char *fmt, ...)
{
    pthread_mutex_lock(&failure_lock);
    if (atomic_fetch_add(&failures, 1) == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(failure_message, sizeof failure_message, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&failure_lock);
}

/* ---- 1. first calls in fresh processes ------------------------------------------------------------ */

enum { FIRST_ROWS = 24, FIRST_COLS = 37, FIRST_N = FIRST_ROWS * FIRST_COLS };

typedef struct first_racer {
    pthread_t thread;
    pthread_barrier_t *barrier;
    int role;   /* an sp_fn to compute, or SP_FN_COUNT: ask softplus_active_isa, or set when setter */
    int setter; /* softplus_set_isa(set_to) as the first call */
    softplus_isa set_to, seen_first, seen_after;
    softplus_status status;
    unsigned char out[FIRST_N * 8];
} first_racer;

static first_racer first_racers[NTHREADS];
static unsigned char first_in[2][2][FIRST_N * 8]; /* [f64][operand] */

/* Transposed view: the output column-major over FIRST_ROWS x FIRST_COLS, inputs row-major. */
static softplus_status first_call(sp_fn op, unsigned char *out)
{
    static const size_t shape[2] = {FIRST_ROWS, FIRST_COLS};
    static const ptrdiff_t s_out[2] = {1, FIRST_ROWS};
    const int f64 = !op_is_f32(op);
    sp_call c = {op, 2, shape, {out, first_in[f64][0], first_in[f64][1]}, {s_out, NULL, NULL}, 1.0, 20.0};
    return call_run(&c);
}

/* What first_call(op) must leave under kernel set k, element by element. */
static void first_expected(sp_fn op, const sp_kernel_set *k, unsigned char *want)
{
    const size_t es = op_elem_size(op);
    const int f64 = !op_is_f32(op);
    for (size_t i = 0; i < FIRST_ROWS; i++)
        for (size_t j = 0; j < FIRST_COLS; j++) {
            const size_t in_at = (i * FIRST_COLS + j) * es;
            kernel_one(op, k, first_in[f64][0] + in_at, first_in[f64][1] + in_at, want + (j * FIRST_ROWS + i) * es,
                       1.0, 20.0);
        }
}

static void *first_race(void *arg)
{
    first_racer *me = arg;
    pthread_barrier_wait(me->barrier);
    me->seen_first = (softplus_isa)-1;
    me->status = SOFTPLUS_OK;
    if (me->role == SP_FN_COUNT) {
        if (me->setter)
            me->status = softplus_set_isa(me->set_to);
        else
            me->seen_first = softplus_active_isa();
    } else {
        me->status = first_call((sp_fn)me->role, me->out);
    }
    me->seen_after = softplus_active_isa();
    return NULL;
}

static int isa_ok(softplus_isa got, softplus_isa a, softplus_isa b)
{
    return got == a || got == b;
}

/* One fresh process: NTHREADS first calls at once. Returns 1 when every check holds (messages on
 * stderr otherwise). Makes no library call before the threads are released. */
static int first_calls_race(int with_setters)
{
    sp_rng r = {0xf1257u + (uint64_t)with_setters};
    for (size_t i = 0; i < FIRST_N; i++)
        for (int k = 0; k < 2; k++) {
            interesting_value(&r, 4, first_in[0][k] + i * 4);
            interesting_value(&r, 8, first_in[1][k] + i * 8);
        }
    pthread_barrier_t barrier;
    if (pthread_barrier_init(&barrier, NULL, NTHREADS) != 0)
        return 0;
    for (int t = 0; t < NTHREADS; t++) {
        first_racer *q = &first_racers[t];
        q->barrier = &barrier;
        /* roles: every 5th thread sets or asks, the others compute the four ops in turn */
        q->role = t % 5 == 0 ? SP_FN_COUNT : t % SP_FN_COUNT;
        q->setter = with_setters && q->role == SP_FN_COUNT;
        q->set_to = SOFTPLUS_ISA_SCALAR;
        if (pthread_create(&q->thread, NULL, first_race, q) != 0) {
            fprintf(stderr, "could start only %d threads\n", t);
            _exit(3); /* the barrier would never open */
        }
    }
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(first_racers[t].thread, NULL);
    pthread_barrier_destroy(&barrier);

    /* From here on, library calls no longer race. */
    const softplus_isa best = best_by_preference();
    const softplus_isa set_to = SOFTPLUS_ISA_SCALAR;
    const softplus_isa other = with_setters ? set_to : best;
    int ok = 1;
    unsigned char want_best[FIRST_N * 8], want_other[FIRST_N * 8];
    for (int t = 0; t < NTHREADS && ok; t++) {
        const first_racer *q = &first_racers[t];
        if (q->status != SOFTPLUS_OK) {
            fprintf(stderr, "thread %d (role %d): status %s\n", t, q->role, softplus_status_string(q->status));
            ok = 0;
        } else if (!isa_ok(q->seen_after, best, other) ||
                   (q->role == SP_FN_COUNT && !q->setter && !isa_ok(q->seen_first, best, other))) {
            fprintf(stderr, "thread %d: saw %s then %s; only %s or %s may be active\n", t,
                    softplus_isa_name(q->seen_first), softplus_isa_name(q->seen_after), softplus_isa_name(best),
                    softplus_isa_name(other));
            ok = 0;
        } else if (q->role < SP_FN_COUNT) {
            const sp_fn op = (sp_fn)q->role;
            const size_t es = op_elem_size(op);
            first_expected(op, sp_kernels_for_isa(best), want_best);
            first_expected(op, sp_kernels_for_isa(other), want_other);
            if (memcmp(q->out, want_best, FIRST_N * es) != 0 && memcmp(q->out, want_other, FIRST_N * es) != 0) {
                size_t i = 0;
                while (memcmp(q->out + i * es, want_best + i * es, es) == 0)
                    i++;
                char g[96], w[96], x[96];
                const size_t row = i % FIRST_ROWS, col = i / FIRST_ROWS;
                fprintf(stderr, "thread %d %s: output element (%zu,%zu), x or dy %s: got %s, %s gives %s%s\n", t,
                        op_name(op), row, col,
                        elem_str(x, sizeof x, first_in[!op_is_f32(op)][0] + (row * FIRST_COLS + col) * es, es),
                        elem_str(g, sizeof g, q->out + i * es, es), softplus_isa_name(best),
                        elem_str(w, sizeof w, want_best + i * es, es),
                        with_setters ? " (nor is it the set_isa ISA's output)" : "");
                ok = 0;
            }
        }
    }
    const softplus_isa final = softplus_active_isa();
    if (ok && final != other) {
        fprintf(stderr, "%s: %s active after the race, want %s\n",
                with_setters ? "with set_isa racing" : "without setters", softplus_isa_name(final),
                softplus_isa_name(other));
        ok = 0;
    }
    return ok;
}

/* Must run before this process makes any library call: each child starts from that state. */
static void test_first_calls_of_32_threads_in_fresh_processes(void **state)
{
    (void)state;
    for (int p = 0; p < FRESH_PROCESSES; p++) {
        const int with_setters = p % 2;
        fflush(NULL);
        const pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(first_calls_race(with_setters) ? 0 : 1);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            print_error("fresh process %d of %d (%s): the racing first calls failed (wait status 0x%x)\n", p + 1,
                        FRESH_PROCESSES, with_setters ? "set_isa(scalar) racing" : "no setters", status);
            fail();
        }
    }
    print_message("%d fresh processes x %d threads: first calls agreed\n", FRESH_PROCESSES, NTHREADS);
}

/* ---- the cases and their single-threaded outputs --------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    nisas = supported_isas(isas);
    for (sp_fn fn = 0; fn < SP_FN_COUNT; fn++) {
        scalar_everywhere[fn] = 1;
        for (size_t j = 0; j < nisas; j++)
            if (sp_kernel_of(sp_kernels_for_isa(isas[j]), SOFTPLUS_ACCURACY_STRICT, fn_op(fn), fn_dtype(fn))->origin !=
                SOFTPLUS_ISA_SCALAR)
                scalar_everywhere[fn] = 0;
    }
    sp_rng r = {0x57e55u};
    for (size_t v = 0; v < NVIEWS; v++)
        for (sp_fn op = 0; op < SP_FN_COUNT; op++)
            case_layout(&cases[v * SP_FN_COUNT + op], op, &views[v], &r);
    for (size_t j = 0; j < nisas; j++) {
        if (softplus_set_isa(isas[j]) != SOFTPLUS_OK)
            return -1;
        for (size_t ci = 0; ci < NCASES; ci++) {
            refs[ci][j] = malloc(cases[ci].bytes);
            if (!refs[ci][j])
                return -1;
            memcpy(refs[ci][j], cases[ci].init[0], cases[ci].bytes);
            if (case_run(&cases[ci], refs[ci][j]) != SOFTPLUS_OK)
                return -1;
        }
    }
    return softplus_set_isa(SOFTPLUS_ISA_AUTO) == SOFTPLUS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < NCASES; ci++) {
        for (size_t j = 0; j < nisas; j++)
            free(refs[ci][j]);
        for (size_t k = 0; k < 3; k++)
            free(cases[ci].init[k]);
    }
    return 0;
}

/* The whole-call check can fail: for each case, a splice of two ISAs' outputs (one ISA's first half,
 * another's second half) must match neither when the two differ in both halves. Counts the cases where
 * such a pair exists; without any, a call that mixed ISAs could not be told from a clean one. */
static void test_mixed_isa_outputs_are_detectable(void **state)
{
    (void)state;
    size_t detectable = 0, differing = 0;
    for (size_t ci = 0; ci < NCASES; ci++) {
        const stress_case *c = &cases[ci];
        const size_t half = c->bytes / 2 / op_elem_size(c->op) * op_elem_size(c->op);
        int found = 0;
        /* an op that every set serves with the same kernel (the scalar reference) gives one answer */
        for (size_t j = 1; j < nisas; j++)
            if (memcmp(refs[ci][0], refs[ci][j], c->bytes) != 0) {
                differing++;
                break;
            }
        for (size_t a = 0; a < nisas && !found; a++)
            for (size_t b = 0; b < nisas && !found; b++) {
                if (memcmp(refs[ci][a], refs[ci][b], half) == 0 ||
                    memcmp(refs[ci][a] + half, refs[ci][b] + half, c->bytes - half) == 0)
                    continue;
                unsigned char *splice = malloc(c->bytes);
                assert_non_null(splice);
                memcpy(splice, refs[ci][a], half);
                memcpy(splice + half, refs[ci][b] + half, c->bytes - half);
                /* it differs from a in the second half and from b in the first, so only a third ISA
                 * could match it: then this pair proves nothing */
                found = matching_isa(ci, splice) < 0;
                free(splice);
            }
        detectable += (size_t)found;
    }
    print_message("%zu of %zu cases (%zu with answers that differ between ISAs) tell a call that mixed two "
                  "ISAs from any clean one (%zu ISAs)\n", detectable, (size_t)NCASES, differing, nisas);
    /* With two ISAs that use different methods, random inputs differ in the last bit somewhere in every
     * case; finding none means the references are broken, not that the kernels are alike. */
    int distinct_methods = 0;
    for (size_t j = 1; j < nisas; j++)
        if (memcmp(refs[0][0], refs[0][j], cases[0].bytes) != 0)
            distinct_methods = 1;
    if (distinct_methods)
        assert_true(detectable >= differing / 2);
}

/* ---- 2 and 3. large strided calls at once, with and without set_isa churn ------------------------ */

typedef struct worker {
    pthread_t thread;
    int id;
    int churn; /* 0: the active ISA is fixed at isas[fixed] */
    size_t fixed;
    unsigned char *out;
    long calls, per_isa[MAX_ISAS];
    long switched; /* calls during which the active ISA changed */
} worker;

static atomic_int workers_left;
static atomic_long sets_done;
static atomic_long sets_live; /* set_isa calls so far in this run */

static void *stress_worker(void *arg)
{
    worker *me = arg;
    /* under churn, start once the setters run: with valgrind, which runs one thread at a time, the
     * workers could otherwise finish before a setter ever ran */
    while (me->churn && atomic_load(&sets_live) == 0 && atomic_load(&failures) == 0)
        sched_yield();
    for (int round = 0; round < ROUNDS && atomic_load(&failures) == 0; round++) {
        for (size_t n = 0; n < NCASES && atomic_load(&failures) == 0; n += CASE_STEP) {
            const size_t ci = ((size_t)me->id * 7 + n) % NCASES; /* threads start at different cases */
            const stress_case *c = &cases[ci];
            if (scalar_everywhere[c->op])
                continue;
            memcpy(me->out, c->init[0], c->bytes);
            const softplus_isa before = softplus_active_isa();
            const softplus_status st = case_run(c, me->out);
            me->switched += softplus_active_isa() != before;
            if (st != SOFTPLUS_OK) {
                stress_fail("%s, %s: status %s", op_name(c->op), c->v->name, softplus_status_string(st));
                break;
            }
            const int j = matching_isa(ci, me->out);
            if (j < 0 || (!me->churn && memcmp(me->out, refs[ci][me->fixed], c->bytes) != 0)) {
                char what[96];
                snprintf(what, sizeof what, "thread %d, %s", me->id,
                         me->churn ? "set_isa churning" : softplus_isa_name(isas[me->fixed]));
                stress_fail_mismatch(ci, me->out, what);
                break;
            }
            me->calls++;
            me->per_isa[j]++;
        }
    }
    atomic_fetch_sub(&workers_left, 1);
    return NULL;
}

static void *stress_setter(void *arg)
{
    const size_t offset = (size_t)(uintptr_t)arg;
    long n = 0;
    while (atomic_load(&workers_left) > 0 && atomic_load(&failures) == 0) {
        for (size_t j = 0; j <= nisas; j++) {
            /* every supported ISA, then AUTO; the setters walk the list out of phase */
            const size_t at = (j + offset) % (nisas + 1);
            const softplus_isa isa = at < nisas ? isas[at] : SOFTPLUS_ISA_AUTO;
            const softplus_status st = softplus_set_isa(isa);
            if (st != SOFTPLUS_OK)
                stress_fail("softplus_set_isa(%s): %s", softplus_isa_name(isa), softplus_status_string(st));
            atomic_fetch_add(&sets_live, 1);
            /* a pause now and then: the workers get the cores (under valgrind, which runs one thread
             * at a time, their turn) while the active set still changes many times per call */
            if (++n % 64 == 0)
                sched_yield();
        }
    }
    atomic_fetch_add(&sets_done, n);
    return NULL;
}

static size_t max_case_bytes(void)
{
    size_t m = 0;
    for (size_t ci = 0; ci < NCASES; ci++)
        m = cases[ci].bytes > m ? cases[ci].bytes : m;
    return m;
}

/* nworkers workers (and NTHREADS - nworkers setters when churn) at once; returns the calls made. */
/* The calls nworkers workers make (the worker loop's walk, without the scalar_everywhere cases). */
static long expected_calls(int nworkers)
{
    long calls = 0;
    for (int id = 0; id < nworkers; id++)
        for (size_t n = 0; n < NCASES; n += CASE_STEP)
            calls += !scalar_everywhere[cases[((size_t)id * 7 + n) % NCASES].op];
    return ROUNDS * calls;
}

static long run_workers(int churn, size_t fixed, long per_isa[MAX_ISAS], long *switched)
{
    const int nworkers = churn ? NTHREADS - SETTERS : NTHREADS;
    static worker workers[NTHREADS];
    pthread_t setters[SETTERS];
    const size_t bytes = max_case_bytes();
    atomic_store(&workers_left, nworkers);
    atomic_store(&sets_live, 0);
    for (int t = 0; t < nworkers; t++) {
        worker *w = &workers[t];
        memset(w, 0, sizeof *w);
        w->id = t;
        w->churn = churn;
        w->fixed = fixed;
        w->out = malloc(bytes);
        assert_non_null(w->out);
    }
    for (int t = 0; t < nworkers; t++)
        assert_int_equal(pthread_create(&workers[t].thread, NULL, stress_worker, &workers[t]), 0);
    for (int t = 0; churn && t < SETTERS; t++)
        assert_int_equal(pthread_create(&setters[t], NULL, stress_setter, (void *)(uintptr_t)(t * 3 + 1)), 0);
    long calls = 0;
    for (int t = 0; t < nworkers; t++) {
        pthread_join(workers[t].thread, NULL);
        calls += workers[t].calls;
        *switched += workers[t].switched;
        for (size_t j = 0; j < nisas; j++)
            per_isa[j] += workers[t].per_isa[j];
        free(workers[t].out);
    }
    for (int t = 0; churn && t < SETTERS; t++)
        pthread_join(setters[t], NULL);
    return calls;
}

static void test_large_strided_calls_at_once_equal_the_single_threaded_ones(void **state)
{
    (void)state;
    for (size_t j = 0; j < nisas; j++) {
        assert_int_equal(softplus_set_isa(isas[j]), SOFTPLUS_OK);
        long per_isa[MAX_ISAS] = {0}, switched = 0;
        const long calls = run_workers(0, j, per_isa, &switched);
        if (atomic_load(&failures) != 0) {
            print_error("%s\n", failure_message);
            fail();
        }
        assert_int_equal(calls, expected_calls(NTHREADS));
        print_message("%s: %d threads, %ld calls, each equal to the single-threaded output\n",
                      softplus_isa_name(isas[j]), NTHREADS, calls);
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
}

static void test_set_isa_churn_leaves_each_call_one_isas_output(void **state)
{
    (void)state;
    long per_isa[MAX_ISAS] = {0}, switched = 0;
    const long calls = run_workers(1, 0, per_isa, &switched);
    if (atomic_load(&failures) != 0) {
        print_error("%s\n", failure_message);
        fail();
    }
    assert_int_equal(calls, expected_calls(NTHREADS - SETTERS));
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    char hist[256];
    size_t used = 0;
    hist[0] = '\0';
    for (size_t j = 0; j < nisas && used < sizeof hist; j++)
        used += (size_t)snprintf(hist + used, sizeof hist - used, " %s %ld", softplus_isa_name(isas[j]), per_isa[j]);
    print_message("%ld calls (%ld with the active ISA changed during the call) under %ld set_isa calls; "
                  "first matching ISA (AVX2 and AVX-512 outputs are identical):%s\n",
                  calls, switched, (long)atomic_load(&sets_done), hist);
#ifdef SP_TEST_REDUCED
    /* valgrind runs one thread at a time, switching where it likes: a change may or may not land inside
     * a call there, but the setters did run while the workers computed */
    assert_true(atomic_load(&sets_done) > 0);
#else
    /* otherwise the churn never overlapped a call and this test showed nothing */
    assert_true(switched > 0);
#endif
}

/* ---- main ------------------------------------------------------------------------------------------ */

static void threads_hang(int sig)
{
    static const char msg[] = "a new thread never started (seen under qemu-user 7.2 on Linux 6.x): skipping\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to say */
    }
    _exit(EXIT_SKIPPED);
}

static void *probe_thread(void *arg)
{
    return arg;
}

/* Some emulators never return from pthread_create; skip rather than hang. Makes no library call. */
static void require_working_threads(void)
{
    signal(SIGALRM, threads_hang);
    alarm(10);
    pthread_t t;
    if (pthread_create(&t, NULL, probe_thread, NULL) != 0) {
        fprintf(stderr, "cannot create a thread here: skipping\n");
        exit(EXIT_SKIPPED);
    }
    pthread_join(t, NULL);
    alarm(0);
    signal(SIGALRM, SIG_DFL);
}

int main(void)
{
    require_working_threads();
    /* The first resolution must pick the CPU's best ISA whatever the caller's environment says. */
    unsetenv("SOFTPLUS_ISA");
    /* The fork test first: this process must not have called the library yet. */
    const struct CMUnitTest fresh[] = {
        cmocka_unit_test(test_first_calls_of_32_threads_in_fresh_processes),
    };
    const struct CMUnitTest load[] = {
        cmocka_unit_test(test_mixed_isa_outputs_are_detectable),
        cmocka_unit_test(test_large_strided_calls_at_once_equal_the_single_threaded_ones),
        cmocka_unit_test(test_set_isa_churn_leaves_each_call_one_isas_output),
    };
    const int failed = cmocka_run_group_tests_name("first calls", fresh, NULL, NULL);
    return failed + cmocka_run_group_tests_name("strided load", load, group_setup, group_teardown);
}

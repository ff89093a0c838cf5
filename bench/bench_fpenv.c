/* bench_fpenv.c -- what the floating-point environment guard (src/fpenv.h) costs, per call and per element.
 * SPDX-License-Identifier: MIT
 *
 * Every public call with elements reads the caller's FP control state and, only when it is not the
 * default, switches to the default for the call and back afterwards. This measures, with the active
 * (or --isa) kernel set, for each of the four tensor functions:
 *   check      sp_fpenv_enter alone in a loop: the read-and-compare every call pays (ns per call)
 *   no-guard   the public call's own path (sp_plan_build + sp_plan_execute) without the guard, as the
 *              bench rebuilds it here: the baseline the default-environment call is compared with
 *   default    the public call, caller in the default state (the guard only reads)
 *   ftz+daz    the public call, caller with MXCSR FTZ and DAZ set (aarch64: FPCR FZ): switch and restore
 *   upward     the public call, caller rounding upward (MXCSR and x87, or FPCR): switch and restore
 *   x87-pc53   (x86) the public call, caller's x87 precision at 53 bits, MXCSR default
 * at n = 1 (ns per call) and n = 4096 (Gelem/s), and each variant's ratio to `default`. Variants are
 * interleaved repetition by repetition so that drift in the machine's load hits them alike; the figure
 * is the median of the repetitions the scheduler did not interrupt (thread CPU time >= 98% of wall
 * time), or of all of them (marked '~') when too few were clean.
 *
 * Usage: bench_fpenv [--quick] [--isa NAME]
 */
#define _GNU_SOURCE /* sched_setaffinity, sched_getcpu */

#include <fenv.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "fpenv.h"
#include "kernels.h"
#include "softplus.h"
#include "registry.h"
#include "strided.h"

enum { VAR_NOGUARD, VAR_DEFAULT, VAR_FTZ, VAR_UPWARD, VAR_X87PC, VAR_COUNT };
static const char *const var_name[VAR_COUNT] = {"no-guard", "default", "ftz+daz", "upward", "x87-pc53"};

enum { OP_FWD_F32, OP_FWD_F64, OP_BWD_F32, OP_BWD_F64, OP_COUNT };
static const char *const op_name[OP_COUNT] = {"fwd f32", "fwd f64", "bwd f32", "bwd f64"};

#define MAX_N 4096
#define MAX_REPS 64

static _Alignas(64) float xf[MAX_N], dyf[MAX_N], outf[MAX_N];
static _Alignas(64) double xd[MAX_N], dyd[MAX_N], outd[MAX_N];
static volatile double sink;

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the caller's environments ----------------------------------------------------------------- */

static int variant_available(int v)
{
#if defined(SP_FPENV_X86)
    (void)v;
    return 1;
#elif defined(SP_FPENV_AARCH64)
    return v != VAR_X87PC;
#else
    return v != VAR_X87PC && v != VAR_FTZ;
#endif
}

#if defined(SP_FPENV_X86)
static void set_mxcsr(unsigned int v)
{
    __asm__ __volatile__("ldmxcsr %0" : : "m"(v) : "memory");
}
static void set_x87_cw(unsigned short v)
{
    __asm__ __volatile__("fldcw %0" : : "m"(v) : "memory");
}
#elif defined(SP_FPENV_AARCH64)
static void set_fpcr(uint64_t v)
{
    __asm__ __volatile__("msr fpcr, %0" : : "r"(v) : "memory");
}
#endif

static sp_fpenv startup; /* the default state, read at start-up */

static void enter_variant(int v)
{
    switch (v) {
    case VAR_FTZ:
#if defined(SP_FPENV_X86)
        set_mxcsr(startup.mxcsr | 0x8040u);
#elif defined(SP_FPENV_AARCH64)
        set_fpcr(startup.fpcr | ((uint64_t)1 << 24));
#endif
        break;
    case VAR_UPWARD: fesetround(FE_UPWARD); break;
    case VAR_X87PC:
#if defined(SP_FPENV_X86)
        set_x87_cw((unsigned short)((startup.x87_cw & ~0x0300u) | 0x0200u));
#endif
        break;
    default: break;
    }
}

static void leave_variant(void)
{
#if defined(SP_FPENV_X86)
    set_mxcsr(startup.mxcsr);
    set_x87_cw(startup.x87_cw);
#elif defined(SP_FPENV_AARCH64)
    set_fpcr(startup.fpcr);
#else
    fesetround(FE_TONEAREST);
#endif
}

/* ---- the calls ----------------------------------------------------------------------------------- */

/* The public call's path as src/softplus.c runs it, minus the environment guard. */
static softplus_status guardless_call(int op, size_t n)
{
    const sp_params_f32 p32 = {1.0f, 20.0f};
    const sp_params_f64 p64 = {1.0, 20.0};
    const int f32 = op == OP_FWD_F32 || op == OP_BWD_F32;
    const int fwd = op == OP_FWD_F32 || op == OP_FWD_F64;
    const sp_kernel *k = sp_kernel_of(sp_active_kernels(), SOFTPLUS_ACCURACY_STRICT, fwd ? SP_OP_FWD : SP_OP_BWD, f32 ? SP_DTYPE_F32 : SP_DTYPE_F64);
    void *const fwd_bases[] = {f32 ? (void *)outf : (void *)outd, f32 ? (void *)xf : (void *)xd};
    void *const bwd_bases[] = {f32 ? (void *)outf : (void *)outd, f32 ? (void *)dyf : (void *)dyd,
                               f32 ? (void *)xf : (void *)xd};
    const ptrdiff_t *const strides[] = {NULL, NULL, NULL};
    sp_plan plan;
    const softplus_status s = sp_plan_build(&plan, 1, &n, fwd ? 2 : 3, f32 ? 4 : 8, fwd ? fwd_bases : bwd_bases,
                                            strides);
    if (s == SOFTPLUS_OK && !plan.empty)
        sp_plan_execute(&plan, k->run, f32 ? (const void *)&p32 : (const void *)&p64, NULL,
                        sp_strided_copy_for(sp_active_kernels()->isa));
    return s;
}

static softplus_status api_call(int op, size_t n)
{
    switch (op) {
    case OP_FWD_F32: return softplus_forward_f32(1, &n, xf, NULL, outf, NULL, 1.0f, 20.0f);
    case OP_FWD_F64: return softplus_forward_f64(1, &n, xd, NULL, outd, NULL, 1.0, 20.0);
    case OP_BWD_F32: return softplus_backward_f32(1, &n, dyf, NULL, xf, NULL, outf, NULL, 1.0f, 20.0f);
    default: return softplus_backward_f64(1, &n, dyd, NULL, xd, NULL, outd, NULL, 1.0, 20.0);
    }
}

/* One repetition: `calls` calls of variant v, in that variant's caller environment. Returns wall ns,
 * and sets *clean when the scheduler did not take the CPU away meanwhile. */
static int64_t timed_batch(int op, int v, size_t n, size_t calls, int *clean)
{
    softplus_status s = SOFTPLUS_OK;
    enter_variant(v);
    const int64_t t0 = wall_ns(), c0 = cpu_ns();
    if (v == VAR_NOGUARD)
        for (size_t i = 0; i < calls; i++)
            s |= guardless_call(op, n);
    else
        for (size_t i = 0; i < calls; i++)
            s |= api_call(op, n);
    const int64_t t1 = wall_ns(), c1 = cpu_ns();
    leave_variant();
    if (s != SOFTPLUS_OK) {
        fprintf(stderr, "bench_fpenv: %s returned %s\n", op_name[op], softplus_status_string(s));
        exit(1);
    }
    *clean = (c1 - c0) * 100 >= (t1 - t0) * 98;
    return t1 - t0;
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double median_ns(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_i64);
    return n % 2 ? (double)v[n / 2] : 0.5 * (double)(v[n / 2 - 1] + v[n / 2]);
}

/* Per call ns of every variant for one op and size; noisy[v] set when unclean repetitions were used. */
static void measure(int op, size_t n, int reps, double rep_ns, double *per_call, int *noisy)
{
    int dummy;
    size_t calls = 1;
    while (timed_batch(op, VAR_DEFAULT, n, calls, &dummy) < (int64_t)(rep_ns / 8) && calls < ((size_t)1 << 30))
        calls *= 2;
    calls *= 8;
    int64_t clean[VAR_COUNT][MAX_REPS], all[VAR_COUNT][MAX_REPS];
    int nclean[VAR_COUNT] = {0}, nall[VAR_COUNT] = {0};
    for (int attempt = 0; attempt < MAX_REPS; attempt++) {
        int done = 1;
        for (int v = 0; v < VAR_COUNT; v++) {
            if (!variant_available(v) || nclean[v] >= reps)
                continue;
            int ok;
            const int64_t t = timed_batch(op, v, n, calls, &ok);
            all[v][nall[v]++] = t;
            if (ok)
                clean[v][nclean[v]++] = t;
            done &= nclean[v] >= reps;
        }
        if (done)
            break;
    }
    for (int v = 0; v < VAR_COUNT; v++) {
        if (!variant_available(v)) {
            per_call[v] = 0;
            continue;
        }
        noisy[v] = nclean[v] < (reps + 1) / 2;
        per_call[v] = (noisy[v] ? median_ns(all[v], nall[v]) : median_ns(clean[v], nclean[v])) / (double)calls;
    }
    sink += outf[0] + outd[0];
}

/* sp_fpenv_enter in a loop, caller in the default state: the check every call pays. */
static double check_ns(int reps)
{
    enum { CALLS = 1 << 22 };
    int64_t t[MAX_REPS];
    int nt = 0;
    for (int r = 0; r < reps; r++) {
        unsigned switched = 0;
        const int64_t t0 = wall_ns();
        for (int i = 0; i < CALLS; i++) {
            sp_fpenv e;
            switched += (unsigned)sp_fpenv_enter(&e);
        }
        t[nt++] = wall_ns() - t0;
        if (switched) {
            fprintf(stderr, "bench_fpenv: the start-up environment is not the default one\n");
            exit(1);
        }
    }
    return median_ns(t, nt) / CALLS;
}

int main(int argc, char **argv)
{
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--isa") == 0 && i + 1 < argc) {
            const char *name = argv[++i];
            int found = 0;
            for (int isa = SOFTPLUS_ISA_SCALAR; isa <= SOFTPLUS_ISA_NEON; isa++)
                if (strcmp(name, softplus_isa_name((softplus_isa)isa)) == 0 &&
                    softplus_set_isa((softplus_isa)isa) == SOFTPLUS_OK)
                    found = 1;
            if (!found) {
                fprintf(stderr, "bench_fpenv: ISA %s is not available here\n", name);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: bench_fpenv [--quick] [--isa NAME]\n");
            return 2;
        }
    }
    const int cpu = sched_getcpu();
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    sp_fpenv_read(&startup);
    if (!sp_fpenv_is_default(&startup)) {
        fprintf(stderr, "bench_fpenv: started in a non-default FP environment; the figures would mislead\n");
        return 2;
    }
    uint64_t s = 0x243f6a8885a308d3u;
    for (size_t i = 0; i < MAX_N; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        const double u = (double)(s >> 11) * 0x1p-53;
        xd[i] = -30.0 + 60.0 * u;
        dyd[i] = 0.5 + u;
        xf[i] = (float)xd[i];
        dyf[i] = (float)dyd[i];
    }
    const int reps = quick ? 5 : 21;
    const double rep_ns = quick ? 1e6 : 4e6;
    printf("bench_fpenv: kernel set %s; median of %d repetitions, variants interleaved\n",
           softplus_isa_name(softplus_active_isa()), reps);
    printf("check alone (sp_fpenv_enter, default state): %.2f ns per call\n\n", check_ns(reps));
    printf("%-8s %-6s", "op", "n");
    for (int v = 0; v < VAR_COUNT; v++)
        if (variant_available(v))
            printf(" %16s", var_name[v]);
    printf("\n");
    const size_t sizes[] = {1, MAX_N};
    for (size_t si = 0; si < 2; si++) {
        for (int op = 0; op < OP_COUNT; op++) {
            double pc[VAR_COUNT];
            int noisy[VAR_COUNT] = {0};
            measure(op, sizes[si], reps, rep_ns, pc, noisy);
            printf("%-8s %-6zu", op_name[op], sizes[si]);
            for (int v = 0; v < VAR_COUNT; v++) {
                if (!variant_available(v))
                    continue;
                char cell[64];
                if (sizes[si] == 1)
                    snprintf(cell, sizeof cell, "%.1fns x%.3f%s", pc[v], pc[v] / pc[VAR_DEFAULT], noisy[v] ? "~" : "");
                else
                    snprintf(cell, sizeof cell, "%.3fG/s x%.3f%s", (double)sizes[si] / pc[v],
                             pc[VAR_DEFAULT] / pc[v], noisy[v] ? "~" : "");
                printf(" %16s", cell);
            }
            printf("\n");
        }
    }
    printf("\nn = 1: ns per call and time relative to default; n = %d: Gelem/s and throughput relative to "
           "default ('~': preempted repetitions used)\n", MAX_N);
    return 0;
}

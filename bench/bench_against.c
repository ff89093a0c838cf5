/* bench_against.c -- this build's libsoftplus beside another one (an older release) in one process.
 * SPDX-License-Identifier: MIT
 *
 * Usage: bench_against OTHER.so [--lib THIS.so] [--size N]... [--reps N] [--isa NAME]...
 *   OTHER.so   the library to compare with, e.g. release 1.0 built from its tag
 *   --lib      this build's shared library (default: the one this build made, SP_BENCH_THIS_LIBRARY)
 *   --size     elements per call, repeatable (default 4096 and 65536: L1 and L2)
 *   --reps     repetitions per cell (default 15)
 *   --isa      only this kernel set, repeatable (default: every set both libraries run on this CPU)
 * Both libraries are loaded with dlmopen into namespaces of their own, so neither's symbols can bind to
 * the other's, and driven through the release 1.0 API that every release keeps: f32 and f64 forward and
 * backward on a contiguous tensor, the kernel set forced by softplus_set_isa in each, the strict tier
 * (SOFTPLUS_ACCURACY is removed from the environment before either library loads). A repetition times
 * each library for about 2 ms of calls, the two in alternating order, so that a change of the machine's
 * load hits both alike; a cell prints both median rates (Gelem/s), both median times per call (ns: the
 * latency column for small sizes, e.g. --size 1) and the median over repetitions of the ratio this / other. One CPU, pinned. Speed figures as ratios, never a test: nothing here fails on
 * a slow machine.
 */
#define _GNU_SOURCE /* dlmopen, LM_ID_NEWLM; sched_getcpu for bench_machine.h */
#include <dlfcn.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_machine.h"
#include "softplus.h"

typedef softplus_status (*fwd_f32_fn)(size_t, const size_t *, const float *, const ptrdiff_t *, float *,
                                      const ptrdiff_t *, float, float);
typedef softplus_status (*bwd_f32_fn)(size_t, const size_t *, const float *, const ptrdiff_t *, const float *,
                                      const ptrdiff_t *, float *, const ptrdiff_t *, float, float);
typedef softplus_status (*fwd_f64_fn)(size_t, const size_t *, const double *, const ptrdiff_t *, double *,
                                      const ptrdiff_t *, double, double);
typedef softplus_status (*bwd_f64_fn)(size_t, const size_t *, const double *, const ptrdiff_t *, const double *,
                                      const ptrdiff_t *, double *, const ptrdiff_t *, double, double);

typedef struct library {
    const char *path;
    const char *version;
    int (*isa_supported)(softplus_isa);
    softplus_status (*set_isa)(softplus_isa);
    fwd_f32_fn fwd_f32;
    bwd_f32_fn bwd_f32;
    fwd_f64_fn fwd_f64;
    bwd_f64_fn bwd_f64;
} library;

/* The symbol at its release 1.0 version, or NULL (dlerror printed). */
static void *symbol(void *handle, const char *path, const char *name)
{
    void *p = dlvsym(handle, name, "SOFTPLUS_1.0");
    if (!p)
        fprintf(stderr, "bench_against: %s: no %s@SOFTPLUS_1.0 (%s)\n", path, name, dlerror());
    return p;
}

static int load(library *lib, const char *path)
{
    void *h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "bench_against: cannot load %s: %s\n", path, dlerror());
        return 0;
    }
    const char *(*version)(void) = (const char *(*)(void))symbol(h, path, "softplus_version_string");
    lib->path = path;
    lib->isa_supported = (int (*)(softplus_isa))symbol(h, path, "softplus_isa_supported");
    lib->set_isa = (softplus_status(*)(softplus_isa))symbol(h, path, "softplus_set_isa");
    lib->fwd_f32 = (fwd_f32_fn)symbol(h, path, "softplus_forward_f32");
    lib->bwd_f32 = (bwd_f32_fn)symbol(h, path, "softplus_backward_f32");
    lib->fwd_f64 = (fwd_f64_fn)symbol(h, path, "softplus_forward_f64");
    lib->bwd_f64 = (bwd_f64_fn)symbol(h, path, "softplus_backward_f64");
    lib->version = version ? version() : "?";
    return version && lib->isa_supported && lib->set_isa && lib->fwd_f32 && lib->bwd_f32 && lib->fwd_f64 &&
           lib->bwd_f64;
}

typedef enum { FWD_F32, BWD_F32, FWD_F64, BWD_F64, NCALLS } call_kind;
static const char *const call_names[NCALLS] = {"f32 forward", "f32 backward", "f64 forward", "f64 backward"};

typedef struct arrays {
    float *x32, *dy32, *out32;
    double *x64, *dy64, *out64;
} arrays;

/* One call of n elements; its status (SOFTPLUS_OK unless the library is broken). */
static softplus_status run(const library *lib, call_kind kind, const arrays *a, size_t n)
{
    const size_t shape[1] = {n};
    switch (kind) {
    case FWD_F32:
        return lib->fwd_f32(1, shape, a->x32, NULL, a->out32, NULL, 1.0f, 20.0f);
    case BWD_F32:
        return lib->bwd_f32(1, shape, a->dy32, NULL, a->x32, NULL, a->out32, NULL, 1.0f, 20.0f);
    case FWD_F64:
        return lib->fwd_f64(1, shape, a->x64, NULL, a->out64, NULL, 1.0, 20.0);
    default:
        return lib->bwd_f64(1, shape, a->dy64, NULL, a->x64, NULL, a->out64, NULL, 1.0, 20.0);
    }
}

/* Seconds per call over `calls` calls. */
static double time_calls(const library *lib, call_kind kind, const arrays *a, size_t n, size_t calls)
{
    const double t0 = now_seconds();
    for (size_t c = 0; c < calls; c++)
        run(lib, kind, a, n);
    return (now_seconds() - t0) / (double)calls;
}

static int by_value(const void *p, const void *q)
{
    const double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define MAX_REPS 101
#define MAX_SIZES 8
#define MAX_ISAS 8

#ifndef SP_BENCH_THIS_LIBRARY
#define SP_BENCH_THIS_LIBRARY "libsoftplus.so.1"
#endif

static int usage(void)
{
    fprintf(stderr, "usage: bench_against OTHER.so [--lib THIS.so] [--size N]... [--reps N] [--isa NAME]...\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *other_path = NULL, *this_path = SP_BENCH_THIS_LIBRARY;
    size_t sizes[MAX_SIZES], nsizes = 0;
    const char *isa_names[MAX_ISAS];
    size_t nisa_names = 0;
    int reps = 15;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lib") == 0 && i + 1 < argc)
            this_path = argv[++i];
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc && nsizes < MAX_SIZES)
            sizes[nsizes++] = (size_t)strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--isa") == 0 && i + 1 < argc && nisa_names < MAX_ISAS)
            isa_names[nisa_names++] = argv[++i];
        else if (argv[i][0] != '-' && !other_path)
            other_path = argv[i];
        else
            return usage();
    }
    if (!other_path || reps < 1 || reps > MAX_REPS)
        return usage();
    if (nsizes == 0) {
        sizes[nsizes++] = 4096;
        sizes[nsizes++] = 65536;
    }
    size_t cap = 0;
    for (size_t s = 0; s < nsizes; s++) {
        if (sizes[s] == 0)
            return usage();
        cap = sizes[s] > cap ? sizes[s] : cap;
    }

    unsetenv("SOFTPLUS_ACCURACY"); /* both libraries at their default, the strict tier */
    unsetenv("SOFTPLUS_NUM_THREADS");
    library libs[2]; /* [0] this build, [1] the other */
    if (!load(&libs[0], this_path) || !load(&libs[1], other_path))
        return 1;

    arrays a;
    a.x32 = malloc(cap * sizeof(float));
    a.dy32 = malloc(cap * sizeof(float));
    a.out32 = malloc(cap * sizeof(float));
    a.x64 = malloc(cap * sizeof(double));
    a.dy64 = malloc(cap * sizeof(double));
    a.out64 = malloc(cap * sizeof(double));
    if (!a.x32 || !a.dy32 || !a.out32 || !a.x64 || !a.dy64 || !a.out64) {
        fprintf(stderr, "bench_against: out of memory\n");
        return 1;
    }
    /* bench_softplus's inputs, the same values */
    uint64_t state = BENCH_XORSHIFT_SEED;
    for (size_t i = 0; i < cap; i++) {
        const double x = bench_draw_x(&state);
        a.dy64[i] = bench_draw_dy(&state);
        a.x32[i] = (float)x;
        a.x64[i] = x;
        a.dy32[i] = (float)a.dy64[i];
    }

    char model[128];
    cpu_model(model, sizeof model);
    const int cpu = pin_to_current_cpu();
    printf("bench_against: this %s (%s) vs other %s (%s)\n", libs[0].version, libs[0].path, libs[1].version,
           libs[1].path);
    printf("CPU %s, pinned to cpu %d; %d repetitions per cell, ~2 ms per library per repetition; load "
           "average %.2f\n\n",
           model, cpu, reps, load_average());
    printf("| isa | call | elements | this Gelem/s | other Gelem/s | this ns/call | other ns/call | this / other |\n|---|---|---:|---:|---:|---:|---:|---:|\n");

    /* the released enum values and names (include/softplus.h), not this build's list: both libraries
     * must know them */
    static const softplus_isa isas[] = {SOFTPLUS_ISA_SCALAR, SOFTPLUS_ISA_SSE41, SOFTPLUS_ISA_AVX2,
                                        SOFTPLUS_ISA_AVX512, SOFTPLUS_ISA_NEON};
    static const char *const names[] = {"scalar", "sse41", "avx2", "avx512", "neon"};
    int failed = 0;
    for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++) {
        const softplus_isa isa = isas[k];
        const char *name = names[k];
        int wanted = nisa_names == 0;
        for (size_t q = 0; q < nisa_names; q++)
            wanted |= strcmp(isa_names[q], name) == 0;
        if (!wanted || !libs[0].isa_supported(isa) || !libs[1].isa_supported(isa))
            continue;
        if (libs[0].set_isa(isa) != SOFTPLUS_OK || libs[1].set_isa(isa) != SOFTPLUS_OK)
            continue;
        for (int kind = 0; kind < NCALLS; kind++) {
            for (size_t s = 0; s < nsizes; s++) {
                const size_t n = sizes[s];
                if (run(&libs[0], (call_kind)kind, &a, n) != SOFTPLUS_OK ||
                    run(&libs[1], (call_kind)kind, &a, n) != SOFTPLUS_OK) {
                    fprintf(stderr, "bench_against: %s %s failed\n", name, call_names[kind]);
                    failed = 1;
                    continue;
                }
                /* calls per timing: about 2 ms of this build's calls (at least one) */
                double once = time_calls(&libs[0], (call_kind)kind, &a, n, 1);
                size_t calls = 1;
                while (once * (double)calls < 2e-3 && calls < ((size_t)1 << 30))
                    calls *= 2;
                double rate[2][MAX_REPS], nanos[2][MAX_REPS], ratio[MAX_REPS];
                for (int r = 0; r < reps; r++) {
                    double sec[2];
                    for (int j = 0; j < 2; j++) {
                        const int which = (r + j) % 2;
                        sec[which] = time_calls(&libs[which], (call_kind)kind, &a, n, calls);
                    }
                    rate[0][r] = (double)n / sec[0] * 1e-9;
                    rate[1][r] = (double)n / sec[1] * 1e-9;
                    nanos[0][r] = sec[0] * 1e9;
                    nanos[1][r] = sec[1] * 1e9;
                    ratio[r] = sec[1] / sec[0];
                }
                printf("| %s | %s | %zu | %.3f | %.3f | %.1f | %.1f | %.2fx |\n", name, call_names[kind], n,
                       median(rate[0], (size_t)reps), median(rate[1], (size_t)reps), median(nanos[0], (size_t)reps),
                       median(nanos[1], (size_t)reps), median(ratio, (size_t)reps));
                fflush(stdout);
            }
        }
    }
    printf("\nload average after: %.2f\n", load_average());
    return failed;
}

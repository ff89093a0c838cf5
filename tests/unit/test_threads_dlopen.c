/* test_threads_dlopen.c -- the pool across dlopen/dlclose cycles and at exit: no thread outlives the
 * library, and a reloaded library starts a pool of its own.
 * SPDX-License-Identifier: MIT
 *
 * Usage: test_threads_dlopen <path to libsoftplus.so.1> [cycles]
 * Each cycle loads the library, asks for 3 threads, makes a call large enough to split (2^19 f32
 * elements, four times the shipped grain) and checks that the pool's threads exist and that the
 * output equals a serial call's; then unloads it and checks that the process is back to its one
 * thread. The last load is left for exit, whose destructor must join the pool (valgrind reports a
 * thread left running as a leak of its stack; a hang would time out). Label "threads": the TSan suite
 * runs it too. Exit 77 where threads cannot start (or pthread_create never returns: qemu-user 7.2 on
 * Linux 6.x).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process_threads.h"
#include "softplus.h" /* types only: the functions come from dlsym */

typedef softplus_status (*set_num_threads_fn)(size_t);
typedef softplus_status (*forward_f32_fn)(size_t, const size_t *, const float *, const ptrdiff_t *, float *,
                                          const ptrdiff_t *, float, float);

enum { COUNT = 1 << 19, EXIT_SKIPPED = 77 };

static void *nothing(void *arg)
{
    return arg;
}

static void threads_hang(int sig)
{
    static const char msg[] = "a new thread never started (seen under qemu-user 7.2 on Linux 6.x): skipping\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to say */
    }
    _exit(EXIT_SKIPPED);
}

static int fail(const char *what, int cycle)
{
    fprintf(stderr, "cycle %d: %s\n", cycle, what);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const int cycles = argc > 2 ? atoi(argv[2]) : 8;
    /* some emulators never return from pthread_create: skip rather than hang */
    signal(SIGALRM, threads_hang);
    alarm(10);
    pthread_t probe;
    if (pthread_create(&probe, NULL, nothing, NULL) != 0)
        return EXIT_SKIPPED;
    pthread_join(probe, NULL);
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    const size_t alone = process_threads();
    float *x = malloc(COUNT * sizeof *x), *serial = malloc(COUNT * sizeof *serial), *y = malloc(COUNT * sizeof *y);
    if (!x || !serial || !y || alone == 0)
        return fail("setup", -1);
    for (size_t i = 0; i < COUNT; i++)
        x[i] = (float)((double)i / COUNT * 60 - 30);
    const size_t shape[1] = {COUNT};
    for (int cycle = 0; cycle <= cycles; cycle++) {
        void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!lib)
            return fail(dlerror(), cycle);
        const set_num_threads_fn set_threads = (set_num_threads_fn)dlsym(lib, "softplus_set_num_threads");
        const forward_f32_fn forward = (forward_f32_fn)dlsym(lib, "softplus_forward_f32");
        if (!set_threads || !forward)
            return fail("symbols missing", cycle);
        if (set_threads(1) != SOFTPLUS_OK || forward(1, shape, x, NULL, serial, NULL, 1, 20) != SOFTPLUS_OK)
            return fail("serial call", cycle);
        if (process_threads() != alone)
            return fail("threads before the first parallel call", cycle);
        memset(y, 0, COUNT * sizeof *y);
        if (set_threads(3) != SOFTPLUS_OK || forward(1, shape, x, NULL, y, NULL, 1, 20) != SOFTPLUS_OK)
            return fail("parallel call", cycle);
        if (memcmp(y, serial, COUNT * sizeof *y) != 0)
            return fail("the parallel call's output differs from the serial call's", cycle);
        if (process_threads() != alone + 2)
            return fail("the pool does not have its 2 workers", cycle);
        if (cycle == cycles)
            break; /* left loaded: exit releases it */
        if (dlclose(lib) != 0)
            return fail(dlerror(), cycle);
        if (process_threads() != alone)
            return fail("pool threads left after dlclose", cycle);
    }
    free(x);
    free(serial);
    free(y);
    return 0;
}

/* bench_machine.h -- what every benchmark asks of the machine: a clock, the load, one pinned CPU, its name.
 * SPDX-License-Identifier: MIT
 *
 * Header-only, for bench_softplus, bench_threads, bench_against, bench_fpenv and bench/peers/bench_peers; the including file defines _GNU_SOURCE
 * before its first include (sched_getcpu, CPU_SET).
 */
#ifndef SP_BENCH_MACHINE_H
#define SP_BENCH_MACHINE_H

#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* v as bfloat16 bits, truncated (any nearby value will do as a benchmark input) */
static inline uint16_t bench_bf16_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return (uint16_t)(u >> 16);
}

/* v (|v| < 65504) as float16 bits, rounded by lrintf; plain C, not _Float16 (clang 14 lacks it on x86) */
static inline uint16_t bench_f16_bits(float v)
{
    const float a = fabsf(v);
    int e = a == 0 ? -14 : ilogbf(a);
    e = e < -14 ? -14 : e;
    const long n = lrintf(ldexpf(a, 10 - e));
    return (uint16_t)((signbit(v) ? 0x8000 : 0) | (a < 0x1p-14f ? n : ((long)(e + 15) << 10) + n - 1024));
}

/* The benchmarks' inputs. xorshift64*: uniform in [0, 1) with 53 random bits; *state must start non-zero
 * (BENCH_XORSHIFT_SEED: bench_softplus and bench_against draw the same values). */
#define BENCH_XORSHIFT_SEED UINT64_C(0x9e3779b97f4a7c15)
static inline double bench_uniform01(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (double)((*state * UINT64_C(0x2545f4914f6cdd1d)) >> 11) * 0x1p-53;
}

/* x: 90% uniform in [-20, 20], 10% uniform in (20, 40] -- the linear branch at beta 1, threshold 20 --
 * drawn independently per element, so a branchy kernel mispredicts as it would on real activations. */
static inline double bench_draw_x(uint64_t *state)
{
    const double u = bench_uniform01(state);
    return bench_uniform01(state) < 0.1 ? 20.0 + 20.0 * (1.0 - u) : -20.0 + 40.0 * u;
}

/* dy: uniform in [-1, 1] */
static inline double bench_draw_dy(uint64_t *state)
{
    return 2.0 * bench_uniform01(state) - 1.0;
}

static inline double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The 1-minute load average, or -1 when unknown. */
static inline double load_average(void)
{
    double load = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1)
            load = -1.0;
        fclose(f);
    }
    return load;
}

/* Pins the calling thread to the CPU it runs on; that CPU, or -1 when pinning failed. */
static inline int pin_to_current_cpu(void)
{
    const int cpu = sched_getcpu();
    if (cpu < 0)
        return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

/* The CPU's model name from /proc/cpuinfo, or "unknown". */
static inline void cpu_model(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) {
                colon += 1 + (colon[1] == ' ');
                snprintf(out, len, "%.*s", (int)strcspn(colon, "\n"), colon);
            }
            break;
        }
    }
    fclose(f);
}

#endif /* SP_BENCH_MACHINE_H */

/* dispatch.c -- CPU detection, the active kernel set and accuracy tier: resolved once, lock-free,
 * overridable.
 * SPDX-License-Identifier: MIT
 *
 * This file runs before anything is known about the CPU, so it must be built with the baseline flags
 * only: an AVX instruction the compiler slipped in here would fault on the CPUs we are detecting.
 */
#if defined(__AVX__) || defined(__AVX2__) || defined(__AVX512F__)
#error "dispatch.c must be compiled for the baseline ISA; kernels get ISA flags per file"
#endif

#include "dispatch.h"
#include "parallel.h"
#include "registry.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define SP_X86 1
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#define SP_ARM64_LINUX 1
#endif

/* CPU and OS features an ISA may require (the features column of SP_ISAS in lists.h). */
enum {
    SP_CPU_SSE41 = 1u << 0,
    SP_CPU_AVX2_FMA = 1u << 1, /* AVX2, FMA and F16C, with the OS saving YMM state */
    SP_CPU_AVX512 = 1u << 2,   /* AVX-512 F, DQ, BW and VL, with the OS saving opmask and ZMM state */
    SP_CPU_ASIMD = 1u << 3     /* aarch64 Advanced SIMD */
};

/* The SP_CPU_* features this CPU and OS provide. */
static unsigned detect_cpu_features(void)
{
    unsigned features = 0;
#if defined(SP_X86)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return features;
    const unsigned ecx1 = ecx;
    if (ecx1 & bit_SSE4_1)
        features |= SP_CPU_SSE41;
    /* AVX state must be enabled by the OS (XCR0), not only present in the CPU. */
    if (!(ecx1 & bit_OSXSAVE) || !(ecx1 & bit_AVX) || !(ecx1 & bit_FMA) || !(ecx1 & bit_F16C))
        return features;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    (void)xcr0_hi;
    const unsigned xmm_ymm = 0x6u;            /* SSE and AVX state */
    const unsigned opmask_zmm = 0xe0u;        /* opmask, ZMM0-15 upper halves, ZMM16-31 */
    if ((xcr0_lo & xmm_ymm) != xmm_ymm)
        return features;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return features;
    if (ebx & bit_AVX2)
        features |= SP_CPU_AVX2_FMA;
    const unsigned avx512_needed = bit_AVX512F | bit_AVX512DQ | bit_AVX512BW | bit_AVX512VL;
    if ((ebx & avx512_needed) == avx512_needed && (xcr0_lo & opmask_zmm) == opmask_zmm)
        features |= SP_CPU_AVX512;
#elif defined(SP_ARM64_LINUX)
    if (getauxval(AT_HWCAP) & HWCAP_ASIMD)
        features |= SP_CPU_ASIMD;
#elif defined(__aarch64__)
    features |= SP_CPU_ASIMD; /* Advanced SIMD is baseline on aarch64 */
#endif
    return features;
}

/* Bit (1 << isa) set when this CPU and OS can run that ISA's instructions, whether or not its kernels
 * are compiled in. */
static unsigned detect_cpu_isas(void)
{
    const unsigned features = detect_cpu_features();
    unsigned isas = 0;
#define SP_RUNNABLE(ctx, tag, TAG, fallback, priority, needs)                                        \
    if ((features & (unsigned)(needs)) == (unsigned)(needs))                                          \
        isas |= 1u << SOFTPLUS_ISA_##TAG;
    SP_ISAS(SP_RUNNABLE, ~)
#undef SP_RUNNABLE
    return isas;
}

static unsigned cpu_isas(void)
{
    /* 0 = not detected yet; detection is idempotent, so racing threads store the same value. */
    static atomic_uint cached;
    unsigned isas = atomic_load_explicit(&cached, memory_order_relaxed);
    if (isas == 0) {
        isas = detect_cpu_isas();
        atomic_store_explicit(&cached, isas, memory_order_relaxed);
    }
    return isas;
}

const sp_kernel_set *sp_kernels_for_isa(softplus_isa isa)
{
    if ((unsigned)isa >= 32u || !(cpu_isas() & (1u << isa)))
        return NULL;
    return sp_registry_set(isa);
}

softplus_isa sp_best_isa(void)
{
    softplus_isa best = SOFTPLUS_ISA_SCALAR;
    int best_priority = -1;
#define SP_BETTER(ctx, tag, TAG, fallback, priority, features)                                       \
    if ((priority) > best_priority && sp_kernels_for_isa(SOFTPLUS_ISA_##TAG)) {                      \
        best = SOFTPLUS_ISA_##TAG;                                                                   \
        best_priority = (priority);                                                                  \
    }
    SP_ISAS(SP_BETTER, ~)
#undef SP_BETTER
    return best;
}

static softplus_isa isa_from_environment(void)
{
    const char *name = getenv("SOFTPLUS_ISA");
    if (!name)
        return SOFTPLUS_ISA_AUTO;
#define SP_NAMED(ctx, tag, TAG, fallback, priority, features)                                        \
    if (strcmp(name, #tag) == 0 && sp_kernels_for_isa(SOFTPLUS_ISA_##TAG))                            \
        return SOFTPLUS_ISA_##TAG;
    SP_ISAS(SP_NAMED, ~)
#undef SP_NAMED
    return SOFTPLUS_ISA_AUTO;
}

/* SOFTPLUS_ACCURACY: a tier's tag of src/lists.h, else -1 (absent or unknown: ignored). */
static int accuracy_from_environment(void)
{
    const char *name = getenv("SOFTPLUS_ACCURACY");
    if (!name)
        return -1;
#define SP_TIER_NAMED(ctx, tag, TAG, suffix)                                                         \
    if (strcmp(name, #tag) == 0)                                                                     \
        return SOFTPLUS_ACCURACY_##TAG;
    SP_ACCURACIES(SP_TIER_NAMED, ~)
#undef SP_TIER_NAMED
    return -1;
}

/* The tier: SP_ACCURACY_UNRESOLVED until the environment has been read or softplus_set_accuracy ran. */
enum { SP_ACCURACY_UNRESOLVED = -1 };
atomic_int sp_active_tier = SP_ACCURACY_UNRESOLVED;

/* Reads SOFTPLUS_ACCURACY once; a softplus_set_accuracy that got there first wins. */
softplus_accuracy sp_resolve_accuracy(void)
{
    const int from_env = accuracy_from_environment();
    int expected = SP_ACCURACY_UNRESOLVED;
    const int mine = from_env >= 0 ? from_env : SOFTPLUS_ACCURACY_STRICT;
    if (atomic_compare_exchange_strong_explicit(&sp_active_tier, &expected, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return (softplus_accuracy)mine;
    return (softplus_accuracy)expected;
}

_Atomic(const sp_kernel_set *) sp_active_set;

const sp_kernel_set *sp_resolve_kernels(void)
{
    /* the environment is read once, its three variables together */
    (void)sp_active_accuracy();
    sp_parallel_resolve_environment();
    softplus_isa isa = isa_from_environment();
    if (isa == SOFTPLUS_ISA_AUTO)
        isa = sp_best_isa();
    const sp_kernel_set *mine = sp_kernels_for_isa(isa);
    const sp_kernel_set *expected = NULL;
    /* A softplus_set_isa (or another first call) that got there first wins. */
    if (atomic_compare_exchange_strong_explicit(&sp_active_set, &expected, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    return expected;
}

SOFTPLUS_API softplus_isa softplus_active_isa(void)
{
    return sp_active_kernels()->isa;
}

SOFTPLUS_API int softplus_isa_supported(softplus_isa isa)
{
    return isa == SOFTPLUS_ISA_AUTO || sp_kernels_for_isa(isa) != NULL;
}

SOFTPLUS_API softplus_status softplus_set_isa(softplus_isa isa)
{
    const sp_kernel_set *k = sp_kernels_for_isa(isa == SOFTPLUS_ISA_AUTO ? sp_best_isa() : isa);
    if (!k)
        return SOFTPLUS_ERR_UNSUPPORTED;
    atomic_store_explicit(&sp_active_set, k, memory_order_release);
    return SOFTPLUS_OK;
}

SOFTPLUS_API softplus_status softplus_set_accuracy(softplus_accuracy accuracy)
{
    /* on the bits' value, whatever the enum's underlying type */
    if ((unsigned)accuracy >= (unsigned)SP_ACCURACY_COUNT)
        return SOFTPLUS_ERR_PARAM;
    atomic_store_explicit(&sp_active_tier, (int)accuracy, memory_order_release);
    return SOFTPLUS_OK;
}

SOFTPLUS_API softplus_accuracy softplus_accuracy_mode(void)
{
    return sp_active_accuracy();
}

SOFTPLUS_API const char *softplus_isa_name(softplus_isa isa)
{
    switch (isa) {
    case SOFTPLUS_ISA_AUTO: return "auto";
#define SP_NAME_CASE(ctx, tag, TAG, fallback, priority, features)                                    \
    case SOFTPLUS_ISA_##TAG: return #tag;
        SP_ISAS(SP_NAME_CASE, ~)
#undef SP_NAME_CASE
    }
    return "unknown";
}

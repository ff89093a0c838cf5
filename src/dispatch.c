/* dispatch.c -- CPU detection and the active kernel set: resolved once, lock-free, overridable.
 * SPDX-License-Identifier: MIT
 *
 * This file runs before anything is known about the CPU, so it must be built with the baseline flags
 * only: an AVX instruction the compiler slipped in here would fault on the CPUs we are detecting.
 */
#if defined(__AVX__) || defined(__AVX2__) || defined(__AVX512F__)
#error "dispatch.c must be compiled for the baseline ISA; kernels get ISA flags per file"
#endif

#include "dispatch.h"

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

/* Each ISA's (fwd, bwd) pair per dtype; a dtype an ISA has no kernels for comes from the ISA below. */
#define SP_F32_SCALAR sp_fwd_f32_scalar, sp_bwd_f32_scalar
#define SP_F64_SCALAR sp_fwd_f64_scalar, sp_bwd_f64_scalar
#ifdef SP_HAVE_SSE41_F32
#define SP_F32_SSE41 sp_fwd_f32_sse41, sp_bwd_f32_sse41
#else
#define SP_F32_SSE41 SP_F32_SCALAR
#endif
#ifdef SP_HAVE_SSE41_F64
#define SP_F64_SSE41 sp_fwd_f64_sse41, sp_bwd_f64_sse41
#else
#define SP_F64_SSE41 SP_F64_SCALAR
#endif
#ifdef SP_HAVE_AVX2_F32
#define SP_F32_AVX2 sp_fwd_f32_avx2, sp_bwd_f32_avx2
#else
#define SP_F32_AVX2 SP_F32_SSE41
#endif
#ifdef SP_HAVE_AVX2_F64
#define SP_F64_AVX2 sp_fwd_f64_avx2, sp_bwd_f64_avx2
#else
#define SP_F64_AVX2 SP_F64_SSE41
#endif
#ifdef SP_HAVE_AVX512_F32
#define SP_F32_AVX512 sp_fwd_f32_avx512, sp_bwd_f32_avx512
#else
#define SP_F32_AVX512 SP_F32_AVX2
#endif
#ifdef SP_HAVE_AVX512_F64
#define SP_F64_AVX512 sp_fwd_f64_avx512, sp_bwd_f64_avx512
#else
#define SP_F64_AVX512 SP_F64_AVX2
#endif
#ifdef SP_HAVE_NEON_F32
#define SP_F32_NEON sp_fwd_f32_neon, sp_bwd_f32_neon
#else
#define SP_F32_NEON SP_F32_SCALAR
#endif
#ifdef SP_HAVE_NEON_F64
#define SP_F64_NEON sp_fwd_f64_neon, sp_bwd_f64_neon
#else
#define SP_F64_NEON SP_F64_SCALAR
#endif

/* An ISA is compiled in when any of its kernel files is. */
#if defined(SP_HAVE_SSE41_F32) || defined(SP_HAVE_SSE41_F64)
#define SP_HAVE_SSE41 1
#endif
#if defined(SP_HAVE_AVX2_F32) || defined(SP_HAVE_AVX2_F64)
#define SP_HAVE_AVX2 1
#endif
#if defined(SP_HAVE_AVX512_F32) || defined(SP_HAVE_AVX512_F64)
#define SP_HAVE_AVX512 1
#endif
#if defined(SP_HAVE_NEON_F32) || defined(SP_HAVE_NEON_F64)
#define SP_HAVE_NEON 1
#endif

static const sp_kernel_set kernels_scalar = {SOFTPLUS_ISA_SCALAR, SP_F32_SCALAR, SP_F64_SCALAR};
#ifdef SP_HAVE_SSE41
static const sp_kernel_set kernels_sse41 = {SOFTPLUS_ISA_SSE41, SP_F32_SSE41, SP_F64_SSE41};
#endif
#ifdef SP_HAVE_AVX2
static const sp_kernel_set kernels_avx2 = {SOFTPLUS_ISA_AVX2, SP_F32_AVX2, SP_F64_AVX2};
#endif
#ifdef SP_HAVE_AVX512
static const sp_kernel_set kernels_avx512 = {SOFTPLUS_ISA_AVX512, SP_F32_AVX512, SP_F64_AVX512};
#endif
#ifdef SP_HAVE_NEON
static const sp_kernel_set kernels_neon = {SOFTPLUS_ISA_NEON, SP_F32_NEON, SP_F64_NEON};
#endif

/* Bit (1 << isa) set when this CPU and OS can run that ISA's instructions, whether or not its kernels
 * are compiled in. */
static unsigned detect_cpu_isas(void)
{
    unsigned isas = 1u << SOFTPLUS_ISA_SCALAR;
#if defined(SP_X86)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return isas;
    const unsigned ecx1 = ecx;
    if (ecx1 & bit_SSE4_1)
        isas |= 1u << SOFTPLUS_ISA_SSE41;
    /* AVX state must be enabled by the OS (XCR0), not only present in the CPU. */
    if (!(ecx1 & bit_OSXSAVE) || !(ecx1 & bit_AVX) || !(ecx1 & bit_FMA))
        return isas;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    (void)xcr0_hi;
    const unsigned xmm_ymm = 0x6u;            /* SSE and AVX state */
    const unsigned opmask_zmm = 0xe0u;        /* opmask, ZMM0-15 upper halves, ZMM16-31 */
    if ((xcr0_lo & xmm_ymm) != xmm_ymm)
        return isas;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return isas;
    if (ebx & bit_AVX2)
        isas |= 1u << SOFTPLUS_ISA_AVX2;
    const unsigned avx512_needed = bit_AVX512F | bit_AVX512DQ | bit_AVX512BW | bit_AVX512VL;
    if ((ebx & bit_AVX2) && (ebx & avx512_needed) == avx512_needed &&
        (xcr0_lo & opmask_zmm) == opmask_zmm)
        isas |= 1u << SOFTPLUS_ISA_AVX512;
#elif defined(SP_ARM64_LINUX)
    if (getauxval(AT_HWCAP) & HWCAP_ASIMD)
        isas |= 1u << SOFTPLUS_ISA_NEON;
#elif defined(__aarch64__)
    isas |= 1u << SOFTPLUS_ISA_NEON; /* Advanced SIMD is baseline on aarch64 */
#endif
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

static const sp_kernel_set *compiled_kernels(softplus_isa isa)
{
    switch (isa) {
    case SOFTPLUS_ISA_SCALAR: return &kernels_scalar;
#ifdef SP_HAVE_SSE41
    case SOFTPLUS_ISA_SSE41: return &kernels_sse41;
#endif
#ifdef SP_HAVE_AVX2
    case SOFTPLUS_ISA_AVX2: return &kernels_avx2;
#endif
#ifdef SP_HAVE_AVX512
    case SOFTPLUS_ISA_AVX512: return &kernels_avx512;
#endif
#ifdef SP_HAVE_NEON
    case SOFTPLUS_ISA_NEON: return &kernels_neon;
#endif
    default: return NULL;
    }
}

const sp_kernel_set *sp_kernels_for_isa(softplus_isa isa)
{
    if ((unsigned)isa >= 32u || !(cpu_isas() & (1u << isa)))
        return NULL;
    return compiled_kernels(isa);
}

softplus_isa sp_best_isa(void)
{
    static const softplus_isa best_first[] = {SOFTPLUS_ISA_AVX512, SOFTPLUS_ISA_AVX2, SOFTPLUS_ISA_SSE41,
                                              SOFTPLUS_ISA_NEON};
    for (size_t i = 0; i < sizeof best_first / sizeof best_first[0]; i++)
        if (sp_kernels_for_isa(best_first[i]))
            return best_first[i];
    return SOFTPLUS_ISA_SCALAR;
}

static softplus_isa isa_from_environment(void)
{
    const char *name = getenv("SOFTPLUS_ISA");
    if (!name)
        return SOFTPLUS_ISA_AUTO;
    for (int isa = SOFTPLUS_ISA_SCALAR; isa <= SOFTPLUS_ISA_NEON; isa++)
        if (strcmp(name, softplus_isa_name((softplus_isa)isa)) == 0 && sp_kernels_for_isa((softplus_isa)isa))
            return (softplus_isa)isa;
    return SOFTPLUS_ISA_AUTO;
}

static _Atomic(const sp_kernel_set *) active_kernels;

static const sp_kernel_set *resolve_first_time(void)
{
    softplus_isa isa = isa_from_environment();
    if (isa == SOFTPLUS_ISA_AUTO)
        isa = sp_best_isa();
    const sp_kernel_set *mine = sp_kernels_for_isa(isa);
    const sp_kernel_set *expected = NULL;
    /* A softplus_set_isa (or another first call) that got there first wins. */
    if (atomic_compare_exchange_strong_explicit(&active_kernels, &expected, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    return expected;
}

const sp_kernel_set *sp_active_kernels(void)
{
    const sp_kernel_set *k = atomic_load_explicit(&active_kernels, memory_order_acquire);
    return k ? k : resolve_first_time();
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
    atomic_store_explicit(&active_kernels, k, memory_order_release);
    return SOFTPLUS_OK;
}

SOFTPLUS_API const char *softplus_isa_name(softplus_isa isa)
{
    switch (isa) {
    case SOFTPLUS_ISA_AUTO: return "auto";
    case SOFTPLUS_ISA_SCALAR: return "scalar";
    case SOFTPLUS_ISA_SSE41: return "sse41";
    case SOFTPLUS_ISA_AVX2: return "avx2";
    case SOFTPLUS_ISA_AVX512: return "avx512";
    case SOFTPLUS_ISA_NEON: return "neon";
    }
    return "unknown";
}

/* fuzz_softplus.c -- libFuzzer target: every public function, checked against an independent oracle.
 * SPDX-License-Identifier: MIT
 *
 * Each input is decoded into a short program of library calls (the byte format is below and in
 * make_corpus.py, which writes the seed corpus). Every call is checked, and any mismatch prints the call
 * and aborts, so libFuzzer records the input:
 *   - the status equals the one an oracle written here predicts from softplus.h alone: its rules and
 *     its check order (RANK, NULL shape, PARAM, OVERFLOW count, empty -> OK, NULL data, OVERFLOW
 *     address range, OVERLAP); nothing from src/ is called to decide it;
 *   - on OK every output element equals a reference computed here (double for f32, long double for
 *     f64, of the exact product beta*x, PyTorch's threshold rule on the product rounded to the tensor's
 *     precision) within the bound B the registry (src/registry.h) holds for the active set's kernel
 *     (max_ulp for beta = 1, else max_ulp_beta: the kernel file's SP_MAX_ULP_*), with NaNs as the
 *     header's NaN policy says bit for bit, infinities and zero signs exact and the linear branch bit-exact. Forward: within B ULP of the exact value.
 *     Backward: softplus.h's contract, dx within B ULP of dy*sigmoid relative to dx itself, plus the
 *     final rounding, for every finite dy: |dx - dy*sigmoid| <= |dy|*B*ulp'(sigmoid) + ulp(dx)/2, ulp'
 *     taken as if the format had no subnormals (without the ulp(dx)/2 where dy is a power of two and dx
 *     is normal, since dy*s is exact there);
 *   - the arena (the only memory tensor pointers ever name) changed in the output view's elements and
 *     nowhere else, and not at all on error or for an empty tensor; during the call every arena byte
 *     outside the output view's elements and the input views' spans (lowest to highest element: a call
 *     may read the bytes between an input's elements) is poisoned for AddressSanitizer (8-byte
 *     granules), so a stray read, not only a stray write, is caught; the arena sits between guard zones;
 *   - errno, the rounding mode and the SSE/x87 control bits are the same after every call, and the
 *     shape and stride arrays are unchanged (each is its own allocation of exactly ndim entries);
 *   - under a non-default FP control state of the caller (directed rounding, FTZ/DAZ, enabled traps,
 *     reduced x87 precision; the FP mode byte) a call does not trap and leaves exactly the bytes it
 *     leaves in the default modes, as softplus.h's floating-point environment section promises.
 * The active ISA is part of the checked state: softplus_set_isa must succeed exactly for the ISAs this
 * build compiles and this CPU runs (asked of the compiler's __builtin_cpu_supports, not the library),
 * and every input starts from SOFTPLUS_ISA_AUTO, so an input behaves the same whatever ran before it.
 *
 * Input format (little-endian; reading past the end yields zero bytes):
 *   u8 isa code, u32 arena seed, u8 value palette; then up to MAX_COMMANDS commands, each a u8 c:
 *     c % 16 < 12   tensor call: u8 op code, u8 dtype code (op = code % SP_OP_COUNT and dtype =
 *                   code % SP_DTYPE_COUNT, indices into src/lists.h's SP_OPS and SP_DTYPES: the
 *                   function is softplus_<op>_<dtype>), u8 flags (1: shape NULL, 2: FP mode byte follows, 4: pokes follow),
 *                   u8 ndim code, sizes (one code each; none when ndim > SOFTPLUS_MAX_NDIM),
 *                   beta code, threshold code, then per operand (output, x or dy, x) a strides mode,
 *                   its payload, a pointer mode and its payload; [u8 poke count, pokes]; [u8 FP mode,
 *                   0..15, see fp_settings]
 *     12            softplus_set_isa(isa code)
 *     13            softplus_set_accuracy(code): the tier is part of the checked state too; every input
 *                   starts from SOFTPLUS_ACCURACY_STRICT, and each value check uses the bound of the
 *                   active tier's kernel
 *     14, 15        the query functions on a u8 code each
 * Operands are numbered as the library numbers them: 0 the output, 1 x (forward) or dy, 2 x (backward).
 */
#define _GNU_SOURCE 1 /* glibc's feenableexcept/fedisableexcept */
#include <errno.h>
#include <fenv.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h" /* which ISAs are compiled, and each kernel's name, origin and bounds */
#include "softplus.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define FZ_X86 1
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#define FZ_POISON(p, n) __asan_poison_memory_region((p), (n))
#define FZ_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define FZ_POISON(p, n) ((void)(p), (void)(n))
#define FZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Helpers that only check or enumerate stay out of libFuzzer's coverage and comparison tracing: their
 * loops would cost most of the time, and their branches say nothing about new library behaviour. */
#if defined(__clang__)
#define FZ_QUIET __attribute__((no_sanitize("coverage")))
#else
#define FZ_QUIET
#endif

_Static_assert(sizeof(size_t) <= sizeof(uint64_t) && sizeof(uintptr_t) <= sizeof(uint64_t),
               "the oracle computes sizes and addresses in uint64_t");

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    ARENA_BYTES = 16384, /* enough for multi-chunk gather/scatter runs (4 KiB chunks) */
    GUARD_BYTES = 256,   /* canary bytes either side, never inside any view */
    BLOCK_BYTES = GUARD_BYTES + ARENA_BYTES + GUARD_BYTES,
    MAX_COMMANDS = 8,
    MAX_OPS = 3,
    MAX_POKES = 4
};

static unsigned char *g_block;                       /* guard, arena, guard */
static unsigned char *g_arena;                       /* g_block + GUARD_BYTES */
static unsigned char g_before[BLOCK_BYTES];          /* the block before the current call */
static softplus_isa g_isa;                           /* the kernel set that must be active now */
static softplus_accuracy g_accuracy;                 /* ... and the accuracy tier */

/* ---- reading the input ---------------------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint8_t rd_u8(reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static uint64_t rd_le(reader *r, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)rd_u8(r) << (8 * i);
    return v;
}

static uint64_t mix64(uint64_t v)
{
    v += 0x9e3779b97f4a7c15u;
    v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9u;
    v = (v ^ (v >> 27)) * 0x94d049bb133111ebu;
    return v ^ (v >> 31);
}

static double unit01(uint64_t r)
{
    return (double)(r >> 11) * 0x1p-53;
}

static float f32_bits(uint32_t b)
{
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static double f64_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static uint32_t bits_of_f32(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static uint64_t bits_of_f64(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* ---- failure reports ------------------------------------------------------------------------------ */

/* The beta and threshold of a call, in each dtype's compute type: beta_f32, thr_f32, beta_f64, ... */
#define FZ_PARAM_FIELDS(ctx, tag, TAG, storage, size, compute, ctag) compute beta_##tag, thr_##tag;

typedef struct call {
    sp_op op;
    sp_dtype dtype;
    size_t es, nops;
    size_t ndim;
    size_t *shape;       /* NULL, or its own allocation of shape_len entries */
    size_t shape_len;
    uintptr_t base[MAX_OPS];
    ptrdiff_t *strides[MAX_OPS]; /* NULL (C-contiguous), or ndim entries */
    SP_DTYPES(FZ_PARAM_FIELDS, ~)
    int fpmode;
} call;

static const call *g_call; /* the call being checked, for fail() */

/* Whether a dtype's beta and threshold are float (f32, bf16, f16) rather than double. */
static int float_params(sp_dtype d)
{
#define FZ_FLOAT_PARAMS(ctx, tag, TAG, storage, size, compute, ctag) sizeof(compute) == sizeof(float),
    static const int is_float[] = {SP_DTYPES(FZ_FLOAT_PARAMS, ~)};
    return is_float[d];
}

/* bf16 and f16 elements (2 bytes) as float, exactly, and whether the dtype is f16. */
static int is_f16(sp_dtype d)
{
    return d == SP_DTYPE_F16;
}
/* f16 bits to float and float to f16 bits (nearest even), in plain C: clang 14 has no _Float16 on x86 */
static float f16_to_float(uint16_t h)
{
    const int e = (h >> 10) & 31, m = h & 1023;
    const float sign = (h & 0x8000) ? -1.0f : 1.0f;
    if (e == 31)
        return m ? NAN : sign * INFINITY;
    return sign * ldexpf((float)(e ? 1024 + m : m), (e ? e : 1) - 25);
}
static uint16_t f16_from_float(float v)
{
    const uint16_t sign = signbit(v) ? 0x8000 : 0;
    const float a = fabsf(v);
    if (isnan(v))
        return 0x7e00;
    if (a >= 65520.0f)
        return sign | 0x7c00;
    int e = a == 0 ? -14 : ilogbf(a);
    if (e < -14)
        e = -14;
    const long n = lrintf(ldexpf(a, 10 - e)); /* a / 2^(e-10), rounded to nearest even */
    return (uint16_t)(sign | (a < 0x1p-14f ? n : ((long)(e + 15) << 10) + n - 1024));
}
static float half_value(sp_dtype d, uint16_t h)
{
    if (is_f16(d))
        return f16_to_float(h);
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* With -DFZ_STATS: how the decoded tensor calls fell, printed at exit (is the decoder reaching OK calls
 * that run, or mostly errors and skips?). */
#ifdef FZ_STATS
static unsigned long g_stat_status[8], g_stat_empty, g_stat_ran, g_stat_skipped, g_stat_elements, g_stat_fpmode;
static void print_stats(void)
{
    fprintf(stderr,
            "fuzz_softplus stats: ran %lu (output span %lu elements, under a non-default FP mode %lu), "
            "empty %lu, skipped (OK outside the arena) %lu; statuses OK %lu NULL %lu RANK %lu PARAM %lu "
            "OVERFLOW %lu OVERLAP %lu\n", g_stat_ran, g_stat_elements, g_stat_fpmode, g_stat_empty, g_stat_skipped,
            g_stat_status[0], g_stat_status[1], g_stat_status[2], g_stat_status[3], g_stat_status[4],
            g_stat_status[5]);
}
#define FZ_STAT(x) (x)
#else
#define FZ_STAT(x) ((void)0)
#endif

/* fn_names[op][dtype]: softplus_<public>_<dtype> */
#define FZ_FN_NAME_D(public, dtag, DTAG, storage, size, compute, ctag) "softplus_" #public "_" #dtag,
#define FZ_FN_NAME_O(ctx, otag, OTAG, public, inputs) {SP_DTYPES(FZ_FN_NAME_D, public)},
static const char *const fn_names[SP_OP_COUNT][SP_DTYPE_COUNT] = {SP_OPS(FZ_FN_NAME_O, ~)};

/* Bytes of a stored element per dtype, and tensor operands (the output and the inputs) per op. */
#define FZ_SIZE(ctx, tag, TAG, storage, size, compute, ctag) size,
static const size_t dtype_sizes[SP_DTYPE_COUNT] = {SP_DTYPES(FZ_SIZE, ~)};
#define FZ_NOPS(ctx, tag, TAG, public, inputs) 1 + (inputs),
static const size_t op_noperands[SP_OP_COUNT] = {SP_OPS(FZ_NOPS, ~)};

/* The ISAs of src/lists.h are SOFTPLUS_ISA_<TAG> = 1 .. FZ_ISA_LAST without gaps (registry.c asserts it). */
#define FZ_ISA_ONE(ctx, tag, TAG, fallback, priority, features) +1
#define FZ_ISA_LAST ((int)(0 SP_ISAS(FZ_ISA_ONE, ~)))

/* The registry's entry for the call under the set that must be active: the kernel that computes it,
 * with its name, origin and bounds. */
static const sp_kernel *active_kernel(const call *c)
{
    return sp_kernel_of(sp_registry_set(g_isa), g_accuracy, c->op, c->dtype);
}

static void print_pointer(uintptr_t p)
{
    const uintptr_t a = (uintptr_t)g_arena;
    if (p >= a && p <= a + ARENA_BYTES)
        fprintf(stderr, "arena+%lu", (unsigned long)(p - a));
    else
        fprintf(stderr, "0x%llx", (unsigned long long)p);
}

static void print_call(const call *c)
{
    const sp_kernel *kern = active_kernel(c);
    fprintf(stderr, "  call %s, active ISA %s, tier %d (kernel %s, origin %s, bounds %g/%g ULP), FP mode %d\n"
            "  ndim %zu, shape ", fn_names[c->op][c->dtype], softplus_isa_name(g_isa), (int)g_accuracy, kern->name,
            softplus_isa_name(kern->origin), kern->max_ulp, kern->max_ulp_beta, c->fpmode, c->ndim);
    if (!c->shape) {
        fprintf(stderr, "NULL");
    } else {
        fprintf(stderr, "{");
        for (size_t d = 0; d < c->shape_len; d++)
            fprintf(stderr, "%s%llu", d ? ", " : "", (unsigned long long)c->shape[d]);
        fprintf(stderr, "}");
    }
    if (float_params(c->dtype))
        fprintf(stderr, ", beta %a, threshold %a\n", (double)c->beta_f32, (double)c->thr_f32);
    else
        fprintf(stderr, ", beta %a, threshold %a\n", c->beta_f64, c->thr_f64);
    static const char *const names[2][MAX_OPS] = {{"y", "x", ""}, {"dx", "dy", "x"}};
    for (size_t k = 0; k < c->nops; k++) {
        fprintf(stderr, "  %-2s = ", names[c->nops == 3][k]);
        print_pointer(c->base[k]);
        fprintf(stderr, ", strides ");
        if (!c->strides[k] || c->ndim > SOFTPLUS_MAX_NDIM) {
            fprintf(stderr, c->strides[k] ? "(not read)" : "NULL");
        } else {
            fprintf(stderr, "{");
            for (size_t d = 0; d < c->ndim; d++)
                fprintf(stderr, "%s%lld", d ? ", " : "", (long long)c->strides[k][d]);
            fprintf(stderr, "}");
        }
        fprintf(stderr, "\n");
    }
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\nfuzz_softplus: CHECK FAILED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    if (g_call)
        print_call(g_call);
    fflush(stderr);
    abort();
}

/* ---- the machine: ISAs and the floating-point environment ----------------------------------------- */

/* The registry has a set for an ISA exactly when this build compiled one of its kernel files
 * (test_dispatch checks that against the build's SP_HAVE_<ISA>_<DTYPE> definitions). */
static int isa_compiled(softplus_isa isa)
{
    return isa == SOFTPLUS_ISA_AUTO || sp_registry_set(isa) != NULL;
}

/* What the CPU and OS run, from the compiler's runtime (libgcc / compiler-rt), not from the library. */
static int isa_cpu_runs(softplus_isa isa)
{
    switch (isa) {
    case SOFTPLUS_ISA_AUTO:
    case SOFTPLUS_ISA_SCALAR: return 1;
#ifdef FZ_X86
    case SOFTPLUS_ISA_SSE41: return __builtin_cpu_supports("sse4.1") != 0;
    case SOFTPLUS_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SOFTPLUS_ISA_AVX512:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif
#if defined(__aarch64__)
    case SOFTPLUS_ISA_NEON: return 1; /* Advanced SIMD is part of the aarch64 baseline */
#endif
    default: return 0;
    }
}

static int isa_ok(softplus_isa isa)
{
    return isa_compiled(isa) && isa_cpu_runs(isa);
}

/* The best ISA this machine runs by the priority column of src/lists.h (the first listed wins a tie). */
static softplus_isa best_isa(void)
{
    softplus_isa best = SOFTPLUS_ISA_SCALAR;
    int best_priority = -1;
#define FZ_BEST(ctx, tag, TAG, fallback, priority, features)                                        \
    if (isa_ok(SOFTPLUS_ISA_##TAG) && (priority) > best_priority) {                                 \
        best = SOFTPLUS_ISA_##TAG;                                                                  \
        best_priority = (priority);                                                                 \
    }
    SP_ISAS(FZ_BEST, ~)
#undef FZ_BEST
    return best;
}

/* The caller's floating-point control modes: rounding direction, SSE control bits (exception masks,
 * rounding, FTZ, DAZ; not the sticky flags), the x87 control word. */
typedef struct fp_modes {
    int round;
    unsigned mxcsr;
    unsigned x87;
} fp_modes;

static fp_modes fp_modes_now(void)
{
    fp_modes m = {fegetround(), 0, 0};
#ifdef FZ_X86
    m.mxcsr = _mm_getcsr() & ~0x3fu;
#if defined(__GLIBC__)
    fenv_t env;
    fegetenv(&env);
    m.x87 = env.__control_word;
#endif
#endif
    return m;
}

static void fp_modes_compare(const fp_modes *want, const fp_modes *got, const char *what)
{
    if (got->round != want->round || got->mxcsr != want->mxcsr || got->x87 != want->x87)
        fail("%s changed the FP control modes: rounding %d -> %d, MXCSR 0x%x -> 0x%x, x87 CW 0x%x -> 0x%x",
             what, want->round, got->round, want->mxcsr, got->mxcsr, want->x87, got->x87);
}

/* The caller's FP control state for a call: mode 0 is the default; the others combine a rounding
 * direction, MXCSR FTZ/DAZ, enabled traps and a reduced x87 precision. softplus.h promises results bit
 * for bit equal to those under the default modes, no trap, and the caller's modes restored. */
typedef struct fp_setting {
    int round;
    unsigned csr; /* MXCSR bits: FTZ 0x8000, DAZ 0x0040 */
    int traps;    /* 0 none, 1 every exception in both units (feenableexcept), 2 the x87 unit's only */
    int x87_pc;   /* x87 precision: 0 leave at extended, 1 double, 2 single */
} fp_setting;

static const fp_setting fp_settings[16] = {
    {FE_TONEAREST, 0, 0, 0},       {FE_UPWARD, 0, 0, 0},       {FE_DOWNWARD, 0, 0, 0},
    {FE_TOWARDZERO, 0, 0, 0},      {FE_TONEAREST, 0x8000u, 0, 0}, {FE_TONEAREST, 0x0040u, 0, 0},
    {FE_TONEAREST, 0x8040u, 0, 0}, {FE_TONEAREST, 0, 1, 0},     {FE_TONEAREST, 0, 0, 1},
    {FE_TONEAREST, 0, 0, 2},       {FE_UPWARD, 0x8040u, 0, 0},  {FE_DOWNWARD, 0, 1, 0},
    {FE_TONEAREST, 0x8040u, 1, 0}, {FE_TOWARDZERO, 0, 0, 1},    {FE_DOWNWARD, 0x8040u, 1, 2},
    {FE_TONEAREST, 0, 2, 0},
};

#if defined(FZ_X86) && defined(__GLIBC__)
#include <fpu_control.h>
#define FZ_X87 1
static fpu_control_t g_x87_default;
#endif

/* Applies setting `mode` (0..15) and returns the mode number in effect (the same, or 0 where this
 * target has none of its controls). */
static int set_fp_mode(int mode)
{
    mode &= 15;
    const fp_setting *f = &fp_settings[mode];
#ifndef FZ_X86
    if (f->csr || f->x87_pc)
        return 0;
#endif
#if !defined(__GLIBC__)
    if (f->traps == 1)
        return 0;
#endif
#ifndef FZ_X87
    if (f->traps == 2)
        return 0;
#endif
    if (fesetround(f->round) != 0)
        fail("fesetround(%d) failed", f->round);
#ifdef FZ_X86
    _mm_setcsr((_mm_getcsr() & ~0x8040u) | f->csr);
#endif
#ifdef FZ_X87
    if (f->x87_pc) {
        fpu_control_t cw = (fpu_control_t)((g_x87_default & ~_FPU_EXTENDED) |
                                           (f->x87_pc == 1 ? _FPU_DOUBLE : _FPU_SINGLE));
        _FPU_SETCW(cw);
    }
#endif
#if defined(__GLIBC__)
    if (f->traps) /* pending x87 flags would trap at the library's first x87 instruction */
        feclearexcept(FE_ALL_EXCEPT);
    if (f->traps == 1)
        feenableexcept(FE_ALL_EXCEPT);
#endif
#ifdef FZ_X87
    if (f->traps == 2) {
        fpu_control_t cw = (fpu_control_t)(g_x87_default & ~(fpu_control_t)0x3f);
        _FPU_SETCW(cw);
    }
#endif
    return mode;
}

/* Back to the default modes. Traps go first: the call may leave flags raised, and no FP instruction of
 * this harness may run while they are enabled. */
static void reset_fp_mode(void)
{
#if defined(__GLIBC__)
    fedisableexcept(FE_ALL_EXCEPT);
#endif
#ifdef FZ_X87
    fpu_control_t cw = g_x87_default;
    _FPU_SETCW(cw);
#endif
    fesetround(FE_TONEAREST);
#ifdef FZ_X86
    _mm_setcsr(_mm_getcsr() & ~0x8040u);
#endif
}

/* ---- the arena ------------------------------------------------------------------------------------ */

/* One interesting double from category cat (0-7) and random bits r. */
FZ_QUIET static double value_f64(int cat, uint64_t r)
{
    static const double specials[8] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, 1.0, -1.0};
    static const double edges[8] = {0x1.62e42fefa39efp+9 /* 709.78: exp overflows */,
                                    0x1.74910d52d3051p+9 /* 745.13: exp underflows */,
                                    0x1.74385446d71c3p+9 /* 744.44 */, 0x1.2b708872320e2p+5 /* 37.43 */,
                                    20.0, 0x1.62e42fefa39efp-1 /* ln 2 */, 0x1p-27, 0x1p-54};
    const double sign = (r >> 63) ? -1.0 : 1.0;
    switch (cat & 7) {
    case 0: return (unit01(r) * 2.0 - 1.0) * 40.0;
    case 1: return (unit01(r) * 2.0 - 1.0) * 800.0;
    case 2:
        if ((r & 15) == 15)
            return f64_bits(0x7ff0000000000001u | (r & 0x8000000000000000u)); /* signalling NaN */
        return specials[r & 7];
    case 3: return f64_bits(r & 0x800fffffffffffffu); /* subnormal (or zero) */
    case 4: return f64_bits((r & 0x800fffffffffffffu) | ((uint64_t)(1000 + (r >> 52) % 1047) << 52));
    case 5: return f64_bits(r);
    case 6: return sign * ldexp(1.0 + unit01(r), -(int)((r >> 8) % 64));
    default: {
        double v = sign * edges[(r >> 3) & 7];
        for (int k = (int)((r >> 8) % 9) - 4; k != 0; k += k < 0 ? 1 : -1)
            v = nextafter(v, k > 0 ? INFINITY : -INFINITY);
        return v;
    }
    }
}

FZ_QUIET static float value_f32(int cat, uint64_t r)
{
    static const float edges[8] = {0x1.62e430p+6f /* 88.72: expf overflows */,
                                   0x1.9fe368p+6f /* 103.97: expf underflows */,
                                   0x1.5d589ep+6f /* 87.34 */, 0x1.0a2b24p+4f /* 16.64 */,
                                   20.0f, 0x1.62e430p-1f /* ln 2 */, 0x1p-12f, 0x1p-25f};
    const float sign = (r >> 63) ? -1.0f : 1.0f;
    switch (cat & 7) {
    case 0: return (float)((unit01(r) * 2.0 - 1.0) * 40.0);
    case 1: return (float)((unit01(r) * 2.0 - 1.0) * 120.0);
    case 2:
        if ((r & 15) == 15)
            return f32_bits(0x7f800001u | ((uint32_t)(r >> 32) & 0x80000000u));
        return (float)value_f64(2, r);
    case 3: return f32_bits((uint32_t)r & 0x807fffffu);
    case 4: return f32_bits(((uint32_t)r & 0x807fffffu) | ((uint32_t)(200 + (r >> 40) % 55) << 23));
    case 5: return f32_bits((uint32_t)(r >> 16));
    case 6: return sign * ldexpf(1.0f + (float)unit01(r), -(int)((r >> 8) % 40));
    default: {
        float v = sign * edges[(r >> 3) & 7];
        for (int k = (int)((r >> 8) % 9) - 4; k != 0; k += k < 0 ? 1 : -1)
            v = nextafterf(v, k > 0 ? INFINITY : -INFINITY);
        return v;
    }
    }
}

/* Fills the arena from seed: each 8-byte word holds a double or two floats, from the categories the
 * palette enables (bit c enables category c; 0 enables all). Guards get a fixed pattern. */
FZ_QUIET static void fill_arena(uint32_t seed, uint8_t palette)
{
    memset(g_block, 0xa5, GUARD_BYTES);
    memset(g_arena + ARENA_BYTES, 0x5a, GUARD_BYTES);
    int cats[8], ncats = 0;
    for (int c = 0; c < 8; c++)
        if (palette == 0 || (palette >> c) & 1)
            cats[ncats++] = c;
    uint64_t state = mix64(seed);
    for (size_t w = 0; w < ARENA_BYTES; w += 8) {
        const uint64_t r = mix64(state + w), s = mix64(r);
        if (r & 1) {
            const double v = value_f64(cats[(r >> 1) % (uint64_t)ncats], s);
            memcpy(g_arena + w, &v, 8);
        } else {
            const float a = value_f32(cats[(r >> 1) % (uint64_t)ncats], s);
            const float b = value_f32(cats[(r >> 9) % (uint64_t)ncats], mix64(s));
            memcpy(g_arena + w, &a, 4);
            memcpy(g_arena + w + 4, &b, 4);
        }
    }
}

/* ---- decoding a tensor call ----------------------------------------------------------------------- */

static size_t decode_ndim(reader *r)
{
    static const size_t big[16] = {6, 7, 8, 12, 16, 31, 32, 33, 34, 40, 64, 255, 1000, (size_t)1 << 32,
                                   SIZE_MAX / 2 + 1, SIZE_MAX};
    const uint8_t code = rd_u8(r);
    if (code < 0xf0)
        return code % 6;
    return big[code & 15];
}

static size_t decode_size(reader *r)
{
    static const size_t small[16] = {1, 2, 3, 1, 2, 4, 5, 1, 7, 8, 9, 1, 2, 3, 16, 0};
    static const size_t medium[32] = {17,  31,   32,   33,   63,   64,   65,   100,  127,  128,  129,
                                      255, 256,  257,  500,  511,  512,  513,  1000, 1023, 1024, 1025,
                                      1500, 2047, 2048, 2049, 3000, 4095, 4096, 4097, 8191, 16384};
    const uint8_t code = rd_u8(r);
    if (code < 0xc0)
        return small[code & 15];
    if (code < 0xe0)
        return medium[code & 31];
    switch (code & 31) {
    case 0: return 0x7fffffffu;
    case 1: return 0x80000000u;
    case 2: return 0xffffffffu;
    case 3: return (size_t)1 << 32;
    case 4: return ((size_t)1 << 32) + 1;
    case 5: return (size_t)1 << 62;
    case 6: return ((size_t)1 << 62) + 1;
    case 7: return PTRDIFF_MAX;
    case 8: return (size_t)PTRDIFF_MAX - 1;
    case 9: return (size_t)PTRDIFF_MAX + 1;
    case 10: return SIZE_MAX;
    case 11: return SIZE_MAX - 1;
    case 12: return (size_t)1 << 61;
    case 13: return ((size_t)1 << 61) - 1;
    case 14: return (size_t)1 << 60;
    case 15: return 3037000500u; /* just above sqrt(2^63) */
    case 16: return 3037000499u;
    case 17: return ((size_t)1 << 31) + 1;
    case 18: return (size_t)1 << 21;
    case 19: return (size_t)1 << 42;
    case 20: return PTRDIFF_MAX / 2;
    case 21: return PTRDIFF_MAX / 2 + 1;
    case 22: return PTRDIFF_MAX / 3;
    case 23: return PTRDIFF_MAX / 4;
    case 24: return PTRDIFF_MAX / 8;
    case 25: return PTRDIFF_MAX / 4 + 1;
    case 26: return PTRDIFF_MAX / 8 + 1;
    case 27: return 2097152 + 1;
    case 28: return (size_t)rd_le(r, 2);
    case 29: return (size_t)rd_le(r, 4);
    default: return (size_t)rd_le(r, 8);
    }
}

static ptrdiff_t decode_stride(reader *r, size_t es)
{
    static const ptrdiff_t medium[16] = {9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 255, 256, 1024, 4096};
    const ptrdiff_t per = PTRDIFF_MAX / (ptrdiff_t)es; /* the smallest reach that does not fit */
    const uint8_t code = rd_u8(r);
    if (code < 0x80)
        return (ptrdiff_t)(code % 17) - 8;
    if (code < 0xc0)
        return (code & 1) ? -medium[(code >> 1) & 15] : medium[(code >> 1) & 15];
    switch (code & 31) {
    case 0: return 0x7fffffff;
    case 1: return (ptrdiff_t)1 << 31;
    case 2: return -((ptrdiff_t)1 << 31);
    case 3: return (ptrdiff_t)1 << 32;
    case 4: return -((ptrdiff_t)1 << 32);
    case 5: return ((ptrdiff_t)1 << 32) + 1;
    case 6: return PTRDIFF_MAX;
    case 7: return PTRDIFF_MIN;
    case 8: return PTRDIFF_MIN + 1;
    case 9: return per;
    case 10: return -per;
    case 11: return per - 1;
    case 12: return per + 1;
    case 13: return -per - 1;
    case 14: return -per + 1;
    case 15: return per / 2;
    case 16: return per / 2 + 1;
    case 17: return -(per / 2) - 1;
    case 18: return (ptrdiff_t)1 << 61;
    case 19: return -((ptrdiff_t)1 << 61);
    case 20: return (ptrdiff_t)1 << 60;
    case 21: return -((ptrdiff_t)1 << 60);
    case 22: return (ptrdiff_t)1 << 62;
    case 23: return -((ptrdiff_t)1 << 62);
    case 24: return (ptrdiff_t)1 << 40;
    case 25: return -((ptrdiff_t)1 << 40);
    case 26: return per / 3;
    case 27: return -(per / 3);
    case 28: return (ptrdiff_t)(int16_t)rd_le(r, 2);
    case 29: return (ptrdiff_t)(int32_t)rd_le(r, 4);
    default: return (ptrdiff_t)rd_le(r, 8);
    }
}

/* beta (which = 0) or threshold (which = 1), in double; the f32 calls narrow it. */
static double decode_param(reader *r, int which, int f32)
{
    static const double betas[24] = {1.0,  -1.0,  0.5,  2.0,   7.3,    -7.3,  0.1,   100.0,
                                     0.0,  -0.0,  NAN,  INFINITY, -INFINITY, 3.0, -0.5, 1e-5,
                                     1e5,  1e-30, 1e30, 0x1p-100, 0x1p100, 1.0, 1.0, 1.0};
    static const double thresholds[24] = {20.0,  INFINITY, -INFINITY, 0.0,   -0.0,  NAN,   -3.5, 1.0,
                                          -1.0,  5.0,      100.0,     1e30,  -1e30, 20.0,  20.0, INFINITY,
                                          0.5,   -20.0,    700.0,     -700.0, 88.0, 1e-30, -1e-30, 30.0};
    const uint8_t code = rd_u8(r);
    const double *table = which ? thresholds : betas;
    if (code < 24 * 8)
        return table[code % 24];
    switch (code & 7) {
    case 0: return f32 ? FLT_TRUE_MIN : DBL_TRUE_MIN;
    case 1: return f32 ? -(double)FLT_MIN * 0.75 : -DBL_MIN * 0.75; /* subnormal */
    case 2: return f32 ? FLT_MIN : DBL_MIN;
    case 3: return f32 ? FLT_MAX : DBL_MAX;
    case 4: return f32 ? -(double)FLT_MAX : -DBL_MAX;
    case 5: return f32 ? 0x1.fffffcp-127 : 0x1.ffffffffffffep-1023; /* largest subnormal */
    default:
        if (f32)
            return (double)f32_bits((uint32_t)rd_le(r, 4));
        return f64_bits(rd_le(r, 8));
    }
}

/* Row-major C-contiguous stride of dimension d (wrapping: only used once the count is known to fit). */
FZ_QUIET static ptrdiff_t contiguous_stride(const call *c, size_t d)
{
    uint64_t s = 1;
    for (size_t e = d + 1; e < c->ndim; e++)
        s *= c->shape ? (uint64_t)c->shape[e] : 1u;
    return (ptrdiff_t)s;
}

FZ_QUIET static ptrdiff_t eff_stride(const call *c, size_t k, size_t d)
{
    return c->strides[k] ? c->strides[k][d] : contiguous_stride(c, d);
}

FZ_QUIET static size_t dim_size(const call *c, size_t d)
{
    return c->shape ? c->shape[d] : 1;
}

static uint64_t mag(ptrdiff_t s)
{
    return s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Elements a view reaches below and above its base (saturating at UINT64_MAX). */
static void view_reach(const call *c, size_t k, uint64_t *below, uint64_t *above)
{
    *below = *above = 0;
    if (c->ndim > SOFTPLUS_MAX_NDIM)
        return; /* rejected before any view is looked at */
    for (size_t d = 0; d < c->ndim; d++) {
        if (dim_size(c, d) <= 1)
            continue;
        const ptrdiff_t s = eff_stride(c, k, d);
        const uint64_t m = sat_mul(mag(s), (uint64_t)dim_size(c, d) - 1);
        if (s < 0)
            *below = sat_add(*below, m);
        else
            *above = sat_add(*above, m);
    }
}

/* Strides of operand k: NULL, a permuted/padded/signed dense layout, explicit values, or a copy of
 * another operand's strides (so in-place and near-in-place views are common). */
static ptrdiff_t *decode_strides(reader *r, call *c, size_t k)
{
    const uint8_t mode = rd_u8(r) % 8;
    if (mode <= 1 || c->ndim > SOFTPLUS_MAX_NDIM)
        return NULL;
    ptrdiff_t *s = malloc(c->ndim ? c->ndim * sizeof *s : 1);
    if (!s)
        abort();
    const size_t n = c->ndim;
    if (mode == 2) {
        size_t order[SOFTPLUS_MAX_NDIM];
        for (size_t d = 0; d < n; d++)
            order[d] = n - 1 - d; /* innermost first: C-contiguous */
        const uint8_t perm = rd_u8(r), pad = rd_u8(r), signs = rd_u8(r);
        for (size_t i = n; perm && i > 1; i--) {
            const size_t j = (size_t)(mix64(perm * 64u + i) % i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        uint64_t acc = 1;
        for (size_t i = 0; i < n; i++) {
            const size_t d = order[i];
            /* wrapping, like any stride the fuzzer picks: the oracle judges the result */
            s[d] = (ptrdiff_t)(((signs >> (d & 7)) & 1) ? (uint64_t)0 - acc : acc);
            acc *= (uint64_t)dim_size(c, d) + ((size_t)(pad >> 2) % n == i ? (pad & 3u) : 0u);
        }
    } else if (mode == 3 || mode == 7) {
        for (size_t d = 0; d < n; d++)
            s[d] = decode_stride(r, c->es);
    } else {
        const size_t from = mode == 6 && k >= 2 ? 1 : 0;
        for (size_t d = 0; d < n; d++)
            s[d] = eff_stride(c, from, d);
        if (mode == 5 && n > 0) {
            const size_t d = rd_u8(r) % n;
            s[d] = (ptrdiff_t)((uint64_t)s[d] + (uint64_t)(int64_t)(int8_t)rd_u8(r));
        }
    }
    return s;
}

static uintptr_t decode_pointer(reader *r, call *c, size_t k)
{
    const uint64_t elems = ARENA_BYTES / c->es;
    const uint8_t mode = rd_u8(r) % 16;
    if (mode >= 9 && mode <= 11 && k > 0) {
        const size_t j = rd_u8(r) % k;
        const uint8_t b = rd_u8(r);
        const ptrdiff_t delta = b < 128 ? 0 : (ptrdiff_t)b - 192;
        return c->base[j] + (uintptr_t)(delta * (ptrdiff_t)c->es);
    }
    if (mode <= 11) {
        uint64_t off = rd_le(r, 2);
        if (mode >= 6 && mode <= 8)
            return (uintptr_t)g_arena + (uintptr_t)((off % elems) * c->es);
        /* Anchored: the view's lowest element at off, and off chosen so that the view fits if it can. */
        uint64_t below, above;
        view_reach(c, k, &below, &above);
        const uint64_t span = sat_add(below, above);
        off %= span < elems ? elems - span : elems;
        return (uintptr_t)g_arena + (uintptr_t)((off + below) * c->es);
    }
    switch (mode) {
    case 12: return 0;
    case 13: return (uintptr_t)0 - (uintptr_t)(rd_u8(r) + 1u) * c->es; /* near the top of the address space */
    case 14: return (uintptr_t)(rd_u8(r) + 1u) * c->es;                /* near address 0 */
    default: return (uintptr_t)rd_le(r, 8) & ~(uintptr_t)(c->es - 1);
    }
}

/* ---- the oracle ----------------------------------------------------------------------------------- */

static int params_ok(const call *c)
{
    if (float_params(c->dtype))
        return isfinite(c->beta_f32) && c->beta_f32 != 0.0f && !isnan(c->thr_f32);
    return isfinite(c->beta_f64) && c->beta_f64 != 0.0 && !isnan(c->thr_f64);
}

typedef struct verdict {
    softplus_status status;
    int empty;
    uint64_t lo[MAX_OPS], hi[MAX_OPS]; /* byte range [lo, hi) of each view, when status is OK */
} verdict;

/* The status softplus.h prescribes, in its check order. Written from the header's text: the element
 * count is the product of the non-zero sizes and must fit in ptrdiff_t; a view's reach is
 * sum |stride|*(size-1) over dimensions of size > 1, its byte range [base - below*es,
 * base + (above+1)*es) must not wrap, and its length (reach+1)*es must fit in ptrdiff_t (the header
 * said reach*es until the fuzzer found the library using the length); the output is rejected when,
 * ordered by |stride|, some stride does not exceed the reach of all smaller ones (equal strides on two
 * dimensions of size > 1 can never pass); and an input whose byte range meets the output's is rejected
 * unless it has the same base and the same stride in every dimension of size > 1. */
static verdict oracle(const call *c)
{
    verdict v;
    memset(&v, 0, sizeof v);
    v.status = SOFTPLUS_OK;
    if (c->ndim > SOFTPLUS_MAX_NDIM) {
        v.status = SOFTPLUS_ERR_RANK;
        return v;
    }
    if (c->ndim > 0 && !c->shape) {
        v.status = SOFTPLUS_ERR_NULL;
        return v;
    }
    if (!params_ok(c)) {
        v.status = SOFTPLUS_ERR_PARAM;
        return v;
    }
    uint64_t count = 1;
    for (size_t d = 0; d < c->ndim; d++) {
        if (c->shape[d] == 0)
            v.empty = 1;
        else
            count = sat_mul(count, c->shape[d]);
    }
    if (count > (uint64_t)PTRDIFF_MAX) {
        v.status = SOFTPLUS_ERR_OVERFLOW;
        return v;
    }
    if (v.empty)
        return v;
    for (size_t k = 0; k < c->nops; k++) {
        if (c->base[k] == 0) {
            v.status = SOFTPLUS_ERR_NULL;
            return v;
        }
    }
    for (size_t k = 0; k < c->nops; k++) {
        uint64_t below, above;
        view_reach(c, k, &below, &above);
        if (sat_mul(sat_add(sat_add(below, above), 1), c->es) > (uint64_t)PTRDIFF_MAX) {
            v.status = SOFTPLUS_ERR_OVERFLOW;
            return v;
        }
        const uint64_t base = c->base[k], down = below * c->es, up = (above + 1) * c->es;
        if (down > base || up > (uint64_t)UINTPTR_MAX - base) {
            v.status = SOFTPLUS_ERR_OVERFLOW;
            return v;
        }
        v.lo[k] = base - down;
        v.hi[k] = base + up;
    }
    for (size_t d = 0; d < c->ndim; d++) {
        if (c->shape[d] <= 1)
            continue;
        const uint64_t m = mag(eff_stride(c, 0, d));
        uint64_t smaller = 0;
        for (size_t e = 0; e < c->ndim; e++) {
            if (e == d || c->shape[e] <= 1)
                continue;
            const uint64_t me = mag(eff_stride(c, 0, e));
            if (me == m) {
                v.status = SOFTPLUS_ERR_OVERLAP;
                return v;
            }
            if (me < m)
                smaller += me * (c->shape[e] - 1); /* bounded by the reach checked above */
        }
        if (m <= smaller) {
            v.status = SOFTPLUS_ERR_OVERLAP;
            return v;
        }
    }
    for (size_t k = 1; k < c->nops; k++) {
        int same = c->base[k] == c->base[0];
        for (size_t d = 0; same && d < c->ndim; d++)
            if (c->shape[d] > 1 && eff_stride(c, k, d) != eff_stride(c, 0, d))
                same = 0;
        if (!same && v.lo[k] < v.hi[0] && v.lo[0] < v.hi[k]) {
            v.status = SOFTPLUS_ERR_OVERLAP;
            return v;
        }
    }
    return v;
}

/* ---- the reference -------------------------------------------------------------------------------- */

/* The header's NaN policy for a NaN input, as the bits the result must have (0: no NaN input):
 * forward x's NaN quieted; backward dy's NaN quieted, else x's. The NaN made from non-NaN inputs (an
 * infinite dy times the sigmoid 0 of an infinite x) must be the positive default quiet NaN: checked
 * where the reference says NaN (check_values). */
FZ_QUIET static uint32_t nan_policy_f32(int two_inputs, float dy, float x)
{
    if (two_inputs && isnan(dy))
        return bits_of_f32(dy) | 0x00400000u;
    return isnan(x) ? bits_of_f32(x) | 0x00400000u : 0;
}

FZ_QUIET static uint64_t nan_policy_f64(int two_inputs, double dy, double x)
{
    if (two_inputs && isnan(dy))
        return bits_of_f64(dy) | 0x0008000000000000u;
    return isnan(x) ? bits_of_f64(x) | 0x0008000000000000u : 0;
}

/* Forward and backward of f32 inputs in double: beta*x is exact there (24+24 bits). Returns 1 when
 * the linear branch applies (the result must then be x, dy or +0 bit for bit). Release 1.1's ops:
 * the second derivative beta t/(1+t)^2, the inverse log(expm1(beta*y))/beta (NaN below the range,
 * -inf/beta at 0; its zero at ln2/beta through expm1(z - ln 2) in long double), the beta gradient
 * -(a t/(1+t) + log1p(t))/beta^2; *sig is the unit value the multiplier contract scales. */
FZ_QUIET static int ref_f32(sp_op op, float dy, float x, float beta, float thr, double *out, double *sig)
{
    const double z = (double)beta * (double)x;
    if ((float)z > thr) {
        *out = op == SP_OP_BWD ? (double)dy : op == SP_OP_FWD || op == SP_OP_INV ? (double)x : 0.0;
        return 1;
    }
    const double t = exp(-fabs(z));
    if (op == SP_OP_FWD) {
        const double g = log1p(t) / (double)beta;
        *out = z > 0 ? (double)x + g : g; /* x and g have the sign of beta: nothing cancels */
        return 0;
    }
    if (op == SP_OP_INV) {
        if (z < 0 || isnan(z))
            *out = NAN;
        else if (z == 0)
            *out = -INFINITY / (double)beta;
        else if (z > 30)
            *out = (double)x + log1p(-t) / (double)beta;
        else if (z < 0.3)
            *out = (double)(logl(expm1l((long double)z)) / (long double)beta);
        else
            *out = (double)(log1pl(2.0L * expm1l((long double)z - 0xb.17217f7d1cf79acp-4L + 0xd.871319ff0342543p-70L)) /
                            (long double)beta);
        return 0;
    }
    double s;
    if (op == SP_OP_BWD)
        s = z >= 0 ? 1.0 / (1.0 + t) : t / (1.0 + t);
    else if (op == SP_OP_DBWD)
        s = (double)beta * t / ((1.0 + t) * (1.0 + t));
    else
        s = isinf(z) ? -0.0 : -(fabs(z) * t / (1.0 + t) + log1p(t)) / ((double)beta * (double)beta);
    *sig = s;
    /* the unit value of a finite product is not 0, however far it underflowed here: an infinite dy stays
     * infinite, with the unit value's sign */
    if (isinf(dy) && isfinite(x))
        *out = signbit(s) ? -(double)dy : (double)dy;
    else
        *out = (double)dy * s;
    return 0;
}

/* The same for f64 inputs in long double, with beta*x carried as hi + lo (lo exact from fmal) and lo
 * applied to first order: the condition number of every one of these functions grows like |z|. */
FZ_QUIET static int ref_f64(sp_op op, double dy, double x, double beta, double thr, long double *out,
                            long double *sig)
{
    const double zd = beta * x; /* PyTorch's rounded product decides the branch */
    if (zd > thr) {
        *out = op == SP_OP_BWD ? (long double)dy : op == SP_OP_FWD || op == SP_OP_INV ? (long double)x : 0.0L;
        return 1;
    }
    const long double hi = (long double)beta * (long double)x;
    const long double lo = isfinite(hi) ? fmal((long double)beta, (long double)x, -hi) : 0.0L;
    if (isnan(hi)) {
        *out = hi;
        *sig = hi;
        return 0;
    }
    const long double a_lo = hi >= 0 ? lo : -lo;
    const long double t0 = expl(-fabsl(hi)), u0 = 1.0L + t0;
    /* the new ops take the exact product through t itself: exp(-(a + a_lo)) to second order */
    const long double t = t0 > 0 ? t0 * (1.0L - a_lo) : 0.0L, u = 1.0L + t; /* a_lo may exceed 1 where t0 = 0 */
    if (op == SP_OP_FWD) {
        const long double g = (log1pl(t0) - a_lo * (t0 / u0)) / (long double)beta;
        *out = hi > 0 ? (long double)x + g : g;
        return 0;
    }
    if (op == SP_OP_INV) {
        if (hi < 0)
            *out = NAN;
        else if (hi == 0)
            *out = -INFINITY / (long double)beta;
        else if (hi > 30)
            *out = (long double)x + log1pl(-t) / (long double)beta;
        else if (hi < 0.3L)
            *out = (logl(expm1l(hi)) + lo * (1.0L + 1.0L / expm1l(hi))) / (long double)beta;
        else
            *out = log1pl(2.0L * expm1l(hi - 0xb.17217f7d1cf79acp-4L + lo + 0xd.871319ff0342543p-70L)) /
                   (long double)beta;
        return 0;
    }
    long double s;
    if (op == SP_OP_BWD)
        s = (hi >= 0 ? 1.0L : t0) / u0 + lo * (t0 / (u0 * u0));
    else if (op == SP_OP_DBWD)
        s = (long double)beta * t / (u * u);
    else
        s = isinf(hi) ? -0.0L : -((fabsl(hi) + a_lo) * t / u + log1pl(t)) / ((long double)beta * (long double)beta);
    *sig = s;
    if (isinf(dy) && isfinite(x))
        *out = signbit(s) ? -(long double)dy : (long double)dy;
    else
        *out = (long double)dy * s;
    return 0;
}

/* |got - ref| in units of the format's ulp at ref (mant significand bits, normal exponents emin..emax).
 * NaN must meet NaN and an infinite ref the same infinity (else INFINITY); a zero got for a ref that
 * rounds to zero must carry ref's sign. Beyond the format's range ref and an infinite got both count
 * as 2^(emax+1), one binade above the largest finite value. */
FZ_QUIET static double ulp_error(long double got, long double ref, int mant, int emin, int emax)
{
    if (isnan(ref) || isnan(got))
        return isnan(ref) && isnan(got) ? 0.0 : INFINITY;
    if (isinf(ref))
        return got == ref ? 0.0 : INFINITY;
    const long double top = ldexpl(1.0L, emax + 1);
    const long double half_tiny = ldexpl(1.0L, emin - mant); /* half the smallest subnormal */
    if (got == 0 && fabsl(ref) <= half_tiny && !signbit(got) != !signbit(ref))
        return INFINITY;
    const long double g = isinf(got) ? copysignl(top, got) : got;
    const long double a = fabsl(ref) < top ? fabsl(ref) : top;
    int e = a == 0 ? emin : ilogbl(a);
    if (e < emin)
        e = emin;
    if (e > emax)
        e = emax;
    return (double)(fabsl(g - copysignl(a, ref)) / ldexpl(1.0L, e - mant + 1));
}

/* ---- running and checking a tensor call ----------------------------------------------------------- */

FZ_QUIET static ptrdiff_t element_offset(const call *c, size_t k, const size_t *idx)
{
    ptrdiff_t off = 0;
    for (size_t d = 0; d < c->ndim; d++)
        if (idx[d])
            off += (ptrdiff_t)idx[d] * eff_stride(c, k, d);
    return off * (ptrdiff_t)c->es;
}

FZ_QUIET static int next_index(const call *c, size_t *idx)
{
    for (size_t d = c->ndim; d-- > 0;) {
        if (++idx[d] < c->shape[d])
            return 1;
        idx[d] = 0;
    }
    return 0;
}

/* The public function of (op, dtype): inputs in the signature's order (base[1], base[2]), then the output. */
#define FZ_INPUTS_1(T) (const T *)c->base[1], c->strides[1],
#define FZ_INPUTS_2(T) (const T *)c->base[1], c->strides[1], (const T *)c->base[2], c->strides[2],
#define FZ_CALL_D(o, dtag, DTAG, storage, size, compute, ctag) SP_CALL(FZ_CALL, SP_UNPACK o, dtag, DTAG, storage)
#define FZ_CALL(OTAG, public, inputs, dtag, DTAG, T)                                                 \
    if (c->op == SP_OP_##OTAG && c->dtype == SP_DTYPE_##DTAG)                                        \
        return softplus_##public##_##dtag(c->ndim, c->shape, FZ_INPUTS_##inputs(T)(T *)c->base[0],     \
                                          c->strides[0], c->beta_##dtag, c->thr_##dtag);
#define FZ_CALL_O(ctx, otag, OTAG, public, inputs) SP_DTYPES(FZ_CALL_D, (OTAG, public, inputs))

static softplus_status run_call(const call *c)
{
    SP_OPS(FZ_CALL_O, ~)
    abort(); /* op and dtype are decoded modulo the counts */
}

static void print_index(const call *c, const size_t *idx)
{
    fprintf(stderr, "  at index (");
    for (size_t d = 0; d < c->ndim; d++)
        fprintf(stderr, "%s%zu", d ? ", " : "", idx[d]);
    fprintf(stderr, ")\n");
}

/* The backward contract (softplus.h, "Accuracy") as a ratio to its tolerance (<= 1 passes):
 * |got - dy*sig| / (|dy|*bound*ulp'(sig) + ulp(got)/2) in a format of mant significand bits and normal
 * exponents emin..emax: ulp(got) subnormal-aware, ulp'(sig) relative (no subnormal floor, so a sigmoid
 * that underflows must still be carried to full precision where dy scales dx back up); the ulp(got)/2
 * of the final rounding is left out where dy
 * is a power of two and got is normal (dy*s is exact there). want = dy*sig from the reference, which
 * already makes an infinite dy meet its own infinity for a finite x. NaN must meet NaN, an infinite
 * want the same infinity, and a zero got for a want that rounds to zero must have want's sign. */
FZ_QUIET static double contract_ratio(long double got, long double dy, long double want, long double sig,
                                      double bound, int mant, int emin, int emax)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got) ? 0.0 : INFINITY;
    if (isinf(want))
        return got == want ? 0.0 : INFINITY;
    const long double top = ldexpl(1.0L, emax + 1);
    const long double half_tiny = ldexpl(1.0L, emin - mant);
    if (got == 0 && fabsl(want) <= half_tiny && !signbit(got) != !signbit(want))
        return INFINITY;
    /* a product beyond the largest finite value rounds to the infinity of its sign */
    if (isinf(got) && fabsl(want) >= top - ldexpl(1.0L, emax - mant) && !signbit(got) == !signbit(want))
        return 0.0;
    const long double g = isinf(got) ? copysignl(top, got) : got;
    const long double err = fabsl(g - want);
    if (err == 0)
        return 0.0;
    const int es = sig == 0 || !isfinite(sig) ? emin : ilogbl(sig);
    int eg = isinf(got) || g == 0 ? emin : ilogbl(g);
    eg = eg < emin ? emin : eg > emax ? emax : eg;
    int ed;
    const int pow2 = dy == 0 || fabsl(frexpl(dy, &ed)) == 0.5L;
    const int exact = pow2 && fabsl(g) > ldexpl(1.0L, emin) && fabsl(g) < top;
    const long double tol = fabsl(dy) * (long double)bound * ldexpl(1.0L, es - mant + 1) +
                            (exact ? 0.0L : ldexpl(1.0L, eg - mant));
    return (double)(err / tol);
}

/* Every output element against the reference, from the inputs as they were before the call. */
FZ_QUIET static void check_values(const call *c)
{
    const int f32 = float_params(c->dtype), backward = c->op == SP_OP_BWD || c->op == SP_OP_DBWD || c->op == SP_OP_BBETA;
    const int half = c->es == 2;
    const sp_kernel *kern = active_kernel(c);
    const double bound = (f32 ? c->beta_f32 == 1.0f : c->beta_f64 == 1.0) ? kern->max_ulp : kern->max_ulp_beta;
    /* forward and the inverse: the error in ULP against the bound; an op with a multiplier (backward, the
     * second derivative, the beta gradient): the contract's ratio against 1 */
    const double limit = backward ? 1.0 : bound;
    const char *unit = backward ? "of the backward tolerance" : "ULP";
    size_t idx[SOFTPLUS_MAX_NDIM] = {0};
    const ptrdiff_t arena_at = GUARD_BYTES;
    do {
        ptrdiff_t at[MAX_OPS];
        for (size_t k = 0; k < c->nops; k++)
            at[k] = (ptrdiff_t)(c->base[k] - (uintptr_t)g_arena) + arena_at + element_offset(c, k, idx);
        double err;
        int linear;
        if (half) {
            /* bf16, f16: correctly rounded, so within half an ULP of the format of the double reference
             * of the widened inputs (its own error is ~2^-50 of that: an exact tie, dy/2 at x = 0,
             * is 0.5); NaN policy and linear branch bit for bit */
            uint16_t xb, dyb = 0, gotb;
            memcpy(&xb, g_before + at[c->nops - 1], 2);
            if (backward)
                memcpy(&dyb, g_before + at[1], 2);
            memcpy(&gotb, g_block + at[0], 2);
            const float x = half_value(c->dtype, xb), dy = half_value(c->dtype, dyb), got = half_value(c->dtype, gotb);
            const uint16_t quiet = is_f16(c->dtype) ? 0x0200 : 0x0040, dnan = is_f16(c->dtype) ? 0x7e00 : 0x7fc0;
            double want, sig = 0.0;
            linear = ref_f32(c->op, dy, x, c->beta_f32, c->thr_f32, &want, &sig);
            if (backward && isnan(dy))
                err = gotb == (dyb | quiet) ? 0.0 : INFINITY, linear = 1;
            else if (isnan(x))
                err = gotb == (xb | quiet) ? 0.0 : INFINITY, linear = 1;
            else if (isnan(want))
                err = gotb == dnan ? 0.0 : INFINITY;
            else if (linear)
                err = gotb == (c->op == SP_OP_BWD ? dyb : c->op == SP_OP_FWD || c->op == SP_OP_INV ? xb : 0) ? 0.0
                                                                                                           : INFINITY;
            else
                err = is_f16(c->dtype) ? ulp_error(got, want, 11, -14, 15) : ulp_error(got, want, 8, -126, 127);
            if (!(err <= 0.5 + 0x1p-20)) {
                print_index(c, idx);
                fail("%s %s element: x 0x%04x (%a), dy 0x%04x (%a): got 0x%04x (%a), want %a, error %g ULP, "
                     "not correctly rounded", is_f16(c->dtype) ? "f16" : "bf16",
                     linear ? "linear-branch" : "curved-branch", (unsigned)xb, (double)x, (unsigned)dyb, (double)dy,
                     (unsigned)gotb, (double)got, want, err);
            }
        } else if (f32) {
            float x, dy = 0.0f, got;
            memcpy(&x, g_before + at[c->nops - 1], 4);
            if (backward)
                memcpy(&dy, g_before + at[1], 4);
            memcpy(&got, g_block + at[0], 4);
            double want, sig = 0.0;
            linear = ref_f32(c->op, dy, x, c->beta_f32, c->thr_f32, &want, &sig);
            const uint32_t policy = nan_policy_f32(backward, dy, x);
            if (policy)
                err = bits_of_f32(got) == policy ? 0.0 : INFINITY, linear = 1;
            else if (isnan(want))
                err = bits_of_f32(got) == 0x7fc00000u ? 0.0 : INFINITY;
            else if (linear)
                err = bits_of_f32(got) == bits_of_f32((float)want) ? 0.0 : INFINITY;
            else if (backward)
                err = contract_ratio(got, dy, want, sig, bound, FLT_MANT_DIG, FLT_MIN_EXP - 1, FLT_MAX_EXP - 1);
            else
                err = ulp_error(got, want, FLT_MANT_DIG, FLT_MIN_EXP - 1, FLT_MAX_EXP - 1);
            if (!(err <= limit)) {
                print_index(c, idx);
                fail("%s element: x %a (0x%08x), dy %a (0x%08x): got %a (0x%08x), want %a%s, error %g %s > %g",
                     linear ? "linear-branch" : "curved-branch", (double)x, (unsigned)bits_of_f32(x), (double)dy,
                     (unsigned)bits_of_f32(dy), (double)got, (unsigned)bits_of_f32(got), want,
                     linear ? " bit for bit" : "", err, unit, limit);
            }
        } else {
            double x, dy = 0.0, got;
            memcpy(&x, g_before + at[c->nops - 1], 8);
            if (backward)
                memcpy(&dy, g_before + at[1], 8);
            memcpy(&got, g_block + at[0], 8);
            long double want, sig = 0.0L;
            linear = ref_f64(c->op, dy, x, c->beta_f64, c->thr_f64, &want, &sig);
            const uint64_t policy = nan_policy_f64(backward, dy, x);
            if (policy)
                err = bits_of_f64(got) == policy ? 0.0 : INFINITY, linear = 1;
            else if (isnan(want))
                err = bits_of_f64(got) == 0x7ff8000000000000u ? 0.0 : INFINITY;
            else if (linear)
                err = bits_of_f64(got) == bits_of_f64((double)want) ? 0.0 : INFINITY;
            else if (backward)
                err = contract_ratio(got, dy, want, sig, bound, DBL_MANT_DIG, DBL_MIN_EXP - 1, DBL_MAX_EXP - 1);
            else
                err = ulp_error(got, want, DBL_MANT_DIG, DBL_MIN_EXP - 1, DBL_MAX_EXP - 1);
            if (!(err <= limit)) {
                print_index(c, idx);
                fail("%s element: x %a (0x%016llx), dy %a: got %a (0x%016llx), want %La%s, error %g %s > %g",
                     linear ? "linear-branch" : "curved-branch", x, (unsigned long long)bits_of_f64(x), dy, got,
                     (unsigned long long)bits_of_f64(got), want, linear ? " bit for bit" : "", err, unit, limit);
            }
        }
    } while (next_index(c, idx));
}

/* Unpoisons every element of operand k's view, or (expect != NULL) copies each from the block into
 * expect, the image the block must equal after the call. */
FZ_QUIET static void for_each_element(const call *c, size_t k, unsigned char *expect)
{
    size_t idx[SOFTPLUS_MAX_NDIM] = {0};
    do {
        const ptrdiff_t at = (ptrdiff_t)(c->base[k] - (uintptr_t)g_block) + element_offset(c, k, idx);
        if (expect)
            memcpy(expect + at, g_block + at, c->es);
        else
            FZ_UNPOISON(g_block + at, c->es);
    } while (next_index(c, idx));
}

/* Unpoisons the span of input operand k's view: every byte from its lowest element to the end of its
 * highest. softplus.h lets a call read (never write) the bytes between an input view's elements, as the
 * strided engine's vector de-interleaving loads do, but nothing outside that span. */
FZ_QUIET static void unpoison_input_span(const call *c, size_t k)
{
    ptrdiff_t low = 0, high = 0;
    for (size_t d = 0; d < c->ndim; d++) {
        const ptrdiff_t reach = (ptrdiff_t)(dim_size(c, d) - 1) * eff_stride(c, k, d); /* runs: no size is 0 */
        if (reach < 0)
            low += reach;
        else
            high += reach;
    }
    const ptrdiff_t at = (ptrdiff_t)(c->base[k] - (uintptr_t)g_block);
    FZ_UNPOISON(g_block + at + low * (ptrdiff_t)c->es, (size_t)(high - low + 1) * c->es);
}

/* Every byte of the block is as it was before the call, except the output view's elements when the
 * call ran (c != NULL). */
FZ_QUIET static void check_unchanged(const call *c, const char *why)
{
    static unsigned char expect[BLOCK_BYTES];
    memcpy(expect, g_before, BLOCK_BYTES);
    if (c)
        for_each_element(c, 0, expect);
    if (memcmp(expect, g_block, BLOCK_BYTES) == 0)
        return;
    for (size_t i = 0; i < BLOCK_BYTES; i++) {
        if (expect[i] != g_block[i]) {
            const long off = (long)i - GUARD_BYTES;
            fail("%s, but byte %ld of the arena (%s) changed: 0x%02x -> 0x%02x", why, off,
                 off < 0 || off >= ARENA_BYTES ? "a guard zone" : "outside the output view", g_before[i],
                 g_block[i]);
        }
    }
}

static void poke(reader *r, const call *c)
{
    const uint64_t elems = ARENA_BYTES / c->es;
    unsigned char *at = g_arena + (rd_le(r, 2) % elems) * c->es;
    const uint8_t code = rd_u8(r);
    const int kind = code >> 6, step = (int)(code & 63) - 32;
    if (float_params(c->dtype)) {
        float v;
        const float beta = isfinite(c->beta_f32) && c->beta_f32 != 0.0f ? c->beta_f32 : 1.0f;
        if (kind == 0) { /* around the threshold: fl(beta*x) just above or below it */
            v = (isfinite(c->thr_f32) ? c->thr_f32 : 20.0f) / beta;
            for (int s = step; s != 0; s += s < 0 ? 1 : -1)
                v = nextafterf(v, s > 0 ? INFINITY : -INFINITY);
        } else if (kind == 1) {
            v = value_f32(7, mix64(code)) / beta; /* an edge of exp/log1p, on the z axis */
        } else if (kind == 2) {
            v = f32_bits((uint32_t)rd_le(r, 4));
        } else {
            v = value_f32(code & 7, mix64(rd_le(r, 2)));
        }
        if (c->es == 2) { /* bf16, f16: the value in the format (f16: through _Float16, RNE) */
            uint32_t u;
            memcpy(&u, &v, sizeof u);
            uint16_t h = (uint16_t)(u >> 16);
            if (is_f16(c->dtype))
                h = f16_from_float(v);
            memcpy(at, &h, 2);
        } else {
            memcpy(at, &v, 4);
        }
    } else {
        double v;
        const double beta = isfinite(c->beta_f64) && c->beta_f64 != 0.0 ? c->beta_f64 : 1.0;
        if (kind == 0) {
            v = (isfinite(c->thr_f64) ? c->thr_f64 : 20.0) / beta;
            for (int s = step; s != 0; s += s < 0 ? 1 : -1)
                v = nextafter(v, s > 0 ? INFINITY : -INFINITY);
        } else if (kind == 1) {
            v = value_f64(7, mix64(code)) / beta;
        } else if (kind == 2) {
            v = f64_bits(rd_le(r, 8));
        } else {
            v = value_f64(code & 7, mix64(rd_le(r, 2)));
        }
        memcpy(at, &v, 8);
    }
}

static void free_call(call *c)
{
    free(c->shape);
    for (size_t k = 0; k < MAX_OPS; k++)
        free(c->strides[k]);
}

/* Runs the call with the arena poisoned outside its views (when it runs) and FP mode `fpmode` set around
 * it alone; checks that errno and the FP control modes come back unchanged. */
static softplus_status invoke(call *c, int runs, int fpmode)
{
    FZ_POISON(g_block, BLOCK_BYTES);
    if (runs) {
        for_each_element(c, 0, NULL); /* the output: its elements only */
        for (size_t k = 1; k < c->nops; k++)
            unpoison_input_span(c, k);
    }
    c->fpmode = set_fp_mode(fpmode);
    const fp_modes modes = fp_modes_now();
    const int errno_in = 0x5eed + (int)(c->op * SP_DTYPE_COUNT + c->dtype);
    errno = errno_in;
    const softplus_status got = run_call(c);
    const int errno_out = errno;
    const fp_modes modes_out = fp_modes_now();
    reset_fp_mode();
    FZ_UNPOISON(g_block, BLOCK_BYTES);
    fp_modes_compare(&modes, &modes_out, fn_names[c->op][c->dtype]);
    if (errno_out != errno_in)
        fail("errno changed: %d -> %d", errno_in, errno_out);
    return got;
}

#ifdef FZ_TRACE
/* One line per decoded tensor call (function, status, whether it ran, a hash of the whole block after
 * it): two builds that decode an input the same way print the same lines. */
static void trace_call(const char *fn, int status, int runs)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < BLOCK_BYTES; i++)
        h = (h ^ g_block[i]) * 0x100000001b3ull;
    fprintf(stderr, "trace: %s status %d runs %d block %016llx\n", fn, status, runs, (unsigned long long)h);
}
#define FZ_TRACE_CALL(fn, status, runs) trace_call((fn), (int)(status), (runs))
#else
#define FZ_TRACE_CALL(fn, status, runs) ((void)0)
#endif

static void do_tensor(reader *r)
{
    call c;
    memset(&c, 0, sizeof c);
    c.op = (sp_op)(rd_u8(r) % SP_OP_COUNT);
    c.dtype = (sp_dtype)(rd_u8(r) % SP_DTYPE_COUNT);
    c.es = dtype_sizes[c.dtype];
    c.nops = op_noperands[c.op];
    const uint8_t flags = rd_u8(r);
    c.ndim = decode_ndim(r);
    if (!(flags & 1)) {
        /* Exactly ndim entries, so that reading past them is an AddressSanitizer report. Above the
         * rank limit the library must not get that far: one entry stands in. */
        c.shape_len = c.ndim <= SOFTPLUS_MAX_NDIM ? c.ndim : 1;
        c.shape = malloc(c.shape_len ? c.shape_len * sizeof *c.shape : 1);
        if (!c.shape)
            abort();
        for (size_t d = 0; d < c.shape_len; d++)
            c.shape[d] = c.ndim <= SOFTPLUS_MAX_NDIM ? decode_size(r) : 1;
    }
    const int f32 = float_params(c.dtype);
    const double beta = decode_param(r, 0, f32), thr = decode_param(r, 1, f32);
#define FZ_SET_PARAMS(ctx, tag, TAG, storage, size, compute, ctag) c.beta_##tag = (compute)beta, c.thr_##tag = (compute)thr;
    SP_DTYPES(FZ_SET_PARAMS, ~)
    for (size_t k = 0; k < c.nops; k++) {
        c.strides[k] = decode_strides(r, &c, k);
        c.base[k] = decode_pointer(r, &c, k);
    }
    if (flags & 4) {
        const int n = rd_u8(r) % (MAX_POKES + 1);
        for (int i = 0; i < n; i++)
            poke(r, &c);
    }
    const int fpmode = (flags & 2) ? rd_u8(r) & 15 : 0;
    g_call = &c;

    const verdict v = oracle(&c);
    const int runs = v.status == SOFTPLUS_OK && !v.empty;
    FZ_STAT(g_stat_status[v.status & 7]++);
    FZ_STAT(g_stat_empty += v.status == SOFTPLUS_OK && v.empty);
    if (runs) {
        /* A call the header accepts may touch every element of its views: make it only when they all
         * lie inside the arena. */
        for (size_t k = 0; k < c.nops; k++) {
            if (v.lo[k] < (uintptr_t)g_arena || v.hi[k] > (uintptr_t)g_arena + ARENA_BYTES) {
                FZ_STAT(g_stat_skipped++);
                FZ_TRACE_CALL(fn_names[c.op][c.dtype], v.status, -1);
                g_call = NULL;
                free_call(&c);
                return;
            }
        }
    }

    size_t shape_copy[SOFTPLUS_MAX_NDIM + 1];
    ptrdiff_t strides_copy[MAX_OPS][SOFTPLUS_MAX_NDIM];
    if (c.shape)
        memcpy(shape_copy, c.shape, c.shape_len * sizeof *c.shape);
    for (size_t k = 0; k < c.nops; k++)
        if (c.strides[k] && c.ndim <= SOFTPLUS_MAX_NDIM)
            memcpy(strides_copy[k], c.strides[k], c.ndim * sizeof(ptrdiff_t));

    memcpy(g_before, g_block, BLOCK_BYTES);
    const softplus_status got = invoke(&c, runs, fpmode);
    if (got != v.status)
        fail("status %d (%s), want %d (%s)", (int)got, softplus_status_string(got), (int)v.status,
             softplus_status_string(v.status));
    if (c.shape && memcmp(shape_copy, c.shape, c.shape_len * sizeof *c.shape) != 0)
        fail("the shape array changed");
    for (size_t k = 0; k < c.nops; k++)
        if (c.strides[k] && c.ndim <= SOFTPLUS_MAX_NDIM &&
            memcmp(strides_copy[k], c.strides[k], c.ndim * sizeof(ptrdiff_t)) != 0)
            fail("the strides array of operand %zu changed", k);
    if (!runs) {
        check_unchanged(NULL, got == SOFTPLUS_OK ? "empty tensor" : "error status");
    } else {
        FZ_STAT(g_stat_ran++);
        FZ_STAT(g_stat_fpmode += c.fpmode != 0);
        FZ_STAT(g_stat_elements += (v.hi[0] - v.lo[0]) / c.es);
        check_unchanged(&c, "OK");
        if (c.fpmode != 0) {
            /* The same call from the same bytes in the default modes must leave the same bytes. */
            static unsigned char after[BLOCK_BYTES];
            memcpy(after, g_block, BLOCK_BYTES);
            memcpy(g_block, g_before, BLOCK_BYTES);
            const int mode = c.fpmode;
            if (invoke(&c, runs, 0) != SOFTPLUS_OK)
                fail("the default-mode rerun did not return OK");
            c.fpmode = mode;
            for (size_t i = 0; memcmp(after, g_block, BLOCK_BYTES) != 0 && i < BLOCK_BYTES; i++)
                if (after[i] != g_block[i])
                    fail("FP mode %d changed arena byte %ld: 0x%02x, in the default modes 0x%02x", mode,
                         (long)i - GUARD_BYTES, after[i], g_block[i]);
        }
        check_values(&c);
    }
    FZ_TRACE_CALL(fn_names[c.op][c.dtype], got, runs);
    g_call = NULL;
    free_call(&c);
}

/* ---- the other functions -------------------------------------------------------------------------- */

static int decode_enum_value(reader *r)
{
    static const int values[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, -1, 255, 256, INT_MAX, INT_MIN, 32, 31};
    const uint8_t code = rd_u8(r);
    if (code < 0xf0)
        return values[code & 15];
    return (int)(uint32_t)rd_le(r, 4);
}

static void do_set_isa(int value)
{
    const softplus_isa isa = (softplus_isa)value;
    const int supported = value >= 0 && value <= FZ_ISA_LAST && isa_ok(isa);
    errno = 0x5eed;
    const int reported = softplus_isa_supported(isa);
    const softplus_status got = softplus_set_isa(isa);
    if (errno != 0x5eed)
        fail("softplus_set_isa(%d) changed errno", value);
    if (reported != supported)
        fail("softplus_isa_supported(%d) = %d, want %d", value, reported, supported);
    if (got != (supported ? SOFTPLUS_OK : SOFTPLUS_ERR_UNSUPPORTED))
        fail("softplus_set_isa(%d) = %d, want %d", value, (int)got,
             supported ? SOFTPLUS_OK : SOFTPLUS_ERR_UNSUPPORTED);
    if (supported)
        g_isa = isa == SOFTPLUS_ISA_AUTO ? best_isa() : isa;
    const softplus_isa active = softplus_active_isa();
    if (active != g_isa)
        fail("after softplus_set_isa(%d): active ISA %d (%s), want %d (%s)", value, (int)active,
             softplus_isa_name(active), (int)g_isa, softplus_isa_name(g_isa));
}

/* softplus_set_accuracy: OK for the two tiers, PARAM changing nothing for any other value. */
static void do_set_accuracy(int value)
{
    const int valid = value == SOFTPLUS_ACCURACY_STRICT || value == SOFTPLUS_ACCURACY_FAST;
    errno = 0x5eed;
    const softplus_status got = softplus_set_accuracy((softplus_accuracy)value);
    if (errno != 0x5eed)
        fail("softplus_set_accuracy(%d) changed errno", value);
    if (got != (valid ? SOFTPLUS_OK : SOFTPLUS_ERR_PARAM))
        fail("softplus_set_accuracy(%d) = %d, want %d", value, (int)got, valid ? SOFTPLUS_OK : SOFTPLUS_ERR_PARAM);
    if (valid)
        g_accuracy = (softplus_accuracy)value;
    if (softplus_accuracy_mode() != g_accuracy)
        fail("after softplus_set_accuracy(%d): tier %d, want %d", value, (int)softplus_accuracy_mode(),
             (int)g_accuracy);
}

static const char *const status_texts_unknown = "unknown status";

static void do_queries(reader *r)
{
#define FZ_ISA_NAME(ctx, tag, TAG, fallback, priority, features) [SOFTPLUS_ISA_##TAG] = #tag,
    static const char *const isa_names[FZ_ISA_LAST + 1] = {[SOFTPLUS_ISA_AUTO] = "auto", SP_ISAS(FZ_ISA_NAME, ~)};
    const int s = decode_enum_value(r), i = decode_enum_value(r);
    errno = 0x5eed;
    const char *text = softplus_status_string((softplus_status)s);
    const char *again = softplus_status_string((softplus_status)s);
    const char *name = softplus_isa_name((softplus_isa)i);
    const char *version = softplus_version_string();
    const int supported = softplus_isa_supported((softplus_isa)i);
    const softplus_isa active = softplus_active_isa();
    if (errno != 0x5eed)
        fail("a query function changed errno");
    if (!text || !*text || text != again)
        fail("softplus_status_string(%d) is NULL, empty or not static", s);
    const int known = s >= 0 && s <= SOFTPLUS_ERR_UNSUPPORTED;
    if (known == (strcmp(text, status_texts_unknown) == 0))
        fail("softplus_status_string(%d) = \"%s\"", s, text);
    for (int other = 0; known && other <= SOFTPLUS_ERR_UNSUPPORTED; other++)
        if (other != s && strcmp(softplus_status_string((softplus_status)other), text) == 0)
            fail("statuses %d and %d share the text \"%s\"", s, other, text);
    const char *want_name = i >= 0 && i <= FZ_ISA_LAST ? isa_names[i] : "unknown";
    if (!name || strcmp(name, want_name) != 0)
        fail("softplus_isa_name(%d) = \"%s\", want \"%s\"", i, name ? name : "(null)", want_name);
    char want_version[64];
    snprintf(want_version, sizeof want_version, "%d.%d.%d", SOFTPLUS_VERSION_MAJOR, SOFTPLUS_VERSION_MINOR,
             SOFTPLUS_VERSION_PATCH);
    if (!version || strcmp(version, want_version) != 0)
        fail("softplus_version_string() = \"%s\", want \"%s\"", version ? version : "(null)", want_version);
    const int want_supported = i >= 0 && i <= FZ_ISA_LAST && isa_ok((softplus_isa)i);
    if (supported != want_supported)
        fail("softplus_isa_supported(%d) = %d, want %d", i, supported, want_supported);
    if (active != g_isa)
        fail("softplus_active_isa() = %d, want %d", (int)active, (int)g_isa);
}

/* ---- libFuzzer entry points ----------------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_block = aligned_alloc(64, BLOCK_BYTES);
    if (!g_block)
        abort();
    g_arena = g_block + GUARD_BYTES;
#ifdef FZ_X87
    _FPU_GETCW(g_x87_default);
#endif
    /* The first call resolves the kernel set: the best one, unless SOFTPLUS_ISA forces another. */
    const softplus_isa first = softplus_active_isa();
    if (!isa_ok(first) || first == SOFTPLUS_ISA_AUTO)
        fail("the first active ISA is %d (%s), which this machine does not run", (int)first,
             softplus_isa_name(first));
    if (!getenv("SOFTPLUS_ISA") && first != best_isa())
        fail("the first active ISA is %s, want the best, %s", softplus_isa_name(first),
             softplus_isa_name(best_isa()));
    g_isa = first;
#ifdef FZ_STATS
    atexit(print_stats);
#endif
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_block)
        LLVMFuzzerInitialize(NULL, NULL);
    reader r = {data, size};
    do_set_isa(SOFTPLUS_ISA_AUTO); /* every input starts from the same state */
    do_set_accuracy(SOFTPLUS_ACCURACY_STRICT);
    do_set_isa(decode_enum_value(&r));
    const uint32_t seed = (uint32_t)rd_le(&r, 4);
    fill_arena(seed, rd_u8(&r));
    for (int i = 0; i < MAX_COMMANDS && r.n > 0; i++) {
        const uint8_t cmd = rd_u8(&r);
        if (cmd % 16 < 12)
            do_tensor(&r);
        else if (cmd % 16 == 12)
            do_set_isa(decode_enum_value(&r));
        else if (cmd % 16 == 13)
            do_set_accuracy(decode_enum_value(&r));
        else
            do_queries(&r);
    }
    return 0;
}

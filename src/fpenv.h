/* fpenv.h -- the floating-point control state every computation runs in, whatever the caller's.
 * SPDX-License-Identifier: MIT
 *
 * The kernels are written and measured for the IEEE default control state: round to nearest even,
 * subnormals kept (no flush-to-zero, no denormals-are-zero), default-NaN mode off, every exception
 * masked (so nothing traps) and, on x86, the x87 unit at 64-bit precision (the scalar f64 kernel
 * computes in long double). Under another state their results change: without this guard a directed
 * rounding mode changed a quarter to a half of a sweep's results in every kernel set, FTZ/DAZ flushed
 * subnormal inputs and results, and x87 53-bit precision changed the scalar f64 kernel's results.
 * The entry points therefore bracket every computation with
 *
 *     sp_fpenv caller;
 *     const int switched = sp_fpenv_enter(&caller);
 *     ... run the kernels ...
 *     if (switched)
 *         sp_fpenv_leave(&caller);
 *
 * sp_fpenv_enter reads the control register(s) and compares them with the default; only when they
 * differ does it switch to the default (out of line), and then sp_fpenv_leave restores the caller's
 * control state exactly. The common case costs one or two register reads.
 *
 * Exception flags are never cleared: the default state is entered with the caller's flags, so flags
 * raised before or during the call are raised afterwards (fetestexcept sees them). On x86 a flag the
 * scalar f64 kernel raised in the x87 status word, when the caller's x87 control word unmasks that
 * exception, is moved to MXCSR before the control word is restored: left in the x87 status word it
 * would trap at the caller's next x87 instruction (x87 exceptions are delivered late), while MXCSR
 * reports it to fetestexcept and traps only when an instruction raises it again.
 * The x87 control word is switched only with the status flags cleared: fldcw and fldenv are waiting
 * instructions, which deliver a pending exception (a flag set in the status word that the control word
 * unmasks) before they run, so a flag the caller's own long double code left, or one a previous call
 * left before the caller unmasked it, would trap inside the library. The caller's status word is saved
 * first (fnstsw and fnclex do not wait) and put back exactly on the way out, pending exception included,
 * so the caller's program sees what it would have seen without the call. On aarch64 nothing of the kind
 * exists: FPCR's trap enables act only on the instruction that raises an exception, never on flags
 * already in FPSR, and neither function touches FPSR.
 *
 * What is covered: x86 (MXCSR, and the x87 control word) and aarch64 (FPCR) with GCC or Clang. Other
 * targets normalise only the rounding direction, through <fenv.h>.
 */
#ifndef SP_FPENV_H
#define SP_FPENV_H

#include <stdint.h>

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || (defined(__i386__) && defined(__SSE__)))
#define SP_FPENV_X86 1
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
#define SP_FPENV_AARCH64 1
#else
#define SP_FPENV_PORTABLE 1
#endif

#if defined(SP_FPENV_X86)
/* MXCSR: flags 0-5, DAZ 6, exception masks 7-12, rounding 13-14, FTZ 15. */
#define SP_MXCSR_FLAGS 0x003fu
#define SP_MXCSR_CONTROL 0xffc0u
#define SP_MXCSR_DEFAULT 0x1f80u  /* all masked, round to nearest, no DAZ/FTZ */
/* x87 control word: masks 0-5, precision 8-9, rounding 10-11 (bit 6 reserved, bit 12 ignored). */
#define SP_X87_CW_CONTROL 0x0f3fu
#define SP_X87_CW_DEFAULT 0x033fu /* all masked, 64-bit precision, round to nearest (reads as 0x037f) */

typedef struct sp_fpenv {
    unsigned int mxcsr;
    unsigned short x87_cw;
    unsigned short x87_sw; /* the caller's x87 status word, saved when the control word is switched */
} sp_fpenv;

static inline unsigned int sp_read_mxcsr(void)
{
    unsigned int v;
    __asm__ __volatile__("stmxcsr %0" : "=m"(v));
    return v;
}

static inline unsigned short sp_read_x87_cw(void)
{
    unsigned short v;
    __asm__ __volatile__("fnstcw %0" : "=m"(v));
    return v;
}

static inline int sp_fpenv_is_default(const sp_fpenv *e)
{
    return (e->mxcsr & SP_MXCSR_CONTROL) == SP_MXCSR_DEFAULT &&
           (e->x87_cw & SP_X87_CW_CONTROL) == SP_X87_CW_DEFAULT;
}

static inline void sp_fpenv_read(sp_fpenv *e)
{
    e->mxcsr = sp_read_mxcsr();
    e->x87_cw = sp_read_x87_cw();
}

#elif defined(SP_FPENV_AARCH64)
/* FPCR bits that change results or trapping: FIZ 0, AH 1, NEP 2 (FEAT_AFP), trap enables 8-12 and 15,
 * FZ16 19, RMode 22-23, FZ 24, DN 25, AHP 26. All are 0 by default; other bits are left alone. */
#define SP_FPCR_CONTROL 0x07c89f07u

typedef struct sp_fpenv {
    uint64_t fpcr;
} sp_fpenv;

static inline void sp_fpenv_read(sp_fpenv *e)
{
    uint64_t v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    e->fpcr = v;
}

static inline int sp_fpenv_is_default(const sp_fpenv *e)
{
    return (e->fpcr & SP_FPCR_CONTROL) == 0;
}

#else
typedef struct sp_fpenv {
    int round; /* fegetround() */
} sp_fpenv;

void sp_fpenv_read(sp_fpenv *e);
int sp_fpenv_is_default(const sp_fpenv *e);
#endif

/* Out of line, only when the caller's state is not the default; may save more of it into *caller. */
void sp_fpenv_set_default(sp_fpenv *caller);
void sp_fpenv_leave(const sp_fpenv *caller);

/* Reads the calling thread's control state into *caller; when it is not the default, switches to the
 * default and returns 1 (the caller must then call sp_fpenv_leave(caller) when done), else returns 0. */
static inline int sp_fpenv_enter(sp_fpenv *caller)
{
    sp_fpenv_read(caller);
    if (sp_fpenv_is_default(caller))
        return 0;
    sp_fpenv_set_default(caller);
    return 1;
}

#endif /* SP_FPENV_H */

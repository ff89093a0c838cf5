/* fpenv.c -- switching to the default floating-point control state and back (the rare path).
 * SPDX-License-Identifier: MIT
 *
 * See fpenv.h for the contract. These functions run only when the caller's control state is not the
 * default, so they favour exactness over speed: every write keeps the exception flags as they are.
 */
#include "fpenv.h"

#if defined(SP_FPENV_X86)

static void write_mxcsr(unsigned int v)
{
    __asm__ __volatile__("ldmxcsr %0" : : "m"(v) : "memory");
}

static void write_x87_cw(unsigned short v)
{
    __asm__ __volatile__("fldcw %0" : : "m"(v) : "memory");
}

static unsigned short read_x87_sw(void)
{
    unsigned short v;
    __asm__ __volatile__("fnstsw %0" : "=m"(v));
    return v;
}

void sp_fpenv_set_default(const sp_fpenv *caller)
{
    if ((caller->mxcsr & SP_MXCSR_CONTROL) != SP_MXCSR_DEFAULT)
        write_mxcsr((caller->mxcsr & ~SP_MXCSR_CONTROL) | SP_MXCSR_DEFAULT);
    if ((caller->x87_cw & SP_X87_CW_CONTROL) != SP_X87_CW_DEFAULT)
        write_x87_cw((unsigned short)((caller->x87_cw & ~SP_X87_CW_CONTROL) | SP_X87_CW_DEFAULT));
}

void sp_fpenv_leave(const sp_fpenv *caller)
{
    unsigned int moved = 0;
    if ((caller->x87_cw & SP_X87_CW_CONTROL) != SP_X87_CW_DEFAULT) {
        /* x87 flags use MXCSR's bit layout (IE DE ZE OE UE PE in bits 0-5). One that the caller's
         * control word unmasks would be a pending exception there; fetestexcept ORs both units. */
        const unsigned int x87_flags = read_x87_sw() & SP_MXCSR_FLAGS;
        if (x87_flags & ~(unsigned int)caller->x87_cw) {
            moved = x87_flags;
            __asm__ __volatile__("fnclex" : : : "memory");
        }
        write_x87_cw(caller->x87_cw);
    }
    /* The flags now in MXCSR are the caller's and the call's. Restoring unmasked exceptions with their
     * flags set does not trap: an SSE exception is taken only when an instruction raises it. */
    if ((caller->mxcsr & SP_MXCSR_CONTROL) != SP_MXCSR_DEFAULT || moved)
        write_mxcsr((caller->mxcsr & ~SP_MXCSR_FLAGS) | (sp_read_mxcsr() & SP_MXCSR_FLAGS) | moved);
}

#elif defined(SP_FPENV_AARCH64)

static void write_fpcr(uint64_t v)
{
    __asm__ __volatile__("msr fpcr, %0" : : "r"(v) : "memory");
}

/* The flags live in FPSR, which neither function touches. */
void sp_fpenv_set_default(const sp_fpenv *caller)
{
    write_fpcr(caller->fpcr & ~(uint64_t)SP_FPCR_CONTROL);
}

void sp_fpenv_leave(const sp_fpenv *caller)
{
    write_fpcr(caller->fpcr);
}

#else

#include <fenv.h>

void sp_fpenv_read(sp_fpenv *e)
{
    e->round = fegetround();
}

int sp_fpenv_is_default(const sp_fpenv *e)
{
#ifdef FE_TONEAREST
    return e->round == FE_TONEAREST;
#else
    (void)e;
    return 1;
#endif
}

void sp_fpenv_set_default(const sp_fpenv *caller)
{
    (void)caller;
#ifdef FE_TONEAREST
    fesetround(FE_TONEAREST);
#endif
}

void sp_fpenv_leave(const sp_fpenv *caller)
{
    fesetround(caller->round);
}

#endif

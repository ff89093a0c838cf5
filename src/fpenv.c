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

/* The x87 environment as fnstenv stores it in 32-bit protected-mode format (also on x86-64). */
typedef struct x87_env {
    unsigned short cw, cw_pad, sw, sw_pad;
    unsigned int rest[5];
} x87_env;

#define SP_X87_SW_BUSY 0x8000u

static int x87_switched(const sp_fpenv *caller)
{
    return (caller->x87_cw & SP_X87_CW_CONTROL) != SP_X87_CW_DEFAULT;
}

void sp_fpenv_set_default(sp_fpenv *caller)
{
    if ((caller->mxcsr & SP_MXCSR_CONTROL) != SP_MXCSR_DEFAULT)
        write_mxcsr((caller->mxcsr & ~SP_MXCSR_CONTROL) | SP_MXCSR_DEFAULT);
    if (x87_switched(caller)) {
        /* no pending exception may meet the waiting fldcw: save the flags, clear them, then switch */
        caller->x87_sw = read_x87_sw();
        if (caller->x87_sw & SP_MXCSR_FLAGS)
            __asm__ __volatile__("fnclex" : : : "memory");
        write_x87_cw((unsigned short)((caller->x87_cw & ~SP_X87_CW_CONTROL) | SP_X87_CW_DEFAULT));
    }
}

void sp_fpenv_leave(const sp_fpenv *caller)
{
    unsigned int moved = 0;
    if (x87_switched(caller)) {
        /* x87 flags use MXCSR's bit layout (IE DE ZE OE UE PE in bits 0-5). A flag the call raised that
         * the caller's control word unmasks would be a new pending exception: it goes to MXCSR, where
         * fetestexcept still sees it (it ORs both units). The call's masked flags join the caller's
         * status word, which is otherwise restored exactly (its pending exception too). */
        const unsigned int raised = read_x87_sw() & SP_MXCSR_FLAGS & ~(unsigned int)caller->x87_sw;
        moved = raised & ~(unsigned int)caller->x87_cw;
        x87_env env;
        __asm__ __volatile__("fnclex\n\tfnstenv %0" : "=m"(env) : : "memory");
        env.cw = caller->x87_cw;
        env.sw = (unsigned short)((caller->x87_sw & ~SP_X87_SW_BUSY) | (raised & ~moved));
        /* every flag is clear now, so this waiting instruction finds nothing pending */
        __asm__ __volatile__("fldenv %0" : : "m"(env) : "memory");
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
void sp_fpenv_set_default(sp_fpenv *caller)
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

void sp_fpenv_set_default(sp_fpenv *caller)
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

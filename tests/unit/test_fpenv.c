/* test_fpenv.c -- the floating-point environment contract: results, control modes, flags and errno.
 * SPDX-License-Identifier: MIT
 *
 * The header promises that results do not depend on the caller's FP control modes, that the modes are
 * restored exactly, that exception flags are never cleared, that a call never traps and that errno is
 * never changed. For every control state below, under every ISA this machine supports, each of the four
 * tensor functions runs on inputs with subnormal inputs, subnormal results and subnormal dy, NaNs with
 * payloads, infinities and the threshold boundary, with betas that turn subnormal inputs into normal
 * products, contiguous and strided; and then:
 *   - the output equals, bit for bit, the output of the same call in the default state;
 *   - the control registers after the call are exactly what they were before it (x86: MXCSR with its
 *     flags masked out, and the whole x87 control word; aarch64: the whole FPCR);
 *   - the exception flags raised by the call (from clear flags) are exactly those the same call raises in
 *     the default state (x86: MXCSR and x87 status word ORed, as fetestexcept reads them; aarch64: FPSR),
 *     and no unmasked x87 exception is left pending;
 *   - flags set before the call are still set after it;
 *   - no SIGFPE arrives, even with every exception unmasked; errno is unchanged.
 * The states are written to the registers directly (so the test does not rely on the C library's fenv
 * functions for what it checks), and also through fesetround as a caller would.
 * aarch64 FPCR bits a core does not implement (trap enables where it cannot trap, FEAT_AFP's FIZ/AH/NEP)
 * read as zero: a state runs with the bits that stick, and is skipped only when none does.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction, sigsetjmp */

#include <errno.h>
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>

#include "unit_common.h"

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || (defined(__i386__) && defined(__SSE__)))
#define TEST_X86 1
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
#define TEST_AARCH64 1
#endif

/* ---- the control registers, read and written directly ------------------------------------------ */

typedef struct ctl {
#if defined(TEST_X86)
    unsigned int mxcsr;
    unsigned short x87_cw;
#elif defined(TEST_AARCH64)
    uint64_t fpcr;
#endif
    int round; /* fegetround(): the portable part */
} ctl;

#if defined(TEST_X86)
#define MXCSR_FLAGS 0x3fu
static unsigned int read_mxcsr(void)
{
    unsigned int v;
    __asm__ __volatile__("stmxcsr %0" : "=m"(v));
    return v;
}
static void write_mxcsr(unsigned int v)
{
    __asm__ __volatile__("ldmxcsr %0" : : "m"(v) : "memory");
}
static unsigned short read_x87_cw(void)
{
    unsigned short v;
    __asm__ __volatile__("fnstcw %0" : "=m"(v));
    return v;
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
#elif defined(TEST_AARCH64)
#define FPSR_FLAGS 0x9fu /* IOC DZC OFC UFC IXC, IDC */
static uint64_t read_fpcr(void)
{
    uint64_t v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
}
static void write_fpcr(uint64_t v)
{
    __asm__ __volatile__("msr fpcr, %0" : : "r"(v) : "memory");
}
static uint64_t read_fpsr(void)
{
    uint64_t v;
    __asm__ __volatile__("mrs %0, fpsr" : "=r"(v));
    return v;
}
static void write_fpsr(uint64_t v)
{
    __asm__ __volatile__("msr fpsr, %0" : : "r"(v) : "memory");
}
#endif

static ctl read_ctl(void)
{
    ctl c;
    memset(&c, 0, sizeof c);
#if defined(TEST_X86)
    c.mxcsr = read_mxcsr() & ~MXCSR_FLAGS;
    c.x87_cw = read_x87_cw();
#elif defined(TEST_AARCH64)
    c.fpcr = read_fpcr();
#endif
    c.round = fegetround();
    return c;
}

static int ctl_equal(const ctl *a, const ctl *b)
{
#if defined(TEST_X86)
    if (a->mxcsr != b->mxcsr || a->x87_cw != b->x87_cw)
        return 0;
#elif defined(TEST_AARCH64)
    if (a->fpcr != b->fpcr)
        return 0;
#endif
    return a->round == b->round;
}

static void print_ctl(const char *what, const ctl *c)
{
#if defined(TEST_X86)
    print_error("    %s: MXCSR 0x%04x (flags masked out), x87 CW 0x%04x, fegetround 0x%x\n", what, c->mxcsr,
                (unsigned)c->x87_cw, (unsigned)c->round);
#elif defined(TEST_AARCH64)
    print_error("    %s: FPCR 0x%08llx, fegetround 0x%x\n", what, (unsigned long long)c->fpcr, (unsigned)c->round);
#else
    print_error("    %s: fegetround 0x%x\n", what, (unsigned)c->round);
#endif
}

/* The raised flags as fetestexcept would combine them, in raw bits (x86 includes the denormal flag). */
static unsigned flags_read(void)
{
#if defined(TEST_X86)
    return (read_mxcsr() | read_x87_sw()) & MXCSR_FLAGS;
#elif defined(TEST_AARCH64)
    return (unsigned)(read_fpsr() & FPSR_FLAGS);
#else
    return (unsigned)fetestexcept(FE_ALL_EXCEPT);
#endif
}

/* No arithmetic: safe with every exception unmasked. */
static void flags_clear(void)
{
#if defined(TEST_X86)
    __asm__ __volatile__("fnclex" : : : "memory");
    write_mxcsr(read_mxcsr() & ~MXCSR_FLAGS);
#elif defined(TEST_AARCH64)
    write_fpsr(read_fpsr() & ~(uint64_t)FPSR_FLAGS);
#else
    feclearexcept(FE_ALL_EXCEPT);
#endif
}

/* Sets every flag in the SIMD unit without raising anything (no trap even when unmasked). */
static unsigned flags_set_all(void)
{
#if defined(TEST_X86)
    write_mxcsr(read_mxcsr() | MXCSR_FLAGS);
    return MXCSR_FLAGS;
#elif defined(TEST_AARCH64)
    write_fpsr(read_fpsr() | FPSR_FLAGS);
    return FPSR_FLAGS;
#else
    return 0;
#endif
}

/* An unmasked x87 exception whose flag is set would trap at the caller's next x87 instruction. */
static unsigned x87_pending(void)
{
#if defined(TEST_X86)
    return read_x87_sw() & ~(unsigned)read_x87_cw() & MXCSR_FLAGS;
#else
    return 0;
#endif
}

/* ---- the caller states --------------------------------------------------------------------------- */

typedef struct fp_state {
    const char *name;
    int round; /* passed to fesetround first, or -1 */
#if defined(TEST_X86)
    unsigned int mxcsr_clear, mxcsr_set;
    unsigned short cw_clear, cw_set;
#elif defined(TEST_AARCH64)
    uint64_t fpcr_set;
#endif
} fp_state;

#if defined(TEST_X86)
#define MX_DAZ 0x0040u
#define MX_FTZ 0x8000u
#define MX_MASKS 0x1f80u
#define MX_RC 0x6000u
#define MX_RC_DOWN 0x2000u
#define MX_RC_UP 0x4000u
#define MX_RC_ZERO 0x6000u
#define CW_MASKS 0x003fu
#define CW_PC 0x0300u
#define CW_PC53 0x0200u
#define CW_PC24 0x0000u
#define CW_RC 0x0c00u
#define CW_RC_DOWN 0x0400u
#define CW_RC_UP 0x0800u
static const fp_state states[] = {
    {"fesetround(FE_UPWARD)", FE_UPWARD, 0, 0, 0, 0},
    {"fesetround(FE_DOWNWARD)", FE_DOWNWARD, 0, 0, 0, 0},
    {"fesetround(FE_TOWARDZERO)", FE_TOWARDZERO, 0, 0, 0, 0},
    {"MXCSR FTZ", -1, 0, MX_FTZ, 0, 0},
    {"MXCSR DAZ", -1, 0, MX_DAZ, 0, 0},
    {"MXCSR FTZ+DAZ", -1, 0, MX_FTZ | MX_DAZ, 0, 0},
    {"MXCSR FTZ+DAZ, round up (MXCSR and x87)", -1, MX_RC, MX_FTZ | MX_DAZ | MX_RC_UP, CW_RC, CW_RC_UP},
    {"MXCSR round toward zero only", -1, MX_RC, MX_RC_ZERO, 0, 0},
    {"x87 round down only", -1, 0, 0, CW_RC, CW_RC_DOWN},
    {"x87 precision 53 bits", -1, 0, 0, CW_PC, CW_PC53},
    {"x87 precision 24 bits", -1, 0, 0, CW_PC, CW_PC24},
    {"MXCSR exceptions unmasked", -1, MX_MASKS, 0, 0, 0},
    {"x87 exceptions unmasked", -1, 0, 0, CW_MASKS, 0},
    {"all exceptions unmasked, FTZ+DAZ, x87 53 bits, round down", -1, MX_MASKS | MX_RC,
     MX_FTZ | MX_DAZ | MX_RC_DOWN, CW_MASKS | CW_PC | CW_RC, CW_PC53 | CW_RC_DOWN},
};
#elif defined(TEST_AARCH64)
#define FPCR_FZ ((uint64_t)1 << 24)
#define FPCR_DN ((uint64_t)1 << 25)
#define FPCR_AHP ((uint64_t)1 << 26)
#define FPCR_FZ16 ((uint64_t)1 << 19)
#define FPCR_RUP ((uint64_t)1 << 22)
#define FPCR_RDOWN ((uint64_t)2 << 22)
#define FPCR_RZERO ((uint64_t)3 << 22)
#define FPCR_TRAPS ((uint64_t)0x9f00)
#define FPCR_AFP ((uint64_t)0x7) /* FIZ, AH, NEP (FEAT_AFP) */
static const fp_state states[] = {
    {"fesetround(FE_UPWARD)", FE_UPWARD, 0},
    {"fesetround(FE_DOWNWARD)", FE_DOWNWARD, 0},
    {"fesetround(FE_TOWARDZERO)", FE_TOWARDZERO, 0},
    {"FPCR FZ", -1, FPCR_FZ},
    {"FPCR FZ, round up", -1, FPCR_FZ | FPCR_RUP},
    {"FPCR round toward zero", -1, FPCR_RZERO},
    {"FPCR DN (default NaN)", -1, FPCR_DN},
    {"FPCR FZ16+AHP", -1, FPCR_FZ16 | FPCR_AHP},
    {"FPCR FIZ+AH+NEP (FEAT_AFP)", -1, FPCR_AFP},
    {"FPCR trap enables", -1, FPCR_TRAPS},
    {"FPCR everything, round down", -1, FPCR_FZ | FPCR_DN | FPCR_FZ16 | FPCR_AHP | FPCR_RDOWN | FPCR_TRAPS | FPCR_AFP},
};
#else
static const fp_state states[] = {
#ifdef FE_UPWARD
    {"fesetround(FE_UPWARD)", FE_UPWARD},
#endif
#ifdef FE_DOWNWARD
    {"fesetround(FE_DOWNWARD)", FE_DOWNWARD},
#endif
#ifdef FE_TOWARDZERO
    {"fesetround(FE_TOWARDZERO)", FE_TOWARDZERO},
#endif
    {"default (no other modes on this target)", -1},
};
#endif
#define NSTATES (sizeof states / sizeof states[0])

static ctl default_ctl; /* read at start-up: the default state */

/* Puts the thread in state s (from the default); returns 0 when the hardware ignores part of it. */
static int enter_state(const fp_state *s)
{
    if (s->round >= 0 && fesetround(s->round) != 0)
        return 0;
#if defined(TEST_X86)
    if (s->mxcsr_clear | s->mxcsr_set)
        write_mxcsr((read_mxcsr() & ~s->mxcsr_clear) | s->mxcsr_set);
    if (s->cw_clear | s->cw_set)
        write_x87_cw((unsigned short)((read_x87_cw() & ~s->cw_clear) | s->cw_set));
    return 1;
#elif defined(TEST_AARCH64)
    if (s->fpcr_set) {
        /* Bits a core does not implement (trap enables, FEAT_AFP) read as zero: test with the rest. */
        write_fpcr(read_fpcr() | s->fpcr_set);
        return (read_fpcr() & s->fpcr_set) != 0;
    }
    return 1;
#else
    return 1;
#endif
}

/* Back to the default state with clear flags, without any arithmetic (traps may be enabled). */
static void leave_state(void)
{
    flags_clear();
#if defined(TEST_X86)
    write_x87_cw(default_ctl.x87_cw);
    write_mxcsr(default_ctl.mxcsr);
#elif defined(TEST_AARCH64)
    write_fpcr(default_ctl.fpcr);
#endif
    fesetround(default_ctl.round);
}

static sigjmp_buf trap_jump;
static volatile sig_atomic_t trapped;

static void on_sigfpe(int sig)
{
    (void)sig;
    trapped = 1;
    siglongjmp(trap_jump, 1);
}

/* fn(ctx), or -1 with `trapped` set when it raised SIGFPE. The handler is installed around the call
 * (cmocka installs its own for each test); the jump lands here, so no caller's locals live across it. */
static softplus_status guarded(softplus_status (*fn)(const void *), const void *ctx)
{
    volatile softplus_status st = (softplus_status)-1;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigfpe;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &old);
    trapped = 0;
    if (sigsetjmp(trap_jump, 1) == 0)
        st = fn(ctx);
    sigaction(SIGFPE, &old, NULL);
    return st;
}

/* ---- inputs -------------------------------------------------------------------------------------- */

#define N 515 /* odd: every SIMD kernel runs full vectors and a tail */
#define NPARAMS 6

static const double params[NPARAMS][2] = {
    {1.0, 20.0},      {1.0, INFINITY}, {0.5, -1.0}, /* a negative threshold: subnormal x takes x */
    {7.3, 20.0},      {-1.0, 20.0},    {0x1p100, 20.0}, /* beta*subnormal is a normal number */
};

static float paramsf[NPARAMS][2]; /* narrowed once, in the default state: no arithmetic runs in the
                                     caller states (a conversion would trap, or round differently) */
static float xf[N], dyf[N];
static double xd[N], dyd[N];

static void fill_inputs(void)
{
    static const float special_f[] = {-100.0f, -103.0f, -104.0f, -87.5f, -88.7f, -89.5f, -20.0f, -1.0f,
                                      -0x1p-130f, 0x1p-149f, -0x1p-149f, 0x1.fffffcp-127f, 0.0f, -0.0f,
                                      0.5f, 1.0f, 0x1.3ffffep+4f, 20.0f, 0x1.400002p+4f, 30.0f, 88.0f,
                                      100.0f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, 0x1p-126f, -0x1p-126f};
    static const double special_d[] = {-740.0, -745.0, -744.4, -708.5, -709.8, -720.0, -20.0, -1.0,
                                       -1e-310, 0x1p-1074, -0x1p-1074, 0x0.fffffffffffffp-1022, 0.0, -0.0,
                                       0.5, 1.0, 0x1.3ffffffffffffp+4, 20.0, 0x1.4000000000001p+4, 30.0,
                                       709.0, 800.0, DBL_MAX, -DBL_MAX, INFINITY, -INFINITY, 0x1p-1022};
    const size_t nsf = sizeof special_f / sizeof special_f[0], nsd = sizeof special_d / sizeof special_d[0];
    sp_rng r = {0xf9e0f00du};
    for (size_t p = 0; p < NPARAMS; p++) {
        paramsf[p][0] = (float)params[p][0];
        paramsf[p][1] = (float)params[p][1];
    }
    for (size_t i = 0; i < N; i++) {
        if (i < nsf) {
            xf[i] = special_f[i];
        } else if (i < 300) { /* a ramp through the subnormal-result range and the whole function */
            xf[i] = -110.0f + 0.73f * (float)(i - nsf);
        } else {
            interesting_value(&r, 4, (unsigned char *)&xf[i]);
        }
        if (i < nsd) {
            xd[i] = special_d[i];
        } else if (i < 300) {
            xd[i] = -760.0 + 5.1 * (double)(i - nsd);
        } else {
            interesting_value(&r, 8, (unsigned char *)&xd[i]);
        }
        /* dy: every third one subnormal, NaN payloads and infinities among the interesting values */
        if (i % 3 == 0) {
            dyf[i] = (i % 2 ? -1.0f : 1.0f) * 0x1.8p-140f;
            dyd[i] = (i % 2 ? -1.0 : 1.0) * 0x1.8p-1060;
        } else if (i % 3 == 1) {
            dyf[i] = 0.75f + (float)i;
            dyd[i] = 0.75 + (double)i;
        } else {
            interesting_value(&r, 4, (unsigned char *)&dyf[i]);
            interesting_value(&r, 8, (unsigned char *)&dyd[i]);
        }
    }
    /* NaNs with payloads (default-NaN mode would drop them) */
    const uint32_t nf = 0x7fc12345u;
    const uint64_t nd = 0x7ff8000000012345u;
    memcpy(&xf[N - 1], &nf, 4);
    memcpy(&xd[N - 1], &nd, 8);
    memcpy(&dyf[N - 2], &nf, 4);
    memcpy(&dyd[N - 2], &nd, 8);
}

/* One public call: contiguous (layout 0), or x read at stride -1 and the output written at stride 2
 * (layout 1: the gather/scatter path). Returns the status; out holds N elements (layout 1: 2N). */
static softplus_status run_call(sp_fn op, int layout, size_t p, void *out)
{
    const size_t shape[1] = {N};
    const ptrdiff_t rev[1] = {-1}, two[1] = {2};
    const ptrdiff_t *xs = layout ? rev : NULL, *os = layout ? two : NULL;
    switch (op) {
    case SP_FN_FWD_F32:
        return softplus_forward_f32(1, shape, layout ? &xf[N - 1] : xf, xs, out, os, paramsf[p][0], paramsf[p][1]);
    case SP_FN_FWD_F64:
        return softplus_forward_f64(1, shape, layout ? &xd[N - 1] : xd, xs, out, os, params[p][0], params[p][1]);
    case SP_FN_BWD_F32:
        return softplus_backward_f32(1, shape, dyf, NULL, layout ? &xf[N - 1] : xf, xs, out, os, paramsf[p][0],
                                     paramsf[p][1]);
    default:
        return softplus_backward_f64(1, shape, dyd, NULL, layout ? &xd[N - 1] : xd, xs, out, os, params[p][0],
                                     params[p][1]);
    }
}

typedef struct call_args {
    sp_fn op;
    int layout;
    size_t p;
    void *out;
} call_args;

static softplus_status run_call_args(const void *ctx)
{
    const call_args *a = ctx;
    return run_call(a->op, a->layout, a->p, a->out);
}

/* The inputs of output element i (as bytes) for the failure message. */
static void print_element(sp_fn op, int layout, size_t p, size_t i, const unsigned char *got,
                          const unsigned char *want)
{
    const size_t es = op_elem_size(op);
    const size_t xi = layout ? N - 1 - i : i;
    char b0[96], b1[96], b2[96], b3[96];
    const unsigned char *x = es == 4 ? (const unsigned char *)&xf[xi] : (const unsigned char *)&xd[xi];
    const unsigned char *dy = es == 4 ? (const unsigned char *)&dyf[i] : (const unsigned char *)&dyd[i];
    print_error("    element %zu: x = %s", i, elem_str(b0, sizeof b0, x, es));
    if (op_noperands(op) == 3)
        print_error(", dy = %s", elem_str(b1, sizeof b1, dy, es));
    print_error(", beta %a, threshold %a: got %s, want %s\n", params[p][0], params[p][1],
                elem_str(b2, sizeof b2, got, es), elem_str(b3, sizeof b3, want, es));
}

/* ---- the tests ----------------------------------------------------------------------------------- */

static softplus_isa isas[8];
static size_t nisas;
static int flags_kept; /* 0 where the flags are not modelled (valgrind reads MXCSR flags as 0) */

static int setup(void **state)
{
    (void)state;
    default_ctl = read_ctl();
    flags_clear();
    const unsigned all = flags_set_all();
    flags_kept = (flags_read() & all) == all;
    flags_clear();
    if (!flags_kept)
        print_message("exception flags written to the FP status register do not read back here (an "
                      "emulator?): flag checks are skipped\n");
    fill_inputs();
    nisas = supported_isas(isas);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    softplus_set_isa(SOFTPLUS_ISA_AUTO);
    return 0;
}

/* The state the process starts in is the default one the library assumes; otherwise the comparisons
 * below would compare two non-default runs. */
static void test_process_starts_in_the_default_state(void **state)
{
    (void)state;
#if defined(TEST_X86)
    if ((default_ctl.mxcsr & 0xffc0u) != 0x1f80u || (default_ctl.x87_cw & 0x0f3fu) != 0x033fu) {
        print_ctl("start-up", &default_ctl);
        fail_msg("the test process did not start in the IEEE default state");
    }
#elif defined(TEST_AARCH64)
    if (default_ctl.fpcr != 0) {
        print_ctl("start-up", &default_ctl);
        fail_msg("the test process did not start in the IEEE default state");
    }
#endif
    assert_int_equal(default_ctl.round, FE_TONEAREST);
}

/* Per ISA, op, layout and parameter set: the default-state output and raised flags, then every state. */
static void test_results_state_flags_and_errno_match_the_default(void **state)
{
    (void)state;
    static _Alignas(64) unsigned char want[2 * N * 8], got[2 * N * 8];
    size_t checked = 0, skipped_states = 0;
    for (size_t ii = 0; ii < nisas; ii++) {
        assert_int_equal(softplus_set_isa(isas[ii]), SOFTPLUS_OK);
        for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
            const size_t es = op_elem_size(op);
            for (int layout = 0; layout < 2; layout++) {
                const size_t bytes = (layout ? 2 : 1) * N * es;
                for (size_t p = 0; p < NPARAMS; p++) {
                    memset(want, 0xa5, bytes);
                    flags_clear();
                    errno = 0;
                    assert_int_equal(run_call(op, layout, p, want), SOFTPLUS_OK);
                    const unsigned want_flags = flags_read();
                    assert_int_equal(errno, 0);
                    for (size_t s = 0; s < NSTATES; s++) {
                        memset(got, 0xa5, bytes);
                        flags_clear();
                        if (!enter_state(&states[s])) {
                            leave_state();
                            skipped_states++;
                            continue;
                        }
                        const ctl before = read_ctl();
                        const call_args args = {op, layout, p, got};
                        errno = 4321;
                        const softplus_status st = guarded(run_call_args, &args);
                        const int err = errno;
                        const ctl after = read_ctl();
                        const unsigned got_flags = flags_read();
                        const unsigned pending = x87_pending();
                        leave_state();
                        const char *isa = softplus_isa_name(isas[ii]);
                        if (trapped)
                            fail_msg("%s under %s, caller state \"%s\": the call trapped (SIGFPE)", op_name(op),
                                     isa, states[s].name);
                        assert_int_equal(st, SOFTPLUS_OK);
                        if (!ctl_equal(&before, &after)) {
                            print_ctl("before", &before);
                            print_ctl("after", &after);
                            fail_msg("%s under %s, caller state \"%s\": control modes changed", op_name(op), isa,
                                     states[s].name);
                        }
                        if (err != 4321)
                            fail_msg("%s under %s, caller state \"%s\": errno %d, was 4321", op_name(op), isa,
                                     states[s].name, err);
                        if ((flags_kept && got_flags != want_flags) || pending)
                            fail_msg("%s under %s, caller state \"%s\", beta %a, threshold %a, layout %d: raised "
                                     "flags 0x%02x (pending x87 0x%02x), in the default state 0x%02x",
                                     op_name(op), isa, states[s].name, params[p][0], params[p][1], layout,
                                     got_flags, pending, want_flags);
                        if (memcmp(got, want, bytes) != 0) {
                            size_t first = 0, wrong = 0;
                            const size_t step = (layout ? 2 : 1) * es;
                            for (size_t i = 0; i < N; i++)
                                if (memcmp(got + i * step, want + i * step, es) != 0 && wrong++ == 0)
                                    first = i;
                            print_error("%s under %s, caller state \"%s\", layout %d: %zu of %d results differ "
                                        "from the default state's\n",
                                        op_name(op), isa, states[s].name, layout, wrong, N);
                            if (wrong)
                                print_element(op, layout, p, first, got + first * step, want + first * step);
                            else
                                print_error("    a byte between the strided outputs changed\n");
                            fail();
                        }
                        checked++;
                    }
                }
            }
        }
    }
    print_message("%zu (ISA, op, layout, parameters, state) calls matched the default state; %zu states "
                  "skipped (not writable here)\n", checked, skipped_states);
    assert_true(checked > 0);
}

/* Flags set before a call stay set after it, in every state (set in MXCSR / FPSR, where no arithmetic is
 * needed, so it is safe with traps enabled). */
static void test_flags_set_before_a_call_stay_set(void **state)
{
    (void)state;
    static _Alignas(64) unsigned char out[2 * N * 8];
    if (!flags_kept)
        skip();
    for (size_t ii = 0; ii < nisas; ii++) {
        assert_int_equal(softplus_set_isa(isas[ii]), SOFTPLUS_OK);
        for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
            for (size_t s = 0; s <= NSTATES; s++) { /* s == NSTATES: the default state */
                flags_clear();
                if (s < NSTATES && !enter_state(&states[s])) {
                    leave_state();
                    continue;
                }
                const unsigned all = flags_set_all();
                const call_args args = {op, 0, 0, out};
                const softplus_status st = guarded(run_call_args, &args);
                const unsigned after = flags_read();
                leave_state();
                const char *name = s < NSTATES ? states[s].name : "default";
                if (trapped)
                    fail_msg("%s under %s, caller state \"%s\": trapped", op_name(op),
                             softplus_isa_name(isas[ii]), name);
                assert_int_equal(st, SOFTPLUS_OK);
                if ((after & all) != all)
                    fail_msg("%s under %s, caller state \"%s\": flags 0x%02x set before, 0x%02x after",
                             op_name(op), softplus_isa_name(isas[ii]), name, all, after);
            }
        }
    }
}

/* Validation runs before the library switches to the default state, so it must not use floating-point
 * instructions on the arguments: with every exception unmasked, a signalling NaN beta or threshold
 * (invalid on a compare), a subnormal beta (denormal on a float-to-double conversion) and empty calls
 * must not trap, and must leave the control modes and errno alone. */
typedef struct param_case {
    const char *what;
    uint32_t beta_f, thr_f; /* bits */
    uint64_t beta_d, thr_d;
    softplus_status want;
} param_case;

typedef struct param_args {
    const param_case *c;
    int f64;
    int empty;
} param_args;

static softplus_status run_param_case(const void *ctx)
{
    const param_args *a = ctx;
    static float x[4] = {1.0f, -1.0f, 0.5f, -100.0f}, y[4];
    static double xd4[4] = {1.0, -1.0, 0.5, -740.0}, yd[4];
    const size_t shape[1] = {a->empty ? 0 : 4};
    if (a->f64) {
        double beta, thr;
        memcpy(&beta, &a->c->beta_d, 8);
        memcpy(&thr, &a->c->thr_d, 8);
        return softplus_backward_f64(1, shape, xd4, NULL, xd4, NULL, yd, NULL, beta, thr);
    }
    float beta, thr;
    memcpy(&beta, &a->c->beta_f, 4);
    memcpy(&thr, &a->c->thr_f, 4);
    return softplus_backward_f32(1, shape, x, NULL, x, NULL, y, NULL, beta, thr);
}

static void test_validation_and_empty_calls_never_trap(void **state)
{
    (void)state;
    static const param_case cases[] = {
        {"signalling NaN threshold", 0x3f800000u, 0x7fa00001u, 0x3ff0000000000000u, 0x7ff4000000000001u,
         SOFTPLUS_ERR_PARAM},
        {"signalling NaN beta", 0x7fa00001u, 0x41a00000u, 0x7ff4000000000001u, 0x4034000000000000u,
         SOFTPLUS_ERR_PARAM},
        {"quiet NaN beta", 0x7fc00000u, 0x41a00000u, 0x7ff8000000000000u, 0x4034000000000000u, SOFTPLUS_ERR_PARAM},
        {"infinite beta", 0xff800000u, 0x41a00000u, 0xfff0000000000000u, 0x4034000000000000u, SOFTPLUS_ERR_PARAM},
        {"subnormal beta (valid)", 0x00000003u, 0x41a00000u, 0x3u, 0x4034000000000000u, SOFTPLUS_OK},
        {"subnormal threshold (valid)", 0x3f800000u, 0x80000003u, 0x3ff0000000000000u, 0x8000000000000003u,
         SOFTPLUS_OK},
    };
    for (size_t s = 0; s < NSTATES; s++) {
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            for (int f64 = 0; f64 < 2; f64++) {
                for (int empty = 0; empty < 2; empty++) {
                    flags_clear();
                    if (!enter_state(&states[s])) {
                        leave_state();
                        continue;
                    }
                    const ctl before = read_ctl();
                    const param_args args = {&cases[c], f64, empty};
                    errno = 77;
                    const softplus_status st = guarded(run_param_case, &args);
                    const int err = errno;
                    const ctl after = read_ctl();
                    leave_state();
                    const char *dt = f64 ? "f64" : "f32", *kind = empty ? "empty" : "4 elements";
                    if (trapped)
                        fail_msg("%s %s, %s, caller state \"%s\": trapped (SIGFPE)", dt, kind, cases[c].what,
                                 states[s].name);
                    if (st != cases[c].want)
                        fail_msg("%s %s, %s, caller state \"%s\": status %d, want %d", dt, kind, cases[c].what,
                                 states[s].name, (int)st, (int)cases[c].want);
                    if (err != 77)
                        fail_msg("%s %s, %s, caller state \"%s\": errno %d, was 77", dt, kind, cases[c].what,
                                 states[s].name, err);
                    if (!ctl_equal(&before, &after)) {
                        print_ctl("before", &before);
                        print_ctl("after", &after);
                        fail_msg("%s %s, %s, caller state \"%s\": control modes changed", dt, kind,
                                 cases[c].what, states[s].name);
                    }
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_process_starts_in_the_default_state),
        cmocka_unit_test(test_results_state_flags_and_errno_match_the_default),
        cmocka_unit_test(test_flags_set_before_a_call_stay_set),
        cmocka_unit_test(test_validation_and_empty_calls_never_trap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_accuracy.c -- every compiled kernel against the independent reference: sweeps, special values,
 * the threshold boundary, huge inputs, tails, lane isolation and in-place calls.
 * SPDX-License-Identifier: MIT
 *
 * Table-driven: each property is written once and runs over every (dtype, kernel file, op) of the
 * registry. Kernels come from ulp_kernels() (the registry's entries whose origin is their own ISA), so
 * each SIMD kernel file is tested as soon as the build compiles it; kernels this CPU cannot run are
 * skipped (and say so). The bound is the registry entry's: max_ulp for beta = 1, max_ulp_beta for any
 * other beta; backward sweeps use dy = 1, as the bounds are defined on dy*sigmoid(beta*x) with dy = 1.
 * A failure names the entry (its kernel name and origin) and prints input, got and want in hex.
 *
 * Elements travel as bit patterns of their dtype (uint64_t), never through a wider type, so NaN
 * payloads and signalling bits reach the kernels as written. Values of the dtype are exact in double,
 * which carries them where arithmetic is needed.
 *
 * What a new axis entry needs here: a dtype adds a row to dtypes[] (its conversions, its reference
 * from ulp.h and its input sets, which depend on the format); an op adds a row to op_math[] (its
 * reference and which input the linear branch returns); an ISA needs nothing.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "softplus.h"
#include "any_params.h"
#include "ulp.h"

/* ---- the dtype table ------------------------------------------------------------------------------ */

/* Per-format inputs of the special-value, overflow, layout and contract tests. */
typedef struct dtype_inputs {
    uint64_t nans[8];          /* quiet, signalling, negative, with payloads */
    double dys[8];             /* dy against a NaN x and against +-inf */
    double tiny[10];           /* zeros, subnormals, the normal minimum */
    double nan_dy_xs[8];       /* x against a NaN dy */
    double inf_dy_zs[6];       /* beta*x where an infinite dy stays infinite */
    size_t n_inf_dy_zs;
    double huge_betas[7], huge_thresholds[4], huge_xs[3];
    double under[2];           /* beta*x of two special inputs of the layout tests */
    uint64_t control_bits[3];  /* control values given as bits (NaNs) ... */
    double control_vals[7];    /* ... and as values */
    double any_dy_betas[8];
    uint64_t any_dy_seed;
    int any_dy_rounds;
    double witnesses[12][3];   /* the fuzzer's backward witnesses: dy, x, beta */
    size_t n_witnesses;
    double tiny_betas[6];
    double tiny_z[2];          /* forward with a tiny beta: z = beta*x over [lo, lo + span) */
    uint64_t tiny_seed;
    double tiny_witness[6];    /* x[0] for the tiny beta of that index, 0 for none */
} dtype_inputs;

/* A dtype: ulp.h's reference and measures in its precision (ulp_dtypes), the generators of its sweep
 * and of the contract test, and its input sets. */
typedef struct dtype_info {
    const ulp_dtype *u;
    int long_double_ref;       /* the reference is long double: wrong under valgrind (SP_TEST_REDUCED) */
    uint64_t sweep_count;
    uint64_t (*sweep_input)(uint64_t i, double beta);
    double (*any_dy)(uint64_t r);
    uint64_t (*any_dy_x)(uint64_t r, uint64_t round, size_t i, double beta, double thr);
    const dtype_inputs *in;
} dtype_info;

static double narrow(const dtype_info *d, double v)
{
    return d->u->val(d->u->enc(v));
}

static int same_bits(const dtype_info *d, uint64_t a, uint64_t b)
{
    return a == b || (isnan(d->u->val(a)) && isnan(d->u->val(b)));
}

/* The sweeps here sample every region (and the threshold -3.5, which ulp_sweep leaves out) at 2^-SWEEP_SHIFT
 * of their full density; the ulp_sweep tests (tests/accuracy/CMakeLists.txt) are the dense ones: every f32
 * input natively, every 64th under an emulator or a sanitizer. Natively an eighth, under an emulator (cross
 * builds define SP_TEST_EMULATED), a sanitizer or valgrind (SP_TEST_SANITIZED, SP_TEST_REDUCED) 1/32. */
#if defined(SP_TEST_EMULATED) || defined(SP_TEST_SANITIZED) || defined(SP_TEST_REDUCED)
#define SWEEP_SHIFT 5
#else
#define SWEEP_SHIFT 3
#endif

/* Regions of the f32 sweep: every F32_BITS_STEP-th bit pattern (all binades of both signs, subnormals,
 * infinities and NaNs; F32_BITS_STEP * F32_BITS < 2^32), z = beta*x dense over [-8, 8], over the
 * underflow region [-106, -85], over [-150, 100], and the F32_NEAR/2 floats either side of 20/beta and
 * of -3.5/beta. */
enum {
    F32_BITS = 1 << (23 - SWEEP_SHIFT),
    F32_BITS_STEP = (509 << SWEEP_SHIFT) | 1, /* odd */
    F32_DENSE = 1 << (22 - SWEEP_SHIFT),
    F32_UNDER = 1 << (21 - SWEEP_SHIFT),
    F32_WIDE = 1 << (21 - SWEEP_SHIFT),
    F32_NEAR = 1 << (18 - SWEEP_SHIFT),
    F32_COUNT = F32_BITS + F32_DENSE + F32_UNDER + F32_WIDE + 2 * F32_NEAR
};

static uint64_t sweep_input_f32(uint64_t index, double beta_d)
{
    const float beta = (float)beta_d;
    uint32_t i = (uint32_t)index;
    if (i < F32_BITS)
        return i * (uint32_t)F32_BITS_STEP;
    i -= F32_BITS;
    if (i < F32_DENSE)
        return bits_f32((float)((-8.0 + 16.0 * (i + 0.5) / F32_DENSE) / beta));
    i -= F32_DENSE;
    if (i < F32_UNDER)
        return bits_f32((float)((-106.0 + 21.0 * (i + 0.5) / F32_UNDER) / beta));
    i -= F32_UNDER;
    if (i < F32_WIDE)
        return bits_f32((float)((-150.0 + 250.0 * (i + 0.5) / F32_WIDE) / beta));
    i -= F32_WIDE;
    const float x0 = (float)((i < F32_NEAR ? 20.0 : -3.5) / beta);
    /* consecutive bit patterns are consecutive floats of one sign: |x0| >> 2^17 ulps from zero */
    return bits_f32(x0) + (uint32_t)(i % F32_NEAR) - F32_NEAR / 2;
}

/* f64: ulp.h's sample stream; the first half gathers near 20/beta, the second near -3.5/beta. */
enum { F64_COUNT = 1000000 >> SWEEP_SHIFT };

static uint64_t sweep_input_f64(uint64_t i, double beta)
{
    return bits_f64(ulp_sample_f64(1000 + (uint64_t)(beta * 10), i, beta, i < F64_COUNT / 2 ? 20.0 : -3.5));
}

/* dy of every magnitude for the backward contract: subnormal, tiny, around 1 and not a power of two,
 * huge, powers of two, zeros and infinities. */
static double any_dy_f32(uint64_t r)
{
    const uint64_t r2 = ulp_mix64(r);
    const float sign = (r2 & 1) ? -1.0f : 1.0f;
    switch (r % 8) {
    case 0: case 1: { /* every finite bit pattern: all binades, subnormals included */
        const float v = f32_from_bits((uint32_t)(r2 >> 8));
        return isfinite(v) ? v : sign * 0x1.8p-3f;
    }
    case 2: case 3: return sign * (float)ldexp(1.0 + ulp_unit(r2), (int)(r2 % 8) - 4); /* not a power of two */
    case 4: return sign * (float)ldexp(1.0 + ulp_unit(r2), 100 + (int)(r2 % 28));   /* huge */
    case 5: return sign * (float)ldexp(1.0 + ulp_unit(r2), -149 + (int)(r2 % 40));  /* tiny */
    case 6: return sign * (float)ldexp(1.0, (int)(r2 % 277) - 149);                 /* powers of two */
    default: {
        static const float edges[] = {0.0f, -0.0f, INFINITY, -INFINITY, 0x1p-149f, 0x1.fffffep+127f, 1.0f, -1.0f};
        return edges[r2 % 8];
    }
    }
}

static double any_dy_f64(uint64_t r)
{
    const uint64_t r2 = ulp_mix64(r);
    const double sign = (r2 & 1) ? -1.0 : 1.0;
    switch (r % 8) {
    case 0: case 1: {
        const double v = f64_from_bits(r2 >> 1 | (r2 & 1) << 63);
        return isfinite(v) ? v : sign * 0x1.8p-3;
    }
    case 2: return sign * ulp_unit(r2) * 0x1p-1022; /* subnormal */
    case 3: return sign * ldexp(1.0 + ulp_unit(r2), (int)(r2 % 8) - 4);
    case 4: return sign * ldexp(1.0 + ulp_unit(r2), 900 + (int)(r2 % 124));
    case 5: return sign * ldexp(1.0 + ulp_unit(r2), -1074 + (int)(r2 % 120));
    case 6: return sign * ldexp(1.0, (int)(r2 % 2098) - 1074);
    default: {
        static const double edges[] = {0.0, -0.0, INFINITY, -INFINITY, 0x1p-1074, 0x1.fffffffffffffp+1023, 1.0, -1.0};
        return edges[r2 % 8];
    }
    }
}

/* x for the contract: f32 z over [-200, 60] (deep underflow that dy can scale back) or any bit
 * pattern; f64 ulp.h's sample stream. */
static uint64_t any_dy_x_f32(uint64_t r, uint64_t round, size_t i, double beta, double thr)
{
    (void)round, (void)i, (void)thr;
    const uint64_t r3 = ulp_mix64(r ^ 0x5a5a);
    return (r3 & 1) ? bits_f32((float)((ulp_unit(r3) * 260.0 - 200.0) / (double)(float)beta))
                    : (uint32_t)(r3 >> 16);
}

static uint64_t any_dy_x_f64(uint64_t r, uint64_t round, size_t i, double beta, double thr)
{
    (void)r;
    return bits_f64(ulp_sample_f64(0xd3 + round, i, beta, thr));
}

static const dtype_inputs inputs_f32 = {
    .nans = {0x7fc00000u, 0xffc00000u, 0x7fc12345u, 0x7f800001u, 0x7fa00000u, 0xff800001u, 0x7fffffffu, 0xffbfffffu},
    .dys = {1.0f, -2.5f, 0.0f, -0.0f, FLT_MAX, 0x1p-149f, INFINITY, -INFINITY},
    .tiny = {0.0f, -0.0f, 0x1p-149f, -0x1p-149f, 0x1.fffffcp-127f, -0x1.fffffcp-127f, 0x1.234p-140f, -0x1.234p-135f,
             FLT_MIN, -FLT_MIN},
    .nan_dy_xs = {0.0f, 1.0f, -1.0f, 100.0f, -100.0f, INFINITY, -INFINITY, 1e30f},
    .inf_dy_zs = {0.0f, 1.0f, -1.0f, 10.0f, -20.0f},
    .n_inf_dy_zs = 5,
    .huge_betas = {7.3f, 2.0f, -2.0f, -7.3f, 1e30f, -1e30f, 0.5f},
    .huge_thresholds = {INFINITY, 20.0f, -3.5f, 1e38f},
    .huge_xs = {FLT_MAX, 0x1.8p127f, 1e38f},
    .under = {-95.0, -200.0},
    .control_bits = {0x7fc00000u, 0x7f800001u, 0xffc12345u},
    .control_vals = {INFINITY, -INFINITY, FLT_MAX, -FLT_MAX, 0x1p-149f, -0.0f, 1e-30f},
    .any_dy_betas = {1.0f, 0.5f, -1.0f, 7.3f, 0x1p-100f, -0x1p-119f, 0x1p+100f, 0x1p-149f},
    .any_dy_seed = 0xd1,
    .any_dy_rounds = 8,
    /* F1 (sigmoid rounded to float, then *dy), F2 (a sigmoid below float's range times 2^100), F3
     * (|beta*x| capped at 120), an infinite dy where beta*x overflows float */
    .witnesses = {{0x1.effcc6p+1f, -0x1.b3c7c6p+1f, 1.0f}, {0x1p+100f, -110.0f, 1.0f}, {1e30f, -110.0f, 1.0f},
                  {-0x1.a3862ep+6f, -0x1.a3862ep+6f, 1.0f}, {-0x1.d0e57p+29f, -0x1.d0e57p+29f, 1.0f},
                  {0x1p+127f, -0x1p+100f, 0x1p-20f}, {INFINITY, -0x1p+100f, 0x1p+100f},
                  {-INFINITY, 0x1p+120f, -0x1p+120f},
                  /* F6's shape in f32: a zero or unit multiplier with the largest |beta| */
                  {0.0f, 0.0f, FLT_MAX}, {-0.0f, 0x1p-149f, -FLT_MAX}, {1.0f, 0.0f, FLT_MAX}},
    .n_witnesses = 11,
    .tiny_betas = {0x1p-100f, -0x1p-100f, 0x1p-119f, 0x1.8p-126f, -0x1p-140f, 0x1p-149f},
    .tiny_z = {-60.0, -240.0},
    .tiny_seed = 0xf3,
    .tiny_witness = {-0x1p+107f /* F3: want 0x1.42eb9fp-85 */, 0, -0x1.5e998p+126f, 0, 0, 0},
};

static const dtype_inputs inputs_f64 = {
    .nans = {0x7ff8000000000000u, 0xfff8000000000000u, 0x7ff8dead0000beefu, 0x7ff0000000000001u, 0x7ff4000000000000u,
             0xfff0000000000001u, 0x7fffffffffffffffu, 0xfff7ffffffffffffu},
    .dys = {1.0, -2.5, 0.0, -0.0, DBL_MAX, 0x1p-1074, INFINITY, -INFINITY},
    .tiny = {0.0, -0.0, 0x1p-1074, -0x1p-1074, 0x1.ffffffffffffep-1023, -0x1.ffffffffffffep-1023, 0x1.234p-1060,
             -0x1.234p-1030, DBL_MIN, -DBL_MIN},
    .nan_dy_xs = {0.0, 1.0, -1.0, 100.0, -100.0, INFINITY, -INFINITY, 1e300},
    .inf_dy_zs = {0.0, 1.0, -1.0, 10.0, -20.0, -700.0},
    .n_inf_dy_zs = 6,
    .huge_betas = {7.3, 2.0, -2.0, -7.3, 1e300, -1e300, 0.5},
    .huge_thresholds = {INFINITY, 20.0, -3.5, 1e308},
    .huge_xs = {DBL_MAX, 0x1.8p1023, 1e308},
    .under = {-740.0, -800.0},
    .control_bits = {0x7ff8000000000000u, 0x7ff0000000000001u, 0xfff8dead0000beefu},
    .control_vals = {INFINITY, -INFINITY, DBL_MAX, -DBL_MAX, 0x1p-1074, -0.0, 1e-300},
    .any_dy_betas = {1.0, 0.5, -1.0, 7.3, 1e-300, -7.3e200, 0x1p-1010, 1.5e-9},
    .any_dy_seed = 0xd2,
    .any_dy_rounds = 4,
    /* F4 (dy = +-inf, beta*x overflowing to -inf for a finite x), F5 (a subnormal result rounded twice),
     * F6 (SSE4.1 double backward: |beta| near DBL_MAX with g = 0 gave NaN) */
    .witnesses = {{INFINITY, -0x1p+1021, 0x1p+531}, {-INFINITY, 1e300, -1e300}, {INFINITY, -1e300, 1e300},
                  {0x0.60067faddd364p-1022, -0x1.cb44b5a86af62p+3, 1.0},
                  {-0x0.fce1bb7d7013fp-1022, -0x1.ef760845af14p+3, 1.0},
                  {-0x0.0000068f9072dp-1022, 0x1.2bf849e2a0f0cp+5, 0x1.999999999999ap-4},
                  /* F6 (beta's 26-bit split overflowing to inf, times g = 0: NaN), and its neighbours */
                  {0.0, 0.0, DBL_MAX}, {-0.0, 0x1p-1074, -DBL_MAX}, {0.0, -1.0, 0x1.fffffffp+1023},
                  {1.0, 0.0, DBL_MAX}, {-3.0, 0x1p-1074, -DBL_MAX}, {0x1p-1074, 0.0, 0x1.ffffffep+1023}},
    .n_witnesses = 12,
    .tiny_betas = {0x1p-1000, -1e-300, 0x1.8p-1022, 0x1p-1040, -0x1p-1074, 1e-200},
    .tiny_z = {-500.0, -1000.0},
    .tiny_seed = 0xf4,
    .tiny_witness = {0, 0, 0, 0, 0, 0},
};

static const dtype_info dtypes[] = {
    [SP_DTYPE_F32] = {&ulp_dtypes[SP_DTYPE_F32], 0, F32_COUNT, sweep_input_f32, any_dy_f32, any_dy_x_f32, &inputs_f32},
    [SP_DTYPE_F64] = {&ulp_dtypes[SP_DTYPE_F64], 1, F64_COUNT, sweep_input_f64, any_dy_f64, any_dy_x_f64, &inputs_f64},
};
#define DTYPE_ROWS(ctx, tag, TAG, storage, size, compute, ctag) +1
_Static_assert(sizeof dtypes / sizeof dtypes[0] == 0 SP_STORED_DTYPES(DTYPE_ROWS, ~),
               "a row of dtypes[] for every dtype of src/lists.h computed in its storage type (f32, f64; "
               "bf16 and f16 are tests/accuracy/test_half.c's)");
/* they come first in SP_DTYPES: dtypes[dt] is SP_DTYPE dt for dt < NDTYPES */
enum { NDTYPES = sizeof dtypes / sizeof dtypes[0] };

/* ---- the op table --------------------------------------------------------------------------------- */

/* An op's inputs are the last `inputs` of (dy, x); the linear branch returns one of them bit for bit;
 * its reference applies the threshold rule; curve is the reference without it for dy = 1. */
typedef struct op_math {
    const char *name;
    int inputs;
    int linear_returns; /* 0: dy, 1: x, 2: +0 */
    long double (*ref)(const dtype_info *d, double dy, double x, double beta, double thr);
    long double (*curve)(const dtype_info *d, double x, double beta);
    int sweep_stride; /* the sweep checks every sweep_stride-th input (ulp_sweep checks them all) */
} op_math;

/* Release 1.1's ops: the linear branch gives +0 (the inverse: y), elsewhere the multiplier times the curve */
static long double ref_multiplied(const dtype_info *d, sp_op op, double m, double x, double beta, double thr)
{
    if (d->u->ref_linear(x, beta, thr))
        return ref_linear_value(op, x, m);
    return (op == SP_OP_INV ? 1.0L : (long double)m) * d->u->ref_curve(op, x, beta);
}
static long double ref_dbwd(const dtype_info *d, double m, double x, double beta, double thr)
{
    return ref_multiplied(d, SP_OP_DBWD, m, x, beta, thr);
}
static long double curve_dbwd(const dtype_info *d, double x, double beta) { return d->u->ref_curve(SP_OP_DBWD, x, beta); }
static long double ref_inv(const dtype_info *d, double m, double x, double beta, double thr)
{
    return ref_multiplied(d, SP_OP_INV, m, x, beta, thr);
}
static long double curve_inv(const dtype_info *d, double x, double beta) { return d->u->ref_curve(SP_OP_INV, x, beta); }
static long double ref_bbeta(const dtype_info *d, double m, double x, double beta, double thr)
{
    return ref_multiplied(d, SP_OP_BBETA, m, x, beta, thr);
}
static long double curve_bbeta(const dtype_info *d, double x, double beta) { return d->u->ref_curve(SP_OP_BBETA, x, beta); }

static long double ref_forward(const dtype_info *d, double dy, double x, double beta, double thr)
{
    (void)dy;
    return d->u->ref_fwd(x, beta, thr);
}
static long double curve_forward(const dtype_info *d, double x, double beta) { return d->u->ref_softplus(x, beta); }
static long double ref_backward(const dtype_info *d, double dy, double x, double beta, double thr)
{
    return d->u->ref_bwd(dy, x, beta, thr);
}
static long double curve_backward(const dtype_info *d, double x, double beta) { return d->u->ref_sigmoid(x, beta); }

#define OP_INPUTS(ctx, tag, TAG, public, inputs) [SP_OP_##TAG] = inputs,
static const int op_inputs[SP_OP_COUNT] = {SP_OPS(OP_INPUTS, ~)};

static const op_math op_table[] = {
    [SP_OP_FWD] = {"fwd", 1, 1, ref_forward, curve_forward, 1},
    [SP_OP_BWD] = {"bwd", 2, 0, ref_backward, curve_backward, 1},
    /* release 1.1's ops: every 16th input, which keeps every region (ulp_sweep and the boundary,
     * special-value and layout tests here see more) at a sixteenth of the sweep's CI time */
    [SP_OP_DBWD] = {"dbwd", 2, 2, ref_dbwd, curve_dbwd, 16},
    [SP_OP_INV] = {"inv", 1, 1, ref_inv, curve_inv, 16},
    [SP_OP_BBETA] = {"bbeta", 2, 2, ref_bbeta, curve_bbeta, 16},
};
_Static_assert(sizeof op_table / sizeof op_table[0] == SP_OP_COUNT, "a row of op_table[] for every op of src/lists.h");

/* ---- kernels and calls ---------------------------------------------------------------------------- */

/* Every kernel file of each dtype (ulp.h), filled once by main before any test runs. */
static ulp_kernel kernels[SP_DTYPE_COUNT][ULP_MAX_KERNELS];
static size_t kernel_count[SP_DTYPE_COUNT];

/* The kernel files of d this CPU runs: for (const ulp_kernel *k = first(d); k; k = next(d, k)). */
static const ulp_kernel *next_runnable(const dtype_info *d, const ulp_kernel *k)
{
    const ulp_kernel *end = kernels[d->u->dtype] + kernel_count[d->u->dtype];
    for (k = k ? k + 1 : kernels[d->u->dtype]; k < end; k++)
        if (ulp_isa_runnable(k->isa))
            return k;
    return NULL;
}
#define FOR_EACH_KERNEL(k, d) for (const ulp_kernel *k = next_runnable(d, NULL); k; k = next_runnable(d, k))

static uint64_t get(const dtype_info *d, const void *buf, size_t i)
{
    return elem_get(buf, i, d->u->size);
}

static void put(const dtype_info *d, void *buf, size_t i, uint64_t bits)
{
    elem_put(buf, i, d->u->size, bits);
}

/* n elements of op through registry entry e: out = op(dy, x); an op with one input reads x only. */
static void run(sp_op op, const sp_kernel *e, size_t n, void *out, void *dy, void *x, const sp_any_params *p)
{
    void *const ptrs[3] = {out, op_inputs[op] == 2 ? dy : x, x};
    e->run(n, ptrs, p);
}

/* One element. */
static uint64_t run1(const dtype_info *d, sp_op op, const ulp_kernel *k, uint64_t dy, uint64_t x, double beta,
                     double thr)
{
    _Alignas(16) unsigned char a[16], b[16], r[16];
    put(d, a, 0, dy);
    put(d, b, 0, x);
    const sp_any_params p = any_params(d->u->dtype, beta, thr);
    run(op, k->op[op], 1, r, a, b, &p);
    return get(d, r, 0);
}

/* The bound of entry (k, op) for beta. */
static double bound_of(const ulp_kernel *k, sp_op op, double beta)
{
    return ulp_bound(k->op[op], beta);
}

/* ---- failure bookkeeping: each test counts and prints its failures, then fails once ---------------- */

static int failures;

#define EXPECT(cond, ...)                                                                            \
    do {                                                                                             \
        if (!(cond)) {                                                                               \
            if (++failures <= 40) {                                                                  \
                print_error(__VA_ARGS__);                                                            \
                print_error("\n");                                                                   \
            }                                                                                        \
        }                                                                                            \
    } while (0)

static void begin(void)
{
    failures = 0;
}

static void finish(const char *what)
{
    if (failures)
        fail_msg("%d failure(s): %s", failures, what);
}

/* "value (0xbits)" of an element of d, for failure messages (a few rotating buffers). */
static const char *hex(const dtype_info *d, uint64_t bits)
{
    static char bufs[8][64];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%a (0x%0*llx)", d->u->val(bits), d->u->hex, (unsigned long long)bits);
    return b;
}

/* The entry's provenance: "sp_bwd_f32_avx2 (origin avx2)". */
static const char *prov(const ulp_kernel *k, sp_op op)
{
    static char bufs[4][96];
    static unsigned next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s (origin %s)", k->op[op]->name, softplus_isa_name(k->op[op]->origin));
    return b;
}

static int group_setup(void **state)
{
    (void)state;
    for (int dt = 0; dt < NDTYPES; dt++)
        for (size_t i = 0; i < kernel_count[dt]; i++) {
            const ulp_kernel *k = &kernels[dt][i];
            for (int op = 0; op < SP_OP_COUNT; op++)
                print_message("%s kernel %-7s %-11s %s (bound %.2f ULP for beta = 1, %.2f otherwise)\n",
                              dtypes[dt].u->name, k->name, prov(k, (sp_op)op),
                              ulp_isa_runnable(k->isa) ? "tested" : "SKIPPED: this CPU lacks it",
                              k->op[op]->max_ulp, k->op[op]->max_ulp_beta);
        }
    return 0;
}

/* ---- the reference itself ---------------------------------------------------------------------- */

/* A broken libm or a long double that is really double would make every other test meaningless:
 * check the reference against values computed with mpmath at 300 bits (beta, x, softplus, sigmoid). */
static void test_reference_matches_mpmath(void **state)
{
    (void)state;
#ifdef SP_TEST_REDUCED
    skip(); /* valgrind's x87 long double is double precision (see main) */
#endif
    static const struct {
        double beta, x;
        long double softplus, sigmoid;
    } known[] = {
        {0x1p+0, 0x0p+0, 6.931471805599453094172321e-1L, 5.0e-1L},
        {0x1p+0, -0x1.3676ccfd606p+2, 7.790123138628742865978452e-3L, 7.759858768086480773493324e-3L},
        {0x1p+0, -0x1.5e4p+9, 5.980196118639791206412107e-305L, 5.980196118639791206412107e-305L},
        {0x1p+0, 0x1.2p+5, 3.600000000000000023195228e+1L, 9.99999999999999768047717e-1L},
        {0x1.d333333333333p+2, -0x1.9p+6, 1.263878571112640819938287e-318L, 9.226313569122277761039559e-318L},
        {-0x1p+0, 0x1.ap+1, -3.804137168778312856120856e-2L, 3.732688734412946019771417e-2L},
        {0x1p-1, -0x1.56e1fc2f8f359p-997, 1.386294361119890618834464L, 5.0e-1L},
        {0x1p+1, -0x1.734p+8, 1.71916353644807050769904e-323L, 3.438327072896141015398081e-323L},
        {0x1.d333333333333p+2, 0x1.ffffffffffffep-3, 2.704752257247819432603962e-1L,
         8.61165006452692800858789e-1L},
    };
    begin();
    /* 2^-60 relative: a few ulps of the x87 format, 2^-8 ULP of double */
    const long double tol = ref_f64_is_accurate() ? 0x1p-60L : 0x1p-51L;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const long double sp = ref_softplus_f64(known[i].x, known[i].beta);
        const long double sg = ref_sigmoid_f64(known[i].x, known[i].beta);
        EXPECT(fabsl(sp - known[i].softplus) <= tol * fabsl(known[i].softplus),
               "ref_softplus_f64(x=%a, beta=%a) = %La, want %La", known[i].x, known[i].beta, sp, known[i].softplus);
        EXPECT(fabsl(sg - known[i].sigmoid) <= tol * fabsl(known[i].sigmoid),
               "ref_sigmoid_f64(x=%a, beta=%a) = %La, want %La", known[i].x, known[i].beta, sg, known[i].sigmoid);
        const float xf = (float)known[i].x, bf = (float)known[i].beta;
        if ((double)xf == known[i].x && (double)bf == known[i].beta) {
            const double spf = ref_softplus_f32(xf, bf), sgf = ref_sigmoid_f32(xf, bf);
            /* double loses bits where the value is a double subnormal, far below float's range */
            EXPECT(fabsl(spf - known[i].softplus) <= 0x1p-48L * fabsl(known[i].softplus) + 0x1p-170L,
                   "ref_softplus_f32(x=%a, beta=%a) = %a, want %La", (double)xf, (double)bf, spf, known[i].softplus);
            EXPECT(fabsl(sgf - known[i].sigmoid) <= 0x1p-48L * fabsl(known[i].sigmoid) + 0x1p-170L,
                   "ref_sigmoid_f32(x=%a, beta=%a) = %a, want %La", (double)xf, (double)bf, sgf, known[i].sigmoid);
        }
    }
    /* Release 1.1's references: the second derivative beta s (1 - s) and the beta gradient
     * (z s - softplus(z))/beta^2, and the inverse log(expm1(beta*y))/beta, mpmath at 400 bits */
    static const struct {
        double beta, x;
        long double dbwd, bbeta;
    } known11[] = {
        {0x1p+0, 0x0p+0, 0.25L, -0.6931471805599453094172321L},
        {0x1p+0, -0x1.3676ccfd606p+2, 0.007699643359985832138492405L, -0.04543320595166213036431322L},
        {0x1p+0, 0x1.2p+5, 2.319522830243568312275032e-16L, -8.582234471901204772987427e-15L},
        {0x1.d333333333333p+2, -0x1.9p+6, 6.735208905459262601666626e-317L, -1.265609911621014300555675e-316L},
        {-0x1p+0, 0x1.ap+1, -0.03593359082532812813094693L, -0.1593537555562038742037796L},
        /* the x = 37.43, where s(1 - s) in double is 0 */
        {0x1p+0, 0x1.2b70a3d70a3d7p+5, 5.550825086253718800841091e-17L, -2.133182080647304239336626e-15L},
        {0x1.d333333333333p+2, 0x1.ffffffffffffep-3, 0.8727868182323924616464204L, -0.007559448508439560574354473L},
        {0x1p+1, -0x1.2cp+8, 5.300793106008621632677359e-261L, -3.982220820888977001548866e-259L},
    };
    static const struct {
        double beta, y;
        long double x;
    } known_inv[] = {
        {0x1p+0, 0x1.62e43p-1, 3.809308596287827761645562e-9L}, /* the float nearest ln 2: x near 0 */
        {0x1p+0, 0x1.62e42fefa39efp-1, -4.638093627692599284769492e-17L}, /* the double nearest ln 2 */
        {0x1p+0, 0x1p-100, -69.31471805599453094172321L},
        {0x1p+0, 0x1.ep+4, 29.99999999999990642377031L},
        {0x1.d333333333333p+2, 0x1p-2, 0.2259172581997310919578565L},
        {-0x1p+0, -0x1p-1, 0.432752129567188571894641L},
        {0x1p-1, 0x1.62e43p+0, 7.618617192575655523291123e-9L},
        {0x1p+0, 0x1p-1074, -744.4400719213812623141073L},
    };
    for (size_t i = 0; i < sizeof known11 / sizeof known11[0]; i++) {
        const double b = known11[i].beta, x = known11[i].x;
        const long double dd = ref_dbwd_curve_f64(x, b), bb = ref_bbeta_curve_f64(x, b);
        EXPECT(fabsl(dd - known11[i].dbwd) <= tol * fabsl(known11[i].dbwd), "ref_dbwd_curve_f64(x=%a, beta=%a) = %La, want %La",
               x, b, dd, known11[i].dbwd);
        EXPECT(fabsl(bb - known11[i].bbeta) <= tol * fabsl(known11[i].bbeta),
               "ref_bbeta_curve_f64(x=%a, beta=%a) = %La, want %La", x, b, bb, known11[i].bbeta);
        const float xf = (float)x, bf = (float)b;
        if ((double)xf == x && (double)bf == b) {
            const double df = ref_dbwd_curve_f32(xf, bf), bbf = ref_bbeta_curve_f32(xf, bf);
            EXPECT(fabsl(df - known11[i].dbwd) <= 0x1p-48L * fabsl(known11[i].dbwd) + 0x1p-170L,
                   "ref_dbwd_curve_f32(x=%a, beta=%a) = %a, want %La", x, b, df, known11[i].dbwd);
            EXPECT(fabsl(bbf - known11[i].bbeta) <= 0x1p-48L * fabsl(known11[i].bbeta) + 0x1p-170L,
                   "ref_bbeta_curve_f32(x=%a, beta=%a) = %a, want %La", x, b, bbf, known11[i].bbeta);
        }
    }
    for (size_t i = 0; i < sizeof known_inv / sizeof known_inv[0]; i++) {
        const double b = known_inv[i].beta, y = known_inv[i].y;
        const long double xv = ref_inv_curve_f64(y, b);
        EXPECT(fabsl(xv - known_inv[i].x) <= tol * fabsl(known_inv[i].x), "ref_inv_curve_f64(y=%a, beta=%a) = %La, want %La",
               y, b, xv, known_inv[i].x);
        const float yf = (float)y, bf = (float)b;
        if ((double)yf == y && (double)bf == b) {
            const double xf = ref_inv_curve_f32(yf, bf);
            EXPECT(fabsl(xf - known_inv[i].x) <= 0x1p-48L * fabsl(known_inv[i].x),
                   "ref_inv_curve_f32(y=%a, beta=%a) = %a, want %La", y, b, xf, known_inv[i].x);
        }
    }
    /* The ULP measure itself: half an ulp, one ulp at a binade edge, subnormal ulps, mismatches. */
    EXPECT(ulp_error_f32(1.0f, 1.0 + 0x1p-24) == 0.5, "ulp_error_f32 at 1 + 2^-24");
    EXPECT(ulp_error_f32(0x1.fffffep-1f, 1.0) == 0.5, "ulp_error_f32 just below 1 (ulp of 1 is 2^-23)");
    EXPECT(ulp_error_f32(0x1p-148f, 0x1p-149) == 1.0, "ulp_error_f32 subnormal");
    EXPECT(ulp_error_f64(0x1p-1073, 0x1p-1074L) == 1.0, "ulp_error_f64 subnormal");
    EXPECT(ulp_error_f64(1.0, 1.0L + 0x1p-52L) == 1.0, "ulp_error_f64 at 1 + 2^-52");
    EXPECT(isinf(ulp_error_f32(0.0f, -0x1p-160)), "a +0 for a negative tiny reference is a sign mismatch");
    EXPECT(ulp_error_f32(-0.0f, -0x1p-160) < 0.01, "-0 for a negative tiny reference");
    EXPECT(isinf(ulp_error_f32(NAN, 1.0)) && isinf(ulp_error_f32(1.0f, NAN)) && ulp_error_f32(NAN, NAN) == 0.0,
           "NaN must meet NaN");
    EXPECT(isinf(ulp_error_f64(DBL_MAX, INFINITY)) && ulp_error_f64(INFINITY, INFINITY) == 0.0,
           "an infinite reference needs the same infinity");
    EXPECT(isinf(ulp_check_f32(nextafterf(3.0f, INFINITY), 3.0, 1)), "the linear branch is exact");
    finish("the reference disagrees with mpmath or the ULP measure is off");
}

/* ---- sweeps ------------------------------------------------------------------------------------------ */

static const double betas[] = {1.0, 0.5, 2.0, -1.0, 7.3};
#define NBETAS (sizeof betas / sizeof betas[0])
/* +inf: the exact function; 20: PyTorch's default; -3.5: a threshold inside the curved part, where
 * the two branches give visibly different values. */
static const double thresholds[] = {INFINITY, 20.0, -3.5};
#define NTHRESHOLDS (sizeof thresholds / sizeof thresholds[0])

enum { BLOCK = 4096 };

typedef struct worst {
    double err;
    uint64_t x, got;  /* the input and the kernel's result */
    long double want; /* the reference, with the threshold rule applied */
    unsigned long long over_bound;
    int seen;
    /* zero results with the wrong sign: how many, and the first */
    unsigned long long sign_wrong;
    uint64_t sign_x, sign_got;
    long double sign_want;
} worst;

/* Records a result; a zero of the wrong sign is counted apart and then measured as the right zero. */
static void track(worst *w, double err, double bound, uint64_t x, uint64_t got, long double want, int sign_wrong)
{
    if (sign_wrong) {
        if (w->sign_wrong++ == 0) {
            w->sign_x = x;
            w->sign_got = got;
            w->sign_want = want;
        }
        return;
    }
    if (err > bound)
        w->over_bound++;
    if (!w->seen || err > w->err) {
        w->seen = 1;
        w->err = err;
        w->x = x;
        w->got = got;
        w->want = want;
    }
}

static void report(const dtype_info *d, const ulp_kernel *k, sp_op op, double beta, double thr, const worst *w,
                   double bound)
{
    print_message("  %s %-11s %s beta %-4g threshold %-4g worst %8.4f ULP at x = %a (got %a, want %La)%s\n", d->u->name,
                  k->name, op_table[op].name, beta, thr, w->err, d->u->val(w->x), d->u->val(w->got), w->want,
                  w->sign_wrong ? " and zeros with the wrong sign" : "");
    EXPECT(w->sign_wrong == 0, "%s beta %g threshold %g: %llu zero results with the wrong sign, first at x = %s: "
           "got %s, want %La", prov(k, op), beta, thr, w->sign_wrong, hex(d, w->sign_x), hex(d, w->sign_got),
           w->sign_want);
    EXPECT(w->over_bound == 0, "%s beta %g threshold %g: %llu results over %.2f ULP, worst %g at x = %s: got %s, "
           "want %La", prov(k, op), beta, thr, w->over_bound, bound, w->err, hex(d, w->x), hex(d, w->got), w->want);
}

typedef struct sweep_case {
    const dtype_info *d;
    size_t beta;
} sweep_case;

/* Every input of the dtype's sweep, every kernel, op and threshold: within the entry's bound, zeros
 * with the sign of the function, the linear branch bit for bit. */
static void test_sweep(void **state)
{
    const sweep_case *sc = *state;
    const dtype_info *d = sc->d;
    const double beta = narrow(d, betas[sc->beta]);
    static _Alignas(64) unsigned char x[BLOCK * 8], y[BLOCK * 8], ones[BLOCK * 8];
    static uint64_t xb[BLOCK];
    static double xv[BLOCK], zf[BLOCK];
    static long double curve[SP_OP_COUNT][BLOCK];
    /* the inputs of an op with sweep_stride s > 1, compacted: xs[op][i] = x[s*i] */
    static _Alignas(64) unsigned char xs[SP_OP_COUNT][BLOCK * 8];
    static worst w[ULP_MAX_KERNELS][SP_OP_COUNT][NTHRESHOLDS];
    memset(w, 0, sizeof w);
    begin();
    for (size_t j = 0; j < BLOCK; j++)
        put(d, ones, j, d->u->enc(1.0));
    for (uint64_t first = 0; first < d->sweep_count; first += BLOCK) {
        const size_t n = d->sweep_count - first < BLOCK ? (size_t)(d->sweep_count - first) : BLOCK;
        for (size_t j = 0; j < n; j++) {
            xb[j] = d->sweep_input(first + j, beta);
            put(d, x, j, xb[j]);
            xv[j] = d->u->val(xb[j]);
            for (int op = 0; op < SP_OP_COUNT; op++)
                if (j % (size_t)op_table[op].sweep_stride == 0)
                    curve[op][j] = op_table[op].curve(d, xv[j], beta);
            zf[j] = narrow(d, beta * xv[j]); /* exact product (f32) or the rounded one (f64), rounded once */
        }
        for (int op = 0; op < SP_OP_COUNT; op++)
            for (size_t j = 0, st = (size_t)op_table[op].sweep_stride; st > 1 && j * st < n; j++)
                put(d, xs[op], j, xb[j * st]);
        for (size_t t = 0; t < NTHRESHOLDS; t++) {
            const double thr = narrow(d, thresholds[t]);
            const sp_any_params p = any_params(d->u->dtype, beta, thr);
            for (size_t ki = 0; ki < kernel_count[d->u->dtype]; ki++) {
                const ulp_kernel *k = &kernels[d->u->dtype][ki];
                if (!ulp_isa_runnable(k->isa))
                    continue;
                for (int o = 0; o < SP_OP_COUNT; o++) {
                    const sp_op op = (sp_op)o;
                    if (!ulp_kernel_owns(k, op))
                        continue; /* a borrowed entry: its own kernel's sweep covers it */
                    const double bound = bound_of(k, op, beta);
                    const size_t st = (size_t)op_table[op].sweep_stride;
                    run(op, k->op[op], (n + st - 1) / st, y, ones, st > 1 ? xs[op] : x, &p);
                    worst *wk = &w[ki][op][t];
                    for (size_t j = 0; j < n; j += st) {
                        const int linear = zf[j] > thr;
                        const long double want = linear ? (long double)ref_linear_value(op, xv[j], 1.0) : curve[op][j];
                        const uint64_t gb = get(d, y, j / st);
                        const double got = d->u->val(gb);
                        double err = d->u->ulp_check(got, want, linear);
                        const int sign_wrong = !linear && d->u->zero_sign_wrong(got, want);
                        if (sign_wrong) {
                            track(wk, err, bound, xb[j], gb, want, 1);
                            err = d->u->ulp_error(-got, want);
                        }
                        if (err > wk->err || err > bound || !wk->seen)
                            track(wk, err, bound, xb[j], gb, want, 0);
                    }
                }
            }
        }
    }
    for (size_t ki = 0; ki < kernel_count[d->u->dtype]; ki++)
        if (ulp_isa_runnable(kernels[d->u->dtype][ki].isa))
            for (int op = 0; op < SP_OP_COUNT; op++)
                for (size_t t = 0; t < NTHRESHOLDS && ulp_kernel_owns(&kernels[d->u->dtype][ki], (sp_op)op); t++)
                    report(d, &kernels[d->u->dtype][ki], (sp_op)op, beta, thresholds[t], &w[ki][op][t],
                           bound_of(&kernels[d->u->dtype][ki], (sp_op)op, beta));
    finish("results over the kernel's bound (see above)");
}

/* ---- one point -------------------------------------------------------------------------------------- */

/* A value the rule and the reference agree on, for every op: within the bound with dy = 1, exact in
 * the linear branch; there a second dy checks that an op returning dy passes it through unchanged. */
/* Under valgrind (SP_TEST_REDUCED) x87 long double has double's precision and range: the f64 kernels of
 * release 1.1's ops (scalar, in long double) and their long double reference overflow there where real
 * x87 does not (NaN for x = +-inf), so those checks are left to the native and sanitizer suites. */
static int long_double_op_unreliable(const dtype_info *d, sp_op op)
{
#ifdef SP_TEST_REDUCED
    return d->long_double_ref && op != SP_OP_FWD && op != SP_OP_BWD;
#else
    (void)d;
    (void)op;
    return 0;
#endif
}

static void check_point(const dtype_info *d, const ulp_kernel *k, double x, double beta, double thr, const char *what)
{
    const uint64_t xb = d->u->enc(x);
    const int linear = d->u->ref_linear(x, beta, thr);
    for (int o = 0; o < SP_OP_COUNT; o++) {
        const sp_op op = (sp_op)o;
        if (long_double_op_unreliable(d, op))
            continue;
        const double bound = bound_of(k, op, beta);
        const double dys[2] = {1.0, -0x1.c3p+0 /* -1.76 */};
        for (int i = 0; i < (linear ? 2 : 1); i++) {
            const uint64_t got = run1(d, op, k, d->u->enc(dys[i]), xb, beta, thr);
            const long double want = op_table[op].ref(d, dys[i], x, beta, thr);
            const double err = d->u->ulp_check(d->u->val(got), want, linear);
            EXPECT(err <= bound, "%s: %s beta %a threshold %a x = %s dy = %a: got %s, want %La (%s branch, %g ULP)",
                   what, prov(k, op), beta, thr, hex(d, xb), dys[i], hex(d, got), want, linear ? "linear" : "formula",
                   err);
        }
    }
}

/* ---- special values ------------------------------------------------------------------------------ */

/* The value at x = +-inf (up: beta*x = +inf) with multiplier m, written out: forward x or beta's zero,
 * backward m*1 or m*0; the second derivative and the beta gradient +0 in the linear branch, else
 * m*beta*0 and -m*0 (NaN for an infinite m); the inverse y where beta*y = +inf, else NaN (outside the
 * range). */
static double op_limit(sp_op op, double m, double x, double beta, double thr, int up)
{
    const int linear = up && thr < INFINITY;
    switch (op) {
    case SP_OP_FWD: return up ? x : copysign(0.0, beta);
    case SP_OP_BWD: return m * (up ? 1.0 : 0.0);
    case SP_OP_DBWD: return linear ? 0.0 : m * (beta * 0.0);
    case SP_OP_INV: return up ? x : NAN;
    case SP_OP_BBETA: return linear ? 0.0 : -(m * 0.0);
    default: return NAN;
    }
}

/* The edges of the f32 kernels' ranges in z = beta*x: the exponentials' clamps (backward's deep lanes below
 * -87, forward's integer scaling up to |z| = 87 with AVX2 and NEON, t rounding to 0 beyond 128), forward's
 * scaled t below -64, the 1.1 ops' special lanes beyond 70. */
static const double range_edges[] = {64.0, 70.0, 87.0, 128.0};

/* NaN in x or in dy gives NaN whatever the payload or signalling bit; +-inf gives x itself where
 * beta*x = +inf, else the zero with the sign of beta (the limit of log1p(exp(z))/beta at z = -inf), and
 * the gradient dy*1 or dy*0, exactly (the reference's values there are exact); zeros, subnormals,
 * the normal minimum and the points either side of the range edges meet the bound; an infinite dy
 * times a sigmoid that is a normal number stays infinite. */
static void test_special_values(void **state)
{
    const dtype_info *d = *state;
    const dtype_inputs *in = d->in;
    begin();
    FOR_EACH_KERNEL(k, d) {
        for (size_t b = 0; b < NBETAS; b++) {
            const double beta = narrow(d, betas[b]);
            for (size_t t = 0; t < NTHRESHOLDS; t++) {
                const double thr = narrow(d, thresholds[t]);
                for (int o = 0; o < SP_OP_COUNT; o++) {
                    const sp_op op = (sp_op)o;
                    if (long_double_op_unreliable(d, op))
                        continue;
                    const int two = op_inputs[op] == 2;
                    for (size_t i = 0; i < sizeof in->nans / sizeof in->nans[0]; i++) {
                        /* a NaN x, against every dy (one dy, unread, for an op without one) */
                        for (size_t j = 0; j < (two ? sizeof in->dys / sizeof in->dys[0] : 1); j++) {
                            const uint64_t got = run1(d, op, k, d->u->enc(in->dys[j]), in->nans[i], beta, thr);
                            EXPECT(isnan(d->u->val(got)), "%s beta %a threshold %a x = NaN %s dy = %a: got %s, want NaN",
                                   prov(k, op), beta, thr, hex(d, in->nans[i]), in->dys[j], hex(d, got));
                        }
                        /* a NaN dy against x anywhere */
                        for (size_t j = 0; two && j < sizeof in->nan_dy_xs / sizeof in->nan_dy_xs[0]; j++) {
                            const uint64_t got = run1(d, op, k, in->nans[i], d->u->enc(in->nan_dy_xs[j]), beta, thr);
                            EXPECT(isnan(d->u->val(got)), "%s beta %a threshold %a x = %a dy = NaN %s: got %s, want NaN",
                                   prov(k, op), beta, thr, in->nan_dy_xs[j], hex(d, in->nans[i]), hex(d, got));
                        }
                    }
                    for (int s = 0; s < 2; s++) {
                        const double x = s ? -INFINITY : INFINITY;
                        /* the limits, written out rather than taken from the long double reference (which
                         * valgrind computes in double precision): beta*x = +inf gives x and dy*1, -inf gives
                         * beta's zero and dy*0 (NaN for an infinite dy) */
                        const int up = (beta > 0) == (x > 0);
                        for (size_t j = 0; j < (two ? sizeof in->dys / sizeof in->dys[0] : 1); j++) {
                            const uint64_t got = run1(d, op, k, d->u->enc(in->dys[j]), d->u->enc(x), beta, thr);
                            const double limit = op_limit(op, in->dys[j], x, beta, thr, up);
                            const uint64_t want = d->u->enc(limit);
                            EXPECT(same_bits(d, got, want), "%s beta %a threshold %a x = %a dy = %a: got %s, want %s",
                                   prov(k, op), beta, thr, x, in->dys[j], hex(d, got), hex(d, want));
                        }
                    }
                    /* an infinite dy: dy itself wherever sigmoid(beta*x) is a normal number (the other
                     * ops: the infinity of dy's sign times the curve's, or +0 in the linear branch) */
                    for (size_t j = 0; two && j < in->n_inf_dy_zs; j++) {
                        const double x = narrow(d, in->inf_dy_zs[j] / beta);
                        for (int s = 0; s < 2; s++) {
                            const uint64_t dy = d->u->enc(s ? -INFINITY : INFINITY);
                            const uint64_t got = run1(d, op, k, dy, d->u->enc(x), beta, thr);
                            const int curve_neg = signbit(op_table[op].curve(d, x, beta)) != 0;
                            const uint64_t want = op == SP_OP_BWD ? dy
                                                  : d->u->ref_linear(x, beta, thr)
                                                      ? d->u->enc(0.0)
                                                      : d->u->enc((s != curve_neg) ? -INFINITY : INFINITY);
                            EXPECT(same_bits(d, got, want), "%s beta %a threshold %a x = %a dy = %s: got %s, want %s",
                                   prov(k, op), beta, thr, x, hex(d, dy), hex(d, got), hex(d, want));
                        }
                    }
                }
                /* zeros (ln2/beta, or x itself when 0 > threshold), subnormals, the normal minimum */
                for (size_t i = 0; i < sizeof in->tiny / sizeof in->tiny[0]; i++)
                    check_point(d, k, in->tiny[i], beta, thr, "zero or subnormal input");
                /* each side of every range edge: x nearest z/beta and three steps either way */
                for (size_t e = 0; e < sizeof range_edges / sizeof range_edges[0]; e++)
                    for (int sign = -1; sign <= 1; sign += 2)
                        for (int s = -3; s <= 3; s++)
                            check_point(d, k, d->u->step(narrow(d, sign * range_edges[e] / beta), s), beta, thr,
                                        "range edge");
            }
        }
    }
    finish("special values");
}

/* ---- the threshold boundary ---------------------------------------------------------------------- */

/* Thresholds whose boundary x (fl(beta*x) == threshold) sits in different places of the curve; 16 and 18 are
 * the smallest that take the FMA kernels' threshold-free loops at beta = 1 (forward, backward: their
 * arithmetic must return x and dy there by itself). */
static const double boundary_thresholds[] = {20.0, -3.5, 0.0, 1.0, 15.5, 16.0, 18.0, -20.0, 88.5, 0x1p-10};

/* For every x near threshold/beta whose rounded product equals the threshold exactly, that x and its
 * neighbours two ulps either way: the linear branch (x, dy bit for bit) exactly where fl(beta*x) >
 * threshold, the formula within the bound elsewhere (for -3.5 the two differ by far more than the
 * bound, so a '>=' would fail). */
static void test_threshold_boundary(void **state)
{
    const dtype_info *d = *state;
    begin();
    FOR_EACH_KERNEL(k, d) {
        for (size_t b = 0; b < NBETAS; b++) {
            const double beta = narrow(d, betas[b]);
            for (size_t t = 0; t < sizeof boundary_thresholds / sizeof boundary_thresholds[0]; t++) {
                const double thr = narrow(d, boundary_thresholds[t]);
                const double x0 = narrow(d, thr / beta);
                int found = 0;
                for (int s = -64; s <= 64; s++) {
                    const double xs = d->u->step(x0, s);
                    if (narrow(d, beta * xs) != thr)
                        continue;
                    found++;
                    for (int j = -2; j <= 2; j++)
                        check_point(d, k, d->u->step(xs, j), beta, thr, "threshold boundary");
                }
                /* with beta = +-2^k, threshold/beta is exact and must be found */
                const int exact = fabs(beta) == 1.0 || fabs(beta) == 0.5 || fabs(beta) == 2.0;
                EXPECT(!exact || found, "no %s x with fl(beta*x) == threshold found for beta %a threshold %a", d->u->name,
                       beta, thr);
            }
        }
    }
    finish("threshold boundary");
}

/* ---- products that overflow the format -------------------------------------------------------- */

/* beta*x overflows to +-inf in the tensor's precision for finite x: the linear branch returns x where
 * the rule says so, and otherwise the result is finite and within the bound (x, or a zero with the
 * sign of beta, or x plus a tiny term). */
static void test_huge_products(void **state)
{
    const dtype_info *d = *state;
#ifdef SP_TEST_REDUCED
    if (d->long_double_ref)
        skip(); /* valgrind's x87 long double is double precision (see main) */
#endif
    const dtype_inputs *in = d->in;
    begin();
    FOR_EACH_KERNEL(k, d) {
        for (size_t b = 0; b < sizeof in->huge_betas / sizeof in->huge_betas[0]; b++) {
            const double beta = in->huge_betas[b];
            const double lim = narrow(d, d->u->max / fabs(beta)); /* products beyond this overflow */
            const double xs[] = {in->huge_xs[0], in->huge_xs[1], in->huge_xs[2], d->u->step(lim, 1), d->u->step(lim, 2),
                                 lim, narrow(d, lim * 1.5), d->u->step(lim, -1)};
            for (size_t t = 0; t < sizeof in->huge_thresholds / sizeof in->huge_thresholds[0]; t++)
                for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
                    for (int s = 0; s < 2; s++) {
                        const double thr = in->huge_thresholds[t], x = s ? -xs[i] : xs[i];
                        if (!isfinite(x))
                            continue;
                        check_point(d, k, x, beta, thr, "huge product");
                        const uint64_t y = run1(d, SP_OP_FWD, k, d->u->enc(1.0), d->u->enc(x), beta, thr);
                        EXPECT(isfinite(d->u->val(y)), "%s beta %a threshold %a x = %s: got %s, want a finite result",
                               prov(k, SP_OP_FWD), beta, thr, hex(d, d->u->enc(x)), hex(d, y));
                    }
        }
    }
    finish("huge products");
}

/* ---- inputs for the layout tests ------------------------------------------------------------------ */

/* Mostly ordinary values (|beta*x| <= 30), every fifth one special, so that tails, lanes and in-place
 * calls also go through whatever path a kernel has for special inputs. */
static uint64_t mixed(const dtype_info *d, uint64_t seed, size_t j, double beta)
{
    const uint64_t r = ulp_mix64(ulp_mix64(seed) + j);
    const double specials[] = {NAN, NAN /* the signalling NaN below */, INFINITY, -INFINITY, 0.0, -0.0,
                               d->u->true_min, d->u->max, -d->u->max, 20.0 / beta, -3.5 / beta, d->in->under[0] / beta,
                               d->in->under[1] / beta};
    if (r % 5 == 0) {
        const size_t s = (r >> 8) % (sizeof specials / sizeof specials[0]);
        return s == 0 ? d->u->qnan : s == 1 ? d->u->snan : d->u->enc(specials[s]);
    }
    return d->u->enc((-30.0 + 60.0 * ulp_unit(r)) / beta);
}

/* The parameter sets the layout tests run with. */
static const struct {
    double beta, threshold;
} layout_params[] = {{1.0, INFINITY}, {7.3, 20.0}, {-1.0, -3.5}};
#define NLAYOUT (sizeof layout_params / sizeof layout_params[0])

/* ---- tails ---------------------------------------------------------------------------------------- */

enum { TAIL_MAX = 64, TAIL_OFFSETS = 16, TAIL_PAD = 16, TAIL_LEN = TAIL_PAD + TAIL_OFFSETS + TAIL_MAX + TAIL_PAD };

/* Every length 1..64 (the kernel contract has n >= 1; n = 0 goes through the public API below) at every
 * start 0..15 from a 64-byte aligned base: each element is bit-identical to the element computed alone
 * (NaN payloads aside), and nothing outside [start, start + n) is written. */
static void test_tails(void **state)
{
    const dtype_info *d = *state;
    const uint64_t canary = d->u->size == 4 ? 0x7fb1c0deu : 0x7ff1c0dec0dec0deu; /* signalling NaNs no kernel makes */
    static _Alignas(64) unsigned char x[TAIL_LEN * 8], dy[TAIL_LEN * 8], out[TAIL_LEN * 8];
    static uint64_t single[TAIL_LEN];
    begin();
    FOR_EACH_KERNEL(k, d) {
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const double beta = narrow(d, layout_params[pi].beta), thr = narrow(d, layout_params[pi].threshold);
            const sp_any_params p = any_params(d->u->dtype, beta, thr);
            for (size_t j = 0; j < TAIL_LEN; j++) {
                put(d, x, j, mixed(d, 11 + pi, j, beta));
                put(d, dy, j, d->u->enc(-2.0 + 4.0 * ulp_unit(ulp_mix64(17 + j))));
            }
            for (int o = 0; o < SP_OP_COUNT; o++) {
                const sp_op op = (sp_op)o;
                for (size_t j = 0; j < TAIL_OFFSETS + TAIL_MAX; j++)
                    single[j] = run1(d, op, k, get(d, dy, TAIL_PAD + j), get(d, x, TAIL_PAD + j), beta, thr);
                for (size_t start = 0; start < TAIL_OFFSETS; start++)
                    for (size_t n = 1; n <= TAIL_MAX; n++) {
                        for (size_t j = 0; j < TAIL_LEN; j++)
                            put(d, out, j, canary);
                        const size_t at = (TAIL_PAD + start) * d->u->size;
                        run(op, k->op[op], n, out + at, dy + at, x + at, &p);
                        for (size_t j = 0; j < TAIL_LEN; j++) {
                            const ptrdiff_t i = (ptrdiff_t)j - TAIL_PAD - (ptrdiff_t)start;
                            const uint64_t got = get(d, out, j);
                            if (i >= 0 && (size_t)i < n)
                                EXPECT(same_bits(d, got, single[start + (size_t)i]),
                                       "%s n %zu start %zu element %td (x = %s): got %s, alone %s", prov(k, op), n,
                                       start, i, hex(d, get(d, x, j)), hex(d, got), hex(d, single[start + (size_t)i]));
                            else
                                EXPECT(got == canary, "%s n %zu start %zu wrote outside [0, n) at %td: %s",
                                       prov(k, op), n, start, i, hex(d, got));
                        }
                    }
            }
        }
    }
    finish("tails");
}

/* Multipliers just past the range the fast kernels take (|dy| > 2^33) against x whose beta*x is huge with the
 * other sign, where the fast backward's test, fma(dy, 2^95 (1 - 2^-24), z), stays finite and the lane keeps the
 * fast path's value (arch/softplus_f32_fast_algorithm.h, sp_fast_multiplier_special_z); and multipliers from
 * 2^33 to 2^64 beside z in [-110, 30], which that test must flag (there the fast path's value can differ
 * from the scalar reference's). One such lane per call among ordinary ones, so that nothing else
 * trips the screen, in calls that run whole blocks: that element must be the one computed alone, for every
 * op with a multiplier and every kernel (test_tails holds every element of a call to its value alone), and
 * for the fast backward the scalar reference's, which redoes such lanes. */
enum { SCREEN_N = 96, SCREEN_ESCAPES = 50, SCREEN_CASES = SCREEN_ESCAPES + 62 };
static void screen_case(size_t c, uint64_t r, double beta, double *dy, double *x)
{
    static const double dys[] = {0x1.000002p33, 0x1.8p33, 0x1.fffffep33, 0x1p33, 0x1p34};
    static const double zs[] = {0x1p104, 0x1.8p110, 0x1.fffffep127, 0x1p103, 0x1p100};
    if (c < SCREEN_ESCAPES) {
        *dy = (c & 1) ? dys[c / 2 % 5] : -dys[c / 2 % 5];
        *x = (*dy > 0 ? -zs[c / 10] : zs[c / 10]) / beta;
    } else {
        const double m = 1.0 + 0x1p-20 + 0.99 * ulp_unit(r); /* above 2^33 */
        *dy = ldexp((c & 1) ? m : -m, 33 + (int)(c - SCREEN_ESCAPES) / 2);
        *x = (-110.0 + 140.0 * ulp_unit(r >> 11)) / beta;
    }
}

static void test_screen_edges(void **state)
{
    const dtype_info *d = *state;
    static _Alignas(64) unsigned char x[SCREEN_N * 8], dy[SCREEN_N * 8], out[SCREEN_N * 8];
    static const double screen_betas[] = {1.0, 0.5, -1.0};
    static const sp_op ops[] = {SP_OP_BWD, SP_OP_DBWD, SP_OP_BBETA};
    begin();
    FOR_EACH_KERNEL(k, d) {
        for (size_t bi = 0; bi < sizeof screen_betas / sizeof screen_betas[0]; bi++)
            for (int ti = 0; ti < 2; ti++) {
                const double beta = screen_betas[bi], thr = ti ? INFINITY : 20.0;
                const sp_any_params p = any_params(d->u->dtype, beta, thr);
                for (size_t c = 0; c < SCREEN_CASES; c++) {
                    const size_t at = ulp_mix64(0x5c9ee7u + c) % SCREEN_N;
                    for (size_t j = 0; j < SCREEN_N; j++) {
                        const uint64_t r = ulp_mix64(0x5c9ee8u + 131 * c + j);
                        double vdy = -2.0 + 4.0 * ulp_unit(r), vx = (-30.0 + 60.0 * ulp_unit(r >> 11)) / beta;
                        if (j == at)
                            screen_case(c, r, beta, &vdy, &vx);
                        put(d, dy, j, d->u->enc(narrow(d, vdy)));
                        put(d, x, j, d->u->enc(narrow(d, vx)));
                    }
                    for (size_t oi = 0; oi < sizeof ops / sizeof ops[0]; oi++) {
                        const sp_op op = ops[oi];
                        if (op != SP_OP_BWD && !ulp_kernel_owns(k, op))
                            continue; /* a borrowed entry: tested as its own kernel's */
                        run(op, k->op[op], SCREEN_N, out, dy, x, &p);
                        /* a fast backward redoes the lane by the scalar reference, or (escaping its test) gets
                         * the reference's value anyway */
                        const int redone = k->tier == SOFTPLUS_ACCURACY_FAST && op == SP_OP_BWD;
                        const ulp_kernel *ref = redone ? &kernels[d->u->dtype][0] : k; /* scalar first */
                        const uint64_t want = run1(d, op, ref, get(d, dy, at), get(d, x, at), beta, thr);
                        EXPECT(same_bits(d, get(d, out, at), want),
                               "%s beta %a threshold %a element %zu (dy = %s, x = %s): got %s, %s %s", prov(k, op),
                               beta, thr, at, hex(d, get(d, dy, at)), hex(d, get(d, x, at)), hex(d, get(d, out, at)),
                               redone ? "scalar reference" : "alone", hex(d, want));
                    }
                }
            }
    }
    finish("multipliers past 2^33 in whole blocks");
}

/* The public function of (op, dtype): out = op(dy, x) over n contiguous elements. */
static softplus_status public_call(sp_op op, sp_dtype dtype, size_t n, void *out, const void *dy, const void *x,
                                   double beta, double thr)
{
#define PUBLIC_INPUTS_1(T) (const T *)x, NULL,
#define PUBLIC_INPUTS_2(T) (const T *)dy, NULL, (const T *)x, NULL,
#define PUBLIC_CALL(OTAG, public, inputs, dtag, DTAG, T, C)                                              \
    if (op == SP_OP_##OTAG && dtype == SP_DTYPE_##DTAG)                                                  \
        return softplus_##public##_##dtag(1, &n, PUBLIC_INPUTS_##inputs(T)(T *)out, NULL, (C)beta, (C)thr);
#define PUBLIC_CALL_D(o, dtag, DTAG, storage, size, compute, ctag) SP_CALL(PUBLIC_CALL, SP_UNPACK o, dtag, DTAG, storage, compute)
#define PUBLIC_CALL_O(ctx, otag, OTAG, public, inputs) SP_STORED_DTYPES(PUBLIC_CALL_D, (OTAG, public, inputs))
    SP_OPS(PUBLIC_CALL_O, ~)
    return (softplus_status)-1;
}

/* The same through the public API with each supported kernel set forced: lengths 0..64 (0 touches
 * nothing) at starts 0..15, every element as computed alone by that set. */
static void test_tails_public_api(void **state)
{
    (void)state;
    static _Alignas(64) unsigned char x[TAIL_LEN * 8], dy[TAIL_LEN * 8], out[TAIL_LEN * 8], single[TAIL_LEN * 8];
    begin();
#define TAILS_ISA(ctx, tag, TAG, fallback, priority, features) SOFTPLUS_ISA_##TAG,
    static const softplus_isa isas[] = {SP_ISAS(TAILS_ISA, ~)};
    for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
        if (!softplus_isa_supported(isas[ii]))
            continue;
        assert_int_equal(softplus_set_isa(isas[ii]), SOFTPLUS_OK);
        const char *name = softplus_isa_name(isas[ii]);
        for (size_t pi = 0; pi < NLAYOUT; pi++)
            for (int dt = 0; dt < NDTYPES; dt++) {
                const dtype_info *d = &dtypes[dt];
                const uint64_t canary = d->u->size == 4 ? 0x7fb1c0deu : 0x7ff1c0dec0dec0deu;
                const double beta = narrow(d, layout_params[pi].beta), thr = narrow(d, layout_params[pi].threshold);
                for (size_t j = 0; j < TAIL_LEN; j++) {
                    put(d, x, j, mixed(d, 23 + pi, j, beta));
                    put(d, dy, j, d->u->enc(-2.0 + 4.0 * ulp_unit(ulp_mix64(29 + j))));
                }
                for (int o = 0; o < SP_OP_COUNT; o++) {
                    const sp_op op = (sp_op)o;
                    for (size_t j = 0; j < TAIL_LEN; j++) {
                        const size_t at = j * d->u->size;
                        const softplus_status s = public_call(op, d->u->dtype, 1, single + at, dy + at, x + at, beta, thr);
                        EXPECT(s == SOFTPLUS_OK, "%s %s %s: a one-element call failed", name, d->u->name, op_table[op].name);
                    }
                    for (size_t start = 0; start < TAIL_OFFSETS; start++)
                        for (size_t n = 0; n <= TAIL_MAX; n++) {
                            for (size_t j = 0; j < TAIL_LEN; j++)
                                put(d, out, j, canary);
                            const size_t at = TAIL_PAD + start;
                            const softplus_status s = public_call(op, d->u->dtype, n, out + at * d->u->size,
                                                                  dy + at * d->u->size, x + at * d->u->size, beta, thr);
                            EXPECT(s == SOFTPLUS_OK, "%s %s %s n %zu: status %d", name, d->u->name, op_table[op].name, n,
                                   (int)s);
                            for (size_t j = 0; j < TAIL_LEN; j++) {
                                const int inside = j >= at && j < at + n;
                                const uint64_t got = get(d, out, j), want = inside ? get(d, single, j) : canary;
                                EXPECT(inside ? same_bits(d, got, want) : got == canary,
                                       "%s %s %s n %zu start %zu index %zu: got %s, want %s", name, d->u->name,
                                       op_table[op].name, n, start, j, hex(d, got), hex(d, want));
                            }
                        }
                }
            }
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    finish("tails through the public API");
}

/* ---- control values in one lane ------------------------------------------------------------------ */

enum { LANES = 64 };

/* A NaN, an infinity or another special value in one position must not change any other position's
 * result: every element is compared with the element computed alone. */
static void test_control_lane(void **state)
{
    const dtype_info *d = *state;
    const dtype_inputs *in = d->in;
    enum { NBITS = sizeof in->control_bits / sizeof in->control_bits[0] };
    enum { NCONTROLS = NBITS + sizeof in->control_vals / sizeof in->control_vals[0] };
    const double dy_controls[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, d->u->max};
    static _Alignas(64) unsigned char x[LANES * 8], dy[LANES * 8], out[LANES * 8];
    uint64_t base[LANES], single[LANES]; /* each element computed alone: without, then with the control */
    begin();
    FOR_EACH_KERNEL(k, d) {
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const double beta = narrow(d, layout_params[pi].beta), thr = narrow(d, layout_params[pi].threshold);
            const sp_any_params p = any_params(d->u->dtype, beta, thr);
            for (int o = 0; o < SP_OP_COUNT; o++) {
                const sp_op op = (sp_op)o;
                const size_t ndy = op_inputs[op] == 2 ? sizeof dy_controls / sizeof dy_controls[0] : 0;
                for (size_t j = 0; j < LANES; j++) {
                    const uint64_t xj = d->u->enc((-30.0 + 60.0 * ulp_unit(ulp_mix64(31 + j))) / beta);
                    base[j] = run1(d, op, k, d->u->enc(0.5 + ulp_unit(ulp_mix64(37 + j))), xj, beta, thr);
                }
                for (size_t c = 0; c < NCONTROLS + ndy; c++)
                    for (size_t lane = 0; lane < LANES; lane++) {
                        for (size_t j = 0; j < LANES; j++) {
                            put(d, x, j, d->u->enc((-30.0 + 60.0 * ulp_unit(ulp_mix64(31 + j))) / beta));
                            put(d, dy, j, d->u->enc(0.5 + ulp_unit(ulp_mix64(37 + j))));
                        }
                        if (c < NBITS)
                            put(d, x, lane, in->control_bits[c]);
                        else if (c < NCONTROLS)
                            put(d, x, lane, d->u->enc(in->control_vals[c - NBITS]));
                        else
                            put(d, dy, lane, d->u->enc(dy_controls[c - NCONTROLS]));
                        memcpy(single, base, sizeof single);
                        single[lane] = run1(d, op, k, get(d, dy, lane), get(d, x, lane), beta, thr);
                        run(op, k->op[op], LANES, out, dy, x, &p);
                        for (size_t j = 0; j < LANES; j++)
                            EXPECT(same_bits(d, get(d, out, j), single[j]),
                                   "%s control %s %s in lane %zu: lane %zu (x = %s, dy = %s) got %s, alone %s",
                                   prov(k, op), c < NCONTROLS ? "x" : "dy",
                                   hex(d, get(d, c < NCONTROLS ? x : dy, lane)), lane, j, hex(d, get(d, x, j)),
                                   hex(d, get(d, dy, j)), hex(d, get(d, out, j)), hex(d, single[j]));
                    }
            }
        }
    }
    finish("control lanes");
}

/* ---- in place ------------------------------------------------------------------------------------- */

enum { INPLACE_N = 1000 };

/* The output may be any input array (and all of them at once): y == x; dx == dy, dx == x and
 * dx == dy == x give the same bits as separate buffers; at 1000 elements (blocks) and at every length up
 * to 33 (a tail alone, one vector in registers and a tail, two vectors of the widest kernel and one more). */
static void test_in_place(void **state)
{
    const dtype_info *d = *state;
    static _Alignas(64) unsigned char x[INPLACE_N * 8], dy[INPLACE_N * 8], want[INPLACE_N * 8], buf[INPLACE_N * 8];
    begin();
    FOR_EACH_KERNEL(k, d) {
        for (size_t n = 1; n <= INPLACE_N; n = n == 33 ? INPLACE_N : n + 1)
        for (size_t pi = 0; pi < NLAYOUT; pi++) {
            const size_t bytes = n * d->u->size;
            const double beta = narrow(d, layout_params[pi].beta), thr = narrow(d, layout_params[pi].threshold);
            const sp_any_params p = any_params(d->u->dtype, beta, thr);
            for (size_t j = 0; j < n; j++) {
                put(d, x, j, mixed(d, 41 + pi, j, beta));
                put(d, dy, j, mixed(d, 43 + pi, j, 1.0));
            }
            for (int o = 0; o < SP_OP_COUNT; o++) {
                const sp_op op = (sp_op)o;
                const int ninputs = op_inputs[op];
                /* the output over input `alias` (0: dy, 1: x), or over every input (-1), which all hold x */
                for (int alias = ninputs == 2 ? -1 : 1; alias <= 1; alias++) {
                    if (alias == -1) {
                        run(op, k->op[op], n, want, x, x, &p);
                        memcpy(buf, x, bytes);
                        run(op, k->op[op], n, buf, buf, buf, &p);
                    } else {
                        run(op, k->op[op], n, want, dy, x, &p);
                        memcpy(buf, alias ? x : dy, bytes);
                        run(op, k->op[op], n, buf, alias ? dy : buf, alias ? buf : x, &p);
                    }
                    static const char *const what[] = {"over every input", "over dy", "over x"};
                    for (size_t j = 0; j < n; j++)
                        EXPECT(same_bits(d, get(d, buf, j), get(d, want, j)),
                               "%s output %s, n = %zu, x = %s dy = %s: got %s, want %s", prov(k, op), what[alias + 1], n,
                               hex(d, get(d, x, j)), hex(d, get(d, alias == -1 ? x : dy, j)), hex(d, get(d, buf, j)),
                               hex(d, get(d, want, j)));
                }
            }
        }
    }
    finish("in place");
}

/* ---- backward (and every op with a multiplier) with any dy --------------------------------------- */

/* softplus.h's backward contract for dy != 1: dx = dy*s rounded once, s within the entry's bound of the
 * sigmoid (ulp_bwd_contract_*). dy of every magnitude against x spread over the curve and over every
 * binade, in arrays long enough for every vector path and its tails; then the fuzzer's witnesses.
 * The second derivative and the beta gradient keep the same contract with their own unit value
 * (ulp_mult_contract_*), and +0 bit for bit in the linear branch. */
#if defined(SP_TEST_EMULATED) || defined(SP_TEST_SANITIZED)
enum { ANY_DY_N = 1024 }; /* still every vector path and tail; a quarter of the calls where each costs more */
#else
enum { ANY_DY_N = 4096 };
#endif

static double any_contract(const dtype_info *d, sp_op op, double got, double m, double x, double beta, double thr,
                           double bound)
{
    if (op == SP_OP_BWD)
        return d->u->bwd_contract(got, m, x, beta, thr, bound);
    if (d->u->ref_linear(x, beta, thr))
        return same_bits(d, d->u->enc(got), d->u->enc(0.0)) ? 0.0 : INFINITY;
    return d->u->mult_contract(got, m, d->u->ref_curve(op, x, beta), isfinite(x), bound);
}

static void test_backward_any_dy(void **state)
{
    const dtype_info *d = *state;
    const dtype_inputs *in = d->in;
#ifdef SP_TEST_REDUCED
    skip(); /* valgrind's x87 long double is double precision (see main): the contract check uses it */
#endif
    if (d->long_double_ref && !ref_f64_is_accurate())
        skip();
    static const sp_op ops[] = {SP_OP_BWD, SP_OP_DBWD, SP_OP_BBETA};
    begin();
    static _Alignas(64) unsigned char dy[ANY_DY_N * 8], x[ANY_DY_N * 8], dx[ANY_DY_N * 8];
    FOR_EACH_KERNEL(k, d) {
        for (size_t oi = 0; oi < sizeof ops / sizeof ops[0]; oi++) {
            const sp_op op = ops[oi];
            if (op != SP_OP_BWD && !ulp_kernel_owns(k, op))
                continue; /* a borrowed entry: tested as its own kernel's */
            for (size_t b = 0; b < sizeof in->any_dy_betas / sizeof in->any_dy_betas[0]; b++) {
                const double beta = in->any_dy_betas[b];
                for (int ti = 0; ti < 2; ti++) {
                    const double thr = ti ? 20.0 : INFINITY;
                    const sp_any_params p = any_params(d->u->dtype, beta, thr);
                    for (uint64_t round = 0; round < (uint64_t)in->any_dy_rounds; round++) {
                        for (size_t i = 0; i < ANY_DY_N; i++) {
                            const uint64_t r = ulp_mix64(in->any_dy_seed ^ (round << 40) ^ (b << 32) ^ i);
                            put(d, dy, i, d->u->enc(d->any_dy(r)));
                            put(d, x, i, d->any_dy_x(r, round, i, beta, thr));
                        }
                        const size_t n = ANY_DY_N - (size_t)(round % 4); /* tails of every length */
                        run(op, k->op[op], n, dx, dy, x, &p);
                        for (size_t i = 0; i < n; i++) {
                            const double vdy = d->u->val(get(d, dy, i)), vx = d->u->val(get(d, x, i));
                            const double q = any_contract(d, op, d->u->val(get(d, dx, i)), vdy, vx, beta, thr,
                                                          bound_of(k, op, beta));
                            EXPECT(q <= 1.0, "%s beta %a threshold %a dy = %s x = %s: got %s, want %La (%.3g of the "
                                   "tolerance)", prov(k, op), beta, thr, hex(d, get(d, dy, i)), hex(d, get(d, x, i)),
                                   hex(d, get(d, dx, i)), op_table[op].ref(d, vdy, vx, beta, thr), q);
                        }
                    }
                }
            }
            for (size_t c = 0; c < in->n_witnesses; c++) {
                const double *w = in->witnesses[c];
                const uint64_t got = run1(d, op, k, d->u->enc(w[0]), d->u->enc(w[1]), w[2], INFINITY);
                const double q = any_contract(d, op, d->u->val(got), w[0], w[1], w[2], INFINITY, bound_of(k, op, w[2]));
                EXPECT(q <= 1.0, "%s witness beta %a dy = %a x = %a: got %s, want %La (%.3g of the tolerance)",
                       prov(k, op), w[2], w[0], w[1], hex(d, got), op_table[op].ref(d, w[0], w[1], w[2], INFINITY), q);
            }
        }
    }
    finish("a multiplier's result outside the contract RN(m*unit)");
}

/* ---- forward results scaled up by 1/beta --------------------------------------------------------- */

/* With a tiny |beta|, log1p(exp(beta*x)) far below the format's range becomes a normal or subnormal
 * result after the division by beta (F3: SSE4.1 capped |beta*x| at 120). z = beta*x sweeps the region
 * where exp(-|z|)/|beta| crosses the format's range, for beta down to the smallest subnormal. */
static void test_forward_tiny_beta(void **state)
{
    const dtype_info *d = *state;
    const dtype_inputs *in = d->in;
#ifdef SP_TEST_REDUCED
    if (d->long_double_ref)
        skip(); /* valgrind's x87 long double is double precision (see main): the reference and the scalar
                 * kernel, both long double, lose the range these products need */
#endif
    if (d->long_double_ref && !ref_f64_is_accurate())
        skip();
    const sp_op op = SP_OP_FWD;
    begin();
    enum { N = 2048 };
    static _Alignas(64) unsigned char x[N * 8], y[N * 8];
    FOR_EACH_KERNEL(k, d) {
        for (size_t b = 0; b < sizeof in->tiny_betas / sizeof in->tiny_betas[0]; b++) {
            const double beta = in->tiny_betas[b];
            const sp_any_params p = any_params(d->u->dtype, beta, INFINITY);
            size_t n = 0;
            for (uint64_t i = 0; n < N && i < 4 * N; i++) {
                const double z = in->tiny_z[0] + in->tiny_z[1] * ulp_unit(ulp_mix64(in->tiny_seed ^ (b << 32) ^ i));
                const double v = narrow(d, z / beta);
                if (isfinite(v))
                    put(d, x, n++, d->u->enc(v));
            }
            if (in->tiny_witness[b] != 0)
                put(d, x, 0, d->u->enc(in->tiny_witness[b]));
            run(op, k->op[op], n, y, NULL, x, &p);
            for (size_t i = 0; i < n; i++) {
                const long double want = d->u->ref_fwd(d->u->val(get(d, x, i)), beta, INFINITY);
                const double err = d->u->ulp_error(d->u->val(get(d, y, i)), want);
                EXPECT(err <= bound_of(k, op, beta), "%s beta %a x = %s: got %s, want %La (%g ULP)", prov(k, op), beta,
                       hex(d, get(d, x, i)), hex(d, get(d, y, i)), want, err);
            }
        }
    }
    finish("forward with a tiny beta beyond the bound");
}

/* ---- the suite ------------------------------------------------------------------------------------ */

/* One cmocka test per (property, dtype), named <property>_<dtype> as before the tables. */
#define DTYPE_TEST_(ctx, tag, TAG, storage, size, compute, ctag)                                         \
    {#ctx "_" #tag, ctx, NULL, NULL, (void *)&dtypes[SP_DTYPE_##TAG]},
#define DTYPE_TESTS(fn) SP_STORED_DTYPES(DTYPE_TEST_, fn)

/* The sweeps: one test per (dtype, beta), test_sweep_<dtype>_within_bound_beta_<beta> (betas[]). */
#define SWEEP_BETAS(X, c) X(c, 0, "1") X(c, 1, "0.5") X(c, 2, "2") X(c, 3, "-1") X(c, 4, "7.3")
#define SWEEP_CASE(c, b, text) {&dtypes[SP_CALL(SWEEP_DTYPE, SP_UNPACK c)], b},
#define SWEEP_DTYPE(tag, TAG) SP_DTYPE_##TAG
#define SWEEP_CASES_D(ctx, tag, TAG, storage, size, compute, ctag) {SWEEP_BETAS(SWEEP_CASE, (tag, TAG))},
static const sweep_case sweep_cases[SP_DTYPE_COUNT][NBETAS] = {SP_STORED_DTYPES(SWEEP_CASES_D, ~)};
#define SWEEP_TEST(c, b, text) SP_CALL(SWEEP_TEST_, SP_UNPACK c, b, text)
#define SWEEP_TEST_(tag, TAG, b, text)                                                                   \
    {"test_sweep_" #tag "_within_bound_beta_" text, test_sweep, NULL, NULL, (void *)&sweep_cases[SP_DTYPE_##TAG][b]},
#define SWEEP_TESTS_D(ctx, tag, TAG, storage, size, compute, ctag) SWEEP_BETAS(SWEEP_TEST, (tag, TAG))
#define SWEEP_ALL SP_STORED_DTYPES(SWEEP_TESTS_D, ~)

int main(void)
{
    for (int dt = 0; dt < NDTYPES; dt++)
        kernel_count[dt] = ulp_kernels((sp_dtype)dt, kernels[dt]);
    for (int op = 0; op < SP_OP_COUNT; op++)
        if (op_table[op].inputs != op_inputs[op]) {
            fprintf(stderr, "test_accuracy: op_table[%d] disagrees with SP_OPS on the inputs\n", op);
            return 1;
        }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_matches_mpmath),
        DTYPE_TESTS(test_special_values)
        DTYPE_TESTS(test_threshold_boundary)
        DTYPE_TESTS(test_huge_products)
        DTYPE_TESTS(test_tails)
        DTYPE_TESTS(test_screen_edges)
        cmocka_unit_test(test_tails_public_api),
        DTYPE_TESTS(test_control_lane)
        DTYPE_TESTS(test_in_place)
        DTYPE_TESTS(test_backward_any_dy)
        DTYPE_TESTS(test_forward_tiny_beta)
        SWEEP_ALL
    };
#ifdef SP_TEST_REDUCED
    /* valgrind (SOFTPLUS_TEST_REDUCED): the sweeps, 15M f32 and 1M f64 inputs per beta, would take hours
     * (the f32 ulp_sweep tests sample the kernels there instead); and valgrind computes x87 long double
     * in double precision, so the long double f64 reference is wrong where the mpmath check and the huge
     * products, tiny betas and the any-dy contract look (a reference of NaN for beta*x past DBL_MAX):
     * those tests skip themselves */
    cmocka_set_skip_filter("test_sweep_*");
#endif
    return cmocka_run_group_tests_name("accuracy", tests, group_setup, NULL);
}

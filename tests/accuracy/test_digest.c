/* test_digest.c -- cross-architecture bit identity: every FMA kernel reproduces one committed digest.
 * SPDX-License-Identifier: MIT
 *
 * The FMA kernels -- x86 AVX2 and AVX-512, aarch64 NEON -- run one algorithm in one operation order, so
 * a user gets the same bits whichever of them the machine picks. This suite runs each of them that the
 * build has and the CPU runs over a fixed, deterministic input set and compares a digest of the results
 * with a constant committed below: ONE CONSTANT PER (dtype, op), four in all, so a failure says at once
 * which kernel op broke. A kernel set this CPU lacks is skipped with a message; a dtype for which no FMA
 * kernel ran at all fails (the test must not pass without testing), except on architectures that have
 * no FMA kernels. The scalar and SSE4.1 kernels use other methods (no FMA, other reductions), so their
 * last bits are not expected to match, and they are not part of the digest.
 *
 * Digest: 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3; checked below against
 * the published test vectors) over the bytes of each result's bit pattern, least significant byte
 * first (so the host's byte order does not matter), results in input order: for each (beta, threshold)
 * in the order of the tables below, the inputs of regions R0..R7 in order. NaNs are hashed as they come,
 * sign and payload included: the header's NaN policy fixes them on every ISA (an input's NaN quieted,
 * backward preferring dy's; the NaN of +-inf times the sigmoid 0 of an infinite x is 0x7ff8..., where
 * x86's own default would be 0xfff8... and aarch64's 0x7ff8...).
 *
 * Inputs, per (beta, threshold); r = splitmix64 outputs keyed by (dtype, combination, index), built with
 * integer and correctly rounded IEEE operations only (no libm: exp2 or log may differ in the last bit
 * between two C libraries, which would change the inputs, not the kernels):
 *   R0 walk      every binade and sign: f32 pattern 16411*j + 1187*c + 37 (2^18 of them: all 2^32 in
 *                steps of 16411, each combination a different offset); f64 pattern j*(2^48 + 0x2b87)
 *                plus an offset per combination (2^16).
 *   R1 boundary  ulp by ulp around threshold/beta (20/beta for threshold = +inf), +-2^15 (f32) or
 *                +-2^14 (f64) ulps: the rule fl(beta*x) > threshold flips inside.
 *   R2 edges     beta*x where exp(-|beta*x|) underflows and the special paths start (f32 +-[80, 110],
 *                +-[86, 90], [-135, -120]; f64 +-[690, 760], +-[1950, 2150]) and |beta*x| up to 1000.
 *   R3 main      beta*x uniform in [-40, 40], where the result is neither linear nor tiny.
 *   R4 tiny      subnormal x, and x within a few ulps of the smallest normal.
 *   R5 magnitude log-uniform |x| over 2^-30..2^30 (f32) or 2^-60..2^60 (f64), either sign.
 *   R6 specials  +-0, +-denorm_min, +-min normal, +-max, +-inf, NaNs (quiet, signaling, negative, with
 *                payloads), +-1, ln 2, 20, 40, the exp overflow and underflow points, each with its
 *                bit pattern stepped by -4..4.
 *   R7 random    uniformly random bit patterns.
 * dy (backward): half uniform in [-4, 4], 1 and -1, scaled values over 2^-60..2^60, any finite value of
 * the format (subnormals included), and specials (+-0, +-inf, NaN, +-max, +-denorm_min, min normal).
 * The kernels are called on blocks whose lengths cycle through 1..17, 31..33, 63..65, 255..257, 511,
 * 1021 and 4093, so every tail length of every vector width is in the digest (a kernel must give the
 * same result for an element whatever its position). Each call's output is poisoned beforehand and has
 * a guard element behind it.
 *
 * Sizes: 14 (beta, threshold) combinations each; f32 2^19 inputs per combination (7.3 M results per op),
 * f64 2^18 (3.7 M per op): about 0.8 s natively with both x86 sets, 9 s CPU under qemu-aarch64.
 * Changing the inputs or the digest changes the constants; a deliberate change of the kernels' results
 * must say so in its commit, with the new digests (printed by a failing run).
 *
 * Diagnosis: a failure prints got and want in hex; where two kernels ran (AVX2 and AVX-512) the first
 * input on which they differ; and a digest per (beta, threshold) and input region, so a run on another
 * architecture can be compared line by line (set SP_DIGEST_TABLE=1 to print the table on success too).
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

#include "any_params.h"
#include "dispatch.h"
#include "registry.h"

/* ---- the committed digests ---------------------------------------------------------------------- */
/* Produced by avx2 and avx512 (x86-64: AMD EPYC Zen 5, Intel Xeon with AVX-512) and by neon (aarch64 under
 * qemu-aarch64 7.2); since the NaN policy, with NaNs hashed as they come. */
#define DIGEST_FWD_F32 0xf23024eecb3a0c0cull /* Dec 2026: deep path below -40 (EB by Estrin) */
#define DIGEST_BWD_F32 0xf0c402fbdd224df1ull /* Dec 2026: 1/(1 + exp(-z)), EB by Estrin */
#define DIGEST_FWD_F64 0x8d1e02c735540ee2ull
#define DIGEST_BWD_F64 0xdfb17f6d4fd68b34ull /* Dec 2026: the sigmoid as 1/(1 + exp(-z)) */
/* The fast tier's kernels (arch/softplus_f32_fast_algorithm.h: f32 only), from avx2 and avx512 (AMD
 * EPYC Zen 4) and neon (qemu-aarch64 7.2). Changed in issue 11's speed work: the forward's exp has a
 * degree-5 polynomial at beta = 1 (2^n by an integer add or vscalefps, the same values), the backward
 * divides dy by 1 + exp(-z); in December 2026 the backward's exp took degree 5 at beta = 1 too. */
#define DIGEST_FWD_F32_FAST 0x57d2aed081a28006ull
#define DIGEST_BWD_F32_FAST 0xb2e6030df42da7d7ull
/* release 1.1's second derivative, beta gradient and inverse (the SSE4.1 set keeps the scalar reference for
 * all three) */
#define DIGEST_DBWD_F32 0x479c87b99e35ca75ull /* Dec 2026: T/u^2, one residual; EB by Estrin */
#define DIGEST_BBETA_F32 0x39e0bf5473a9d451ull /* Dec 2026: deep path above 40; EB by Estrin */
#define DIGEST_INV_F32 0x04d1c08017f1c602ull /* Dec 2026: log1p(1 + 2X) - ln2, no quotient; M by Estrin */
#define DIGEST_DBWD_F64 0x56130413d3dee994ull
#define DIGEST_BBETA_F64 0x9d3f73493fb52315ull
#define DIGEST_INV_F64 0x4ff650dd1a9ba26eull /* Dec 2026: the f64 FMA inverse */

/* ---- FNV-1a 64 ---------------------------------------------------------------------------------- */
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv_bytes(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* the `bytes` low bytes of u, least significant first */
static uint64_t fnv_le(uint64_t h, uint64_t u, size_t bytes)
{
    for (size_t k = 0; k < bytes; k++) {
        h ^= (u >> (8 * k)) & 0xffu;
        h *= FNV_PRIME;
    }
    return h;
}

/* ---- bits and the generator --------------------------------------------------------------------- */
static uint32_t bits_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float f32_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint64_t bits_f64(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double f64_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}


/* The i-th output of splitmix64 started at state key: stateless, so any element can be made alone. */
static uint64_t rnd(uint64_t key, uint64_t i)
{
    uint64_t z = key + (i + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* uniform in [lo, hi): 53 random bits, then one multiply and one add, each correctly rounded */
static double uniform(uint64_t r, double lo, double hi)
{
    return lo + (double)(r >> 11) * 0x1p-53 * (hi - lo);
}

/* 2^e for e in [-1022, 1023], built from its bits */
static double pow2(int e)
{
    return f64_of((uint64_t)(e + 1023) << 52);
}

/* x moved k ulps along the real line (through zero from one sign to the other); finite x */
static float step_f32(float x, int32_t k)
{
    const uint32_t b = bits_f32(x);
    int64_t o = (b & 0x80000000u) ? -(int64_t)(b & 0x7fffffffu) : (int64_t)b;
    o += k;
    return o < 0 ? f32_of(0x80000000u | (uint32_t)(-o)) : f32_of((uint32_t)o);
}

static double step_f64(double x, int64_t k)
{
    const uint64_t b = bits_f64(x);
    const uint64_t mag = b & 0x7fffffffffffffffull;
    /* magnitudes stay below 2^63, so the signed arithmetic cannot overflow */
    int64_t o = (b >> 63) ? -(int64_t)mag : (int64_t)mag;
    o += k;
    return o < 0 ? f64_of(0x8000000000000000ull | (uint64_t)(-o)) : f64_of((uint64_t)o);
}

/* ---- the combinations and regions --------------------------------------------------------------- */
/* 1 and a power of two; negative; not powers of two; a tiny and a huge one (their special paths) */
static const float betas_f32[] = {1.0f, 0.5f, -1.0f, 7.3f, -2.7f, 3e-9f, -5e24f};
static const double betas_f64[] = {1.0, 0.5, -1.0, 7.3, -2.7, 1e-301, -3e250};
#define NBETAS 7
#define NTHR 2
#define NCOMBOS (NBETAS * NTHR)
static const double thresholds[NTHR] = {20.0, INFINITY};

enum { NREGIONS = 8 };
static const char *const region_names[NREGIONS] = {"walk", "boundary", "edges", "main",
                                                   "tiny", "magnitude", "specials", "random"};
/* region sizes per combination; each list sums to the per-combination count */
static const uint32_t region_size_f32[NREGIONS] = {1u << 18, 1u << 16, 1u << 16, 1u << 15,
                                                   1u << 14, 1u << 15, 1u << 14, 1u << 15};
static const uint32_t region_size_f64[NREGIONS] = {1u << 16, 1u << 15, 1u << 15, 1u << 15,
                                                   1u << 13, 1u << 14, 1u << 13, 1u << 16};
#define PER_COMBO_F32 (1u << 19)
#define PER_COMBO_F64 (1u << 18)

/* region of index i, and i's offset inside it */
static int region_of(const uint32_t *sizes, uint32_t i, uint32_t *j)
{
    int g = 0;
    while (i >= sizes[g]) {
        i -= sizes[g];
        g++;
    }
    *j = i;
    return g;
}

static const uint32_t specials_f32[] = {
    0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x00800000u, 0x80800000u, 0x7f7fffffu,
    0xff7fffffu, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff812345u,
    0x7fbfffffu, 0x3f800000u, 0xbf800000u, 0x3f317218u /* ln 2 */, 0x41a00000u /* 20 */,
    0xc1a00000u, 0x42200000u /* 40 */, 0x42b17218u /* 88.72: exp overflows */,
    0xc2aeac50u /* -87.34: exp(-x) subnormal */, 0xc2cff1b5u /* -103.97: exp(x) = 0 */, 0x43000000u /* 128 */,
    0xc3000000u,
};

static const uint64_t specials_f64[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull, 0x8000000000000001ull,
    0x0010000000000000ull, 0x8010000000000000ull, 0x7fefffffffffffffull, 0xffefffffffffffffull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
    0x7ff0000000000001ull, 0xfff4000000012345ull, 0x7ff7ffffffffffffull, 0x3ff0000000000000ull,
    0xbff0000000000000ull, 0x3fe62e42fefa39efull /* ln 2 */, 0x4034000000000000ull /* 20 */,
    0xc034000000000000ull, 0x4044000000000000ull /* 40 */, 0x40862e42fefa39efull /* 709.78 */,
    0xc086232bdd7abcd2ull /* -708.40: exp(x) subnormal */, 0xc0874910d52d3051ull /* -745.13 */,
    0x4085e00000000000ull /* 700 */, 0xc0a0000000000000ull /* -2048 */, 0x40a0000000000000ull,
};
#define NSPECIAL_F32 (sizeof specials_f32 / sizeof specials_f32[0])
#define NSPECIAL_F64 (sizeof specials_f64 / sizeof specials_f64[0])

static float gen_x_f32(int c, uint32_t i)
{
    const double beta = betas_f32[c / NTHR];
    const double thr = thresholds[c % NTHR];
    const uint64_t r = rnd(0xf32f32ull + (uint64_t)c * 0x1000000ull, i);
    uint32_t j;
    switch (region_of(region_size_f32, i, &j)) {
    case 0:
        return f32_of(j * 16411u + (uint32_t)c * 1187u + 37u);
    case 1: {
        const float x0 = (float)((isinf(thr) ? 20.0 : thr) / beta);
        return step_f32(x0, (int32_t)j - (1 << 15));
    }
    case 2: {
        const double s = (r & 1) ? -1.0 : 1.0, u = (double)(r >> 11) * 0x1p-53;
        double z;
        switch ((r >> 1) & 3) {
        case 0: z = s * (80.0 + 30.0 * u); break;
        case 1: z = s * (86.0 + 4.0 * u); break;
        case 2: z = -120.0 - 15.0 * u; break;
        default: z = s * 1000.0 * u; break;
        }
        return (float)(z / beta);
    }
    case 3:
        return (float)(uniform(r, -40.0, 40.0) / beta);
    case 4:
        if ((r & 7) == 0)
            return step_f32(FLT_MIN, (int32_t)((r >> 8) % 64) - 32);
        return f32_of((uint32_t)((r >> 32) & 0x80000000u) | (uint32_t)(r & 0x7fffffu));
    case 5: {
        const uint32_t e = (uint32_t)(127 - 30 + (r >> 40) % 61);
        return f32_of((uint32_t)((r >> 39) & 1u) << 31 | e << 23 | (uint32_t)(r & 0x7fffffu));
    }
    case 6: {
        const uint32_t k = (uint32_t)((j / NSPECIAL_F32) % 9) - 4u; /* -4..4, modulo 2^32 */
        return f32_of(specials_f32[j % NSPECIAL_F32] + k);
    }
    default:
        return f32_of((uint32_t)(r >> 16));
    }
}

static double gen_x_f64(int c, uint32_t i)
{
    const double beta = betas_f64[c / NTHR];
    const double thr = thresholds[c % NTHR];
    const uint64_t r = rnd(0xf64f64ull + (uint64_t)c * 0x1000000ull, i);
    uint32_t j;
    switch (region_of(region_size_f64, i, &j)) {
    case 0:
        return f64_of((uint64_t)j * 0x0001000000002b87ull + (uint64_t)c * 0x00000a5a5a5a5a5bull + 37u);
    case 1: {
        const double x0 = (isinf(thr) ? 20.0 : thr) / beta;
        return step_f64(x0, (int64_t)j - (1 << 14));
    }
    case 2: {
        const double s = (r & 1) ? -1.0 : 1.0, u = (double)(r >> 11) * 0x1p-53;
        double z;
        switch ((r >> 1) & 3) {
        case 0: z = -690.0 - 70.0 * u; break;
        case 1: z = 690.0 + 70.0 * u; break;
        case 2: z = s * (1950.0 + 200.0 * u); break;
        default: z = s * 1000.0 * u; break;
        }
        return z / beta;
    }
    case 3:
        return uniform(r, -40.0, 40.0) / beta;
    case 4:
        if ((r & 7) == 0)
            return step_f64(DBL_MIN, (int64_t)((r >> 8) % 64) - 32);
        return f64_of((r & 0x8000000000000000ull) | (rnd(r, 0) & 0xfffffffffffffull));
    case 5: {
        const uint64_t e = 1023 - 60 + (r >> 52) % 121;
        return f64_of((rnd(r, 1) & 0x8000000000000000ull) | e << 52 | (r & 0xfffffffffffffull));
    }
    case 6: {
        const uint64_t k = (uint64_t)((j / NSPECIAL_F64) % 9) - 4u; /* -4..4, modulo 2^64 */
        return f64_of(specials_f64[j % NSPECIAL_F64] + k);
    }
    default:
        return f64_of(r);
    }
}

/* dy: the same classes for both dtypes; returned in double, exact in float where it is made for f32 */
static double gen_dy(int f64, int c, uint32_t i)
{
    const uint64_t r = rnd((f64 ? 0xd64d64ull : 0xd32d32ull) + (uint64_t)c * 0x1000000ull, i);
    const unsigned cls = (unsigned)(r & 31);
    if (cls < 16)
        return uniform(r, -4.0, 4.0);
    if (cls < 20)
        return 1.0;
    if (cls == 20)
        return -1.0;
    if (cls < 24)
        return uniform(r, -1.0, 1.0) * pow2((int)((r >> 5) % 121) - 60);
    if (cls < 28) {
        /* any finite value of the format, subnormals included */
        const uint64_t q = rnd(r, 2);
        if (f64)
            return f64_of((q & 0x8000000000000000ull) | ((q >> 11) % 2047) << 52 | (r & 0xfffffffffffffull));
        return (double)f32_of((uint32_t)((q >> 32) & 0x80000000u) | (uint32_t)((q >> 11) % 255) << 23 |
                              (uint32_t)(r & 0x7fffffu));
    }
    switch ((r >> 8) % 12) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return INFINITY;
    case 3: return -INFINITY;
    case 4: return NAN;
    case 5: return f64 ? DBL_MAX : FLT_MAX;
    case 6: return f64 ? -DBL_MAX : -FLT_MAX;
    case 7: return f64 ? 0x1p-1074 : 0x1p-149;
    case 8: return f64 ? -0x1p-1074 : -0x1p-149;
    case 9: return f64 ? DBL_MIN : FLT_MIN;
    case 10: return 3.0;
    default: return -0.25;
    }
}

/* ---- the kernels under test --------------------------------------------------------------------- */
enum { MAXK = 4 };

/* ---- the dtype table ------------------------------------------------------------------------------ */

/* What the digest run needs of a dtype: its inputs (the generators and tables above), its poison, how
 * its bits are read. Elements travel as bit patterns (the low `size` bytes of a
 * uint64_t) from the generators into the kernels, so NaN payloads arrive as generated. */
typedef struct dtype_info {
    sp_dtype dtype;
    const char *name;
    size_t size;
    int hex;                  /* hex digits of a bit pattern */
    uint64_t qnan;            /* the policy's default quiet NaN */
    uint64_t poison;          /* a signalling NaN no kernel makes */
    uint32_t per_combo;
    const uint32_t *region_size;
    double (*beta)(int b);    /* betas of the dtype's table, exact in double */
    uint64_t (*x)(int c, uint32_t i);
    uint64_t (*dy)(int c, uint32_t i);
    double (*val)(uint64_t bits);
} dtype_info;

static double beta_f32(int b) { return betas_f32[b]; }
static uint64_t x_f32(int c, uint32_t i) { return bits_f32(gen_x_f32(c, i)); }
static uint64_t dy_f32(int c, uint32_t i) { return bits_f32((float)gen_dy(0, c, i)); }
static double val_f32(uint64_t b) { return (double)f32_of((uint32_t)b); }
static double beta_f64(int b) { return betas_f64[b]; }
static uint64_t x_f64(int c, uint32_t i) { return bits_f64(gen_x_f64(c, i)); }
static uint64_t dy_f64(int c, uint32_t i) { return bits_f64(gen_dy(1, c, i)); }

static const dtype_info dtypes[] = {
    [SP_DTYPE_F32] = {SP_DTYPE_F32, "f32", 4, 8, 0x7fc00000u, 0x7fa5a5a5u, PER_COMBO_F32, region_size_f32, beta_f32,
                      x_f32, dy_f32, val_f32},
    [SP_DTYPE_F64] = {SP_DTYPE_F64, "f64", 8, 16, 0x7ff8000000000000ull, 0x7ff5a5a5a5a5a5a5ull, PER_COMBO_F64,
                      region_size_f64, beta_f64, x_f64, dy_f64, f64_of},
};
#define DTYPE_ROWS(ctx, tag, TAG, storage, size, compute, ctag) +1
_Static_assert(sizeof dtypes / sizeof dtypes[0] == 0 SP_STORED_DTYPES(DTYPE_ROWS, ~),
               "a row of dtypes[] for every dtype of src/lists.h computed in its storage type (bf16 and f16 are "
               "correctly rounded, so the same bits on every set: tests/accuracy/test_half.c)");

static uint64_t get(const dtype_info *d, const void *buf, size_t i)
{
    return elem_get(buf, i, d->size);
}

static void put(const dtype_info *d, void *buf, size_t i, uint64_t bits)
{
    elem_put(buf, i, d->size, bits);
}

/* The ISAs whose kernels run the one FMA algorithm (the kernel files' headers say so); the others use
 * other methods and are not part of the digest. A new ISA of src/lists.h that runs the FMA algorithm
 * joins by its tag here. */
static const char *const fma_isas[] = {"avx2", "avx512", "neon"};

/* One FMA kernel file of the dtype and tier, as the registry holds it. */
typedef struct kernel_fma {
    const char *name;                 /* the ISA tag, and the tier's suffix unless strict: "avx2_fast" */
    const sp_kernel *op[SP_OP_COUNT]; /* the entries, each with its own name and origin */
} kernel_fma;

static int is_fma_isa(const char *tag)
{
    for (size_t i = 0; i < sizeof fma_isas / sizeof fma_isas[0]; i++)
        if (strcmp(tag, fma_isas[i]) == 0)
            return 1;
    return 0;
}

static const char *const tier_suffix[] = {
#define DIGEST_TIER_SUFFIX(ctx, tag, TAG, suffix) [SOFTPLUS_ACCURACY_##TAG] = #suffix,
    SP_ACCURACIES(DIGEST_TIER_SUFFIX, ~)
#undef DIGEST_TIER_SUFFIX
};

/* Every FMA kernel file of dtype and tier that the build has and this CPU runs, in list order. An entry
 * must be the ISA's own kernel of that tier (origin, tier), or the digest would test something else: an
 * ISA that borrows the dtype from its fallback, or a tier's entry that is the strict kernel, has no FMA
 * kernel of its own for it. *built counts those compiled in, whether or not this CPU runs them. */
static size_t find_kernels(softplus_accuracy tier, sp_op op_of_interest, sp_dtype dtype, const char *dtype_name,
                           kernel_fma *out, size_t *built)
{
    static char names[MAXK][32];
    *built = 0;
    static const softplus_isa isas[] = {
#define DIGEST_ISA(ctx, tag, TAG, fallback, priority, features) SOFTPLUS_ISA_##TAG,
        SP_ISAS(DIGEST_ISA, ~)
#undef DIGEST_ISA
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        const sp_kernel_set *set = sp_registry_set(isas[i]);
        /* the op's own entry: an op a file lacks (src/lists.h, SP_OP_IN_FILE) is served by another kernel */
        if (!set || !is_fma_isa(set->name) || sp_kernel_of(set, tier, op_of_interest, dtype)->origin != isas[i] ||
            sp_kernel_of(set, tier, op_of_interest, dtype)->tier != tier)
            continue;
        ++*built;
        if (!sp_kernels_for_isa(isas[i])) {
            print_message("%s: %s%s kernels skipped: this CPU lacks %s\n", dtype_name, set->name,
                          tier_suffix[tier], set->name);
            continue;
        }
        snprintf(names[n], sizeof names[n], "%s%s", set->name, tier_suffix[tier]);
        out[n].name = names[n];
        for (int op = 0; op < SP_OP_COUNT; op++)
            out[n].op[op] = sp_kernel_of(set, tier, (sp_op)op, dtype);
        n++;
    }
    return n;
}

/* No kernel ran: a failure where this architecture has FMA kernels (the build or the CPU lost them),
 * a skip where it has none. */
static void none_ran(const char *dtype)
{
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
    print_error("%s: no FMA kernel ran (none compiled in, or this CPU runs none of them): "
                "the digest was not checked\n", dtype);
    fail();
#else
    print_message("%s: this architecture has no FMA kernels\n", dtype);
    skip();
#endif
}

/* ---- the run ------------------------------------------------------------------------------------ */
enum { MAXB = 4093 };
static const size_t block_lens[] = {4093, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                    1021, 31, 32, 33, 63, 64, 65, 255, 256, 257, 511, 4093};
#define NBLOCKLENS (sizeof block_lens / sizeof block_lens[0])

typedef struct digests {
    uint64_t total;
    uint64_t part[NCOMBOS][NREGIONS];
} digests;

/* The first input where kernel k differs from kernel 0 (bit patterns). */
typedef struct first_diff {
    int seen, combo, region;
    uint32_t index;
    uint64_t x, dy, a, b;
} first_diff;

static void digests_init(digests *d)
{
    d->total = FNV_OFFSET;
    for (int c = 0; c < NCOMBOS; c++)
        for (int g = 0; g < NREGIONS; g++)
            d->part[c][g] = FNV_OFFSET;
}

static int table_wanted(void)
{
    const char *e = getenv("SP_DIGEST_TABLE");
    return e && *e && strcmp(e, "0") != 0;
}

static void print_table(const dtype_info *d, const char *op, const char *kname, const digests *dg)
{
    print_message("%s %s %s: digest per (beta, threshold) and region (%s, ..., %s):\n", d->name, op, kname,
                  region_names[0], region_names[NREGIONS - 1]);
    for (int c = 0; c < NCOMBOS; c++) {
        char line[NREGIONS * 17 + 1];
        for (int g = 0; g < NREGIONS; g++)
            snprintf(line + 17 * g, 18, " %016llx", (unsigned long long)dg->part[c][g]);
        print_message("  beta %-8a thr %-6g%s\n", d->beta(c / NTHR), thresholds[c % NTHR], line);
    }
}

/* Compares each kernel's digest with want; prints what a diagnosis needs; returns 1 when all match. */
static int verdict(const dtype_info *d, const char *op, uint64_t want, const char *const *names, const digests *dg,
                   const first_diff *fd, size_t nk)
{
    int ok = 1;
    for (size_t k = 0; k < nk; k++) {
        const int match = dg[k].total == want;
        print_message("%s %s %-6s digest 0x%016llx, want 0x%016llx: %s\n", d->name, op, names[k],
                      (unsigned long long)dg[k].total, (unsigned long long)want, match ? "match" : "MISMATCH");
        if (!match || table_wanted())
            print_table(d, op, names[k], &dg[k]);
        ok &= match;
    }
    for (size_t k = 1; k < nk; k++) {
        if (!fd[k].seen)
            continue;
        ok = 0;
        const int c = fd[k].combo;
        print_error("%s %s: %s and %s differ; first at beta %a threshold %g, region %s, input %u:\n"
                    "  x = %a (0x%0*llx), dy = %a (0x%0*llx, backward only)\n  %-6s %a (0x%0*llx)\n"
                    "  %-6s %a (0x%0*llx)\n",
                    d->name, op, names[0], names[k], d->beta(c / NTHR), thresholds[c % NTHR],
                    region_names[fd[k].region], (unsigned)fd[k].index, d->val(fd[k].x), d->hex,
                    (unsigned long long)fd[k].x, d->val(fd[k].dy), d->hex, (unsigned long long)fd[k].dy, names[0],
                    d->val(fd[k].a), d->hex, (unsigned long long)fd[k].a, names[k], d->val(fd[k].b), d->hex,
                    (unsigned long long)fd[k].b);
    }
    return ok;
}

/* Every FMA kernel of dtype d and tier for op over the whole input set: the digest of its results must
 * be want, and every kernel must give the first kernel's bits. want = 0: the tier has no kernels of its
 * own for the dtype (f64 in the fast tier), which the registry must confirm. */
static void run_digest(softplus_accuracy tier, const dtype_info *d, sp_op op, uint64_t want)
{
#define DIGEST_OP_TAG(ctx, tag, TAG, public, inputs) #tag,
    static const char *const op_tags[] = {SP_OPS(DIGEST_OP_TAG, ~)};
#undef DIGEST_OP_TAG
    const char *opname = op_tags[op];
    kernel_fma ks[MAXK];
    size_t built;
    const size_t nk = find_kernels(tier, op, d->dtype, d->name, ks, &built);
    if (want == 0) {
        if (built != 0) {
            print_error("%s%s: kernels of this tier exist but have no committed digest\n", d->name,
                        tier_suffix[tier]);
            fail();
        }
        print_message("%s%s: no kernels of this tier (its entries are the strict ones, digested above)\n",
                      d->name, tier_suffix[tier]);
        return;
    }
    if (nk == 0)
        none_ran(d->name);
    static _Alignas(64) unsigned char x[MAXB * 8], dy[MAXB * 8], out[MAXK][(MAXB + 1) * 8];
    static digests dg[MAXK];
    first_diff fd[MAXK];
    memset(fd, 0, sizeof fd);
    const char *names[MAXK];
    for (size_t k = 0; k < nk; k++) {
        digests_init(&dg[k]);
        names[k] = ks[k].name;
    }
    size_t bl = 0;
    for (int c = 0; c < NCOMBOS; c++) {
        const sp_any_params p = any_params(d->dtype, d->beta(c / NTHR), thresholds[c % NTHR]);
        for (uint32_t start = 0; start < d->per_combo;) {
            size_t n = block_lens[bl++ % NBLOCKLENS];
            if (n > d->per_combo - start)
                n = d->per_combo - start;
            for (size_t i = 0; i < n; i++) {
                put(d, x, i, d->x(c, start + (uint32_t)i));
                put(d, dy, i, d->dy(c, start + (uint32_t)i));
            }
            for (size_t k = 0; k < nk; k++) {
                for (size_t i = 0; i <= n; i++)
                    put(d, out[k], i, d->poison);
                /* output first, then the op's inputs in public order: (dy, x), or (x) for one input */
                void *const ptrs[3] = {out[k], op == SP_OP_FWD || op == SP_OP_INV ? (void *)x : (void *)dy, x};
                ks[k].op[op]->run(n, ptrs, &p);
                if (get(d, out[k], n) != d->poison) {
                    print_error("%s %s %s wrote past the end of %zu elements\n", d->name, opname, ks[k].op[op]->name,
                                n);
                    fail();
                }
            }
            for (size_t i = 0; i < n; i++) {
                uint32_t j;
                const int g = region_of(d->region_size, start + (uint32_t)i, &j);
                const uint64_t b0 = get(d, out[0], i);
                for (size_t k = 0; k < nk; k++) {
                    const uint64_t b = get(d, out[k], i);
                    dg[k].total = fnv_le(dg[k].total, b, d->size);
                    dg[k].part[c][g] = fnv_le(dg[k].part[c][g], b, d->size);
                    if (k > 0 && b != b0 && !fd[k].seen)
                        fd[k] = (first_diff){.seen = 1, .combo = c, .region = g, .index = start + (uint32_t)i,
                                             .x = get(d, x, i), .dy = get(d, dy, i), .a = get(d, out[0], i),
                                             .b = get(d, out[k], i)};
                }
            }
            start += (uint32_t)n;
        }
    }
    if (!verdict(d, opname, want, names, dg, fd, nk))
        fail();
}

/* ---- tests -------------------------------------------------------------------------------------- */

/* The digest is the documented FNV-1a 64: the published test vectors, and the byte order of a
 * result's bits (least significant first). */
static void test_digest_is_fnv1a64(void **state)
{
    (void)state;
    assert_true(fnv_bytes(FNV_OFFSET, (const unsigned char *)"", 0) == 0xcbf29ce484222325ull);
    assert_true(fnv_bytes(FNV_OFFSET, (const unsigned char *)"a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(fnv_bytes(FNV_OFFSET, (const unsigned char *)"foobar", 6) == 0x85944171f73967e8ull);
    const unsigned char le32[4] = {0x78, 0x56, 0x34, 0x12};
    const unsigned char le64[8] = {0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01};
    assert_true(fnv_le(FNV_OFFSET, 0x12345678u, 4) == fnv_bytes(FNV_OFFSET, le32, 4));
    assert_true(fnv_le(FNV_OFFSET, 0x0123456789abcdefull, 8) == fnv_bytes(FNV_OFFSET, le64, 8));
    /* one ulp anywhere changes it, and so does a NaN's sign or payload (the NaN policy is hashed) */
    const dtype_info *f32 = &dtypes[SP_DTYPE_F32], *f64 = &dtypes[SP_DTYPE_F64];
    assert_true(fnv_le(FNV_OFFSET, bits_f64(1.0), 8) != fnv_le(FNV_OFFSET, bits_f64(step_f64(1.0, 1)), 8));
    assert_true(fnv_le(FNV_OFFSET, 0xfff8000000000000ull, 8) != fnv_le(FNV_OFFSET, f64->qnan, 8));
    assert_true(fnv_le(FNV_OFFSET, 0xff812345u, 4) != fnv_le(FNV_OFFSET, f32->qnan, 4));
    assert_true(fnv_le(FNV_OFFSET, bits_f32(-0.0f), 4) != fnv_le(FNV_OFFSET, bits_f32(0.0f), 4));
}

/* One test per (tier, dtype, op): test_<tier>_fma_kernels_<dtype>_<forward|backward>_digest, each
 * against its constant. */
static const uint64_t digest_want[SP_ACCURACY_COUNT][SP_DTYPE_COUNT][SP_OP_COUNT] = {
    [SOFTPLUS_ACCURACY_STRICT] = {[SP_DTYPE_F32] = {[SP_OP_FWD] = DIGEST_FWD_F32, [SP_OP_BWD] = DIGEST_BWD_F32,
                                                    [SP_OP_DBWD] = DIGEST_DBWD_F32, [SP_OP_BBETA] = DIGEST_BBETA_F32,
                                                    [SP_OP_INV] = DIGEST_INV_F32},
                                  [SP_DTYPE_F64] = {[SP_OP_FWD] = DIGEST_FWD_F64, [SP_OP_BWD] = DIGEST_BWD_F64,
                                                    [SP_OP_DBWD] = DIGEST_DBWD_F64, [SP_OP_BBETA] = DIGEST_BBETA_F64,
                                                    [SP_OP_INV] = DIGEST_INV_F64}},
    [SOFTPLUS_ACCURACY_FAST] = {[SP_DTYPE_F32] = {[SP_OP_FWD] = DIGEST_FWD_F32_FAST,
                                                  [SP_OP_BWD] = DIGEST_BWD_F32_FAST}},
};

typedef struct digest_case {
    softplus_accuracy tier;
    sp_dtype dtype;
    sp_op op;
} digest_case;

static void test_fma_kernels_digest(void **state)
{
    const digest_case *dc = *state;
    run_digest(dc->tier, &dtypes[dc->dtype], dc->op, digest_want[dc->tier][dc->dtype][dc->op]);
}

#define DIGEST_CASE_O(c, otag, OTAG, public, inputs) SP_CALL(DIGEST_CASE_O_, SP_UNPACK c, OTAG)
#define DIGEST_CASE_O_(ATAG, DTAG, OTAG) {SOFTPLUS_ACCURACY_##ATAG, SP_DTYPE_##DTAG, SP_OP_##OTAG},
#define DIGEST_CASE_D(ATAG, tag, TAG, storage, size, compute, ctag) {SP_OPS(DIGEST_CASE_O, (ATAG, TAG))},
#define DIGEST_CASE_T(ctx, atag, ATAG, suffix) {SP_STORED_DTYPES(DIGEST_CASE_D, ATAG)},
static const digest_case digest_cases[SP_ACCURACY_COUNT][SP_DTYPE_COUNT][SP_OP_COUNT] = {
    SP_ACCURACIES(DIGEST_CASE_T, ~)};
#define DIGEST_TEST_O(c, otag, OTAG, public, inputs) DIGEST_TEST_X(SP_UNPACK c, public, OTAG)
#define DIGEST_TEST_X(...) DIGEST_TEST(__VA_ARGS__)
#define DIGEST_TEST(atag, ATAG, tag, TAG, public, OTAG)                                                  \
    {"test_" #atag "_fma_kernels_" #tag "_" #public "_digest", test_fma_kernels_digest, NULL, NULL,        \
     (void *)&digest_cases[SOFTPLUS_ACCURACY_##ATAG][SP_DTYPE_##TAG][SP_OP_##OTAG]},
#define DIGEST_TESTS_D(c, tag, TAG, storage, size, compute, ctag) SP_OPS(DIGEST_TEST_O, (SP_UNPACK c, tag, TAG))
#define DIGEST_TESTS_T(ctx, atag, ATAG, suffix) SP_STORED_DTYPES(DIGEST_TESTS_D, (atag, ATAG))

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_is_fnv1a64),
        SP_ACCURACIES(DIGEST_TESTS_T, ~)
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

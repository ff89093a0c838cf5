/* test_half_conv.c -- the block driver's vector f16 conversions against an independent reference.
 * SPDX-License-Identifier: MIT
 *
 * The bf16/f16 block driver (arch/softplus_half_kernels.h) widens f16 inputs, rounds float results to f16
 * and flags the results within e float steps of a rounding boundary, which it redoes in double. The sse41
 * set does this in SSE4.1 integer and float operations (arch/x86/softplus_half_sse41_conv.h), the avx2 and
 * avx512 sets with F16C (arch/x86/softplus_half_f16c.h). test_half.c sees their work only through the
 * results of the ops; here every conversion is compared with an independent one, lane by lane:
 *   widening   every one of the 65536 patterns against the compiler's _Float16 to float (exact; a
 *              signalling NaN compared without its quiet bit: F16C sets it, the portable widening keeps it);
 *   rounding   every K-th float pattern (--step K, 1: all 2^32; 7 by default) in calls of 1023 elements
 *              (vectors and a tail): the f16 value must be the float rounded in double to a multiple of f16's
 *              step at its binade by nearbyint (to nearest even), inf from 65520 on, with the float's sign
 *              (a NaN: sign, quiet bit and the top 9 payload bits, the library's NaN policy); and for e = 1,
 *              6 and 19 the flag, set exactly where the patterns |y| - e and |y| + e (clamped to [0, inf])
 *              round to different values, and the return value.
 * Exits 77 (skipped) where no set with vector conversions runs. Options: --step K.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softplus.h"
#include "kernels.h"
#include "ulp.h"

typedef void (*widen_fn)(float *dst, const uint16_t *src, size_t n);
typedef uint32_t (*narrow_fn)(uint16_t *out, uint8_t *flag, const float *y, size_t m, uint32_t e);

typedef struct set {
    const char *name;
    widen_fn widen;
    narrow_fn narrow;
} set;

static float ref_f32_of_f16(uint16_t h)
{
    if ((h & 0x7fffu) > 0x7c00u) /* NaN: exponent to 255, payload up 13 bits */
        return f32_from_bits(((uint32_t)(h & 0x8000u) << 16) | 0x7f800000u | ((uint32_t)(h & 0x3ffu) << 13));
    _Float16 x;
    memcpy(&x, &h, sizeof x);
    return (float)x;
}

/* the finite float pattern u rounded to f16's values in double: a multiple of f16's step at |u|'s binade,
 * 2^(max(e, -14) - 10), to nearest even (nearbyint in the default mode), or inf from the midpoint 65520 on
 * (libgcc's _Float16 rounding raises its exceptions by executing float operations: 50 ns a conversion) */
static double ref_round(uint32_t u)
{
    const double a = fabs((double)f32_from_bits(u));
    double r = 0.0;
    if (a >= 65520.0)
        r = INFINITY;
    else if (a > 0.0) {
        const int e = ilogb(a);
        const double q = ldexp(1.0, (e < -14 ? -14 : e) - 10);
        r = nearbyint(a / q) * q;
    }
    return (u >> 31) ? -r : r;
}

/* whether the f16 pattern h is y's rounding: its value, its zero's sign; a NaN y: the library's NaN policy
 * (sign, quiet bit, the top 9 payload bits) */
static int rounds_to(uint32_t u, uint16_t h)
{
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return h == (uint16_t)(((u >> 16) & 0x8000u) | 0x7e00u | ((u >> 13) & 0x3ffu));
    const double r = ref_round(u);
    return (double)ref_f32_of_f16(h) == r && ((h >> 15) == (u >> 31));
}

static int ref_near(uint32_t u, uint32_t e)
{
    const uint32_t a = u & 0x7fffffffu;
    if (a >= 0x7f800000u)
        return 0;
    const uint32_t lo = a > e ? a - e : 0u, hi = a + e < 0x7f800000u ? a + e : 0x7f800000u;
    return ref_round(lo) != ref_round(hi);
}

#define CHUNK 1023
static const uint32_t steps[] = {1, 6, 19};
#define NSTEPS ((int)(sizeof steps / sizeof steps[0]))

int main(int argc, char **argv)
{
    uint64_t step = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--step") && i + 1 < argc)
            step = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [--step K]\n", argv[0]);
            return 2;
        }
    }
    if (step < 1)
        return 2;
    set sets[3];
    int nsets = 0;
#if defined(SP_HAVE_SSE41_F16)
    if (softplus_isa_supported(SOFTPLUS_ISA_SSE41))
        sets[nsets++] = (set){"sse41", sp_half_conv_widen_f16_sse41, sp_half_conv_narrow_f16_sse41};
#endif
#if defined(SP_HAVE_AVX2_F16)
    if (softplus_isa_supported(SOFTPLUS_ISA_AVX2))
        sets[nsets++] = (set){"avx2", sp_half_conv_widen_f16_avx2, sp_half_conv_narrow_f16_avx2};
#endif
#if defined(SP_HAVE_AVX512_F16)
    if (softplus_isa_supported(SOFTPLUS_ISA_AVX512))
        sets[nsets++] = (set){"avx512", sp_half_conv_widen_f16_avx512, sp_half_conv_narrow_f16_avx512};
#endif
    if (!nsets) {
        printf("no set with vector f16 conversions on this CPU: skipped\n");
        return 77;
    }
    uint64_t bad = 0, checked = 0, flagged = 0;
    for (int s = 0; s < nsets; s++) {
        /* widening: all patterns, in calls of 1000 (vectors and a tail) */
        for (uint32_t h0 = 0; h0 < 65536; h0 += 1000) {
            uint16_t h[1000];
            float w[1000];
            size_t n = 0;
            for (uint32_t h1 = h0; h1 < h0 + 1000 && h1 < 65536; h1++)
                h[n++] = (uint16_t)h1;
            sets[s].widen(w, h, n);
            for (size_t j = 0; j < n; j++) {
                const float want = ref_f32_of_f16(h[j]);
                /* a signalling NaN: F16C quiets it, the portable widening keeps its bit (the float kernels
                 * quiet it either way) */
                const uint32_t quiet = (h[j] & 0x7fffu) > 0x7c00u ? 0x400000u : 0u;
                if ((bits_f32(w[j]) | quiet) != (bits_f32(want) | quiet) && bad++ < 10)
                    printf("%s widen 0x%04x: got 0x%08x want 0x%08x\n", sets[s].name, h[j], bits_f32(w[j]),
                           bits_f32(want));
            }
            checked += n;
        }
    }
    /* rounding and the check: the reference once per chunk, then every set on it */
    static float y[CHUNK];
    static uint16_t out[CHUNK];
    static uint8_t want_flag[NSTEPS][CHUNK], flag[CHUNK];
    for (uint64_t base = 0; base < (UINT64_C(1) << 32); base += (uint64_t)CHUNK * step) {
        size_t m = 0;
        for (; m < CHUNK && base + m * step < (UINT64_C(1) << 32); m++)
            y[m] = f32_from_bits((uint32_t)(base + m * step));
        uint32_t want_any[NSTEPS] = {0};
        for (size_t j = 0; j < m; j++) {
            const uint32_t u = bits_f32(y[j]);
            for (int k = 0; k < NSTEPS; k++) {
                want_flag[k][j] = (uint8_t)ref_near(u, steps[k]);
                want_any[k] |= want_flag[k][j];
                flagged += want_flag[k][j];
            }
        }
        for (int s = 0; s < nsets; s++)
            for (int k = 0; k < NSTEPS; k++) {
                const uint32_t any = sets[s].narrow(out, flag, y, m, steps[k]);
                for (size_t j = 0; j < m; j++) {
                    if (k == 0 && !rounds_to(bits_f32(y[j]), out[j]) && bad++ < 10)
                        printf("%s round 0x%08x: got 0x%04x want %a\n", sets[s].name, bits_f32(y[j]), out[j],
                               ref_round(bits_f32(y[j])));
                    if (flag[j] != want_flag[k][j] && bad++ < 10)
                        printf("%s near 0x%08x e %u: got %u want %u\n", sets[s].name, bits_f32(y[j]), steps[k],
                               flag[j], want_flag[k][j]);
                }
                if ((any != 0) != (want_any[k] != 0) && bad++ < 10)
                    printf("%s any at 0x%08x e %u: got %u want %u\n", sets[s].name, (uint32_t)base, steps[k], any,
                           want_any[k]);
                checked += m;
            }
    }
    printf("test_half_conv: %d set(s), every %llu-th float pattern, %llu conversions checked (%llu near), %llu "
           "wrong\n",
           nsets, (unsigned long long)step, (unsigned long long)checked, (unsigned long long)flagged,
           (unsigned long long)bad);
    return bad != 0;
}

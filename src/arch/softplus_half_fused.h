/* softplus_half_fused.h -- bfloat16 and float16 kernels of every op in one vector loop: widen in
 * registers, the fast tier's f32 algorithm (or a cheaper one with a bound of its own), narrow and check in
 * registers; written once in vector ops.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: arch/x86/softplus_half_avx2.c, arch/x86/softplus_half_avx512.c and
 * arch/arm/softplus_half_neon.c each include it once, after
 *   - their f32 vector ops (arch/<arch>/softplus_f32_<isa>_ops.h) and the fast tier's algorithm text
 *     (arch/softplus_f32_fast_algorithm.h: sp_f32_make_k, sp_fwd_front/finish, sp_bwd_exp/value);
 *   - the half-vector operations:
 *       vh                    SP_LOOP_W half patterns in a register
 *       HALF_LOAD(p), HALF_STORE(p, h)       SP_LOOP_W patterns, unaligned
 *       WIDEN_BF16(h), WIDEN_F16(h)          to vf, exact (NaNs: any NaN; their lanes are special)
 *       NARROW_F16(y)         vf to f16 patterns, round-to-nearest-even, subnormals and overflow included
 *                             (NaN lanes: anything)
 *       TOP_HALVES(a)         the top 16 bits of each lane's pattern
 *       LOW_BITS_LE(a, low, bound)           vm: lanes where (bits(a) & low) <= bound, unsigned
 *       LOW_BITS_ZERO(a, mask)               vm: lanes where bits(a) & mask is 0
 *       vh2                   2 SP_LOOP_W half patterns in a register (two vectors', the first's low)
 *       HALF_JOIN(h0, h1)     two vh as one vh2;  TOP_HALVES2(a, b): TOP_HALVES of a and b as one vh2
 *       HALF_STORE2(p, h2)    2 SP_LOOP_W patterns, unaligned
 * and SP_HALF_FUSED defined; arch/softplus_half_kernels.h includes it then (it uses the formats, sp_half_run,
 * sp_half_redo and sp_half_steps) and calls its SP_HALF_FUSED_RUN for every op: every op runs here (the
 * block driver, sp_half_run, takes the betas out of the vector range and the special lanes).
 *
 * Method: the block driver's (arch/softplus_half_kernels.h, Ziv's strategy), without its scratch arrays
 * of widened inputs. Per block of SP_HALF_FUSED_BLOCK elements, in three passes (the loop driver's two
 * stages, arch/softplus_loop.h, and a third): stage 1 widens x in registers and computes the fast tier's
 * exponential (forward ts = exp(-|beta x|) 2^64, backward es = exp(-beta x) 2^-64); stage 2 finishes the
 * fast tier's forward or backward (bound B ULP, from the set's registry entry: 4 on AVX2, AVX-512 and
 * NEON) into a float result; stage 3 rounds it to the format and checks. (The check at the end of stage 2
 * made one long dependency chain per vector, and its branch resolved at the end of it: three passes
 * measured 1.01-1.20x the two stages over every op and format, AVX2 and AVX-512, alternated in one
 * process at 4K elements, December 2026.) Stage 3 takes two vectors at a time: bf16 narrows both in
 * one operation (TOP_HALVES2), one branch tests both for lanes to redo (the special ones among
 * them, by their mark).
 * With beta = 1 (modes 1 and 2) forward runs a cheaper evaluation instead, with its own proven bound
 * (sp_half_cheap_front below, then the fast tier's sp_fwd_finish_of with H of degree 7 for f16, 6.5 ULP,
 * E = 7, and 6 for bf16, 28 ULP, E = 29), and backward the fast tier's with a cheaper exponential
 * (sp_half_cheap_bwd_front: bf16 6.5 ULP, f16 4, so E = 15 and 10; the windows: "the near windows" below).
 * The second derivative, the beta gradient and the inverse have no fast f32 kernel: they run evaluations
 * of their own at every beta (sp_half_tail_front, sp_half_dbwd_finish and sp_half_bbeta_finish: forward's
 * exponential, then g t / (1 + t)^2 with one division, resp. t (a (1 - s(-a)) + H(t)) with one, bounds 3.5
 * and 4 ULP for f16, E = 12 and 11; bf16, whose window is 64 steps for any E up to 31, a degree less in
 * the exponential and in H, 7 ULP, E = 19 and 17; sp_half_inv_front/finish: a log1p by atanh with one
 * division, 3.5 ULP, E = 4, bf16 8 ULP, E = 9).
 * The loops run the fast f32 kernels' modes (arch/softplus_f32_kernels.h): 0 any beta, 1 beta = 1, 2
 * beta = 1 with a threshold >= SP_FWD_THRESHOLD_FREE (backward SP_BWD_THRESHOLD_FREE), the defaults
 * among them, where the threshold's compare and select are left out (the arithmetic returns x resp. dy
 * there, which round to themselves and are never near; the second derivative has no mode 2). A lane
 * is redone when
 *   - the f32 algorithm flags it special (z = beta*x not finite, the multiplier not finite or above 2^33):
 *     stage 2 gives a NaN whose pattern stage 3 finds near (sp_half_special_mark: no word of special
 *     lanes per vector to keep and read back), and the batch sends lanes with an input not finite or on the
 *     threshold's branch through the block driver, the others through the strict f64 kernel, which
 *     takes every finite input (NaNs, infinities, huge multipliers: rare). Forward in mode 2 flags none, and
 *     needs none: +inf gives inf, -inf +0 (sp_fwd_finish), and a NaN x comes out of the last fma as x
 *     quieted, which rounds to the input's pattern quieted, the NaN policy's bits (bf16: its low 16
 *     bits are 0, so adding mid + e below neither carries nor looks near; f16: vcvtps2ph / fcvtn keep
 *     sign and top payload and set the quiet bit, and v's dropped bits are mid + e + 1, not near);
 *   - its result y is near a rounding boundary: the format's patterns, bf16 dropping 16 bits and f16 13
 *     (in its normal range, overflow threshold 65520 included), put every boundary of a binade at
 *     dropped bits = 1/2 of the dropped part (0x8000, 0x1000), so with v = bits(y) + half + E, y is
 *     near when v's dropped bits are at most 2E (E from the bound B: "the near windows" below, about half
 *     the block driver's 2B + 2 and 4B + 3). bf16 tests instead whether they are below P, the least power
 *     of two above 2E (a wider window, so a sound one: one test of bits, no compare; P = 32 or 64 for
 *     the E of these kernels, at most 31, against 0x8000). bf16 rounds by v's top half: that is y rounded
 *     half up in magnitude, which differs from round-to-nearest-even only where a boundary is within E
 *     steps, i.e. on near lanes. Below
 *     f16's smallest normal 2^-14, |y| is first moved up by 2^-14 (one float rounding of at most
 *     2^-38): f16's step is 2^-24 on both sides, so its boundaries are again dropped bits = 0x1000, and a
 *     boundary within E steps of y (each at most 2^-37) is within E + 1 steps of the sum: f16 checks
 *     with E + 1 (f16 rounds with vcvtps2ph / fcvtn, RNE).
 *   Lanes to redo are collected (their input patterns and position) across vectors and blocks and redone
 *   together by sp_half_redo with the set's strict f64 kernel, SP_HALF_PENDING at a time: one f64 call
 *   per batch, not per lane. Fraction redone at beta = 1, threshold 20: the cheap evaluations' figures
 *   below (with the fast tier's results and E = 10 / 19 it was, over all finite patterns with dy = 1 /
 *   over bench_softplus's inputs: bf16 forward 0.008% / 0.023%, backward 0.011% / 0.043%; f16 forward
 *   0.20% / 0.18%, backward 0.27% / 0.31%).
 * Every op but backward with |beta| outside the fast tier's vector range (sp_f32_fwd_vector_ok) runs the
 * block driver.
 * Outputs of SP_STREAM_FROM_BYTES or more are stored around the caches where the ISA has HALF_STREAM (x86),
 * as the loop driver does: at 32M elements, alternated in one process on the AVX-512 VM of December 2026,
 * backward 0.84x (f16) / 0.88x (bf16) the time, forward 0.98-0.99x (AVX2: 0.90 / 0.94, 0.97); the near
 * lanes are redone afterwards with ordinary stores (rare: a line of the output read back now and then).
 * In-place calls (out == in1 or in2): stages 2 and 3 read each vector's input patterns before its output
 * is stored (stage 2 for the whole block before stage 3 stores any), and a lane to redo is noted, its
 * patterns read from the inputs, before its vector's output is stored.
 */
#ifndef SP_HALF_FUSED_H
#define SP_HALF_FUSED_H

/* The first k <= 4 16-bit patterns at p as the low 16 k bits of an integer (lane l in bits 16 l .. 16 l + 15,
 * as in a little-endian vector register), by at most one 4- and one 2-byte load, and the way back: the
 * tails' HALF_LOAD_TAIL / HALF_STORE_TAIL build their vectors from these where the ISA has no 16-bit lane
 * masks (a vector load of single-element stores in a stack copy waits for them to retire: store forwarding
 * fails, 20-25 ns per call). */
SP_INLINE uint64_t sp_half_bits_load(const uint16_t *p, size_t k)
{
    uint64_t v = 0;
    if (k == 4) {
        memcpy(&v, p, sizeof v);
        return v;
    }
    if (k & 2u) {
        uint32_t w;
        memcpy(&w, p, sizeof w);
        v = w;
    }
    if (k & 1u)
        v |= (uint64_t)p[k - 1] << (16 * (k - 1));
    return v;
}

SP_INLINE void sp_half_bits_store(uint16_t *p, uint64_t v, size_t k)
{
    if (k == 4) {
        memcpy(p, &v, sizeof v);
        return;
    }
    if (k & 2u) {
        const uint32_t w = (uint32_t)v;
        memcpy(p, &w, sizeof w);
    }
    if (k & 1u)
        p[k - 1] = (uint16_t)(v >> (16 * (k - 1)));
}

/* lanes a batch of the careful path holds (a pair of vectors at least: stage 3 notes pairs) */
#define SP_HALF_PENDING 256
#if 2 * SP_LOOP_W > 64 || 2 * SP_LOOP_W > SP_HALF_PENDING
#error "softplus_half_fused.h: a pair of vectors' lanes must fit a uint64_t and the batch"
#endif

typedef struct sp_half_pending {
    size_t count;
    size_t at[SP_HALF_PENDING];
    uint16_t in1[SP_HALF_PENDING], in2[SP_HALF_PENDING];
} sp_half_pending;

/* what the careful path needs of the call */
typedef struct sp_half_call {
    const sp_half_format *fmt;
    softplus_isa isa;
    sp_op op;
    int inputs;
    const sp_params_f32 *p;
    uint16_t *out;
} sp_half_call;

SP_INLINE float sp_half_widen_one(const sp_half_format *fmt, uint16_t h)
{
    return fmt->f16 ? sp_f32_of_f16(h) : sp_f32_of_bf16(h);
}

/* The collected lanes again: those the strict f64 kernel gives the result of (finite inputs, fl(beta*x) <=
 * threshold) together through sp_half_redo; the others (the algorithm's special lanes among them: stage
 * 2 does not say which they are) together through the block driver, then to their places. Empties the
 * batch. */
static SP_NOINLINE void sp_half_flush(const sp_half_call *c, sp_half_pending *q)
{
    float x[SP_HALF_PENDING], dy[SP_HALF_PENDING];
    size_t at[SP_HALF_PENDING], m = 0, other = 0;
    for (size_t k = 0; k < q->count; k++) {
        const float a = sp_half_widen_one(c->fmt, q->in1[k]); /* the multiplier, or x of the one-input ops */
        const float xk = c->inputs == 2 ? sp_half_widen_one(c->fmt, q->in2[k]) : a;
        if (!isfinite(a) || !isfinite(xk) || c->p->beta * xk > c->p->threshold) {
            /* kept in the batch's own arrays, moved down (other <= k) */
            q->in1[other] = q->in1[k];
            q->in2[other] = q->in2[k];
            q->at[other++] = q->at[k];
            continue;
        }
        dy[m] = a;
        x[m] = xk;
        at[m++] = q->at[k];
    }
    if (m) { /* the set's strict f64 kernel, looked up here: most calls have no lane to redo */
        const sp_kernel *k64 = sp_kernel_of(sp_registry_set(c->isa), SOFTPLUS_ACCURACY_STRICT, c->op, SP_DTYPE_F64);
        sp_half_redo(c->fmt, c->op, k64, c->p, c->inputs == 2 ? dy : NULL, x, c->out, at, m);
    }
    if (other) {
        uint16_t r[SP_HALF_PENDING];
        sp_half_run(c->fmt, c->isa, c->op, other, q->in1, c->inputs == 2 ? q->in2 : NULL, r, c->p);
        for (size_t k = 0; k < other; k++)
            c->out[q->at[k]] = r[k];
    }
    q->count = 0;
}

/* Adds the lanes in bits of the vector or pair of vectors at pos (bit l: lane l), whose input patterns are
 * a[] and b[], to the batch. Inline: a call from the loop saved and restored every vector register the loop
 * keeps its constants in (18 with AVX-512) on each pair with a lane to redo; inline, only the batch's flush
 * is a call (once per SP_HALF_PENDING lanes). Alternated in one process (AVX-512, Zen 5, 4K elements,
 * December 2026): f16 forward 0.96x the time, backward 0.91x, second derivative 0.93x, beta gradient
 * 0.94x, inverse 1.00x; bf16 0.97-1.01x; AVX2 0.98-1.04x. (Noting a block's lanes after its stage 3,
 * from near masks stored per pair, one branch per block: f16 forward 1.11x, the rest 0.98-1.03x.) */
SP_INLINE void sp_half_note(const sp_half_call *c, sp_half_pending *q, size_t pos, const uint16_t *a,
                            const uint16_t *b, uint64_t bits)
{
    if (q->count > SP_HALF_PENDING - 2 * SP_LOOP_W)
        sp_half_flush(c, q);
    for (; bits; bits &= bits - 1u) {
        const unsigned l = (unsigned)__builtin_ctzll(bits);
        const size_t k = q->count++;
        q->at[k] = pos + l;
        q->in1[k] = a[l];
        q->in2[k] = b[l];
    }
}

/* ---- the cheap forward: beta = 1 (the loop's modes 1 and 2) ------------------------------------------
 * A bf16 or f16 result needs 8 or 11 good bits, and the near check redoes whatever a looser bound leaves
 * undecided: the fast tier's shapes (arch/softplus_f32_fast_algorithm.h) with a one-step reduction and
 * a shorter log1p, under a bound of its own, SP_HALF_CHEAP_ULP_F16 / _BF16 (src/kernels.h, ULP of the
 * float result; bf16's H a degree lower), from which the near window follows (the least integer above B,
 * "the near windows" below: f16 E = 7; bf16 E = 29, within its power-of-two window of 64 steps).
 *   ts = exp(-a) 2^64, a = min(|x|, 128): n = round(-a/ln2) by the 0x1.8p23 shift, r = a + n ln2f in
 *   ONE fma with ln2 rounded to float (|ln2f - ln2| = 1.9e-9 and |n| <= 185 move r by at most 2^-21.4
 *   absolute: ~2^-21.4 relative in exp; the fast tier's two-step r costs one more fma), E(r) ~ exp(-r)
 *   the fast tier's degree 5 (2^-23.2); y = max(x, 0) + ts (H(t) 2^-64) in one fma, H ~ log1p(t)/t on
 *   [0, 1] at t' = max(t, 2^-30), degree 7 for f16 (2^-22.0) and 6 for bf16 (2^-19.4), the fast tier's 8
 *   (2^-24.7). NaN, +-inf and the threshold exactly as the fast tier's (stage 2 is its sp_fwd_finish_of
 *   at SP_HALF_CHEAP_H_DEGREE; mode 2 flags no lane).
 *   bf16's degree 6: when its window was 2B + 2 (E = 58, 128 steps) it sent 0.32% of the benchmark's
 *   lanes to the f64 path, and degree 7 ran 0.74x / 0.85x / 0.93x the time at 256 / 1024 / 4096 elements
 *   (AVX-512); with E = 29, inside the 64 steps degree 7 had under 2B + 2, it redoes 0.034% of them and
 *   saves one fma per vector: 0.94x / 0.94x / 0.95x the time of degree 7 at 256 / 1024 / 4096 (AVX-512;
 *   AVX2 0.96x / 0.95x / 0.96x), alternated in one process, December 2026.
 *   (Tried for bf16 and left: E degree 4, 2^-18.25, 68.2 ULP; with H degree 6 and its window of 256
 *   steps 0.99x the time at 4K but 1.35x at 1K: most calls then redo a lane.)
 * Polynomials: tests/tools/softplus_half_cheap_coeffs.sollya (fpminimax, float coefficients, relative).
 * Bound: tests/accuracy/test_half_cheap.c runs this text's AVX2 and AVX-512 instantiations (NEON under
 *   qemu, sampled; the three give the same bits) at every finite float x against max(x, 0) +
 *   log1p(exp(-|x|)) in double and asserts SP_HALF_CHEAP_ULP_F16 / _BF16. Worst over all 2^32 - 2^24
 *   finite floats:
 *     f16 (H degree 7)   6.220 ULP at x = -0x1.02478ep+1: 0x1.ff4508p-4, want 0x1.ff451470a4ce7p-4 (B 6.5)
 *     bf16 (H degree 6) 26.945 ULP at x = -0x1.b9b98p+1: 0x1.ff8bb2p-6, want 0x1.ff8b7c1c5a1fbp-6 (B 28)
 *   (57 s CPU, 60 s with the backward's sweep; a coefficient of H changed in its 5th hex digit: 529
 *   ULP, caught.) The exhaustive tests/accuracy/test_half.c alone does not pin E: its beta = 1 inputs
 *   first misround at E = 2 (bf16 forward, x = 0x39de), so the window's soundness rests on this sweep.
 *   Near lanes at beta = 1, threshold 20 (E = 16): all finite patterns up to 20 / bench_softplus's
 *   inputs, bf16 0.010% / 0.035% (0.030% / 0.32% at degree 6, E = 58), f16 0.39% / 0.31%; with bf16's
 *   64-step window (December 2026) all finite patterns / bench_softplus's inputs: bf16 0.012% / 0.030%,
 *   f16 0.33% / 0.31%; with the windows of "the near windows" below (f16 E = 7, bf16 P = 16): bf16
 *   0.006% / 0.026%, f16 0.16% / 0.14%; bf16 with H of degree 6 (E = 29, P = 64): 0.014% / 0.034%.
 * Per 16 lanes (AVX-512, mode 2): 20 + 29 instructions in the two stages (f16; bf16 two fewer: its
 *   widening is a shift, its H a degree lower), the fast tier's 22 + 27 (21 + 30); 15 FMA-pipe operations
 *   instead of 17 (bf16 14).
 *   Stage 1 has one instruction fewer since sp_fast_ldexp scales by vscalefps (December 2026).
 */
#define SP_HALF_LN2 0x1.62e43p-1f        /* ln2 rounded to float = 0.693147182 */
#define SP_HALF_CHEAP_H_DEGREE(f16) ((f16) ? 7 : 6) /* H's degree in stage 2 */

/* exp(-v) 2^s, v in [-128, 128], scale = 2^s: sp_fast_exp with the one-step r (ln2 rounded to float) and
 * degree 5; the caller keeps the result normal */
SP_INLINE vf sp_half_cheap_exp(vf v, float scale)
{
    const vf kshift = FMA(v, F(-SP_FAST_INV_LN2), F(SP_FAST_SHIFT));
    const vf kf = SUB(kshift, F(SP_FAST_SHIFT));
    return sp_fast_exp_of_r(FMA(kf, F(SP_HALF_LN2), v), kshift, kf, scale, 0);
}

/* stage 1: ts = exp(-min(|x|, 128)) 2^64 (a NaN x gives 128: MIN's unordered rule) */
SP_INLINE vf sp_half_cheap_front(vf x)
{
    return sp_half_cheap_exp(MIN(ABS(x), F(SP_FAST_A_MAX)), 0x1p64f);
}

/* ---- the cheap backward: beta = 1 (the loop's modes 1 and 2) -----------------------------------------
 * The fast tier's backward (sp_bwd_exp/value: es = exp(-v) 2^-64, v = x clamped to [-128, 20],
 * d = es + 2^-64, dx = (dy / d) 2^-64), under a bound of its own, SP_HALF_CHEAP_BWD_ULP_BF16 / _F16
 * (src/kernels.h, ULP of the float dx at dy = 1), from which the window follows (the least integer above
 * 2B + 1.5, "the near windows" below): f16 takes the fast tier's own exponential at beta = 1 (degree 5,
 * 2^-23.2), bf16 a cheaper one, the one-step reduction of the cheap forward (sp_half_cheap_exp; |n| <= 185:
 * 2^-21.4).
 * The division stays: a division-free sigmoid (degree-4 1/(1 + t) and one Newton step, 6.39 ULP over
 * every float) took 64 instructions per 16 lanes against the division's 52 and ran at 0.75-0.80x (the
 * loop is bound by its vector operations, not by the divider); vrcp14ps and one Newton step for every
 * quotient of the fused loop (AVX-512, timed without new bounds) took 1.03-1.06x the time (Zen 5,
 * December 2026). Special lanes, the threshold and mode 2
 * exactly as sp_bwd_value (x >= 18 has es < 2^-89.9: d rounds to 2^-64, dx is dy).
 * Polynomial: the fast tier's degree 5, SP_FAST_E5_* (tests/tools/softplus_f32_fast_coeffs.sollya).
 * Bound: tests/accuracy/test_half_cheap.c, dy = 1, against sigmoid(x) in double, every finite float x
 *   (the AVX2 and AVX-512 instantiations; NEON under qemu, sampled; the same bits):
 *     bf16 (one-step r)  6.357 ULP at x = -0x1.5b1346p+6: 0x1.c3a5a2p-126, want 0x1.c3a595490542ep-126
 *                        (B 6.5)
 *     f16  (two-step r)  3.612 ULP at x = -0x1.0c5c26p+4: 0x1.be76ecp-25, want 0x1.be76e4c6a20dap-25 (B 4)
 *   so E = 15 (bf16, P = 32) and 10 (f16). Near lanes at beta = 1, threshold 20, all finite patterns with
 *   dy = 1 / bench_softplus's inputs: bf16 0.011% / 0.032%, f16 0.16% / 0.17% (with E = 4B + 3, the
 *   block driver's, and bf16's P = 64: bf16 0.015% / 0.058%, f16 0.28% / 0.31%).
 * Per 16 lanes (AVX-512, mode 2): bf16 21 + 29 instructions in the two stages, 8 FMA-pipe operations and
 *   the division (the fast tier's text 23 + 29, 10); f16 21 + 30, 9 (22 + 30, 10); one fewer in stage 1
 *   since the vscalefps of sp_fast_ldexp.
 *   (E degree 4 for bf16, 46.8 ULP on a sample, E = 191: 0.95-0.96x of degree 5; the one-step
 *   reduction for f16 too, 6.2 ULP, E = 31: its near lanes cost what the saved fma gains.)
 */
SP_INLINE vf sp_half_cheap_bwd_front(int f16, vf x)
{
    if (f16) /* the fast tier's own at beta = 1: the two-step r, degree 5 */
        return sp_bwd_exp(NULL, 1, x);
    return sp_half_cheap_exp(MIN(MAX(x, F(-SP_FAST_A_MAX)), F(SP_FAST_Z_MAX)), 0x1p-64f);
}

/* ---- the second derivative: any beta the fast tier's forward takes (sp_f32_fwd_vector_ok) ------------
 * d = g beta s(z) s(-z) = g beta t / (1 + t)^2, t = exp(-|z|), z = fl(beta*x): both factors of the
 * product are sigmoids of one sign, so nothing cancels where s(z) rounds to 1. Stage 1 is the fast
 * tier's forward exponential for every beta, E of degree 6 for f16 and 5 for bf16 (sp_fast_exp: ts =
 * exp(-(a + al)) 2^64, a = min(|z|, 128), al the product's error to first order); stage 2 forms (1 + t)^2 =
 * 1 + t (2 + t)
 * rounded once (2 + t's own rounding moves it by ~t 2^-24; forming 1 + t and squaring it measured 4.2
 * ULP), the quotient (g ts) / (1 + t)^2 (one IEEE division: the same bits on every ISA) and scales it by
 * beta 2^-64 (exact for beta = 1 unless the result is subnormal, one rounding else), under a bound of its
 * own, SP_HALF_CHEAP_DBWD_ULP_F16 / _BF16 (src/kernels.h, ULP of the float d at g = 1; the roundings of
 * t, (1 + t)^2, the quotient and the scaling), from which the window follows (the least integer above
 * 2B + 4.5, "the near windows" below: f16 12, bf16 19). bf16's window is a power of two, 64 steps for any
 * E up to 31 (sp_half_bf16_window): its cheaper exponential (2^-23.2 instead of 2^-27) costs it no redone
 * lane. Special lanes (the block
 * driver): z not finite, g NaN, infinite or above 2^33 (g ts stays below 2^97). Where g ts underflows,
 * |d| < 2^-126 2^16 2^-64 rounds to a zero of the right sign in every format, and |z| > 128 has |d| <
 * 2^49 2^-184.7: zero too. The threshold
 * rule comes last, in every mode: +0 where fl(beta*x) > threshold (the arithmetic does not give it:
 * t/(1 + t)^2 is ~2^-28.9 at z = 20).
 * Bound: tests/accuracy/test_half_cheap.c, g = 1, against beta e/(1 + e)^2 in double (e = exp(-|beta
 * x|), the product exact), every finite float at beta = 1 and a sample at the other betas (AVX2 and
 * AVX-512 instantiations; NEON under qemu, sampled; the same bits): see SP_HALF_CHEAP_DBWD_ULP_F16 / _BF16.
 */
/* stage 1 of the second derivative and the beta gradient: ts = exp(-(a + al)) 2^64, a = min(|z|, 128),
 * E of degree 6 (f16) or 5 (bf16) at every beta */
SP_INLINE vf sp_half_tail_front(const sp_f32_k *k, int f16, int unit, vf x)
{
    return sp_fast_exp_abs(k, unit, x, f16);
}

SP_INLINE vf sp_half_dbwd_finish(const sp_f32_k *k, int unit, vf g, vf x, vf ts, vm *special)
{
    const vf z = sp_fast_z(k, unit, x);
    *special = sp_fast_multiplier_special_z(z, g);
    const vf t = MUL(ts, F(0x1p-64f));
    const vf uu = FMA(t, ADD(t, F(2.0f)), F(1.0f)); /* (1 + t)^2 rounded once, 2 + t's rounding ~t 2^-24 */
    const vf q = DIV(MUL(g, ts), uu);
    const vf d = MUL(q, F(unit ? 0x1p-64f : k->beta * 0x1p-64f)); /* beta 2^-64: normal, exact */
    return SELECT(GT(z, F(k->thr)), ZERO(), d);
}

/* ---- the beta gradient: the same betas, stage 1 the second derivative's ------------------------------
 * dbeta = -dy h / beta^2, h = a s(-a) + log1p(t) = t (a (1 - v) + H(t)), a = |z|, t = exp(-a), v = s(-a) =
 * t/(1 + t): both terms positive, the sum >= H >= ln 2 (no cancellation; h falls from ln 2 at z = 0).
 * v is one division by 1 + t rounded once; a (1 - v) one fma, which scales v's errors by v/(1 - v) <= 1
 * (a/(1 + t) by a division measured 4.5 ULP at beta = 7.3); H ~ log1p(t)/t is the fast tier's forward
 * polynomial (degree 8, 2^-24.7, at t' = max(t, 2^-30); bf16 the cheap forward's, degree 7, 2^-22.0, and
 * stage 1's exponential of degree 5 as the second derivative's); for beta != 1 the product's error al
 * enters to first order beside H (al <= 2^-24 a, H >= ln 2: a sum that rounds like H). hs = ts (a (1 - v) + H + al)
 * is h 2^64, and dbeta = (hs dy) (nib2s + nib2se), -2^-64/beta^2 as a float pair (sp_half_k_bbeta: normal
 * for |beta| in [2^-20, 2^16], outside which the block driver runs the call), in one fma: hs dy <= ln 2
 * 2^97, and the result rounds once, subnormal or not; where hs dy underflows the result is below 2^-150, a
 * zero of the exact result's sign. Its bound SP_HALF_CHEAP_BBETA_ULP_F16 / _BF16 (src/kernels.h, ULP of
 * the float dbeta at dy = 1; the windows E = 11 and 17, the least integer above 2B + 2.5, bf16's 64
 * steps either way), is proven as the
 * second derivative's, against -(a e/(1 + e) + log1p(e))/beta^2 in double (the worst errors: there).
 * Special lanes: the second derivative's (z not finite, dy NaN, infinite or above 2^33) and |z| > 128,
 * where the clamped t is too large and the true result (up to 2^73 e^-128 129) can still be normal: one
 * integer constant flags both (|z|'s pattern above 128's sets the sign bit); a lane of the linear branch
 * beyond 128 is redone too, and gives the +0 of the threshold rule, which comes last, in every mode. */
#define SP_HALF_BBETA_Z_LIMIT 0x1.fffffep-6f /* 0x3cffffff: sign set from |z| > 128 (0x43000000) on */

/* nib2s + nib2se = -2^-64/beta^2 to 2^-48, both negative (nib2s rounded toward zero, nib2se -0 where
 * nothing is left): the products of a zero hs dy with both then have one sign, and the result the
 * zero's sign the exact result has (a sum of two zeros of opposite signs would be +0) */
SP_INLINE void sp_half_k_bbeta(sp_f32_k *k, const sp_params_f32 *p)
{
    const double c = -0x1p-64 / ((double)p->beta * (double)p->beta);
    float hi = (float)c;
    if ((double)hi < c)
        hi = nextafterf(hi, 0.0f);
    k->nib2s = hi;
    k->nib2se = copysignf((float)(c - (double)hi), -1.0f);
}

SP_INLINE vf sp_half_bbeta_finish(const sp_f32_k *k, int f16, int unit, vf dy, vf x, vf ts, vm *special)
{
    const vf z = sp_fast_z(k, unit, x);
    *special = sp_fast_multiplier_special(z, dy, SP_HALF_BBETA_Z_LIMIT);
    const vf a = ABS(z);
    const vf tu = MUL(ts, F(0x1p-64f));
    const vf v = DIV(tu, ADD(tu, F(1.0f))); /* s(-a) */
    vf h = sp_fast_log1p_over_t(ts, f16 ? 8 : 7);
    if (!unit) /* the product's error al to first order, beside H (al <= 2^-24 a, H >= ln 2) */
        h = ADD(h, sp_fast_al(k, x, z)); /* |z| <= 128 where the lane is kept: the clamp never acts */
    const vf hs = MUL(ts, ADD(FNMA(a, v, a), h)); /* a (1 - s(-a)): s(-a)'s errors scaled by <= 1 */
    const vf hd = MUL(hs, dy);
    return SELECT(GT(z, F(k->thr)), ZERO(), unit ? MUL(hd, F(-0x1p-64f)) : FMA(hd, F(k->nib2s), MUL(hd, F(k->nib2se))));
}

/* ---- the inverse: the forward's betas ------------------------------------------------------------------
 * x = v/beta, v = log(expm1(z + zl)), z = fl(beta*y) > 0, zl the product's error; written as v = k ln2 + Z +
 * log1p(f) with one log1p for every lane: log1p(f) = 2 atanh(s) = 2 s + s^3 R(s^2), s = f/(2 + f) (one
 * division; R degree 4, 2^-31.5 relative), f in [-0.431, 1), and no range cancels:
 *   z < 0.45           u = expm1(z) = z + z^2 Q(z) (Q degree 5, 2^-30.6), u <= 0.57; u = 2^k m with m in
 *                      [0.75, 1.5] (MANT, LOGB, one halving), f = m - 1 exact, Z = 0; |v| >= 0.56;
 *   0.45 <= z <= 0.913 d = z + zl - ln2 = dh + dl (ln 2 in three floats, z - ln2_hi exact: d is relatively
 *                      exact where v crosses 0 at z = ln 2), f = u - 1 = 2 expm1(d) = 2 (dh + (dh^2 Q(dh) +
 *                      dl)), k = 0, Z = 0: v = log1p(f), relatively exact at its zero (below 0.45 the
 *                      condition of log1p near -1 cost 3.8 ULP);
 *   z > 0.913          v = (z - ln2) + zl + log1p(1 - 2t), t = exp(-(min(z, 86) + zl)) <= 0.402 (the fast
 *                      tier's exponential, E degree 6): f = 1 - 2t, k = -1, Z = z, both parts positive (as
 *                      z + log1p(-t) they cancelled: 3.5 ULP near 0.92).
 * Stage 1 computes the exponential and the expm1 polynomial, stage 2 the log1p. x = v (ib + ibe) sign(beta)
 * (beta != 1). Zeros (y = +-0) give the limit -inf/beta in the vector; lanes redone: z < 2^-100 otherwise
 * (y < 0 for beta > 0: NaN; tiny z, and a z that underflowed to +-0 from a non-zero y, whose exact sign
 * decides between NaN and a finite x: a fuzzer finding, December 2026), z not finite. The threshold rule
 * comes last: fl(beta*y) > threshold returns y. Bound SP_HALF_CHEAP_INV_ULP_F16 (src/kernels.h, ULP of the
 * float x), the window E = 4 (the least integer above B), proven by tests/accuracy/test_half_cheap.c
 * against v/beta in double (the middle range as log1p(2 expm1(d)), d with ln 2 in two doubles): worst
 * 2.777 ULP at beta = 1 over every finite float (y = 0x1.83d694p-1), 3.084 at beta = 7.3 over every 16th
 * (y = 0x1.059acp-3). A
 * correction of s for the rounding of 2 + f (5 operations) took the worst from 3.4 to 2.8 before the middle
 * range began at 0.45, and was not kept after (2.6 against 2.4 sampled, the same window).
 * bf16, whose window is 32 steps for any E up to 15, takes Q of degree 4 (2^-24.9), R of degree 2 (2^-20.5)
 * and the exponential of degree 5, four fmas fewer, under SP_HALF_CHEAP_INV_ULP_BF16 (8 ULP, E = 9):
 * worst 5.306 ULP at beta = 1 over every finite float (y = 0x1.cd1748p-2), 6.112 at beta = 7.3 over every
 * 16th (y = 0x1.f974cp-5); 0.91x the time of the f16 evaluation's at 4K elements, AVX2 and AVX-512 (Q of
 * degree 3, 2^-19.6, and R of degree 2: over 500 ULP near v = 0, where log1p's error is the result's).
 * Polynomials: tests/tools/softplus_half_inverse_coeffs.sollya. */
#define SP_HALF_LN2_LO -0x1.05c61p-29f    /* ln 2 - SP_HALF_LN2 ~ -1.9046542e-09 */
#define SP_HALF_LN2_LO2 -0x1.950d88p-54f  /* ln 2 - SP_HALF_LN2 - SP_HALF_LN2_LO ~ -8.7831837e-17 */
#define SP_HALF_INV_Q1 0x1.55555ap-3f     /* 0.166666701 */
#define SP_HALF_INV_Q2 0x1.555562p-5f     /* 0.0416666903 */
#define SP_HALF_INV_Q3 0x1.1103d4p-7f     /* 0.00833175518 */
#define SP_HALF_INV_Q4 0x1.6c50dep-10f    /* 0.00138975482 */
#define SP_HALF_INV_Q5 0x1.c2b276p-13f    /* 0.000214909131 */
#define SP_HALF_INV_R0 0x1.555556p-1f     /* 0.666666687 */
#define SP_HALF_INV_R1 0x1.999864p-2f     /* 0.399995387 */
#define SP_HALF_INV_R2 0x1.24d804p-2f     /* 0.285980284 */
#define SP_HALF_INV_R3 0x1.bb1a2p-3f      /* 0.216358423 */
#define SP_HALF_INV_R4 0x1.e1a36ep-3f     /* 0.235174999 */
/* bf16's, shorter (its window of 32 steps holds a bound below 15 ULP): Q degree 4 (2^-24.9), R degree 2
 * (2^-20.5) */
#define SP_HALF_INV_BQ0 0x1.000002p-1f    /* 0.500000060 */
#define SP_HALF_INV_BQ1 0x1.555542p-3f    /* 0.166666523 */
#define SP_HALF_INV_BQ2 0x1.554566p-5f    /* 0.0416590683 */
#define SP_HALF_INV_BQ3 0x1.116826p-7f    /* 0.00834371429 */
#define SP_HALF_INV_BQ4 0x1.8879fp-10f    /* 0.00149717834 */
#define SP_HALF_INV_BR0 0x1.5556d4p-1f    /* 0.666678071 */
#define SP_HALF_INV_BR1 0x1.97beeep-2f    /* 0.398189276 */
#define SP_HALF_INV_BR2 0x1.4f4362p-2f    /* 0.327405483 */
/* [f16]: constant term first */
static const float sp_half_inv_q[2][6] = {
    {SP_HALF_INV_BQ0, SP_HALF_INV_BQ1, SP_HALF_INV_BQ2, SP_HALF_INV_BQ3, SP_HALF_INV_BQ4},
    {0.5f, SP_HALF_INV_Q1, SP_HALF_INV_Q2, SP_HALF_INV_Q3, SP_HALF_INV_Q4, SP_HALF_INV_Q5}};
/* [f16]: constant term first */
static const float sp_half_inv_r[2][5] = {
    {SP_HALF_INV_BR0, SP_HALF_INV_BR1, SP_HALF_INV_BR2},
    {SP_HALF_INV_R0, SP_HALF_INV_R1, SP_HALF_INV_R2, SP_HALF_INV_R3, SP_HALF_INV_R4}};
#define SP_HALF_INV_HI 0x1.d374bcp-1f     /* 0.912999988: the high range above */

/* Stage 1: g = expm1(z) (z < 0.45), expm1(d) = (u - 1)/2 (the middle range) or 1 - 2t (z > 0.913), t =
 * exp(-(min(max(z, 0), 86) + zl)) normal (a NaN z gives 0: MAX's unordered rule). The split keeps the two
 * stages' dependency chains of similar length. */
SP_INLINE vf sp_half_inv_front(const sp_f32_k *k, int f16, int unit, vf y)
{
    const vf z = sp_fast_z(k, unit, y);
    const vf zl = unit ? ZERO() : sp_fast_zl(k, y, z);
    const vf t = sp_fast_exp(MIN(MAX(z, ZERO()), F(86.0f)), zl, unit, 1.0f, f16);
    const vm lo = LT(z, F(0.45f)), hi = GT(z, F(SP_HALF_INV_HI));
    /* dh + dl = z + zl - ln2: z - ln2_hi is exact for z in [0.45, 0.913] (Sterbenz), and a multiple of
     * 2^-25 larger than |zl| unless zero (Fast2Sum); then a 2Sum with -ln2_lo */
    const vf d0 = SUB(z, F(SP_HALF_LN2));
    vf dh, dl;
    if (unit) {
        dh = SUB(d0, F(SP_HALF_LN2_LO)); /* Fast2Sum: |d0| >= 2^-25 > |ln2_lo| unless d0 = 0 */
        dl = SUB(SUB(SUB(d0, dh), F(SP_HALF_LN2_LO)), F(SP_HALF_LN2_LO2));
    } else {
        const vf s1 = ADD(d0, zl);
        const vf s1l = ADD(SUB(d0, s1), zl);
        dh = SUB(s1, F(SP_HALF_LN2_LO));
        const vf bb = SUB(dh, s1);
        dl = ADD(ADD(SUB(s1, SUB(dh, bb)), SUB(F(-SP_HALF_LN2_LO), bb)), SUB(s1l, F(SP_HALF_LN2_LO2)));
    }
    /* expm1(p), p = z or dh: p + (p^2 Q(p) + dl), one rounding of the sum (dl only in the middle range) */
    const vf p = SELECT(lo, z, dh);
    const vf q = sp_fast_horner(p, sp_half_inv_q[f16], f16 ? 5 : 4, 1.0f);
    const vf em = ADD(p, FMA(MUL(p, p), q, SELECT(lo, ZERO(), dl)));
    return SELECT(hi, FNMA(F(2.0f), t, F(1.0f)), em);
}

/* Stage 2: f, k and Z per range, log1p(f), v = k ln2 + Z + log1p(f) (Z = z - ln2 above 0.913, k = -1 there),
 * x = v/beta; zeros, special lanes and the threshold */
SP_INLINE vf sp_half_inv_finish(const sp_f32_k *k, int f16, int unit, vf y, vf g, vm *special)
{
    const vf one = F(1.0f);
    const vf z = sp_fast_z(k, unit, y);
    /* y = +-0, not z: beta*y underflows to a zero for tiny y and |beta|, where the exact product's sign
     * decides (NaN below 0, a finite x above): those lanes are special (z < 2^-100) */
    const vm zero = LT(ABS(y), F(0x1p-149f));
    const vf zs = SELECT(zero, one, z);
    *special = NGE(zs, sp_nan_unless_finite(zs, 0x1p-100f));
    const vm lo = LT(z, F(0.45f)), hi = GT(z, F(SP_HALF_INV_HI));
    /* u = expm1(z) = 2^k m below 0.45, m in [0.75, 1.5] */
    const vf mt = MANT(g), kt = LOGB(g);
    const vm big = GT(mt, F(1.5f));
    const vf m = SELECT(big, MUL(mt, F(0.5f)), mt);
    const vf kk = SELECT(lo, SELECT(big, ADD(kt, one), kt), SELECT(hi, F(-1.0f), ZERO()));
    const vf f = SELECT(lo, SUB(m, one), SELECT(hi, g, ADD(g, g)));
    const vf sq = DIV(f, ADD(f, F(2.0f)));
    const vf s2 = MUL(sq, sq);
    const vf r = sp_fast_horner(s2, sp_half_inv_r[f16], f16 ? 4 : 2, 1.0f);
    vf l = FMA(MUL(sq, s2), r, ADD(sq, sq)); /* log1p(f) */
    if (!unit)
        l = ADD(l, SELECT(hi, FMS(F(k->beta), y, z), ZERO()));
    const vf v = ADD(FMA(kk, F(SP_HALF_LN2), SELECT(hi, z, ZERO())), FMA(kk, F(SP_HALF_LN2_LO), l));
    vf x = unit ? v : XOR(FMA(v, F(k->ib), MUL(v, F(k->ibe))), F(k->bsign));
    x = SELECT(zero, XOR(F(-INFINITY), F(k->bsign)), x);
    return SELECT(GT(z, F(k->thr)), y, x);
}

/* the fused loop's ops: sp_op's values, as digits for the loops' names */
#define SP_HALF_FUSED_FWD 0
#define SP_HALF_FUSED_BWD 1
#define SP_HALF_FUSED_DBWD 2
#define SP_HALF_FUSED_INV 3
#define SP_HALF_FUSED_BBETA 4
_Static_assert(SP_HALF_FUSED_FWD == (int)SP_OP_FWD && SP_HALF_FUSED_BWD == (int)SP_OP_BWD &&
                   SP_HALF_FUSED_DBWD == (int)SP_OP_DBWD && SP_HALF_FUSED_INV == (int)SP_OP_INV &&
                   SP_HALF_FUSED_BBETA == (int)SP_OP_BBETA,
               "the fused loop's op numbers");

/* one vector of the second derivative, the beta gradient (at a unit multiplier) or the inverse, format's
 * evaluation */
SP_INLINE vf sp_half_cheap_one(const sp_f32_k *k, int f16, int op, int unit, vf v, vm *sm)
{
    if (op == SP_HALF_FUSED_INV)
        return sp_half_inv_finish(k, f16, unit, v, sp_half_inv_front(k, f16, unit, v), sm);
    if (op == SP_HALF_FUSED_DBWD)
        return sp_half_dbwd_finish(k, unit, F(1.0f), v, sp_half_tail_front(k, f16, unit, v), sm);
    return sp_half_bbeta_finish(k, f16, unit, F(1.0f), v, sp_half_tail_front(k, f16, unit, v), sm);
}

/* that op at threshold inf on n floats */
SP_INLINE void sp_half_cheap_run(int f16, int op, float beta, size_t n, const float *x, float *y)
{
    const sp_params_f32 p = {beta, INFINITY};
    sp_f32_k k = sp_f32_make_k(&p);
    sp_half_k_bbeta(&k, &p);
    for (size_t i = 0; i < n; i += SP_LOOP_W) {
        vm sm;
        const vf v = SP_LOOP_LOADU(x + i);
        SP_LOOP_STOREU(y + i, beta == 1.0f ? sp_half_cheap_one(&k, f16, op, 1, v, &sm)
                                           : sp_half_cheap_one(&k, f16, op, 0, v, &sm));
    }
}

/* The cheap evaluations on n floats (n a multiple of SP_LOOP_W), mode 2: tests/accuracy/test_half_cheap.c
 * sweeps them (sp_half_cheap_fwd_<isa>; sp_half_cheap_bwd_<isa>, dy = 1; sp_half_cheap_op_<isa>, the second
 * derivative, the beta gradient and the inverse, multiplier 1, any beta, threshold inf; declared in
 * kernels.h). */
#define SP_HALF_CHEAP_EVAL(isa)                                                                      \
    void sp_half_cheap_fwd_##isa(int f16, size_t n, const float *x, float *y)                       \
    {                                                                                                \
        for (size_t i = 0; i < n; i += SP_LOOP_W) {                                                  \
            vm sm;                                                                                   \
            const vf v = SP_LOOP_LOADU(x + i);                                                       \
            SP_LOOP_STOREU(y + i, sp_fwd_finish_of(NULL, 2, SP_HALF_CHEAP_H_DEGREE(f16), v,          \
                                                   sp_half_cheap_front(v), &sm));                    \
        }                                                                                            \
    }                                                                                                \
    void sp_half_cheap_bwd_##isa(int f16, size_t n, const float *x, float *y)                       \
    {                                                                                                \
        for (size_t i = 0; i < n; i += SP_LOOP_W) {                                                  \
            vm sm;                                                                                   \
            const vf v = SP_LOOP_LOADU(x + i);                                                       \
            SP_LOOP_STOREU(y + i, sp_bwd_value(NULL, 2, F(1.0f), v, sp_half_cheap_bwd_front(f16, v), &sm)); \
        }                                                                                            \
    }                                                                                                \
    void sp_half_cheap_op_##isa(int f16, int op, float beta, size_t n, const float *x, float *y)     \
    {                                                                                                \
        if (f16)                                                                                     \
            sp_half_cheap_run(1, op, beta, n, x, y);                                                 \
        else                                                                                         \
            sp_half_cheap_run(0, op, beta, n, x, y);                                                 \
    }

/* the format's patterns as floats, exact */
SP_INLINE vf sp_half_widen(int f16, vh h)
{
    return f16 ? WIDEN_F16(h) : WIDEN_BF16(h);
}

/* Stage 1 of one vector (the loop driver's split, arch/softplus_loop.h: two short dependency chains
 * per vector instead of one long one): x widened, and forward's and the second derivative's ts =
 * exp(-|beta x|) 2^64 or backward's es = exp(-beta x) 2^-64 (beta x clamped to [-128, 20]). */
SP_INLINE vf sp_half_fused_front(const sp_f32_k *k, int f16, int op, int mode, vh hx, vf *x)
{
    vf ts;
    const int bwd = op == SP_HALF_FUSED_BWD;
    *x = sp_half_widen(f16, hx);
    if (op == SP_HALF_FUSED_DBWD || op == SP_HALF_FUSED_BBETA)
        ts = sp_half_tail_front(k, f16, mode != 0, *x);
    else if (op == SP_HALF_FUSED_INV)
        ts = sp_half_inv_front(k, f16, mode != 0, *x);
    else if (bwd && mode != 0)
        ts = sp_half_cheap_bwd_front(f16, *x);
    else if (bwd)
        ts = sp_bwd_exp(k, mode, *x);
    else if (mode != 0)
        ts = sp_half_cheap_front(*x);
    else
        sp_fwd_front(k, mode, *x, &ts);
    return ts;
}

/* A NaN whose pattern stage 3 always finds near (window e): what stage 2 gives in a special lane. Its
 * dropped bits are the complement of what stage 3 adds: v's are 0 (bf16: 0x8000 - e + 0x8000 + e; f16,
 * whose |y| is not moved: 0x1000 - e - 1 + 0x1000 + e + 1, both mod the dropped part). */
SP_INLINE float sp_half_special_mark(int f16, uint32_t e)
{
    return sp_half_f32_bits(0x7fc00000u | (f16 ? 0x1000u - e - 1u : 0x8000u - e));
}

/* Stage 2: the float result from x, ts and the multiplier's patterns hdy (backward, second derivative,
 * beta gradient); in a lane the algorithm flags special, sp_half_special_mark. */
SP_INLINE vf sp_half_fused_value(const sp_f32_k *k, int f16, int op, int mode, uint32_t e, vh hdy, vf x, vf ts)
{
    vf y;
    vm sm;
    if (op == SP_HALF_FUSED_INV)
        y = sp_half_inv_finish(k, f16, mode != 0, x, ts, &sm);
    else if (op == SP_HALF_FUSED_BBETA)
        y = sp_half_bbeta_finish(k, f16, mode != 0, sp_half_widen(f16, hdy), x, ts, &sm);
    else if (op == SP_HALF_FUSED_DBWD)
        y = sp_half_dbwd_finish(k, mode != 0, sp_half_widen(f16, hdy), x, ts, &sm);
    else if (op == SP_HALF_FUSED_BWD)
        y = sp_bwd_value(k, mode, sp_half_widen(f16, hdy), x, ts, &sm);
    else if (mode != 0)
        y = sp_fwd_finish_of(k, mode, SP_HALF_CHEAP_H_DEGREE(f16), x, ts, &sm);
    else
        y = sp_fwd_finish(k, mode, x, ts, &sm);
    return SELECT(sm, F(sp_half_special_mark(f16, e)), y);
}

/* bf16's check: the dropped bits of v = bits(y) + 0x8000 + e below P, the least power of two above 2e
 * (a superset of the lanes within e steps of a boundary: one test of bits instead of a compare) */
SP_INLINE uint32_t sp_half_bf16_window(uint32_t e)
{
    return 0xffffu & ~((UINT32_C(1) << (32 - __builtin_clz(2u * e))) - 1u);
}

/* bf16's v = bits(y) + 0x8000 + e, whose top half is y rounded half up, and in *near_bits its lanes near a
 * rounding boundary */
SP_INLINE vf sp_half_bf16_v(uint32_t e, vf y, uint64_t *near_bits)
{
    const vf v = IADD(y, F(sp_half_f32_bits(0x8000u + e)));
    *near_bits = SP_LOOP_BITS(LOW_BITS_ZERO(v, sp_half_bf16_window(e)));
    return v;
}

/* whether every result y of the loop is +0 or more, or a NaN: forward in mode 2 (beta = 1, the threshold's
 * result x only above SP_FWD_THRESHOLD_FREE; elsewhere beta x > threshold can hold for an x < 0), where
 * f16's check needs no |y| (a NaN's sign leaves the dropped bits as they are, and compares false) */
#define SP_HALF_NONNEG(op, mode) ((op) == SP_HALF_FUSED_FWD && (mode) == 2)

/* Stage 3: y's patterns in the format, and in *near_bits the lanes near a rounding boundary (window e) */
SP_INLINE vh sp_half_fused_round(int f16, int nonneg, uint32_t e, vf y, uint64_t *near_bits)
{
    if (!f16)
        return TOP_HALVES(sp_half_bf16_v(e, y, near_bits));
    /* f16: v = |y| (moved up by 2^-14 below 2^-14) plus mid + e + 1 on the bits, near where its dropped
     * bits are at most 2 (e + 1); the result is vcvtps2ph's / fcvtn's */
    const vf ay = nonneg ? y : ABS(y);
    const vf v = IADD(SELECT(LT(ay, F(0x1p-14f)), ADD(ay, F(0x1p-14f)), ay), F(sp_half_f32_bits(0x1000u + e + 1u)));
    *near_bits = SP_LOOP_BITS(LOW_BITS_LE(v, 0x1fffu, 2u * (e + 1u)));
    return NARROW_F16(y);
}

/* Stages 2 and 3 in registers (the tail): the lanes to redo in *bits */
SP_INLINE vh sp_half_fused_finish(const sp_f32_k *k, int f16, int op, int mode, uint32_t e, vh hdy, vf x, vf ts,
                                  uint64_t *bits)
{
    return sp_half_fused_round(f16, SP_HALF_NONNEG(op, mode), e, sp_half_fused_value(k, f16, op, mode, e, hdy, x, ts),
                               bits);
}

/* elements per block of the three stages (x and ts of a block on the stack: 2 KiB) */
#define SP_HALF_FUSED_BLOCK 256
#ifndef SP_LOOP_PREFETCH_FROM
#define SP_LOOP_PREFETCH_FROM SP_PREFETCH_FROM_DEFAULT
#endif

/* One vector in registers (a call's only whole vector, and its tail): the patterns h1 (the multiplier, or x
 * for the unary ops) and h2 (x of the binary ops, else h1) of the t lanes at pos, zero patterns above; lanes
 * to redo go into the batch before the caller stores the result over the inputs. */
SP_INLINE vh sp_half_fused_one(const sp_half_call *c, sp_half_pending *q, const sp_f32_k *k, int f16, int op,
                               int mode, uint32_t e, size_t pos, vh h1, vh h2, size_t t)
{
    uint64_t bits;
    vf x;
    const vf ts = sp_half_fused_front(k, f16, op, mode, h2, &x);
    const vh r = sp_half_fused_finish(k, f16, op, mode, e, h1, x, ts, &bits);
    if (t < SP_LOOP_W)
        bits &= (UINT64_C(1) << t) - 1u;
    if (bits) {
        uint16_t a[SP_LOOP_W], b[SP_LOOP_W];
        HALF_STORE(a, h1);
        HALF_STORE(b, h2);
        sp_half_note(c, q, pos, a, b, bits);
    }
    return r;
}

/* The t < W patterns at pos as one vector with zero patterns above (a call's head and tail): the same bits as
 * in a full vector */
SP_INLINE void sp_half_fused_partial(const sp_half_call *c, sp_half_pending *q, const sp_f32_k *k, int f16, int op,
                                     int mode, uint32_t e, int binary, const uint16_t *in1, const uint16_t *in2,
                                     uint16_t *out, size_t pos, size_t t)
{
    const vh h1 = HALF_LOAD_TAIL(in1 + pos, t), h2 = binary ? HALF_LOAD_TAIL(in2 + pos, t) : h1;
    HALF_STORE_TAIL(out + pos, sp_half_fused_one(c, q, k, f16, op, mode, e, pos, h1, h2, t), t);
}

/* Stage 3 of two vectors: their patterns in the format, and in *near_bits the lanes (2W bits, the first
 * vector's low) near a rounding boundary (window e). bf16 narrows both vectors in one operation. */
SP_INLINE vh2 sp_half_fused_round2(int f16, int nonneg, uint32_t e, vf y0, vf y1, uint64_t *near_bits)
{
    uint64_t near0, near1;
    vh2 r;
    if (f16) {
        const vh r0 = sp_half_fused_round(1, nonneg, e, y0, &near0), r1 = sp_half_fused_round(1, nonneg, e, y1, &near1);
        r = HALF_JOIN(r0, r1);
    } else {
        const vf v0 = sp_half_bf16_v(e, y0, &near0);
        r = TOP_HALVES2(v0, sp_half_bf16_v(e, y1, &near1));
    }
    *near_bits = near0 | near1 << SP_LOOP_W;
    return r;
}

/* Stage 3 of a block: stage 2's results y (m floats, a multiple of W) of the elements at i rounded into
 * out, two vectors at a time with one test for both. A pair's lanes to redo go into the batch in one call
 * before its stores: the batch may be redone within the call (when full), and its outputs must not be
 * stored over afterwards. */
/* r's patterns at p, STORE's way, or STREAM's (around the caches) where the call streams and the ISA can */
#ifdef HALF_STREAM
#define SP_HALF_PUT(stream, STORE, STREAM, p, r) (SP_UNLIKELY(stream) ? STREAM(p, r) : STORE(p, r))
#else
#define SP_HALF_PUT(stream, STORE, STREAM, p, r) ((void)(stream), STORE(p, r))
#endif

SP_INLINE void sp_half_fused_store(const sp_half_call *c, sp_half_pending *q, int f16, int nonneg, uint32_t e,
                                   int stream, const uint16_t *in1, const uint16_t *inx, uint16_t *out, size_t i,
                                   size_t m, const float *y)
{
    size_t j = 0;
    for (; j + 2 * SP_LOOP_W <= m; j += 2 * SP_LOOP_W) {
        uint64_t near;
        const vh2 r =
            sp_half_fused_round2(f16, nonneg, e, SP_LOOP_LOADA(y + j), SP_LOOP_LOADA(y + j + SP_LOOP_W), &near);
        if (SP_UNLIKELY(near != 0))
            sp_half_note(c, q, i + j, in1 + i + j, inx + i + j, near);
        SP_HALF_PUT(stream, HALF_STORE2, HALF_STREAM2, out + i + j, r);
    }
    if (j < m) { /* an odd vector: the last of the call (in the block, its stages overlap the others') */
        uint64_t near;
        const vh r = sp_half_fused_round(f16, nonneg, e, SP_LOOP_LOADA(y + j), &near);
        if (SP_UNLIKELY(near != 0))
            sp_half_note(c, q, i + j, in1 + i + j, inx + i + j, near);
        SP_HALF_PUT(stream, HALF_STORE, HALF_STREAM, out + i + j, r);
    }
}

SP_INLINE void sp_half_fused_loop(const sp_half_call *c, const sp_f32_k *k, int f16, int op, int mode,
                                  uint32_t e, size_t n, const uint16_t *in1, const uint16_t *in2)
{
    const int binary = op != SP_HALF_FUSED_FWD && op != SP_HALF_FUSED_INV; /* the multiplier in1, x in2 */
    /* x, ts from stage 1 (ts overwritten by stage 2's result) */
    _Alignas(64) float tsb[SP_HALF_FUSED_BLOCK], xb[SP_HALF_FUSED_BLOCK];
    sp_half_pending q;
    q.count = 0;
    uint16_t *out = c->out;
    const uint16_t *inx = binary ? in2 : in1; /* the x patterns: the second input of the binary ops */
    size_t i = 0;
    const int ahead = sp_prefetch_this_call(n, sizeof(uint16_t), SP_LOOP_PREFETCH_FROM);
    /* A call's only whole vector (W <= n < 2W) in registers, as the tail: through the block's three passes it
     * took 10-15 ns more per call (AVX2, 12 elements, 0.70-0.84x; AVX-512, 24, 0.82-0.90x). */
    if (n >= SP_LOOP_W && n < 2 * SP_LOOP_W) {
        const vh h1 = HALF_LOAD(in1), h2 = binary ? HALF_LOAD(in2) : h1;
        HALF_STORE(out, sp_half_fused_one(c, &q, k, f16, op, mode, e, 0, h1, h2, SP_LOOP_W));
        i = SP_LOOP_W;
    }
    int stream = 0;
#ifdef HALF_STREAM
    /* A large output (the loop driver's rule, arch/softplus_loop.h): the patterns below its first
     * vector-aligned one as a partial vector, then the blocks with aligned non-temporal stores. */
    stream = sp_stream_this_call(out, n, sizeof(uint16_t), SP_LOOP_W * sizeof(uint16_t), &i);
    if (stream && i)
        sp_half_fused_partial(c, &q, k, f16, op, mode, e, binary, in1, in2, out, 0, i);
#endif
    while (n - i >= SP_LOOP_W) {
        const size_t m = n - i < SP_HALF_FUSED_BLOCK ? (n - i) & ~(size_t)(SP_LOOP_W - 1) : SP_HALF_FUSED_BLOCK;
        SP_STAGE_UNROLL
        for (size_t j = 0; j < m; j += SP_LOOP_W) {
            /* i is a multiple of the block: j counts the vectors from a line's start */
            if (ahead && j / SP_LOOP_W % SP_PREFETCH_LINE_VECS(SP_LOOP_W * sizeof(uint16_t)) == 0) {
                SP_PREFETCH_AHEAD(inx + i + j);
                if (binary)
                    SP_PREFETCH_AHEAD(in1 + i + j);
            }
            vf x;
            SP_LOOP_STOREA(tsb + j, sp_half_fused_front(k, f16, op, mode, HALF_LOAD(inx + i + j), &x));
            SP_LOOP_STOREA(xb + j, x);
        }
        SP_STAGE_UNROLL
        for (size_t j = 0; j < m; j += SP_LOOP_W) {
            const vh h1 = HALF_LOAD(in1 + i + j);
            SP_LOOP_STOREA(tsb + j, sp_half_fused_value(k, f16, op, mode, e, h1, SP_LOOP_LOADA(xb + j),
                                                        SP_LOOP_LOADA(tsb + j)));
        }
        sp_half_fused_store(c, &q, f16, SP_HALF_NONNEG(op, mode), e, stream, in1, inx, out, i, m, tsb);
        i += m;
    }
    if (i < n) /* the last n mod W */
        sp_half_fused_partial(c, &q, k, f16, op, mode, e, binary, in1, in2, out, i, n - i);
#ifdef HALF_STREAM
    if (stream)
        HALF_STREAM_FENCE();
#endif
    if (q.count)
        sp_half_flush(c, &q);
}

/* one function per constant combination (format, op, the loop's mode: arch/softplus_f32_kernels.h),
 * each with its own registers */
#define SP_HALF_FUSED_LOOP_(f16_, op_, mode_)                                                        \
    static SP_NOINLINE void sp_half_fused_##f16_##op_##mode_(const sp_half_call *c, const sp_f32_k *k, uint32_t e, \
                                                            size_t n, const uint16_t *in1, const uint16_t *in2) \
    {                                                                                                \
        sp_half_fused_loop(c, k, f16_, op_, mode_, e, n, in1, in2);                                  \
    }
/* the second derivative, the inverse and the beta gradient have modes 0 and 1 (their threshold's compare
 * stays) */
#define SP_HALF_FUSED_MODES_(M)                                                                      \
    M(0, 0, 0) M(0, 0, 1) M(0, 0, 2) M(0, 1, 0) M(0, 1, 1) M(0, 1, 2) M(0, 2, 0) M(0, 2, 1) M(0, 3, 0) \
    M(0, 3, 1) M(0, 4, 0) M(0, 4, 1) M(1, 0, 0) M(1, 0, 1) M(1, 0, 2) M(1, 1, 0) M(1, 1, 1) M(1, 1, 2) \
    M(1, 2, 0) M(1, 2, 1) M(1, 3, 0) M(1, 3, 1) M(1, 4, 0) M(1, 4, 1)
SP_HALF_FUSED_MODES_(SP_HALF_FUSED_LOOP_)
#undef SP_HALF_FUSED_LOOP_

typedef void (*sp_half_fused_fn)(const sp_half_call *c, const sp_f32_k *k, uint32_t e, size_t n,
                                 const uint16_t *in1, const uint16_t *in2);
/* [f16][op][mode]; the second derivative, the inverse and the beta gradient have no mode 2 (NULL: never
 * chosen) */
#define SP_HALF_FUSED_ENTRY_(f16_, op_, mode_) [f16_][op_][mode_] = sp_half_fused_##f16_##op_##mode_,
static const sp_half_fused_fn sp_half_fused_loops[2][SP_OP_COUNT][3] = {SP_HALF_FUSED_MODES_(SP_HALF_FUSED_ENTRY_)};
#undef SP_HALF_FUSED_ENTRY_
#undef SP_HALF_FUSED_MODES_

/* ---- the near windows -----------------------------------------------------------------------------
 * E, in float steps: a lane is near when a rounding boundary of the format lies within E steps of its
 * float result y (stage 3). Sound when |y - T| <= E ulp(T) for the exact value T wherever a boundary M lies
 * between y and T: then M is within E steps of y. Here y, T and M share a binade (steps = ulp(T)): every
 * boundary is 2^12 steps or more from a power of two (f16's normal ones at dropped bits 0x1000, bf16's at
 * 0x8000; float subnormals have one step, 2^-149; below 2^-14 f16 checks |y| + 2^-14, whose steps, 2^-37,
 * are at least twice y's, with E + 1 for the sum's rounding), and y is a few steps from T. (The block
 * driver's check works on y itself, where f16's boundary 2^-25 is a power of two: it keeps 2B + 2 and
 * 4B + 3, sp_half_steps.) From the bound B (ULP of the float result at a unit multiplier; 2^-24 |a| <
 * ulp(a) <= 2^-23 |a|, and a rounding moves a by at most 2^-24 |a|), E is the least integer above:
 *   forward, inverse      B: the result itself;
 *   backward              2B + 1.5: dx = (dy / d) 2^-64 (sp_bwd_value). At dy = 1 the quotient 1/d before its
 *                         rounding is within (B + 1/2) 2^-23 = (2B + 1) 2^-24 of s, relative; dy/d carries
 *                         that and rounds once (1/2 step; the scaling is exact, or in the subnormal range
 *                         another 1/2 step where the relative part is at most half);
 *   second derivative     2B + 4.5: d = ((g ts) / uu) c, c = beta 2^-64. At g = 1, (ts / uu) c before the
 *                         quotient's and the scaling's roundings is within (2B + 2) 2^-24 of d; a g != 1
 *                         adds g ts's rounding, then the two again (2 + 1/2 steps);
 *   beta gradient         2B + 2.5: dbeta = (hs dy) C (sp_half_bbeta_finish), C the float pair: at dy = 1,
 *                         hs C before the last rounding is within (2B + 1) 2^-24; dy adds hs dy's rounding and
 *                         the last again (1 + 1/2 steps; the pair's second product, 2^-48 relative, is what
 *                         "least integer above" absorbs).
 * Against the block driver's 2B + 2 and 4B + 3 the windows are about half as wide: f16 redoes about half
 * as many lanes, and bf16's P falls from 64 to 32 (backward, inverse), or holds a wider bound (forward:
 * H a degree lower, 28 ULP, still 64 steps). */
#define SP_HALF_WINDOW_(err) ((uint32_t)(err) + 1u) /* the least integer above err >= 0 */
#define SP_HALF_WINDOW_FWD(b) SP_HALF_WINDOW_(b)
#define SP_HALF_WINDOW_INV(b) SP_HALF_WINDOW_(b)
#define SP_HALF_WINDOW_BWD(b) SP_HALF_WINDOW_(2.0 * (b) + 1.5)
#define SP_HALF_WINDOW_DBWD(b) SP_HALF_WINDOW_(2.0 * (b) + 4.5)
#define SP_HALF_WINDOW_BBETA(b) SP_HALF_WINDOW_(2.0 * (b) + 2.5)

/* The near window of the cheap evaluations, [f16][op]: forward and backward in modes 1 and 2, the other
 * ops in every mode (their bounds: src/kernels.h) */
static const uint32_t sp_half_cheap_steps[2][SP_OP_COUNT] = {
    {[SP_OP_FWD] = SP_HALF_WINDOW_FWD(SP_HALF_CHEAP_ULP_BF16),
     [SP_OP_BWD] = SP_HALF_WINDOW_BWD(SP_HALF_CHEAP_BWD_ULP_BF16),
     [SP_OP_DBWD] = SP_HALF_WINDOW_DBWD(SP_HALF_CHEAP_DBWD_ULP_BF16),
     [SP_OP_INV] = SP_HALF_WINDOW_INV(SP_HALF_CHEAP_INV_ULP_BF16),
     [SP_OP_BBETA] = SP_HALF_WINDOW_BBETA(SP_HALF_CHEAP_BBETA_ULP_BF16)},
    {[SP_OP_FWD] = SP_HALF_WINDOW_FWD(SP_HALF_CHEAP_ULP_F16),
     [SP_OP_BWD] = SP_HALF_WINDOW_BWD(SP_HALF_CHEAP_BWD_ULP_F16),
     [SP_OP_DBWD] = SP_HALF_WINDOW_DBWD(SP_HALF_CHEAP_DBWD_ULP_F16),
     [SP_OP_INV] = SP_HALF_WINDOW_INV(SP_HALF_CHEAP_INV_ULP_F16),
     [SP_OP_BBETA] = SP_HALF_WINDOW_BBETA(SP_HALF_CHEAP_BBETA_ULP_F16)}};

/* The window of the fast tier's forward and backward (mode 0) from the set's registry entry */
static uint32_t sp_half_fast_steps(softplus_isa isa, sp_op op)
{
    const double b = sp_half_kernel_bound(sp_kernel_of(sp_registry_set(isa), SOFTPLUS_ACCURACY_FAST, op, SP_DTYPE_F32));
    return op == SP_OP_FWD ? SP_HALF_WINDOW_FWD(b) : SP_HALF_WINDOW_BWD(b);
}

/* Every op of a half format: the fused loop of its constant combination. Before the loop only the
 * per-call scalars (one division) and two table reads: one element costs about as much as in f32. */
static void sp_half_fused(const sp_half_format *fmt, softplus_isa isa, sp_op op, size_t n, const uint16_t *in1,
                          const uint16_t *in2, uint16_t *out, const sp_params_f32 *p)
{
    const int bwd = op == SP_OP_BWD, tail = op == SP_OP_DBWD || op == SP_OP_BBETA || op == SP_OP_INV;
    /* backward takes any finite beta; the others the forward's vector range, [2^-20, 2^16] (where the
     * beta gradient's scale -2^-64/beta^2 is normal) */
    if (!bwd && !sp_f32_fwd_vector_ok(p)) {
        sp_half_run(fmt, isa, op, n, in1, in2, out, p);
        return;
    }
    const int inputs = op == SP_OP_FWD || op == SP_OP_INV ? 1 : 2;
    const sp_half_call c = {fmt, isa, op, inputs, p, out};
    sp_f32_k k = sp_f32_make_k(p);
    if (op == SP_OP_BBETA)
        sp_half_k_bbeta(&k, p);
    /* the fast f32 kernels' modes: 2 where beta = 1 and the arithmetic itself gives the threshold
     * rule's result (forward: its NaN lanes too, see sp_half_fused_finish) */
    const float free = bwd ? SP_BWD_THRESHOLD_FREE : SP_FWD_THRESHOLD_FREE;
    const int mode = p->beta != 1.0f ? 0 : p->threshold >= free && !tail ? 2 : 1;
    /* the near window: the cheap evaluations' own, or in mode 0 of forward and backward (the fast tier's
     * kernels) from the set's registry entry */
    const uint32_t e = mode != 0 || tail ? sp_half_cheap_steps[fmt->f16][op] : sp_half_fast_steps(isa, op);
    sp_half_fused_loops[fmt->f16][op][mode](&c, &k, e, n, in1, in2);
}

/* every op of SP_HALF_KERNELS */
SP_INLINE void sp_half_fused_run(const sp_half_format *fmt, softplus_isa isa, sp_op op, size_t n,
                                 const uint16_t *in1, const uint16_t *in2, uint16_t *out, const sp_params_f32 *p)
{
    sp_half_fused(fmt, isa, op, n, in1, in2, out, p);
}
#define SP_HALF_FUSED_RUN sp_half_fused_run

#endif /* SP_HALF_FUSED_H */

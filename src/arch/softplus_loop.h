/* softplus_loop.h -- the one loop driver of every SIMD kernel: blocks, two stages, deferred specials.
 * SPDX-License-Identifier: MIT
 *
 * Not a standalone header: a kernel file includes it once per op it instantiates (it has no include
 * guard and #undefs the op's parameters at the end), after kernels.h (SP_INLINE) and after defining
 * the parameters below. It defines
 *
 *   SP_INLINE void SP_LOOP_NAME(size_t n, const SP_LOOP_T *in0 [, const SP_LOOP_T *in1 [, in2]],
 *                               SP_LOOP_T *out, const SP_LOOP_CTX *ctx, int mode);
 *
 * which computes out[i] = op(in0[i], in1[i], ...) for i < n. The inputs come first in the op's own
 * order (forward: x; backward: dy, x). mode is handed unchanged to every stage: call the driver with
 * constants (beta == 1, threshold active, ...) so that each combination compiles to its own loop.
 *
 * Parameters (all required unless marked optional):
 *   SP_LOOP_NAME          name of the function to define
 *   SP_LOOP_T             element type (float, double)
 *   SP_LOOP_V             vector type of SP_LOOP_W elements
 *   SP_LOOP_M             type of the special-lane mask that stage 2 returns
 *   SP_LOOP_W             lanes per vector, a power of two, at most 64, a compile-time constant (an
 *                         SVE port would fix the vector length, -msve-vector-bits)
 *   SP_LOOP_NIN           number of input arrays: 1, 2 or 3
 *   SP_LOOP_NBUF          vectors stage 1 hands to stage 2 per input vector: 1 to 4 (f64: t_hi, t_lo)
 *   SP_LOOP_CTX           type of the per-call context (parameters, table registers), passed by pointer
 *   SP_LOOP_BLOCK         optional: elements per block, a multiple of SP_LOOP_W (default 256). The
 *                         stack holds (NBUF + NIN) * BLOCK elements: keep it well inside L1.
 *   SP_LOOP_PREFETCH_FROM optional: calls of at least this many bytes per input prefetch (default
 *                         SP_PREFETCH_FROM_DEFAULT of kernels.h, 1 MiB: beyond the L2 caches of today's
 *                         cores; below, the hardware prefetchers do as well).
 *   SP_LOOP_LOADU(p), SP_LOOP_STOREU(p, v)   unaligned full-vector load and store
 *   SP_LOOP_LOADA(p), SP_LOOP_STOREA(p, v)   the same on the driver's buffers (aligned to
 *                                            SP_LOOP_W * sizeof(SP_LOOP_T), at least 16 bytes)
 *   SP_LOOP_LOAD_TAIL(p, k), SP_LOOP_STORE_TAIL(p, v, k)   optional: the first k (1 <= k < W) elements
 *                         at p as a vector with zeros in lanes k and up, and the store of its first k
 *                         lanes, touching no memory beyond p + k. Default: a zero-padded copy through
 *                         a stack buffer (memcpy), correct on any ISA but with a store-forwarding stall.
 *   SP_LOOP_BITS(m)       the mask as a uint64_t, bit i set when lane i is special
 *   SP_LOOP_STREAM(p, v), SP_LOOP_STREAM_FENCE()   optional: a non-temporal store of a full vector at p
 *                         (aligned to W elements) and the fence that orders such stores before the
 *                         caller's later ones; with them, calls of SP_STREAM_FROM_BYTES (kernels.h) output
 *                         bytes or more
 *                         store around the caches (below).
 * The three stages are function-like macros (or function names) called with exactly these arguments;
 * the inputs are vectors i0.. in the op's order, b0.. are stage 1's vectors:
 *   SP_LOOP_STAGE1(ctx, mode, i0, [i1, [i2,]] &b0 [, &b1 ...])
 *                         the first, short dependency chain of one vector: inputs by value, NBUF
 *                         out-parameters of type SP_LOOP_V. It must not depend on lanes being special.
 *                         (The f32 kernels' "front" is such a stage: what their software pipelining
 *                         overlapped, the block overlaps for every vector.)
 *   SP_LOOP_STAGE2(ctx, mode, i0, [i1, [i2,]] b0 [, b1 ...], &m)   -> SP_LOOP_V
 *                         the op from the inputs and stage 1's vectors; sets m to the lanes it could
 *                         not do (any value in those lanes of the result is fine).
 *   SP_LOOP_SPECIAL(ctx, mode, i0, [i1, [i2,]] r, bits)   -> SP_LOOP_V
 *                         the careful path: returns r with the lanes set in bits (a uint64_t) redone.
 *                         Make it (or what it calls) SP_NOINLINE so that the fast loop stays small.
 * Optional, all three or none: a screen that lets stage 2 drop its mask where a whole block is clean.
 *   SP_LOOP_SCREEN_INIT   the screen's starting value, of type SP_LOOP_V
 *   SP_LOOP_SCREEN(ctx, mode, i0, [i1, [i2,]] acc)   -> SP_LOOP_V
 *                         acc with the vector's inputs screened in (run in stage 1's loop, before the
 *                         block's first output is stored); it must mark acc (below) for every vector
 *                         of which stage 2 could flag a lane. Marking more is allowed: it only costs the
 *                         masked loop for that block.
 *   SP_LOOP_SCREEN_HIT(acc)   nonzero when acc is marked.
 *                         A block whose screen is not hit runs stage 2 without reading its mask (no
 *                         bits, test or branch per vector: the compiler drops the mask's computation);
 *                         a hit block runs the loop described below. Same stages, same results.
 *
 * What the driver guarantees:
 *   - Blocks of BLOCK elements: stage 1 runs over the whole block into stack buffers, then stage 2.
 *     Two short dependency chains instead of one long one: with one chain per vector the out-of-order
 *     window fills with waiting operations (f64 on Zen 5 ran at ~60% of the two-stage speed).
 *   - In calls of PREFETCH_FROM bytes per input or more, stage 1 prefetches every input SP_PREFETCH_BYTES
 *     (kernels.h) ahead of the vector it loads (one prefetch per 64 bytes of each input, also past the end of the
 *     arrays, where it reads nothing). On the Intel Xeon (Sapphire Rapids class) VM of December 2026 the
 *     hardware prefetchers alone left a streaming call short of its data: at 32M elements, alternated in
 *     one process, AVX-512 f32 forward / backward / second derivative / inverse 0.76 / 0.78 / 0.79 / 0.84x
 *     the time (fast tier forward 1.28 -> 1.61 Gelem/s), AVX2 0.86 / 0.82 / 0.81 / 0.90x (distances of 1,
 *     4 and 16 KiB: 4 best). In cache AVX-512 gained too (32K elements 0.96x, 4K 0.98-1.00x: its files
 *     set PREFETCH_FROM 0) and AVX2 lost (backward 1.03x at 4K and 32K, one prefetch per line or per
 *     vector alike).
 *   - Special lanes are deferred: the fast loop makes no call, only saves the inputs and the fast result
 *     of a vector that has special lanes, with its bits, and stores the fast result; after the block
 *     each such vector is redone by SP_LOOP_SPECIAL from what was saved and stored again. The inputs are
 *     saved because out may be any one of the inputs (in-place calls are legal, src/kernels.h), and it
 *     has been overwritten by then; the result is saved because out is never read: a line just written
 *     around the caches (below) is read back from memory, one wait per redone vector. Reading it back
 *     made the strict f32 tier at 32M elements with the benchmark's inputs (a redone lane in ~4% of
 *     the vectors) 1.8x / 1.6x slower in forward / backward on the AVX-512 VM of December 2026, 1.5x /
 *     1.4x with AVX2 (alternated in one process; in cache the same time, within 1-2% noise).
 *   - Every vector reads its inputs before its output is stored, so in == out is fine; partial
 *     overlap is excluded by the kernel contract.
 *   - Two vectors per loop iteration (SP_STAGE_UNROLL, src/kernels.h; stage 2 with special lanes: a pair
 *     with one test of both masks, its saves before both stores), so that the compiler's scheduler can
 *     interleave two dependency chains. The pair in stage 2's masked loop, against the unrolled loop with a
 *     test per vector (alternated in one process, Zen 5, December 2026): f64 AVX-512 forward 0.94x the
 *     time, backward 0.97x, beta gradient 0.90x, AVX2 and SSE4.1 0.89-1.01x (AVX2 inverse 1.03x); f32
 *     0.97-1.00x.
 *   - A call of one whole vector and a tail (W <= n < 2W) runs that vector in registers, stage 1 then
 *     stage 2 then its special lanes, like the tail below: no block, no buffers.
 *   - The last n mod W elements run the same stage 1 and stage 2 on a vector whose lanes k and up are
 *     zero, so each element gets the same bits whatever its position; special bits of the padding
 *     lanes are dropped, and the tail's special lanes are redone at once.
 *   - Nothing outside [p, p + n) of any array is read or written.
 *   - With SP_LOOP_STREAM, an output of at least SP_STREAM_FROM_BYTES (16 MiB, beyond a core's share
 *     of the last-level cache) whose pointer is element-aligned is written with non-temporal stores, so that
 *     its lines are not first read from memory: its first elements up to the vector alignment run as a
 *     tail does (a partial vector), the blocks then store aligned vectors, and the call ends with the fence.
 *     The same stages on the same elements: the same bits.
 * Adding an op (second derivative g, x -> out; inverse y -> x; beta-gradient dy, x -> dbeta) is a
 * new set of stage functions and one more inclusion with its own SP_LOOP_NAME and SP_LOOP_NIN.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(SP_LOOP_NAME) || !defined(SP_LOOP_T) || !defined(SP_LOOP_V) || !defined(SP_LOOP_M) ||       \
    !defined(SP_LOOP_W) || !defined(SP_LOOP_NIN) || !defined(SP_LOOP_NBUF) || !defined(SP_LOOP_CTX) ||   \
    !defined(SP_LOOP_LOADU) || !defined(SP_LOOP_STOREU) || !defined(SP_LOOP_LOADA) ||                    \
    !defined(SP_LOOP_STOREA) || !defined(SP_LOOP_BITS) || !defined(SP_LOOP_STAGE1) ||                    \
    !defined(SP_LOOP_STAGE2) || !defined(SP_LOOP_SPECIAL)
#error "softplus_loop.h: a required SP_LOOP_* parameter is not defined (see the comment at the top)"
#endif
#if defined(SP_LOOP_SCREEN) && (!defined(SP_LOOP_SCREEN_INIT) || !defined(SP_LOOP_SCREEN_HIT))
#error "softplus_loop.h: SP_LOOP_SCREEN needs SP_LOOP_SCREEN_INIT and SP_LOOP_SCREEN_HIT"
#endif
#ifndef SP_LOOP_BLOCK
#define SP_LOOP_BLOCK 256
#endif
#ifndef SP_LOOP_PREFETCH_FROM
#define SP_LOOP_PREFETCH_FROM SP_PREFETCH_FROM_DEFAULT
#endif
#if SP_LOOP_BLOCK % SP_LOOP_W != 0 || SP_LOOP_W > 64
#error "softplus_loop.h: SP_LOOP_BLOCK must be a multiple of SP_LOOP_W, and SP_LOOP_W at most 64"
#endif

/* Lists over the inputs and over stage 1's vectors: L(M) expands M(0), M(1), ... with commas, E(M)
 * without. Each instantiation redefines them (they are #undef-ed at the end). */
#if SP_LOOP_NIN == 1
#define SP_LOOP_IN_L_(M) M(0)
#define SP_LOOP_IN_E_(M) M(0)
#elif SP_LOOP_NIN == 2
#define SP_LOOP_IN_L_(M) M(0), M(1)
#define SP_LOOP_IN_E_(M) M(0) M(1)
#elif SP_LOOP_NIN == 3
#define SP_LOOP_IN_L_(M) M(0), M(1), M(2)
#define SP_LOOP_IN_E_(M) M(0) M(1) M(2)
#else
#error "softplus_loop.h: SP_LOOP_NIN must be 1, 2 or 3"
#endif
#if SP_LOOP_NBUF == 1
#define SP_LOOP_B_L_(M) M(0)
#define SP_LOOP_B_E_(M) M(0)
#elif SP_LOOP_NBUF == 2
#define SP_LOOP_B_L_(M) M(0), M(1)
#define SP_LOOP_B_E_(M) M(0) M(1)
#elif SP_LOOP_NBUF == 3
#define SP_LOOP_B_L_(M) M(0), M(1), M(2)
#define SP_LOOP_B_E_(M) M(0) M(1) M(2)
#elif SP_LOOP_NBUF == 4
#define SP_LOOP_B_L_(M) M(0), M(1), M(2), M(3)
#define SP_LOOP_B_E_(M) M(0) M(1) M(2) M(3)
#else
#error "softplus_loop.h: SP_LOOP_NBUF must be 1, 2, 3 or 4"
#endif

/* f(args) after the lists in args are expanded, so that f sees their commas */
#define SP_LOOP_CALL_(f, ...) f(__VA_ARGS__)
#define SP_LOOP_PARAM_(k) const SP_LOOP_T *in##k
#define SP_LOOP_VAL_(k) v##k
#define SP_LOOP_BVAL_(k) b##k
#define SP_LOOP_BADDR_(k) &b##k
#define SP_LOOP_BDECL_(k) SP_LOOP_V b##k;
#define SP_LOOP_BUFDECL_(k) _Alignas(SP_LOOP_ALIGN_) SP_LOOP_T buf##k[SP_LOOP_BLOCK];
#define SP_LOOP_SAVEDECL_(k) _Alignas(SP_LOOP_ALIGN_) SP_LOOP_T save##k[SP_LOOP_BLOCK];
/* (void): stage 1 may not read every input (backward reads x only); the dead load is dropped */
#define SP_LOOP_LOAD_IN_(k) const SP_LOOP_V v##k = SP_LOOP_LOADU(in##k + i + j); (void)v##k;
#define SP_LOOP_LOAD_IN2_(k) const SP_LOOP_V w##k = SP_LOOP_LOADU(in##k + i + j + SP_LOOP_W); (void)w##k;
#define SP_LOOP_VAL2_(k) w##k
#define SP_LOOP_LOAD_B2_(k) SP_LOOP_LOADA(buf##k + j + SP_LOOP_W)
#define SP_LOOP_SAVE_IN2_(k) SP_LOOP_STOREA(save##k + SP_LOOP_W * ns, w##k);
#define SP_LOOP_PREFETCH_IN_(k) SP_PREFETCH_AHEAD(in##k + i + j);
#define SP_LOOP_STORE_B_(k) SP_LOOP_STOREA(buf##k + j, b##k);
#define SP_LOOP_LOAD_B_(k) SP_LOOP_LOADA(buf##k + j)
#define SP_LOOP_SAVE_IN_(k) SP_LOOP_STOREA(save##k + SP_LOOP_W * ns, v##k);
/* A vector of stage 2 with special lanes (bits): its inputs (SAVE names their vectors), result and bits at
 * block position pos, kept to be redone after the block; called before its output is stored, since out may
 * be one of the inputs. */
#define SP_LOOP_DEFER_(SAVE, r, bits, pos)                                                           \
    do {                                                                                            \
        const uint64_t b_ = (bits);                                                                 \
        if (b_) {                                                                                   \
            SP_LOOP_IN_E_(SAVE)                                                                     \
            SP_LOOP_STOREA(saved_r + SP_LOOP_W * ns, r);                                            \
            spos[ns] = (pos);                                                                       \
            sbits[ns++] = b_;                                                                       \
        }                                                                                           \
    } while (0)
#define SP_LOOP_LOAD_SAVED_(k) const SP_LOOP_V v##k = SP_LOOP_LOADA(save##k + SP_LOOP_W * q); (void)v##k;
#define SP_LOOP_LOAD_FIRST_IN_(k) const SP_LOOP_V v##k = SP_LOOP_LOADU(in##k); (void)v##k;
#define SP_LOOP_LOAD_TAIL_IN_(k) const SP_LOOP_V v##k = SP_LOOP_LOAD_TAIL(in##k + at_, k_); (void)v##k;
/* The k_ elements at at_ (1 <= k_ < W) as a vector whose lanes k_ and up are zero: the same stage 1 and
 * stage 2, special bits of the padding lanes dropped, the special lanes redone at once. */
#define SP_LOOP_PARTIAL_(at, count)                                                                    \
    do {                                                                                            \
        const size_t at_ = (at), k_ = (count);                                                      \
        SP_LOOP_IN_E_(SP_LOOP_LOAD_TAIL_IN_)                                                        \
        SP_LOOP_B_E_(SP_LOOP_BDECL_)                                                                \
        SP_LOOP_CALL_(SP_LOOP_STAGE1, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_), SP_LOOP_B_L_(SP_LOOP_BADDR_)); \
        SP_LOOP_M sm;                                                                               \
        SP_LOOP_V r = SP_LOOP_CALL_(SP_LOOP_STAGE2, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_),          \
                                    SP_LOOP_B_L_(SP_LOOP_BVAL_), &sm);                             \
        const uint64_t bits = SP_LOOP_BITS(sm) & ((UINT64_C(1) << k_) - 1u);                        \
        if (bits)                                                                                   \
            r = SP_LOOP_CALL_(SP_LOOP_SPECIAL, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_), r, bits);    \
        SP_LOOP_STORE_TAIL(out + at_, r, k_);                                                       \
    } while (0)
#ifdef SP_LOOP_STREAM
#define SP_LOOP_STORE_OUT_(stream, p, v)                                                             \
    do {                                                                                            \
        if (SP_UNLIKELY(stream))                                                                    \
            SP_LOOP_STREAM(p, v);                                                                   \
        else                                                                                        \
            SP_LOOP_STOREU(p, v);                                                                   \
    } while (0)
#else
#define SP_LOOP_STORE_OUT_(stream, p, v) SP_LOOP_STOREU(p, v)
#endif
#define SP_LOOP_ARG_(k) in##k
#define SP_LOOP_CAT_(a, b) a##b
#define SP_LOOP_XCAT_(a, b) SP_LOOP_CAT_(a, b)
#define SP_LOOP_BLOCKS_ SP_LOOP_XCAT_(SP_LOOP_NAME, _blocks)
#define SP_LOOP_ALIGN_ (SP_LOOP_W * sizeof(SP_LOOP_T) < 16 ? 16 : SP_LOOP_W * sizeof(SP_LOOP_T))

#ifndef SP_LOOP_LOAD_TAIL
#define SP_LOOP_DEFAULT_TAIL_
#define SP_LOOP_LOAD_TAIL(p, k) sp_loop_load_tail_(p, k)
#define SP_LOOP_STORE_TAIL(p, v, k) sp_loop_store_tail_(p, v, k)
/* The default tail: a zero-padded copy. Defined once per file (the first instantiation without
 * SP_LOOP_LOAD_TAIL): both ops of a file share SP_LOOP_T and SP_LOOP_V. */
#ifndef SP_LOOP_DEFAULT_TAIL_DEFINED_
#define SP_LOOP_DEFAULT_TAIL_DEFINED_
SP_INLINE SP_LOOP_V sp_loop_load_tail_(const SP_LOOP_T *p, size_t k)
{
    _Alignas(SP_LOOP_ALIGN_) SP_LOOP_T b[SP_LOOP_W] = {0};
    memcpy(b, p, k * sizeof(SP_LOOP_T));
    return SP_LOOP_LOADA(b);
}

SP_INLINE void sp_loop_store_tail_(SP_LOOP_T *p, SP_LOOP_V v, size_t k)
{
    _Alignas(SP_LOOP_ALIGN_) SP_LOOP_T b[SP_LOOP_W];
    SP_LOOP_STOREA(b, v);
    memcpy(p, b, k * sizeof(SP_LOOP_T));
}
#endif
#endif

/* The whole blocks from element i on (while a vector's worth is left); returns where they end. Each store
 * tests stream, the rare case out of line (SP_UNLIKELY): a plain test per vector measured 1.01-1.035x the
 * time of the AVX2 f32 forward in cache, and this loop compiled once per store kind doubled the kernel files'
 * compile time (3.4 against 1.5 s for softplus_f32_avx512.c; 2.2 s now) for 0-1.7% in cache. */
SP_INLINE size_t SP_LOOP_BLOCKS_(size_t n, size_t i, SP_LOOP_IN_L_(SP_LOOP_PARAM_), SP_LOOP_T *out,
                                 const SP_LOOP_CTX *ctx, int mode, int ahead, int stream)
{
    SP_LOOP_B_E_(SP_LOOP_BUFDECL_)
    /* vectors with special lanes: inputs, position in the block and lanes */
    SP_LOOP_IN_E_(SP_LOOP_SAVEDECL_)
    _Alignas(SP_LOOP_ALIGN_) SP_LOOP_T saved_r[SP_LOOP_BLOCK];
    size_t spos[SP_LOOP_BLOCK / SP_LOOP_W];
    uint64_t sbits[SP_LOOP_BLOCK / SP_LOOP_W];
    (void)stream;
    while (n - i >= SP_LOOP_W) {
        const size_t m = n - i < SP_LOOP_BLOCK ? (n - i) & ~(size_t)(SP_LOOP_W - 1) : SP_LOOP_BLOCK;
#ifdef SP_LOOP_SCREEN
        SP_LOOP_V screen = SP_LOOP_SCREEN_INIT;
#endif
        SP_STAGE_UNROLL
        for (size_t j = 0; j < m; j += SP_LOOP_W) {
            if (ahead && j / SP_LOOP_W % SP_PREFETCH_LINE_VECS(SP_LOOP_W * sizeof(SP_LOOP_T)) == 0)
                SP_LOOP_IN_E_(SP_LOOP_PREFETCH_IN_)
            SP_LOOP_IN_E_(SP_LOOP_LOAD_IN_)
            SP_LOOP_B_E_(SP_LOOP_BDECL_)
            SP_LOOP_CALL_(SP_LOOP_STAGE1, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_),
                          SP_LOOP_B_L_(SP_LOOP_BADDR_));
            SP_LOOP_B_E_(SP_LOOP_STORE_B_)
#ifdef SP_LOOP_SCREEN
            screen = SP_LOOP_CALL_(SP_LOOP_SCREEN, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_), screen);
#endif
        }
#ifdef SP_LOOP_SCREEN
        if (!SP_LOOP_SCREEN_HIT(screen)) { /* no lane of the block is special: the mask is not read */
            SP_STAGE_UNROLL
            for (size_t j = 0; j < m; j += SP_LOOP_W) {
                SP_LOOP_IN_E_(SP_LOOP_LOAD_IN_)
                SP_LOOP_M sm;
                const SP_LOOP_V r = SP_LOOP_CALL_(SP_LOOP_STAGE2, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_),
                                                   SP_LOOP_B_L_(SP_LOOP_LOAD_B_), &sm);
                SP_LOOP_STORE_OUT_(stream, out + i + j, r);
                (void)sm;
            }
            i += m;
            continue;
        }
#endif
        size_t ns = 0, j = 0;
        /* Two vectors per iteration and one test for both (SP_STAGE_UNROLL: the scheduler interleaves
         * them); a vector with special lanes is saved -- inputs and result, before the outputs are
         * stored: in place, out is an input -- and redone after the block. */
        for (; j + 2 * SP_LOOP_W <= m; j += 2 * SP_LOOP_W) {
            SP_LOOP_IN_E_(SP_LOOP_LOAD_IN_)
            SP_LOOP_IN_E_(SP_LOOP_LOAD_IN2_)
            SP_LOOP_M sm, sm2;
            const SP_LOOP_V r = SP_LOOP_CALL_(SP_LOOP_STAGE2, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_),
                                               SP_LOOP_B_L_(SP_LOOP_LOAD_B_), &sm);
            const SP_LOOP_V r2 = SP_LOOP_CALL_(SP_LOOP_STAGE2, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL2_),
                                                SP_LOOP_B_L_(SP_LOOP_LOAD_B2_), &sm2);
            const uint64_t bits = SP_LOOP_BITS(sm), bits2 = SP_LOOP_BITS(sm2);
            if (SP_UNLIKELY(bits | bits2)) {
                SP_LOOP_DEFER_(SP_LOOP_SAVE_IN_, r, bits, j);
                SP_LOOP_DEFER_(SP_LOOP_SAVE_IN2_, r2, bits2, j + SP_LOOP_W);
            }
            SP_LOOP_STORE_OUT_(stream, out + i + j, r);
            SP_LOOP_STORE_OUT_(stream, out + i + j + SP_LOOP_W, r2);
        }
        if (j < m) { /* the block's odd vector (the last block of a call) */
            SP_LOOP_IN_E_(SP_LOOP_LOAD_IN_)
            SP_LOOP_M sm;
            const SP_LOOP_V r = SP_LOOP_CALL_(SP_LOOP_STAGE2, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_),
                                               SP_LOOP_B_L_(SP_LOOP_LOAD_B_), &sm);
            SP_LOOP_DEFER_(SP_LOOP_SAVE_IN_, r, SP_LOOP_BITS(sm), j);
            SP_LOOP_STORE_OUT_(stream, out + i + j, r);
        }
        for (size_t q = 0; q < ns; q++) {
            SP_LOOP_IN_E_(SP_LOOP_LOAD_SAVED_)
            const SP_LOOP_V r = SP_LOOP_LOADA(saved_r + SP_LOOP_W * q);
            SP_LOOP_STORE_OUT_(stream, out + i + spos[q],
                               SP_LOOP_CALL_(SP_LOOP_SPECIAL, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_), r, sbits[q]));
        }
        i += m;
    }
    return i;
}

SP_INLINE void SP_LOOP_NAME(size_t n, SP_LOOP_IN_L_(SP_LOOP_PARAM_), SP_LOOP_T *out,
                            const SP_LOOP_CTX *ctx, int mode)
{
    if (n < SP_LOOP_W) { /* a partial vector alone, first: nothing of the block loop's set-up runs */
        if (n)
            SP_LOOP_PARTIAL_(0, n);
        return;
    }
    size_t i = 0;
    const int ahead = sp_prefetch_this_call(n, sizeof(SP_LOOP_T), SP_LOOP_PREFETCH_FROM);
    /* One whole vector and a tail (n < 2W): in registers like the tail below. Through a block's buffers it
     * took 5-23 ns more per call (AVX-512 f64 forward of 8 elements 46 -> 23 ns, f32 of 16 26 -> 21 ns, AVX2
     * f32 of 8 28 -> 17 ns); beyond two vectors neither way wins everywhere (4 or 8 vectors in registers:
     * 0.83-1.22x). The same steps as the tail's, written twice: one inline function for both measured AVX2
     * f64 forward calls of 5 and 7 elements 1.12-1.29x slower (40.9 -> 45.9-53.1 ns). */
    if (n >= SP_LOOP_W && n < 2 * SP_LOOP_W) {
        SP_LOOP_IN_E_(SP_LOOP_LOAD_FIRST_IN_)
        SP_LOOP_B_E_(SP_LOOP_BDECL_)
        SP_LOOP_CALL_(SP_LOOP_STAGE1, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_), SP_LOOP_B_L_(SP_LOOP_BADDR_));
        SP_LOOP_M sm;
        SP_LOOP_V r = SP_LOOP_CALL_(SP_LOOP_STAGE2, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_),
                                    SP_LOOP_B_L_(SP_LOOP_BVAL_), &sm);
        const uint64_t bits = SP_LOOP_BITS(sm);
        if (bits)
            r = SP_LOOP_CALL_(SP_LOOP_SPECIAL, ctx, mode, SP_LOOP_IN_L_(SP_LOOP_VAL_), r, bits);
        SP_LOOP_STOREU(out, r); /* the inputs are in registers: in-place is fine */
        i = SP_LOOP_W;
    }
#ifdef SP_LOOP_STREAM
    /* a large output: the elements below its first vector-aligned one as a partial vector, then the blocks
     * with aligned non-temporal stores */
    const int stream = sp_stream_this_call(out, n, sizeof(SP_LOOP_T), SP_LOOP_W * sizeof(SP_LOOP_T), &i);
    if (stream && i)
        SP_LOOP_PARTIAL_(0, i);
#else
    const int stream = 0;
#endif
    i = SP_LOOP_BLOCKS_(n, i, SP_LOOP_IN_L_(SP_LOOP_ARG_), out, ctx, mode, ahead, stream);
    if (i < n)
        SP_LOOP_PARTIAL_(i, n - i);
#ifdef SP_LOOP_STREAM
    if (stream)
        SP_LOOP_STREAM_FENCE();
#endif
}

#ifdef SP_LOOP_DEFAULT_TAIL_
#undef SP_LOOP_DEFAULT_TAIL_
#undef SP_LOOP_LOAD_TAIL
#undef SP_LOOP_STORE_TAIL
#endif
#undef SP_LOOP_CALL_
#undef SP_LOOP_IN_L_
#undef SP_LOOP_IN_E_
#undef SP_LOOP_B_L_
#undef SP_LOOP_B_E_
#undef SP_LOOP_PARAM_
#undef SP_LOOP_VAL_
#undef SP_LOOP_BVAL_
#undef SP_LOOP_BADDR_
#undef SP_LOOP_BDECL_
#undef SP_LOOP_BUFDECL_
#undef SP_LOOP_SAVEDECL_
#undef SP_LOOP_LOAD_IN_
#undef SP_LOOP_LOAD_IN2_
#undef SP_LOOP_VAL2_
#undef SP_LOOP_LOAD_B2_
#undef SP_LOOP_SAVE_IN2_
#undef SP_LOOP_DEFER_
#undef SP_LOOP_PREFETCH_IN_
#undef SP_LOOP_STORE_B_
#undef SP_LOOP_LOAD_B_
#undef SP_LOOP_SAVE_IN_
#undef SP_LOOP_LOAD_SAVED_
#undef SP_LOOP_LOAD_FIRST_IN_
#undef SP_LOOP_LOAD_TAIL_IN_
#undef SP_LOOP_PARTIAL_
#undef SP_LOOP_STORE_OUT_
#undef SP_LOOP_ARG_
#undef SP_LOOP_CAT_
#undef SP_LOOP_XCAT_
#undef SP_LOOP_BLOCKS_
#undef SP_LOOP_ALIGN_
/* The op's parameters; the ISA's (LOADU, STOREU, LOADA, STOREA, BITS, LOAD_TAIL, STORE_TAIL, T, V,
 * M, W, BLOCK, CTX) stay defined for the next instantiation in the same file. */
#undef SP_LOOP_NAME
#undef SP_LOOP_NIN
#undef SP_LOOP_NBUF
#undef SP_LOOP_STAGE1
#undef SP_LOOP_STAGE2
#undef SP_LOOP_SPECIAL
#undef SP_LOOP_SCREEN
#undef SP_LOOP_SCREEN_INIT
#undef SP_LOOP_SCREEN_HIT

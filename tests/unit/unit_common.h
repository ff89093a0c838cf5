/* unit_common.h -- shared by the unit suites: the tensor functions (one per op and dtype) behind one call record, a seeded
 * generator with interesting float values, and the naive index-by-index reference.
 * SPDX-License-Identifier: MIT
 *
 * The reference walks every index of a call in plain row-major order and runs one ISA's kernel on that
 * single element (n = 1). The kernel contract makes an element's result independent of its position in a
 * run, so whatever runs, chunks, gathers and merges the strided engine chooses, the public call must
 * leave exactly these bytes: the output view holds the per-element results bit for bit, and every other
 * byte of the arena is what it was before the call.
 *
 * Everything here is static inline so that each suite can include it without unused-function noise.
 */
#ifndef SP_UNIT_COMMON_H
#define SP_UNIT_COMMON_H

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

#include "dispatch.h"
#include "any_params.h"
#include "kernels.h"
#include "registry.h"
#include "softplus.h"

/* ---- the tensor functions: one per (op, dtype) of src/lists.h ---------------------------------- */

/* The public functions in list order, op-major (softplus_forward_f32, softplus_forward_f64,
 * softplus_backward_f32, ...): SP_FN_<OP>_<DTYPE>. A new op or dtype in src/lists.h appears here, in
 * call_run and in kernel_one without an edit. */
typedef enum sp_fn {
#define SP_FN_ENUM_D(OTAG, dtag, DTAG, storage, size, compute, ctag) SP_FN_##OTAG##_##DTAG,
#define SP_FN_ENUM_O(ctx, otag, OTAG, public, inputs) SP_DTYPES(SP_FN_ENUM_D, OTAG)
    SP_OPS(SP_FN_ENUM_O, ~)
#undef SP_FN_ENUM_O
#undef SP_FN_ENUM_D
    SP_FN_COUNT
} sp_fn;

_Static_assert(SP_FN_COUNT == SP_OP_COUNT * SP_DTYPE_COUNT, "one public function per (op, dtype)");

static inline sp_op fn_op(sp_fn fn)
{
    return (sp_op)((unsigned)fn / SP_DTYPE_COUNT);
}

static inline sp_dtype fn_dtype(sp_fn fn)
{
    return (sp_dtype)((unsigned)fn % SP_DTYPE_COUNT);
}

static inline sp_fn fn_of(sp_op op, sp_dtype dtype)
{
    return (sp_fn)((unsigned)op * SP_DTYPE_COUNT + (unsigned)dtype);
}

/* Bytes of one stored element. */
static inline size_t op_elem_size(sp_fn fn)
{
#define SP_FN_SIZE(ctx, tag, TAG, storage, size, compute, ctag) size,
    static const size_t sizes[] = {SP_DTYPES(SP_FN_SIZE, ~)};
#undef SP_FN_SIZE
    return sizes[fn_dtype(fn)];
}

/* Tensor operands: the output and the op's inputs. */
static inline size_t op_noperands(sp_fn fn)
{
#define SP_FN_INPUTS(ctx, tag, TAG, public, inputs) 1 + (inputs),
    static const size_t counts[] = {SP_OPS(SP_FN_INPUTS, ~)};
#undef SP_FN_INPUTS
    return counts[fn_op(fn)];
}

/* Whether beta and threshold are float (f32, and bf16 and f16, which compute in float). */
static inline int op_is_f32(sp_fn fn)
{
#define SP_FN_FLOAT(ctx, tag, TAG, storage, size, compute, ctag) sizeof(compute) == sizeof(float),
    static const int is_float[] = {SP_DTYPES(SP_FN_FLOAT, ~)};
#undef SP_FN_FLOAT
    return is_float[fn_dtype(fn)];
}

static inline const char *op_name(sp_fn fn)
{
#define SP_FN_NAME_D(public, dtag, DTAG, storage, size, compute, ctag) "softplus_" #public "_" #dtag,
#define SP_FN_NAME_O(ctx, otag, OTAG, public, inputs) SP_DTYPES(SP_FN_NAME_D, public)
    static const char *const names[] = {SP_OPS(SP_FN_NAME_O, ~)};
#undef SP_FN_NAME_O
#undef SP_FN_NAME_D
    return (unsigned)fn < SP_FN_COUNT ? names[fn] : "?";
}

/* Operand k of a call: 0 is the output (y or dx), 1 is x (forward) or dy (backward), 2 is x (backward).
 * This is the library's own operand order (output first), so tests can say "operand k" uniformly. */
static inline const char *operand_name(sp_fn fn, size_t k)
{
    if (k == 0)
        return op_noperands(fn) == 2 ? "y" : "dx";
    if (k == 1)
        return op_noperands(fn) == 2 ? "x" : "dy";
    return "x";
}

typedef struct sp_call {
    sp_fn op;
    size_t ndim;
    const size_t *shape;
    void *ptr[3];
    const ptrdiff_t *strides[3];
    double beta; /* narrowed to the dtype's compute type (float for f32) */
    double threshold;
} sp_call;

/* The public call: inputs in the signature's order (ptr[1], ptr[2]), then the output (ptr[0]). */
#define SP_CALL_INPUTS_1 c->ptr[1], c->strides[1],
#define SP_CALL_INPUTS_2 c->ptr[1], c->strides[1], c->ptr[2], c->strides[2],
#define SP_CALL_CASE_D(o, dtag, DTAG, storage, size, compute, ctag) SP_CALL(SP_CALL_CASE, SP_UNPACK o, dtag, DTAG, compute)
#define SP_CALL_CASE(OTAG, public, inputs, dtag, DTAG, compute)                                      \
    case SP_FN_##OTAG##_##DTAG:                                                                      \
        return softplus_##public##_##dtag(c->ndim, c->shape, SP_CALL_INPUTS_##inputs c->ptr[0], c->strides[0], \
                                          (compute)c->beta, (compute)c->threshold);
#define SP_CALL_CASE_O(ctx, otag, OTAG, public, inputs) SP_DTYPES(SP_CALL_CASE_D, (OTAG, public, inputs))

static inline softplus_status call_run(const sp_call *c)
{
    switch (c->op) {
        SP_OPS(SP_CALL_CASE_O, ~)
    case SP_FN_COUNT: break;
    }
    return (softplus_status)-1;
}

/* n contiguous elements through kernel set k's entry for fn in the active accuracy tier (the one the
 * public call beside it runs): ptrs in the engine's order (output first). */
static inline void kernel_run(sp_fn fn, const sp_kernel_set *k, size_t n, void *const *ptrs, double beta,
                              double threshold)
{
    const sp_any_params p = any_params(fn_dtype(fn), beta, threshold);
    sp_kernel_of(k, sp_active_accuracy(), fn_op(fn), fn_dtype(fn))->run(n, ptrs, &p);
}

/* One element through kernel set k: in[0] is x (forward) or dy, in[1] is x (backward). Bytes in, bytes
 * out, so NaN payloads travel untouched to and from the kernel. (Stored = computed type for every
 * dtype so far; a converting dtype would go through the engine's hook here.) */
static inline void kernel_one(sp_fn fn, const sp_kernel_set *k, const unsigned char *in0,
                              const unsigned char *in1, unsigned char *out, double beta, double threshold)
{
    const size_t es = op_elem_size(fn);
    _Alignas(16) unsigned char a[16], b[16], r[16];
    memcpy(a, in0, es);
    if (op_noperands(fn) > 2)
        memcpy(b, in1, es);
    void *const ptrs[3] = {r, a, b};
    kernel_run(fn, k, 1, ptrs, beta, threshold);
    memcpy(out, r, es);
}

/* "%a (0x...)" of one element's bytes, into buf. */
static inline const char *elem_str(char *buf, size_t len, const unsigned char *bytes, size_t es)
{
    if (es == 2) { /* bf16 or f16: the bits */
        uint16_t h;
        memcpy(&h, bytes, sizeof h);
        snprintf(buf, len, "0x%04x", (unsigned)h);
    } else if (es == sizeof(float)) {
        float f;
        uint32_t u;
        memcpy(&f, bytes, sizeof f);
        memcpy(&u, bytes, sizeof u);
        snprintf(buf, len, "%a (0x%08lx)", (double)f, (unsigned long)u);
    } else {
        double d;
        uint64_t u;
        memcpy(&d, bytes, sizeof d);
        memcpy(&u, bytes, sizeof u);
        snprintf(buf, len, "%a (0x%016llx)", d, (unsigned long long)u);
    }
    return buf;
}

/* ---- the naive reference ------------------------------------------------------------------------ */

/* Byte offsets, relative to arena, of operand k's element at index idx; strides NULL means C-contiguous. */
static inline ptrdiff_t element_offset(const sp_call *c, size_t k, const unsigned char *arena, const size_t *idx)
{
    const ptrdiff_t es = (ptrdiff_t)op_elem_size(c->op);
    ptrdiff_t off = (const unsigned char *)c->ptr[k] - arena;
    ptrdiff_t contiguous = 1;
    for (size_t d = c->ndim; d-- > 0;) {
        const ptrdiff_t s = c->strides[k] ? c->strides[k][d] : contiguous;
        /* A size-1 dimension may carry any stride, even PTRDIFF_MIN: index 0 contributes nothing. */
        if (idx[d] != 0)
            off += (ptrdiff_t)idx[d] * s * es;
        contiguous *= (ptrdiff_t)c->shape[d];
    }
    return off;
}

/* Advances a row-major odometer over shape; 0 when it wrapped around (done). */
static inline int next_index(size_t ndim, const size_t *shape, size_t *idx)
{
    for (size_t d = ndim; d-- > 0;) {
        if (++idx[d] < shape[d])
            return 1;
        idx[d] = 0;
    }
    return 0;
}

static inline int call_is_empty(const sp_call *c)
{
    for (size_t d = 0; d < c->ndim; d++)
        if (c->shape[d] == 0)
            return 1;
    return 0;
}

static inline void print_index(const sp_call *c, const size_t *idx)
{
    char buf[512];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t d = 0; d < c->ndim && used + 24 < sizeof buf; d++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%zu", d ? "," : "", idx[d]);
    print_error("    at index (%s) of shape (", buf);
    used = 0;
    buf[0] = '\0';
    for (size_t d = 0; d < c->ndim && used + 24 < sizeof buf; d++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%zu", d ? "," : "", c->shape[d]);
    print_error("%s), beta %a, threshold %a\n", buf, c->beta, c->threshold);
}

/* Whether arena (size bytes, laid over `before`, its contents before the call) holds exactly what call c
 * must have produced with kernel set k. Every view of c must lie inside the arena. On a mismatch prints
 * the first wrong byte: the element's index, inputs, got and want in hex, or the byte outside the view. */
static inline int check_call_result(const sp_call *c, const sp_kernel_set *k, const unsigned char *arena,
                                    const unsigned char *before, size_t size)
{
    const size_t es = op_elem_size(c->op);
    const size_t nin = op_noperands(c->op) - 1;
    unsigned char *want = malloc(size ? size : 1);
    if (!want) {
        print_error("out of memory\n");
        return 0;
    }
    memcpy(want, before, size);
    size_t idx[SOFTPLUS_MAX_NDIM] = {0};
    if (!call_is_empty(c)) {
        do {
            ptrdiff_t off[3] = {0, 0, 0}; /* off[2] is read only for two-input ops */
            for (size_t j = 0; j <= nin; j++) {
                off[j] = element_offset(c, j, arena, idx);
                if (off[j] < 0 || (size_t)off[j] + es > size) {
                    print_error("test bug: %s view leaves the arena\n", operand_name(c->op, j));
                    free(want);
                    return 0;
                }
            }
            kernel_one(c->op, k, before + off[1], nin > 1 ? before + off[2] : NULL, want + off[0], c->beta,
                       c->threshold);
        } while (next_index(c->ndim, c->shape, idx));
    }
    int ok = memcmp(arena, want, size) == 0;
    if (!ok) {
        size_t first = 0;
        size_t wrong = 0;
        for (size_t i = 0; i < size; i++)
            if (arena[i] != want[i] && wrong++ == 0)
                first = i;
        print_error("%s under %s: %zu wrong byte(s), the first at arena offset %zu\n", op_name(c->op),
                    softplus_isa_name(k->isa), wrong, first);
        int in_view = 0;
        memset(idx, 0, sizeof idx);
        if (!call_is_empty(c)) {
            do {
                const ptrdiff_t o = element_offset(c, 0, arena, idx);
                if ((size_t)o <= first && first < (size_t)o + es) {
                    char b0[96], b1[96], b2[96], b3[96];
                    in_view = 1;
                    print_index(c, idx);
                    print_error("    input %s = %s", operand_name(c->op, 1),
                                elem_str(b0, sizeof b0, before + element_offset(c, 1, arena, idx), es));
                    if (nin > 1)
                        print_error(", %s = %s", operand_name(c->op, 2),
                                    elem_str(b1, sizeof b1, before + element_offset(c, 2, arena, idx), es));
                    print_error("\n    got %s, want %s\n", elem_str(b2, sizeof b2, arena + o, es),
                                elem_str(b3, sizeof b3, want + o, es));
                    break;
                }
            } while (next_index(c->ndim, c->shape, idx));
        }
        if (!in_view)
            print_error("    byte outside the output view changed: got 0x%02x, want 0x%02x\n", arena[first],
                        want[first]);
    }
    free(want);
    return ok;
}

/* ---- a seeded generator and interesting values ------------------------------------------------- */

typedef struct sp_rng {
    uint64_t s;
} sp_rng;

static inline uint64_t rng_next(sp_rng *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline size_t rng_below(sp_rng *r, size_t n) /* uniform enough for n << 2^64 */
{
    return n ? (size_t)(rng_next(r) % n) : 0;
}

static inline double rng_unit(sp_rng *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) * 0x1p-53;
}

/* A value meant to reach every branch of a kernel: NaNs with payloads, infinities, signed zeros,
 * subnormals, huge values, the linear-branch boundary around |x| ~ 20 and +-1 ulp around small integers,
 * a wide log-uniform range, and raw random bits. Returned as bytes of the element type. */
static inline void interesting_value(sp_rng *r, size_t es, unsigned char *out)
{
    if (es == 2) { /* bf16 or f16: the top half of an interesting float's bits */
        unsigned char f[4];
        uint32_t u;
        interesting_value(r, 4, f);
        memcpy(&u, f, sizeof u);
        const uint16_t h = (uint16_t)(u >> 16);
        memcpy(out, &h, sizeof h);
        return;
    }
    const uint64_t bits = rng_next(r);
    const int negative = (int)(bits >> 63);
    double v;
    switch (rng_below(r, 16)) {
    case 0: /* NaN, quiet or signalling, random payload and sign */
        if (es == sizeof(float)) {
            uint32_t u = 0x7f800000u | (uint32_t)(bits & 0x807fffffu);
            if ((u & 0x007fffffu) == 0)
                u |= 0x00400000u;
            memcpy(out, &u, 4);
        } else {
            uint64_t u = 0x7ff0000000000000u | (bits & 0x800fffffffffffffu);
            if ((u & 0x000fffffffffffffu) == 0)
                u |= 0x0008000000000000u;
            memcpy(out, &u, 8);
        }
        return;
    case 1: v = negative ? -INFINITY : INFINITY; break;
    case 2: v = negative ? -0.0 : 0.0; break;
    case 3: /* subnormal */
        if (es == sizeof(float)) {
            uint32_t u = (uint32_t)(bits & 0x807fffffu);
            memcpy(out, &u, 4);
        } else {
            uint64_t u = bits & 0x800fffffffffffffu;
            memcpy(out, &u, 8);
        }
        return;
    case 4: /* near the top of the range */
        v = (es == sizeof(float) ? FLT_MAX : DBL_MAX) * (0.5 + 0.5 * rng_unit(r));
        if (negative)
            v = -v;
        break;
    case 5: case 6: case 7: case 8: v = -40.0 + 80.0 * rng_unit(r); break;
    case 9: case 10: /* small integers and their neighbours: the threshold boundary, ln 2 at 0 */
        v = (double)((int)rng_below(r, 61) - 30);
        v *= 1.0 + (double)((int)rng_below(r, 5) - 2) * (es == sizeof(float) ? FLT_EPSILON : DBL_EPSILON);
        break;
    case 11: case 12: case 13: /* log-uniform over 2^-60 .. 2^60 */
        v = ldexp(1.0 + rng_unit(r), (int)rng_below(r, 121) - 60);
        if (negative)
            v = -v;
        break;
    default: /* raw bits: anything at all */
        memcpy(out, &bits, es);
        return;
    }
    if (es == sizeof(float)) {
        const float f = (float)v;
        memcpy(out, &f, 4);
    } else {
        memcpy(out, &v, 8);
    }
}

/* The ISAs of src/lists.h are SOFTPLUS_ISA_<TAG> = 1 .. SP_ISA_LAST without gaps (registry.c asserts
 * it), so a loop from SOFTPLUS_ISA_SCALAR to SP_ISA_LAST visits every listed ISA. */
#define SP_ISA_COUNT_ONE(ctx, tag, TAG, fallback, priority, features) +1
#define SP_ISA_LAST ((int)(0 SP_ISAS(SP_ISA_COUNT_ONE, ~)))

/* The ISAs softplus_isa_supported says this machine runs, SCALAR first; returns how many. */
static inline size_t supported_isas(softplus_isa *list)
{
    size_t n = 0;
#define SP_SUPPORTED_ISA(ctx, tag, TAG, fallback, priority, features)                                \
    if (softplus_isa_supported(SOFTPLUS_ISA_##TAG))                                                  \
        list[n++] = SOFTPLUS_ISA_##TAG;
    SP_ISAS(SP_SUPPORTED_ISA, ~)
#undef SP_SUPPORTED_ISA
    return n;
}

/* The kernel sets a test runs: every one this CPU supports, or the active one alone where each run costs
 * far more -- valgrind (SP_TEST_REDUCED; SOFTPLUS_ISA picks the set there) and, asked for, an emulated CPU
 * model (whose CPUID picks it, and whose instructions are what the emulation checks). */
static inline size_t tested_isas(softplus_isa *list, int active_only)
{
#ifdef SP_TEST_REDUCED
    active_only = 1;
#endif
    if (!active_only)
        return supported_isas(list);
    list[0] = softplus_active_isa();
    return 1;
}

/* The best ISA by the documented preference (the priority column of src/lists.h; the first listed
 * wins a tie), found through the public API only. */
static inline softplus_isa best_by_preference(void)
{
    softplus_isa best = SOFTPLUS_ISA_SCALAR;
    int best_priority = -1;
#define SP_BEST_ISA(ctx, tag, TAG, fallback, priority, features)                                     \
    if (softplus_isa_supported(SOFTPLUS_ISA_##TAG) && (priority) > best_priority) {                  \
        best = SOFTPLUS_ISA_##TAG;                                                                   \
        best_priority = (priority);                                                                  \
    }
    SP_ISAS(SP_BEST_ISA, ~)
#undef SP_BEST_ISA
    return best;
}

#endif /* SP_UNIT_COMMON_H */

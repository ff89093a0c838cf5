/* registry.c -- every ISA's kernel set, complete and indexed [accuracy][op][dtype], built from src/lists.h.
 * SPDX-License-Identifier: MIT
 *
 * An entry names the kernel that really runs: the ISA's own when the build compiled that ISA's kernel
 * file for the dtype, else its fallback's (cmake/isa.cmake resolves the chain into
 * sp_kernel_origins.h), with that kernel's documented bounds, its origin and its tier (a tier's entry is
 * the strict kernel where the ISA has no kernel of that tier for the dtype), so that tests ask the
 * registry what they are testing instead of re-deriving it. Everything here is a constant: no
 * initialisation, no locks, and no CPU knowledge (dispatch.c decides which sets this CPU may use).
 */
#include "registry.h"

#include "sp_kernel_origins.h"

#define SP_STR_(x) #x
#define SP_STR(x) SP_STR_(x)

/* ---- which kernel serves (op, dtype): an op the tier's file lacks (src/lists.h, SP_OP_IN_FILE) is the
 * set's strict kernel when that file has it, else the scalar reference (strict); the SP_OP_* macros take
 * the tier's generated SP_STEM_* names (sp_kernel_origins.h) and give that choice. ----------------- */
#define SP_HAS_(otag, dtag, stem) SP_OP_IN_FILE(otag, dtag, stem)
#define SP_HAS(otag, dtag, stem) SP_HAS_(otag, dtag, stem) /* expands the stem first */
/* what, one of SP_STEM_ SP_STEM_TAG_ SP_STEM_ORIGIN_ SP_STEM_TIER_; scalar_value its value for the scalar */
#define SP_OP_PICK(what, scalar_value, otag, atag, isa, dtag)                                        \
    SP_IF(SP_HAS(otag, dtag, SP_STEM_##atag##_##isa##_##dtag), what##atag##_##isa##_##dtag,           \
          SP_IF(SP_HAS(otag, dtag, SP_STEM_strict_##isa##_##dtag), what##strict_##isa##_##dtag, scalar_value))

/* ---- short calls on a narrower set: an (ISA, dtype) listed as SP_FEW_<isa>_<dtag> ~, 1 runs calls of
 * fewer than SP_FEW_BELOW elements on SP_FEW_ISA_<isa>'s kernel of the same tier, op and dtype, when that
 * kernel is the narrower ISA's own (origin SP_FEW_ORIGIN_<ORIGIN>): the same algorithm text, the same bits
 * (tests/accuracy/test_fma_identity.c; test_accuracy's tails compare each element of 9..64-element calls
 * with the same element alone), and a shorter path through one vector. A set's CPU features include the
 * narrower set's (src/lists.h), so the narrower kernel always runs where the wider set was chosen. One element per call through
 * the API (Zen 4, alternated, December 2026): AVX-512 f32 forward 21.2 ns, the AVX2 kernel 17.3; backward
 * 22.0 / 17.7; the second derivative, inverse and beta gradient 0.87-0.91x; 7 elements 0.85-0.95x. Not f64
 * (AVX2's forward and inverse 1.05-1.10x slower there) nor bf16/f16 (0.93-1.07x). ---------------------- */
#define SP_FEW_avx512_f32 ~, 1
#define SP_FEW_ISA_avx512 avx2
#define SP_FEW_ORIGIN_AVX2 ~, 1
#define SP_FEW_BELOW 8
#define SP_FEW_ISA(isa) SP_FEW_ISA_##isa
#define SP_FEW_PICK(...) SP_OP_PICK(__VA_ARGS__) /* expands SP_FEW_ISA(isa) before SP_OP_PICK pastes it */
#define SP_FEW_OWN_(origin) SP_SECOND(SP_FEW_ORIGIN_##origin, 0, ~)
#define SP_FEW_OWN(origin) SP_FEW_OWN_(origin) /* expands the origin first */
#define SP_FEW_ON_(atag, isa, otag, dtag) SP_FEW_OWN(SP_FEW_PICK(SP_STEM_ORIGIN_, SCALAR, otag, atag, SP_FEW_ISA(isa), dtag))
#define SP_FEW_ON(atag, isa, otag, dtag)                                                             \
    SP_IF(SP_SECOND(SP_FEW_##isa##_##dtag, 0, ~), SP_FEW_ON_, SP_FEW_OFF)(atag, isa, otag, dtag)
#define SP_FEW_OFF(...) 0
#define SP_FEW_CALL_(...) SP_FEW_CALL__(__VA_ARGS__) /* expands the stem before pasting it */
#define SP_FEW_CALL__(otag, dtag, inputs, stem)                                                      \
    if (n < SP_FEW_BELOW) {                                                                          \
        sp_##otag##_##dtag##_##stem(n, SP_ARGS_##inputs, params);                                   \
        return;                                                                                      \
    }
#define SP_FEW_CALL(isa, otag, dtag, inputs, atag)                                                   \
    SP_FEW_CALL_(otag, dtag, inputs, SP_FEW_PICK(SP_STEM_, scalar, otag, atag, SP_FEW_ISA(isa), dtag))

/* ---- adapters: the strided engine's operand order (output first) to the typed kernel's ---------- */
#define SP_ARGS_1 ptrs[1], ptrs[0]
#define SP_ARGS_2 ptrs[1], ptrs[2], ptrs[0]
#define SP_ADAPTER_(...) SP_ADAPTER__(__VA_ARGS__) /* expands the stem before pasting it */
#define SP_ADAPTER__(isa, otag, dtag, inputs, atag, stem, few)                                       \
    static void sp_run_##otag##_##dtag##_##atag##_in_##isa(size_t n, void *const *ptrs, const void *params) \
    {                                                                                                \
        SP_IF(few, SP_FEW_CALL, SP_NOTHING)(isa, otag, dtag, inputs, atag)                           \
        sp_##otag##_##dtag##_##stem(n, SP_ARGS_##inputs, params);                                   \
    }
#define SP_ADAPTER_TIER(c, atag, ATAG, suffix) SP_CALL(SP_ADAPTER_TIER_, SP_UNPACK c, atag)
#define SP_ADAPTER_TIER_(isa, dtag, otag, inputs, atag)                                              \
    SP_ADAPTER_(isa, otag, dtag, inputs, atag, SP_OP_PICK(SP_STEM_, scalar, otag, atag, isa, dtag),   \
                SP_FEW_ON(atag, isa, otag, dtag))
#define SP_ADAPTER_OP(c, otag, OTAG, public, inputs)                                                 \
    SP_ACCURACIES(SP_ADAPTER_TIER, (SP_UNPACK c, otag, inputs))
#define SP_ADAPTER_DTYPE(isa, dtag, DTAG, storage, size, compute, ctag) SP_OPS(SP_ADAPTER_OP, (isa, dtag))
#define SP_ADAPTER_ISA(ctx, isa, ISA, fallback, priority, features) SP_DTYPES(SP_ADAPTER_DTYPE, isa)
SP_ISAS(SP_ADAPTER_ISA, ~)

/* ---- the sets ------------------------------------------------------------------------------------ */
#define SP_ENTRY_(...) SP_ENTRY__(__VA_ARGS__)
#define SP_ENTRY__(isa, otag, dtag, DTAG, atag, stem, STEM, ORIGIN, TIER)                             \
    {sp_run_##otag##_##dtag##_##atag##_in_##isa, "sp_" #otag "_" #dtag "_" SP_STR(stem),              \
     SOFTPLUS_ISA_##ORIGIN, SOFTPLUS_ACCURACY_##TIER, SP_MAX_ULP_##DTAG##_##STEM,                      \
     SP_MAX_ULP_BETA_##DTAG##_##STEM}
#define SP_ENTRY(isa, atag, otag, dtag, DTAG)                                                        \
    SP_ENTRY_(isa, otag, dtag, DTAG, atag, SP_OP_PICK(SP_STEM_, scalar, otag, atag, isa, dtag),       \
              SP_OP_PICK(SP_STEM_TAG_, SCALAR, otag, atag, isa, dtag),                                \
              SP_OP_PICK(SP_STEM_ORIGIN_, SCALAR, otag, atag, isa, dtag),                             \
              SP_OP_PICK(SP_STEM_TIER_, STRICT, otag, atag, isa, dtag))
#define SP_SET_DTYPE(c, dtag, DTAG, storage, size, compute, ctag)                                    \
    [SP_DTYPE_##DTAG] = SP_CALL(SP_ENTRY, SP_UNPACK c, dtag, DTAG),
#define SP_SET_OP(c, otag, OTAG, public, inputs)                                                     \
    [SP_OP_##OTAG] = {SP_DTYPES(SP_SET_DTYPE, (SP_UNPACK c, otag))},
#define SP_SET_TIER(isa, atag, ATAG, suffix) [SOFTPLUS_ACCURACY_##ATAG] = {SP_OPS(SP_SET_OP, (isa, atag))},
#define SP_SET(ctx, isa, ISA, fallback, priority, features)                                          \
    [SOFTPLUS_ISA_##ISA] = {SOFTPLUS_ISA_##ISA, #isa, {SP_ACCURACIES(SP_SET_TIER, isa)}},
static const sp_kernel_set sp_sets[] = {SP_ISAS(SP_SET, ~)};

#define SP_COMPILED(ctx, isa, ISA, fallback, priority, features) [SOFTPLUS_ISA_##ISA] = SP_ISA_COMPILED_##isa,
static const unsigned char sp_compiled[] = {SP_ISAS(SP_COMPILED, ~)};

#define SP_COUNT(ctx, isa, ISA, fallback, priority, features) +1
_Static_assert(sizeof sp_sets / sizeof sp_sets[0] == 1 SP_ISAS(SP_COUNT, ~),
               "ISA enum values in src/lists.h run from 1 (scalar) without gaps");
#define SP_TIER_INDEX(ctx, atag, ATAG, suffix) +((int)SOFTPLUS_ACCURACY_##ATAG < (int)SP_ACCURACY_COUNT)
_Static_assert(SOFTPLUS_ACCURACY_STRICT == 0 && 0 SP_ACCURACIES(SP_TIER_INDEX, ~) == SP_ACCURACY_COUNT,
               "accuracy enum values in src/lists.h run from 0 (strict) without gaps");

const sp_kernel_set *sp_registry_set(softplus_isa isa)
{
    if ((unsigned)isa - 1u >= sizeof sp_sets / sizeof sp_sets[0] - 1u || !sp_compiled[isa])
        return NULL;
    return &sp_sets[isa];
}

/* registry.c -- every ISA's kernel set, complete and indexed [op][dtype], built from src/lists.h.
 * SPDX-License-Identifier: MIT
 *
 * An entry names the kernel that really runs: the ISA's own when the build compiled that ISA's kernel
 * file for the dtype, else its fallback's (cmake/isa.cmake resolves the chain into
 * sp_kernel_origins.h), with that kernel's documented bounds and its origin, so that tests ask the
 * registry what they are testing instead of re-deriving it. Everything here is a constant: no
 * initialisation, no locks, and no CPU knowledge (dispatch.c decides which sets this CPU may use).
 */
#include "registry.h"

#include "sp_kernel_origins.h"

#define SP_STR_(x) #x
#define SP_STR(x) SP_STR_(x)

/* ---- adapters: the strided engine's operand order (output first) to the typed kernel's ---------- */
#define SP_ARGS_1 ptrs[1], ptrs[0]
#define SP_ARGS_2 ptrs[1], ptrs[2], ptrs[0]
#define SP_ADAPTER_(...) SP_ADAPTER__(__VA_ARGS__) /* expands the origin before pasting it */
#define SP_ADAPTER__(isa, otag, dtag, inputs, origin)                                                \
    static void sp_run_##otag##_##dtag##_in_##isa(size_t n, void *const *ptrs, const void *params)   \
    {                                                                                                \
        sp_##otag##_##dtag##_##origin(n, SP_ARGS_##inputs, params);                                  \
    }
#define SP_ADAPTER(isa, dtag, otag, inputs) SP_ADAPTER_(isa, otag, dtag, inputs, SP_ORIGIN_##isa##_##dtag)
#define SP_ADAPTER_OP(c, otag, OTAG, public, inputs) SP_CALL(SP_ADAPTER, SP_UNPACK c, otag, inputs)
#define SP_ADAPTER_DTYPE(isa, dtag, DTAG, storage, size, compute, ctag) SP_OPS(SP_ADAPTER_OP, (isa, dtag))
#define SP_ADAPTER_ISA(ctx, isa, ISA, fallback, priority, features) SP_DTYPES(SP_ADAPTER_DTYPE, isa)
SP_ISAS(SP_ADAPTER_ISA, ~)

/* ---- the sets ------------------------------------------------------------------------------------ */
#define SP_ENTRY_(...) SP_ENTRY__(__VA_ARGS__)
#define SP_ENTRY__(isa, otag, dtag, DTAG, origin, ORIGIN)                                            \
    {sp_run_##otag##_##dtag##_in_##isa, "sp_" #otag "_" #dtag "_" SP_STR(origin), SOFTPLUS_ISA_##ORIGIN, \
     SP_MAX_ULP_##DTAG##_##ORIGIN, SP_MAX_ULP_BETA_##DTAG##_##ORIGIN}
#define SP_ENTRY(isa, otag, dtag, DTAG)                                                              \
    SP_ENTRY_(isa, otag, dtag, DTAG, SP_ORIGIN_##isa##_##dtag, SP_ORIGIN_TAG_##isa##_##dtag)
#define SP_SET_DTYPE(c, dtag, DTAG, storage, size, compute, ctag)                                    \
    [SP_DTYPE_##DTAG] = SP_CALL(SP_ENTRY, SP_UNPACK c, dtag, DTAG),
#define SP_SET_OP(isa, otag, OTAG, public, inputs) [SP_OP_##OTAG] = {SP_DTYPES(SP_SET_DTYPE, (isa, otag))},
#define SP_SET(ctx, isa, ISA, fallback, priority, features)                                          \
    [SOFTPLUS_ISA_##ISA] = {SOFTPLUS_ISA_##ISA, #isa, {SP_OPS(SP_SET_OP, isa)}},
static const sp_kernel_set sp_sets[] = {SP_ISAS(SP_SET, ~)};

#define SP_COMPILED(ctx, isa, ISA, fallback, priority, features) [SOFTPLUS_ISA_##ISA] = SP_ISA_COMPILED_##isa,
static const unsigned char sp_compiled[] = {SP_ISAS(SP_COMPILED, ~)};

#define SP_COUNT(ctx, isa, ISA, fallback, priority, features) +1
_Static_assert(sizeof sp_sets / sizeof sp_sets[0] == 1 SP_ISAS(SP_COUNT, ~),
               "ISA enum values in src/lists.h run from 1 (scalar) without gaps");

const sp_kernel_set *sp_registry_set(softplus_isa isa)
{
    if ((unsigned)isa - 1u >= sizeof sp_sets / sizeof sp_sets[0] - 1u || !sp_compiled[isa])
        return NULL;
    return &sp_sets[isa];
}

/* test_dispatch.c -- kernel-set selection: forcing each ISA, AUTO, SOFTPLUS_ISA read once at the first
 * resolution, concurrent first calls, and softplus_set_isa racing computations.
 * SPDX-License-Identifier: MIT
 *
 * One source, two executables (tests/unit/CMakeLists.txt):
 *   test_dispatch                     forcing and AUTO, in any process state;
 *   test_dispatch env WANT FIRST [unsetenv]
 *                                     the first library call of the process (FIRST: "active", "forward"
 *                                     or "backward") must resolve to WANT (an ISA name, or "best"); ctest
 *                                     runs it under several SOFTPLUS_ISA values. A WANT this CPU does not
 *                                     support is skipped (exit 77), so the entries run everywhere.
 *   test_dispatch_threads WANT [unsetenv]
 *                                     built with SP_TEST_DISPATCH_THREADS: 16 threads released by a barrier
 *                                     make their first calls at once, in this process and in forked fresh
 *                                     ones; then threads flip softplus_set_isa while others compute.
 * "unsetenv" removes SOFTPLUS_ISA before the first call, so that "best" holds whatever the caller's
 * environment says.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit_common.h"

/* The ISA called name, or -1 for anything else ("best" included). A table of its own rather than
 * softplus_isa_name, so that parsing arguments is not a library call (test_api checks the names). */
static int isa_from_name(const char *name)
{
    if (strcmp(name, "auto") == 0)
        return SOFTPLUS_ISA_AUTO;
#define SP_ISA_FROM_NAME(ctx, tag, TAG, fallback, priority, features)                                \
    if (strcmp(name, #tag) == 0)                                                                     \
        return SOFTPLUS_ISA_##TAG;
    SP_ISAS(SP_ISA_FROM_NAME, ~)
#undef SP_ISA_FROM_NAME
    return -1;
}

/* Index of the first element of out[0..n) that is not what kernel set k gives for its inputs, or n. */
static size_t first_mismatch(sp_fn op, const sp_kernel_set *k, size_t n, const void *in0, ptrdiff_t s0,
                             const void *in1, ptrdiff_t s1, const void *out, ptrdiff_t so, double beta,
                             double threshold)
{
    const size_t es = op_elem_size(op);
    for (size_t i = 0; i < n; i++) {
        unsigned char want[8];
        const unsigned char *a = (const unsigned char *)in0 + (ptrdiff_t)i * s0 * (ptrdiff_t)es;
        const unsigned char *b = in1 ? (const unsigned char *)in1 + (ptrdiff_t)i * s1 * (ptrdiff_t)es : NULL;
        kernel_one(op, k, a, b, want, beta, threshold);
        if (memcmp(want, (const unsigned char *)out + (ptrdiff_t)i * so * (ptrdiff_t)es, es) != 0)
            return i;
    }
    return n;
}

/* ctest's SKIP_RETURN_CODE: every test of the run was skipped. */
#define EXIT_SKIPPED 77

#ifndef SP_TEST_DISPATCH_THREADS

static int skipped;

/* ---- forcing and AUTO --------------------------------------------------------------------------- */

/* A forced call over n elements (contiguous, or input stride 3 and output stride -2 through the gather
 * buffer) leaves exactly what the kernels of isa give element by element. */
static int forced_call_matches(sp_fn op, softplus_isa isa, int strided, sp_rng *r)
{
    const size_t n = 777, es = op_elem_size(op), total = 8 * n + 64, bytes = total * es;
    unsigned char *pristine = malloc(bytes), *arena = malloc(bytes);
    if (!pristine || !arena) {
        free(pristine);
        free(arena);
        return 0;
    }
    for (size_t i = 0; i < total; i++)
        interesting_value(r, es, pristine + i * es);
    memcpy(arena, pristine, bytes);
    const size_t shape[1] = {n};
    const ptrdiff_t s_in[1] = {3}, s_out[1] = {-2};
    /* Regions: output [16, 16+2n), input 1 [2n+32, 5n+32), input 2 [5n+48, 8n+48). */
    const size_t out_at = strided ? 16 + 2 * (n - 1) : 16;
    sp_call c = {op, 1, shape, {arena + out_at * es, arena + (2 * n + 32) * es, arena + (5 * n + 48) * es},
                 {strided ? s_out : NULL, strided ? s_in : NULL, strided ? s_in : NULL}, 0.5, 20.0};
    const softplus_status st = call_run(&c);
    int ok = st == SOFTPLUS_OK && check_call_result(&c, sp_kernels_for_isa(isa), arena, pristine, bytes);
    if (!ok)
        print_error("%s forced to %s (%s): status %s\n", op_name(op), softplus_isa_name(isa),
                    strided ? "strided" : "contiguous", softplus_status_string(st));
    free(pristine);
    free(arena);
    return ok;
}

static void test_forcing_each_supported_isa_makes_it_active_and_used(void **state)
{
    (void)state;
    sp_rng r = {0xd15a7c4u};
    size_t forced = 0;
    for (int i = SOFTPLUS_ISA_SCALAR; i <= SP_ISA_LAST; i++) {
        const softplus_isa isa = (softplus_isa)i;
        const softplus_isa was = softplus_active_isa();
        if (!softplus_isa_supported(isa)) {
            assert_int_equal(softplus_set_isa(isa), SOFTPLUS_ERR_UNSUPPORTED);
            assert_int_equal(softplus_active_isa(), was);
            continue;
        }
        assert_int_equal(softplus_set_isa(isa), SOFTPLUS_OK);
        if (softplus_active_isa() != isa) {
            print_error("forced %s, active reports %s\n", softplus_isa_name(isa),
                        softplus_isa_name(softplus_active_isa()));
            fail();
        }
        /* The entry points take their kernels from sp_active_kernels: it must be this ISA's very set. */
        assert_ptr_equal(sp_active_kernels(), sp_kernels_for_isa(isa));
        for (sp_fn op = 0; op < SP_FN_COUNT; op++)
            for (int strided = 0; strided < 2; strided++)
                assert_true(forced_call_matches(op, isa, strided, &r));
        forced++;
    }
    assert_true(forced >= 1);
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    print_message("forced %zu ISA(s)\n", forced);
}

static void test_auto_selects_the_best_supported_isa(void **state)
{
    (void)state;
    const softplus_isa best = best_by_preference();
    assert_int_equal(sp_best_isa(), best);
    for (int i = SOFTPLUS_ISA_SCALAR; i <= SP_ISA_LAST; i++) {
        if (!softplus_isa_supported((softplus_isa)i))
            continue;
        assert_int_equal(softplus_set_isa((softplus_isa)i), SOFTPLUS_OK);
        assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
        if (softplus_active_isa() != best) {
            print_error("AUTO after %s: active %s, want %s\n", softplus_isa_name((softplus_isa)i),
                        softplus_isa_name(softplus_active_isa()), softplus_isa_name(best));
            fail();
        }
        assert_ptr_equal(sp_active_kernels(), sp_kernels_for_isa(best));
    }
    print_message("best ISA here: %s\n", softplus_isa_name(best));
}

/* SP_HAVE_<ISA>_<DTYPE> (cmake/isa.cmake, -D with no value, so 1) as a C expression: 1 when the build
 * compiled that kernel file, 0 when the macro is undefined. The placeholder trick: only a macro that
 * expands to 1 turns HAVE_PLACEHOLDER_##1 into "0," and so shifts the 1 into second position. */
#define HAVE_PLACEHOLDER_1 0,
#define HAVE_SECOND(a, b, ...) b
#define HAVE_IS_ONE(v) HAVE_IS_ONE_(v)
#define HAVE_IS_ONE_(v) HAVE_IS_ONE__(HAVE_PLACEHOLDER_##v)
#define HAVE_IS_ONE__(junk_or_zero) HAVE_SECOND(junk_or_zero 1, 0, 0)
#define SP_HAVE(ISA, DTYPE) HAVE_IS_ONE(SP_HAVE_##ISA##_##DTYPE)

/* built[isa][dtype]: the build compiled isa's own kernel file for dtype. The ISA that is its own
 * fallback (scalar) is the baseline, always compiled. Read from the build's definitions, not from the
 * registry, so that the tests below check registry.c and cmake/isa.cmake against them. */
static int built[SP_ISA_LAST + 1][SP_DTYPE_COUNT];
static softplus_isa fallback_of[SP_ISA_LAST + 1];

static void read_build_definitions(void)
{
#define SP_BUILT_D(c, dtag, DTAG, storage, size, compute, ctag) SP_CALL(SP_BUILT, SP_UNPACK c, DTAG)
#define SP_BUILT(TAG, self, DTAG) built[SOFTPLUS_ISA_##TAG][SP_DTYPE_##DTAG] = (self) || SP_HAVE(TAG, DTAG);
#define SP_BUILT_ISA(ctx, tag, TAG, fallback, priority, features)                                    \
    fallback_of[SOFTPLUS_ISA_##TAG] = (softplus_isa)sp_isa_by_tag_##fallback;                                      \
    SP_DTYPES(SP_BUILT_D, (TAG, (int)sp_isa_by_tag_##fallback == (int)SOFTPLUS_ISA_##TAG))
    enum {
#define SP_ISA_BY_TAG(ctx, tag, TAG, fallback, priority, features) sp_isa_by_tag_##tag = SOFTPLUS_ISA_##TAG,
        SP_ISAS(SP_ISA_BY_TAG, ~)
#undef SP_ISA_BY_TAG
    };
    SP_ISAS(SP_BUILT_ISA, ~)
#undef SP_BUILT_ISA
#undef SP_BUILT
#undef SP_BUILT_D
}

static void test_supported_isas_agree_with_kernel_table_and_cpu(void **state)
{
    (void)state;
    read_build_definitions();
    assert_int_equal(softplus_isa_supported(SOFTPLUS_ISA_AUTO), 1);
    assert_int_equal(softplus_isa_supported(SOFTPLUS_ISA_SCALAR), 1);
    /* compiled[isa]: either dtype's kernel file of the ISA is built */
    int compiled[SP_ISA_LAST + 1] = {0};
    for (int i = SOFTPLUS_ISA_SCALAR; i <= SP_ISA_LAST; i++) {
        const softplus_isa isa = (softplus_isa)i;
        for (int d = 0; d < SP_DTYPE_COUNT; d++)
            compiled[i] |= built[i][d];
        /* sp_registry_set: compiled or not, whatever the CPU; sp_kernels_for_isa: and the CPU runs it */
        assert_int_equal(sp_registry_set(isa) != NULL, compiled[i]);
        const sp_kernel_set *k = sp_kernels_for_isa(isa);
        assert_int_equal(softplus_isa_supported(isa), k != NULL);
        if (k) {
            assert_ptr_equal(k, sp_registry_set(isa));
            assert_int_equal(k->isa, isa);
            assert_string_equal(k->name, softplus_isa_name(isa));
            for (int op = 0; op < SP_OP_COUNT; op++)
                for (int d = 0; d < SP_DTYPE_COUNT; d++) {
                    assert_non_null(sp_kernel_of(k, SOFTPLUS_ACCURACY_STRICT, (sp_op)op, (sp_dtype)d)->run);
                    assert_non_null(sp_kernel_of(k, SOFTPLUS_ACCURACY_STRICT, (sp_op)op, (sp_dtype)d)->name);
                }
        }
    }
    assert_null(sp_kernels_for_isa((softplus_isa)(SP_ISA_LAST + 1)));
    assert_null(sp_kernels_for_isa((softplus_isa)99));
    assert_null(sp_kernels_for_isa((softplus_isa)-1));
    assert_null(sp_registry_set((softplus_isa)(SP_ISA_LAST + 1)));
    assert_null(sp_registry_set(SOFTPLUS_ISA_AUTO));
#if defined(__x86_64__) || defined(__i386__)
    assert_int_equal(softplus_isa_supported(SOFTPLUS_ISA_NEON), 0);
#if defined(__GNUC__)
    /* Detection against the compiler's own CPU model (which also checks the OS saves the AVX state). */
    __builtin_cpu_init();
    const int cpu_sse41 = __builtin_cpu_supports("sse4.1") != 0;
    const int cpu_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const int cpu_avx512 = cpu_avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    assert_int_equal(softplus_isa_supported(SOFTPLUS_ISA_SSE41), compiled[SOFTPLUS_ISA_SSE41] && cpu_sse41);
    assert_int_equal(softplus_isa_supported(SOFTPLUS_ISA_AVX2), compiled[SOFTPLUS_ISA_AVX2] && cpu_avx2);
    assert_int_equal(softplus_isa_supported(SOFTPLUS_ISA_AVX512), compiled[SOFTPLUS_ISA_AVX512] && cpu_avx512);
    print_message("cpu: sse41 %d avx2 %d avx512 %d; compiled: sse41 %d avx2 %d avx512 %d\n", cpu_sse41, cpu_avx2,
                  cpu_avx512, compiled[SOFTPLUS_ISA_SSE41], compiled[SOFTPLUS_ISA_AVX2],
                  compiled[SOFTPLUS_ISA_AVX512]);
#endif
#elif defined(__aarch64__)
    assert_int_equal(softplus_isa_supported(SOFTPLUS_ISA_SSE41), 0);
    assert_int_equal(softplus_isa_supported(SOFTPLUS_ISA_AVX2), 0);
    assert_int_equal(softplus_isa_supported(SOFTPLUS_ISA_AVX512), 0);
#endif
}

/* An ISA without a kernel file of its own for a dtype takes that dtype's entry from its fallback
 * (src/lists.h), recursively down to the baseline. Worked out here from the build's SP_HAVE_<ISA>_<DTYPE>
 * definitions and the fallback column, independently of cmake/isa.cmake's resolution and registry.c's
 * tables; every compiled set's every entry must name the expected origin, the kernel
 * sp_<op>_<dtype>_<origin> and that origin's documented bounds (SP_MAX_ULP_*). */
static softplus_isa expected_origin(softplus_isa isa, sp_dtype dtype)
{
    while (!built[isa][dtype] && fallback_of[isa] != isa)
        isa = fallback_of[isa];
    return isa;
}

static void test_kernel_sets_borrow_a_missing_dtype_from_the_isa_below(void **state)
{
    (void)state;
    read_build_definitions();
    static const char *const op_tags[] = {
#define SP_OP_TAG(ctx, tag, TAG, public, inputs) #tag,
        SP_OPS(SP_OP_TAG, ~)
#undef SP_OP_TAG
    };
    static const char *const dtype_tags[] = {
#define SP_DTYPE_TAG(ctx, tag, TAG, storage, size, compute, ctag) #tag,
        SP_DTYPES(SP_DTYPE_TAG, ~)
#undef SP_DTYPE_TAG
    };
    /* in_file[op][dtype][isa]: whether that kernel file defines the op (src/lists.h, SP_OP_IN_FILE) */
#define SP_IN_FILE_ISA(c, isa, ISA, fallback, priority, features)                                    \
    [SOFTPLUS_ISA_##ISA] = SP_CALL(SP_OP_IN_FILE, SP_UNPACK c, isa),
#define SP_IN_FILE_D(otag, dtag, DTAG, storage, size, compute, ctag)                                 \
    [SP_DTYPE_##DTAG] = {SP_ISAS(SP_IN_FILE_ISA, (otag, dtag))},
#define SP_IN_FILE_O(ctx, otag, OTAG, public, inputs) [SP_OP_##OTAG] = {SP_DTYPES(SP_IN_FILE_D, otag)},
    static const unsigned char in_file[SP_OP_COUNT][SP_DTYPE_COUNT][SP_ISA_LAST + 1] = {SP_OPS(SP_IN_FILE_O, ~)};
#undef SP_IN_FILE_O
#undef SP_IN_FILE_D
#undef SP_IN_FILE_ISA
    /* bounds[isa][dtype][beta != 1]: the kernel files' documented bounds (kernels.h) */
    static double bounds[SP_ISA_LAST + 1][SP_DTYPE_COUNT][2];
#define SP_BOUND_D(TAG, dtag, DTAG, storage, size, compute, ctag)                                    \
    bounds[SOFTPLUS_ISA_##TAG][SP_DTYPE_##DTAG][0] = SP_MAX_ULP_##DTAG##_##TAG;                       \
    bounds[SOFTPLUS_ISA_##TAG][SP_DTYPE_##DTAG][1] = SP_MAX_ULP_BETA_##DTAG##_##TAG;
#define SP_BOUND_ISA(ctx, tag, TAG, fallback, priority, features) SP_DTYPES(SP_BOUND_D, TAG)
    SP_ISAS(SP_BOUND_ISA, ~)
#undef SP_BOUND_ISA
#undef SP_BOUND_D
    size_t checked = 0;
    for (int i = SOFTPLUS_ISA_SCALAR; i <= SP_ISA_LAST; i++) {
        const sp_kernel_set *set = sp_registry_set((softplus_isa)i);
        if (!set)
            continue;
        for (int op = 0; op < SP_OP_COUNT; op++)
            for (int d = 0; d < SP_DTYPE_COUNT; d++) {
                const sp_kernel *k = sp_kernel_of(set, SOFTPLUS_ACCURACY_STRICT, (sp_op)op, (sp_dtype)d);
                softplus_isa want = expected_origin((softplus_isa)i, (sp_dtype)d);
                if (!in_file[op][d][want]) /* the file lacks the op: the scalar reference serves it */
                    want = SOFTPLUS_ISA_SCALAR;
                char want_name[64];
                snprintf(want_name, sizeof want_name, "sp_%s_%s_%s", op_tags[op], dtype_tags[d],
                         softplus_isa_name(want));
                if (k->origin != want || strcmp(k->name, want_name) != 0 || k->max_ulp != bounds[want][d][0] ||
                    k->max_ulp_beta != bounds[want][d][1]) {
                    print_error("%s set, %s %s: entry %s (origin %s, bounds %g/%g), want %s (origin %s, bounds "
                                "%g/%g)\n",
                                softplus_isa_name((softplus_isa)i), op_tags[op], dtype_tags[d], k->name,
                                softplus_isa_name(k->origin), k->max_ulp, k->max_ulp_beta, want_name,
                                softplus_isa_name(want), bounds[want][d][0], bounds[want][d][1]);
                    fail();
                }
                checked++;
            }
    }
    print_message("%zu registry entries name the expected kernel, origin and bounds\n", checked);
}

/* Every tier but strict: an entry is the set's own kernel of that tier where the build compiled one for
 * the ISA and dtype (SP_HAVE_<ISA>_<DTYPE>_<TIER>), named sp_<op>_<dtype>_<isa>_<tier>, with a bound of
 * at most the 4 ULP; everywhere else it is the strict entry, its name, origin and bounds. */
static void test_other_tiers_run_their_own_kernel_or_the_strict_one(void **state)
{
    (void)state;
    static int own[SP_ISA_LAST + 1][SP_ACCURACY_COUNT][SP_DTYPE_COUNT];
#define SP_OWN_D(c, dtag, DTAG, storage, size, compute, ctag) SP_CALL(SP_OWN, SP_UNPACK c, DTAG)
#define SP_OWN(TAG, ATAG, DTAG)                                                                      \
    own[SOFTPLUS_ISA_##TAG][SOFTPLUS_ACCURACY_##ATAG][SP_DTYPE_##DTAG] = SP_HAVE(TAG, DTAG##_##ATAG);
#define SP_OWN_T(TAG, atag, ATAG, suffix) SP_DTYPES(SP_OWN_D, (TAG, ATAG))
#define SP_OWN_ISA(ctx, tag, TAG, fallback, priority, features) SP_ACCURACIES(SP_OWN_T, TAG)
    SP_ISAS(SP_OWN_ISA, ~)
#undef SP_OWN_ISA
#undef SP_OWN_T
#undef SP_OWN
#undef SP_OWN_D
    static const char *const op_tags[] = {
#define SP_OP_TAG(ctx, tag, TAG, public, inputs) #tag,
        SP_OPS(SP_OP_TAG, ~)
#undef SP_OP_TAG
    };
    static const char *const dtype_tags[] = {
#define SP_DTYPE_TAG(ctx, tag, TAG, storage, size, compute, ctag) #tag,
        SP_DTYPES(SP_DTYPE_TAG, ~)
#undef SP_DTYPE_TAG
    };
    static const char *const tier_suffix[] = {
#define SP_TIER_SUFFIX(ctx, tag, TAG, suffix) [SOFTPLUS_ACCURACY_##TAG] = #suffix,
        SP_ACCURACIES(SP_TIER_SUFFIX, ~)
#undef SP_TIER_SUFFIX
    };
    size_t own_count = 0, strict_count = 0;
    for (int i = SOFTPLUS_ISA_SCALAR; i <= SP_ISA_LAST; i++) {
        const sp_kernel_set *set = sp_registry_set((softplus_isa)i);
        if (!set)
            continue;
        for (int t = 1; t < SP_ACCURACY_COUNT; t++)
            for (int op = 0; op < SP_OP_COUNT; op++)
                for (int d = 0; d < SP_DTYPE_COUNT; d++) {
                    const sp_kernel *k = sp_kernel_of(set, (softplus_accuracy)t, (sp_op)op, (sp_dtype)d);
                    const sp_kernel *s = sp_kernel_of(set, SOFTPLUS_ACCURACY_STRICT, (sp_op)op, (sp_dtype)d);
                    char want_name[80];
                    /* a tier's kernel file has forward and backward; release 1.1's ops are in no tier
                     * file (src/lists.h lists no SP_IN_FILE_<op>_<dtype>_<isa>_<tier>): the strict entry */
                    if (own[i][t][d] && (op == SP_OP_FWD || op == SP_OP_BWD)) {
                        snprintf(want_name, sizeof want_name, "sp_%s_%s_%s%s", op_tags[op], dtype_tags[d],
                                 set->name, tier_suffix[t]);
                        assert_string_equal(k->name, want_name);
                        assert_int_equal(k->tier, t);
                        assert_int_equal(k->origin, i);
                        assert_true(k->max_ulp > 0 && k->max_ulp <= 4.0);
                        assert_true(k->max_ulp_beta >= k->max_ulp && k->max_ulp_beta <= 4.0);
                        own_count++;
                    } else {
                        assert_string_equal(k->name, s->name);
                        assert_int_equal(k->tier, SOFTPLUS_ACCURACY_STRICT);
                        assert_int_equal(k->origin, s->origin);
                        assert_true(k->max_ulp == s->max_ulp && k->max_ulp_beta == s->max_ulp_beta);
                        strict_count++;
                    }
                }
    }
    print_message("tiers other than strict: %zu own kernels, %zu strict entries\n", own_count, strict_count);
}

/* ---- SOFTPLUS_ISA at the first resolution ------------------------------------------------------- */

static const char *env_want = "best", *env_first = "active";
static int env_unset;

static void test_environment_decides_the_first_resolution(void **state)
{
    (void)state;
    if (env_unset)
        unsetenv("SOFTPLUS_ISA");
    const char *env = getenv("SOFTPLUS_ISA");
    char env_desc[64] = "SOFTPLUS_ISA unset";
    if (env)
        snprintf(env_desc, sizeof env_desc, "SOFTPLUS_ISA=\"%.40s\"", env);

    /* The first library call of this process: it resolves the kernel set. */
    enum { N = 300 };
    static float x32[N], y32[N];
    static double dy64[N], x64[N], dx64[N];
    sp_rng r = {0xe7u};
    for (size_t i = 0; i < N; i++) {
        interesting_value(&r, 4, (unsigned char *)&x32[i]);
        interesting_value(&r, 8, (unsigned char *)&dy64[i]);
        interesting_value(&r, 8, (unsigned char *)&x64[i]);
    }
    const size_t shape[1] = {N};
    softplus_status st = SOFTPLUS_OK;
    if (strcmp(env_first, "forward") == 0)
        st = softplus_forward_f32(1, shape, x32, NULL, y32, NULL, 1.0f, 20.0f);
    else if (strcmp(env_first, "backward") == 0)
        st = softplus_backward_f64(1, shape, dy64, NULL, x64, NULL, dx64, NULL, 1.0, 20.0);
    const softplus_isa got = softplus_active_isa();
    assert_int_equal(st, SOFTPLUS_OK);

    softplus_isa want;
    if (strcmp(env_want, "best") == 0) {
        want = best_by_preference();
    } else {
        const int named = isa_from_name(env_want);
        assert_true(named > SOFTPLUS_ISA_AUTO);
        want = (softplus_isa)named;
        if (!softplus_isa_supported(want)) {
            print_message("%s: %s is not compiled in or not supported by this CPU; skipping\n", env_desc,
                          env_want);
            skipped = 1;
            skip();
        }
    }
    if (got != want) {
        print_error("%s, first call %s: active %s, want %s\n", env_desc, env_first, softplus_isa_name(got),
                    softplus_isa_name(want));
        fail();
    }
    const sp_kernel_set *k = sp_kernels_for_isa(got);
    if (strcmp(env_first, "forward") == 0)
        assert_int_equal(first_mismatch(SP_FN_FWD_F32, k, N, x32, 1, NULL, 0, y32, 1, 1.0, 20.0), N);
    if (strcmp(env_first, "backward") == 0)
        assert_int_equal(first_mismatch(SP_FN_BWD_F64, k, N, dy64, 1, x64, 1, dx64, 1, 1.0, 20.0), N);

    /* Read once: a later change of the environment changes nothing, and AUTO means the best again. */
    softplus_isa other = SOFTPLUS_ISA_SCALAR;
    for (int i = SOFTPLUS_ISA_SCALAR; i <= SP_ISA_LAST; i++)
        if (i != (int)got && softplus_isa_supported((softplus_isa)i))
            other = (softplus_isa)i;
    setenv("SOFTPLUS_ISA", softplus_isa_name(other), 1);
    assert_int_equal(softplus_active_isa(), got);
    assert_int_equal(softplus_forward_f32(1, shape, x32, NULL, y32, NULL, 1.0f, 20.0f), SOFTPLUS_OK);
    assert_int_equal(softplus_active_isa(), got);
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    assert_int_equal(softplus_active_isa(), best_by_preference());
    print_message("%s, first call %s: resolved to %s\n", env_desc, env_first, softplus_isa_name(got));
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "env") == 0) {
        env_want = argv[2];
        env_first = argv[3];
        env_unset = argc >= 5 && strcmp(argv[4], "unsetenv") == 0;
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_environment_decides_the_first_resolution)};
        const int failed = cmocka_run_group_tests(tests, NULL, NULL);
        return failed == 0 && skipped ? EXIT_SKIPPED : failed;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: %s [env WANT active|forward|backward [unsetenv]]\n", argv[0]);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forcing_each_supported_isa_makes_it_active_and_used),
        cmocka_unit_test(test_auto_selects_the_best_supported_isa),
        cmocka_unit_test(test_supported_isas_agree_with_kernel_table_and_cpu),
        cmocka_unit_test(test_kernel_sets_borrow_a_missing_dtype_from_the_isa_below),
        cmocka_unit_test(test_other_tiers_run_their_own_kernel_or_the_strict_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* SP_TEST_DISPATCH_THREADS */

/* ---- concurrent first calls --------------------------------------------------------------------- */

#ifdef SP_TEST_REDUCED /* valgrind (tests/CMakeLists.txt: SOFTPLUS_TEST_REDUCED) */
enum { NTHREADS = 16, RACE_N = 1537, FRESH_PROCESSES = 4 };
#else
enum { NTHREADS = 16, RACE_N = 1537, FRESH_PROCESSES = 200 };
#endif

static const char *want_name = "best";
static float race_x[2 * RACE_N];

typedef struct racer {
    pthread_t thread;
    pthread_barrier_t *barrier;
    int id;
    softplus_isa isa_first, isa_after;
    softplus_status status;
    float y[RACE_N];
} racer;

static racer racers[NTHREADS];

static void *race(void *arg)
{
    racer *me = arg;
    const size_t shape[1] = {RACE_N};
    const ptrdiff_t stride2[1] = {2};
    pthread_barrier_wait(me->barrier);
    /* Even threads ask which set is active first, odd ones compute first (through the gather buffer). */
    me->isa_first = (softplus_isa)-1;
    if (me->id % 2 == 0)
        me->isa_first = softplus_active_isa();
    me->status = softplus_forward_f32(1, shape, race_x, stride2, me->y, NULL, 1.0f, 20.0f);
    me->isa_after = softplus_active_isa();
    return NULL;
}

/* NTHREADS first calls at once; 1 when they all saw one ISA, the expected one, and identical results
 * equal to that ISA's kernel. Uses no cmocka state: it also runs in forked children. */
static int race_first_calls(softplus_isa want, int want_best)
{
    sp_rng r = {0x7ace5u};
    for (size_t i = 0; i < 2 * RACE_N; i++)
        interesting_value(&r, 4, (unsigned char *)&race_x[i]);
    pthread_barrier_t barrier;
    if (pthread_barrier_init(&barrier, NULL, NTHREADS) != 0)
        return 0;
    int started = 0;
    for (int t = 0; t < NTHREADS; t++) {
        racers[t].barrier = &barrier;
        racers[t].id = t;
        if (pthread_create(&racers[t].thread, NULL, race, &racers[t]) != 0)
            break;
        started++;
    }
    if (started != NTHREADS) { /* the barrier would never open: cannot test here */
        fprintf(stderr, "could start only %d threads\n", started);
        _exit(3);
    }
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(racers[t].thread, NULL);
    pthread_barrier_destroy(&barrier);

    const softplus_isa seen = racers[0].isa_after;
    if (want_best)
        want = best_by_preference();
    int ok = 1;
    for (int t = 0; t < NTHREADS && ok; t++) {
        const racer *q = &racers[t];
        if (q->status != SOFTPLUS_OK || q->isa_after != seen || (q->id % 2 == 0 && q->isa_first != seen)) {
            fprintf(stderr, "thread %d: status %d, first saw %s, then %s; thread 0 saw %s\n", t, (int)q->status,
                    softplus_isa_name(q->isa_first), softplus_isa_name(q->isa_after), softplus_isa_name(seen));
            ok = 0;
        } else if (memcmp(q->y, racers[0].y, sizeof q->y) != 0) {
            size_t i = 0;
            while (memcmp(&q->y[i], &racers[0].y[i], sizeof q->y[i]) == 0)
                i++;
            fprintf(stderr, "thread %d: y[%zu] = %a, thread 0 has %a, x = %a\n", t, i, (double)q->y[i],
                    (double)racers[0].y[i], (double)race_x[2 * i]);
            ok = 0;
        }
    }
    if (ok && seen != want) {
        fprintf(stderr, "first calls resolved to %s, want %s\n", softplus_isa_name(seen), softplus_isa_name(want));
        ok = 0;
    }
    if (ok) {
        const sp_kernel_set *k = sp_kernels_for_isa(seen);
        const size_t i = first_mismatch(SP_FN_FWD_F32, k, RACE_N, race_x, 2, NULL, 0, racers[0].y, 1, 1.0, 20.0);
        if (i != RACE_N) {
            float w;
            kernel_one(SP_FN_FWD_F32, k, (const unsigned char *)&race_x[2 * i], NULL, (unsigned char *)&w, 1.0,
                       20.0);
            fprintf(stderr, "y[%zu] = %a for x = %a, %s kernel gives %a\n", i, (double)racers[0].y[i],
                    (double)race_x[2 * i], softplus_isa_name(seen), (double)w);
            ok = 0;
        }
    }
    return ok;
}

static softplus_isa want_isa(int *best)
{
    *best = strcmp(want_name, "best") == 0;
    const int named = isa_from_name(want_name);
    return *best || named <= SOFTPLUS_ISA_AUTO ? SOFTPLUS_ISA_SCALAR : (softplus_isa)named;
}

/* Must run before any library call of this process: each child starts from this untouched state. */
static void test_concurrent_first_calls_in_fresh_processes(void **state)
{
    (void)state;
    int best;
    const softplus_isa want = want_isa(&best);
    for (int p = 0; p < FRESH_PROCESSES; p++) {
        fflush(NULL);
        const pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(race_first_calls(want, best) ? 0 : 1);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            print_error("fresh process %d of %d: racing first calls failed (wait status 0x%x)\n", p + 1,
                        FRESH_PROCESSES, status);
            fail();
        }
    }
}

/* The same race as the first library use of this process itself. */
static void test_concurrent_first_calls_agree(void **state)
{
    (void)state;
    int best;
    const softplus_isa want = want_isa(&best);
    if (!race_first_calls(want, best))
        fail();
    print_message("%d threads' first calls all resolved to %s\n", NTHREADS, softplus_isa_name(racers[0].isa_after));
}

/* ---- softplus_set_isa while other threads compute ---------------------------------------------- */

#ifdef SP_TEST_REDUCED
enum { CHURN_N = 1024, CHURN_WORKERS = 4, CHURN_SETTERS = 2, CHURN_ITERATIONS = 6 };
#else
enum { CHURN_N = 1024, CHURN_WORKERS = 4, CHURN_SETTERS = 2, CHURN_ITERATIONS = 60 };
#endif

static softplus_isa churn_isas[8];
static size_t churn_nisas;
/* Inputs: x strided by 2 (gathered), dy contiguous. */
static float c_x32[2 * CHURN_N], c_dy32[CHURN_N];
static double c_x64[2 * CHURN_N], c_dy64[CHURN_N];
/* allowed[op][isa][i]: element i of op under each supported ISA, as that ISA's kernel gives it. */
static unsigned char allowed[SP_FN_COUNT][8][CHURN_N][8];
static atomic_int workers_left;
static atomic_int failures;
static atomic_long sets_done;
static char failure_message[512];
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;

static void churn_fail(const char *fmt, ...)
{
    if (atomic_fetch_add(&failures, 1) != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&failure_lock);
    vsnprintf(failure_message, sizeof failure_message, fmt, ap);
    pthread_mutex_unlock(&failure_lock);
    va_end(ap);
}

static const void *churn_in(sp_fn op, int which) /* which 0: x or dy (first kernel input), 1: x (backward) */
{
    const int f32 = op_is_f32(op);
    if (fn_op(op) == SP_OP_FWD || which == 1)
        return f32 ? (const void *)c_x32 : (const void *)c_x64;
    return f32 ? (const void *)c_dy32 : (const void *)c_dy64;
}

static ptrdiff_t churn_stride(sp_fn op, int which)
{
    return (fn_op(op) == SP_OP_FWD || which == 1) ? 2 : 1;
}

static void *churn_worker(void *arg)
{
    (void)arg;
    /* Outputs reversed (stride -1) half of the time: both the direct and the scatter path. */
    static _Thread_local double out[CHURN_N];
    const size_t shape[1] = {CHURN_N};
    const ptrdiff_t two[1] = {2}, unit[1] = {1}, rev[1] = {-1};
    for (int it = 0; it < CHURN_ITERATIONS && atomic_load(&failures) == 0; it++) {
        for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
            const size_t es = op_elem_size(op);
            const int reversed = it % 2;
            unsigned char *out_base = (unsigned char *)out + (reversed ? (CHURN_N - 1) * es : 0);
            sp_call c = {op,
                         1,
                         shape,
                         {out_base, (void *)churn_in(op, 0), (void *)churn_in(op, 1)},
                         {reversed ? rev : unit, churn_stride(op, 0) == 2 ? two : unit, two},
                         1.0,
                         20.0};
            const softplus_status st = call_run(&c);
            if (st != SOFTPLUS_OK) {
                churn_fail("%s returned %s", op_name(op), softplus_status_string(st));
                break;
            }
            for (size_t i = 0; i < CHURN_N; i++) {
                const unsigned char *got = out_base + (reversed ? -(ptrdiff_t)i : (ptrdiff_t)i) * (ptrdiff_t)es;
                size_t j = 0;
                while (j < churn_nisas && memcmp(got, allowed[op][j][i], es) != 0)
                    j++;
                if (j == churn_nisas) {
                    char g[96], w[96];
                    churn_fail("%s element %zu: got %s, which no supported ISA gives (scalar gives %s)",
                               op_name(op), i, elem_str(g, sizeof g, got, es),
                               elem_str(w, sizeof w, allowed[op][0][i], es));
                    break;
                }
            }
        }
    }
    atomic_fetch_sub(&workers_left, 1);
    return NULL;
}

static void *churn_setter(void *arg)
{
    const size_t offset = (size_t)(uintptr_t)arg;
    long n = 0;
    while (atomic_load(&workers_left) > 0 && atomic_load(&failures) == 0) {
        for (size_t j = 0; j <= churn_nisas; j++) {
            /* Every supported ISA, then AUTO; the two setters walk the list out of phase. */
            const size_t at = (j + offset) % (churn_nisas + 1);
            const softplus_isa isa = at < churn_nisas ? churn_isas[at] : SOFTPLUS_ISA_AUTO;
            const softplus_status st = softplus_set_isa(isa);
            if (st != SOFTPLUS_OK)
                churn_fail("softplus_set_isa(%s) returned %s", softplus_isa_name(isa), softplus_status_string(st));
            const softplus_isa now = softplus_active_isa();
            if (now == SOFTPLUS_ISA_AUTO || !softplus_isa_supported(now))
                churn_fail("softplus_active_isa() reported %s during the churn", softplus_isa_name(now));
            n++;
        }
    }
    atomic_fetch_add(&sets_done, n);
    return NULL;
}

static void test_set_isa_while_computing_gives_some_supported_isas_result(void **state)
{
    (void)state;
    churn_nisas = supported_isas(churn_isas);
    sp_rng r = {0xc4u};
    for (size_t i = 0; i < 2 * CHURN_N; i++) {
        interesting_value(&r, 4, (unsigned char *)&c_x32[i]);
        interesting_value(&r, 8, (unsigned char *)&c_x64[i]);
    }
    for (size_t i = 0; i < CHURN_N; i++) {
        interesting_value(&r, 4, (unsigned char *)&c_dy32[i]);
        interesting_value(&r, 8, (unsigned char *)&c_dy64[i]);
    }
    for (sp_fn op = 0; op < SP_FN_COUNT; op++) {
        const size_t es = op_elem_size(op);
        for (size_t j = 0; j < churn_nisas; j++) {
            const sp_kernel_set *k = sp_kernels_for_isa(churn_isas[j]);
            for (size_t i = 0; i < CHURN_N; i++) {
                const unsigned char *a = (const unsigned char *)churn_in(op, 0) + i * (size_t)churn_stride(op, 0) * es;
                const unsigned char *b = (const unsigned char *)churn_in(op, 1) + i * 2 * es;
                kernel_one(op, k, a, b, allowed[op][j][i], 1.0, 20.0);
            }
        }
    }
    atomic_store(&workers_left, CHURN_WORKERS);
    atomic_store(&failures, 0);
    pthread_t workers[CHURN_WORKERS], setters[CHURN_SETTERS];
    for (int t = 0; t < CHURN_WORKERS; t++)
        assert_int_equal(pthread_create(&workers[t], NULL, churn_worker, NULL), 0);
    for (int t = 0; t < CHURN_SETTERS; t++)
        assert_int_equal(pthread_create(&setters[t], NULL, churn_setter, (void *)(uintptr_t)(t * 7 + 1)), 0);
    for (int t = 0; t < CHURN_WORKERS; t++)
        pthread_join(workers[t], NULL);
    for (int t = 0; t < CHURN_SETTERS; t++)
        pthread_join(setters[t], NULL);
    if (atomic_load(&failures) != 0) {
        print_error("%s\n", failure_message);
        fail();
    }
    assert_int_equal(softplus_set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    print_message("%d workers x %d iterations x 4 ops checked against %zu ISA(s) while %ld set_isa calls ran\n",
                  CHURN_WORKERS, CHURN_ITERATIONS, churn_nisas, (long)atomic_load(&sets_done));
}

/* One call never mixes accuracy tiers: while setters flip the tier, every f32 forward call of the
 * workers must give, over all its elements, either the strict kernel's results or the fast kernel's,
 * never some of each (dispatch reads the tier once per call). Meaningful where the active set has fast
 * kernels of its own; elsewhere both tiers run the strict kernel and the check is trivially met. */
#ifdef SP_TEST_REDUCED /* valgrind and TSan, which serialise or slow every thread down */
enum { TIER_N = 4096, TIER_WORKERS = 2, TIER_CALLS = 200 };
#else
enum { TIER_N = 4096, TIER_WORKERS = 2, TIER_CALLS = 2000 };
#endif
static float tier_x[TIER_N], tier_want[SP_ACCURACY_COUNT][TIER_N];
static atomic_int tier_workers_left;
static atomic_long tier_seen[SP_ACCURACY_COUNT];
static atomic_long tier_flips;

static void *tier_worker(void *arg)
{
    (void)arg;
    static _Thread_local float y[TIER_N];
    const size_t shape[1] = {TIER_N};
    while (atomic_load(&tier_flips) < 100) /* the setter is running */
        sched_yield();
    for (int c = 0; c < TIER_CALLS && atomic_load(&failures) == 0; c++) {
        if (softplus_forward_f32(1, shape, tier_x, NULL, y, NULL, 1.0f, 20.0f) != SOFTPLUS_OK)
            churn_fail("softplus_forward_f32 failed during the tier churn");
        int which = -1;
        for (int t = 0; t < SP_ACCURACY_COUNT && which < 0; t++)
            if (memcmp(y, tier_want[t], sizeof y) == 0)
                which = t;
        if (which < 0)
            churn_fail("a call's results are neither all strict nor all fast (tiers mixed within one call)");
        else
            atomic_fetch_add(&tier_seen[which], 1);
    }
    atomic_fetch_sub(&tier_workers_left, 1);
    return NULL;
}

static void *tier_setter(void *arg)
{
    (void)arg;
    for (long n = 0; atomic_load(&tier_workers_left) > 0; n++) {
        if (softplus_set_accuracy((softplus_accuracy)(n & 1)) != SOFTPLUS_OK)
            churn_fail("softplus_set_accuracy failed during the tier churn");
        atomic_fetch_add(&tier_flips, 1);
    }
    return NULL;
}

static void test_set_accuracy_while_computing_never_mixes_tiers(void **state)
{
    (void)state;
    const sp_kernel_set *k = sp_active_kernels();
    sp_rng r = {0x7e1u};
    for (size_t i = 0; i < TIER_N; i++)
        tier_x[i] = (float)(rng_below(&r, 1u << 24) / (double)(1u << 24) * 60.0 - 40.0);
    const sp_params_f32 p = {1.0f, 20.0f};
    for (int t = 0; t < SP_ACCURACY_COUNT; t++) {
        void *const ptrs[2] = {tier_want[t], tier_x};
        sp_kernel_of(k, (softplus_accuracy)t, SP_OP_FWD, SP_DTYPE_F32)->run(TIER_N, ptrs, &p);
    }
    const int distinct = memcmp(tier_want[SOFTPLUS_ACCURACY_STRICT], tier_want[SOFTPLUS_ACCURACY_FAST],
                                sizeof tier_want[0]) != 0;
    atomic_store(&tier_workers_left, TIER_WORKERS);
    atomic_store(&failures, 0);
    pthread_t workers[TIER_WORKERS], setter;
    for (int t = 0; t < TIER_WORKERS; t++)
        assert_int_equal(pthread_create(&workers[t], NULL, tier_worker, NULL), 0);
    assert_int_equal(pthread_create(&setter, NULL, tier_setter, NULL), 0);
    for (int t = 0; t < TIER_WORKERS; t++)
        pthread_join(workers[t], NULL);
    pthread_join(setter, NULL);
    assert_int_equal(softplus_set_accuracy(SOFTPLUS_ACCURACY_STRICT), SOFTPLUS_OK);
    if (atomic_load(&failures) != 0) {
        print_error("%s\n", failure_message);
        fail();
    }
    if (distinct && (atomic_load(&tier_seen[0]) == 0 || atomic_load(&tier_seen[1]) == 0))
        print_message("warning: one tier never ran (a starved setter thread): the check saw one tier only\n");
    print_message("%s: %ld strict and %ld fast calls, none mixed%s\n", k->name,
                  (long)atomic_load(&tier_seen[SOFTPLUS_ACCURACY_STRICT]),
                  (long)atomic_load(&tier_seen[SOFTPLUS_ACCURACY_FAST]),
                  distinct ? "" : " (this set runs the strict kernel in both tiers)");
}

static void threads_hang(int sig)
{
    static const char msg[] = "a new thread never started (seen under qemu-user 7.2 on Linux 6.x): skipping\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to say */
    }
    _exit(EXIT_SKIPPED);
}

static void *probe_thread(void *arg)
{
    return arg;
}

/* Some emulators never return from pthread_create; skip then rather than hang until ctest's timeout.
 * The probe makes no library call. */
static void require_working_threads(void)
{
    signal(SIGALRM, threads_hang);
    alarm(10);
    pthread_t t;
    if (pthread_create(&t, NULL, probe_thread, NULL) != 0) {
        fprintf(stderr, "cannot create a thread here: skipping\n");
        exit(EXIT_SKIPPED);
    }
    pthread_join(t, NULL);
    alarm(0);
    signal(SIGALRM, SIG_DFL);
}

int main(int argc, char **argv)
{
    require_working_threads();
    if (argc > 1)
        want_name = argv[1];
    if (argc > 2 && strcmp(argv[2], "unsetenv") == 0)
        unsetenv("SOFTPLUS_ISA");
    int best;
    (void)want_isa(&best);
    if (!best && isa_from_name(want_name) <= SOFTPLUS_ISA_AUTO) {
        fprintf(stderr, "usage: %s [best|ISA-name [unsetenv]]\n", argv[0]);
        return 2;
    }
    /* Order matters: the fork test needs a process that has not called the library yet, and the
     * in-process race must be this process's first library use. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_first_calls_in_fresh_processes),
        cmocka_unit_test(test_concurrent_first_calls_agree),
        cmocka_unit_test(test_set_isa_while_computing_gives_some_supported_isas_result),
        cmocka_unit_test(test_set_accuracy_while_computing_never_mixes_tiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif /* SP_TEST_DISPATCH_THREADS */

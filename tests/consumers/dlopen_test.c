/* dlopen_test.c -- load libsoftplus.so.1 at run time and reach every public symbol at version SOFTPLUS_1.0.
 * SPDX-License-Identifier: MIT
 *
 * Usage: dlopen_test <path to libsoftplus.so.1> <exported_symbols.txt>
 * This program links only libdl (and cmocka), never the library: it is what a plugin host or a language
 * binding (ctypes, cffi, JNA) does. It proves that
 *   - every "name@@VERSION" line of the committed symbol list resolves with dlvsym at that version, and to
 *     the same address as an unversioned dlsym;
 *   - the entry points work when called through the pointers;
 *   - the internal sp_* names stay hidden (version script `local: *` plus hidden visibility).
 */
#define _GNU_SOURCE /* dlvsym is a glibc extension; the language dialect stays ISO C11 */
#include <dlfcn.h>

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "softplus.h" /* for the types only: this program must not reference a softplus_* symbol */

#define SP_VERSION_NODE "SOFTPLUS_1.0"

typedef softplus_status (*fwd_f32_fn)(size_t, const size_t *, const float *, const ptrdiff_t *, float *,
                                      const ptrdiff_t *, float, float);
typedef softplus_status (*fwd_f64_fn)(size_t, const size_t *, const double *, const ptrdiff_t *, double *,
                                      const ptrdiff_t *, double, double);
typedef softplus_status (*bwd_f32_fn)(size_t, const size_t *, const float *, const ptrdiff_t *,
                                      const float *, const ptrdiff_t *, float *, const ptrdiff_t *, float,
                                      float);
typedef softplus_status (*bwd_f64_fn)(size_t, const size_t *, const double *, const ptrdiff_t *,
                                      const double *, const ptrdiff_t *, double *, const ptrdiff_t *, double,
                                      double);
typedef const char *(*status_string_fn)(softplus_status);
typedef const char *(*version_string_fn)(void);
typedef softplus_isa (*active_isa_fn)(void);
typedef int (*isa_supported_fn)(softplus_isa);
typedef softplus_status (*set_isa_fn)(softplus_isa);
typedef const char *(*isa_name_fn)(softplus_isa);

/* The pointer types above are exactly the header's prototypes (checked without evaluating, so without
 * referencing the symbols). */
#define SP_SAME_TYPE(fn, type) _Static_assert(_Generic(&fn, type: 1, default: 0), #fn " vs " #type)
SP_SAME_TYPE(softplus_forward_f32, fwd_f32_fn);
SP_SAME_TYPE(softplus_forward_f64, fwd_f64_fn);
SP_SAME_TYPE(softplus_backward_f32, bwd_f32_fn);
SP_SAME_TYPE(softplus_backward_f64, bwd_f64_fn);
SP_SAME_TYPE(softplus_status_string, status_string_fn);
SP_SAME_TYPE(softplus_version_string, version_string_fn);
SP_SAME_TYPE(softplus_active_isa, active_isa_fn);
SP_SAME_TYPE(softplus_isa_supported, isa_supported_fn);
SP_SAME_TYPE(softplus_set_isa, set_isa_fn);
SP_SAME_TYPE(softplus_isa_name, isa_name_fn);

static const char *lib_path;
static const char *list_path;
static void *lib;

/* Resolve name at SOFTPLUS_1.0, failing the test with the loader's message when it is missing. */
static void *need(const char *name)
{
    void *p = dlvsym(lib, name, SP_VERSION_NODE);
    if (p == NULL)
        fail_msg("dlvsym(%s, \"%s\"): %s", name, SP_VERSION_NODE, dlerror());
    return p;
}

static int setup(void **state)
{
    (void)state;
    /* The library must not already be in the process: this binary does not link it. */
    if (dlopen(lib_path, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD) != NULL) {
        fprintf(stderr, "dlopen_test: %s was already loaded before dlopen\n", lib_path);
        return -1;
    }
    lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "dlopen_test: dlopen(%s): %s\n", lib_path, dlerror());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return lib && dlclose(lib) != 0 ? -1 : 0;
}

/* Every line "name@@NODE" of the committed list resolves at NODE, to the unversioned default too. Lines
 * without "@@" are version-definition markers (the ABS symbol naming the node) and carry no code. */
static void test_every_listed_symbol_resolves_at_its_version(void **state)
{
    char line[256];
    int resolved = 0;
    FILE *f = fopen(list_path, "r");
    (void)state;
    if (f == NULL)
        fail_msg("cannot open the symbol list %s", list_path);
    while (fgets(line, sizeof line, f) != NULL) {
        char *at = strstr(line, "@@");
        void *versioned, *plain;
        line[strcspn(line, "\r\n")] = '\0';
        if (at == NULL)
            continue;
        *at = '\0';
        versioned = dlvsym(lib, line, at + 2);
        if (versioned == NULL) {
            fclose(f);
            fail_msg("listed symbol %s@@%s does not resolve: %s", line, at + 2, dlerror());
        }
        plain = dlsym(lib, line);
        if (plain != versioned) {
            fclose(f);
            fail_msg("dlsym(%s) = %p but dlvsym(%s, %s) = %p: the default version is not %s", line, plain,
                     line, at + 2, versioned, at + 2);
        }
        ++resolved;
    }
    fclose(f);
    /* The ten functions of the 1.0 API at least; an empty or unreadable list must not pass. */
    assert_true(resolved >= 10);
}

/* A version node that does not exist must not resolve: dlvsym really checks the version. */
static void test_unknown_version_does_not_resolve(void **state)
{
    (void)state;
    assert_null(dlvsym(lib, "softplus_forward_f32", "SOFTPLUS_0.9"));
    assert_null(dlvsym(lib, "softplus_forward_f32", "SOFTPLUS_2.0"));
}

/* These names exist in the library (check_exports.cmake finds them as LOCAL in its .symtab), so a NULL
 * here means hidden, not absent. */
static void test_internal_names_are_hidden(void **state)
{
    static const char *const internal[] = {
        "sp_plan_build", "sp_resolve_kernels", "sp_fwd_f32_scalar", "sp_fwd_f64_scalar",
        "sp_bwd_f32_scalar", "sp_kernels_for_isa", "sp_best_isa",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof internal / sizeof internal[0]; ++i) {
        void *p = dlsym(lib, internal[i]);
        if (p != NULL)
            fail_msg("internal symbol %s is exported (dlsym gave %p)", internal[i], p);
        if (dlvsym(lib, internal[i], SP_VERSION_NODE) != NULL)
            fail_msg("internal symbol %s is exported at %s", internal[i], SP_VERSION_NODE);
    }
}

static void test_version_and_status_strings_through_pointers(void **state)
{
    version_string_fn version = (version_string_fn)need("softplus_version_string");
    status_string_fn status_string = (status_string_fn)need("softplus_status_string");
    char want[64];
    int s;
    (void)state;
    snprintf(want, sizeof want, "%d.%d.%d", SOFTPLUS_VERSION_MAJOR, SOFTPLUS_VERSION_MINOR,
             SOFTPLUS_VERSION_PATCH);
    assert_non_null(version());
    assert_string_equal(version(), want);
    for (s = SOFTPLUS_OK; s <= SOFTPLUS_ERR_UNSUPPORTED; ++s) {
        const char *text = status_string((softplus_status)s);
        assert_non_null(text);
        assert_true(text[0] != '\0');
    }
    /* Distinct statuses get distinct descriptions. */
    assert_string_not_equal(status_string(SOFTPLUS_OK), status_string(SOFTPLUS_ERR_OVERLAP));
    assert_non_null(status_string((softplus_status)12345));
}

static int ulp_f32(float a, float b)
{
    uint32_t ua, ub;
    if (a == b)
        return 0;
    if ((a < 0) != (b < 0))
        return 1 << 30;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    ua &= 0x7fffffffu;
    ub &= 0x7fffffffu;
    return (int)(ua > ub ? ua - ub : ub - ua);
}

/* A strided forward f32 call through the pointer (x every other element), checked against libm. */
static void test_forward_f32_through_pointer(void **state)
{
    fwd_f32_fn fwd = (fwd_f32_fn)need("softplus_forward_f32");
    static const size_t shape[1] = {6};
    static const ptrdiff_t x_strides[1] = {2};
    const float x[12] = {-30.0f, 99.0f, -1.5f, 99.0f, 0.0f, 99.0f, 0.625f, 99.0f, 7.0f, 99.0f, 25.0f, 99.0f};
    float y[6];
    size_t i;
    (void)state;
    for (i = 0; i < 6; ++i)
        y[i] = -7.0f;
    assert_int_equal(fwd(1, shape, x, x_strides, y, NULL, 1.0f, 20.0f), SOFTPLUS_OK);
    for (i = 0; i < 6; ++i) {
        const double z = x[2 * i];
        const float want = (float)z > 20.0f ? (float)z : (float)((z > 0 ? z : 0) + log1p(exp(-fabs(z))));
        if (ulp_f32(y[i], want) > 4)
            fail_msg("forward f32 x=%a: got %a want %a", z, (double)y[i], (double)want);
    }
    /* An error crosses the pointer call too, with nothing written. */
    y[0] = -7.0f;
    assert_int_equal(fwd(1, shape, x, x_strides, y, NULL, NAN, 20.0f), SOFTPLUS_ERR_PARAM);
    assert_true(y[0] == -7.0f);
}

/* softplus_set_isa / softplus_active_isa round trip for every ISA the library reports as supported, and
 * SOFTPLUS_ERR_UNSUPPORTED for the rest. */
static void test_isa_round_trip_through_pointers(void **state)
{
    set_isa_fn set_isa = (set_isa_fn)need("softplus_set_isa");
    active_isa_fn active_isa = (active_isa_fn)need("softplus_active_isa");
    isa_supported_fn isa_supported = (isa_supported_fn)need("softplus_isa_supported");
    isa_name_fn isa_name = (isa_name_fn)need("softplus_isa_name");
    int isa;
    (void)state;
    assert_string_equal(isa_name(SOFTPLUS_ISA_SCALAR), "scalar");
    assert_string_equal(isa_name(SOFTPLUS_ISA_AUTO), "auto");
    for (isa = SOFTPLUS_ISA_SCALAR; isa <= SOFTPLUS_ISA_NEON; ++isa) {
        if (isa_supported((softplus_isa)isa)) {
            assert_int_equal(set_isa((softplus_isa)isa), SOFTPLUS_OK);
            if (active_isa() != (softplus_isa)isa)
                fail_msg("set_isa(%s) then active_isa() = %s", isa_name((softplus_isa)isa),
                         isa_name(active_isa()));
        } else {
            const softplus_isa before = active_isa();
            assert_int_equal(set_isa((softplus_isa)isa), SOFTPLUS_ERR_UNSUPPORTED);
            assert_int_equal(active_isa(), before);
        }
    }
    assert_int_equal(set_isa(SOFTPLUS_ISA_AUTO), SOFTPLUS_OK);
    assert_int_not_equal(active_isa(), SOFTPLUS_ISA_AUTO);
    assert_true(isa_supported(active_isa()));
}

/* The f64 and backward entry points are callable through their pointers (one element each). */
static void test_other_tensor_entry_points_through_pointers(void **state)
{
    fwd_f64_fn fwd64 = (fwd_f64_fn)need("softplus_forward_f64");
    bwd_f32_fn bwd32 = (bwd_f32_fn)need("softplus_backward_f32");
    bwd_f64_fn bwd64 = (bwd_f64_fn)need("softplus_backward_f64");
    const double x64 = 0.0, dy64 = 2.0;
    const float x32 = 0.0f, dy32 = 2.0f;
    double y64 = -7.0, dx64 = -7.0;
    float dx32 = -7.0f;
    (void)state;
    /* ndim = 0 is one element; softplus(0) = ln 2, dy * sigmoid(0) = 2 * 1/2 = 1; 4 ULP allowed
     * (the ULP of values in [0.5, 1) is 2^-53). */
    assert_int_equal(fwd64(0, NULL, &x64, NULL, &y64, NULL, 1.0, 20.0), SOFTPLUS_OK);
    if (fabs(y64 - log(2.0)) > 4 * 0x1p-53)
        fail_msg("forward f64 x=%a: got %a want %a", x64, y64, log(2.0));
    assert_int_equal(bwd64(0, NULL, &dy64, NULL, &x64, NULL, &dx64, NULL, 1.0, 20.0), SOFTPLUS_OK);
    if (fabs(dx64 - 1.0) > 4 * 0x1p-53)
        fail_msg("backward f64 x=%a dy=%a: got %a want 0x1p+0", x64, dy64, dx64);
    assert_int_equal(bwd32(0, NULL, &dy32, NULL, &x32, NULL, &dx32, NULL, 1.0f, 20.0f), SOFTPLUS_OK);
    if (ulp_f32(dx32, 1.0f) > 4)
        fail_msg("backward f32 x=%a dy=%a: got %a want 0x1p+0", (double)x32, (double)dy32, (double)dx32);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_listed_symbol_resolves_at_its_version),
        cmocka_unit_test(test_unknown_version_does_not_resolve),
        cmocka_unit_test(test_internal_names_are_hidden),
        cmocka_unit_test(test_version_and_status_strings_through_pointers),
        cmocka_unit_test(test_forward_f32_through_pointer),
        cmocka_unit_test(test_isa_round_trip_through_pointers),
        cmocka_unit_test(test_other_tensor_entry_points_through_pointers),
    };
    if (argc != 3) {
        fprintf(stderr, "usage: %s <libsoftplus.so.1> <exported_symbols.txt>\n", argv[0]);
        return 2;
    }
    lib_path = argv[1];
    list_path = argv[2];
    return cmocka_run_group_tests_name("dlopen", tests, setup, teardown);
}

/* peer_dnnl.c -- the oneDNN peer: eltwise soft_relu forward and backward through oneDNN's C API.
 * SPDX-License-Identifier: MIT
 *
 * What oneDNN 2.6 offers: dnnl_eltwise_soft_relu, y = log(1 + exp(x)), forward (inference) and backward
 * (dx = dy * sigmoid(x), from src), f32 on CPU (no f64 eltwise), no beta (2.6 ignores alpha and beta
 * for soft_relu; soft_relu_v2 with a scale came later) and no threshold. Each n gets a 1-D plain-layout
 * primitive, created on first use and kept, over memory objects whose data handles are pointed at the
 * caller's arrays on each call: a timed call is set_data_handle + execute + stream wait, as a user
 * reusing a primitive pays.
 * Threads: Debian builds oneDNN on the OpenMP runtime; bench_peers sets OMP_NUM_THREADS=1 before
 * libgomp starts (it re-executes itself), and peer_dnnl_init reports what the runtime then says.
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "peers.h"

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static char impl_name[2][64] = {"?", "?"};
static int backward_ok;
static const char *isa_tag = "jit";

#define DNNL_CHECK(call)                                                                                 \
    do {                                                                                                 \
        const dnnl_status_t st_ = (call);                                                                \
        if (st_ != dnnl_success) {                                                                       \
            fprintf(stderr, "bench_peers: oneDNN: %s failed with status %d\n", #call, (int)st_);         \
            exit(1);                                                                                     \
        }                                                                                                \
    } while (0)

typedef struct entry {
    size_t n;
    int backward;
    dnnl_primitive_t prim;
    dnnl_memory_t src, dst;  /* forward: x -> y; backward: src = x, dst = dx, ddst = dy */
    dnnl_memory_t ddst;
} entry;

enum { MAX_ENTRIES = 16 };
static entry cache[MAX_ENTRIES];
static int nentries;

static void plain_1d(dnnl_memory_desc_t *md, size_t n)
{
    const dnnl_dims_t dims = {(dnnl_dim_t)n};
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(md, 1, dims, dnnl_f32, dnnl_a));
}

/* The primitive descriptor of soft_relu on n elements; forward (inference or training, as the backward
 * hint) or backward. Returns the status instead of exiting, so init can probe what exists. */
static dnnl_status_t make_pd(dnnl_primitive_desc_t *pd, size_t n, int backward)
{
    dnnl_memory_desc_t md;
    plain_1d(&md, n);
    dnnl_eltwise_desc_t fd;
    dnnl_status_t st = dnnl_eltwise_forward_desc_init(&fd, backward ? dnnl_forward_training : dnnl_forward_inference,
                                                      dnnl_eltwise_soft_relu, &md, 0.0f, 0.0f);
    if (st != dnnl_success)
        return st;
    dnnl_primitive_desc_t fpd;
    st = dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL);
    if (st != dnnl_success || !backward) {
        *pd = fpd;
        return st;
    }
    dnnl_eltwise_desc_t bd;
    st = dnnl_eltwise_backward_desc_init(&bd, dnnl_eltwise_soft_relu, &md, &md, 0.0f, 0.0f);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(pd, &bd, NULL, engine, fpd);
    dnnl_primitive_desc_destroy(fpd);
    return st;
}

static entry *lookup(size_t n, int backward)
{
    for (int i = 0; i < nentries; i++)
        if (cache[i].n == n && cache[i].backward == backward)
            return &cache[i];
    if (nentries == MAX_ENTRIES) {
        fprintf(stderr, "bench_peers: oneDNN: more than %d primitive sizes\n", MAX_ENTRIES);
        exit(1);
    }
    entry *e = &cache[nentries++];
    e->n = n;
    e->backward = backward;
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(make_pd(&pd, n, backward));
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(impl_name[backward], sizeof impl_name[backward], "%s", impl);
    DNNL_CHECK(dnnl_primitive_create(&e->prim, pd));
    dnnl_memory_desc_t md;
    plain_1d(&md, n);
    DNNL_CHECK(dnnl_memory_create(&e->src, &md, engine, DNNL_MEMORY_NONE));
    DNNL_CHECK(dnnl_memory_create(&e->dst, &md, engine, DNNL_MEMORY_NONE));
    DNNL_CHECK(dnnl_memory_create(&e->ddst, &md, engine, DNNL_MEMORY_NONE));
    dnnl_primitive_desc_destroy(pd);
    return e;
}

int peer_dnnl_init(char *info, size_t len)
{
    const dnnl_version_t *v = dnnl_version();
    const char *runtime = v->cpu_runtime == DNNL_RUNTIME_OMP        ? "OpenMP"
                          : v->cpu_runtime == DNNL_RUNTIME_SEQ      ? "sequential"
                          : v->cpu_runtime == DNNL_RUNTIME_TBB      ? "TBB"
                          : v->cpu_runtime == DNNL_RUNTIME_THREADPOOL ? "threadpool"
                                                                      : "other";
    char threads[64] = "";
    int (*omp_max_threads)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_max_threads");
    if (omp_max_threads)
        snprintf(threads, sizeof threads, ", omp_get_max_threads() = %d", omp_max_threads());
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        snprintf(info, len, "oneDNN %d.%d.%d: no CPU engine", v->major, v->minor, v->patch);
        return 0;
    }
    dnnl_primitive_desc_t pd;
    const char *impl = NULL;
    if (make_pd(&pd, 64, 0) != dnnl_success) {
        snprintf(info, len, "oneDNN %d.%d.%d: no f32 soft_relu forward", v->major, v->minor, v->patch);
        return 0;
    }
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(impl_name[0], sizeof impl_name[0], "%s", impl);
    dnnl_primitive_desc_destroy(pd);
    backward_ok = make_pd(&pd, 64, 1) == dnnl_success;
    if (backward_ok) {
        if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
            snprintf(impl_name[1], sizeof impl_name[1], "%s", impl);
        dnnl_primitive_desc_destroy(pd);
    }
    static const struct { dnnl_cpu_isa_t isa; const char *name; } isas[] = {
        {dnnl_cpu_isa_sse41, "sse41"}, {dnnl_cpu_isa_avx, "avx"}, {dnnl_cpu_isa_avx2, "avx2"},
        {dnnl_cpu_isa_avx2_vnni, "avx2_vnni"}, {dnnl_cpu_isa_avx512_core, "avx512_core"},
        {dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"}, {dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"},
        {dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"}};
    const dnnl_cpu_isa_t eff = dnnl_get_effective_cpu_isa();
    const char *isa = "other";
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++)
        if (isas[i].isa == eff)
            isa = isas[i].name;
    /* The library's tag for the width of the forward kernel, from its name ("jit:avx512_core"). */
    isa_tag = strstr(impl_name[0], "avx512") ? "avx512" : strstr(impl_name[0], "avx2") ? "avx2"
              : strstr(impl_name[0], "sse41") ? "sse41" : "jit";
    snprintf(info, len, "oneDNN %d.%d.%d, CPU runtime %s%s, max JIT ISA %s%s", v->major, v->minor, v->patch,
             runtime, threads, isa, backward_ok ? "" : "; no soft_relu backward");
    return 1;
}

const char *peer_dnnl_isa(void)
{
    return isa_tag;
}

int peer_dnnl_has_backward(void)
{
    return backward_ok;
}

const char *peer_dnnl_impl(int backward)
{
    return impl_name[backward != 0];
}

void peer_dnnl_fwd_f32(size_t n, const float *x, float *y, float beta, float threshold)
{
    (void)beta;
    (void)threshold;
    entry *e = lookup(n, 0);
    DNNL_CHECK(dnnl_memory_set_data_handle(e->src, (void *)x));
    DNNL_CHECK(dnnl_memory_set_data_handle(e->dst, y));
    const dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_DST, e->dst}};
    DNNL_CHECK(dnnl_primitive_execute(e->prim, stream, 2, args));
    DNNL_CHECK(dnnl_stream_wait(stream));
}

void peer_dnnl_bwd_f32(size_t n, const float *dy, const float *x, float *dx, float beta, float threshold)
{
    (void)beta;
    (void)threshold;
    entry *e = lookup(n, 1);
    DNNL_CHECK(dnnl_memory_set_data_handle(e->src, (void *)x));
    DNNL_CHECK(dnnl_memory_set_data_handle(e->ddst, (void *)dy));
    DNNL_CHECK(dnnl_memory_set_data_handle(e->dst, dx));
    const dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_DIFF_DST, e->ddst}, {DNNL_ARG_DIFF_SRC, e->dst}};
    DNNL_CHECK(dnnl_primitive_execute(e->prim, stream, 3, args));
    DNNL_CHECK(dnnl_stream_wait(stream));
}

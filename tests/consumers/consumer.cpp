// consumer.cpp -- a C++ user of libsoftplus (built as C++11 and C++17): the header's extern "C" works.
// SPDX-License-Identifier: MIT
//
// Compiled with -Wall -Wextra -Werror -pedantic, linked against the shared library. Linking proves the
// header gives the functions C linkage (mangled names would not resolve); the calls prove the enums and
// the size_t / ptrdiff_t arguments cross the ABI unchanged. References come from <cmath>: f32 in double,
// f64 in long double, checked to TOL_ULP as in consumer.c.
#include <softplus.h> // first: the header must be self-contained in C++ too

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

const std::uint64_t TOL_ULP = 4;
int failures = 0;
int checks = 0;

template <typename Bits, typename T>
std::uint64_t ulp_distance(T a, T b)
{
    if (a == b)
        return 0;
    if ((a < 0) != (b < 0))
        return std::numeric_limits<std::uint64_t>::max();
    Bits ua, ub;
    std::memcpy(&ua, &a, sizeof ua);
    std::memcpy(&ub, &b, sizeof ub);
    const Bits magnitude = static_cast<Bits>(~Bits(0) >> 1);
    ua &= magnitude;
    ub &= magnitude;
    return ua > ub ? ua - ub : ub - ua;
}

template <typename W>
W softplus_ref(W z, W beta)
{
    return ((z > 0 ? z : W(0)) + std::log1p(std::exp(-std::fabs(z)))) / beta;
}

template <typename W>
W sigmoid_ref(W z)
{
    return z >= 0 ? W(1) / (W(1) + std::exp(-z)) : std::exp(z) / (W(1) + std::exp(z));
}

template <typename T>
struct api;

template <>
struct api<float> {
    typedef double wide; // exact for the product of two floats
    typedef std::uint32_t bits;
    static softplus_status fwd(std::size_t n, const std::size_t *s, const float *x, const std::ptrdiff_t *xs,
                               float *y, const std::ptrdiff_t *ys, float b, float t)
    {
        return softplus_forward_f32(n, s, x, xs, y, ys, b, t);
    }
    static softplus_status bwd(std::size_t n, const std::size_t *s, const float *dy,
                               const std::ptrdiff_t *dys, const float *x, const std::ptrdiff_t *xs,
                               float *dx, const std::ptrdiff_t *dxs, float b, float t)
    {
        return softplus_backward_f32(n, s, dy, dys, x, xs, dx, dxs, b, t);
    }
};

template <>
struct api<double> {
    typedef long double wide;
    typedef std::uint64_t bits;
    static softplus_status fwd(std::size_t n, const std::size_t *s, const double *x, const std::ptrdiff_t *xs,
                               double *y, const std::ptrdiff_t *ys, double b, double t)
    {
        return softplus_forward_f64(n, s, x, xs, y, ys, b, t);
    }
    static softplus_status bwd(std::size_t n, const std::size_t *s, const double *dy,
                               const std::ptrdiff_t *dys, const double *x, const std::ptrdiff_t *xs,
                               double *dx, const std::ptrdiff_t *dxs, double b, double t)
    {
        return softplus_backward_f64(n, s, dy, dys, x, xs, dx, dxs, b, t);
    }
};

void fail(const std::string &what)
{
    ++failures;
    std::fprintf(stderr, "consumer_cxx: FAIL: %s\n", what.c_str());
}

void report(const char *op, const char *dtype, double beta, double threshold, std::size_t i, double x,
            double got, double want)
{
    char msg[256];
    std::snprintf(msg, sizeof msg, "%s %s beta=%a threshold=%a at %zu x=%a: got %a want %a", op, dtype, beta,
                  threshold, i, x, got, want);
    fail(msg);
}

// A 2 x 5 tensor: x transposed in memory (strides {1, 2}), y reversed in its last dimension, dy and dx
// C-contiguous.
template <typename T>
void check(const char *dtype, T beta, T threshold)
{
    typedef typename api<T>::wide W;
    const std::size_t rows = 2, cols = 5;
    const std::size_t shape[2] = {rows, cols};
    const std::ptrdiff_t x_strides[2] = {1, 2};
    const std::ptrdiff_t y_strides[2] = {5, -1};
    const T values[10] = {T(-30), T(-2.5), T(-0.125), T(0), T(0.375), T(1.5), T(4), T(19.5), T(20), T(64)};

    std::vector<T> x(rows * cols), y(rows * cols, T(-7)), dy(rows * cols), dx(rows * cols, T(-7));
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
            x[i + 2 * j] = values[i * cols + j];
            dy[i * cols + j] = T(0.75) - T(0.125) * T(i * cols + j);
        }

    ++checks;
    softplus_status st = api<T>::fwd(2, shape, x.data(), x_strides, y.data() + (cols - 1), y_strides, beta,
                                     threshold);
    if (st != SOFTPLUS_OK)
        fail(softplus_status_string(st));
    ++checks;
    st = api<T>::bwd(2, shape, dy.data(), nullptr, x.data(), x_strides, dx.data(), nullptr, beta, threshold);
    if (st != SOFTPLUS_OK)
        fail(softplus_status_string(st));

    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
            const T xv = x[i + 2 * j];
            const W z = W(beta) * W(xv);
            const bool linear = T(beta * xv) > threshold; // fl(beta*x) in T
            const T want_y = linear ? xv : T(softplus_ref<W>(z, W(beta)));
            const T want_dx = linear ? dy[i * cols + j] : T(W(dy[i * cols + j]) * sigmoid_ref<W>(z));
            const T got_y = y[i * cols + (cols - 1 - j)];
            const T got_dx = dx[i * cols + j];
            checks += 2;
            if (ulp_distance<typename api<T>::bits>(got_y, want_y) > TOL_ULP)
                report("forward", dtype, double(beta), double(threshold), i * cols + j, double(xv),
                       double(got_y), double(want_y));
            if (ulp_distance<typename api<T>::bits>(got_dx, want_dx) > TOL_ULP)
                report("backward", dtype, double(beta), double(threshold), i * cols + j, double(xv),
                       double(got_dx), double(want_dx));
        }
}

} // namespace

int main()
{
    const std::string want = std::to_string(SOFTPLUS_VERSION_MAJOR) + "." +
                             std::to_string(SOFTPLUS_VERSION_MINOR) + "." +
                             std::to_string(SOFTPLUS_VERSION_PATCH);
    const char *got = softplus_version_string();
    ++checks;
    if (got == nullptr || want != got)
        fail("softplus_version_string() \"" + std::string(got ? got : "(null)") + "\" != header " + want);

    ++checks;
    if (softplus_set_isa(SOFTPLUS_ISA_SCALAR) != SOFTPLUS_OK || softplus_active_isa() != SOFTPLUS_ISA_SCALAR)
        fail("could not force the scalar ISA");
    ++checks;
    if (softplus_set_isa(SOFTPLUS_ISA_AUTO) != SOFTPLUS_OK || softplus_active_isa() == SOFTPLUS_ISA_AUTO)
        fail("SOFTPLUS_ISA_AUTO did not select a concrete ISA");

    const float inf_f = std::numeric_limits<float>::infinity();
    const double inf_d = std::numeric_limits<double>::infinity();
    check<float>("f32", 1.0f, 20.0f);
    check<float>("f32", 3.0f, 20.0f);
    check<float>("f32", -1.0f, inf_f);
    check<double>("f64", 1.0, 20.0);
    check<double>("f64", 0.25, 1.0);
    check<double>("f64", -2.0, inf_d);

    if (failures) {
        std::fprintf(stderr, "consumer_cxx: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    std::printf("consumer_cxx: C++%ld, %d checks passed (libsoftplus %s, isa %s)\n",
                static_cast<long>(__cplusplus), checks, softplus_version_string(),
                softplus_isa_name(softplus_active_isa()));
    return 0;
}

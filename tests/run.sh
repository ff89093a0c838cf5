#!/usr/bin/env bash
# tests/run.sh -- the test command: install the tools on a fresh Debian machine, build, run every test suite.
# SPDX-License-Identifier: MIT
#
# Usage: bash tests/run.sh          (.ci/run runs exactly this)
# Run as root on Debian it installs the packages with apt-get; without root or apt-get it uses the
# tools already installed. Each suite is one run_suite call: a build directory under the repository
# root, configured and built, then `ctest --output-on-failure` over every test (every label, the long
# exhaustive sweeps included). Exits non-zero when any suite fails to configure, build or pass.
# SOFTPLUS_SKIP_APT=1 skips the package step; JOBS=N sets build and ctest parallelism (default: nproc).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# g++: the C++ consumer; pkg-config + libcmocka-dev: the suites; python3: generator scripts;
# qemu-user: suites re-run under emulated CPUs (qemu-x86_64 -cpu ...) and foreign architectures.
PACKAGES=(cmake ninja-build make gcc g++ libc6-dev pkg-config libcmocka-dev python3 qemu-user)
TOOLS=(cmake cc c++ pkg-config ctest)

SUITES=()   # "name: result" per suite, for the summary
FAILED=0

source "$ROOT/.ci/setup.sh"

# ctest's own summary line ("100% tests passed, 0 tests failed out of N") from a log.
ctest_summary() {
    { grep -E 'tests passed|No tests were found' "$1" || echo "no ctest summary"; } | tail -n 1
}

# run_suite <name> <build dir, relative to the repository root> [extra cmake arguments...]
# Configures, builds and runs ctest; records the result and never exits on failure, so later suites
# still run and the summary lists them all.
run_suite() {
    local name=$1 build=$ROOT/$2
    shift 2
    local generator
    mapfile -t generator < <(generator_args "$build")
    echo
    echo "== [$name] configure in $build"
    if ! cmake -S "$ROOT" -B "$build" "${generator[@]}" -DSOFTPLUS_BUILD_TESTS=ON -DSOFTPLUS_BUILD_BENCH=ON "$@"; then
        SUITES+=("$name: configure FAILED"); FAILED=1; return 0
    fi
    echo "== [$name] build -j$JOBS"
    if ! cmake --build "$build" -j "$JOBS"; then
        SUITES+=("$name: build FAILED"); FAILED=1; return 0
    fi
    echo "== [$name] ctest -j$JOBS"
    local log=$build/ctest.log
    if (cd "$build" && ctest --output-on-failure -j "$JOBS") 2>&1 | tee "$log"; then
        SUITES+=("$name: $(ctest_summary "$log")")
    else
        SUITES+=("$name: FAILED -- $(ctest_summary "$log")")
        FAILED=1
    fi
}

# Optimised as shipped, with debug info and assert() left on (CMake's RelWithDebInfo adds -DNDEBUG).
NATIVE_ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo
             "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g"
             "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g")

install_packages "${PACKAGES[@]}"
require_tools "${TOOLS[@]}"

run_suite native build-test "${NATIVE_ARGS[@]}"
# A cross build is one more call, after installing its packages (see cmake/toolchains/), e.g.
#   run_suite aarch64 build-test-aarch64 "${NATIVE_ARGS[@]}" \
#       -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchains/aarch64-linux-gnu.cmake"

echo
echo "== summary"
printf '   %s\n' "${SUITES[@]}"
exit "$FAILED"

#!/usr/bin/env bash
# tests/run.sh -- the test command: install the tools on a fresh Debian machine, build, run every test suite.
# SPDX-License-Identifier: MIT
#
# Usage: bash tests/run.sh          (.ci/run runs exactly this)
# Run as root on Debian it installs the packages with apt-get; without root or apt-get it uses the
# tools already installed. Each suite is one run_suite call: a build directory under the repository
# root, configured and built, then `ctest --output-on-failure` over its tests (natively every label,
# the long exhaustive sweeps included): native, aarch64 under qemu, ASan+UBSan, TSan, valgrind; then
# a minute of fuzzing. Exits non-zero when any suite fails to configure, build or pass.
# SOFTPLUS_SKIP_APT=1 skips the package step; JOBS=N sets build and ctest parallelism (default: nproc).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# g++: the C++ consumer; pkg-config + libcmocka-dev: the suites; python3: generator scripts;
# qemu-user: suites re-run under emulated CPUs (qemu-x86_64 -cpu ...) and foreign architectures.
PACKAGES=(cmake ninja-build make gcc g++ libc6-dev pkg-config libcmocka-dev python3 qemu-user)
TOOLS=(cmake cc c++ pkg-config ctest)
# The Python binding's suites: numpy reference and PyTorch parity (tests/python, Debian's /usr/bin/python3).
PACKAGES+=(python3-numpy python3-torch)
# pip install . offline in a throwaway venv (tests/python/test_pip_install.py).
PACKAGES+=(python3-venv python3-pip python3-setuptools python3-wheel)
# ABI check against the committed baseline (abidiff), the .deb and source packages (dpkg-dev, file for
# CPack's shlibdeps) and lintian over them, the API reference (doxygen) and the man page checks (man-db, groff).
PACKAGES+=(abigail-tools dpkg-dev file doxygen man-db lintian)
# valgrind memcheck over the suite (the ASan, UBSan and TSan runtimes come with gcc); clang and its
# runtime (libFuzzer) for the fuzzer, llvm for symbolised reports.
PACKAGES+=(valgrind clang libclang-rt-14-dev llvm)
TOOLS+=(valgrind clang)
# The aarch64 suite: Debian's cross toolchain, the arm64 cmocka, and qemu-aarch64 (from qemu-user)
# running every test (cmake/toolchains/aarch64-linux-gnu.cmake).
PACKAGES+=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross libcmocka-dev:arm64)
TOOLS+=(aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ qemu-aarch64)

SUITES=()   # "name: result" per suite, for the summary
FAILED=0

source "$ROOT/.ci/setup.sh"

# ctest's own summary line ("100% tests passed, 0 tests failed out of N") from a log.
ctest_summary() {
    { grep -E 'tests passed|No tests were found' "$1" || echo "no ctest summary"; } | tail -n 1
}

# run_suite <name> <build dir, relative to the repository root> [cmake arguments...] [-- ctest arguments...]
# Configures, builds and runs ctest; records the result and never exits on failure, so later suites
# still run and the summary lists them all.
run_suite() {
    local name=$1 build=$ROOT/$2
    shift 2
    local cmake_args=() ctest_args=()
    while (($#)) && [[ $1 != -- ]]; do cmake_args+=("$1"); shift; done
    if (($#)); then shift; ctest_args=("$@"); fi
    local generator
    mapfile -t generator < <(generator_args "$build")
    echo
    echo "== [$name] configure in $build"
    if ! cmake -S "$ROOT" -B "$build" "${generator[@]}" -DSOFTPLUS_BUILD_TESTS=ON -DSOFTPLUS_BUILD_BENCH=ON "${cmake_args[@]}"; then
        SUITES+=("$name: configure FAILED"); FAILED=1; return 0
    fi
    echo "== [$name] build -j$JOBS"
    if ! cmake --build "$build" -j "$JOBS"; then
        SUITES+=("$name: build FAILED"); FAILED=1; return 0
    fi
    echo "== [$name] ctest -j$JOBS ${ctest_args[*]}"
    local log=$build/ctest.log
    if (cd "$build" && ctest --output-on-failure -j "$JOBS" "${ctest_args[@]}") 2>&1 | tee "$log"; then
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

# The same suites for aarch64, every test under qemu-aarch64 (NEON kernels; sampled sweeps).
run_suite aarch64 build-test-aarch64 "${NATIVE_ARGS[@]}" \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchains/aarch64-linux-gnu.cmake"

# ASan + UBSan over the whole suite, any report fatal. The tests that load the library into
# uninstrumented programs (Python, packaging, ABI, docs) are not part of it; sweeps are sampled
# (SOFTPLUS_TEST_UNDER_SANITIZER turns on from the -fsanitize flag).
SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
run_suite asan build-test-asan "${NATIVE_ARGS[@]}" "-DCMAKE_C_FLAGS=$SAN_FLAGS" "-DCMAKE_CXX_FLAGS=$SAN_FLAGS" \
    -- -LE 'python|abi|docs' -E '^consumers\.(deb|source_tarball)$'

# TSan over the thread tests: first calls racing, set_isa racing compute, concurrent strided calls (the
# benchmarks, none of them labelled threads, are not built).
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
run_suite tsan build-test-tsan "${NATIVE_ARGS[@]}" -DSOFTPLUS_TEST_REDUCED=ON -DSOFTPLUS_BUILD_BENCH=OFF \
    -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_CXX_FLAGS=-fsanitize=thread -- -L threads

# valgrind memcheck once over the suite at reduced sizes. valgrind 3.19 cannot run AVX-512 (its CPUID
# hides it, so detection stops at AVX2); tests/unit/test_guard_pages covers the AVX-512 tails instead.
# Left out: file-only checks, the digest and bench_fpenv runs (minutes each under valgrind), and the
# guard-page test (its faults are the hardware's, the same under valgrind; it runs natively and under ASan).
# --fair-sched=yes: valgrind runs one thread at a time, and its default lock is unfair; unit_threads'
# test_fork (a thread calling the library in a loop while the main thread forks) hung past the 480 s
# timeout in 6 of 7 runs on this project's 2-core VM without it, and passed in 6-7 s in 3 of 3 with it.
SOFTPLUS_ISA=avx2 \
run_suite valgrind build-test-valgrind "${NATIVE_ARGS[@]}" -DSOFTPLUS_TEST_UNDER_SANITIZER=ON -DSOFTPLUS_TEST_REDUCED=ON \
    -- -T memcheck --overwrite "MemoryCheckCommand=$(command -v valgrind)" \
    --overwrite "MemoryCheckCommandOptions=--fair-sched=yes --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible" \
    -LE 'python|abi|docs|fuzz' -E '^(digest|bench_fpenv_quick|unit_guard_pages|consumers\.(deb|source_tarball|exported_symbols))$'

# libFuzzer over the whole API for a minute from the committed corpus (clang, ASan + UBSan); any
# finding fails. The corpus replay and the findings' regression tests run in every suite above.
echo
echo "== [fuzz] tests/fuzz/run.sh 60 build-fuzz"
if bash "$ROOT/tests/fuzz/run.sh" 60 build-fuzz; then
    SUITES+=("fuzz: 60 s, no finding")
else
    SUITES+=("fuzz: FAILED (see the report above)"); FAILED=1
fi

echo
echo "== summary"
printf '   %s\n' "${SUITES[@]}"
exit "$FAILED"

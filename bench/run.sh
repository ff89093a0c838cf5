#!/usr/bin/env bash
# bench/run.sh -- the main job on a fresh Debian machine: install the tools, build, run the demo and the benchmark.
# SPDX-License-Identifier: MIT
#
# Usage: bash bench/run.sh [bench_softplus options, e.g. --quick, --csv FILE, --isa avx2]
# Run as root on a fresh Debian (or Ubuntu) machine it installs what the build needs with apt-get;
# without root or apt-get it uses the tools already installed. Builds Release in ./build.
# SOFTPLUS_SKIP_APT=1 skips the package step; JOBS=N sets the build parallelism (default: nproc).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD="$ROOT/build"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# The build needs only a C compiler, its C library headers and CMake; tests are not built here.
PACKAGES=(cmake ninja-build gcc libc6-dev make pkg-config)
TOOLS=(cmake cc)

source "$ROOT/.ci/setup.sh"

configure_and_build() {
    local generator
    mapfile -t generator < <(generator_args "$BUILD")
    echo "== configure: Release in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DSOFTPLUS_BUILD_TESTS=OFF -DSOFTPLUS_BUILD_BENCH=ON
    echo "== build: -j$JOBS"
    cmake --build "$BUILD" -j "$JOBS" --target softplus softplus_demo bench_softplus
}

install_packages "${PACKAGES[@]}"
require_tools "${TOOLS[@]}"
configure_and_build
echo
echo "== demo: $BUILD/bench/softplus_demo"
"$BUILD/bench/softplus_demo"
echo
echo "== benchmark: $BUILD/bench/bench_softplus $*"
"$BUILD/bench/bench_softplus" "$@"

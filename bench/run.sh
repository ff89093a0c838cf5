#!/usr/bin/env bash
# bench/run.sh -- the main job on a fresh Debian machine: install the tools, build, run the demo and the benchmark.
# SPDX-License-Identifier: MIT
#
# Usage: bash bench/run.sh [bench_softplus options, e.g. --quick, --csv FILE, --isa avx2]
# Then the peers: bench_peers (oneDNN, SLEEF, glibc libmvec/libm; each optional) and bench_torch.py
# (PyTorch), on the same inputs, into build/peers.csv; --quick shrinks them too (no 32M-element size);
# then bench_against: this build beside release 1.0 (built from this clone's history) in one process.
# Run as root on a fresh Debian (or Ubuntu) machine it installs what the build needs with apt-get;
# without root or apt-get it uses the tools already installed. Builds Release in ./build.
# SOFTPLUS_SKIP_APT=1 skips the package step; JOBS=N sets the build parallelism (default: nproc).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD="$ROOT/build"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# The build needs only a C compiler, its C library headers and CMake; tests are not built here.
# gnuplot-nox draws the throughput plot from the CSV (skipped with a message when it is missing).
PACKAGES=(cmake ninja-build gcc libc6-dev make pkg-config gnuplot-nox)
# The peers bench_peers and bench_torch.py compare with; each one missing is reported and skipped.
PACKAGES+=(libdnnl-dev libsleef-dev python3-torch python3-numpy)
TOOLS=(cmake cc)

source "$ROOT/.ci/setup.sh"

configure_and_build() {
    local generator
    mapfile -t generator < <(generator_args "$BUILD")
    echo "== configure: Release in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DSOFTPLUS_BUILD_TESTS=OFF -DSOFTPLUS_BUILD_BENCH=ON
    echo "== build: -j$JOBS"
    cmake --build "$BUILD" -j "$JOBS" --target softplus softplus_demo bench_softplus bench_peers bench_against
}

# Release 1.0 (the last commit of that release, from this clone's history) built Release beside this
# build, for bench_against: its library in $BUILD/release-1.0/build. Returns 1, with a message, when the
# history is not there (a source tarball, a shallow clone).
RELEASE_1_0=b0948b2f8d629f5605e9c7d6caf6d269345c7d97
build_release_1_0() {
    local src=$BUILD/release-1.0/src generator
    if ! git -C "$ROOT" cat-file -e "$RELEASE_1_0^{commit}" 2>/dev/null; then
        echo "== against release 1.0: skipped, commit ${RELEASE_1_0:0:7} is not in this clone's history"
        return 1
    fi
    # called as an if condition, where set -e does not apply: every step checks its own status
    rm -rf "$src" && mkdir -p "$src" || return 1
    git -C "$ROOT" archive "$RELEASE_1_0" | tar -x -C "$src" || return 1
    mapfile -t generator < <(generator_args "$BUILD/release-1.0/build")
    if ! cmake -S "$src" -B "$BUILD/release-1.0/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DSOFTPLUS_BUILD_TESTS=OFF -DSOFTPLUS_BUILD_BENCH=OFF >/dev/null ||
        ! cmake --build "$BUILD/release-1.0/build" -j "$JOBS" --target softplus >/dev/null; then
        echo "== against release 1.0: skipped, its build failed"
        return 1
    fi
}

install_packages "${PACKAGES[@]}"
require_tools "${TOOLS[@]}"
configure_and_build
echo
echo "== demo: $BUILD/bench/softplus_demo"
"$BUILD/bench/softplus_demo"
echo
# The benchmark's CSV feeds the plot: the caller's --csv FILE, else one in the build directory.
CSV=""
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do
    [[ ${args[$i]} == --csv ]] && CSV=${args[$((i + 1))]}
done
if [[ -z $CSV ]]; then
    CSV=$BUILD/bench.csv
    set -- "$@" --csv "$CSV"
fi
echo "== benchmark: $BUILD/bench/bench_softplus $*"
"$BUILD/bench/bench_softplus" "$@"

# Throughput against size per kernel, beside the copy roofline (bench/plot.sh), when gnuplot is here.
echo
PNG=$BUILD/throughput.png
if ! command -v gnuplot >/dev/null; then
    echo "== plot: skipped, gnuplot is not installed (Debian: apt-get install gnuplot-nox); the CSV is $CSV"
elif [[ ! -s $CSV ]] || (($(wc -l <"$CSV") < 2)); then
    echo "== plot: skipped, $CSV holds no measurements"
else
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
    echo "== plot: $PNG"
    bash "$ROOT/bench/plot.sh" "$CSV" "$PNG" \
        "libsoftplus: each kernel set on contiguous arrays, one core${cpu:+, $cpu} ($(date +%Y-%m-%d))"
fi

# The peers, on the same inputs: bench_peers (C libraries) writes build/peers.csv, bench_torch.py adds
# PyTorch's rows and prints the combined table. Only --quick applies to them.
peer_args=()
for arg in "$@"; do
    [[ $arg == --quick ]] && peer_args=(--quick)
done
PEERS_CSV=$BUILD/peers.csv
echo
echo "== libmvec variants the libmvec peers call (objdump)"
bash "$ROOT/bench/peers/libmvec_calls.sh" "$BUILD/bench/peers/bench_peers" ||
    echo "warning: a libmvec peer calls no libmvec variant: its rows time scalar libm, not libmvec"
echo
echo "== peers: $BUILD/bench/peers/bench_peers ${peer_args[*]} --csv $PEERS_CSV"
"$BUILD/bench/peers/bench_peers" "${peer_args[@]}" --csv "$PEERS_CSV"
echo
# Debian's python3-torch installs for /usr/bin/python3, which may not be the python3 on PATH.
# This build against release 1.0 through the 1.0 API, in one process (issue 11: the strict f32 forward at
# >= 1.15x the 1.0 kernels on every ISA).
echo
if build_release_1_0; then
    echo "== against release 1.0: $BUILD/bench/bench_against $BUILD/release-1.0/build/libsoftplus.so.1"
    against_args=()
    [[ ${#peer_args[@]} -gt 0 ]] && against_args=(--reps 3)
    "$BUILD/bench/bench_against" "$BUILD/release-1.0/build/libsoftplus.so.1" "${against_args[@]}"
fi
echo

PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON=$(command -v python3 || true)
if [[ -z $PYTHON ]]; then
    echo "== PyTorch: skipped, no python3 (Debian: apt-get install python3-torch python3-numpy)"
else
    # One run per ATen kernel width this CPU runs (avx512, avx2, default), as for our kernel sets.
    echo "== PyTorch: $PYTHON bench/bench_torch.py ${peer_args[*]} --capabilities all --csv $PEERS_CSV"
    "$PYTHON" "$ROOT/bench/bench_torch.py" "${peer_args[@]}" --capabilities all --csv "$PEERS_CSV"
fi

# The Python package's per-call cost beside numpy and PyTorch (bench/bench_python.py), from the build
# tree; it needs the build's python/ package and numpy.
if [[ -n $PYTHON ]] && "$PYTHON" -c "import numpy" 2>/dev/null && [[ -d $BUILD/python/softplus ]]; then
    echo
    echo "== Python calls: PYTHONPATH=$BUILD/python $PYTHON bench/bench_python.py ${peer_args[*]}"
    PYTHONPATH=$BUILD/python "$PYTHON" "$ROOT/bench/bench_python.py" "${peer_args[@]}"
else
    echo "== Python calls: skipped (needs $PYTHON with numpy; Debian: python3-numpy)"
fi

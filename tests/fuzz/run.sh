#!/usr/bin/env bash
# tests/fuzz/run.sh -- builds the libFuzzer target with clang and fuzzes the whole API for a bounded time.
# SPDX-License-Identifier: MIT
#
# Usage: bash tests/fuzz/run.sh <seconds> [build dir, default: build-fuzz under the repository root]
# Configures a clang tree with -DSOFTPLUS_BUILD_FUZZ=ON, builds fuzz_softplus (ASan + UBSan + libFuzzer),
# and runs it in one process for <seconds> from the seed corpus tests/fuzz/corpus (new inputs go to
# <build dir>/fuzz-corpus, which later runs reuse). Exits non-zero when the build fails or the fuzzer
# finds anything: a failed check, a sanitizer report, a timeout or the memory limit; the input is then
# in <build dir>/fuzz-artifacts and the command to reproduce it is printed.
# Needs cmake, ninja (or make), and clang with libFuzzer: Debian packages clang and libclang-rt-14-dev
# (clang 14; any newer clang works too). Uses the tools already installed; installs nothing.
# Environment: CC picks the compiler (default: the first of clang, clang-14 ... clang-19 on PATH);
# FUZZ_RSS_MB (default 2048) and FUZZ_TIMEOUT (seconds per input, default 30) are passed to libFuzzer;
# JOBS sets the build parallelism (default 2).
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 <seconds> [build dir]" >&2
    exit 2
fi
SECONDS_TO_RUN=$1
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
BUILD=${2:-$ROOT/build-fuzz}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
JOBS=${JOBS:-2}
HERE=$ROOT/tests/fuzz

cc=${CC:-}
if [[ -z $cc ]]; then
    for candidate in clang clang-14 clang-15 clang-16 clang-17 clang-18 clang-19; do
        if command -v "$candidate" >/dev/null; then cc=$candidate; break; fi
    done
fi
if [[ -z $cc ]] || ! "$cc" --version 2>/dev/null | grep -qi clang; then
    echo "error: no clang found (set CC); Debian: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
fi
generator=()
if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    if command -v ninja >/dev/null; then generator=(-G Ninja); else generator=(-G "Unix Makefiles"); fi
fi

echo "== fuzz: configure $BUILD with $cc"
mkdir -p "$BUILD"
cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g" -DSOFTPLUS_BUILD_TESTS=ON -DSOFTPLUS_BUILD_BENCH=OFF \
    -DSOFTPLUS_BUILD_FUZZ=ON >"$BUILD/configure.log" 2>&1 || { cat "$BUILD/configure.log"; exit 1; }
echo "== fuzz: build fuzz_softplus -j$JOBS"
cmake --build "$BUILD" --target fuzz_softplus -j "$JOBS"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

work=$BUILD/fuzz-corpus
artifacts=$BUILD/fuzz-artifacts
mkdir -p "$work"
rm -rf "$artifacts"
mkdir -p "$artifacts"
log=$BUILD/fuzz.log
echo "== fuzz: $SECONDS_TO_RUN s, one worker; log $log"
status=0
"$BUILD/tests/fuzz/fuzz_softplus" -max_total_time="$SECONDS_TO_RUN" -timeout="${FUZZ_TIMEOUT:-30}" \
    -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -max_len=1024 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work" "$HERE/corpus" >"$log" 2>&1 || status=$?

grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|^Done ' "$log" || true
if [[ $status -ne 0 ]]; then
    echo
    echo "== fuzz: FAILED (libFuzzer exit $status); the report:"
    first=$(grep -n -m1 -E 'CHECK FAILED|==[0-9]+==ERROR|runtime error:|ERROR: libFuzzer|ALARM:' "$log" | cut -d: -f1)
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|^[[:space:]]+NEW_FUNC' <(tail -n "+$((${first:-1} > 3 ? ${first:-1} - 3 : 1))" "$log") | head -n 80
    for input in "$artifacts"/*; do
        [[ -e $input ]] || continue
        echo "== reproduce: $BUILD/tests/fuzz/fuzz_softplus $input"
    done
    exit 1
fi
echo "== fuzz: no findings"

#!/bin/sh
# abi.sh -- write libsoftplus's ABI baseline (abidw) and check a built library against one (abidiff).
# SPDX-License-Identifier: MIT
#
# Usage:
#   abi.sh dump  <library> <out.abi>        write the ABI of <library> (it must carry DWARF: a -g build)
#   abi.sh check <baseline.abi> <library>   fail unless <library> is ABI-compatible with <baseline.abi>
# Environment: SP_SOURCE_DIR (the source tree: its include/ is the public header set, and its path is
# cut out of the baseline), SP_ABIDW / SP_ABIDIFF / SP_READELF (the tools; default: from PATH). check
# also takes SP_CMAKE SP_GENERATOR SP_MAKE_PROGRAM SP_CC SP_WORK [SP_TOOLCHAIN_FILE] for the fallback below.
#
# What the baseline holds: the exported symbols with their version nodes, and the types reachable from
# them that are declared in include/ (--headers-dir, --drop-private-types, --exported-interfaces-only:
# internal kernels, libm and kernel-private structs are left out). Locations, the compilation directory
# and DT_NEEDED are left out, type ids are content hashes, and the source directory is cut from each
# translation unit's path, so two builds of one source give the same file wherever they are built.
#
# What check fails on (abidiff's exit status is a bit field, see abidiff(1) "RETURN VALUES"):
#   1 ABIDIFF_ERROR, 2 ABIDIFF_USAGE_ERROR     the comparison itself failed: fail.
#   8 ABIDIFF_ABI_INCOMPATIBLE_CHANGE          a released symbol was removed or changed version: fail.
#   4 ABIDIFF_ABI_CHANGE (without 8)           libabigail's "might be compatible, needs review": a
#                                              parameter, return or enumerator value changed, or only
#                                              symbols were added. The diff is run again with
#                                              --no-added-syms; any change left is a failure, so the
#                                              only change that passes is an added symbol.
# Changes libabigail itself classifies as harmless (a new enumerator after the last one) are filtered by
# its defaults and pass. On top of abidiff: a symbol may only be added in a version node the baseline
# does not have -- released nodes never change (src/softplus.map).
# Without abidiff the check exits 77 (ctest: skipped), saying so loudly.
set -eu
LC_ALL=C
export LC_ALL

cmd=${1:?usage: abi.sh dump <library> <out.abi> | abi.sh check <baseline.abi> <library>}
SP_SOURCE_DIR=${SP_SOURCE_DIR:?SP_SOURCE_DIR is not set (run this through ctest or the abi-baseline target)}
SP_ABIDW=${SP_ABIDW:-abidw}
SP_ABIDIFF=${SP_ABIDIFF:-abidiff}
SP_READELF=${SP_READELF:-readelf}
headers=$SP_SOURCE_DIR/include

die() {
    echo "abi.sh $cmd: FAIL: $*" >&2
    exit 1
}

has_dwarf() {
    "$SP_READELF" -S -W "$1" | grep -q '\.debug_info'
}

# The versioned symbols a library defines, one "name@VERSION" per line, sorted.
lib_symbols() {
    "$SP_READELF" --dyn-syms -W "$1" |
        awk '$7 != "UND" && $8 ~ /@/ { sub(/@@/, "@", $8); print $8 }' | sort -u
}

# The versioned symbols a baseline lists, in the same form.
baseline_symbols() {
    sed -n "s|.*<elf-symbol name='\([^']*\)' version='\([^']*\)'.*|\1@\2|p" "$1" | sort -u
}

case $cmd in
dump)
    lib=${2:?usage: abi.sh dump <library> <out.abi>}
    out=${3:?usage: abi.sh dump <library> <out.abi>}
    command -v "$SP_ABIDW" >/dev/null 2>&1 || die "abidw not found (Debian: apt-get install abigail-tools)"
    has_dwarf "$lib" ||
        die "$lib has no debug info: configure with -DCMAKE_BUILD_TYPE=RelWithDebInfo (or -g) and rebuild"
    tmp=$out.tmp
    "$SP_ABIDW" --headers-dir "$headers" --drop-private-types --exported-interfaces-only \
        --drop-undefined-syms --no-corpus-path --no-comp-dir-path --no-show-locs --no-elf-needed \
        --type-id-style hash --out-file "$tmp" "$lib" || die "abidw failed on $lib"
    # The one build path abidw keeps is each translation unit's source file; keep it relative.
    sed "s|path='$SP_SOURCE_DIR/|path='|" "$tmp" >"$out"
    rm -f "$tmp"
    if grep -q "path='/" "$out"; then
        die "$out still holds an absolute path: $(grep -o "path='/[^']*'" "$out" | head -n 1)"
    fi
    grep -q "<elf-symbol " "$out" || die "$out lists no symbols"
    grep -q "<function-decl " "$out" || die "$out holds no function declarations (no DWARF read?)"
    echo "abi.sh dump: wrote $out: $(grep -c '<elf-symbol ' "$out") symbols," \
        "$(grep -c '<function-decl ' "$out") function declarations"
    ;;

check)
    baseline=${2:?usage: abi.sh check <baseline.abi> <library>}
    lib=${3:?usage: abi.sh check <baseline.abi> <library>}
    if ! command -v "$SP_ABIDIFF" >/dev/null 2>&1; then
        echo "##########################################################################################"
        echo "## abi.sh: SKIPPED -- abidiff is not installed, so the ABI of $(basename "$lib")"
        echo "## was NOT checked against $(basename "$baseline")."
        echo "## Install it (Debian: apt-get install abigail-tools) and reconfigure."
        echo "##########################################################################################"
        exit 77
    fi
    [ -f "$baseline" ] || die "no baseline $baseline"
    [ -f "$lib" ] || die "no library $lib"

    # The type check needs DWARF. A build without -g (Release) is checked through a -g build of the same
    # sources with the same compiler: -g changes no type or symbol, and checking only the symbol table
    # would let a changed parameter type through.
    if ! has_dwarf "$lib"; then
        for var in SP_CMAKE SP_GENERATOR SP_CC SP_WORK; do
            eval "value=\${$var:-}"
            [ -n "$value" ] || die "$lib has no debug info and $var is not set for the -g rebuild"
        done
        bdir=$SP_WORK/abi-debug-build
        echo "abi.sh: $(basename "$lib") has no debug info (a build without -g); checking a RelWithDebInfo"
        echo "        build of the same sources in $bdir instead"
        set -- -S "$SP_SOURCE_DIR" -B "$bdir" -G "$SP_GENERATOR" -DCMAKE_C_COMPILER="$SP_CC" \
            -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOFTPLUS_BUILD_TESTS=OFF -DSOFTPLUS_BUILD_BENCH=OFF
        [ -z "${SP_MAKE_PROGRAM:-}" ] || set -- "$@" -DCMAKE_MAKE_PROGRAM="$SP_MAKE_PROGRAM"
        [ -z "${SP_TOOLCHAIN_FILE:-}" ] || set -- "$@" -DCMAKE_TOOLCHAIN_FILE="$SP_TOOLCHAIN_FILE"
        "$SP_CMAKE" "$@" >"$SP_WORK/abi-debug-build.log" 2>&1 ||
            die "configuring the -g build failed (see $SP_WORK/abi-debug-build.log)"
        "$SP_CMAKE" --build "$bdir" -j 2 --target softplus >>"$SP_WORK/abi-debug-build.log" 2>&1 ||
            die "building the -g library failed (see $SP_WORK/abi-debug-build.log)"
        lib=$(find "$bdir" -maxdepth 1 -name "$(basename "$lib")" | head -n 1)
        [ -n "$lib" ] && has_dwarf "$lib" || die "the -g build in $bdir gave no library with debug info"
    fi

    echo "abi.sh: $lib against $baseline"
    set +e
    "$SP_ABIDIFF" --drop-private-types --exported-interfaces-only --fail-no-debug-info \
        --no-architecture --headers-dir2 "$headers" "$baseline" "$lib"
    status=$?
    set -e
    echo "abi.sh: abidiff exit status $status" \
        "(1 error, 2 usage error, 4 ABI change, 8 incompatible ABI change)"
    if [ $((status & 3)) -ne 0 ]; then
        die "abidiff could not compare the ABIs (status $status)"
    elif [ $((status & 8)) -ne 0 ]; then
        die "incompatible ABI change: a released symbol was removed or moved to another version node"
    elif [ $((status & 4)) -ne 0 ]; then
        set +e
        "$SP_ABIDIFF" --drop-private-types --exported-interfaces-only --fail-no-debug-info \
            --no-architecture --no-added-syms --headers-dir2 "$headers" "$baseline" "$lib" >/dev/null
        rest=$?
        set -e
        [ "$rest" -eq 0 ] || die "the ABI changed beyond added symbols (status $rest without them): a" \
            "released function's parameters, return type or an enumerator's value changed (report above)"
        echo "abi.sh: only added symbols: compatible"
    fi

    # Released version nodes are closed: a symbol that is new must come in a node the baseline lacks.
    old_nodes=$(baseline_symbols "$baseline" | sed 's/.*@//' | sort -u)
    misplaced=$(lib_symbols "$lib" | while IFS= read -r sym; do
        case " $(echo $old_nodes) " in
        *" ${sym#*@} "*) baseline_symbols "$baseline" | grep -qx "$sym" || echo "$sym" ;;
        esac
    done)
    [ -z "$misplaced" ] || die "symbols added to a released version node (add a new node to" \
        "src/softplus.map instead): $(echo $misplaced)"
    echo "abi.sh: PASS: $(lib_symbols "$lib" | wc -l) exported symbols; every one of the baseline's" \
        "$(baseline_symbols "$baseline" | wc -l) is there with its type and version"
    ;;

*)
    echo "abi.sh: unknown command '$cmd'" >&2
    exit 2
    ;;
esac

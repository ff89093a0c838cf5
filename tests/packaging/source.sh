#!/bin/sh
# source.sh -- the source tarball holds the source tree: every source file, no build tree, no .git.
# SPDX-License-Identifier: MIT
#
# One ctest (tests/packaging/CMakeLists.txt): cpack --config CPackSourceConfig.cmake into
# $SP_WORK/source, then the tarball's files must be exactly the files of $SP_SOURCE_DIR less the ones a
# source release leaves out (build*/ at the top, .git, __pycache__, *.pyc, *.o, editor backups), all
# under libsoftplus-<version>/; the ignore patterns in cmake/packaging.cmake are checked, not trusted.
# Environment: SP_CPACK SP_SOURCE_DIR SP_BUILD_DIR SP_WORK SP_VERSION
set -eu
for var in SP_CPACK SP_SOURCE_DIR SP_BUILD_DIR SP_WORK SP_VERSION; do
    eval "value=\${$var:-}"
    if [ -z "$value" ]; then
        echo "source.sh: $var is not set (run this through ctest)" >&2
        exit 2
    fi
done
LC_ALL=C
export LC_ALL
die() {
    echo "source.sh: FAIL: $*" >&2
    exit 1
}

work=$SP_WORK/source
top=libsoftplus-$SP_VERSION
tarball=$work/$top.tar.gz
rm -rf "$work"
mkdir -p "$work"
"$SP_CPACK" --config "$SP_BUILD_DIR/CPackSourceConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 ||
    die "cpack (source) failed: $(cat "$work/cpack.log")"
[ -f "$tarball" ] || die "cpack did not write $tarball: $(ls "$work")"

tar tzf "$tarball" >"$work/entries.txt" || die "$tarball is not a readable tar.gz"
outside=$(grep -v "^$top/" "$work/entries.txt" || true)
[ -z "$outside" ] || die "entries outside $top/: $outside"
grep -v '/$' "$work/entries.txt" | sed "s|^$top/||" | sort >"$work/actual.txt"

# The build directory is left out wherever it is, in the tree (build*/) or elsewhere.
build_rel=$(cd "$SP_BUILD_DIR" && pwd -P)
src_abs=$(cd "$SP_SOURCE_DIR" && pwd -P)
(cd "$src_abs" && find . \( -path ./.git -o -path './build*' -o -path ./_CPack_Packages -o -name __pycache__ \) \
    -prune -o \( -type f -o -type l \) -print) | sed 's|^\./||' |
    grep -v -e '\.pyc$' -e '\.o$' -e '~$' -e '\.swp$' |
    while IFS= read -r f; do
        case "$src_abs/$f" in "$build_rel"/*) ;; *) echo "$f" ;; esac
    done | sort >"$work/expected.txt"

if ! cmp -s "$work/expected.txt" "$work/actual.txt"; then
    diff -u "$work/expected.txt" "$work/actual.txt" >&2 || true
    die "the tarball does not hold exactly the source files (- source tree, + tarball)"
fi
for f in CMakeLists.txt softplus.pc.in include/softplus.h src/softplus.map src/man/softplus.3.in \
         cmake/packaging.cmake tests/abi/abi.sh; do
    grep -qx "$f" "$work/actual.txt" || die "$f is missing from the tarball"
done
echo "source.sh: PASS: $(basename "$tarball"): $(wc -l <"$work/actual.txt") files, the source tree" \
    "without build trees or .git"

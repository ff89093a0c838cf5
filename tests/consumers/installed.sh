#!/bin/sh
# installed.sh -- install libsoftplus into scratch prefixes and build downstream consumers against them.
# SPDX-License-Identifier: MIT
#
# Usage: installed.sh <step>, one ctest per step (tests/consumers/CMakeLists.txt passes the settings
# below in the environment):
#   install              cmake --install the build tree into $SP_WORK/prefix-shared (wiped first)
#   tree                 prefix-shared holds exactly the files users get, symlinks and SONAME right
#   pkgconfig            cc consumer.c $(pkg-config --cflags --libs softplus) against prefix-shared; run it
#   find-package         the downstream/ CMake project finds prefix-shared (find_package(softplus 1.0)),
#                        links softplus::softplus and runs; a request for the next major version fails
#   install-static       a separate build of the library with SOFTPLUS_BUILD_STATIC=ON installed into
#                        $SP_WORK/prefix-static (tree checked, now with libsoftplus.a)
#   find-package-static  downstream/ links softplus::softplus_static: no dynamic dependency on libsoftplus
#   no-cmocka            a default configure that cannot see cmocka leaves the tests out, builds, installs
#                        into a private prefix; a C program built against it runs
#
# Environment: SP_CMAKE SP_CC SP_GENERATOR SP_MAKE_PROGRAM SP_BUILD_TYPE SP_SOURCE_DIR SP_BUILD_DIR SP_WORK
# SP_LIBDIR SP_INCLUDEDIR SP_VERSION SP_VERSION_MAJOR SP_PKG_CONFIG SP_READELF, optional SP_BUILD_STATIC (0/1) SP_MANDIR
# SP_PYTHON_FILES (installed Python files, space-separated) SP_INSTALL_PYTHON (0/1) SP_PYTHON_INSTALL_DIR
set -eu

step=${1:?usage: installed.sh <step>}
for var in SP_CMAKE SP_CC SP_GENERATOR SP_SOURCE_DIR SP_BUILD_DIR SP_WORK SP_LIBDIR SP_INCLUDEDIR \
           SP_VERSION SP_VERSION_MAJOR SP_PKG_CONFIG SP_READELF; do
    eval "value=\${$var:-}"
    if [ -z "$value" ]; then
        echo "installed.sh: $var is not set (run this through ctest)" >&2
        exit 2
    fi
done
SP_MAKE_PROGRAM=${SP_MAKE_PROGRAM:-}
# The configuration ctest runs (empty for a single-config build without a build type) selects what
# cmake --install copies; nested builds default to Release.
SP_INSTALL_CONFIG=${SP_BUILD_TYPE:-}
SP_BUILD_TYPE=${SP_BUILD_TYPE:-Release}
LC_ALL=C
export LC_ALL

shared_prefix=$SP_WORK/prefix-shared
static_prefix=$SP_WORK/prefix-static
consumers_src=$SP_SOURCE_DIR/tests/consumers

die() {
    echo "installed.sh $step: FAIL: $*" >&2
    exit 1
}
note() {
    echo "installed.sh $step: $*"
}
# run <what> <command...>: run a command, and on failure say which step of the test it was.
run() {
    what=$1
    shift
    "$@" || die "$what failed (exit $?): $*"
}

# cmake_configure <args...>: a nested configure with this build's generator, compiler and build type.
cmake_configure() {
    if [ -n "$SP_MAKE_PROGRAM" ]; then
        "$SP_CMAKE" -G "$SP_GENERATOR" -DCMAKE_MAKE_PROGRAM="$SP_MAKE_PROGRAM" \
            -DCMAKE_C_COMPILER="$SP_CC" -DCMAKE_BUILD_TYPE="$SP_BUILD_TYPE" "$@"
    else
        "$SP_CMAKE" -G "$SP_GENERATOR" -DCMAKE_C_COMPILER="$SP_CC" -DCMAKE_BUILD_TYPE="$SP_BUILD_TYPE" "$@"
    fi
}
# configure <what> <args...>: the same, failing the test with <what> when it fails.
configure() {
    what=$1
    shift
    run "$what" cmake_configure "$@"
}

need_prefix() {
    [ -d "$1" ] || die "no installed tree at $1 (the install fixture test did not run or failed)"
}

# check_tree <prefix> <extra files...>: the prefix holds exactly the public files (plus the extras), the
# library symlink chain is right, the installed library has the right SONAME and no RPATH/RUNPATH.
check_tree() {
    prefix=$1
    shift
    need_prefix "$prefix"
    lib=$SP_LIBDIR
    inc=$SP_INCLUDEDIR
    expected=$SP_WORK/tree-expected.txt
    actual=$SP_WORK/tree-actual.txt
    {
        echo "$inc/softplus.h"
        echo "$lib/libsoftplus.so"
        echo "$lib/libsoftplus.so.$SP_VERSION_MAJOR"
        echo "$lib/libsoftplus.so.$SP_VERSION"
        echo "$lib/pkgconfig/softplus.pc"
        echo "$lib/cmake/softplus/softplusConfig.cmake"
        echo "$lib/cmake/softplus/softplusConfigVersion.cmake"
        echo "$lib/cmake/softplus/softplusTargets.cmake"
        echo "$lib/cmake/softplus/softplusTargets-<config>.cmake"
        # softplus(3), and a ".so" page per exported function (cmake/docs.cmake)
        echo "${SP_MANDIR:-share/man}/man3/softplus.3"
        sed -n "s|^\(softplus_[a-z0-9_]*\)@@.*|${SP_MANDIR:-share/man}/man3/\1.3|p" "$consumers_src/exported_symbols.txt"
        for extra in "$@"; do echo "$extra"; done
        # the Python package (SOFTPLUS_INSTALL_PYTHON): paths without spaces, split on purpose
        for extra in ${SP_PYTHON_FILES:-}; do echo "$extra"; done
    } | sort >"$expected"
    # One softplusTargets-<config>.cmake per installed configuration; exactly one is expected.
    (cd "$prefix" && find . ! -type d) | sed -e 's|^\./||' \
        -e 's|\(/softplusTargets\)-[A-Za-z0-9_]*\.cmake$|\1-<config>.cmake|' | sort >"$actual"
    if ! cmp -s "$expected" "$actual"; then
        echo "installed.sh $step: the installed tree differs from the public file set (- expected, + found):" >&2
        diff -u "$expected" "$actual" >&2 || true
        die "unexpected installed tree under $prefix"
    fi
    empty_dirs=$(find "$prefix" -type d -empty)
    [ -z "$empty_dirs" ] || die "empty directories installed: $empty_dirs"

    so=$prefix/$lib/libsoftplus.so
    [ -L "$so" ] || die "$so is not a symlink"
    [ -L "$so.$SP_VERSION_MAJOR" ] || die "$so.$SP_VERSION_MAJOR is not a symlink"
    if [ ! -f "$so.$SP_VERSION" ] || [ -L "$so.$SP_VERSION" ]; then
        die "$so.$SP_VERSION is not a regular file"
    fi
    link=$(readlink "$so")
    [ "$link" = "libsoftplus.so.$SP_VERSION_MAJOR" ] || die "libsoftplus.so -> $link, want libsoftplus.so.$SP_VERSION_MAJOR"
    link=$(readlink "$so.$SP_VERSION_MAJOR")
    [ "$link" = "libsoftplus.so.$SP_VERSION" ] || die "libsoftplus.so.$SP_VERSION_MAJOR -> $link, want libsoftplus.so.$SP_VERSION"

    dyn=$("$SP_READELF" -d -W "$so.$SP_VERSION") || die "$SP_READELF -d $so.$SP_VERSION failed"
    echo "$dyn" | grep -q "(SONAME).*\[libsoftplus\.so\.$SP_VERSION_MAJOR\]" ||
        die "installed library's SONAME is not libsoftplus.so.$SP_VERSION_MAJOR"
    if echo "$dyn" | grep -q -e '(RPATH)' -e '(RUNPATH)'; then
        die "installed library keeps a build-tree RPATH/RUNPATH: $(echo "$dyn" | grep -e RPATH -e RUNPATH)"
    fi
    cmp -s "$prefix/$inc/softplus.h" "$SP_SOURCE_DIR/include/softplus.h" ||
        die "installed softplus.h differs from include/softplus.h"
    grep -q "PACKAGE_VERSION \"$SP_VERSION\"" "$prefix/$lib/cmake/softplus/softplusConfigVersion.cmake" ||
        die "softplusConfigVersion.cmake does not announce version $SP_VERSION"
    note "$(wc -l <"$actual") files under $prefix, exactly the public set"
}

# ldd_check <binary> <libdir>: the binary, when run, loads libsoftplus from <libdir> (not another copy).
ldd_check() {
    resolved=$(ldd "$1" | sed -n 's|^[[:space:]]*libsoftplus\.so\.[0-9]* => \([^ ]*\) .*|\1|p')
    [ -n "$resolved" ] || die "ldd $1 shows no libsoftplus:$(ldd "$1")"
    [ "$(dirname "$resolved")" = "$2" ] ||
        die "$1 loads $resolved, not the installed copy in $2"
    note "$(basename "$1") loads $resolved"
}

case $step in
install)
    rm -rf "$shared_prefix"
    run "cmake --install" "$SP_CMAKE" --install "$SP_BUILD_DIR" --prefix "$shared_prefix" \
        ${SP_INSTALL_CONFIG:+--config "$SP_INSTALL_CONFIG"}
    note "installed into $shared_prefix"
    ;;

tree)
    # This build's own install also carries the archive when it was configured with SOFTPLUS_BUILD_STATIC.
    if [ "${SP_BUILD_STATIC:-0}" = 1 ]; then
        check_tree "$shared_prefix" "$SP_LIBDIR/libsoftplus.a"
    else
        check_tree "$shared_prefix"
    fi
    ;;

pkgconfig)
    need_prefix "$shared_prefix"
    pcdir=$shared_prefix/$SP_LIBDIR/pkgconfig
    [ -f "$pcdir/softplus.pc" ] || die "no $pcdir/softplus.pc"
    PKG_CONFIG_PATH=$pcdir
    export PKG_CONFIG_PATH
    run "pkg-config --exists 'softplus >= $SP_VERSION_MAJOR.0'" "$SP_PKG_CONFIG" --exists "softplus >= $SP_VERSION_MAJOR.0"
    version=$("$SP_PKG_CONFIG" --modversion softplus)
    [ "$version" = "$SP_VERSION" ] || die "pkg-config --modversion softplus gives $version, want $SP_VERSION"
    # The .pc file must name the prefix it was installed into (cmake --install --prefix), or every
    # user of a relocated install compiles against some other copy, or none.
    pc_prefix=$("$SP_PKG_CONFIG" --variable=prefix softplus)
    [ "$pc_prefix" = "$shared_prefix" ] ||
        die "softplus.pc says prefix=$pc_prefix, but it was installed into $shared_prefix"
    libdir=$("$SP_PKG_CONFIG" --variable=libdir softplus)
    [ "$libdir" = "$shared_prefix/$SP_LIBDIR" ] || die "pkg-config libdir is $libdir, want $shared_prefix/$SP_LIBDIR"
    cflags=$("$SP_PKG_CONFIG" --cflags softplus)
    libs=$("$SP_PKG_CONFIG" --libs softplus)
    note "cflags: $cflags"
    note "libs:   $libs"
    exe=$SP_WORK/consumer_pkgconfig
    rm -f "$exe"
    # $cflags and $libs are split into words on purpose, as in a Makefile.
    # shellcheck disable=SC2086
    run "compiling consumer.c with pkg-config flags" "$SP_CC" -std=c99 -pedantic -Wall -Wextra -Werror \
        $cflags -o "$exe" "$consumers_src/consumer.c" $libs -lm -Wl,-rpath,"$libdir"
    "$SP_READELF" -d -W "$exe" | grep -q "(NEEDED).*\[libsoftplus\.so\.$SP_VERSION_MAJOR\]" ||
        die "$exe does not record NEEDED libsoftplus.so.$SP_VERSION_MAJOR"
    ldd_check "$exe" "$libdir"
    run "running the pkg-config consumer" "$exe"
    ;;

find-package)
    need_prefix "$shared_prefix"
    bdir=$SP_WORK/downstream-shared
    rm -rf "$bdir"
    configure "configuring downstream/ against $shared_prefix" -S "$consumers_src/downstream" -B "$bdir" \
        -DCMAKE_PREFIX_PATH="$shared_prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DSP_REQUIRED_VERSION="$SP_VERSION_MAJOR.0"
    found=$(sed -n 's|^softplus_DIR:PATH=||p' "$bdir/CMakeCache.txt")
    [ "$found" = "$shared_prefix/$SP_LIBDIR/cmake/softplus" ] ||
        die "find_package(softplus) used $found, not $shared_prefix/$SP_LIBDIR/cmake/softplus"
    run "building downstream/" "$SP_CMAKE" --build "$bdir" -j 2
    ldd_check "$bdir/downstream" "$shared_prefix/$SP_LIBDIR"
    run "running the find_package consumer" "$bdir/downstream"

    # SameMajorVersion: a request for the next major version must be refused.
    next=$((SP_VERSION_MAJOR + 1)).0
    bad=$SP_WORK/downstream-wrong-version
    rm -rf "$bad"
    if cmake_configure -S "$consumers_src/downstream" -B "$bad" -DCMAKE_PREFIX_PATH="$shared_prefix" \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
        -DSP_REQUIRED_VERSION="$next" >"$bad.log" 2>&1; then
        die "find_package(softplus $next) accepted version $SP_VERSION (see $bad.log)"
    fi
    grep -q "version: $SP_VERSION" "$bad.log" ||
        die "find_package(softplus $next) failed, but not on the version check (see $bad.log)"
    note "find_package(softplus $next) is refused, as it should be"
    ;;

install-static)
    bdir=$SP_WORK/static-build
    rm -rf "$bdir" "$static_prefix"
    configure "configuring the library with SOFTPLUS_BUILD_STATIC=ON" -S "$SP_SOURCE_DIR" -B "$bdir" \
        -DSOFTPLUS_BUILD_STATIC=ON -DSOFTPLUS_BUILD_TESTS=OFF -DSOFTPLUS_BUILD_BENCH=OFF \
        -DSOFTPLUS_INSTALL_PYTHON="${SP_INSTALL_PYTHON:-0}" ${SP_PYTHON_INSTALL_DIR:+"-DSOFTPLUS_PYTHON_INSTALL_DIR=$SP_PYTHON_INSTALL_DIR"}
    run "building the static configuration" "$SP_CMAKE" --build "$bdir" -j 2
    run "installing the static configuration" "$SP_CMAKE" --install "$bdir" --prefix "$static_prefix"
    check_tree "$static_prefix" "$SP_LIBDIR/libsoftplus.a"
    ;;

find-package-static)
    need_prefix "$static_prefix"
    bdir=$SP_WORK/downstream-static
    rm -rf "$bdir"
    configure "configuring downstream/ with softplus::softplus_static" -S "$consumers_src/downstream" \
        -B "$bdir" -DCMAKE_PREFIX_PATH="$static_prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DSP_LINK_STATIC=ON
    run "building downstream/ statically" "$SP_CMAKE" --build "$bdir" -j 2
    exe=$bdir/downstream
    if "$SP_READELF" -d -W "$exe" | grep "(NEEDED)" | grep -q libsoftplus; then
        die "$exe still depends on a shared libsoftplus: $("$SP_READELF" -d -W "$exe" | grep '(NEEDED)')"
    fi
    if ldd "$exe" | grep -q libsoftplus; then
        die "ldd shows libsoftplus for $exe: $(ldd "$exe")"
    fi
    # The library's code is inside the executable: its entry points are defined there, not imported.
    "$SP_READELF" -s -W "$exe" | grep -E ' FUNC +[A-Z]+ +[A-Z]+ +[0-9]+ softplus_forward_f32$' >/dev/null ||
        die "$exe does not define softplus_forward_f32 (was anything linked from libsoftplus.a?)"
    note "$(basename "$exe") has no dynamic dependency on libsoftplus; NEEDED:" \
        "$("$SP_READELF" -d -W "$exe" | sed -n 's|.*(NEEDED).*\[\(.*\)\]|\1|p' | tr '\n' ' ')"
    run "running the static consumer" "$exe"
    ;;

no-cmocka)
    # A user with only a compiler and CMake: pkg-config sees no cmocka, and no option is given. The
    # configure must leave the tests out with its one-line message, then build, install into a private
    # prefix, and a C program built against that prefix must run (LD_LIBRARY_PATH: a private prefix is
    # not in the loader's path, as the README says).
    bdir=$SP_WORK/no-cmocka-build
    prefix=$SP_WORK/prefix-no-cmocka
    empty=$SP_WORK/no-pkg-config-modules
    rm -rf "$bdir" "$prefix" "$empty"
    mkdir -p "$empty"
    log=$SP_WORK/no-cmocka-configure.log
    PKG_CONFIG_LIBDIR=$empty PKG_CONFIG_PATH= cmake_configure -S "$SP_SOURCE_DIR" -B "$bdir" \
        >"$log" 2>&1 || { cat "$log"; die "configure without cmocka failed"; }
    grep -q "tests not built: cmocka not found" "$log" || { cat "$log"; die "no message about the tests being left out"; }
    run "building without cmocka" "$SP_CMAKE" --build "$bdir" -j 2
    run "installing" "$SP_CMAKE" --install "$bdir" --prefix "$prefix"
    exe=$SP_WORK/no-cmocka-consumer
    run "compiling consumer.c against the prefix" "$SP_CC" -std=c99 -I"$prefix/$SP_INCLUDEDIR" \
        "$consumers_src/consumer.c" -L"$prefix/$SP_LIBDIR" -lsoftplus -lm -o "$exe"
    LD_LIBRARY_PATH=$prefix/$SP_LIBDIR run "running the consumer" "$exe"
    ;;

*)
    echo "installed.sh: unknown step '$step'" >&2
    exit 2
    ;;
esac

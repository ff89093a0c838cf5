#!/bin/sh
# deb.sh -- build the Debian packages with cpack, check them, unpack them into a scratch root, build consumers.
# SPDX-License-Identifier: MIT
#
# One ctest (tests/packaging/CMakeLists.txt passes the settings below in the environment):
#   1. cpack -G DEB into $SP_WORK/deb/out: libsoftplus<M>_<v>-1_<arch>.deb and libsoftplus-dev_<v>-1_<arch>.deb
#   2. control fields: names, version, architecture, sections; the runtime depends on libc6 (from
#      dpkg-shlibdeps) and ships a shlibs file and ldconfig calls; -dev depends on exactly this runtime
#   3. contents: each package holds exactly its files (runtime: the SONAME link and the library; -dev:
#      header, .so link, .pc, CMake package, gzipped man pages with per-function symlinks; both: the
#      copyright file and changelog.Debian.gz), all owned by
#      root, under /usr; the library is stripped, has its SONAME and no RPATH
#   4. dpkg -x both into $SP_WORK/deb/root; no file there names the build or source directory;
#      softplus.pc says prefix=/usr
#   5. consumer.c built through pkg-config with PKG_CONFIG_SYSROOT_DIR=<root>, and the downstream/
#      CMake project through find_package with CMAKE_PREFIX_PATH=<root>/usr; both load the unpacked
#      library and pass
#   6. python3-softplus (architecture all, /usr/lib/python3/dist-packages): the unpacked module loads the
#      unpacked library through its relative path and computes
#
# Environment: SP_CPACK SP_CMAKE SP_CC SP_GENERATOR SP_SOURCE_DIR SP_BUILD_DIR SP_WORK SP_LIBDIR
# SP_INCLUDEDIR SP_MANDIR SP_VERSION SP_VERSION_MAJOR SP_PKG_CONFIG SP_READELF SP_DPKG SP_DPKG_DEB,
# optional SP_MAKE_PROGRAM SP_BUILD_TYPE SP_BUILD_STATIC (0/1) SP_INSTALL_PYTHON (0/1) SP_PYTHON_FILES
# SP_PYTHON (an interpreter with numpy, to import the unpacked python3-softplus)
set -eu

for var in SP_CPACK SP_CMAKE SP_CC SP_GENERATOR SP_SOURCE_DIR SP_BUILD_DIR SP_WORK SP_LIBDIR SP_INCLUDEDIR \
           SP_MANDIR SP_VERSION SP_VERSION_MAJOR SP_PKG_CONFIG SP_READELF SP_DPKG SP_DPKG_DEB; do
    eval "value=\${$var:-}"
    if [ -z "$value" ]; then
        echo "deb.sh: $var is not set (run this through ctest)" >&2
        exit 2
    fi
done
SP_MAKE_PROGRAM=${SP_MAKE_PROGRAM:-}
SP_BUILD_TYPE=${SP_BUILD_TYPE:-}
LC_ALL=C
export LC_ALL

work=$SP_WORK/deb
out=$work/out
root=$work/root
consumers_src=$SP_SOURCE_DIR/tests/consumers
release=1
deb_version=$SP_VERSION-$release
runtime=libsoftplus$SP_VERSION_MAJOR
lib=usr/$SP_LIBDIR
inc=usr/$SP_INCLUDEDIR
man3=usr/$SP_MANDIR/man3

die() {
    echo "deb.sh: FAIL: $*" >&2
    exit 1
}
note() {
    echo "deb.sh: $*"
}
run() {
    what=$1
    shift
    "$@" || die "$what failed (exit $?): $*"
}

# ---- 1. the packages ----------------------------------------------------------------------------
rm -rf "$work"
mkdir -p "$out" "$root"
run "cpack -G DEB" "$SP_CPACK" -G DEB --config "$SP_BUILD_DIR/CPackConfig.cmake" -B "$out" \
    ${SP_BUILD_TYPE:+-C "$SP_BUILD_TYPE"} >"$work/cpack.log" 2>&1 ||
    die "cpack failed: $(cat "$work/cpack.log")"
arch=$("$SP_DPKG" --print-architecture) || die "dpkg --print-architecture failed"
rt_deb=$out/${runtime}_${deb_version}_$arch.deb
dev_deb=$out/libsoftplus-dev_${deb_version}_$arch.deb
py_deb=$out/python3-softplus_${deb_version}_all.deb
debs="$rt_deb $dev_deb"
[ "${SP_INSTALL_PYTHON:-0}" != 1 ] || debs="$debs $py_deb"
for deb in $debs; do
    [ -f "$deb" ] || die "cpack did not write $deb; it wrote: $(ls "$out")"
done
note "built $(for deb in $debs; do basename "$deb"; done | tr '\n' ' ')"

# ---- 2. control fields ---------------------------------------------------------------------------
# field <deb> <name>: one control field's value.
field() {
    "$SP_DPKG_DEB" -f "$1" "$2"
}
# want_field <deb> <name> <value>: the field must be exactly value.
want_field() {
    got=$(field "$1" "$2")
    [ "$got" = "$3" ] || die "$(basename "$1"): $2 is '$got', want '$3'"
}
want_field "$rt_deb" Package "$runtime"
want_field "$dev_deb" Package libsoftplus-dev
for deb in "$rt_deb" "$dev_deb"; do
    want_field "$deb" Version "$deb_version"
    want_field "$deb" Architecture "$arch"
    [ -n "$(field "$deb" Maintainer)" ] || die "$(basename "$deb") has no Maintainer"
    [ -n "$(field "$deb" Description)" ] || die "$(basename "$deb") has no Description"
done
want_field "$rt_deb" Section libs
want_field "$dev_deb" Section libdevel
want_field "$dev_deb" Depends "$runtime (= $deb_version)"
rt_depends=$(field "$rt_deb" Depends)
echo "$rt_depends" | grep -Eq '(^|, )libc6 \(>= [0-9.]+\)' ||
    die "$(basename "$rt_deb"): Depends '$rt_depends' lacks libc6 (>= ...) from dpkg-shlibdeps"
note "$runtime Depends: $rt_depends; libsoftplus-dev Depends: $(field "$dev_deb" Depends)"
if [ "${SP_INSTALL_PYTHON:-0}" = 1 ]; then
    want_field "$py_deb" Package python3-softplus
    want_field "$py_deb" Version "$deb_version"
    want_field "$py_deb" Architecture all
    want_field "$py_deb" Section python
    want_field "$py_deb" Depends "$runtime (= $deb_version), python3, python3-numpy"
fi

ctl=$work/control-runtime
run "dpkg-deb -e" "$SP_DPKG_DEB" -e "$rt_deb" "$ctl"
[ -f "$ctl/shlibs" ] || die "$(basename "$rt_deb") has no shlibs control file"
want_shlibs="libsoftplus $SP_VERSION_MAJOR $runtime (>= $deb_version)"
[ "$(cat "$ctl/shlibs")" = "$want_shlibs" ] ||
    die "shlibs is '$(cat "$ctl/shlibs")', want '$want_shlibs'"
grep -qx "activate-noawait ldconfig" "$ctl/triggers" 2>/dev/null ||
    die "$(basename "$rt_deb") has no ldconfig trigger"
for script in postinst postrm; do
    grep -q ldconfig "$ctl/$script" 2>/dev/null || die "$(basename "$rt_deb") $script does not run ldconfig"
done

# ---- 3. contents -----------------------------------------------------------------------------------
# listing <deb>: "mode owner path[ -> target]" for every entry but directories, sorted.
listing() {
    "$SP_DPKG_DEB" -c "$1" | awk '$1 !~ /^d/ {
        line = $1 " " $2 " " substr($6, 3); for (i = 7; i <= NF; i++) line = line " " $i; print line }' | sort
}
# paths <deb>: just the paths, config-specific CMake file names folded to <config>.
paths() {
    listing "$1" | awk '{ print $3 }' |
        sed 's|\(/softplusTargets\)-[A-Za-z0-9_]*\.cmake$|\1-<config>.cmake|' | sort
}
check_paths() {
    deb=$1
    shift
    printf '%s\n' "$@" | sort >"$work/expected.txt"
    paths "$deb" >"$work/actual.txt"
    if ! cmp -s "$work/expected.txt" "$work/actual.txt"; then
        diff -u "$work/expected.txt" "$work/actual.txt" >&2 || true
        die "$(basename "$deb") does not hold exactly its files (- expected, + found)"
    fi
}
functions=$(sed -n 's|^\(softplus_[a-z0-9_]*\)@@.*|\1|p' "$consumers_src/exported_symbols.txt")
[ -n "$functions" ] || die "no functions in $consumers_src/exported_symbols.txt"

check_paths "$rt_deb" "$lib/libsoftplus.so.$SP_VERSION_MAJOR" "$lib/libsoftplus.so.$SP_VERSION" \
    "usr/share/doc/$runtime/copyright" "usr/share/doc/$runtime/changelog.Debian.gz"
set -- "usr/share/doc/libsoftplus-dev/copyright" "usr/share/doc/libsoftplus-dev/changelog.Debian.gz" "$inc/softplus.h" "$lib/libsoftplus.so" "$lib/pkgconfig/softplus.pc" \
    "$lib/cmake/softplus/softplusConfig.cmake" "$lib/cmake/softplus/softplusConfigVersion.cmake" \
    "$lib/cmake/softplus/softplusTargets.cmake" "$lib/cmake/softplus/softplusTargets-<config>.cmake" \
    "$man3/softplus.3.gz"
for fn in $functions; do
    set -- "$@" "$man3/$fn.3.gz"
done
[ "${SP_BUILD_STATIC:-0}" != 1 ] || set -- "$@" "$lib/libsoftplus.a"
check_paths "$dev_deb" "$@"

for deb in "$rt_deb" "$dev_deb"; do
    bad=$(listing "$deb" | awk '$2 != "root/root"')
    [ -z "$bad" ] || die "$(basename "$deb") has entries not owned by root/root: $bad"
done
listing "$rt_deb" | grep -qx -- "-rw-r--r-- root/root $lib/libsoftplus.so.$SP_VERSION" ||
    die "the library is not a 0644 file: $(listing "$rt_deb" | grep "so.$SP_VERSION")"
listing "$rt_deb" | grep -qx -- "lrwxrwxrwx root/root $lib/libsoftplus.so.$SP_VERSION_MAJOR -> libsoftplus.so.$SP_VERSION" ||
    die "libsoftplus.so.$SP_VERSION_MAJOR is not a link to libsoftplus.so.$SP_VERSION"
listing "$dev_deb" | grep -qx -- "lrwxrwxrwx root/root $lib/libsoftplus.so -> libsoftplus.so.$SP_VERSION_MAJOR" ||
    die "libsoftplus.so in -dev is not a link to libsoftplus.so.$SP_VERSION_MAJOR"
for fn in $functions; do
    listing "$dev_deb" | grep -qx -- "lrwxrwxrwx root/root $man3/$fn.3.gz -> softplus.3.gz" ||
        die "$man3/$fn.3.gz is not a link to softplus.3.gz"
done
if [ "${SP_INSTALL_PYTHON:-0}" = 1 ]; then
    pydir=usr/lib/python3/dist-packages/softplus
    set -- "usr/share/doc/python3-softplus/copyright" "usr/share/doc/python3-softplus/changelog.Debian.gz"
    for f in ${SP_PYTHON_FILES:?}; do
        set -- "$@" "$pydir/$f"
    done
    check_paths "$py_deb" "$@"
fi
note "contents: $runtime $(paths "$rt_deb" | wc -l) files, libsoftplus-dev $(paths "$dev_deb" | wc -l) files, as expected"

# ---- 4. unpacked ---------------------------------------------------------------------------------
run "dpkg -x $runtime" "$SP_DPKG_DEB" -x "$rt_deb" "$root"
run "dpkg -x libsoftplus-dev" "$SP_DPKG_DEB" -x "$dev_deb" "$root"
so=$root/$lib/libsoftplus.so.$SP_VERSION
dyn=$("$SP_READELF" -d -W "$so") || die "readelf -d $so failed"
echo "$dyn" | grep -q "(SONAME).*\[libsoftplus\.so\.$SP_VERSION_MAJOR\]" || die "packaged library's SONAME is wrong"
if echo "$dyn" | grep -q -e '(RPATH)' -e '(RUNPATH)'; then
    die "packaged library has an RPATH/RUNPATH"
fi
if "$SP_READELF" -S -W "$so" | grep -q -e '\.debug_' -e '\.symtab'; then
    die "packaged library is not stripped"
fi
# Paths of this build must not reach the packages (the stripped library, the CMake files, the .pc).
leaks=$(grep -rlaF -e "$SP_BUILD_DIR" -e "$SP_SOURCE_DIR" -e "_CPack_Packages" "$root" || true)
[ -z "$leaks" ] || die "build paths in the packages: $leaks"
pc=$root/$lib/pkgconfig/softplus.pc
grep -qx 'prefix=/usr' "$pc" || die "softplus.pc does not say prefix=/usr: $(head -n 1 "$pc")"
gzip -t "$root/$man3/softplus.3.gz" || die "softplus.3.gz is not a valid gzip file"
note "unpacked into $root: stripped, SONAME libsoftplus.so.$SP_VERSION_MAJOR, no RPATH, no build paths, prefix=/usr"

# ldd_check <binary>: it loads libsoftplus from the unpacked root.
ldd_check() {
    resolved=$(ldd "$1" | sed -n 's|^[[:space:]]*libsoftplus\.so\.[0-9]* => \([^ ]*\) .*|\1|p')
    [ "$(dirname "${resolved:-none}")" = "$root/$lib" ] ||
        die "$1 loads '${resolved:-nothing}', not the unpacked copy in $root/$lib"
}

# ---- 5. consumers --------------------------------------------------------------------------------
# pkg-config: the .pc names /usr, and the sysroot puts the unpacked root in front of -I and -L.
PKG_CONFIG_LIBDIR=$root/$lib/pkgconfig
PKG_CONFIG_SYSROOT_DIR=$root
PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_ALLOW_SYSTEM_CFLAGS PKG_CONFIG_ALLOW_SYSTEM_LIBS
version=$("$SP_PKG_CONFIG" --modversion softplus) || die "pkg-config does not find softplus in $PKG_CONFIG_LIBDIR"
[ "$version" = "$SP_VERSION" ] || die "pkg-config --modversion softplus gives $version, want $SP_VERSION"
cflags=$("$SP_PKG_CONFIG" --cflags softplus)
libs=$("$SP_PKG_CONFIG" --libs softplus)
note "pkg-config: $cflags $libs"
exe=$work/consumer_pkgconfig
# shellcheck disable=SC2086
run "compiling consumer.c with the packaged pkg-config flags" "$SP_CC" -std=c99 -pedantic -Wall -Wextra \
    -Werror $cflags -o "$exe" "$consumers_src/consumer.c" $libs -lm
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_ALLOW_SYSTEM_CFLAGS PKG_CONFIG_ALLOW_SYSTEM_LIBS
LD_LIBRARY_PATH=$root/$lib
export LD_LIBRARY_PATH
ldd_check "$exe"
run "running the pkg-config consumer" "$exe"
unset LD_LIBRARY_PATH

# find_package: the CMake package locates itself from its own directory, so <root>/usr is its prefix.
bdir=$work/downstream
set -- -S "$consumers_src/downstream" -B "$bdir" -G "$SP_GENERATOR" -DCMAKE_C_COMPILER="$SP_CC" \
    -DCMAKE_BUILD_TYPE="${SP_BUILD_TYPE:-Release}" -DCMAKE_PREFIX_PATH="$root/usr" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
    -DSP_REQUIRED_VERSION="$SP_VERSION_MAJOR.0"
[ -z "$SP_MAKE_PROGRAM" ] || set -- "$@" -DCMAKE_MAKE_PROGRAM="$SP_MAKE_PROGRAM"
"$SP_CMAKE" "$@" >"$work/downstream-configure.log" 2>&1 ||
    die "configuring downstream/ against $root/usr failed: $(cat "$work/downstream-configure.log")"
found=$(sed -n 's|^softplus_DIR:PATH=||p' "$bdir/CMakeCache.txt")
[ "$found" = "$root/$lib/cmake/softplus" ] || die "find_package(softplus) used $found, not $root/$lib/cmake/softplus"
"$SP_CMAKE" --build "$bdir" -j 2 >"$work/downstream-build.log" 2>&1 ||
    die "building downstream/ failed: $(cat "$work/downstream-build.log")"
ldd_check "$bdir/downstream"
run "running the find_package consumer" "$bdir/downstream"
note "pkg-config and find_package consumers built against the unpacked packages and ran"

# python3-softplus: the module from the unpacked root loads the unpacked library (its _config.py path is
# relative) and computes.
if [ "${SP_INSTALL_PYTHON:-0}" = 1 ] && [ -n "${SP_PYTHON:-}" ] && "$SP_PYTHON" -c "import numpy" 2>/dev/null; then
    run "dpkg -x python3-softplus" "$SP_DPKG_DEB" -x "$py_deb" "$root"
    loaded=$(cd "$work" && env -u SOFTPLUS_LIBRARY PYTHONPATH="$root/usr/lib/python3/dist-packages" "$SP_PYTHON" -c \
        'import numpy as np, softplus; y = softplus.forward(np.zeros(3)); assert abs(y[0] - 0.6931471805599453) < 1e-16, y; print(softplus.library_path())') ||
        die "importing the unpacked python3-softplus failed"
    [ "$(realpath "$loaded")" = "$(realpath "$root/$lib/libsoftplus.so.$SP_VERSION_MAJOR")" ] ||
        die "python3-softplus loaded $loaded, not the unpacked library"
    note "python3-softplus from the unpacked root loads $loaded"
fi
note "PASS"

# packaging.cmake -- CPack: Debian packages libsoftplus1 (runtime) and libsoftplus-dev, and a source tarball.
# SPDX-License-Identifier: MIT
#
#   cpack --config <build>/CPackConfig.cmake         libsoftplus1_<v>-1_<arch>.deb and
#                                                    libsoftplus-dev_<v>-1_<arch>.deb
#   cpack --config <build>/CPackSourceConfig.cmake   libsoftplus-<v>.tar.gz
#                                                    (or: cmake --build <build> --target package_source)
#
# The install rules name two components: Runtime (libsoftplus.so.<major> and the versioned file it
# points to) and Development (header, libsoftplus.so link, softplus.pc, CMake package, man pages, and
# libsoftplus.a when built). Each becomes one .deb; -dev depends on exactly the same runtime version,
# the runtime's dependencies (libc6, libm) come from dpkg-shlibdeps, and it carries a shlibs file.
# The staging install uses DESTDIR with the real prefix (/usr), so softplus.pc -- written at install
# time from the install prefix -- says prefix=/usr, and no build path reaches a package.
# Only the Runtime and Development components are packaged (CPACK_COMPONENTS_ALL); others, such as
# the Python package's, are installed by `cmake --install` but are not in these .debs.

set(CPACK_PACKAGE_NAME libsoftplus)
set(CPACK_PACKAGE_VENDOR "libsoftplus")
set(SOFTPLUS_PACKAGE_CONTACT "libsoftplus maintainers <maintainers@users.noreply.r-seed-55a83372.example>"
  CACHE STRING "Maintainer of the Debian packages (Name <email>)")
set(CPACK_PACKAGE_CONTACT "${SOFTPLUS_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})

# ---- binary packages: one .deb per component -----------------------------------------------------
set(CPACK_GENERATOR DEB)
# DESTDIR staging with the real prefix: CMAKE_INSTALL_PREFIX is /usr while the install rules run.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # a -g build still ships a stripped library, as Debian does
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL Runtime Development)
if(SOFTPLUS_INSTALL_PYTHON)
  list(APPEND CPACK_COMPONENTS_ALL Python) # python3-softplus, with its package in /usr/lib/python3/dist-packages
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
if(CMAKE_CROSSCOMPILING)
  # CPack would ask dpkg for the host's architecture.
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
  endif()
endif()

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libsoftplus${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# The runtime's ldconfig trigger (lintian: lacks-ldconfig-trigger); CPack adds the ldconfig calls to
# postinst/postrm itself.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/cmake/debian/triggers)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libsoftplus-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)

# Debian descriptions: the first line is the synopsis, an empty line separates paragraphs. No
# CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPack would put that one synopsis on both packages.
set(sp_deb_about
"libsoftplus computes softplus(x; beta, threshold) and its gradient with
PyTorch's semantics over strided float and double tensors, choosing SIMD
kernels (SSE4.1, AVX2, AVX-512, NEON) for the CPU at run time.
")
set(CPACK_COMPONENT_RUNTIME_DISPLAY_NAME "libsoftplus shared library")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
"softplus and its gradient over strided float and double tensors
${sp_deb_about}
This package contains the shared library.")
set(CPACK_COMPONENT_DEVELOPMENT_DISPLAY_NAME "libsoftplus development files")
set(CPACK_COMPONENT_DEVELOPMENT_DESCRIPTION
"softplus and its gradient over strided tensors - development files
${sp_deb_about}
This package contains the header, the pkg-config file, the CMake package
(find_package(softplus)) and the softplus(3) manual pages.")
set(CPACK_COMPONENT_DEVELOPMENT_DEPENDS Runtime)
# The Python package is pure Python (ctypes) over the runtime package's library: architecture all, one
# package for every Python 3 (deb-staging.cmake moves it to /usr/lib/python3/dist-packages).
set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-softplus)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "python3, python3-numpy")
set(CPACK_COMPONENT_PYTHON_DEPENDS Runtime)
set(CPACK_COMPONENT_PYTHON_DISPLAY_NAME "libsoftplus Python package")
set(CPACK_COMPONENT_PYTHON_DESCRIPTION
"softplus and its gradient for numpy arrays and PyTorch tensors
${sp_deb_about}
This package contains the Python 3 module softplus, which calls the
library through ctypes.")

# Debian ships manual pages gzip-compressed, per-function pages as symlinks, and a copyright file and
# changelog in each package's doc directory (cmake/deb-staging.cmake, from LICENSE).
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/deb-staging.cmake)
set(CPACK_SOFTPLUS_LICENSE_FILE ${PROJECT_SOURCE_DIR}/LICENSE)

# ---- source tarball ------------------------------------------------------------------------------
# Patterns are anchored at the source directory: a checkout that lives under some ".../build/" path
# must not lose every file.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_PACKAGE_FILE_NAME libsoftplus-${PROJECT_VERSION})
string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\1" sp_src_re "${PROJECT_SOURCE_DIR}")
set(CPACK_SOURCE_IGNORE_FILES
  "^${sp_src_re}/\\.git/"
  "^${sp_src_re}/\\.git$"
  "^${sp_src_re}/build[^/]*/"
  "^${sp_src_re}/_CPack_Packages/"
  "/__pycache__/"
  "\\.pyc$"
  "\\.o$"
  "~$"
  "\\.swp$")
# A build tree inside the source tree, whatever its name.
file(RELATIVE_PATH sp_bin_rel ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
if(NOT sp_bin_rel MATCHES "^\\.\\./" AND NOT sp_bin_rel STREQUAL "" AND NOT IS_ABSOLUTE "${sp_bin_rel}")
  string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\1" sp_bin_re "${PROJECT_BINARY_DIR}")
  list(APPEND CPACK_SOURCE_IGNORE_FILES "^${sp_bin_re}/")
endif()

include(CPack)

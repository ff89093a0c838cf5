# docs.cmake -- the softplus(3) man pages (installed with the header) and the `docs` target (Doxygen HTML).
# SPDX-License-Identifier: MIT
#
# Man pages: src/man/softplus.3.in documents every function; each exported function also gets a page
# of its own name holding ".so man3/softplus.3", so `man softplus_set_isa` works. The function list is
# read from the version script, so a new symbol gets its page without editing this file (and the docs
# test fails until softplus.3.in names it). They install to <mandir>/man3 in the Development component.
#
# API reference: `cmake --build <build> --target docs` writes <build>/docs/html/index.html from
# include/softplus.h, with the Doxygen settings of cmake/Doxyfile.in (warnings are errors). The target
# exists only when Doxygen is found.

# The exported functions, in the order src/softplus.map lists them.
file(STRINGS ${PROJECT_SOURCE_DIR}/src/softplus.map sp_map_lines REGEX "^[ \t]+softplus_[a-z0-9_]+;")
set(SP_MAN_FUNCTIONS "")
foreach(line IN LISTS sp_map_lines)
  string(REGEX REPLACE "^[ \t]+(softplus_[a-z0-9_]+);.*" "\\1" fn "${line}")
  list(APPEND SP_MAN_FUNCTIONS ${fn})
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/softplus.map)

set(SP_MAN_BUILD_DIR ${PROJECT_BINARY_DIR}/man)
configure_file(${PROJECT_SOURCE_DIR}/src/man/softplus.3.in ${SP_MAN_BUILD_DIR}/man3/softplus.3 @ONLY)
set(SP_MAN_PAGES ${SP_MAN_BUILD_DIR}/man3/softplus.3)
foreach(fn IN LISTS SP_MAN_FUNCTIONS)
  file(CONFIGURE OUTPUT ${SP_MAN_BUILD_DIR}/man3/${fn}.3 CONTENT ".so man3/softplus.3\n")
  list(APPEND SP_MAN_PAGES ${SP_MAN_BUILD_DIR}/man3/${fn}.3)
endforeach()
install(FILES ${SP_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3 COMPONENT Development)

# sp_configure_doxyfile(<output Doxyfile> <output directory>): cmake/Doxyfile.in for that directory.
function(sp_configure_doxyfile doxyfile dir)
  set(SP_DOCS_DIR ${dir})
  set(SP_DOCS_MAINPAGE ${dir}/mainpage.md)
  file(CONFIGURE OUTPUT ${SP_DOCS_MAINPAGE} CONTENT
"# libsoftplus ${PROJECT_VERSION}

Softplus and its gradient over strided `float` and `double` tensors, with PyTorch's semantics.

The whole API is one header, softplus.h: the function, the tensor and stride rules, the status codes
and the kernel selection are documented there. The same is in the `softplus(3)` man page, installed
with the library.
")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/Doxyfile.in ${doxyfile} @ONLY)
endfunction()

find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(SP_DOXYFILE ${PROJECT_BINARY_DIR}/docs/Doxyfile)
  sp_configure_doxyfile(${SP_DOXYFILE} ${PROJECT_BINARY_DIR}/docs)
  add_custom_target(docs
    COMMAND ${DOXYGEN_EXECUTABLE} ${SP_DOXYFILE}
    COMMAND ${CMAKE_COMMAND} -E echo "API reference: ${PROJECT_BINARY_DIR}/docs/html/index.html"
    DEPENDS ${PROJECT_SOURCE_DIR}/include/softplus.h ${PROJECT_SOURCE_DIR}/cmake/Doxyfile.in
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs
    COMMENT "Doxygen: API reference from include/softplus.h"
    VERBATIM)
else()
  message(STATUS "softplus: Doxygen not found; no `docs` target (Debian: doxygen)")
endif()

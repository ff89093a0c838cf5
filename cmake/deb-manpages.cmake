# deb-manpages.cmake -- CPack pre-build script: the staged man pages gzip-compressed, ".so" pages as symlinks.
# SPDX-License-Identifier: MIT
# Debian ships manual pages compressed with gzip -9n (no name or time stamp, so the package is
# reproducible), and a page that only sources another (".so man3/softplus.3") as a symlink to it.
# Runs for the DEB generator only; cmake/packaging.cmake sets it as CPACK_PRE_BUILD_SCRIPTS.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
find_program(SP_GZIP gzip)
if(NOT SP_GZIP)
  message(FATAL_ERROR "deb-manpages.cmake: gzip not found")
endif()

file(GLOB_RECURSE staged LIST_DIRECTORIES false "${CPACK_TEMPORARY_DIRECTORY}/*")
foreach(page IN LISTS staged)
  if(NOT page MATCHES "/share/man/man[1-9]/[^/]+\\.[1-9]$" OR IS_SYMLINK "${page}")
    continue()
  endif()
  file(STRINGS "${page}" first LIMIT_COUNT 1)
  if(first MATCHES "^\\.so man[1-9]/([^/ ]+)$")
    # Same section directory: a relative symlink to the compressed target.
    get_filename_component(name "${page}" NAME)
    get_filename_component(dir "${page}" DIRECTORY)
    file(REMOVE "${page}")
    file(CREATE_LINK "${CMAKE_MATCH_1}.gz" "${dir}/${name}.gz" SYMBOLIC)
  else()
    execute_process(COMMAND "${SP_GZIP}" -9nf "${page}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "deb-manpages.cmake: gzip ${page} failed (${rc})")
    endif()
  endif()
endforeach()

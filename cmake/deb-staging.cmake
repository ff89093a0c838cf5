# deb-staging.cmake -- CPack pre-build script: what Debian policy wants in the staged packages.
# SPDX-License-Identifier: MIT
# - Manual pages compressed with gzip -9n (no name or time stamp, so the package is reproducible), and a
#   page that only sources another (".so man3/softplus.3") as a symlink to it.
# - /usr/share/doc/<package>/copyright (machine-readable format, the MIT text of LICENSE) and
#   changelog.Debian.gz in every package, as lintian requires.
# Runs for the DEB generator only; cmake/packaging.cmake sets it as CPACK_PRE_BUILD_SCRIPTS.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
find_program(SP_GZIP gzip)
if(NOT SP_GZIP)
  message(FATAL_ERROR "deb-staging.cmake: gzip not found")
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
      message(FATAL_ERROR "deb-staging.cmake: gzip ${page} failed (${rc})")
    endif()
  endif()
endforeach()

# ---- copyright and changelog per package ------------------------------------------------------------
file(READ "${CPACK_SOFTPLUS_LICENSE_FILE}" license)
string(REGEX REPLACE "^MIT License\n\n(Copyright [^\n]*)\n\n" "" license_body "${license}")
set(holder "${CMAKE_MATCH_1}")
string(REGEX REPLACE "^Copyright \\(c\\) " "" holder "${holder}")
string(REGEX REPLACE "\n\n" "\n.\n" license_body "${license_body}")
string(REGEX REPLACE "\n" "\n " license_body "${license_body}")
string(REGEX REPLACE " $" "" license_body "${license_body}")
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC) # honours SOURCE_DATE_EPOCH
set(components RUNTIME DEVELOPMENT)
list(FIND CPACK_COMPONENTS_ALL Python python_at) # (IN_LIST needs a policy CPack scripts do not set)
if(python_at GREATER -1)
  list(APPEND components PYTHON)
  # Debian's Python 3 modules live in /usr/lib/python3/dist-packages, for every python3 version; the
  # install rules put them where this configuration's prefix wanted (lib/python3.<minor>/...). The
  # depth is the same, so the package's relative path to the library stays right.
  file(GLOB versioned LIST_DIRECTORIES true
       "${CPACK_TEMPORARY_DIRECTORY}/Python${CPACK_PACKAGING_INSTALL_PREFIX}/lib/python3.*/dist-packages")
  foreach(dir IN LISTS versioned)
    get_filename_component(lib "${dir}" DIRECTORY)
    get_filename_component(lib "${lib}" DIRECTORY)
    file(MAKE_DIRECTORY "${lib}/python3")
    file(RENAME "${dir}" "${lib}/python3/dist-packages")
    get_filename_component(empty "${dir}" DIRECTORY)
    file(REMOVE_RECURSE "${empty}")
  endforeach()
endif()
foreach(component IN LISTS components)
  set(package "${CPACK_DEBIAN_${component}_PACKAGE_NAME}")
  string(SUBSTRING "${component}" 0 1 first)
  string(SUBSTRING "${component}" 1 -1 rest)
  string(TOLOWER "${rest}" rest)
  set(stage "${CPACK_TEMPORARY_DIRECTORY}/${first}${rest}")
  if(NOT IS_DIRECTORY "${stage}")
    message(FATAL_ERROR "deb-staging.cmake: no staging directory ${stage}")
  endif()
  set(doc "${stage}${CPACK_PACKAGING_INSTALL_PREFIX}/share/doc/${package}")
  file(MAKE_DIRECTORY "${doc}")
  file(WRITE "${doc}/copyright"
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: libsoftplus
Upstream-Contact: ${CPACK_PACKAGE_CONTACT}

Files: *
Copyright: ${holder}
License: Expat

License: Expat
 ${license_body}
")
  file(WRITE "${doc}/changelog.Debian"
"${CPACK_PACKAGE_NAME} (${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}) unstable; urgency=medium

  * Upstream release ${CPACK_PACKAGE_VERSION}, packaged with CPack from the source tree.

 -- ${CPACK_PACKAGE_CONTACT}  ${changelog_date}
")
  execute_process(COMMAND "${SP_GZIP}" -9nf "${doc}/changelog.Debian" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "deb-staging.cmake: gzip changelog.Debian failed (${rc})")
  endif()
  file(CHMOD "${doc}/copyright" "${doc}/changelog.Debian.gz" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()

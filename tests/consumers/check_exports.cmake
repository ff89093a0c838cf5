# check_exports.cmake -- compare the shared library's exported dynamic symbols and SONAME with the ABI.
# SPDX-License-Identifier: MIT
#
# cmake -DLIB=<libsoftplus.so> -DEXPECTED=<exported_symbols.txt> -DREADELF=<readelf> -DSONAME=<soname>
#       [-DINTERNAL=<name,...>] [-DUPDATE=ON] -P check_exports.cmake
#
# The exported set is every defined symbol of .dynsym, spelled "name@@VERSION" (a version node's own
# marker symbol has no "@@"), sorted. It must equal the committed list line for line: a symbol that
# appears, disappears or changes version node is an ABI change and has to be made on purpose, by editing
# src/softplus.map and the list together (-DUPDATE=ON rewrites the list from the library).
# INTERNAL names must be present in the library's full symbol table as LOCAL: this shows the names the
# dlopen test expects to be hidden really exist (a renamed internal would otherwise pass unnoticed).
# readelf reads any ELF machine, so this works on cross builds too.
cmake_minimum_required(VERSION 3.20)

foreach(var LIB EXPECTED READELF SONAME)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_exports: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${LIB}")
  message(FATAL_ERROR "check_exports: library ${LIB} does not exist")
endif()

set(ENV{LC_ALL} C)
function(sp_readelf out)
  execute_process(COMMAND "${READELF}" ${ARGN} "${LIB}"
    OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check_exports: ${READELF} ${ARGN} ${LIB} failed (${rc}): ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# ---- SONAME -------------------------------------------------------------------------------------
sp_readelf(dynamic -d -W)
if(NOT dynamic MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]*)\\]")
  message(FATAL_ERROR "check_exports: ${LIB} has no SONAME (want ${SONAME})")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL SONAME)
  message(FATAL_ERROR "check_exports: SONAME is '${CMAKE_MATCH_1}', want '${SONAME}'")
endif()
message(STATUS "SONAME ${CMAKE_MATCH_1}")

# ---- exported symbols ---------------------------------------------------------------------------
# Lines look like "   12: 0000000000001820     8 FUNC    GLOBAL DEFAULT   13 name@@SOFTPLUS_1.0";
# some readelf versions append " (2)", the version index.
sp_readelf(dynsyms --dyn-syms -W)
string(REPLACE ";" "\\;" dynsyms "${dynsyms}")
string(REPLACE "\n" ";" dynsyms "${dynsyms}")
set(actual "")
foreach(line IN LISTS dynsyms)
  if(line MATCHES "^ *[0-9]+: +[0-9a-fA-F]+ +[0-9xa-fA-F]+ +([A-Z_]+) +([A-Z_]+) +([A-Z_]+) +([A-Z0-9_]+) +([^ ]+)")
    set(bind "${CMAKE_MATCH_2}")
    set(ndx "${CMAKE_MATCH_4}")
    set(name "${CMAKE_MATCH_5}")
    if(ndx STREQUAL "UND" OR bind STREQUAL "LOCAL")
      continue()
    endif()
    list(APPEND actual "${name}")
  endif()
endforeach()
list(SORT actual)
list(REMOVE_DUPLICATES actual)
if(NOT actual)
  message(FATAL_ERROR "check_exports: found no defined dynamic symbols in ${LIB}: is readelf's output "
                      "format unexpected?\n${dynsyms}")
endif()

if(UPDATE)
  list(JOIN actual "\n" body)
  file(WRITE "${EXPECTED}" "${body}\n")
  message(STATUS "check_exports: wrote ${EXPECTED}")
  return()
endif()

file(STRINGS "${EXPECTED}" expected)
list(FILTER expected EXCLUDE REGEX "^[ \t]*$")
set(sorted "${expected}")
list(SORT sorted)
if(NOT sorted STREQUAL expected)
  message(FATAL_ERROR "check_exports: ${EXPECTED} is not sorted (keep it sorted so diffs stay readable)")
endif()

set(missing "${expected}")
list(REMOVE_ITEM missing ${actual})
set(extra "${actual}")
if(expected)
  list(REMOVE_ITEM extra ${expected})
endif()
if(missing OR extra)
  set(report "")
  foreach(s IN LISTS missing)
    string(APPEND report "  - ${s}    (in the committed list, not exported)\n")
  endforeach()
  foreach(s IN LISTS extra)
    string(APPEND report "  + ${s}    (exported, not in the committed list)\n")
  endforeach()
  message(FATAL_ERROR "check_exports: the exported symbols of ${LIB} differ from ${EXPECTED}:\n${report}"
                      "If the change is intended, update src/softplus.map and the list together "
                      "(rerun this script with -DUPDATE=ON).")
endif()
list(LENGTH actual count)
message(STATUS "${count} exported symbols match ${EXPECTED}")

# ---- internal names exist but are local ---------------------------------------------------------
if(INTERNAL)
  string(REPLACE "," ";" INTERNAL "${INTERNAL}")
  sp_readelf(allsyms --syms -W)
  string(FIND "${allsyms}" "Symbol table '.symtab'" at)
  if(at LESS 0)
    message(STATUS "check_exports: ${LIB} is stripped; internal names not checked")
    return()
  endif()
  string(SUBSTRING "${allsyms}" ${at} -1 symtab)
  foreach(name IN LISTS INTERNAL)
    if(NOT symtab MATCHES "\n *[0-9]+: +[0-9a-fA-F]+ +[0-9xa-fA-F]+ +[A-Z_]+ +([A-Z_]+) +([A-Z_]+) +[A-Z0-9_]+ +${name}\n")
      message(FATAL_ERROR "check_exports: internal symbol ${name} is not in ${LIB}'s symbol table; "
                          "update the internal names in tests/consumers/CMakeLists.txt")
    endif()
    if(NOT CMAKE_MATCH_1 STREQUAL "LOCAL")
      message(FATAL_ERROR "check_exports: internal symbol ${name} has binding ${CMAKE_MATCH_1}, want LOCAL")
    endif()
  endforeach()
  message(STATUS "internal names present and LOCAL: ${INTERNAL}")
endif()

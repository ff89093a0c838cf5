# isa.cmake -- which kernel sets this build compiles, and the per-file flags each needs.
# Sets SP_ISA_SOURCES (kernel files beyond the scalar one) and SP_ISA_DEFINITIONS (SP_HAVE_<ISA>).
# The flags go on the kernel files only: the dispatcher and the generic code stay at the baseline ISA.
include(CheckCCompilerFlag)

set(SP_ISA_SOURCES "")
set(SP_ISA_DEFINITIONS "")

# sp_add_isa(<TAG> <source> <flags...>): compile <source> with <flags> when the compiler takes them.
function(sp_add_isa tag source)
  set(flags ${ARGN})
  string(REPLACE ";" " " flag_string "${flags}")
  string(MAKE_C_IDENTIFIER "SP_CC_HAS_${tag}" probe)
  set(CMAKE_REQUIRED_FLAGS "${flag_string}")
  check_c_compiler_flag("" ${probe})
  if(${probe})
    set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "${flags}")
    set(SP_ISA_SOURCES ${SP_ISA_SOURCES} ${source} PARENT_SCOPE)
    string(TOUPPER ${tag} upper)
    set(SP_ISA_DEFINITIONS ${SP_ISA_DEFINITIONS} SP_HAVE_${upper} PARENT_SCOPE)
    message(STATUS "softplus: ${tag} kernels (${flag_string})")
  else()
    message(STATUS "softplus: ${tag} kernels skipped, compiler lacks ${flag_string}")
  endif()
endfunction()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  # x86 kernels are added here by the x86 SIMD issue, e.g.
  # sp_add_isa(avx2 src/arch/x86/softplus_avx2.c -mavx2 -mfma)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  # the NEON kernel set is added here by the aarch64 issue
endif()

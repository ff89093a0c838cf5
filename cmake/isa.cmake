# isa.cmake -- which kernel files this build compiles, and the per-file flags each needs.
# Sets SP_ISA_SOURCES (kernel files beyond the scalar one) and SP_ISA_DEFINITIONS
# (SP_HAVE_<ISA>_<DTYPE> for each file, which dispatch.c turns into kernel sets).
# The flags go on the kernel files only: the dispatcher and the generic code stay at the baseline ISA.
include(CheckCCompilerFlag)

set(SP_ISA_SOURCES "")
set(SP_ISA_DEFINITIONS "")

# sp_add_kernel(<isa> <dtype> <source> <flags...>): compile <source> with <flags> when the compiler
# takes them, and announce SP_HAVE_<ISA>_<DTYPE>.
macro(sp_add_kernel isa dtype source)
  set(_sp_flags ${ARGN})
  string(REPLACE ";" " " _sp_flag_string "${_sp_flags}")
  string(TOUPPER "${isa}_${dtype}" _sp_tag)
  set(CMAKE_REQUIRED_FLAGS "${_sp_flag_string}")
  check_c_compiler_flag("" SP_CC_HAS_${_sp_tag})
  unset(CMAKE_REQUIRED_FLAGS)
  if(SP_CC_HAS_${_sp_tag})
    set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "${_sp_flags}")
    list(APPEND SP_ISA_SOURCES ${source})
    list(APPEND SP_ISA_DEFINITIONS SP_HAVE_${_sp_tag})
    message(STATUS "softplus: ${isa} ${dtype} kernels (${_sp_flag_string})")
  else()
    message(STATUS "softplus: ${isa} ${dtype} kernels skipped: the compiler lacks ${_sp_flag_string}")
  endif()
endmacro()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  # f32 kernels (src/arch/x86/softplus_f32_<isa>.c)
  sp_add_kernel(sse41 f32 src/arch/x86/softplus_f32_sse41.c -msse4.1)
  sp_add_kernel(avx2 f32 src/arch/x86/softplus_f32_avx2.c -mavx2 -mfma)
  sp_add_kernel(avx512 f32 src/arch/x86/softplus_f32_avx512.c -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma)
  # f64 kernels (src/arch/x86/softplus_f64_<isa>.c)
  sp_add_kernel(sse41 f64 src/arch/x86/softplus_f64_sse41.c -msse4.1)
  sp_add_kernel(avx2 f64 src/arch/x86/softplus_f64_avx2.c -mavx2 -mfma)
  sp_add_kernel(avx512 f64 src/arch/x86/softplus_f64_avx512.c -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  # NEON kernels (src/arch/arm/softplus_<dtype>_neon.c); Advanced SIMD is baseline: no flags
  sp_add_kernel(neon f32 src/arch/arm/softplus_f32_neon.c)
  sp_add_kernel(neon f64 src/arch/arm/softplus_f64_neon.c)
endif()

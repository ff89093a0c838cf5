# isa.cmake -- which kernel files this build compiles, the per-file flags each needs, and the origin of
# every kernel-set entry.
# Sets SP_ISA_SOURCES (kernel files beyond the scalar one), SP_ISA_DEFINITIONS (SP_HAVE_<ISA>_<DTYPE>
# for each file) and writes ${PROJECT_BINARY_DIR}/generated/sp_kernel_origins.h, which src/registry.c
# reads: for each ISA of src/lists.h and each dtype, the ISA whose kernel file provides that dtype in
# this build (the ISA itself, else its fallback's origin, down to scalar).
# The flags go on the kernel files only: the dispatcher and the generic code stay at the baseline ISA.
include(CheckCCompilerFlag)

set(SP_ISA_SOURCES "")
set(SP_ISA_DEFINITIONS "")
# src/arch/generic/softplus_scalar.c and softplus_half_scalar.c, always built
set(SP_COMPILED_KERNEL_FILES scalar_f32 scalar_f64 scalar_bf16 scalar_f16)

# sp_add_kernel(<isa> <dtype> <source> <flags...>): compile <source> with <flags> when the compiler
# takes them, and announce SP_HAVE_<ISA>_<DTYPE>. A tier's kernel file (src/lists.h SP_ACCURACIES, not
# strict) is added as dtype <dtype>_<tier>, e.g. f32_fast: SP_HAVE_AVX2_F32_FAST.
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
    list(APPEND SP_COMPILED_KERNEL_FILES ${isa}_${dtype})
    message(STATUS "softplus: ${isa} ${dtype} kernels (${_sp_flag_string})")
  else()
    message(STATUS "softplus: ${isa} ${dtype} kernels skipped: the compiler lacks ${_sp_flag_string}")
  endif()
endmacro()

# The half kernels' conversion loops are written to vectorise (no branch, no compaction); GCC's -O2 cost
# model ("very cheap") leaves loops of unknown trip count scalar, so they ask for the dynamic one.
set(SP_HALF_VECTORIZE "$<$<C_COMPILER_ID:GNU>:-ftree-vectorize>" "$<$<C_COMPILER_ID:GNU>:-fvect-cost-model=dynamic>")
set_source_files_properties(src/arch/generic/softplus_half_scalar.c PROPERTIES COMPILE_OPTIONS "${SP_HALF_VECTORIZE}")
# sp_add_half_kernels(<isa> <source> <flags...>): the ISA's bf16 and f16 kernels
# (src/arch/softplus_half_kernels.h), one file for both dtypes, announced as <isa> bf16 and <isa> f16.
macro(sp_add_half_kernels isa source)
  set(_sp_flags ${ARGN})
  string(REPLACE ";" " " _sp_flag_string "${_sp_flags}")
  string(TOUPPER "${isa}" _sp_tag)
  set(CMAKE_REQUIRED_FLAGS "${_sp_flag_string}")
  check_c_compiler_flag("" SP_CC_HAS_HALF_${_sp_tag})
  unset(CMAKE_REQUIRED_FLAGS)
  if(SP_CC_HAS_HALF_${_sp_tag})
    set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "${_sp_flags};${SP_HALF_VECTORIZE}")
    list(APPEND SP_ISA_SOURCES ${source})
    list(APPEND SP_ISA_DEFINITIONS SP_HAVE_${_sp_tag}_BF16 SP_HAVE_${_sp_tag}_F16)
    list(APPEND SP_COMPILED_KERNEL_FILES ${isa}_bf16 ${isa}_f16)
  endif()
endmacro()

# sp_add_strided_copy(<isa> <source> <flags...>): the ISA's copies for the strided engine
# (src/strided.h, sp_strided_copy), compiled with <flags> when the compiler takes them. An ISA without
# one uses its fallback's (SP_COPY_ORIGIN_<isa> below), the scalar ISA the generic loops.
set(SP_COMPILED_COPY_ISAS "")
macro(sp_add_strided_copy isa source)
  set(_sp_flags ${ARGN})
  string(REPLACE ";" " " _sp_flag_string "${_sp_flags}")
  string(TOUPPER "${isa}" _sp_tag)
  set(CMAKE_REQUIRED_FLAGS "${_sp_flag_string}")
  check_c_compiler_flag("" SP_CC_HAS_COPY_${_sp_tag})
  unset(CMAKE_REQUIRED_FLAGS)
  if(SP_CC_HAS_COPY_${_sp_tag})
    if(_sp_flags)
      set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "${_sp_flags}")
    endif()
    list(APPEND SP_ISA_SOURCES ${source})
    list(APPEND SP_COMPILED_COPY_ISAS ${isa})
  endif()
endmacro()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(_sp_avx2 -mavx2 -mfma)
  set(_sp_avx512 -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma)
  # kernel files: the scheduler before register allocation interleaves the two vectors of each
  # SP_STAGE_UNROLL iteration (src/kernels.h), which GCC does not run on x86 unless asked (GCC's flags:
  # clang rejects -fsched-pressure, and schedules on its own)
  set(_sp_sched)
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    set(_sp_sched -fschedule-insns -fsched-pressure)
  endif()
  foreach(_sp_dtype f32 f64)
    sp_add_kernel(sse41 ${_sp_dtype} src/arch/x86/softplus_${_sp_dtype}_sse41.c -msse4.1 ${_sp_sched})
    sp_add_kernel(avx2 ${_sp_dtype} src/arch/x86/softplus_${_sp_dtype}_avx2.c ${_sp_avx2} ${_sp_sched})
    sp_add_kernel(avx512 ${_sp_dtype} src/arch/x86/softplus_${_sp_dtype}_avx512.c ${_sp_avx512} ${_sp_sched})
  endforeach()
  sp_add_half_kernels(sse41 src/arch/x86/softplus_half_sse41.c -msse4.1 ${_sp_sched})
  sp_add_half_kernels(avx2 src/arch/x86/softplus_half_avx2.c ${_sp_avx2} -mf16c ${_sp_sched})
  sp_add_half_kernels(avx512 src/arch/x86/softplus_half_avx512.c ${_sp_avx512} -mf16c ${_sp_sched})
  sp_add_strided_copy(sse41 src/arch/x86/strided_sse41.c -msse4.1)
  sp_add_strided_copy(avx2 src/arch/x86/strided_avx2.c ${_sp_avx2})
  sp_add_strided_copy(avx512 src/arch/x86/strided_avx512.c ${_sp_avx512})
  # the fast tier (src/lists.h SP_ACCURACIES): f32 only, FMA sets only
  sp_add_kernel(avx2 f32_fast src/arch/x86/softplus_f32_fast_avx2.c ${_sp_avx2} ${_sp_sched})
  sp_add_kernel(avx512 f32_fast src/arch/x86/softplus_f32_fast_avx512.c ${_sp_avx512} ${_sp_sched})
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  # Advanced SIMD is baseline on aarch64: no flags
  foreach(_sp_dtype f32 f64)
    sp_add_kernel(neon ${_sp_dtype} src/arch/arm/softplus_${_sp_dtype}_neon.c)
  endforeach()
  sp_add_half_kernels(neon src/arch/arm/softplus_half_neon.c)
  sp_add_strided_copy(neon src/arch/arm/strided_neon.c)
  sp_add_kernel(neon f32_fast src/arch/arm/softplus_f32_fast_neon.c)
endif()

# ---- the origin of each (ISA, dtype) entry, from src/lists.h's ISA and dtype lists -----------------
file(READ ${PROJECT_SOURCE_DIR}/src/lists.h _sp_lists)
string(REGEX MATCH "#define SP_ISAS\\(X, ctx\\)[^\n]*\n([^\n]*\\\\\n)*[^\n]*\n" _sp_isa_block "${_sp_lists}")
string(REGEX MATCHALL "X\\(ctx, [a-z0-9]+, [A-Z0-9]+, [a-z0-9]+," _sp_isa_rows "${_sp_isa_block}")
string(REGEX MATCH "#define SP_DTYPES\\(X, ctx\\)[^\n]*\n([^\n]*\\\\\n)*[^\n]*\n" _sp_dtype_block "${_sp_lists}")
string(REGEX MATCHALL "X\\(ctx, [a-z0-9]+," _sp_dtype_rows "${_sp_dtype_block}")
string(REGEX MATCH "#define SP_ACCURACIES\\(X, ctx\\)[^\n]*\n([^\n]*\\\\\n)*[^\n]*\n" _sp_acc_block "${_sp_lists}")
string(REGEX MATCHALL "X\\(ctx, [a-z0-9]+, [A-Z0-9]+," _sp_acc_rows "${_sp_acc_block}")
if(NOT _sp_isa_rows OR NOT _sp_dtype_rows OR NOT _sp_acc_rows)
  message(FATAL_ERROR "cmake/isa.cmake: could not read SP_ISAS/SP_DTYPES/SP_ACCURACIES from src/lists.h")
endif()
list(POP_FRONT _sp_acc_rows _sp_strict_row) # the first tier (strict) has every entry; its kernels the origins above
string(CONCAT _sp_origins "/* sp_kernel_origins.h -- generated by cmake/isa.cmake from src/lists.h; do not edit.\n"
                " * SP_ORIGIN_<isa>_<dtype> (SP_ORIGIN_TAG_: upper case): the ISA whose kernel file serves that entry in
 * this build; SP_ISA_COMPILED_<isa>: 1 when at least one of the ISA's own kernel files is built.
 * Per accuracy tier <acc>: SP_STEM_<acc>_<isa>_<dtype> the kernel's name stem (sp_<op>_<dtype>_<stem>),
 * SP_STEM_TAG_ the same in upper case (its bounds in kernels.h), SP_STEM_ORIGIN_ its ISA and
 * SP_STEM_TIER_ the tier of its code (upper case). */\n")
foreach(_sp_dtype_row IN LISTS _sp_dtype_rows)
  string(REGEX REPLACE "X\\(ctx, ([a-z0-9]+)," "\\1" _sp_dtype "${_sp_dtype_row}")
  foreach(_sp_isa_row IN LISTS _sp_isa_rows)
    string(REGEX REPLACE "X\\(ctx, ([a-z0-9]+), [A-Z0-9]+, ([a-z0-9]+)," "\\1;\\2" _sp_pair "${_sp_isa_row}")
    list(GET _sp_pair 0 _sp_isa)
    list(GET _sp_pair 1 _sp_fallback)
    if("${_sp_isa}_${_sp_dtype}" IN_LIST SP_COMPILED_KERNEL_FILES)
      set(_sp_origin_${_sp_isa}_${_sp_dtype} ${_sp_isa})
    elseif(DEFINED _sp_origin_${_sp_fallback}_${_sp_dtype})
      set(_sp_origin_${_sp_isa}_${_sp_dtype} ${_sp_origin_${_sp_fallback}_${_sp_dtype}})
    else()
      message(FATAL_ERROR "src/lists.h: ISA ${_sp_isa} falls back to ${_sp_fallback}, which is not listed before it")
    endif()
    string(TOUPPER "${_sp_origin_${_sp_isa}_${_sp_dtype}}" _sp_origin_tag)
    string(APPEND _sp_origins "#define SP_ORIGIN_${_sp_isa}_${_sp_dtype} ${_sp_origin_${_sp_isa}_${_sp_dtype}}\n"
                              "#define SP_ORIGIN_TAG_${_sp_isa}_${_sp_dtype} ${_sp_origin_tag}\n")
    # Per tier: the kernel that serves the entry, as the stem of its name (sp_<op>_<dtype>_<stem>; the
    # upper-case stem names its bounds in kernels.h), its origin ISA and the tier of its code. A tier's
    # own kernel file of this very ISA (<isa> <dtype>_<tier>) serves it; without one the set's strict
    # entry does, so a tier never borrows another ISA's faster code.
    string(REGEX REPLACE "X\\(ctx, ([a-z0-9]+), ([A-Z0-9]+)," "\\1;\\2" _sp_strict "${_sp_strict_row}")
    list(GET _sp_strict 0 _sp_strict_tier)
    list(GET _sp_strict 1 _sp_STRICT_TIER)
    string(APPEND _sp_origins
      "#define SP_STEM_${_sp_strict_tier}_${_sp_isa}_${_sp_dtype} ${_sp_origin_${_sp_isa}_${_sp_dtype}}\n"
      "#define SP_STEM_TAG_${_sp_strict_tier}_${_sp_isa}_${_sp_dtype} ${_sp_origin_tag}\n"
      "#define SP_STEM_ORIGIN_${_sp_strict_tier}_${_sp_isa}_${_sp_dtype} ${_sp_origin_tag}\n"
      "#define SP_STEM_TIER_${_sp_strict_tier}_${_sp_isa}_${_sp_dtype} ${_sp_STRICT_TIER}\n")
    foreach(_sp_acc_row IN LISTS _sp_acc_rows)
      string(REGEX REPLACE "X\\(ctx, ([a-z0-9]+), ([A-Z0-9]+)," "\\1;\\2" _sp_tier "${_sp_acc_row}")
      list(GET _sp_tier 0 _sp_acc)
      list(GET _sp_tier 1 _sp_ACC)
      if("${_sp_isa}_${_sp_dtype}_${_sp_acc}" IN_LIST SP_COMPILED_KERNEL_FILES)
        string(TOUPPER "${_sp_isa}" _sp_isa_tag)
        string(APPEND _sp_origins
          "#define SP_STEM_${_sp_acc}_${_sp_isa}_${_sp_dtype} ${_sp_isa}_${_sp_acc}\n"
          "#define SP_STEM_TAG_${_sp_acc}_${_sp_isa}_${_sp_dtype} ${_sp_isa_tag}_${_sp_ACC}\n"
          "#define SP_STEM_ORIGIN_${_sp_acc}_${_sp_isa}_${_sp_dtype} ${_sp_isa_tag}\n"
          "#define SP_STEM_TIER_${_sp_acc}_${_sp_isa}_${_sp_dtype} ${_sp_ACC}\n")
      else()
        string(APPEND _sp_origins
          "#define SP_STEM_${_sp_acc}_${_sp_isa}_${_sp_dtype} ${_sp_origin_${_sp_isa}_${_sp_dtype}}\n"
          "#define SP_STEM_TAG_${_sp_acc}_${_sp_isa}_${_sp_dtype} ${_sp_origin_tag}\n"
          "#define SP_STEM_ORIGIN_${_sp_acc}_${_sp_isa}_${_sp_dtype} ${_sp_origin_tag}\n"
          "#define SP_STEM_TIER_${_sp_acc}_${_sp_isa}_${_sp_dtype} ${_sp_STRICT_TIER}\n")
      endif()
    endforeach()
    if(_sp_origin_${_sp_isa}_${_sp_dtype} STREQUAL _sp_isa)
      set(_sp_compiled_${_sp_isa} 1)
    endif()
  endforeach()
endforeach()
# The strided engine's copies: SP_COPY_ORIGIN_<isa>, the ISA whose helper file serves that ISA's set
# (itself, else its fallback's origin), "generic" at the end of the chain.
foreach(_sp_isa_row IN LISTS _sp_isa_rows)
  string(REGEX REPLACE "X\\(ctx, ([a-z0-9]+), [A-Z0-9]+, ([a-z0-9]+)," "\\1;\\2" _sp_pair "${_sp_isa_row}")
  list(GET _sp_pair 0 _sp_isa)
  list(GET _sp_pair 1 _sp_fallback)
  if(_sp_isa IN_LIST SP_COMPILED_COPY_ISAS)
    set(_sp_copy_origin_${_sp_isa} ${_sp_isa})
  elseif(_sp_fallback STREQUAL _sp_isa OR NOT DEFINED _sp_copy_origin_${_sp_fallback})
    set(_sp_copy_origin_${_sp_isa} generic)
  else()
    set(_sp_copy_origin_${_sp_isa} ${_sp_copy_origin_${_sp_fallback}})
  endif()
  string(APPEND _sp_origins "#define SP_COPY_ORIGIN_${_sp_isa} ${_sp_copy_origin_${_sp_isa}}\n")
endforeach()
# An ISA is compiled in when at least one of its own kernel files is. SP_COMPILED_ISAS and
# SP_MISSING_ISAS list the tags for the tests (tests/unit: SOFTPLUS_ISA forcing per ISA).
set(SP_COMPILED_ISAS "")
set(SP_MISSING_ISAS "")
foreach(_sp_isa_row IN LISTS _sp_isa_rows)
  string(REGEX REPLACE "X\\(ctx, ([a-z0-9]+),.*" "\\1" _sp_isa "${_sp_isa_row}")
  if(NOT _sp_compiled_${_sp_isa})
    set(_sp_compiled_${_sp_isa} 0)
    list(APPEND SP_MISSING_ISAS ${_sp_isa})
  else()
    list(APPEND SP_COMPILED_ISAS ${_sp_isa})
  endif()
  string(APPEND _sp_origins "#define SP_ISA_COMPILED_${_sp_isa} ${_sp_compiled_${_sp_isa}}\n")
endforeach()
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/generated/sp_kernel_origins.h CONTENT "${_sp_origins}" @ONLY)

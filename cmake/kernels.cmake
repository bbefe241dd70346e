# The fast engine (binding/engine/, darknet_fast) over the guarded darknet,
# with its GEMM micro-kernel and epilogue once per instruction set, chosen at
# run time from the CPU's features (never -march=native: the prebuilds run
# anywhere). No FMA contraction on x86, where darknet's own build has none
# (bit-identical results); on arm64 darknet's gemm is contracted to fmla, and
# so is ours.
set(DARKNET_KERNEL_OBJECTS "")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64|i.86")
  # avx512vl: AVX-512's 32 registers with 256-bit vectors, faster than
  # 512-bit ones on cores that split those in two (AMD Zen 4).
  set(DARKNET_KERNELS "avx512:16:AVX512:-mavx512f:-mfma" "avx512vl:8:AVX512VL:-mavx512vl:-mfma"
      "avx2:8:AVX2:-mavx2:-mfma" "base:4:BASE::")
  set(DARKNET_KERNEL_CONTRACT -ffp-contract=off)
else()
  set(DARKNET_KERNELS "base:4:BASE::")
  set(DARKNET_KERNEL_CONTRACT -ffp-contract=fast)
endif()
foreach(spec IN LISTS DARKNET_KERNELS)
  string(REPLACE ":" ";" parts "${spec}")
  list(GET parts 0 isa)
  list(GET parts 1 vec)
  list(GET parts 2 shape) # DN_MR_<shape> rows, DN_NV_<shape> vectors (sgemm.h)
  list(GET parts 3 isa_flag) # empty for the baseline
  list(GET parts 4 fused_flag) # the fast precision's extra flag (FMA), or empty
  add_library(dn_kernel_${isa} OBJECT binding/engine/sgemm_kernel.c)
  target_compile_definitions(dn_kernel_${isa} PRIVATE DN_KERNEL_NAME=dn_kernel_${isa} DN_VEC=${vec} DN_MR=DN_MR_${shape} DN_NV=DN_NV_${shape})
  add_library(dn_epilogue_${isa} OBJECT binding/engine/sgemm_epilogue.c)
  target_compile_definitions(dn_epilogue_${isa} PRIVATE DN_EPILOGUE_NAME=dn_epilogue_${isa} DN_EPILOGUE_BN_NAME=dn_epilogue_bn_${isa})
  # -O3 whatever the build type: the kernels are the speed. -fno-trapping-math
  # lets the epilogue's leaky select vectorize (no value changes).
  target_compile_options(dn_kernel_${isa} PRIVATE -O3 ${DARKNET_KERNEL_CONTRACT} ${isa_flag} ${DARKNET_NAPI_WARNINGS})
  target_compile_options(dn_epilogue_${isa} PRIVATE -O3 -ffp-contract=off -fno-trapping-math ${isa_flag} ${DARKNET_NAPI_WARNINGS})
  # The fast precision's kernel: the same source, contracted to FMA.
  add_library(dn_kernel_${isa}_fused OBJECT binding/engine/sgemm_kernel.c)
  target_compile_definitions(dn_kernel_${isa}_fused PRIVATE DN_KERNEL_NAME=dn_kernel_${isa}_fused DN_FUSED=1 DN_VEC=${vec}
                             DN_MR=DN_MR_${shape} DN_NV=DN_NV_${shape})
  target_compile_options(dn_kernel_${isa}_fused PRIVATE -O3 -ffp-contract=fast -fno-trapping-math ${isa_flag} ${fused_flag}
                         ${DARKNET_NAPI_WARNINGS})
  # The fast precision's Winograd transforms (winograd.h), vectors as the kernel's.
  add_library(dn_wino_${isa} OBJECT binding/engine/winograd_kernel.c)
  target_compile_definitions(dn_wino_${isa} PRIVATE DN_WINO_ISA=${isa} DN_VEC=${vec} DN_NV=DN_NV_${shape})
  target_compile_options(dn_wino_${isa} PRIVATE -O3 -ffp-contract=fast -fno-trapping-math ${isa_flag} ${fused_flag}
                         ${DARKNET_NAPI_WARNINGS})
  # The fast precision's first convolution with its max-pool (conv_pool.h), as the fused kernel.
  add_library(dn_conv_pool_${isa} OBJECT binding/engine/conv_pool_kernel.c)
  target_compile_definitions(dn_conv_pool_${isa} PRIVATE DN_CONV_POOL_NAME=dn_conv_pool_${isa} DN_VEC=${vec})
  target_compile_options(dn_conv_pool_${isa} PRIVATE -O3 -ffp-contract=fast -fno-trapping-math ${isa_flag} ${fused_flag}
                         ${DARKNET_NAPI_WARNINGS})
  # The fast precision's logistic for the yolo heads.
  add_library(dn_logistic_${isa} OBJECT binding/engine/logistic_kernel.c)
  target_compile_definitions(dn_logistic_${isa} PRIVATE DN_LOGISTIC_NAME=dn_logistic_${isa} DN_VEC=${vec})
  target_compile_options(dn_logistic_${isa} PRIVATE -O3 -ffp-contract=fast -fno-trapping-math ${isa_flag} ${fused_flag}
                         ${DARKNET_NAPI_WARNINGS})
  # Decoded bytes to floats for the letterbox (both precisions; no arithmetic but one division).
  add_library(dn_pixels_${isa} OBJECT binding/engine/pixels_kernel.c)
  target_compile_definitions(dn_pixels_${isa} PRIVATE DN_PIXELS_NAME=dn_pixels_${isa})
  target_compile_options(dn_pixels_${isa} PRIVATE -O3 -ffp-contract=off -fno-trapping-math ${isa_flag} ${DARKNET_NAPI_WARNINGS})
  foreach(part dn_kernel_${isa} dn_epilogue_${isa} dn_kernel_${isa}_fused dn_wino_${isa} dn_conv_pool_${isa} dn_logistic_${isa}
          dn_pixels_${isa})
    target_include_directories(${part} PRIVATE "${DARKNET_BINDING_DIR}" "${DARKNET_DIR}/include" "${DARKNET_DIR}/src")
  endforeach()
  list(APPEND DARKNET_KERNEL_OBJECTS $<TARGET_OBJECTS:dn_kernel_${isa}> $<TARGET_OBJECTS:dn_epilogue_${isa}>
       $<TARGET_OBJECTS:dn_kernel_${isa}_fused> $<TARGET_OBJECTS:dn_wino_${isa}> $<TARGET_OBJECTS:dn_conv_pool_${isa}>
       $<TARGET_OBJECTS:dn_logistic_${isa}> $<TARGET_OBJECTS:dn_pixels_${isa}>)
endforeach()

add_library(darknet_fast STATIC binding/engine/conv_pool.c binding/engine/fast_engine.c binding/engine/fast_isa.c binding/engine/letterbox.c binding/engine/output_plan.c binding/engine/scratch.c binding/engine/sgemm.c binding/engine/thread_pool.c binding/engine/winograd.c
            ${DARKNET_KERNEL_OBJECTS})
# No FMA contraction: darknet rounds each multiply and add (see fast_engine.c).
# -fno-trapping-math lets a select compute both sides, so the shortcut's
# leaky vectorizes (no value changes).
target_compile_options(darknet_fast PRIVATE -O3 -ffp-contract=off -fno-trapping-math ${DARKNET_NAPI_WARNINGS})
# The pool's cap, from package.json (cmake/package.cmake); lib/ reads the same field.
target_compile_definitions(darknet_fast PUBLIC DN_POOL_MAX_THREADS=${DARKNET_MAX_THREADS})
target_link_libraries(darknet_fast PUBLIC darknet_guarded)

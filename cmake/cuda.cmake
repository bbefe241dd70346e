# darknet's GPU build (CUDA, optionally cuDNN) for the addon.
#
# include()d from the top-level CMakeLists.txt AFTER the CPU targets exist:
# it adds darknet's src/*.cu kernels to darknet_guarded and compiles darknet's
# C sources with GPU (and CUDNN) defined. Nothing of darknet's is edited: what
# current toolkits no longer accept is adapted by binding/shim/cuda_shim.h, a forced
# include placed before binding/shim/darknet_shim.h.
#
#   cmake-js ... --CDDARKNET_GPU=ON [--CDDARKNET_CUDNN=ON]
#                [--CDCMAKE_CUDA_ARCHITECTURES=86-real] [--CDCUDNN_ROOT=/opt/cudnn]

option(DARKNET_GPU "Build darknet with CUDA (needs the CUDA toolkit with cuBLAS and cuRAND)" OFF)
option(DARKNET_CUDNN "Also use cuDNN for convolutions and batchnorm (implies DARKNET_GPU)" OFF)

if(DARKNET_CUDNN AND NOT DARKNET_GPU)
  message(STATUS "DARKNET_CUDNN=ON implies DARKNET_GPU=ON")
  set(DARKNET_GPU ON)
endif()

if(DARKNET_GPU)
  if(NOT TARGET darknet_guarded)
    message(FATAL_ERROR "cuda.cmake must be included after the darknet_guarded target is defined")
  endif()

  # darknet's Makefile asks for sm_30/35/50/52: CUDA 12 dropped sm_30/35, CUDA 13
  # everything below sm_75. Turing..Hopper as SASS plus compute_90 PTX (JIT on
  # newer GPUs such as Blackwell) is accepted by every CUDA 12.x and 13.x nvcc.
  # A user value (-DCMAKE_CUDA_ARCHITECTURES=..., or the CUDAARCHS environment
  # variable) wins.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
    set(CMAKE_CUDA_ARCHITECTURES "75-real;80-real;86-real;89-real;90" CACHE STRING
        "CUDA architectures for darknet's kernels")
  endif()
  enable_language(CUDA)

  find_package(CUDAToolkit REQUIRED)
  foreach(lib cudart cublas curand)
    if(NOT TARGET CUDA::${lib})
      message(FATAL_ERROR "DARKNET_GPU: the CUDA toolkit at ${CUDAToolkit_LIBRARY_DIR} lacks lib${lib}; "
              "install cuBLAS and cuRAND (e.g. the cuda-libraries-dev / libcublas-dev / libcurand-dev packages)")
    endif()
  endforeach()

  # What every darknet and binding source needs once GPU is defined: darknet.h
  # changes its structs under #ifdef GPU / CUDNN, so the definitions are public.
  add_library(darknet_gpu INTERFACE)
  target_compile_definitions(darknet_gpu INTERFACE GPU)
  target_link_libraries(darknet_gpu INTERFACE CUDA::cudart CUDA::cublas CUDA::curand)

  if(DARKNET_CUDNN)
    find_path(CUDNN_INCLUDE_DIR cudnn.h
      HINTS ${CUDNN_ROOT} ENV CUDNN_ROOT ENV CUDNN_PATH ${CUDAToolkit_INCLUDE_DIRS}
      PATH_SUFFIXES include)
    find_library(CUDNN_LIBRARY cudnn
      HINTS ${CUDNN_ROOT} ENV CUDNN_ROOT ENV CUDNN_PATH ${CUDAToolkit_LIBRARY_DIR}
      PATH_SUFFIXES lib64 lib lib/x64)
    if(NOT CUDNN_INCLUDE_DIR OR NOT CUDNN_LIBRARY)
      message(FATAL_ERROR "DARKNET_CUDNN: cudnn.h / libcudnn not found; set CUDNN_ROOT")
    endif()
    message(STATUS "cuDNN: ${CUDNN_LIBRARY}")
    target_compile_definitions(darknet_gpu INTERFACE CUDNN)
    target_include_directories(darknet_gpu INTERFACE "${CUDNN_INCLUDE_DIR}")
    target_link_libraries(darknet_gpu INTERFACE "${CUDNN_LIBRARY}")
  endif()

  # The kernels of darknet's Makefile (OBJ += ... when GPU=1).
  set(DARKNET_CUDA_NAMES
    convolutional_kernels deconvolutional_kernels activation_kernels im2col_kernels col2im_kernels
    blas_kernels crop_layer_kernels dropout_layer_kernels maxpool_layer_kernels avgpool_layer_kernels)
  set(DARKNET_CUDA_SOURCES "")
  foreach(name IN LISTS DARKNET_CUDA_NAMES)
    list(APPEND DARKNET_CUDA_SOURCES "${DARKNET_DIR}/src/${name}.cu")
  endforeach()

  if(NOT DEFINED DARKNET_CUDA_SHIM)
    set(DARKNET_CUDA_SHIM "${DARKNET_BINDING_DIR}/shim/cuda_shim.h")
  endif()
  set(DARKNET_GUARD_SHIM "${DARKNET_BINDING_DIR}/shim/darknet_shim.h")

  # A separate object library: darknet_guarded's C options (-Wall, -Ofast, ...)
  # are not nvcc options. SHELL: keeps each "-include FILE" pair together
  # (CMake de-duplicates a repeated bare -include).
  add_library(darknet_cuda_kernels OBJECT ${DARKNET_CUDA_SOURCES})
  set_target_properties(darknet_cuda_kernels PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(darknet_cuda_kernels PRIVATE
    "${DARKNET_DIR}/include" "${DARKNET_DIR}/src" "${DARKNET_BINDING_DIR}")
  target_link_libraries(darknet_cuda_kernels PRIVATE darknet_gpu)
  # -UNDEBUG: darknet's asserts stay in the kernels' host code, like the C
  # sources (CMake's Release flags add -DNDEBUG).
  target_compile_options(darknet_cuda_kernels PRIVATE -UNDEBUG
    "SHELL:-include \"${DARKNET_CUDA_SHIM}\""
    "SHELL:-include \"${DARKNET_GUARD_SHIM}\""
    "SHELL:-Xcompiler -Wall,-Wno-unused-result,-Wno-unknown-pragmas")

  target_sources(darknet_guarded PRIVATE $<TARGET_OBJECTS:darknet_cuda_kernels>)
  # Targets made before enable_language(CUDA) have an empty CUDA_ARCHITECTURES,
  # which CMake rejects once CUDA objects end up in them.
  foreach(tgt darknet_guarded darknet_guarded_hot darknet_guarded_checked darknet_napi)
    if(TARGET ${tgt})
      set_target_properties(${tgt} PROPERTIES CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}")
    endif()
  endforeach()
  target_link_libraries(darknet_guarded PUBLIC darknet_gpu)
  foreach(part darknet_guarded_hot darknet_guarded_checked)
    target_link_libraries(${part} PUBLIC darknet_gpu)
    # Before darknet_shim.h, so the toolkit headers are read before its
    # printf/exit/assert macros exist.
    target_compile_options(${part} BEFORE PRIVATE "SHELL:-include \"${DARKNET_CUDA_SHIM}\"")
  endforeach()

  message(STATUS "darknet GPU build: CUDA ${CUDAToolkit_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES}, cuDNN ${DARKNET_CUDNN}")
endif()

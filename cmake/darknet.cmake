# darknet's own sources and flags, as its Makefile builds them (CPU, no
# OpenCV), for the addon's guarded copy and for the reference CLI. Sets
# DARKNET_DIR, DARKNET_LIB_SOURCES, DARKNET_CLI_SOURCES and DARKNET_C_OPTIONS.
# Needs DARKNET_NAPI_ROOT.
set(DARKNET_DIR "${DARKNET_NAPI_ROOT}/darknet")
if(NOT EXISTS "${DARKNET_DIR}/src/network.c")
  message(FATAL_ERROR "darknet's sources are missing from ${DARKNET_DIR}: run `bash scripts/fetch-darknet.sh`")
endif()

# The library objects of darknet's Makefile (OBJ).
set(DARKNET_LIB_NAMES
  gemm utils cuda deconvolutional_layer convolutional_layer list image activations im2col col2im
  blas crop_layer dropout_layer maxpool_layer softmax_layer data matrix network connected_layer
  cost_layer parser option_list detection_layer route_layer upsample_layer box normalization_layer
  avgpool_layer layer local_layer shortcut_layer logistic_layer activation_layer rnn_layer gru_layer
  crnn_layer demo batchnorm_layer region_layer reorg_layer tree lstm_layer l2norm_layer yolo_layer
  iseg_layer)
# The CLI objects of darknet's Makefile (EXECOBJA).
set(DARKNET_CLI_NAMES
  captcha lsd super art tag cifar go rnn segmenter regressor classifier coco yolo detector nightmare
  instance-segmenter darknet)

set(DARKNET_LIB_SOURCES "")
foreach(name IN LISTS DARKNET_LIB_NAMES)
  list(APPEND DARKNET_LIB_SOURCES "${DARKNET_DIR}/src/${name}.c")
endforeach()
set(DARKNET_CLI_SOURCES "")
foreach(name IN LISTS DARKNET_CLI_NAMES)
  list(APPEND DARKNET_CLI_SOURCES "${DARKNET_DIR}/examples/${name}.c")
endforeach()

# darknet's Makefile flags: CFLAGS and OPTS=-Ofast. -UNDEBUG: its Makefile
# builds without NDEBUG, so its asserts stay on (the addon turns them into
# JavaScript errors) whatever CMake's Release flags say; our own files keep
# those flags.
set(DARKNET_C_OPTIONS -Wall -Wno-unused-result -Wno-unknown-pragmas -Wfatal-errors -Ofast)
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  # darknet predates these warnings; they are not ours to fix.
  list(APPEND DARKNET_C_OPTIONS -Wno-unused-but-set-variable -Wno-misleading-indentation
       -Wno-stringop-truncation -Wno-format-overflow -Wno-maybe-uninitialized
       -Wno-unknown-warning-option)
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    list(REMOVE_ITEM DARKNET_C_OPTIONS -Wno-unknown-warning-option)
  endif()
endif()
set(DARKNET_C_DEFINE_OPTIONS -UNDEBUG)

find_package(Threads REQUIRED)

# Our own C and C++ (shim, ops, engine, napi, fuzzers, reference tools).
set(DARKNET_NAPI_WARNINGS -Wall -Wextra)

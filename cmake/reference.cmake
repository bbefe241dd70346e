# darknet exactly as its Makefile builds it, the oracle of the tests: its CLI
# (bin/darknet) and our tools over the same library (bin/reference-vector:
# the classify flow's whole output vector; bin/reference-detect: the detector
# test flow's heads and boxes; bin/reference-demo: detector demo's averaged
# boxes; bin/reencode: an image re-encoded
# with darknet's own code; bin/rgba-decode: stb_image's 4-channel decode
# against its 3-channel one). Included by test/reference/CMakeLists.txt after
# cmake/darknet.cmake.
add_library(darknet_reference STATIC ${DARKNET_LIB_SOURCES})
target_include_directories(darknet_reference PUBLIC "${DARKNET_DIR}/include" "${DARKNET_DIR}/src")
target_compile_options(darknet_reference PRIVATE ${DARKNET_C_OPTIONS} ${DARKNET_C_DEFINE_OPTIONS})
target_link_libraries(darknet_reference PUBLIC Threads::Threads m)

set(DARKNET_REFERENCE_BIN "${CMAKE_BINARY_DIR}/bin")
add_executable(darknet_cli ${DARKNET_CLI_SOURCES})
target_compile_options(darknet_cli PRIVATE ${DARKNET_C_OPTIONS} ${DARKNET_C_DEFINE_OPTIONS})
target_link_libraries(darknet_cli PRIVATE darknet_reference)
set_target_properties(darknet_cli PROPERTIES OUTPUT_NAME darknet RUNTIME_OUTPUT_DIRECTORY "${DARKNET_REFERENCE_BIN}")

# Our tools: darknet's flags (the same arithmetic as its examples), and our warnings.
foreach(tool reference_vector reference_detect reencode)
  string(REPLACE "_" "-" tool_name "${tool}")
  add_executable(darknet_${tool} "${DARKNET_NAPI_ROOT}/test/reference/${tool}.c")
  target_compile_options(darknet_${tool} PRIVATE ${DARKNET_C_OPTIONS} ${DARKNET_C_DEFINE_OPTIONS} ${DARKNET_NAPI_WARNINGS})
  target_link_libraries(darknet_${tool} PRIVATE darknet_reference)
  set_target_properties(darknet_${tool} PROPERTIES OUTPUT_NAME ${tool_name} RUNTIME_OUTPUT_DIRECTORY "${DARKNET_REFERENCE_BIN}")
endforeach()

# darknet's `detector demo`: src/demo.c compiled again with OPENCV (which
# compiles its demo() in), frames from image files (reference_demo.c gives
# the OpenCV calls), its do_nms_obj call wrapped to print the boxes.
add_executable(darknet_reference_demo "${DARKNET_NAPI_ROOT}/test/reference/reference_demo.c"
                                      "${DARKNET_NAPI_ROOT}/test/reference/demo_opencv.c")
target_compile_options(darknet_reference_demo PRIVATE ${DARKNET_C_OPTIONS} ${DARKNET_C_DEFINE_OPTIONS})
target_link_libraries(darknet_reference_demo PRIVATE darknet_reference)
target_link_options(darknet_reference_demo PRIVATE "-Wl,--wrap=do_nms_obj")
set_target_properties(darknet_reference_demo PROPERTIES OUTPUT_NAME reference-demo RUNTIME_OUTPUT_DIRECTORY "${DARKNET_REFERENCE_BIN}")

# stb_image on its own (its functions static in the tool), with darknet's flags.
add_executable(darknet_rgba_decode "${DARKNET_NAPI_ROOT}/test/reference/rgba_decode.c")
target_include_directories(darknet_rgba_decode PRIVATE "${DARKNET_DIR}/src")
target_compile_options(darknet_rgba_decode PRIVATE ${DARKNET_C_OPTIONS} -w)
target_link_libraries(darknet_rgba_decode PRIVATE m)
set_target_properties(darknet_rgba_decode PROPERTIES OUTPUT_NAME rgba-decode RUNTIME_OUTPUT_DIRECTORY "${DARKNET_REFERENCE_BIN}")

# MinGW: examples/go.c's engine loop uses fd_set/select (winsock2.h on Windows).
if(WIN32)
  set_source_files_properties("${DARKNET_DIR}/examples/go.c" PROPERTIES COMPILE_OPTIONS "-includewinsock2.h")
  target_link_libraries(darknet_cli PRIVATE ws2_32)
endif()

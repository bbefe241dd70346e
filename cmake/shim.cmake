# darknet for the addon (darknet_guarded): darknet's sources with darknet's
# flags, plus a forced include that routes exit/abort/assert/printing to the
# guard (binding/shim/darknet_shim.h, binding/shim/guard.c). Needs
# cmake/darknet.cmake, cmake/sanitize.cmake.
set(DARKNET_BINDING_DIR "${DARKNET_NAPI_ROOT}/binding")

add_library(darknet_guard STATIC binding/shim/guard.c binding/shim/overflow.c binding/shim/platform_file.c)
if(DARKNET_NAPI_FUZZ)
  # the sanitizer runtime defines the handlers: overflow.c wraps them (cmake/fuzz.cmake)
  set_source_files_properties(binding/shim/overflow.c PROPERTIES COMPILE_DEFINITIONS DN_OVERFLOW_WRAP)
endif()
target_include_directories(darknet_guard PUBLIC "${DARKNET_BINDING_DIR}")
target_compile_options(darknet_guard PRIVATE ${DARKNET_NAPI_WARNINGS})

# Integer overflow and division by zero in darknet's sizing code unwind to the
# guard (binding/shim/overflow.c) instead of wrapping into undersized buffers;
# the inner loops (gemm, im2col, col2im, blas, activations) are compiled as
# they are.
set(DARKNET_HOT_SOURCES "")
foreach(hot gemm im2col col2im blas activations)
  list(APPEND DARKNET_HOT_SOURCES "${DARKNET_DIR}/src/${hot}.c")
endforeach()
set(DARKNET_CHECKED_SOURCES ${DARKNET_LIB_SOURCES})
list(REMOVE_ITEM DARKNET_CHECKED_SOURCES ${DARKNET_HOT_SOURCES})
set(DARKNET_SHIM_OPTION "SHELL:-include \"${DARKNET_BINDING_DIR}/shim/darknet_shim.h\"")
# parser.c makes its [local] layers through ops/cfg_rules.c's size check
# (binding/shim/darknet_shim.h).
set_source_files_properties("${DARKNET_DIR}/src/parser.c" PROPERTIES COMPILE_DEFINITIONS DN_SHIM_PARSER)
# convolutional_layer.c draws its random initial weights through the guard (darknet_shim.h).
set_source_files_properties("${DARKNET_DIR}/src/convolutional_layer.c" PROPERTIES COMPILE_DEFINITIONS DN_SHIM_CONV)
# yolo_layer.c keeps get_yolo_box out of line as darknet's build does (darknet_shim.h).
set_source_files_properties("${DARKNET_DIR}/src/yolo_layer.c" PROPERTIES COMPILE_DEFINITIONS DN_SHIM_YOLO)
add_library(darknet_guarded_hot OBJECT ${DARKNET_HOT_SOURCES})
add_library(darknet_guarded_checked OBJECT ${DARKNET_CHECKED_SOURCES})
target_compile_options(darknet_guarded_checked PRIVATE
  -fsanitize=signed-integer-overflow,integer-divide-by-zero -fsanitize-recover=signed-integer-overflow,integer-divide-by-zero)
if(DARKNET_NAPI_FUZZ)
  # As in the addon, a division by zero in the inner loops is the CPU's
  # SIGFPE (a finding), not an unwind.
  target_compile_options(darknet_guarded_hot PRIVATE -fno-sanitize=integer-divide-by-zero)
endif()
foreach(part darknet_guarded_hot darknet_guarded_checked)
  target_include_directories(${part} PUBLIC "${DARKNET_DIR}/include" "${DARKNET_DIR}/src"
                             "${DARKNET_BINDING_DIR}")
  target_compile_options(${part} PRIVATE ${DARKNET_C_OPTIONS} ${DARKNET_C_DEFINE_OPTIONS}
                         "${DARKNET_SHIM_OPTION}" ${DARKNET_SANITIZE_EXCLUDED})
endforeach()
add_library(darknet_guarded STATIC $<TARGET_OBJECTS:darknet_guarded_hot> $<TARGET_OBJECTS:darknet_guarded_checked>)
# SYSTEM for the code above it: darknet's headers predate -Wextra (and are not ours to fix).
target_include_directories(darknet_guarded SYSTEM PUBLIC "${DARKNET_DIR}/include" "${DARKNET_DIR}/src")
target_include_directories(darknet_guarded PUBLIC "${DARKNET_BINDING_DIR}")
target_link_libraries(darknet_guarded PUBLIC darknet_guard Threads::Threads m)

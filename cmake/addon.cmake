# The addon: binding/napi/*.cc over the ops, one self-contained .node.
execute_process(
  COMMAND node -p "require('node-addon-api').include_dir"
  WORKING_DIRECTORY "${DARKNET_NAPI_ROOT}"
  OUTPUT_VARIABLE NODE_ADDON_API_DIR
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT NODE_ADDON_API_DIR)
  message(FATAL_ERROR "node-addon-api not found: run `npm install` first")
endif()

file(GLOB DARKNET_NAPI_SOURCES CONFIGURE_DEPENDS "${DARKNET_BINDING_DIR}/napi/*.cc")
add_library(darknet_napi SHARED ${DARKNET_NAPI_SOURCES} ${CMAKE_JS_SRC})
set_target_properties(darknet_napi PROPERTIES PREFIX "" SUFFIX ".node"
  CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON
  C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden)
# Node's and node-addon-api's headers are not ours to warn about.
target_include_directories(darknet_napi SYSTEM PRIVATE ${CMAKE_JS_INC} "${NODE_ADDON_API_DIR}")
target_compile_definitions(darknet_napi PRIVATE
  NAPI_VERSION=8 NODE_ADDON_API_DISABLE_DEPRECATED NAPI_CPP_EXCEPTIONS)
target_compile_options(darknet_napi PRIVATE ${DARKNET_NAPI_WARNINGS})
target_link_libraries(darknet_napi PRIVATE darknet_ops ${CMAKE_JS_LIB})
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  # Keep darknet's global symbols (gemm, error, ...) private to this .node.
  target_link_options(darknet_napi PRIVATE "-Wl,--exclude-libs,ALL")
endif()
if(MSVC AND CMAKE_JS_NODELIB_DEF AND CMAKE_JS_NODELIB_TARGET)
  execute_process(COMMAND ${CMAKE_AR} /def:${CMAKE_JS_NODELIB_DEF} /out:${CMAKE_JS_NODELIB_TARGET} ${CMAKE_STATIC_LINKER_FLAGS})
endif()

# Build facts that `build` reports at run time.
string(REPLACE ";" " " DARKNET_C_FLAGS_TEXT "${DARKNET_C_OPTIONS}")
target_compile_definitions(darknet_napi PRIVATE
  DARKNET_NAPI_VERSION="${DARKNET_NAPI_VERSION}"
  DARKNET_NAPI_DARKNET_COMMIT="${DARKNET_COMMIT}"
  DARKNET_NAPI_C_FLAGS="${DARKNET_C_FLAGS_TEXT}"
  DARKNET_NAPI_COMPILER="${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}")

# The addon: binding/napi/*.cc over the ops, one self-contained .node.
execute_process(
  COMMAND node -p "require('node-addon-api').include_dir"
  WORKING_DIRECTORY "${DARKNET_NAPI_ROOT}"
  OUTPUT_VARIABLE NODE_ADDON_API_DIR
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT NODE_ADDON_API_DIR)
  message(FATAL_ERROR "node-addon-api not found: run `npm install` first")
endif()

# MinGW (cmake/x86_64-w64-mingw32.cmake) without cmake-js: Node's headers and
# an import library for node.exe's N-API from node-api-headers.
if(MINGW AND NOT CMAKE_JS_INC)
  execute_process(
    COMMAND node -p "const h = require('node-api-headers'); h.include_dir + ';' + h.def_paths.node_api_def"
    WORKING_DIRECTORY "${DARKNET_NAPI_ROOT}"
    OUTPUT_VARIABLE NODE_API_HEADERS OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(GET NODE_API_HEADERS 0 CMAKE_JS_INC)
  list(GET NODE_API_HEADERS 1 NODE_API_DEF)
  if(NOT CMAKE_DLLTOOL)
    message(FATAL_ERROR "MinGW build: no dlltool (CMAKE_DLLTOOL) for node.exe's import library")
  endif()
  set(CMAKE_JS_LIB "${CMAKE_BINARY_DIR}/node.lib")
  add_custom_command(OUTPUT "${CMAKE_JS_LIB}"
    COMMAND "${CMAKE_DLLTOOL}" -d "${NODE_API_DEF}" -l "${CMAKE_JS_LIB}" -D node.exe
    DEPENDS "${NODE_API_DEF}" VERBATIM)
  add_custom_target(node_import_lib DEPENDS "${CMAKE_JS_LIB}")
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
if(TARGET node_import_lib)
  add_dependencies(darknet_napi node_import_lib)
endif()
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

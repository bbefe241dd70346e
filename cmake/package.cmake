# The constants C shares with TypeScript and the scripts, read from their one
# place, package.json: the version, darknet's pinned commit and the thread
# pool's cap ("darknet": { "commit", "maxThreads" }).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${DARKNET_NAPI_ROOT}/package.json")
file(READ "${DARKNET_NAPI_ROOT}/package.json" DARKNET_PACKAGE_JSON)
string(JSON DARKNET_NAPI_VERSION GET "${DARKNET_PACKAGE_JSON}" version)
string(JSON DARKNET_COMMIT GET "${DARKNET_PACKAGE_JSON}" darknet commit)
string(JSON DARKNET_MAX_THREADS GET "${DARKNET_PACKAGE_JSON}" darknet maxThreads)

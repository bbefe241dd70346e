# The instrumented builds: DARKNET_NAPI_FUZZ (libFuzzer targets, clang) and
# DARKNET_NAPI_SANITIZE (the addon under ASan+UBSan, scripts/sanitize.sh).
# Included before any target exists: the options apply to everything after.
option(DARKNET_NAPI_FUZZ "Build the libFuzzer targets (fuzz/*.c) under ASan+UBSan with clang, instead of the addon" OFF)
option(DARKNET_NAPI_SANITIZE "Build the addon under ASan+UBSan (scripts/sanitize.sh runs the test suite with it)" OFF)

set(DARKNET_SANITIZE_EXCLUDED "")
if(DARKNET_NAPI_FUZZ)
  # Everything, darknet included, is instrumented; asserts stay on.
  # ASan and UBSan, less three checks: pointer-overflow (darknet's list
  # parsing computes strchr(...)+1 past the last comma of every list, a NULL+1
  # it never uses), shift (stb_image's bit reader shifts by >= 32 on corrupt
  # JPEGs, harmless on the CPUs we build for), and signed-integer-overflow,
  # which only darknet's sizing code is built with, as in the addon
  # (cmake/shim.cmake; its handlers wrapped in cmake/fuzz.cmake).
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=pointer-overflow,shift,signed-integer-overflow
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
  add_compile_options(-fsanitize=fuzzer-no-link)
elseif(DARKNET_NAPI_SANITIZE)
  # The whole addon, darknet included, is instrumented; node is not, so the
  # ASan runtime is preloaded (scripts/sanitize.sh). UBSan's checks abort on
  # the first finding, less pointer-overflow and shift in darknet's own code
  # (the same two, for the same reasons, as the fuzz build). Signed overflow
  # in darknet's sizing code still unwinds through binding/shim/overflow.c:
  # --exclude-libs keeps those handlers ahead of the sanitizer runtime's.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
  set(DARKNET_SANITIZE_EXCLUDED -fno-sanitize=pointer-overflow,shift)
endif()

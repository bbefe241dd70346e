# libFuzzer targets (fuzz/*.c) over the same guarded darknet and ops the
# addon uses (DARKNET_NAPI_FUZZ=ON, scripts/fuzz.sh).
# darknet's sizing code unwinds on integer overflow and division by zero as
# in the addon: the sanitizer runtime's handlers are wrapped
# (binding/shim/overflow.c), so that the fuzzers find what the addon would
# do, not what a wrap-around it refuses would lead to.
set(DARKNET_FUZZ_WRAPS "")
foreach(handler add_overflow sub_overflow mul_overflow negate_overflow divrem_overflow)
  list(APPEND DARKNET_FUZZ_WRAPS "-Wl,--wrap=__ubsan_handle_${handler}" "-Wl,--wrap=__ubsan_handle_${handler}_abort")
endforeach()
foreach(target image_fuzzer cfg_fuzzer weights_fuzzer)
  add_executable(${target} fuzz/${target}.c)
  target_compile_options(${target} PRIVATE ${DARKNET_NAPI_WARNINGS})
  target_link_libraries(${target} PRIVATE darknet_ops)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer ${DARKNET_FUZZ_WRAPS})
endforeach()

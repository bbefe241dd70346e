# libFuzzer targets (fuzz/*.c) over the same guarded darknet and ops the
# addon uses (DARKNET_NAPI_FUZZ=ON, scripts/fuzz.sh).
foreach(target image_fuzzer cfg_fuzzer weights_fuzzer)
  add_executable(${target} fuzz/${target}.c)
  target_compile_options(${target} PRIVATE ${DARKNET_NAPI_WARNINGS})
  target_link_libraries(${target} PRIVATE darknet_ops)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
endforeach()

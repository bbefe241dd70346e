/* libFuzzer target: image bytes through exactly the addon's path (header
 * check, then darknet's stb_image decode and float conversion). */
#include <stddef.h>
#include <stdint.h>

#include "ops/ops.h"

/* A smaller pixel limit than the addon's default keeps the fuzzer in memory;
 * the code path is the same. */
#define FUZZ_PIXEL_LIMIT (4096.0 * 4096.0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int w = 0, h = 0;
  dn_source src;
  dn_error err;
  if (dn_image_info(data, size, &w, &h) == 0 && (double)w * h > FUZZ_PIXEL_LIMIT) return 0;
  if (dn_source_decode(data, size, &src, &err) == 0) {
    (void)dn_source_floats(&src, &err);
    dn_source_free(&src);
  }
  return 0;
}

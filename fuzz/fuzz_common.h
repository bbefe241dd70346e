/* What the cfg and weights fuzz targets share. */
#ifndef DARKNET_NAPI_FUZZ_COMMON_H
#define DARKNET_NAPI_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ops/ops.h"

/* Writes the input to /tmp/darknet-fuzz-<pid>.<extension> (darknet reads
 * files); returns 0, or -1 when it cannot. */
static int write_input(const uint8_t *data, size_t size, const char *extension, char *path, size_t capacity) {
  FILE *f;
  snprintf(path, capacity, "/tmp/darknet-fuzz-%d.%s", (int)getpid(), extension);
  f = fopen(path, "wb");
  if (!f) return -1;
  fwrite(data, 1, size, f);
  fclose(f);
  return 0;
}

/* One prediction on a black 8x8 image with each engine, as the addon can run either. */
static void predict_with_both_engines(dn_network *net) {
  unsigned char pixels[8 * 8 * 3] = {0};
  int engine;
  for (engine = DN_ENGINE_FAST; engine <= DN_ENGINE_DARKNET; ++engine) {
    dn_error err;
    image im;
    dn_result result;
    const dn_run_options options = {DN_RESIZE_LETTERBOX, (dn_engine)engine, 1, 1, 0};
    if (dn_image_from_pixels(pixels, 8, 8, 3, &im, &err) != 0) return;
    if (dn_network_run(net, &im, &options, &result, &err) == 0) dn_result_free(&result);
    dn_image_free(&im);
  }
}

#endif

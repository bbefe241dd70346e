/* libFuzzer target: bytes as the weights file of a fixed small cfg
 * (fuzz/weights_target.cfg: a batch-normalized convolution, a maxpool, a
 * connected layer, a softmax), through dn_network_load's checks and darknet's
 * load_weights, then one run of the network. Run from the repository root. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "network_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char weights[64];
  FILE *f;
  network *net;
  dn_error err;
  snprintf(weights, sizeof weights, "/tmp/darknet-fuzz-w-%d.weights", (int)getpid());
  f = fopen(weights, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  net = dn_network_load("fuzz/weights_target.cfg", weights, (size_t)768 << 20, &err);
  if (net) {
    unsigned char pixels[8 * 8 * 3] = {0};
    image im;
    float *out = NULL;
    int count = 0, top[2];
    if (dn_image_from_pixels(pixels, 8, 8, 3, &im, &err) == 0) {
      /* Both engines, as the addon can run either. */
      if (dn_network_run(net, &im, DN_RESIZE_LETTERBOX, DN_ENGINE_FAST, 1, 2, top, &out, &count, &err) == 0) free(out);
      out = NULL;
      if (dn_network_run(net, &im, DN_RESIZE_LETTERBOX, DN_ENGINE_DARKNET, 1, 2, top, &out, &count, &err) == 0) free(out);
      dn_image_free(&im);
    }
    dn_network_free(net);
  }
  return 0;
}

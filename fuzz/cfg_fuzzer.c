/* libFuzzer target: bytes as a cfg file, through dn_network_load (our
 * validation, then darknet's parse_network_cfg), without weights. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "network_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  FILE *f;
  network *net;
  dn_error err;
  snprintf(path, sizeof path, "/tmp/darknet-fuzz-cfg-%d.cfg", (int)getpid());
  f = fopen(path, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  net = dn_network_load(path, NULL, (size_t)768 << 20, &err);
  if (net) dn_network_free(net);
  return 0;
}

/* libFuzzer target: bytes as the weights file of a fixed small cfg
 * (fuzz/weights_target.cfg: a batch-normalized convolution, a maxpool, a
 * connected layer, a softmax), through dn_network_load's checks and darknet's
 * load_weights, then one run of the network. Run from the repository root. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char weights[64];
  /* The addon's default is 8 GiB; less keeps the fuzzer in memory. */
  const dn_load_options options = {(size_t)768 << 20};
  dn_network *net;
  dn_error err;
  if (write_input(data, size, "weights", weights, sizeof weights) != 0) return 0;
  net = dn_network_load("fuzz/weights_target.cfg", weights, &options, &err);
  if (net) {
    predict_with_both_engines(net);
    dn_network_free(net);
  }
  return 0;
}

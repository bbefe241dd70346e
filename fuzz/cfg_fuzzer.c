/* libFuzzer target: bytes as a cfg file, through dn_network_load (our
 * validation, then darknet's parse_network_cfg), without weights; then, when
 * the network is small enough to run in milliseconds, one prediction with
 * each engine (darknet's forward functions and ours, on darknet's random
 * initial weights). */
#include "fuzz_common.h"

/* Whether a forward pass costs at most about 10^7 operations and 10^6
 * floats of outputs (so one input stays well under libFuzzer's timeout). */
static int small_enough(const network *net) {
  double work = 0, outputs = 0;
  int i;
  for (i = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    double in = (double)l->inputs > 0 ? (double)l->inputs : 0;
    outputs += l->outputs > 0 ? (double)l->outputs : 0;
    if (l->type == CONVOLUTIONAL) {
      work += 2.0 * l->n * l->size * l->size * (l->groups > 0 ? (double)l->c / l->groups : l->c) * l->out_h * l->out_w;
    } else {
      work += (in + (l->outputs > 0 ? l->outputs : 0)) * (l->size > 0 ? (double)l->size * l->size : 1) *
              (l->steps > 0 ? l->steps : 1);
      if (l->type == CONNECTED || l->type == RNN || l->type == GRU || l->type == LSTM || l->type == CRNN || l->type == LOCAL)
        work += 2.0 * in * (l->outputs > 0 ? l->outputs : 0) * 4 * (l->steps > 0 ? l->steps : 1);
    }
  }
  return work <= 1e7 && outputs <= 1e6;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  /* The addon's default is 8 GiB; less keeps the fuzzer in memory. */
  const dn_load_options options = {(size_t)768 << 20};
  dn_network *net;
  dn_error err;
  if (write_input(data, size, "cfg", path, sizeof path) != 0) return 0;
  net = dn_network_load(path, NULL, &options, &err);
  if (net) {
    if (small_enough(net->net)) predict_with_both_engines(net);
    dn_network_free(net);
  }
  return 0;
}

/* libFuzzer target: bytes as a cfg file, through dn_network_load (our
 * validation, then darknet's parse_network_cfg), without weights; then, when
 * the network is small enough to run in milliseconds, one prediction with
 * each engine (darknet's forward functions and ours, on darknet's random
 * initial weights); for a detector, also a detect call with each engine,
 * at a low threshold and with the boxes drawn (the cfg checks of the heads,
 * get_network_boxes, do_nms_sort and draw_detections' guards). Mutations
 * are structure-aware (cfg_mutator.h), and the [net] size is capped so that
 * thousands of inputs run a minute. */
#include <string.h>

#include "cfg_mutator.h"
#include "fuzz_common.h"

/* The first section's width= and height= above NET_CAP read as NET_CAP:
 * shapes past the input still happen (kernels, crops and strides of the
 * mutated layers reach past it), at a fraction of the cost of 416x416. */
#define NET_CAP 24
static size_t cap_net_size(const uint8_t *data, size_t size, uint8_t *out, size_t capacity) {
  size_t i = 0, at = 0;
  int sections = 0;
  while (i < size) {
    const uint8_t *end = (const uint8_t *)memchr(data + i, '\n', size - i);
    size_t n = end ? (size_t)(end - (data + i)) : size - i;
    char key[16];
    size_t k = 0, j;
    for (j = 0; j < n && k + 1 < sizeof key; ++j)
      if (data[i + j] != ' ' && data[i + j] != '\t') key[k++] = (char)data[i + j];
    key[k] = '\0';
    if (k > 0 && key[0] == '[') ++sections;
    if (sections == 1 && (strncmp(key, "width=", 6) == 0 || strncmp(key, "height=", 7) == 0) &&
        atol(strchr(key, '=') + 1) > NET_CAP) {
      at += (size_t)snprintf((char *)out + at, capacity - at, "%s=%d\n", key[0] == 'w' ? "width" : "height", NET_CAP);
    } else {
      if (at + n + 1 > capacity) return 0;
      memcpy(out + at, data + i, n);
      at += n;
      out[at++] = '\n';
    }
    if (at >= capacity) return 0;
    i += n + 1;
  }
  return at;
}

/* Whether a forward pass costs at most about 2*10^6 operations and 10^5
 * floats of outputs (darknet is unoptimized under ASan: a few ms). */
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
  return work <= 2e6 && outputs <= 1e5;
}

/* Names "c0", "c1", ... for every class (the drawing needs one per class). */
static const char *const *class_names(int classes) {
  static char **names;
  static int count;
  int i;
  if (classes <= count) return (const char *const *)names;
  for (i = 0; i < count; ++i) free(names[i]);
  free(names);
  names = (char **)calloc((size_t)classes, sizeof *names);
  count = 0;
  if (!names) return NULL;
  for (i = 0; i < classes; ++i) {
    names[i] = (char *)malloc(16);
    if (!names[i]) return NULL;
    snprintf(names[i], 16, "c%d", i);
    count = i + 1;
  }
  return (const char *const *)names;
}

static void detect_with_both_engines(dn_network *net) {
  unsigned char pixels[20 * 12 * 3];
  const int classes = dn_network_classes(net->net);
  const char *const *names = class_names(classes);
  int engine, i;
  if (!names) return;
  for (i = 0; i < (int)sizeof pixels; ++i) pixels[i] = (unsigned char)(i * 37);
  for (engine = DN_ENGINE_FAST; engine <= DN_ENGINE_DARKNET; ++engine) {
    dn_error err;
    dn_source src;
    dn_detections found;
    const dn_detect_options options = {(dn_engine)engine, 0, 0.05f, 0.5f, 0.45f, 1, DN_DRAW_JPEG, names, classes, "darknet/data/labels"};
    if (dn_source_from_pixels(pixels, 20, 12, 3, &src, &err) != 0) return;
    if (dn_network_detect(net, &src, &options, &found, &err) == 0) dn_detections_free(&found);
    dn_source_free(&src);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t capped[(1 << 17) + 64];
  char path[64];
  /* A small budget (the addon's default is 8 GiB): ASan makes building
   * (and zeroing) big networks slow. */
  const dn_load_options options = {(size_t)64 << 20};
  dn_network *net;
  dn_error err;
  if (size > (1 << 17)) return 0;
  size = cap_net_size(data, size, capped, sizeof capped);
  if (write_input(capped, size, "cfg", path, sizeof path) != 0) return 0;
  net = dn_network_load(path, NULL, &options, &err);
  if (net) {
    if (small_enough(net->net)) {
      predict_with_both_engines(net);
      if (dn_network_is_detector(net->net)) detect_with_both_engines(net);
    }
    dn_network_free(net);
  }
  return 0;
}

/* See weights.h. */
#include "weights.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shim/platform_file.h"

/* darknet functions that darknet.h does not declare. */
extern char *get_layer_string(LAYER_TYPE a);

static long long conv_floats(const layer *l) {
  long long n = l->numload ? l->numload : l->n;
  long long f;
  if (l->groups <= 0) return -1;
  /* the same integer arithmetic as load_convolutional_weights */
  f = n + (long long)(l->c / l->groups) * n * l->size * l->size;
  if (l->batch_normalize && !l->dontloadscales) f += 3 * n;
  return f;
}

static long long connected_floats(const layer *l) {
  long long f = (long long)l->outputs + (long long)l->outputs * l->inputs;
  if (l->batch_normalize && !l->dontloadscales) f += 3LL * l->outputs;
  return f;
}

long long dn_network_weight_floats(const network *net, dn_error *err) {
  long long total = 0;
  int i;
  for (i = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    long long f = 0;
    if (l->dontload) continue;
    switch (l->type) {
      case CONVOLUTIONAL:
      case DECONVOLUTIONAL:
        f = conv_floats(l);
        break;
      case CONNECTED:
        f = connected_floats(l);
        break;
      case BATCHNORM:
        f = 3LL * l->c;
        break;
      case CRNN:
        f = conv_floats(l->input_layer) + conv_floats(l->self_layer) + conv_floats(l->output_layer);
        if (conv_floats(l->input_layer) < 0 || conv_floats(l->self_layer) < 0 ||
            conv_floats(l->output_layer) < 0)
          f = -1;
        break;
      case RNN:
        f = connected_floats(l->input_layer) + connected_floats(l->self_layer) +
            connected_floats(l->output_layer);
        break;
      case LSTM:
        f = connected_floats(l->wi) + connected_floats(l->wf) + connected_floats(l->wo) +
            connected_floats(l->wg) + connected_floats(l->ui) + connected_floats(l->uf) +
            connected_floats(l->uo) + connected_floats(l->ug);
        break;
      case GRU:
        f = connected_floats(l->wz) + connected_floats(l->wr) + connected_floats(l->wh) +
            connected_floats(l->uz) + connected_floats(l->ur) + connected_floats(l->uh);
        break;
      case LOCAL:
        f = (long long)l->outputs + (long long)l->size * l->size * l->c * l->n * l->out_w * l->out_h;
        break;
      default:
        break;
    }
    if (f < 0) {
      dn_error_set(err, DN_E_CFG, "layer %d (%s) has groups=%d: darknet cannot load weights for it",
                   i, get_layer_string(l->type), l->groups);
      return -1;
    }
    total += f;
  }
  return total;
}

int dn_weights_check_size(const network *net, const char *cfg, const char *path, dn_error *err) {
  FILE *f = dn_fopen(path, "rb");
  int header[3];
  long long size, floats, header_bytes, expected;
  if (!f) {
    dn_error_set(err, DN_E_FILE, "cannot open weights %s: %s", path, strerror(errno));
    return -1;
  }
  if ((size = dn_file_size(f)) < 0) {
    dn_error_set(err, DN_E_FILE, "cannot read weights %s: %s", path, strerror(errno));
    fclose(f);
    return -1;
  }
  if (fread(header, sizeof(int), 3, f) != 3) {
    fclose(f);
    dn_error_set(err, DN_E_WEIGHTS,
                 "weights %s is truncated: %lld bytes, shorter than darknet's weights header", path,
                 size);
    return -1;
  }
  fclose(f);
  /* darknet computes major*10+minor in int: values this large overflow it. */
  if (header[0] < 0 || header[1] < 0 || header[0] > (1 << 20) || header[1] > (1 << 20)) {
    dn_error_set(err, DN_E_WEIGHTS, "weights %s has an implausible format version %d.%d in its header", path,
                 header[0], header[1]);
    return -1;
  }
  /* load_weights_upto: format major*10+minor >= 2 stores `seen` as size_t. */
  header_bytes = 3 * (long long)sizeof(int) +
                 (((header[0] * 10 + header[1]) >= 2 && header[0] < 1000 && header[1] < 1000)
                      ? (long long)sizeof(size_t)
                      : (long long)sizeof(int));
  floats = dn_network_weight_floats(net, err);
  if (floats < 0) return -1;
  expected = header_bytes + floats * (long long)sizeof(float);
  if (size < expected) {
    dn_error_set(err, DN_E_WEIGHTS,
                 "weights %s is truncated or belongs to another cfg: %lld bytes, %s needs "
                 "%lld (%lld-byte header, format %d.%d, + %lld float parameters)",
                 path, size, cfg, expected, header_bytes, header[0], header[1], floats);
    return -1;
  }
  if (size > expected) {
    dn_error_set(err, DN_E_WEIGHTS,
                 "weights %s does not match the cfg: %lld bytes, %s needs exactly %lld "
                 "(%lld-byte header, format %d.%d, + %lld float parameters)",
                 path, size, cfg, expected, header_bytes, header[0], header[1], floats);
    return -1;
  }
  return 0;
}


/* See layer_params.h. */
#include "layer_params.h"

#include <stdlib.h>
#include <string.h>

#include "activations.h" /* darknet's get_activation_string */

extern char *get_layer_string(LAYER_TYPE a);

/* get_layer_string names most types; the rest ("none" there) by the cfg
 * section string_to_layer_type reads them from. */
static const char *type_name(LAYER_TYPE type) {
  switch (type) {
    case ISEG: return "iseg";
    case UPSAMPLE: return "upsample";
    case LOGXENT: return "logistic";
    case L2NORM: return "l2norm";
    default: return get_layer_string(type);
  }
}

/* Copies count floats from src; 0 on success (nothing to copy included). */
static int copy_floats(dn_floats *dst, const float *src, long long count) {
  dst->data = NULL;
  dst->count = 0;
  if (!src || count <= 0) return 0;
  dst->data = (float *)malloc((size_t)count * sizeof(float));
  if (!dst->data) return -1;
  memcpy(dst->data, src, (size_t)count * sizeof(float));
  dst->count = count;
  return 0;
}

/* The arrays load_weights fills for the layer types that have them
 * (load_convolutional_weights, load_connected_weights, load_batchnorm_weights),
 * at the counts it reads. */
static int copy_arrays(const layer *l, dn_layer_params *p) {
  long long n = 0, count = 0;
  int bn = l->batch_normalize;
  switch (l->type) {
    case CONVOLUTIONAL:
      n = l->n;
      count = l->nweights;
      break;
    case CONNECTED:
      n = l->outputs;
      count = (long long)l->outputs * l->inputs;
      break;
    case BATCHNORM:
      n = l->c;
      bn = 1;
      break;
    default:
      return 0;
  }
  if (copy_floats(&p->biases, l->biases, n) || copy_floats(&p->weights, l->weights, count)) return -1;
  if (bn && (copy_floats(&p->scales, l->scales, n) || copy_floats(&p->rolling_mean, l->rolling_mean, n) ||
             copy_floats(&p->rolling_variance, l->rolling_variance, n)))
    return -1;
  return 0;
}

static int read_layer(const layer *l, dn_layer_params *p) {
  memset(p, 0, sizeof *p);
  p->type = type_name(l->type);
  p->activation = get_activation_string(l->activation);
  p->w = l->w;
  p->h = l->h;
  p->c = l->c;
  p->out_w = l->out_w;
  p->out_h = l->out_h;
  p->out_c = l->out_c;
  p->inputs = l->inputs;
  p->outputs = l->outputs;
  p->n = l->n;
  p->size = l->size;
  p->stride = l->stride;
  p->pad = l->pad;
  p->groups = l->groups;
  p->batch_normalize = l->batch_normalize;
  p->flipped = l->flipped;
  p->binary = l->binary;
  p->xnor = l->xnor;
  p->noadjust = l->noadjust;
  p->index = l->index;
  p->tree = l->softmax_tree != NULL;
  p->alpha = l->alpha;
  p->beta = l->beta;
  p->temperature = l->temperature;
  if (l->type == UPSAMPLE) {
    p->reverse = l->reverse;
    p->scale = l->scale;
  }
  if (l->type == YOLO || l->type == REGION) {
    p->classes = l->classes;
    p->coords = l->type == YOLO ? 4 : l->coords;
    p->softmax = l->softmax;
    p->background = l->background;
  }
  if (l->type == ROUTE && l->n > 0 && l->input_layers) {
    p->route_layers = (int *)malloc((size_t)l->n * sizeof(int));
    if (!p->route_layers) return -1;
    memcpy(p->route_layers, l->input_layers, (size_t)l->n * sizeof(int));
    p->route_count = l->n;
  }
  return copy_arrays(l, p);
}

int dn_network_params_read(const network *net, dn_network_params *out, dn_error *err) {
  int i;
  memset(out, 0, sizeof *out);
  out->w = net->w;
  out->h = net->h;
  out->c = net->c;
  out->outputs = net->outputs;
  for (i = net->n - 1; i > 0 && net->layers[i].type == COST; --i) {
  }
  out->output_layer = i;
  out->layers = (dn_layer_params *)calloc((size_t)(net->n > 0 ? net->n : 1), sizeof(dn_layer_params));
  if (!out->layers) {
    dn_error_set(err, DN_E_TOO_LARGE, "out of memory for the description of %d layers", net->n);
    return -1;
  }
  for (i = 0; i < net->n; ++i) {
    out->count = i + 1; /* what dn_network_params_free must free */
    if (read_layer(&net->layers[i], &out->layers[i]) != 0) {
      dn_error_set(err, DN_E_TOO_LARGE, "out of memory copying the parameters of layer %d (%s)", i,
                   type_name(net->layers[i].type));
      dn_network_params_free(out);
      return -1;
    }
  }
  return 0;
}

void dn_network_params_free(dn_network_params *params) {
  int i;
  for (i = 0; i < params->count; ++i) {
    dn_layer_params *p = &params->layers[i];
    free(p->route_layers);
    free(p->biases.data);
    free(p->scales.data);
    free(p->rolling_mean.data);
    free(p->rolling_variance.data);
    free(p->weights.data);
  }
  free(params->layers);
  memset(params, 0, sizeof *params);
}

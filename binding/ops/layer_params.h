/*
 * A loaded network's layers as plain C data: the fields darknet's parser set
 * (shapes, size, stride, pad, groups, activation, ...) and copies of the
 * parameter arrays load_weights filled. What the ONNX export reads, so that
 * darknet's own parse of the cfg and the weights is the only one.
 */
#ifndef DARKNET_NAPI_LAYER_PARAMS_H
#define DARKNET_NAPI_LAYER_PARAMS_H

#include "darknet.h"
#include "shim/guard.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A copy of one of darknet's float arrays (NULL, 0 when the layer has none). */
typedef struct dn_floats {
  float *data;
  long long count;
} dn_floats;

typedef struct dn_layer_params {
  const char *type;       /* darknet's name: get_layer_string */
  const char *activation; /* get_activation_string */
  int w, h, c;            /* input */
  int out_w, out_h, out_c;
  int inputs, outputs;
  int n; /* filters */
  int size, stride, pad, groups;
  int batch_normalize, flipped, binary, xnor, noadjust;
  int index;             /* [shortcut]: the layer it adds */
  int route_count;       /* [route]: its input layers */
  int *route_layers;     /* malloc'd, route_count entries */
  int tree;              /* [softmax] with a tree= hierarchy */
  float alpha, beta;     /* [shortcut] */
  float temperature;     /* [softmax] */
  int reverse;           /* [upsample]: a negative stride (downsample) */
  float scale;           /* [upsample]: the factor on every output */
  int classes;           /* [yolo], [region] */
  int coords;            /* [region]: box entries per anchor (4 for [yolo]) */
  int softmax, background; /* [region] */
  dn_floats biases, scales, rolling_mean, rolling_variance, weights;
} dn_layer_params;

typedef struct dn_network_params {
  int w, h, c, outputs;
  int output_layer; /* get_network_output_layer: the last layer that is not [cost] */
  int count;
  dn_layer_params *layers;
} dn_network_params;

/* Fills *out from net (every array copied: *out outlives the network).
 * Returns 0, or -1 with err set (out of memory); *out is then empty. */
int dn_network_params_read(const network *net, dn_network_params *out, dn_error *err);

void dn_network_params_free(dn_network_params *params);

#ifdef __cplusplus
}
#endif

#endif

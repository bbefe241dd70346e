/* darknet's layer table, one row per layer, as the addon reports it. */
#ifndef DARKNET_NAPI_OPS_LAYER_INFO_H
#define DARKNET_NAPI_OPS_LAYER_INFO_H

#include "darknet.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dn_layer_info {
  int index;
  const char *type; /* darknet's name ("convolutional", ...) */
  int input[3], output[3]; /* w, h, c */
  int outputs;
  /* has_kernel: filters, size, stride, groups and batch_normalize are set
   * (convolutional, deconvolutional, local); has_pool: size and stride
   * (maxpool); has_batch_normalize: batch_normalize alone (connected). */
  int has_kernel, has_pool, has_batch_normalize;
  int filters, size, stride, groups, batch_normalize;
  /* has_flops: flops is darknet's layer-table figure, 2 * multiply-adds. */
  int has_flops;
  double flops;
} dn_layer_info;

void dn_layer_info_of(const network *net, int index, dn_layer_info *out);

/* darknet's name for a layer type ("convolutional", ...). */
const char *dn_layer_type_name(const layer *l);

#ifdef __cplusplus
}
#endif

#endif

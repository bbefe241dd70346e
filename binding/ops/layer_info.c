/* See layer_info.h. */
#include "layer_info.h"

#include <string.h>

/* darknet functions that darknet.h does not declare. */
extern char *get_layer_string(LAYER_TYPE a);

const char *dn_layer_type_name(const layer *l) { return get_layer_string(l->type); }

void dn_layer_info_of(const network *net, int index, dn_layer_info *out) {
  const layer *l = &net->layers[index];
  memset(out, 0, sizeof *out);
  out->index = index;
  out->type = dn_layer_type_name(l);
  out->input[0] = l->w;
  out->input[1] = l->h;
  out->input[2] = l->c;
  out->output[0] = l->out_w;
  out->output[1] = l->out_h;
  out->output[2] = l->out_c;
  out->outputs = l->outputs;
  out->has_kernel = l->type == CONVOLUTIONAL || l->type == DECONVOLUTIONAL || l->type == LOCAL;
  out->has_pool = l->type == MAXPOOL;
  out->has_batch_normalize = out->has_kernel || l->type == CONNECTED;
  out->filters = l->n;
  out->size = l->size;
  out->stride = l->stride;
  out->groups = l->groups;
  out->batch_normalize = l->batch_normalize != 0;
  if (l->type == CONVOLUTIONAL && l->groups > 0) {
    out->has_flops = 1;
    out->flops = 2.0 * l->n * l->size * l->size * (l->c / l->groups) * l->out_h * l->out_w;
  } else if (l->type == CONNECTED) {
    out->has_flops = 1;
    out->flops = 2.0 * l->inputs * l->outputs;
  }
}

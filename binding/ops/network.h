/*
 * A darknet network: loaded (cfg checked, weights' size checked), run and
 * freed, each darknet call under dn_guard() so that darknet's fatal paths
 * come back as a dn_error. The handle owns the network and the fast engine's
 * state for it.
 */
#ifndef DARKNET_NAPI_OPS_NETWORK_H
#define DARKNET_NAPI_OPS_NETWORK_H

#include <stddef.h>

#include "darknet.h"
#include "engine/fast_engine.h"
#include "image.h"
#include "layer_params.h"
#include "options.h"
#include "shim/guard.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dn_network {
  network *net;
  dn_engine_context *engine; /* the fast engine's state for net, freed with it */
  long long weight_floats;   /* float parameters its weights file holds */
  int weights_taken;         /* the fast engine holds the convolutions' weights (l.weights NULL) */
} dn_network;

/* Parses cfg (checked first) and, when weights is non-NULL, loads weights
 * after checking that the file's size is exactly what the layers need.
 * Returns NULL with err set on failure. */
dn_network *dn_network_load(const char *cfg, const char *weights, const dn_load_options *options, dn_error *err);

/* Frees the network, what darknet's free_network leaves behind, and the
 * engine's state. NULL is allowed. */
void dn_network_free(dn_network *handle);

/* Before darknet's own forward reads l.weights: gives them back to darknet
 * when the fast engine took them (they then stay). 0, or -1 with err set. */
int dn_network_weights_for_darknet(dn_network *handle, dn_error *err);

/* dn_network_params_read on the handle's network, darknet's weights given
 * back for the copy and given up again after it. */
int dn_network_read_params(dn_network *handle, dn_network_params *out, dn_error *err);

/* What a run returns: output[0..count) (hierarchy-adjusted when asked and
 * the network has a tree), and top[0..top_count) darknet's top_k of it. */
typedef struct dn_result {
  float *output;
  int count;
  int *top;
  int top_count;
  double *layer_ms; /* with options->profile and the fast engine: each layer's time */
  int *layer_algorithm; /* and each convolution's DN_ALGO_* (fast_engine.h), else 0 */
  int layer_count;
} dn_result;

/* Runs the network on the source (making its float image where the call
 * needs one). Returns 0 with *result filled (free with dn_result_free), or
 * -1 with err set. */
int dn_network_run(dn_network *handle, dn_source *src, const dn_run_options *options, dn_result *result,
                   dn_error *err);

/* What a call on one decoded image does (dn_network_run, dn_network_detect). */
typedef int (*dn_input_task)(dn_network *handle, dn_source *src, const void *options, void *out, dn_error *err);

/* The input decoded (dn_source_from_input, limit_input_pixels), task run on
 * it, the input named in task's error; with the fast engine, under the
 * prediction's claim on the pool, decoding included. */
int dn_network_on_input(dn_network *handle, const dn_input *input, dn_engine engine, double limit_input_pixels,
                        dn_input_task task, const void *options, void *out, dn_error *err);

/* The whole of a classify/predict call: reads and decodes the input
 * (dn_source_from_input, options->limit_input_pixels), then runs the network
 * on it; a failure's message starts with the input's description. */
int dn_network_run_input(dn_network *handle, const dn_input *input, const dn_run_options *options,
                         dn_result *result, dn_error *err);

void dn_result_free(dn_result *result);

/* Whether letterbox_image can fit im into the network (it resizes to at
 * least 2 pixels a side). Returns 0, or -1 with err set (DN_E_INPUT). */
int dn_network_check_letterbox(const network *net, const dn_source *src, dn_error *err);

/* letterbox_image of the source into w x h: darknet's own for the darknet
 * engine (the source's float image made first), else the fast engine's,
 * from the pixels when no float image is made. Free the result unless it
 * is src->im itself. */
image dn_letterbox_source(dn_source *src, dn_engine engine, int w, int h);

#ifdef __cplusplus
}
#endif

#endif

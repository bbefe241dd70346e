/*
 * The darknet calls the addon makes, in plain C, each one run under dn_guard()
 * so that darknet's fatal paths come back as a dn_error. Checks that darknet
 * itself does not make (and would crash or exit on) happen here first.
 */
#ifndef DARKNET_NAPI_NETWORK_OPS_H
#define DARKNET_NAPI_NETWORK_OPS_H

#include <stddef.h>

#include "darknet.h"
#include "guard.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dn_resize_mode {
  DN_RESIZE_LETTERBOX = 0, /* ./darknet classify: letterbox_image to the network size */
  DN_RESIZE_MIN = 1        /* 2016 flow: resize_min, then resize_network to that size */
} dn_resize_mode;

/* Parses cfg (validated first) and, when weights is non-NULL, loads weights
 * after checking that the file's size is exactly what the layers need.
 * darknet may allocate at most memory_limit bytes doing so (0: no limit).
 * Returns NULL with err set on failure. */
network *dn_network_load(const char *cfg, const char *weights, size_t memory_limit, dn_error *err);

/* Frees the network and what darknet's free_network leaves behind. */
void dn_network_free(network *net);

/* Number of float parameters load_weights reads for this network, or -1 with
 * err set when a layer's shape makes darknet's own count meaningless. */
long long dn_network_weight_floats(const network *net, dn_error *err);

/* Decodes an encoded image (whatever darknet's stb_image reads) into a 3-channel
 * darknet image, exactly as load_image_color does for a file. */
int dn_image_decode(const unsigned char *bytes, size_t length, image *out, dn_error *err);

/* Reads an encoded image's size from its header alone (stb's info call), without
 * decoding a pixel. Returns 0, or -1 when the header is not one stb_image knows. */
int dn_image_info(const unsigned char *bytes, size_t length, int *width, int *height);

/* Converts interleaved HWC 8-bit pixels (1 to 4 channels) the way stb_image
 * converts to 3 channels, then to a darknet image. */
int dn_image_from_pixels(const unsigned char *pixels, int width, int height, int channels,
                         image *out, dn_error *err);

void dn_image_free(image *im);

/* Runs the network on im. On success *output is a malloc'd array of
 * *output_count floats (hierarchy-adjusted when apply_hierarchy and the
 * network has a tree), and, when top > 0, top_indices[0..top) holds darknet's
 * top_k of it. */
typedef enum dn_engine {
  DN_ENGINE_FAST = 0,   /* fast_engine.h: same results, multi-threaded and vectorized */
  DN_ENGINE_DARKNET = 1 /* darknet's own network_predict */
} dn_engine;

int dn_network_run(network *net, const image *im, dn_resize_mode mode, dn_engine engine, int apply_hierarchy,
                   int top, int *top_indices, float **output, int *output_count, dn_error *err);

/* darknet's name for a layer type ("convolutional", ...). */
const char *dn_layer_type_name(const layer *l);

#ifdef __cplusplus
}
#endif

#endif

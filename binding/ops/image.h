/*
 * Images into darknet images: an input (a file, encoded bytes or raw pixels)
 * read, checked against limitInputPixels and decoded with darknet's own
 * stb_image, as load_image_color does for a file.
 */
#ifndef DARKNET_NAPI_OPS_IMAGE_H
#define DARKNET_NAPI_OPS_IMAGE_H

#include <stddef.h>

#include "darknet.h"
#include "engine/fast_engine.h"
#include "shim/guard.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dn_input_kind {
  DN_INPUT_PATH = 0,    /* path: an image file */
  DN_INPUT_ENCODED = 1, /* bytes[0..length): an encoded image */
  DN_INPUT_PIXELS = 2   /* bytes: width x height x channels interleaved 8-bit pixels */
} dn_input_kind;

typedef struct dn_input {
  dn_input_kind kind;
  const char *path;
  const unsigned char *bytes;
  size_t length;
  int width, height, channels;
} dn_input;

/* The input as messages name it: "image <path>", "image buffer (N bytes)",
 * "raw pixels (WxHxC)". */
void dn_input_describe(const dn_input *input, char *out, size_t capacity);

/* Puts the input's description (and ": ") in front of err's message. */
void dn_input_name_error(const dn_input *input, dn_error *err);

/* A decoded input: its 8-bit pixels, and darknet's float image of them made
 * only when a call needs it (dn_source_floats): the fast engine's letterbox
 * reads the pixels instead, converting only the rows it resizes. */
typedef struct dn_source {
  dn_pixels pixels;     /* its size is the image's */
  unsigned char *owned; /* stb's decode, which the pixels point into, or NULL */
  image im;             /* darknet's 3-channel image: data NULL until made */
} dn_source;

/* Reads, checks and decodes the input into *out (free with dn_source_free;
 * raw pixels are borrowed: they must outlive it).
 * pixel_limit > 0: an encoded image whose header claims more pixels is
 * refused (DN_E_IMAGE_TOO_LARGE) before a pixel is decoded. Returns 0, or -1
 * with err set, its message starting with the input's description. */
int dn_source_from_input(const dn_input *input, double pixel_limit, dn_source *out, dn_error *err);

/* Decodes an encoded image (whatever darknet's stb_image reads): its floats
 * are load_image_color's for a file. */
int dn_source_decode(const unsigned char *bytes, size_t length, dn_source *out, dn_error *err);

/* Reads an encoded image's size from its header alone (stb's info call), without
 * decoding a pixel. Returns 0, or -1 when the header is not one stb_image knows. */
int dn_image_info(const unsigned char *bytes, size_t length, int *width, int *height);

/* Interleaved HWC 8-bit pixels (1 to 4 channels, borrowed), read the way
 * stb_image converts to 3 channels: grey replicated, alpha dropped. */
int dn_source_from_pixels(const unsigned char *pixels, int width, int height, int channels, dn_source *out,
                          dn_error *err);

/* Makes source->im (load_image_stb's floats of the pixels) if not made yet.
 * Returns 0, or -1 with err set when out of memory. */
int dn_source_floats(dn_source *source, dn_error *err);

void dn_source_free(dn_source *source);

#ifdef __cplusplus
}
#endif

#endif

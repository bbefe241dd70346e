/*
 * Images into darknet images: an input (a file, encoded bytes or raw pixels)
 * read, checked against limitInputPixels and decoded with darknet's own
 * stb_image, as load_image_color does for a file.
 */
#ifndef DARKNET_NAPI_OPS_IMAGE_H
#define DARKNET_NAPI_OPS_IMAGE_H

#include <stddef.h>

#include "darknet.h"
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

/* Reads, checks and decodes the input into *out (free with dn_image_free).
 * pixel_limit > 0: an encoded image whose header claims more pixels is
 * refused (DN_E_IMAGE_TOO_LARGE) before a pixel is decoded. Returns 0, or -1
 * with err set, its message starting with the input's description. */
int dn_image_from_input(const dn_input *input, double pixel_limit, image *out, dn_error *err);

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

#ifdef __cplusplus
}
#endif

#endif

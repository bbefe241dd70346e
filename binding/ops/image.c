/* See image.h. */
#include "image.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "jpeg_guard.h"
#include "stb_image.h" /* darknet's copy; its implementation lives in darknet's image.c */

static int alloc_image(int w, int h, int c, image *out, dn_error *err) {
  size_t count = (size_t)w * (size_t)h * (size_t)c;
  if (w <= 0 || h <= 0 || c <= 0 || count > (size_t)INT_MAX) {
    dn_error_set(err, DN_E_INPUT, "image size %dx%dx%d is out of range", w, h, c);
    return -1;
  }
  out->w = w;
  out->h = h;
  out->c = c;
  out->data = (float *)malloc(count * sizeof(float)); /* every caller writes every element */
  if (!out->data) {
    dn_error_set(err, DN_E_INPUT, "out of memory for a %dx%d image", w, h);
    return -1;
  }
  return 0;
}

/* load_image_stb's conversion, HWC bytes to CHW floats, with its exact
 * arithmetic: (float)byte / 255., through a table of its 256 values (darknet's
 * -Ofast build multiplies by the reciprocal instead; for these 256 values
 * both give the same floats). One pass over the pixels; `stride` bytes a
 * pixel (4: RGBA, alpha dropped, for 3 channels). */
static void to_darknet_floats_strided(const unsigned char *data, int stride, image *im) {
  float scaled[256];
  const size_t area = (size_t)im->w * im->h;
  const int c = im->c;
  size_t p;
  int k;
  for (k = 0; k < 256; ++k) scaled[k] = (float)k / 255.;
  if (c == 3) {
    float *r = im->data, *g = r + area, *b = g + area;
    for (p = 0; p < area; ++p, data += stride) {
      r[p] = scaled[data[0]];
      g[p] = scaled[data[1]];
      b[p] = scaled[data[2]];
    }
    return;
  }
  for (p = 0; p < area; ++p)
    for (k = 0; k < c; ++k) im->data[k * area + p] = scaled[data[p * stride + k]];
}

static void to_darknet_floats(const unsigned char *data, image *im) { to_darknet_floats_strided(data, im->c, im); }

/* stb_image asserts on some corrupt inputs (and its asserts are darknet's,
 * routed to the guard): its calls run under dn_guard, with the blocks it
 * allocated freed when it unwinds. */
typedef struct stb_call {
  const unsigned char *bytes;
  int length;
  int info_only;
  int w, h, c;
  unsigned char *data;
  int ok;
  int channels; /* what was asked for: 3, or 4 for a JPEG */
} stb_call;

/* A JPEG (SOI marker) is decoded to 4 channels: stb's SIMD colour conversion
 * runs only then, and gives the same RGB as its 3-channel scalar one
 * (test/reference/rgba_decode.c checks every (Y, Cb, Cr) and the sample
 * images); other formats keep darknet's 3. */
static int channels_to_ask(const unsigned char *bytes, int length) {
  return length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8 ? 4 : 3;
}

static void stb_run(void *arg) {
  stb_call *call = (stb_call *)arg;
  if (call->info_only) {
    call->ok = stbi_info_from_memory(call->bytes, call->length, &call->w, &call->h, &call->c);
  } else {
    call->channels = channels_to_ask(call->bytes, call->length);
    call->data = stbi_load_from_memory(call->bytes, call->length, &call->w, &call->h, &call->c, call->channels);
    call->ok = call->data != NULL;
  }
}

static int stb_guarded(stb_call *call, dn_error *err) {
  int failed;
  /* stb reads the Huffman tables for its info call too */
  if (!dn_jpeg_huffman_tables_ok(call->bytes, (size_t)call->length)) {
    dn_error_set(err, DN_E_IMAGE, "JPEG with a corrupt Huffman table");
    return -1;
  }
  dn_track_allocations_begin();
  failed = dn_guard(stb_run, call, DN_E_IMAGE, err);
  dn_track_allocations_end(failed);
  return failed ? -1 : 0;
}

int dn_image_decode(const unsigned char *bytes, size_t length, image *out, dn_error *err) {
  int w = 0, h = 0, stride = 3;
  unsigned char *data;
  if (length == 0 || length > (size_t)INT_MAX) {
    dn_error_set(err, DN_E_IMAGE, "%zu bytes is not a decodable image size", length);
    return -1;
  }
  {
    stb_call call = {bytes, (int)length, 0, 0, 0, 0, NULL, 0, 3};
    if (stb_guarded(&call, err) != 0) {
      char message[DN_MESSAGE_SIZE];
      snprintf(message, sizeof message, "%s", err->message);
      dn_error_set(err, DN_E_IMAGE, "not an image darknet can decode (stb_image: %s)", message);
      return -1;
    }
    data = call.data;
    w = call.w;
    h = call.h;
    stride = call.channels;
  }
  if (!data) {
    dn_error_set(err, DN_E_IMAGE, "not an image darknet can decode (stb_image: %s)",
                 stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");
    return -1;
  }
  if (alloc_image(w, h, 3, out, err) != 0) {
    stbi_image_free(data);
    return -1;
  }
  to_darknet_floats_strided(data, stride, out);
  stbi_image_free(data);
  return 0;
}

int dn_image_info(const unsigned char *bytes, size_t length, int *width, int *height) {
  stb_call call = {bytes, (int)length, 1, 0, 0, 0, NULL, 0, 3};
  dn_error err;
  if (length == 0 || length > (size_t)INT_MAX) return -1;
  if (stb_guarded(&call, &err) != 0 || !call.ok) return -1;
  *width = call.w;
  *height = call.h;
  return 0;
}

int dn_image_from_pixels(const unsigned char *pixels, int width, int height, int channels,
                         image *out, dn_error *err) {
  size_t n, i;
  unsigned char *rgb;
  if (channels < 1 || channels > 4) {
    dn_error_set(err, DN_E_INPUT, "raw pixels need 1 to 4 channels, got %d", channels);
    return -1;
  }
  if (alloc_image(width, height, 3, out, err) != 0) return -1;
  if (channels == 3) {
    to_darknet_floats(pixels, out);
    return 0;
  }
  n = (size_t)width * (size_t)height;
  rgb = (unsigned char *)malloc(n * 3);
  if (!rgb) {
    dn_image_free(out);
    dn_error_set(err, DN_E_INPUT, "out of memory for a %dx%d image", width, height);
    return -1;
  }
  /* stb_image's conversion to 3 channels: grey is replicated, alpha dropped. */
  for (i = 0; i < n; ++i) {
    const unsigned char *p = pixels + i * (size_t)channels;
    unsigned char *q = rgb + i * 3;
    if (channels >= 3) {
      q[0] = p[0];
      q[1] = p[1];
      q[2] = p[2];
    } else {
      q[0] = q[1] = q[2] = p[0];
    }
  }
  to_darknet_floats(rgb, out);
  free(rgb);
  return 0;
}

void dn_image_free(image *im) {
  if (im && im->data) {
    free(im->data);
    im->data = NULL;
  }
}

void dn_input_describe(const dn_input *input, char *out, size_t capacity) {
  switch (input->kind) {
    case DN_INPUT_PATH:
      snprintf(out, capacity, "image %s", input->path);
      break;
    case DN_INPUT_ENCODED:
      snprintf(out, capacity, "image buffer (%zu bytes)", input->length);
      break;
    default:
      snprintf(out, capacity, "raw pixels (%dx%dx%d)", input->width, input->height, input->channels);
      break;
  }
}

void dn_input_name_error(const dn_input *input, dn_error *err) {
  char described[DN_MESSAGE_SIZE / 2], message[DN_MESSAGE_SIZE];
  dn_input_describe(input, described, sizeof described);
  snprintf(message, sizeof message, "%s", err->message);
  dn_error_set(err, err->code, "%s: %s", described, message);
}

static int encoded_to_image(const dn_input *input, const unsigned char *bytes, size_t length, double pixel_limit,
                            image *out, dn_error *err) {
  int width = 0, height = 0;
  /* Huge images are refused from their header alone, before a pixel is decoded. */
  if (pixel_limit > 0 && dn_image_info(bytes, length, &width, &height) == 0 &&
      (double)width * height > pixel_limit) {
    char described[DN_MESSAGE_SIZE / 2];
    dn_input_describe(input, described, sizeof described);
    dn_error_set(err, DN_E_IMAGE_TOO_LARGE, "%s: %dx%d pixels exceeds limitInputPixels (%lld)", described, width,
                 height, (long long)pixel_limit);
    return -1;
  }
  if (dn_image_decode(bytes, length, out, err) != 0) {
    dn_input_name_error(input, err);
    return -1;
  }
  return 0;
}

int dn_image_from_input(const dn_input *input, double pixel_limit, image *out, dn_error *err) {
  err->code = DN_OK;
  err->message[0] = '\0';
  if (input->kind == DN_INPUT_PIXELS) {
    size_t expected = (size_t)(input->width > 0 ? input->width : 0) * (size_t)(input->height > 0 ? input->height : 0) *
                      (size_t)(input->channels > 0 ? input->channels : 0);
    if (input->width <= 0 || input->height <= 0 || expected != input->length) {
      dn_error_set(err, DN_E_INPUT, "raw pixels: length does not match width x height x channels");
      return -1;
    }
    if (dn_image_from_pixels(input->bytes, input->width, input->height, input->channels, out, err) != 0) {
      dn_input_name_error(input, err);
      return -1;
    }
    return 0;
  }
  if (input->kind == DN_INPUT_PATH) {
    unsigned char *bytes;
    size_t length;
    int rc;
    if (dn_read_file(input->path, "image", &bytes, &length, err) != 0) return -1;
    rc = encoded_to_image(input, bytes, length, pixel_limit, out, err);
    free(bytes);
    return rc;
  }
  return encoded_to_image(input, input->bytes, input->length, pixel_limit, out, err);
}

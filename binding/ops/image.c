/* See image.h. */
#include "image.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "jpeg_guard.h"
#include "stb_image.h" /* darknet's copy; its implementation lives in darknet's image.c */

/* darknet indexes an image's floats with an int. */
static int size_in_range(int w, int h, int c, dn_error *err) {
  if (w <= 0 || h <= 0 || c <= 0 || (size_t)w * (size_t)h * (size_t)c > (size_t)INT_MAX) {
    dn_error_set(err, DN_E_INPUT, "image size %dx%dx%d is out of range", w, h, c);
    return 0;
  }
  return 1;
}

static int alloc_image(int w, int h, int c, image *out, dn_error *err) {
  const size_t count = (size_t)w * (size_t)h * (size_t)c;
  if (!size_in_range(w, h, c, err)) return -1;
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

/* load_image_stb's conversion of a byte: (float)byte / 255., its exact
 * arithmetic, as a table of its 256 values (darknet's -Ofast build
 * multiplies by the reciprocal instead; for these 256 values both give the
 * same floats). */
static float byte_floats[256];
static pthread_once_t byte_floats_once = PTHREAD_ONCE_INIT;
static void make_byte_floats(void) {
  int k;
  for (k = 0; k < 256; ++k) byte_floats[k] = (float)k / 255.;
}

/* The pixels' bytes, channel k of the 3-channel image at offset[k]: grey (1
 * or 2 channels, the second alpha) replicated and alpha dropped, as
 * stb_image converts to 3 channels. */
static void set_pixels(dn_source *out, const unsigned char *data, int w, int h, int stride) {
  const int grey = stride < 3;
  pthread_once(&byte_floats_once, make_byte_floats);
  out->pixels.data = data;
  out->pixels.w = w;
  out->pixels.h = h;
  out->pixels.stride = stride;
  out->pixels.offset[0] = 0;
  out->pixels.offset[1] = grey ? 0 : 1;
  out->pixels.offset[2] = grey ? 0 : 2;
  out->pixels.scale = byte_floats;
}

/* HWC bytes to CHW floats, one pass over the pixels. */
static void to_darknet_floats(const dn_pixels *px, image *im) {
  const size_t area = (size_t)im->w * im->h;
  const unsigned char *data = px->data;
  const int stride = px->stride;
  float *r = im->data, *g = r + area, *b = g + area;
  const unsigned char *r8 = data + px->offset[0], *g8 = data + px->offset[1], *b8 = data + px->offset[2];
  size_t p, at;
  for (p = 0, at = 0; p < area; ++p, at += stride) {
    r[p] = px->scale[r8[at]];
    g[p] = px->scale[g8[at]];
    b[p] = px->scale[b8[at]];
  }
}

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
  return dn_jpeg_soi_end(bytes, (size_t)length) ? 4 : 3;
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

/* stb_image keeps its failure reason in one global (this stb has no
 * thread-local one): decodes on other threads overwrite it. Decodes share
 * this lock; a failed one is decoded again holding it alone, so that the
 * reason read is its own. */
static pthread_rwlock_t stb_lock = PTHREAD_RWLOCK_INITIALIZER;

static int stb_guarded_locked(stb_call *call, dn_error *err) {
  int failed;
  dn_track_allocations_begin();
  failed = dn_guard(stb_run, call, DN_E_IMAGE, err);
  dn_track_allocations_end(failed);
  return failed ? -1 : 0;
}

static int stb_guarded(stb_call *call, dn_error *err) {
  int rc;
  /* stb reads the Huffman tables for its info call too */
  if (!dn_jpeg_huffman_tables_ok(call->bytes, (size_t)call->length)) {
    dn_error_set(err, DN_E_IMAGE, "JPEG with a corrupt Huffman table");
    return -1;
  }
  pthread_rwlock_rdlock(&stb_lock);
  rc = stb_guarded_locked(call, err);
  pthread_rwlock_unlock(&stb_lock);
  return rc;
}

/* The reason a decode failed: the decode again, alone. */
static void stb_failure_reason_alone(stb_call *call, char *reason, size_t size) {
  dn_error err;
  pthread_rwlock_wrlock(&stb_lock);
  if (stb_guarded_locked(call, &err) == 0 && !call->data)
    snprintf(reason, size, "%s", stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");
  else
    snprintf(reason, size, "%s", "unknown reason");
  pthread_rwlock_unlock(&stb_lock);
  if (call->data) stbi_image_free(call->data);
  call->data = NULL;
}

int dn_source_decode(const unsigned char *bytes, size_t length, dn_source *out, dn_error *err) {
  stb_call call = {bytes, (int)length, 0, 0, 0, 0, NULL, 0, 3};
  memset(out, 0, sizeof *out);
  if (length == 0 || length > (size_t)INT_MAX) {
    dn_error_set(err, DN_E_IMAGE, "%zu bytes is not a decodable image size", length);
    return -1;
  }
  if (stb_guarded(&call, err) != 0) {
    char message[DN_MESSAGE_SIZE];
    snprintf(message, sizeof message, "%s", err->message);
    dn_error_set(err, DN_E_IMAGE, "not an image darknet can decode (stb_image: %s)", message);
    return -1;
  }
  if (!call.data) {
    char reason[256];
    stb_failure_reason_alone(&call, reason, sizeof reason);
    dn_error_set(err, DN_E_IMAGE, "not an image darknet can decode (stb_image: %s)", reason);
    return -1;
  }
  if (!size_in_range(call.w, call.h, 3, err)) {
    stbi_image_free(call.data);
    return -1;
  }
  out->owned = call.data;
  set_pixels(out, call.data, call.w, call.h, call.channels);
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

int dn_source_from_pixels(const unsigned char *pixels, int width, int height, int channels, dn_source *out,
                          dn_error *err) {
  memset(out, 0, sizeof *out);
  if (channels < 1 || channels > 4) {
    dn_error_set(err, DN_E_INPUT, "raw pixels need 1 to 4 channels, got %d", channels);
    return -1;
  }
  if (!size_in_range(width, height, 3, err)) return -1;
  set_pixels(out, pixels, width, height, channels);
  return 0;
}

int dn_source_floats(dn_source *source, dn_error *err) {
  if (source->im.data) return 0;
  if (alloc_image(source->pixels.w, source->pixels.h, 3, &source->im, err) != 0) return -1;
  to_darknet_floats(&source->pixels, &source->im);
  return 0;
}

void dn_source_free(dn_source *source) {
  if (!source) return;
  free(source->im.data);
  source->im.data = NULL;
  if (source->owned) stbi_image_free(source->owned);
  source->owned = NULL;
  source->pixels.data = NULL;
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

static int encoded_to_source(const dn_input *input, const unsigned char *bytes, size_t length, double pixel_limit,
                             dn_source *out, dn_error *err) {
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
  if (dn_source_decode(bytes, length, out, err) != 0) {
    dn_input_name_error(input, err);
    return -1;
  }
  return 0;
}

int dn_source_from_input(const dn_input *input, double pixel_limit, dn_source *out, dn_error *err) {
  memset(out, 0, sizeof *out);
  err->code = DN_OK;
  err->message[0] = '\0';
  if (input->kind == DN_INPUT_PIXELS) {
    size_t expected = (size_t)(input->width > 0 ? input->width : 0) * (size_t)(input->height > 0 ? input->height : 0) *
                      (size_t)(input->channels > 0 ? input->channels : 0);
    if (input->width <= 0 || input->height <= 0 || expected != input->length) {
      dn_error_set(err, DN_E_INPUT, "raw pixels: length does not match width x height x channels");
      return -1;
    }
    if (dn_source_from_pixels(input->bytes, input->width, input->height, input->channels, out, err) != 0) {
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
    rc = encoded_to_source(input, bytes, length, pixel_limit, out, err);
    free(bytes);
    return rc;
  }
  return encoded_to_source(input, input->bytes, input->length, pixel_limit, out, err);
}

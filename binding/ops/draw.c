/* See draw.h. */
#include "draw.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/platform_file.h"

#include "encode/stb_write.h"

#define ALPHABET_SIZES 8
#define ALPHABET_FIRST 32
#define ALPHABET_LAST 126

static pthread_mutex_t alphabet_lock = PTHREAD_MUTEX_INITIALIZER;
static image **alphabet; /* set once, under the lock */

typedef struct alphabet_load {
  const char *dir;
  image **table;
} alphabet_load;

static void load_run(void *arg) {
  alphabet_load *a = (alphabet_load *)arg;
  int i, j;
  char path[4200];
  for (j = 0; j < ALPHABET_SIZES; ++j) {
    for (i = ALPHABET_FIRST; i <= ALPHABET_LAST; ++i) {
      snprintf(path, sizeof path, "%s/%d_%d.png", a->dir, i, j);
      a->table[j][i] = load_image_color(path, 0, 0);
    }
  }
}

static void free_table(image **table) {
  int i, j;
  if (!table) return;
  for (j = 0; j < ALPHABET_SIZES; ++j) {
    if (!table[j]) continue;
    for (i = 0; i < 128; ++i) free_image(table[j][i]);
    free(table[j]);
  }
  free(table);
}

/* load_alphabet's tables: 8 arrays of 128 images, the unused ones empty
 * (w = h = 0, data NULL: what get_label tiles for a byte below 32). */
static image **load_alphabet_from(const char *dir, dn_error *err) {
  alphabet_load a;
  char path[4200];
  int i, j;
  if (strlen(dir) > 4000) {
    dn_error_set(err, DN_E_FILE, "darknet's label alphabet: folder name too long");
    return NULL;
  }
  for (j = 0; j < ALPHABET_SIZES; ++j) {
    for (i = ALPHABET_FIRST; i <= ALPHABET_LAST; ++i) {
      snprintf(path, sizeof path, "%s/%d_%d.png", dir, i, j);
      if (!dn_is_regular_file(path)) {
        dn_error_set(err, DN_E_FILE,
                     "darknet's label alphabet (data/labels/, 760 PNGs) is incomplete: %s is missing", path);
        return NULL;
      }
    }
  }
  a.dir = dir;
  a.table = (image **)calloc(ALPHABET_SIZES, sizeof(image *));
  if (!a.table) goto oom;
  for (j = 0; j < ALPHABET_SIZES; ++j) {
    a.table[j] = (image *)calloc(128, sizeof(image));
    if (!a.table[j]) goto oom;
  }
  if (dn_guard(load_run, &a, DN_E_FILE, err) != 0) {
    free_table(a.table);
    return NULL;
  }
  return a.table;
oom:
  free_table(a.table);
  dn_error_set(err, DN_E_DARKNET, "out of memory for darknet's label alphabet");
  return NULL;
}

image **dn_alphabet(const char *dir, dn_error *err) {
  image **table;
  pthread_mutex_lock(&alphabet_lock);
  if (!alphabet) alphabet = load_alphabet_from(dir ? dir : "data/labels", err);
  table = alphabet;
  pthread_mutex_unlock(&alphabet_lock);
  return table;
}

/* ---- encoding ---- */

static void append(void *context, void *data, int size) {
  dn_encoded *out = (dn_encoded *)context;
  if (out->failed || size <= 0) return;
  if ((size_t)size > out->capacity - out->size) {
    size_t capacity = out->capacity ? out->capacity : 65536;
    unsigned char *bytes;
    while ((size_t)size > capacity - out->size) capacity *= 2;
    bytes = (unsigned char *)realloc(out->bytes, capacity);
    if (!bytes) {
      out->failed = 1;
      return;
    }
    out->bytes = bytes;
    out->capacity = capacity;
  }
  memcpy(out->bytes + out->size, data, (size_t)size);
  out->size += (size_t)size;
}

/* save_image_options' pixels: (unsigned char)(255 * value), interleaved.
 * The values darknet draws are in [0, 1]; the clamp only keeps a value
 * outside it from being undefined behaviour. */
static unsigned char *to_bytes(image im) {
  const size_t plane = (size_t)im.w * (size_t)im.h;
  unsigned char *data = (unsigned char *)malloc(plane * (size_t)im.c + 1);
  size_t i;
  int k;
  if (!data) return NULL;
  for (k = 0; k < im.c; ++k) {
    for (i = 0; i < plane; ++i) {
      float v = 255 * im.data[i + (size_t)k * plane];
      if (!(v >= 0)) v = 0;
      if (v > 255) v = 255;
      data[i * (size_t)im.c + (size_t)k] = (unsigned char)v;
    }
  }
  return data;
}

/* ---- drawing ---- */

_Static_assert(DN_DRAW_LABEL_MAX < DN_DRAW_LABEL_BYTES, "the drawn label must fit darknet's labelstr");

static int edge_ok(double v) { return v > (double)INT_MIN && v < (double)INT_MAX; }

/* names for get_label: bytes outside 32..126 as '?', at most DN_DRAW_LABEL_MAX bytes */
static char **safe_names(const char *const *names, int classes) {
  char **copy = (char **)calloc((size_t)classes, sizeof(char *));
  int j;
  if (!copy) return NULL;
  for (j = 0; j < classes; ++j) {
    const char *name = names && names[j] ? names[j] : "";
    size_t n = strlen(name), k;
    if (n > DN_DRAW_LABEL_MAX) n = DN_DRAW_LABEL_MAX;
    copy[j] = (char *)malloc(n + 1);
    if (!copy[j]) {
      while (j-- > 0) free(copy[j]);
      free(copy);
      return NULL;
    }
    for (k = 0; k < n; ++k) {
      unsigned char ch = (unsigned char)name[k];
      copy[j][k] = ch >= 32 && ch <= 126 ? (char)ch : '?';
    }
    copy[j][n] = '\0';
  }
  return copy;
}

int dn_draw_and_encode(image im, const detection *dets, int nboxes, float thresh, const char *const *names,
                       int classes, int coords, image **alphabet_table, dn_draw_format format, dn_encoded *out,
                       dn_error *err) {
  char **drawn_names;
  float *prob = NULL;
  unsigned char *data;
  size_t *lengths;
  int i, j, ok;
  if (im.c != 3) {
    dn_error_set(err, DN_E_INPUT, "drawing needs a 3-channel image, got %d channels", im.c);
    return -1;
  }
  if ((double)im.w * im.h * im.c > INT_MAX / 2) {
    dn_error_set(err, DN_E_INPUT, "drawing: a %dx%d image is more than stb_image_write's int sizes take", im.w, im.h);
    return -1;
  }
  if (classes > DN_DRAW_MAX_CLASSES) {
    dn_error_set(err, DN_E_INPUT,
                 "drawing: %d classes is more than draw_detections' colour formula takes (class*123457 overflows "
                 "int past %d classes)",
                 classes, DN_DRAW_MAX_CLASSES);
    return -1;
  }
  drawn_names = safe_names(names, classes);
  lengths = (size_t *)malloc(sizeof(size_t) * (size_t)(classes > 0 ? classes : 1));
  prob = (float *)malloc(sizeof(float) * (size_t)(classes > 0 ? classes : 1));
  if (!drawn_names || !lengths || !prob) goto oom;
  for (j = 0; j < classes; ++j) lengths[j] = strlen(drawn_names[j]);

  for (i = 0; i < nboxes; ++i) {
    detection d = dets[i];
    const box b = d.bbox;
    size_t label = 0;
    int passing = 0;
    /* the labelstr draw_detections would build: names, ", " between */
    for (j = 0; j < classes; ++j) {
      if (!(d.prob[j] > thresh)) continue;
      label += (passing ? 2 : 0) + lengths[j];
      ++passing;
    }
    if (!passing) continue;
    if (!edge_ok((b.x - b.w / 2.) * im.w) || !edge_ok((b.x + b.w / 2.) * im.w) || !edge_ok((b.y - b.h / 2.) * im.h) ||
        !edge_ok((b.y + b.h / 2.) * im.h))
      continue;
    if (label > DN_DRAW_LABEL_MAX) {
      /* keep the classes whose names fit, in class order */
      size_t used = 0;
      int kept = 0;
      for (j = 0; j < classes; ++j) {
        prob[j] = d.prob[j];
        if (!(d.prob[j] > thresh)) continue;
        if (used + (kept ? 2 : 0) + lengths[j] <= DN_DRAW_LABEL_MAX) {
          used += (kept ? 2 : 0) + lengths[j];
          ++kept;
        } else {
          prob[j] = 0; /* below any thresh darknet compares with (thresh > 0) */
        }
      }
      d.prob = prob;
    }
    /* draw_detections reads 14x14 floats of a mask; make_network_boxes
     * allocates coords - 4 */
    if (d.mask && !(coords - 4 >= 14 * 14 && b.w >= 0 && b.w <= 1 && b.h >= 0 && b.h <= 1)) d.mask = NULL;
    draw_detections(im, &d, 1, thresh, drawn_names, alphabet_table, classes);
  }

  data = to_bytes(im);
  if (!data) goto oom;
  if (format == DN_DRAW_RGB) {
    out->bytes = data; /* the bytes as they are */
    out->size = out->capacity = (size_t)im.w * (size_t)im.h * (size_t)im.c;
    data = NULL;
    ok = 1;
  } else if (format == DN_DRAW_PNG) {
    ok = dn_stbi_write_png_to_func(append, out, im.w, im.h, im.c, data, im.w * im.c);
  } else {
    ok = dn_stbi_write_jpg_to_func(append, out, im.w, im.h, im.c, data, 80);
  }
  free(data);
  if (drawn_names)
    for (j = 0; j < classes; ++j) free(drawn_names[j]);
  free(drawn_names);
  free(lengths);
  free(prob);
  if (out->failed) {
    dn_error_set(err, DN_E_DARKNET, "out of memory for the encoded image");
    return -1;
  }
  if (!ok) {
    dn_error_set(err, DN_E_DARKNET, "stb_image_write could not encode the %dx%d image", im.w, im.h);
    return -1;
  }
  return 0;
oom:
  if (drawn_names)
    for (j = 0; j < classes; ++j) free(drawn_names[j]);
  free(drawn_names);
  free(lengths);
  free(prob);
  dn_error_set(err, DN_E_DARKNET, "out of memory while drawing the detections");
  return -1;
}

int dn_encode_rgb(const unsigned char *rgb, int w, int h, dn_draw_format format, dn_encoded *out, dn_error *err) {
  int ok;
  memset(out, 0, sizeof *out);
  if (w <= 0 || h <= 0 || (double)w * h * 3 > INT_MAX / 2) {
    dn_error_set(err, DN_E_INPUT, "encoding: a %dx%d image is outside stb_image_write's int sizes", w, h);
    return -1;
  }
  if (format == DN_DRAW_PNG)
    ok = dn_stbi_write_png_to_func(append, out, w, h, 3, rgb, w * 3);
  else
    ok = dn_stbi_write_jpg_to_func(append, out, w, h, 3, rgb, 80);
  if (out->failed || !ok) {
    free(out->bytes);
    memset(out, 0, sizeof *out);
    dn_error_set(err, DN_E_DARKNET, "could not encode the %dx%d image (out of memory)", w, h);
    return -1;
  }
  return 0;
}

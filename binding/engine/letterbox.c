/*
 * The fast engine's letterbox_image (see fast_engine.h): darknet's resize_image
 * arithmetic, written row by row so that it vectorizes and computes only the
 * source rows the vertical pass reads, split across the pool by channel and
 * band of rows, straight into the boxed image. Its source is a darknet image
 * or decoded 8-bit pixels, whose rows are converted to floats only when the
 * resize reads them. Checked once against darknet's own resize_image; where
 * it differs (another compiler's darknet), darknet's function runs, one
 * channel per task.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fast_engine.h"
#include "image.h"
#include "shim/guard.h"
#include "sgemm.h"
#include "thread_pool.h"

/* pixels_kernel.c, one build per instruction set: byte / 255.0f. */
typedef void (*pixels_fn)(const unsigned char *in, int stride, int n, float *out);

/* What is resized: a darknet image, or pixels (then im is NULL). */
typedef struct source {
  const image *im;
  const dn_pixels *px;
  int w, h, c;
  pixels_fn kernel; /* the pixels' conversion (pixels_for), or NULL: the caller's table */
} source;
#if defined(__x86_64__) || defined(__i386__)
void dn_pixels_avx512(const unsigned char *in, int stride, int n, float *out);
void dn_pixels_avx512vl(const unsigned char *in, int stride, int n, float *out);
void dn_pixels_avx2(const unsigned char *in, int stride, int n, float *out);
#endif
void dn_pixels_base(const unsigned char *in, int stride, int n, float *out);

/* The selected GEMM kernel's ISA's build, where its strided byte loads
 * vectorize (not SSE2's: the table is faster there), and the 256 floats it
 * gives the bytes. */
static pthread_once_t pixels_once = PTHREAD_ONCE_INIT;
static pixels_fn pixels_kernel;
static float pixels_floats[256];

static void choose_pixels(void) {
  const char *name = dn_kernel_selected()->name;
  unsigned char bytes[3 * 256];
  int b;
#if defined(__x86_64__) || defined(__i386__)
  if (strcmp(name, "avx512") == 0) pixels_kernel = dn_pixels_avx512;
  else if (strcmp(name, "avx512vl") == 0) pixels_kernel = dn_pixels_avx512vl;
  else if (strcmp(name, "avx2") == 0) pixels_kernel = dn_pixels_avx2;
#elif defined(__aarch64__)
  pixels_kernel = dn_pixels_base; /* NEON's */
#endif
  (void)name;
  if (!pixels_kernel) return;
  for (b = 0; b < 3 * 256; ++b) bytes[b] = (unsigned char)(b / 3);
  pixels_kernel(bytes, 3, 256, pixels_floats);
}

/* Source row y of channel k as floats: the image's own, or the pixels'
 * bytes into buf (w floats): through the caller's table, or the kernel
 * where it gives the table's 256 floats. */
static const float *source_row(const source *s, int k, int y, float *restrict buf) {
  const dn_pixels *p = s->px;
  const unsigned char *in;
  int x;
  if (s->im) return s->im->data + ((size_t)k * s->h + y) * s->w;
  in = p->data + (size_t)y * p->w * p->stride + p->offset[k];
  if (s->kernel) {
    s->kernel(in, p->stride, p->w, buf);
    return buf;
  }
  for (x = 0; x < p->w; ++x) buf[x] = p->scale[in[(size_t)x * p->stride]];
  return buf;
}

/* The kernel for these pixels, or NULL (the table). */
static pixels_fn pixels_for(const dn_pixels *p) {
  pthread_once(&pixels_once, choose_pixels);
  return pixels_kernel && memcmp(pixels_floats, p->scale, sizeof pixels_floats) == 0 ? pixels_kernel : NULL;
}

/* resize_image's horizontal pass for one source row: out[c] for c < w. */
static void resize_row(const float *restrict row, int src_w, int w, float w_scale, float *restrict out) {
  int c;
  for (c = 0; c < w - 1; ++c) {
    if (src_w == 1) {
      out[c] = row[0];
    } else {
      const float sx = c * w_scale;
      const int ix = (int)sx;
      const float dx = sx - ix;
      out[c] = (1 - dx) * row[ix] + dx * row[ix + 1];
    }
  }
  out[w - 1] = row[src_w - 1];
}

/* resize_image's vertical pass, rows [r0, r1) of channel k of the w x h
 * resize, written at (left, top) of the boxed image's plane. scratch: 2 w +
 * the source's width floats. */
static void resize_rows(const source *src, int k, int w, int h, int r0, int r1, float *plane, int plane_w, int left,
                        int top, float *scratch) {
  const float w_scale = (float)(src->w - 1) / (w - 1), h_scale = (float)(src->h - 1) / (h - 1);
  float *upper = scratch, *lower = scratch + w, *converted = scratch + 2 * (size_t)w;
  int have_upper = -1, have_lower = -1, r, c;
  for (r = r0; r < r1; ++r) {
    const float sy = r * h_scale;
    const int iy = (int)sy;
    const float dy = sy - iy;
    float *out = plane + (size_t)(top + r) * plane_w + left;
    if (have_upper != iy) {
      if (have_lower == iy) {
        float *t = upper;
        upper = lower;
        lower = t;
        have_lower = have_upper;
      } else {
        resize_row(source_row(src, k, iy, converted), src->w, w, w_scale, upper);
      }
      have_upper = iy;
    }
    for (c = 0; c < w; ++c) out[c] = (1 - dy) * upper[c];
    if (r == h - 1 || src->h == 1) continue;
    if (have_lower != iy + 1) {
      resize_row(source_row(src, k, iy + 1, converted), src->w, w, w_scale, lower);
      have_lower = iy + 1;
    }
    for (c = 0; c < w; ++c) out[c] = out[c] + dy * lower[c];
  }
}

typedef struct letterbox_job {
  source src;
  image resized[4], boxed;
  int new_w, new_h, dx, dy;
  int bands;   /* row bands per channel */
  int convert; /* pixels already the box's size: rows converted, not resized */
  int failed;
} letterbox_job;

/* One band of one channel: our rows. */
static void band_task(void *context, int task) {
  letterbox_job *job = (letterbox_job *)context;
  const int k = task / job->bands, band = task % job->bands;
  const int per = (job->new_h + job->bands - 1) / job->bands;
  const int r0 = band * per, r1 = r0 + per < job->new_h ? r0 + per : job->new_h;
  float *plane = job->boxed.data + (size_t)k * job->boxed.w * job->boxed.h, *scratch;
  int r;
  if (r0 >= r1) return;
  if (job->convert) {
    for (r = r0; r < r1; ++r) source_row(&job->src, k, r, plane + (size_t)r * job->boxed.w);
    return;
  }
  scratch = (float *)malloc(sizeof(float) * (2 * (size_t)job->new_w + (size_t)job->src.w));
  if (!scratch) {
    job->failed = 1;
    return;
  }
  resize_rows(&job->src, k, job->new_w, job->new_h, r0, r1, plane, job->boxed.w, job->dx, job->dy, scratch);
  free(scratch);
}

/* darknet's resize_image and embed_image on one channel of an image: its own code. */
static void darknet_task(void *context, int k) {
  letterbox_job *job = (letterbox_job *)context;
  image plane = *job->src.im, target = job->boxed;
  plane.c = 1;
  plane.data += (size_t)k * plane.w * plane.h;
  target.c = 1;
  target.data += (size_t)k * target.w * target.h;
  job->resized[k] = resize_image(plane, job->new_w, job->new_h);
  embed_image(job->resized[k], target, job->dx, job->dy);
}

/* Whether our rows give resize_image's bits: a few shapes (down and up, a
 * 1-pixel-wide and a 1-pixel-high source) of arbitrary floats. */
static pthread_once_t check_once = PTHREAD_ONCE_INIT;
static int rows_exact;

static void check_rows(void) {
  static const int shapes[][4] = {{37, 23, 19, 29}, {768, 576, 224, 168}, {5, 9, 13, 11}, {1, 7, 3, 5}, {7, 1, 4, 3}};
  unsigned seed = 2024;
  size_t s;
  int same = 1;
  for (s = 0; s < sizeof shapes / sizeof shapes[0] && same; ++s) {
    const int sw = shapes[s][0], sh = shapes[s][1], w = shapes[s][2], h = shapes[s][3];
    image src = make_image(sw, sh, 1), theirs;
    const source from = {&src, NULL, sw, sh, 1, NULL};
    float *ours = (float *)malloc(sizeof(float) * (size_t)w * h), *scratch = (float *)malloc(sizeof(float) * (2 * w + sw));
    int i;
    if (!ours || !scratch || !src.data) {
      same = 0;
    } else {
      for (i = 0; i < sw * sh; ++i) {
        seed = seed * 1664525u + 1013904223u;
        src.data[i] = (float)(seed >> 8) / 16777216.0f;
      }
      theirs = resize_image(src, w, h);
      resize_rows(&from, 0, w, h, 0, h, ours, w, 0, 0, scratch);
      same = memcmp(ours, theirs.data, sizeof(float) * (size_t)w * h) == 0;
      free_image(theirs);
    }
    free(ours);
    free(scratch);
    free_image(src);
  }
  rows_exact = same;
}

int dn_fast_letterbox_exact(void) {
  pthread_once(&check_once, check_rows);
  return rows_exact;
}

/* Enough bands for every thread, each a few rows at least. */
static int bands_for(int rows, int channels) {
  const int bands = (2 * dn_pool_threads() + channels - 1) / channels;
  if (bands <= rows / 4) return bands;
  return rows / 4 > 0 ? rows / 4 : 1;
}

/* A w x h x c image whose floats the caller writes every one of (darknet's
 * make_image zeroes them first). free_image frees it. */
static image uninitialized_image(int w, int h, int c) {
  image im;
  im.w = w;
  im.h = h;
  im.c = c;
  im.data = (float *)malloc(sizeof(float) * (size_t)w * h * c);
  if (!im.data) dn_shim_fatal("out of memory for the letterboxed image");
  return im;
}

/* The pixels converted whole, in bands: darknet's float image of them. */
static image converted(const source *src) {
  letterbox_job job;
  memset(&job, 0, sizeof job);
  job.src = *src;
  job.new_w = src->w;
  job.new_h = src->h;
  job.convert = 1;
  job.boxed = uninitialized_image(src->w, src->h, src->c);
  job.bands = bands_for(src->h, src->c);
  dn_parallel_for(src->c * job.bands, band_task, &job);
  return job.boxed;
}

static image letterbox(const source *src, int w, int h) {
  letterbox_job job;
  image floats;
  int k;
  memset(&job, 0, sizeof job);
  /* letterbox_image's arithmetic, verbatim. */
  job.new_w = src->w;
  job.new_h = src->h;
  if (((float)w / src->w) < ((float)h / src->h)) {
    job.new_w = w;
    job.new_h = (src->h * w) / src->w;
  } else {
    job.new_h = h;
    job.new_w = (src->w * h) / src->h;
  }
  job.dx = (w - job.new_w) / 2;
  job.dy = (h - job.new_h) / 2;
  job.src = *src;
  job.boxed = uninitialized_image(w, h, src->c);
  fill_image(job.boxed, .5);
  if (dn_fast_letterbox_exact()) {
    job.bands = bands_for(job.new_h, src->c);
    dn_parallel_for(src->c * job.bands, band_task, &job);
    if (!job.failed) return job.boxed;
    fill_image(job.boxed, .5); /* out of memory for a row: darknet's way */
  }
  /* darknet's way reads a float image: the pixels', converted first */
  floats = src->im ? *src->im : converted(src);
  job.src.im = &floats;
  dn_parallel_for(src->c, darknet_task, &job);
  for (k = 0; k < src->c; ++k) free_image(job.resized[k]);
  if (!src->im) free_image(floats);
  return job.boxed;
}

image dn_fast_letterbox(image im, int w, int h) {
  const source src = {&im, NULL, im.w, im.h, im.c, NULL};
  /* Already the network's size: darknet's resize_image to the same size
   * weighs each pixel by exactly 1 and its neighbour by exactly 0, and
   * embed_image at (0, 0) overwrites the whole box, so letterbox_image gives
   * back the same pixels (finite ones: ours all come from 8-bit samples).
   * The caller frees only an image that is not its own. */
  if (im.w == w && im.h == h && w > 1 && h > 1) return im;
  if (im.c > 4) return letterbox_image(im, w, h);
  return letterbox(&src, w, h);
}

image dn_fast_letterbox_pixels(const dn_pixels *pixels, int w, int h) {
  const source src = {NULL, pixels, pixels->w, pixels->h, 3, pixels_for(pixels)};
  /* the same pixels as a darknet image would give (dn_fast_letterbox) */
  if (pixels->w == w && pixels->h == h && w > 1 && h > 1) return converted(&src);
  return letterbox(&src, w, h);
}

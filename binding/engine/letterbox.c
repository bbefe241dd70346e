/*
 * The fast engine's letterbox_image (see fast_engine.h): darknet's resize_image
 * arithmetic, written row by row so that it vectorizes and computes only the
 * source rows the vertical pass reads, split across the pool by channel and
 * band of rows, straight into the boxed image. Checked once against darknet's
 * own resize_image; where it differs (another compiler's darknet), darknet's
 * function runs, one channel per task.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fast_engine.h"
#include "image.h"
#include "thread_pool.h"

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
 * resize, written at (left, top) of the boxed image's plane. */
static void resize_rows(const image *src, int k, int w, int h, int r0, int r1, float *plane, int plane_w, int left,
                        int top, float *scratch) {
  const float w_scale = (float)(src->w - 1) / (w - 1), h_scale = (float)(src->h - 1) / (h - 1);
  const float *channel = src->data + (size_t)k * src->w * src->h;
  float *upper = scratch, *lower = scratch + w;
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
        resize_row(channel + (size_t)iy * src->w, src->w, w, w_scale, upper);
      }
      have_upper = iy;
    }
    for (c = 0; c < w; ++c) out[c] = (1 - dy) * upper[c];
    if (r == h - 1 || src->h == 1) continue;
    if (have_lower != iy + 1) {
      resize_row(channel + (size_t)(iy + 1) * src->w, src->w, w, w_scale, lower);
      have_lower = iy + 1;
    }
    for (c = 0; c < w; ++c) out[c] = out[c] + dy * lower[c];
  }
}

typedef struct letterbox_job {
  image source, resized[4], boxed;
  int new_w, new_h, dx, dy;
  int bands; /* row bands per channel */
  int failed;
} letterbox_job;

/* One band of one channel: our rows. */
static void band_task(void *context, int task) {
  letterbox_job *job = (letterbox_job *)context;
  const int k = task / job->bands, band = task % job->bands;
  const int per = (job->new_h + job->bands - 1) / job->bands;
  const int r0 = band * per, r1 = r0 + per < job->new_h ? r0 + per : job->new_h;
  float *scratch;
  if (r0 >= r1) return;
  scratch = (float *)malloc(sizeof(float) * 2 * (size_t)job->new_w);
  if (!scratch) {
    job->failed = 1;
    return;
  }
  resize_rows(&job->source, k, job->new_w, job->new_h, r0, r1, job->boxed.data + (size_t)k * job->boxed.w * job->boxed.h,
              job->boxed.w, job->dx, job->dy, scratch);
  free(scratch);
}

/* darknet's resize_image and embed_image on one channel: its own code. */
static void darknet_task(void *context, int k) {
  letterbox_job *job = (letterbox_job *)context;
  image plane = job->source, target = job->boxed;
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
    float *ours = (float *)malloc(sizeof(float) * (size_t)w * h), *scratch = (float *)malloc(sizeof(float) * 2 * w);
    int i;
    if (!ours || !scratch || !src.data) {
      same = 0;
    } else {
      for (i = 0; i < sw * sh; ++i) {
        seed = seed * 1664525u + 1013904223u;
        src.data[i] = (float)(seed >> 8) / 16777216.0f;
      }
      theirs = resize_image(src, w, h);
      resize_rows(&src, 0, w, h, 0, h, ours, w, 0, 0, scratch);
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

image dn_fast_letterbox(image im, int w, int h) {
  letterbox_job job;
  int k;
  /* Already the network's size: darknet's resize_image to the same size
   * weighs each pixel by exactly 1 and its neighbour by exactly 0, and
   * embed_image at (0, 0) overwrites the whole box, so letterbox_image gives
   * back the same pixels (finite ones: ours all come from 8-bit samples).
   * The caller frees only an image that is not its own. */
  if (im.w == w && im.h == h && w > 1 && h > 1) return im;
  if (im.c > 4) return letterbox_image(im, w, h);
  /* letterbox_image's arithmetic, verbatim. */
  job.new_w = im.w;
  job.new_h = im.h;
  if (((float)w / im.w) < ((float)h / im.h)) {
    job.new_w = w;
    job.new_h = (im.h * w) / im.w;
  } else {
    job.new_h = h;
    job.new_w = (im.w * h) / im.h;
  }
  job.dx = (w - job.new_w) / 2;
  job.dy = (h - job.new_h) / 2;
  job.source = im;
  job.failed = 0;
  job.boxed = make_image(w, h, im.c);
  fill_image(job.boxed, .5);
  if (dn_fast_letterbox_exact()) {
    /* enough bands for every thread, each a few rows at least */
    const int threads = dn_pool_threads();
    job.bands = (2 * threads + im.c - 1) / im.c;
    if (job.bands > job.new_h / 4) job.bands = job.new_h / 4 > 0 ? job.new_h / 4 : 1;
    dn_parallel_for(im.c * job.bands, band_task, &job);
    if (!job.failed) return job.boxed;
    fill_image(job.boxed, .5); /* out of memory for a row: darknet's way */
  }
  dn_parallel_for(im.c, darknet_task, &job);
  for (k = 0; k < im.c; ++k) free_image(job.resized[k]);
  return job.boxed;
}

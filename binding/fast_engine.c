/* The fast engine (see fast_engine.h). */
#include "fast_engine.h"

#include <float.h>
#include <pthread.h>
#include <stdlib.h>

#include "activations.h"
#include "blas.h"
#include "convolutional_layer.h"
#include "guard.h"
#include "image.h"
#include "maxpool_layer.h"
#include "sgemm.h"
#include "thread_pool.h"

int dn_fast_layer_supported(const layer *l) {
  if (l->batch != 1) return 0;
  if (l->type == CONVOLUTIONAL) return l->groups == 1 && !l->xnor && !l->binary;
  return l->type == MAXPOOL;
}

const char *dn_fast_kernel_name(void) { return dn_kernel_selected()->name; }

/* Batch norm (inference), bias and activation on rows [m0, m1) x columns
 * [n0, n1) of a convolution's output, with darknet's own functions in
 * forward_convolutional_layer's order. */
static void conv_epilogue(void *context, float *c, int ldc, int m0, int m1, int n0, int n1) {
  const layer *l = (const layer *)context;
  const int len = n1 - n0;
  int f;
  for (f = m0; f < m1; ++f) {
    float *row = c + (size_t)f * ldc + n0;
    const float scale = l->batch_normalize ? l->scales[f] : 1.0f, bias = l->biases[f];
    /* normalize_cpu stays darknet's own, on whole rows as darknet calls it:
     * -Ofast compiles its vector loop (a reciprocal) and its scalar tail (a
     * division) differently, so an element's bits depend on where it falls
     * in the span, and how depends on how darknet was compiled. */
    if (l->batch_normalize) normalize_cpu(row, l->rolling_mean + f, l->rolling_variance + f, 1, 1, len);
    /* scale_bias, add_bias and the activation: one pass (sgemm_epilogue.c). */
    dn_kernel_selected()->epilogue(row, len, scale, bias, l->activation == LEAKY);
    if (l->activation != LEAKY && l->activation != LINEAR) activate_array(row, len, l->activation);
  }
}

static void forward_convolution(layer *l, const float *input) {
  /* As forward_convolutional_layer: a 1x1 convolution multiplies the input
   * itself (row stride out_w*out_h, whatever the stride), others im2col. */
  dn_matrix_b b;
  b.data = input;
  b.channels = l->c;
  b.height = l->h;
  b.width = l->w;
  b.ksize = l->size == 1 ? 0 : l->size;
  b.stride = l->stride;
  b.pad = l->pad;
  b.out_w = l->out_w;
  if (dn_sgemm(l->n, l->out_w * l->out_h, l->size * l->size * l->c, l->weights, &b, l->output,
               conv_epilogue, l) != 0) {
    dn_shim_fatal("out of memory for the fast engine's scratch buffers");
  }
}

typedef struct maxpool_job {
  const layer *l;
  network net;
  int chunk;
} maxpool_job;

/* forward_maxpool_layer's arithmetic on a slice of the channels, without the
 * argmax indexes that only training reads. */
static void maxpool_task(void *context, int task) {
  maxpool_job *job = (maxpool_job *)context;
  const layer *l = job->l;
  const int c0 = task * job->chunk, c1 = c0 + job->chunk < l->c ? c0 + job->chunk : l->c;
  const int offset = -l->pad / 2, size = l->size, stride = l->stride;
  int k, i, j, n, m;
  for (k = c0; k < c1; ++k) {
    const float *in = job->net.input + (size_t)k * l->h * l->w;
    float *out = l->output + (size_t)k * l->out_h * l->out_w;
    for (i = 0; i < l->out_h; ++i) {
      const int y0 = offset + i * stride;
      const int rows_inside = y0 >= 0 && y0 + size <= l->h;
      for (j = 0; j < l->out_w; ++j) {
        const int x0 = offset + j * stride;
        float max = -FLT_MAX;
        if (rows_inside && x0 >= 0 && x0 + size <= l->w) {
          for (n = 0; n < size; ++n)
            for (m = 0; m < size; ++m) {
              float val = in[(size_t)(y0 + n) * l->w + x0 + m];
              max = (val > max) ? val : max;
            }
        } else {
          for (n = 0; n < size; ++n)
            for (m = 0; m < size; ++m) {
              int y = y0 + n, x = x0 + m;
              float val = (y >= 0 && y < l->h && x >= 0 && x < l->w) ? in[(size_t)y * l->w + x] : -FLT_MAX;
              max = (val > max) ? val : max;
            }
        }
        out[i * l->out_w + j] = max;
      }
    }
  }
}

static void forward_maxpool(const layer *l, network net) {
  maxpool_job job;
  int tasks = 4 * dn_pool_threads();
  if (tasks > l->c) tasks = l->c;
  job.l = l;
  job.net = net;
  job.chunk = (l->c + tasks - 1) / tasks;
  dn_parallel_for((l->c + job.chunk - 1) / job.chunk, maxpool_task, &job);
}

/* Where the layers we run write, when every layer reads only the one before
 * it: a pair of buffers used in turn, instead of one buffer per layer. The
 * layers' own output buffers (darknet allocates them all; never written
 * here) then stay untouched, out of the process's resident memory. Pairs are
 * pooled: as many as predictions have run at once, whichever threads ran them. */
struct dn_relay {
  float *buffer[2];
  size_t floats;
  struct dn_relay *next;
};

static pthread_mutex_t relay_lock = PTHREAD_MUTEX_INITIALIZER;
static dn_relay *relay_free;

dn_relay *dn_relay_acquire(void) {
  dn_relay *relay;
  pthread_mutex_lock(&relay_lock);
  relay = relay_free;
  if (relay) relay_free = relay->next;
  pthread_mutex_unlock(&relay_lock);
  if (!relay) relay = (dn_relay *)calloc(1, sizeof(dn_relay));
  return relay;
}

void dn_relay_release(dn_relay *relay) {
  if (!relay) return;
  pthread_mutex_lock(&relay_lock);
  relay->next = relay_free;
  relay_free = relay;
  pthread_mutex_unlock(&relay_lock);
}

static int chain_only(const network *net) {
  int i;
  for (i = 0; i < net->n; ++i) {
    LAYER_TYPE t = net->layers[i].type;
    if (t != CONVOLUTIONAL && t != MAXPOOL && t != AVGPOOL && t != SOFTMAX && t != COST && t != CONNECTED) return 0;
  }
  return 1;
}

static int relay_ready(dn_relay *relay, const network *net) {
  size_t need = 0;
  int i, k;
  if (!relay) return 0;
  for (i = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    if (dn_fast_layer_supported(l) && (size_t)l->outputs > need) need = (size_t)l->outputs;
  }
  if (need <= relay->floats) return 1;
  for (k = 0; k < 2; ++k) {
    free(relay->buffer[k]);
    relay->buffer[k] = (float *)malloc(sizeof(float) * need);
  }
  relay->floats = relay->buffer[0] && relay->buffer[1] ? need : 0;
  return relay->floats != 0;
}

float *dn_fast_predict(network *netp, float *input, dn_relay *relay) {
  /* network_predict + forward_network, without the training-only work
   * (zeroing every layer's delta, the cost). */
  network net = *netp;
  int i, turn = 0;
  const int relayed = chain_only(netp) && relay_ready(relay, netp);
  net.input = input;
  net.truth = 0;
  net.train = 0;
  net.delta = 0;
  for (i = 0; i < net.n; ++i) {
    layer l = net.layers[i];
    const int ours = dn_fast_layer_supported(&l);
    net.index = i;
    if (relayed && ours && l.output != netp->output) {
      l.output = relay->buffer[turn]; /* this copy only: darknet's layer keeps its own */
      turn ^= 1;
    }
    if (ours) {
      if (l.type == CONVOLUTIONAL) {
        forward_convolution(&l, net.input);
      } else {
        forward_maxpool(&l, net);
      }
    } else {
      l.forward(l, net);
    }
    net.input = l.output;
    if (l.truth) net.truth = l.output;
  }
  return netp->output;
}

typedef struct letterbox_job {
  image source, resized[4], boxed;
  int new_w, new_h, dx, dy;
} letterbox_job;

/* darknet's resize_image and embed_image on one channel: its own code, so the
 * same pixels, with the channels in parallel. */
static void letterbox_task(void *context, int k) {
  letterbox_job *job = (letterbox_job *)context;
  image plane = job->source, target = job->boxed;
  plane.c = 1;
  plane.data += (size_t)k * plane.w * plane.h;
  target.c = 1;
  target.data += (size_t)k * target.w * target.h;
  job->resized[k] = resize_image(plane, job->new_w, job->new_h);
  embed_image(job->resized[k], target, job->dx, job->dy);
}

image dn_fast_letterbox(image im, int w, int h) {
  letterbox_job job;
  int k;
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
  job.boxed = make_image(w, h, im.c);
  fill_image(job.boxed, .5);
  dn_parallel_for(im.c, letterbox_task, &job);
  for (k = 0; k < im.c; ++k) free_image(job.resized[k]);
  return job.boxed;
}

/* The first layer's convolution with the max-pool after it (see conv_pool.h):
 * the shapes it takes, its weights' packing, and the driver that pads the
 * input and cuts the pooled rows into tasks for the pool. */
#include "conv_pool.h"

#include <stdlib.h>
#include <string.h>

#include "fast_isa.h"
#include "scratch.h"
#include "sgemm.h"
#include "thread_pool.h"


int dn_conv_pool_conv_shape(const layer *conv) {
  return conv->type == CONVOLUTIONAL && conv->groups == 1 && conv->size == 3 && conv->stride == 1 && conv->pad == 1 &&
         conv->c >= 1 && conv->c <= DN_CONV_POOL_MAX_CHANNELS && conv->out_w == conv->w && conv->out_h == conv->h &&
         (conv->activation == LEAKY || conv->activation == LINEAR);
}

int dn_conv_pool_pool_shape(const layer *conv, const layer *pool) {
  /* forward_maxpool_layer's window for output (i, j) starts at -pad/2 +
   * 2i, 2j: with pad 0 or 1, inside the image for every output of an even
   * size */
  return pool->type == MAXPOOL && pool->size == 2 && pool->stride == 2 && pool->pad / 2 == 0 && pool->c == conv->n &&
         pool->w == conv->out_w && pool->h == conv->out_h && 2 * pool->out_w == pool->w && 2 * pool->out_h == pool->h;
}

int dn_conv_pool_pair(const layer *conv, const layer *pool) {
  return dn_conv_pool_conv_shape(conv) && dn_conv_pool_pool_shape(conv, pool);
}

float *dn_conv_pool_pack(const float *weights, int K, int C) {
  const int blocks = (K + DN_CONV_POOL_FILTERS - 1) / DN_CONV_POOL_FILTERS, steps = 9 * C;
  float *packed = (float *)calloc((size_t)blocks * steps * DN_CONV_POOL_FILTERS, sizeof(float));
  int f, k;
  if (!packed) return NULL;
  for (f = 0; f < K; ++f)
    for (k = 0; k < steps; ++k)
      packed[((size_t)(f / DN_CONV_POOL_FILTERS) * steps + k) * DN_CONV_POOL_FILTERS + f % DN_CONV_POOL_FILTERS] =
          weights[(size_t)f * steps + k];
  return packed;
}

#define MOST_VEC 16 /* the widest ISA's floats per vector: the padded rows' room */

typedef struct conv_pool_job {
  dn_conv_pool p;
  dn_conv_pool_fn run;
  const float *in;
  int h, w, rows; /* rows: padded rows per padding task, then pooled rows per task */
} conv_pool_job;

/* Padded rows [task * rows, +rows) over all the channels' planes. */
static void pad_task(void *arg, int task) {
  conv_pool_job *j = (conv_pool_job *)arg;
  const int total = j->p.C * j->p.ph, r0 = task * j->rows, r1 = r0 + j->rows < total ? r0 + j->rows : total;
  const size_t pw = (size_t)j->p.pw;
  int r;
  for (r = r0; r < r1; ++r) {
    const int c = r / j->p.ph, y = r % j->p.ph - 1;
    float *row = (float *)j->p.padded + (size_t)r * pw;
    if (y < 0 || y >= j->h) {
      memset(row, 0, sizeof(float) * pw);
      continue;
    }
    row[0] = 0;
    memcpy(row + 1, j->in + ((size_t)c * j->h + y) * j->w, sizeof(float) * (size_t)j->w);
    memset(row + 1 + j->w, 0, sizeof(float) * (pw - 1 - (size_t)j->w));
  }
}

static void rows_task(void *arg, int task) {
  conv_pool_job *j = (conv_pool_job *)arg;
  const int r0 = task * j->rows, r1 = r0 + j->rows < j->p.out_h ? r0 + j->rows : j->p.out_h;
  j->run(&j->p, r0, r1);
}

int dn_conv_pool_forward(const float *packed, const float *bias, int act, int K, int C, int h, int w, const float *in,
                         float *out) {
  conv_pool_job j;
  const int tasks = 4 * dn_pool_threads();
  float *padded;
  j.p.C = C;
  j.p.ph = h + 2;
  /* (room for the last vectors' reads: two of the widest past the last pooled column's block) */
  j.p.pw = 2 * ((w / 2 + MOST_VEC - 1) / MOST_VEC * MOST_VEC) + 2;
  padded = dn_scratch(DN_SCRATCH_CONV_POOL_PADDED, (size_t)C * j.p.ph * j.p.pw);
  if (!padded) return -1;
  j.p.padded = padded;
  j.p.weights = packed;
  j.p.bias = bias;
  j.p.K = K;
  j.p.act = act;
  j.p.out = out;
  j.p.out_h = h / 2;
  j.p.out_w = w / 2;
  j.run = dn_fast_isa_selected()->conv_pool;
  j.in = in;
  j.h = h;
  j.w = w;
  j.rows = (C * j.p.ph + tasks - 1) / tasks;
  dn_parallel_for((C * j.p.ph + j.rows - 1) / j.rows, pad_task, &j);
  j.rows = (j.p.out_h + tasks - 1) / tasks;
  dn_parallel_for((j.p.out_h + j.rows - 1) / j.rows, rows_task, &j);
  return 0;
}

/*
 * The fast precision's convolution of a few input channels (a network's
 * first layer: 3x3, stride 1, pad 1) together with the 2x2, stride-2
 * max-pool after it: two rows of the convolution at a time in registers,
 * finished (bias, leaky) and pooled in darknet's order of comparisons, only
 * the pooled output written. Each output is the arithmetic of the fused GEMM
 * kernel (its k order, an FMA a step where the ISA has one, the same
 * epilogue) and then of the engine's max-pool, to the bit; what it saves is
 * writing and reading back the convolution's output (yolov3-tiny at 416:
 * 11 MB). fast_engine.c decides where it runs (only the pool reads the
 * convolution's output).
 */
#ifndef DARKNET_NAPI_CONV_POOL_H
#define DARKNET_NAPI_CONV_POOL_H

#include <stddef.h>

#include "darknet.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DN_CONV_POOL_MAX_CHANNELS 4 /* input channels: a first layer's (more would want the GEMM's blocking) */
#define DN_CONV_POOL_FILTERS 4      /* filters side by side in the packed weights */

/* One call's work for the per-ISA kernels (conv_pool_kernel.c). */
typedef struct dn_conv_pool {
  const float *padded; /* the input, C planes of ph x pw, zeros around the image from (1, 1) */
  int C, ph, pw;
  const float *weights; /* dn_conv_pool_pack's */
  const float *bias;
  int K, act;  /* filters; DN_ACT_LEAKY or DN_ACT_LINEAR */
  float *out;  /* K planes of out_h x out_w */
  int out_h, out_w;
} dn_conv_pool;

/* Pooled rows [row0, row1) of every filter. */
typedef void (*dn_conv_pool_fn)(const dn_conv_pool *p, int row0, int row1);
void dn_conv_pool_avx512(const dn_conv_pool *p, int row0, int row1);
void dn_conv_pool_avx512vl(const dn_conv_pool *p, int row0, int row1);
void dn_conv_pool_avx2(const dn_conv_pool *p, int row0, int row1);
void dn_conv_pool_base(const dn_conv_pool *p, int row0, int row1);

/* Whether conv (the fast precision's, leaky or linear) then pool are a pair
 * this runs: conv 3x3, stride 1, pad 1, at most DN_CONV_POOL_MAX_CHANNELS
 * input channels; pool 2x2, stride 2, every window inside. */
int dn_conv_pool_conv_shape(const layer *conv);
int dn_conv_pool_pair(const layer *conv, const layer *pool);
/* The pool's part of that: a 2x2, stride-2 max-pool of conv's whole output,
 * every window inside (also what a Winograd F(4,3) layer pools in its
 * output transform, winograd.h). */
int dn_conv_pool_pool_shape(const layer *conv, const layer *pool);

/* K x C x 3 x 3 weights (darknet's order, batch norm folded) in blocks of
 * DN_CONV_POOL_FILTERS filters, each block's weight k side by side (zeros
 * past K): a malloc'd buffer (free() it), or NULL. */
float *dn_conv_pool_pack(const float *weights, int K, int C);

/* pool's output (K planes of h/2 x w/2) from the convolution of `in` (C
 * planes of h x w), across the pool. 0, or -1 when out of memory for its
 * scratch. */
int dn_conv_pool_forward(const float *packed, const float *bias, int act, int K, int C, int h, int w, const float *in,
                         float *out);

#ifdef __cplusplus
}
#endif

#endif

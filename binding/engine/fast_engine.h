/*
 * The fast engine: runs a network darknet parsed and loaded, layer by layer,
 * with our own multi-threaded, vectorized convolution (GEMM with im2col folded
 * into its packing or, for stride 1, read in place from the zero-padded
 * input; batch norm, bias and activation applied per tile while it is in
 * cache) and darknet's own forward functions for every other layer.
 * Same arithmetic in the same order as darknet's CPU build, so the outputs
 * are bit-identical to darknet's (see sgemm_kernel.c).
 */
#ifndef DARKNET_NAPI_FAST_ENGINE_H
#define DARKNET_NAPI_FAST_ENGINE_H

#include "darknet.h"
#include "output_plan.h" /* dn_relay: the arena for the outputs of the layers the engine runs */

#ifdef __cplusplus
extern "C" {
#endif


/* The engine's state for one network (its packed weights), created with the
 * network and freed before it. NULL when out of memory. */
typedef struct dn_engine_context dn_engine_context;
dn_engine_context *dn_engine_create(const network *net);
void dn_engine_free(dn_engine_context *ctx);

/* The fast precision (loadNetwork's { precision: 'fast' }), set before the
 * first pack: batch norm and bias folded into the weights at load, FMA
 * kernels with bias and leaky in their store (sgemm.h: dn_sgemm_fused).
 * Not darknet's bits; test/precision.test.mjs holds it to its contract. */
void dn_engine_set_fast(dn_engine_context *ctx);
int dn_engine_is_fast(const dn_engine_context *ctx);
/* The fast precision's load: every convolution's folded weights and bias,
 * packed now; darknet keeps its own arrays (layerParameters, the ONNX
 * export, darknet's engine read them). 0, or -1 when out of memory. */
int dn_engine_fold_weights(dn_engine_context *ctx, const network *net);

/* How the fast precision runs a convolution, chosen per layer on its first
 * prediction by timing the candidates at the pool's thread count
 * (DARKNET_NAPI_WINOGRAD=off|f2|f4 forces; DARKNET_NAPI_WINOGRAD_LOG=1
 * prints each choice): the GEMM, or Winograd F(2,3) or F(4,3) (winograd.h)
 * for 3x3 stride-1 ones. */
#define DN_ALGO_GEMM 1
#define DN_ALGO_F2 2
#define DN_ALGO_F4 3
/* A max-pool the fast precision ran inside the convolution before it
 * (conv_pool.h, or Winograd's pooling transform). */
#define DN_ALGO_FUSED 4
/* Layer index's: DN_ALGO_*, or 0 (not a convolution the fast precision has
 * run yet, a layer run on its own, or exact precision). */
int dn_engine_layer_algorithm(const dn_engine_context *ctx, int index);

/* Packs the weights of every convolution the engine runs now (not at its
 * first prediction) and frees darknet's copy of them, which the engine never
 * reads: l.weights is then NULL. 0, or -1 when out of memory. */
int dn_engine_take_weights(dn_engine_context *ctx, network *net);
/* Gives darknet its weights back (the same floats, from the panels), before
 * darknet's own forward or anything else reads l.weights. 0, or -1 when out
 * of memory. */
int dn_engine_return_weights(dn_engine_context *ctx, network *net);

/* network_predict, through the fast engine. Runs under dn_guard. relay may be
 * NULL (every layer then writes its own output buffer), as when its arena
 * cannot be allocated. */
float *dn_fast_predict(dn_engine_context *ctx, network *net, float *input, dn_relay *relay);

/* How long the last dn_fast_predict took on each layer, in seconds: the
 * first n layers' into out; returns how many. */
int dn_engine_layer_seconds(const dn_engine_context *ctx, double *out, int n);

/* letterbox_image, with the channels in parallel (the same pixels); an image
 * already w x h comes back as it is (the caller must not free it twice). */
image dn_fast_letterbox(image im, int w, int h);

/* Decoded 8-bit pixels before darknet's float conversion: w x h, `stride`
 * bytes a pixel, channel k of the 3-channel image at byte offset[k] of a
 * pixel; a byte b becomes scale[b] (the caller's table: darknet's rule). */
typedef struct dn_pixels {
  const unsigned char *data;
  int w, h, stride, offset[3];
  const float *scale;
} dn_pixels;
/* letterbox_image of the 3-channel image those pixels make, converting only
 * the rows its resize reads, in bands across the pool: the same floats as
 * converting first. Always a new image (at w x h, the pixels converted). */
image dn_fast_letterbox_pixels(const dn_pixels *pixels, int w, int h);
/* Whether its rows give darknet's resize_image bits (checked once; else it runs darknet's). */
int dn_fast_letterbox_exact(void);

/* Whether the fast engine runs this layer itself (else darknet's forward does). */
int dn_fast_layer_supported(const layer *l);

/* Whether batch norm runs in the convolution's epilogue, per tile (our
 * arithmetic checked once against darknet's normalize_cpu), or as darknet's
 * normalize_cpu on whole rows (DARKNET_NAPI_FUSED_BATCHNORM=0 forces it). */
int dn_fast_batchnorm_fused(void);

/* What the fast precision runs on this CPU: the selected kernel's fused
 * build, with FMA or not (1/0), or -1: the exact kernel and an epilogue pass
 * (its ISA has FMA, the CPU not). */
int dn_fast_precision_fma(void);

/* The GEMM kernel in use ("avx512", "avx2", "sse2", "neon", "generic"). */
const char *dn_fast_kernel_name(void);
/* The i-th kernel this CPU runs, widest first; NULL past the last. */
const char *dn_fast_kernel_runnable(int i);

#ifdef __cplusplus
}
#endif

#endif

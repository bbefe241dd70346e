/*
 * The fast precision's Winograd convolution (loadNetwork's { precision: 'fast' }):
 * a 3x3, stride-1 convolution as F(2,3) or F(4,3) (Lavin & Gray), so 2.25 or
 * 4 times fewer multiplies than the direct GEMM. Weights transformed at load
 * (U = G g G^T, in double, rounded once) into the selected GEMM kernel's A
 * panels, one K x C matrix per point of the alpha x alpha tile (alpha = m + 2);
 * per prediction, blocks of output tiles: the input transform (B^T d B) of
 * each tile, alpha^2 GEMMs through the kernel's fused build, the output
 * transform (A^T M A) with bias and leaky. Each output is one fixed sequence
 * of operations whatever the thread count (deterministic).
 * fast_engine.c times it against the direct GEMM per layer and chooses.
 */
#ifndef DARKNET_NAPI_WINOGRAD_H
#define DARKNET_NAPI_WINOGRAD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One block of tiles (row-major over the output's tiles_w x tiles_h tiles of
 * m x m) for the per-ISA transforms (winograd_kernel.c). */
typedef struct dn_wino_block {
  int m, alpha;       /* F(m,3): alpha = m + 2 */
  int tiles_w, tiles; /* the output's tiles: per row, in all */
  int t0, count;      /* this block's first tile and how many (count <= panels * nr) */
  int panels, nr;     /* its nr-tile panels */
  size_t v_stride;    /* floats from one point's transformed input to the next's (>= panels * C * nr) */
  size_t m_stride;    /* floats from one point's GEMM results to the next's (>= kb * panels * nr) */
} dn_wino_block;

/* Channels [c0, c1) of the zero-padded input (C planes of ph x pw, tile
 * (ty, tx)'s pixels from row ty * m, column tx * m: every tile inside)
 * transformed for the block's tiles into v: point p's, channel c's nr floats
 * (one panel) at v + p * v_stride + (panel * C + c) * nr (lanes past count:
 * anything, finite). */
typedef void (*dn_wino_input_fn)(const dn_wino_block *b, const float *padded, int C, int ph, int pw, int c0, int c1,
                                 float *v);
/* Out channels [k0, k0 + rows) from mbuf (point p's, channel k0 + r's nb
 * floats at mbuf + p * m_stride + r * nb, nb = panels * nr), transformed back,
 * plus bias[k], then act (DN_ACT_*), into out (out_h x out_w planes). The
 * pool form (F(4,3)) max-pools them 2x2 as darknet's 2x2/2 max-pool does,
 * into out's planes of the pooled out_h x out_w. */
typedef void (*dn_wino_output_fn)(const dn_wino_block *b, const float *mbuf, int k0, int rows,
                                  const float *bias, int act, float *out, int out_h, int out_w);

 /* The weight transform, on the fly (winograd.c, for layers whose transformed
 * weights would stream from memory): `chunks` vectors of weights, each as the
 * 9 taps' vectors in a row at src + chunk * 9 * VEC, transformed (G g G^T),
 * point p's vectors in a row at u + p * point_stride. */
typedef void (*dn_wino_weights_fn)(int m, const float *src, int chunks, float *u, size_t point_stride);

#define DN_WINO_DECLARE(isa)                                                                                  \
  void dn_wino_input_##isa(const dn_wino_block *b, const float *padded, int C, int ph, int pw, int c0,      \
                           int c1, float *v);                                                               \
  void dn_wino_output_##isa(const dn_wino_block *b, const float *mbuf, int k0, int rows,                    \
                            const float *bias, int act, float *out, int out_h, int out_w);             \
  void dn_wino_output_pool_##isa(const dn_wino_block *b, const float *mbuf, int k0, int rows,               \
                                 const float *bias, int act, float *out, int out_h, int out_w);        \
  void dn_wino_weights_##isa(int m, const float *src, int chunks, float *u, size_t point_stride);
DN_WINO_DECLARE(avx512)
DN_WINO_DECLARE(avx512vl)
DN_WINO_DECLARE(avx2)
DN_WINO_DECLARE(base)

/* Whether the layer's shape is one Winograd runs: 3x3, stride 1, output the
 * input's size less 2 - 2 * pad. */
int dn_winograd_shape(int size, int stride, int pad, int h, int w, int out_h, int out_w);

/* K x C x 3 x 3 weights (darknet's order) for F(m,3) with the selected
 * kernel and an out_h x out_w output: its transformed panels, or, where
 * those would stream from memory at every prediction, the weights only
 * reordered for the transform on the fly; a malloc'd buffer (free() it), or
 * NULL. */
float *dn_winograd_pack(int m, const float *weights, int K, int C, int out_h, int out_w);

/* Whether dn_winograd_pack keeps this shape's weights for the transform on
 * the fly (with the selected kernel). */
int dn_winograd_on_the_fly(int m, int K, int C, int out_h, int out_w);

/* out (K planes of out_h x out_w) = the convolution of in (C planes of
 * h x w) with the packed weights u (dn_winograd_pack's for this shape); or,
 * where pooled is given (F(4,3), even out_h and out_w), its 2x2/2 max-pool
 * into pooled (K planes of out_h / 2 x out_w / 2), out not written; plus bias, then act (DN_ACT_*), across
 * the pool. 0, or -1 when out of memory for its scratch. Needs the selected
 * kernel's fused build (dn_kernel_fused_usable). */
int dn_winograd_forward(int m, const float *u, const float *bias, int act, int K, int C, int h, int w, int pad,
                        const float *in, float *out, int out_h, int out_w, float *pooled);

#ifdef __cplusplus
}
#endif

#endif

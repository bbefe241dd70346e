/*
 * The convolution with the max-pool after it (conv_pool.h), compiled once per
 * instruction set beside the GEMM kernels (cmake/kernels.cmake:
 * -DDN_CONV_POOL_NAME, -DDN_VEC, the ISA's flags and the fast precision's
 * contraction, as the fused GEMM kernel). Lane l of a vector is a column of
 * the convolution: two vectors of two rows make one vector of the pool.
 */
#include "conv_pool.h"

#include <float.h>

#include "vec.h"

/* Filters a pass keeps in registers: 4 x 2 rows x 2 vectors with AVX-512's
 * 32 registers, 2 with 16. */
#if defined(__AVX512F__)
#define PASS 4
#else
#define PASS 2
#endif

/* Filters [f0, f0 + nf) at pooled row py, pooled columns [px0, px0 + VEC). */
static inline __attribute__((always_inline)) void pass(const dn_conv_pool *p, const int nf, int f0, int py, int px0) {
  const float *w = p->weights + (size_t)(f0 / DN_CONV_POOL_FILTERS) * 9 * p->C * DN_CONV_POOL_FILTERS +
                   f0 % DN_CONV_POOL_FILTERS;
  const size_t pw = (size_t)p->pw;
  vec acc[PASS][2][2];
  int f, r, v, c, k;
  for (f = 0; f < nf; ++f)
    for (r = 0; r < 2; ++r)
      for (v = 0; v < 2; ++v) acc[f][r][v] = (vec){0};
  /* k in im2col's order (channel, row, column), a multiply-add a step, as
   * the GEMM's fused kernel runs the first layer */
  for (c = 0; c < p->C; ++c) {
    const float *plane = p->padded + ((size_t)c * p->ph + 2 * (size_t)py) * pw + 2 * (size_t)px0;
    for (k = 0; k < 9; ++k, w += DN_CONV_POOL_FILTERS) {
      const float *src = plane + (size_t)(k / 3) * pw + k % 3;
      const vec x00 = loadu(src), x01 = loadu(src + DN_VEC), x10 = loadu(src + pw), x11 = loadu(src + pw + DN_VEC);
      for (f = 0; f < nf; ++f) {
        const vec wf = broadcast(w[f]);
        acc[f][0][0] = acc[f][0][0] + wf * x00;
        acc[f][0][1] = acc[f][0][1] + wf * x01;
        acc[f][1][0] = acc[f][1][0] + wf * x10;
        acc[f][1][1] = acc[f][1][1] + wf * x11;
      }
    }
  }
  for (f = 0; f < nf; ++f) {
    const float bias = p->bias[f0 + f];
    const vec a0 = finish(acc[f][0][0], bias, p->act), a1 = finish(acc[f][0][1], bias, p->act);
    const vec b0 = finish(acc[f][1][0], bias, p->act), b1 = finish(acc[f][1][1], bias, p->act);
    float *dst = p->out + ((size_t)(f0 + f) * p->out_h + py) * p->out_w + px0;
    /* the window's four in darknet's order: row 0's pair, then row 1's */
    vec max = broadcast(-FLT_MAX);
    max = pool_max(even(a0, a1), max);
    max = pool_max(odd(a0, a1), max);
    max = pool_max(even(b0, b1), max);
    max = pool_max(odd(b0, b1), max);
    if (px0 + DN_VEC <= p->out_w) *(vec *)dst = max;
    else store_lanes(dst, max, 0, p->out_w - px0);
  }
}

void DN_CONV_POOL_NAME(const dn_conv_pool *p, int row0, int row1) {
  int py, px0, f0;
  for (py = row0; py < row1; ++py)
    for (px0 = 0; px0 < p->out_w; px0 += DN_VEC)
      for (f0 = 0; f0 < p->K; f0 += PASS) {
        const int nf = p->K - f0 < PASS ? p->K - f0 : PASS;
        if (nf == PASS) pass(p, PASS, f0, py, px0);
#if PASS > 2
        else if (nf == 3) pass(p, 3, f0, py, px0);
#endif
        else if (nf == 2) pass(p, 2, f0, py, px0);
        else pass(p, 1, f0, py, px0);
      }
}

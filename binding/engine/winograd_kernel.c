/*
 * The Winograd convolution's input and output transforms (winograd.h),
 * compiled once per instruction set beside the GEMM kernels
 * (cmake/kernels.cmake: -DDN_WINO_ISA, -DDN_VEC, -DDN_NV, the ISA's flags,
 * -ffp-contract=fast: the fast precision's). Vectorized across tiles: lane l
 * of a vector is tile t0 + l of its panel. The tiles' pixels are gathered
 * (zeros outside the image: no read past a plane) into a small buffer, the
 * transforms run on whole vectors, the outputs are scattered back with the
 * image's edges clipped. Every lane runs the same operations: an output's
 * bits do not depend on the block or lane its tile falls in.
 */
#include "winograd.h"

#include <float.h>
#include <stdlib.h>

#include "sgemm.h" /* DN_ACT_* */

#include "vec.h"

#define NR (DN_NV * DN_VEC)

/* Row r of VEC tiles side by side in one row of the input, all inside:
 * column c of the tiles at row src (lane l: src[m * l + c]), read in whole
 * vectors and shuffled apart (never past the last tile's last pixel). */
static inline __attribute__((always_inline)) void columns(const int m, const float *src, vec *x) {
  if (m == 2) {
    const vec a0 = loadu(src), a1 = loadu(src + DN_VEC);
    x[0] = even(a0, a1);
    x[1] = odd(a0, a1);
    x[2] = shift_in(x[0], src[2 * DN_VEC]);
    x[3] = shift_in(x[1], src[2 * DN_VEC + 1]);
  } else {
    const vec a0 = loadu(src), a1 = loadu(src + DN_VEC), a2 = loadu(src + 2 * DN_VEC), a3 = loadu(src + 3 * DN_VEC);
    const vec l0 = even(a0, a1), h0 = odd(a0, a1), l1 = even(a2, a3), h1 = odd(a2, a3);
    x[0] = even(l0, l1);
    x[2] = odd(l0, l1);
    x[1] = even(h0, h1);
    x[3] = odd(h0, h1);
    x[4] = shift_in(x[0], src[4 * DN_VEC]);
    x[5] = shift_in(x[1], src[4 * DN_VEC + 1]);
  }
}

/* The inverse for an output row: lane l's column j (o[j]) to element
 * m * l + j of the m vectors r. */
static inline __attribute__((always_inline)) void interleave(const int m, const vec *o, vec *r) {
  if (m == 2) {
    r[0] = lo(o[0], o[1]);
    r[1] = hi(o[0], o[1]);
  } else {
    const vec l0 = lo(o[0], o[2]), l1 = hi(o[0], o[2]), h0 = lo(o[1], o[3]), h1 = hi(o[1], o[3]);
    r[0] = lo(l0, h0);
    r[1] = hi(l0, h0);
    r[2] = lo(l1, h1);
    r[3] = hi(l1, h1);
  }
}


/* A vector's tiles as runs on one tile row each: lanes [a[s], a[s + 1]),
 * tile row ty[s], lane a[s]'s tile column tx[s]; lanes past the block's
 * count are in no run. */
typedef struct runs {
  int n, a[DN_VEC + 1], ty[DN_VEC], tx[DN_VEC];
} runs;

static void runs_of(const dn_wino_block *b, int first, runs *r) {
  int a = 0, end = b->t0 + b->count - first;
  if (end > DN_VEC) end = DN_VEC;
  r->n = 0;
  while (a < end) {
    const int t = first + a, tx = t % b->tiles_w;
    int next = a + b->tiles_w - tx;
    if (next > end) next = end;
    r->a[r->n] = a;
    r->ty[r->n] = t / b->tiles_w;
    r->tx[r->n] = tx;
    ++r->n;
    a = next;
  }
  r->a[r->n] = a;
}

#define PASTE(a, b) a##b
#define NAMED(a, b) PASTE(a, b)

/* B^T x, one dimension: F(2,3)'s and F(4,3)'s (points 0, +-1, +-2). */
static inline __attribute__((always_inline)) void in_2(vec *y, const vec *x) {
  y[0] = x[0] - x[2];
  y[1] = x[1] + x[2];
  y[2] = x[2] - x[1];
  y[3] = x[1] - x[3];
}
static inline __attribute__((always_inline)) void in_4(vec *y, const vec *x) {
  const vec a = x[4] - 4.0f * x[2], b = x[3] - 4.0f * x[1], c = x[4] - x[2], d = 2.0f * (x[3] - x[1]);
  y[0] = 4.0f * x[0] - 5.0f * x[2] + x[4];
  y[1] = a + b;
  y[2] = a - b;
  y[3] = c + d;
  y[4] = c - d;
  y[5] = 4.0f * x[1] - 5.0f * x[3] + x[5];
}
/* A^T x, one dimension. */
static inline __attribute__((always_inline)) void out_2(vec *y, const vec *x) {
  y[0] = x[0] + x[1] + x[2];
  y[1] = x[1] - x[2] - x[3];
}
static inline __attribute__((always_inline)) void out_4(vec *y, const vec *x) {
  const vec a = x[1] + x[2], b = x[1] - x[2], c = x[3] + x[4], d = x[3] - x[4];
  y[0] = x[0] + a + c;
  y[1] = b + 2.0f * d;
  y[2] = a + 4.0f * c;
  y[3] = b + 8.0f * d + x[5];
}

static inline __attribute__((always_inline)) void input_m(const int m, const dn_wino_block *b, const float *padded,
                                                          int C, int ph, int pw, int c0, int c1, float *v) {
  const int alpha = m + 2;
  const size_t point_stride = b->v_stride;
  ivec ids;
  int p, q, c, i, j, l, k;
  for (l = 0; l < DN_VEC; ++l) ids[l] = l;
  for (p = 0; p < b->panels; ++p) {
    /* (vectors wholly past the block's tiles: none, the GEMM skips them too) */
    for (q = 0; q < DN_NV && p * NR + q * DN_VEC < b->count; ++q) {
      runs rn;
      long offset[DN_VEC];
      ivec mask[DN_VEC];
      runs_of(b, b->t0 + p * NR + q * DN_VEC, &rn);
      /* Each run read as if its tile row went on both sides: lane l at
       * offset + m * l (the padded input has room for it, winograd.c). */
      for (k = 0; k < rn.n; ++k) {
        offset[k] = (long)rn.ty[k] * m * pw + (long)(rn.tx[k] - rn.a[k]) * m;
        mask[k] = (ids >= rn.a[k]) & (ids < rn.a[k + 1]);
      }
      for (c = c0; c < c1; ++c) {
        const float *plane = padded + (size_t)c * ph * pw;
        vec x[6], t[36], y[6], rows[36], seg[6];
        float *dst = v + ((size_t)p * C + c) * NR + q * DN_VEC;
        /* d, row by row: each run's columns shuffled out of whole vectors */
        for (i = 0; i < alpha; ++i) {
          columns(m, plane + offset[0] + (long)i * pw, rows + i * alpha);
          for (k = 1; k < rn.n; ++k) {
            columns(m, plane + offset[k] + (long)i * pw, seg);
            for (j = 0; j < alpha; ++j)
              rows[i * alpha + j] = (vec)(((ivec)seg[j] & mask[k]) | ((ivec)rows[i * alpha + j] & ~mask[k]));
          }
        }
        /* B^T d: down each column */
        for (j = 0; j < alpha; ++j) {
          for (i = 0; i < alpha; ++i) x[i] = rows[i * alpha + j];
          if (m == 2) in_2(y, x);
          else in_4(y, x);
          for (i = 0; i < alpha; ++i) t[i * alpha + j] = y[i];
        }
        /* (B^T d) B: along each row, stored point by point */
        for (i = 0; i < alpha; ++i) {
          if (m == 2) in_2(y, t + i * alpha);
          else in_4(y, t + i * alpha);
          for (j = 0; j < alpha; ++j) *(vec *)(dst + (size_t)(i * alpha + j) * point_stride) = y[j];
        }
      }
    }
  }
}

void NAMED(dn_wino_input_, DN_WINO_ISA)(const dn_wino_block *b, const float *padded, int C, int ph, int pw, int c0,
                                         int c1, float *v) {
  if (b->m == 2) input_m(2, b, padded, C, ph, pw, c0, c1, v);
  else input_m(4, b, padded, C, ph, pw, c0, c1, v);
}

/* One store of an output transform: vector e of output row i (interleave's)
 * at dst + offset, its lanes [from, to). */
typedef struct store_op {
  long offset;
  int i, e, from, to;
} store_op;

/* The stores of the block's vector v, the same for every out channel: each
 * run's rows (clipped at the bottom), its elements [lo, hi) of each row's m
 * vectors (clipped at the right edge), where element 0 would go. At most
 * m * m * (DN_VEC + 1); returns how many. */
static int vector_stores(const int m, const dn_wino_block *b, int v, int out_h, int out_w, store_op *list) {
  runs rn;
  int k, i, e, n = 0;
  runs_of(b, b->t0 + v * DN_VEC, &rn);
  for (k = 0; k < rn.n; ++k) {
    const int y0 = rn.ty[k] * m, x0 = rn.tx[k] * m, lo = m * rn.a[k];
    const int hi = m * rn.a[k + 1] < lo + out_w - x0 ? m * rn.a[k + 1] : lo + out_w - x0;
    for (i = 0; i < m && y0 + i < out_h; ++i) {
      for (e = 0; e < m; ++e) {
        const int l0 = lo - e * DN_VEC, l1 = hi - e * DN_VEC;
        const int from = l0 > 0 ? l0 : 0, to = l1 < DN_VEC ? l1 : DN_VEC;
        if (from >= to) continue;
        list[n].offset = (long)(y0 + i) * out_w + x0 - lo + e * DN_VEC;
        list[n].i = i;
        list[n].e = e;
        list[n].from = from;
        list[n].to = to;
        ++n;
      }
    }
  }
  return n;
}

/* Out channel k0 + r's tiles of vector v (src: its point 0's lanes in mbuf);
 * with pool (F(4,3)), each tile's 4x4 outputs max-pooled 2x2 (darknet's
 * order: a window's top pair, then its bottom pair) into 2x2, stored as
 * F(2,3)'s tiles of the pooled planes would be. */
static inline __attribute__((always_inline)) void output_vector(const int m, const int pool, const dn_wino_block *b,
                                                                const float *src, float beta, int act, float *plane,
                                                                const store_op *list, int n) {
  const int alpha = m + 2, sm = pool ? m / 2 : m;
  vec x[6], s[24], y[4], o[16], row[16];
  int i, j, k;
  /* M A: along each row */
  for (i = 0; i < alpha; ++i) {
    for (j = 0; j < alpha; ++j) x[j] = *(const vec *)(src + (size_t)(i * alpha + j) * b->m_stride);
    if (m == 2) out_2(y, x);
    else out_4(y, x);
    for (j = 0; j < m; ++j) s[i * m + j] = y[j];
  }
  /* A^T (M A): down each column, then bias and the activation */
  for (j = 0; j < m; ++j) {
    for (i = 0; i < alpha; ++i) x[i] = s[i * m + j];
    if (m == 2) out_2(y, x);
    else out_4(y, x);
    for (i = 0; i < m; ++i) o[i * m + j] = finish(y[i], beta, act);
  }
  if (pool) {
    for (i = 0; i < sm; ++i)
      for (j = 0; j < sm; ++j) {
        vec max = broadcast(-FLT_MAX);
        max = pool_max(o[2 * i * m + 2 * j], max);
        max = pool_max(o[2 * i * m + 2 * j + 1], max);
        max = pool_max(o[(2 * i + 1) * m + 2 * j], max);
        max = pool_max(o[(2 * i + 1) * m + 2 * j + 1], max);
        o[i * sm + j] = max;
      }
  }
  /* Each output row interleaved, then stored run by run */
  for (i = 0; i < sm; ++i) interleave(sm, o + i * sm, row + i * sm);
  for (k = 0; k < n; ++k) {
    const store_op *op = &list[k];
    const vec value = row[op->i * sm + op->e];
    if (op->from == 0 && op->to == DN_VEC) *(vec *)(plane + op->offset) = value;
    else store_lanes(plane + op->offset, value, op->from, op->to);
  }
}

#define LOCAL_STORES 512

static inline __attribute__((always_inline)) void output_m(const int m, const int pool, const dn_wino_block *b,
                                                           const float *mbuf, int k0, int rows, const float *bias,
                                                           int act, float *out, int out_h, int out_w) {
  const int sm = pool ? m / 2 : m; /* each tile's outputs a side, as stored */
  const int nb = b->panels * NR, vectors = (b->count + DN_VEC - 1) / DN_VEC, most = sm * sm * (DN_VEC + 1);
  store_op local[LOCAL_STORES], *ops = local;
  int local_count[64], *count = local_count;
  int r, v;
  if ((size_t)vectors * most > LOCAL_STORES || vectors > 64) {
    ops = (store_op *)malloc(sizeof(store_op) * (size_t)vectors * most);
    count = (int *)malloc(sizeof(int) * (size_t)vectors);
    if (!ops || !count) {
      /* (no memory for every vector's list: vector by vector) */
      free(ops);
      free(count);
      for (v = 0; v < vectors; ++v) {
        const int n = vector_stores(sm, b, v, out_h, out_w, local);
        for (r = 0; r < rows; ++r)
          output_vector(m, pool, b, mbuf + (size_t)r * nb + v * DN_VEC, bias[k0 + r], act,
                        out + (size_t)(k0 + r) * out_h * out_w, local, n);
      }
      return;
    }
  }
  for (v = 0; v < vectors; ++v) count[v] = vector_stores(sm, b, v, out_h, out_w, ops + (size_t)v * most);
  /* Channel by channel, so that each plane's rows are written in order. */
  for (r = 0; r < rows; ++r)
    for (v = 0; v < vectors; ++v)
      output_vector(m, pool, b, mbuf + (size_t)r * nb + v * DN_VEC, bias[k0 + r], act,
                    out + (size_t)(k0 + r) * out_h * out_w, ops + (size_t)v * most, count[v]);
  if (ops != local) {
    free(ops);
    free(count);
  }
}

void NAMED(dn_wino_output_, DN_WINO_ISA)(const dn_wino_block *b, const float *mbuf, int k0, int rows,
                                          const float *bias, int act, float *out, int out_h, int out_w) {
  if (b->m == 2) output_m(2, 0, b, mbuf, k0, rows, bias, act, out, out_h, out_w);
  else output_m(4, 0, b, mbuf, k0, rows, bias, act, out, out_h, out_w);
}

void NAMED(dn_wino_output_pool_, DN_WINO_ISA)(const dn_wino_block *b, const float *mbuf, int k0, int rows,
                                               const float *bias, int act, float *out, int out_h, int out_w) {
  output_m(4, 1, b, mbuf, k0, rows, bias, act, out, out_h, out_w);
}

/* G x, one dimension: F(2,3)'s and F(4,3)'s weight transforms (winograd.c's
 * G2 and G4, in float, factored). */
static inline __attribute__((always_inline)) void weight_2(vec *y, const vec *x) {
  const vec s = x[0] + x[2];
  y[0] = x[0];
  y[1] = (s + x[1]) * 0.5f;
  y[2] = (s - x[1]) * 0.5f;
  y[3] = x[2];
}
static inline __attribute__((always_inline)) void weight_4(vec *y, const vec *x) {
  const vec s = x[0] + x[2], t = x[0] * (1.0f / 24) + x[2] * (1.0f / 6), b = x[1] * (1.0f / 12);
  y[0] = x[0] * 0.25f;
  y[1] = (s + x[1]) * (-1.0f / 6);
  y[2] = (s - x[1]) * (-1.0f / 6);
  y[3] = t + b;
  y[4] = t - b;
  y[5] = x[2];
}

static inline __attribute__((always_inline)) void weights_m(const int m, const float *src, int chunks, float *u,
                                                            size_t point_stride) {
  const int alpha = m + 2;
  int i, r, j, t;
  for (i = 0; i < chunks * DN_VEC; i += DN_VEC, src += 9 * DN_VEC) {
    vec g[9], col[3], gg[6][3], row[3], out[6];
    for (t = 0; t < 9; ++t) g[t] = loadu(src + t * DN_VEC);
    /* G g: down each of the kernel's columns */
    for (j = 0; j < 3; ++j) {
      col[0] = g[j], col[1] = g[3 + j], col[2] = g[6 + j];
      if (m == 2) weight_2(out, col);
      else weight_4(out, col);
      for (r = 0; r < alpha; ++r) gg[r][j] = out[r];
    }
    /* (G g) G^T: along each row, point r * alpha + j */
    for (r = 0; r < alpha; ++r) {
      row[0] = gg[r][0], row[1] = gg[r][1], row[2] = gg[r][2];
      if (m == 2) weight_2(out, row);
      else weight_4(out, row);
      for (j = 0; j < alpha; ++j) *(vec *)(u + (size_t)(r * alpha + j) * point_stride + i) = out[j];
    }
  }
}

void NAMED(dn_wino_weights_, DN_WINO_ISA)(int m, const float *src, int chunks, float *u, size_t point_stride) {
  if (m == 2) weights_m(2, src, chunks, u, point_stride);
  else weights_m(4, src, chunks, u, point_stride);
}

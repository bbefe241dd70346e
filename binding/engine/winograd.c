/* The fast precision's Winograd convolution (see winograd.h): the weights'
 * transform and packing, and the driver that cuts a convolution into tasks
 * for the pool. */
#include "winograd.h"

#include <stdlib.h>
#include <string.h>

#include "fast_isa.h"
#include "scratch.h"
#include "sgemm.h"
#include "thread_pool.h"

#define WKC 128 /* most input channels per k block of the GEMMs: a 16 KB B panel; and with several k blocks, the A panel prefetched (q + 1) comes that many kernel calls ahead (13x13x512 -> 1024 F(2,3): 5.0 ms, against 6.5 with 256) */

static int round_up(int value, int step) { return (value + step - 1) / step * step; }

/* C cut into equal k blocks of at most WKC (as sgemm.c's kc_of). */
static int kc_of(int C) {
  const int blocks = (C + WKC - 1) / WKC;
  return blocks > 1 ? (C + blocks - 1) / blocks : C;
}

int dn_winograd_shape(int size, int stride, int pad, int h, int w, int out_h, int out_w) {
  return size == 3 && stride == 1 && pad >= 0 && out_h == h + 2 * pad - 2 && out_w == w + 2 * pad - 2 && out_h > 0 &&
         out_w > 0;
}

/* G, alpha x 3: F(2,3)'s and F(4,3)'s (points 0, +-1, +-2). */
static const double G2[4][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
static const double G4[6][3] = {{1 / 4., 0, 0},          {-1 / 6., -1 / 6., -1 / 6.}, {-1 / 6., 1 / 6., -1 / 6.},
                                {1 / 24., 1 / 12., 1 / 6.}, {1 / 24., -1 / 12., 1 / 6.}, {0, 0, 1}};


#define PREFETCH_FLOATS (1024 * 1024) /* transformed weights beyond which they stream from memory */
#define VP_BUDGET (32 * 1024) /* floats of a point's transformed input per block (stays in L2) */
#define MAX_BLOCK_PANELS 4
#define STREAM_PANELS 4 /* panels of out channels whose weights are transformed on the fly at a time */

/* The most nr-tile panels in a block: a point's transformed input in L2. */
static int block_panels_most(const dn_kernel *kernel, int C) {
  const int most = VP_BUDGET / (C * kernel->nr);
  return most < 1 ? 1 : most > MAX_BLOCK_PANELS ? MAX_BLOCK_PANELS : most;
}

/* Whether F(m,3)'s weights for this shape are transformed on the fly, at
 * every prediction, from the reordered weights: where the transformed ones
 * (alpha^2 / 9 times the weights) pass the caches and one block of tiles
 * takes them all, each would be read from memory once for 16 to 64 tiles
 * (13x13x256 -> 512 F(4,3): 18.9 MB against 4.7 read raw). With a single
 * vector of tiles the transform costs twice as much a weight, which pays
 * only where the transformed weights could not stay in L3 either: Tiny
 * Darknet's 14x14x64 -> 512 F(4,3) (4.7 MB) took 0.26 ms packed against
 * 0.28 on the fly, yolov3-tiny's 26x26x128 -> 256 (4.7 MB, two vectors) 0.84
 * packed against 0.81. */
#define ONE_VECTOR_FLOATS (2 * PREFETCH_FLOATS)
static int on_the_fly(const dn_kernel *kernel, int m, int K, int C, int out_h, int out_w) {
  const int tiles = ((out_w + m - 1) / m) * ((out_h + m - 1) / m), panels = (tiles + kernel->nr - 1) / kernel->nr;
  const size_t floats = (size_t)(m + 2) * (m + 2) * round_up(K, kernel->mr) * C;
  return floats > (tiles <= kernel->vec ? ONE_VECTOR_FLOATS : PREFETCH_FLOATS) && panels <= block_panels_most(kernel, C);
}

/* The on-the-fly layout, in the order streamed() reads it: per panel of mr
 * out channels, per k block of channels, its kc * mr weights (channel c's mr
 * rows in a row, zeros past K) in vectors, each as dn_wino_weights_fn takes
 * it: the 9 taps' vectors side by side (zeros past the block's end). */
static size_t chunks_of(const dn_kernel *kernel, int kc) { return ((size_t)kc * kernel->mr + kernel->vec - 1) / kernel->vec; }

/* One k block of kc channels' floats in that layout. */
static size_t stream_block_floats(const dn_kernel *kernel, int kc) { return 9 * (size_t)kernel->vec * chunks_of(kernel, kc); }

static size_t stream_panel_floats(const dn_kernel *kernel, int C) {
  const int KB = kc_of(C), last = C - (C - 1) / KB * KB;
  return (size_t)(C - last) / KB * stream_block_floats(kernel, KB) + stream_block_floats(kernel, last);
}

int dn_winograd_on_the_fly(int m, int K, int C, int out_h, int out_w) {
  return on_the_fly(dn_kernel_selected(), m, K, C, out_h, out_w);
}

static float *reorder(const dn_kernel *kernel, const float *weights, int K, int C) {
  const int mr = kernel->mr, vec = kernel->vec, KB = kc_of(C);
  const size_t panel_floats = stream_panel_floats(kernel, C);
  float *raw = (float *)calloc(panel_floats * (size_t)(round_up(K, mr) / mr), sizeof(float));
  int k, c, t;
  if (!raw) return NULL;
  for (k = 0; k < K; ++k)
    for (c = 0; c < C; ++c) {
      /* channel c's k block, and its place (row k % mr) in the block's floats */
      const size_t e = (size_t)(c % KB) * mr + k % mr;
      float *block = raw + (size_t)(k / mr) * panel_floats + (size_t)(c / KB) * stream_block_floats(kernel, KB);
      for (t = 0; t < 9; ++t) block[(e / vec * 9 + t) * vec + e % vec] = weights[((size_t)k * C + c) * 9 + t];
    }
  return raw;
}

float *dn_winograd_pack(int m, const float *weights, int K, int C, int out_h, int out_w) {
  const dn_kernel *kernel = dn_kernel_selected();
  const int alpha = m + 2, points = alpha * alpha, mr = kernel->mr, Kp = round_up(K, mr), KB = kc_of(C);
  const double(*G)[3] = m == 2 ? G2 : G4;
  float *packed, *block;
  int kp, k, c, c0, i, j, p;
  if (m != 2 && m != 4) return NULL;
  if (on_the_fly(kernel, m, K, C, out_h, out_w)) return reorder(kernel, weights, K, C);
  packed = (float *)malloc(sizeof(float) * (size_t)points * Kp * C);
  if (!packed) return NULL;
  /* A panel's rows and a k block's channels at a time, all points into
   * `block`, then each point's run copied to its place: written point by
   * point, 36 streams Kp * C floats apart would alias in the caches' sets. */
  block = (float *)calloc((size_t)points * KB * mr, sizeof(float));
  if (!block) {
    free(packed);
    return NULL;
  }
  for (kp = 0; kp < K; kp += mr) {
    for (c0 = 0; c0 < C; c0 += KB) {
      const int kc = C - c0 < KB ? C - c0 : KB, run = kc * mr;
      for (c = c0; c < c0 + kc; ++c) {
        for (k = kp; k < kp + mr; ++k) {
          const float *g = weights + ((size_t)k * C + c) * 9;
          float *to = block + (size_t)(c - c0) * mr + (k - kp);
          double gg[6][3];
          if (k >= K) { /* the last panel's rows past K: zeros */
            for (p = 0; p < points; ++p) to[(size_t)p * run] = 0;
            continue;
          }
          /* G g, then (G g) G^T, in double, rounded once */
          for (i = 0; i < alpha; ++i)
            for (j = 0; j < 3; ++j) gg[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
          for (i = 0, p = 0; i < alpha; ++i)
            for (j = 0; j < alpha; ++j, ++p)
              to[(size_t)p * run] = (float)(gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2]);
        }
      }
      /* point p's matrix, its k block c0, panel kp / mr: kc steps of mr rows */
      for (p = 0; p < points; ++p)
        memcpy(packed + (size_t)p * Kp * C + (size_t)c0 * Kp + (size_t)kp * kc, block + (size_t)p * run,
               sizeof(float) * (size_t)run);
    }
  }
  free(block);
  return packed;
}

typedef struct wino_job {
  const dn_kernel *kernel;
  const dn_fast_isa *isa;
  int m, alpha, K, C, h, w, pad, out_h, out_w, act;
  const float *u, *bias, *in;
  float *out;
  dn_wino_output_fn output; /* the output transform: the ISA's, or its pooled form into dst */
  float *dst;
  int dst_h, dst_w;
  int streams;   /* u is the reordered weights, transformed on the fly (on_the_fly) */
  int pw; /* a zero-padded input row (transform_input): whole tiles and the pad columns */
  int tiles_w, tiles;
  int block_panels, blocks, k_chunk, k_chunks, kb;
  /* Where the out channels are cut (k_chunks > 1): every block's input
   * transformed first, once, by tasks over channel chunks, here (block i's
   * at shared_v + i * shared_block); else NULL, each task its own. */
  float *shared_v;
  size_t shared_block;
  int c_chunk, c_chunks;
  int failed;
} wino_job;

/* Block `block`'s tiles (b->v_stride, b->m_stride too). */
static void block_of(const wino_job *g, int block, dn_wino_block *b) {
  const int nr = g->kernel->nr, nb_most = g->block_panels * nr;
  b->m = g->m;
  b->alpha = g->alpha;
  b->tiles_w = g->tiles_w;
  b->tiles = g->tiles;
  b->nr = nr;
  b->t0 = block * nb_most;
  b->count = g->tiles - b->t0 < nb_most ? g->tiles - b->t0 : nb_most;
  b->panels = (b->count + nr - 1) / nr;
  /* (each point's part one cache line more than its size: not a multiple
   * of 4 KB apart, which would alias every point in the same L1 sets) */
  b->v_stride = (size_t)b->panels * nr * g->C + 16;
  b->m_stride = (size_t)g->kb * b->panels * nr + 16;
}

#define SLACK (4 * 16 + 8) /* m * VEC + alpha floats, at most */

/* Channels [c0, c1) of block b's input transform into v. The rows its tiles
 * read, zero-padded (pad rows and columns, whole tiles: winograd's
 * coordinates, pw floats a row), are copied into this thread's scratch first,
 * SLACK zeros on either side (the transform reads whole vectors of a run's
 * row from up to SLACK floats before its first tile to SLACK after its
 * last): a block's rows while they are in cache, no pass over the whole
 * input before the tasks. */
static int transform_input(const wino_job *g, const dn_wino_block *b, int c0, int c1, float *v) {
  const int m = g->m, pw = g->pw, w = g->w, h = g->h, pad = g->pad;
  const int y0 = b->t0 / g->tiles_w * m, y1 = (b->t0 + b->count - 1) / g->tiles_w * m + g->alpha, rows = y1 - y0;
  const size_t floats = (size_t)(c1 - c0) * rows * pw;
  float *slab = dn_scratch(DN_SCRATCH_WINO_PADDED, floats + 2 * SLACK), *at;
  int c, y;
  if (!slab) return -1;
  memset(slab, 0, sizeof(float) * SLACK);
  memset(slab + SLACK + floats, 0, sizeof(float) * SLACK);
  at = slab + SLACK;
  for (c = c0; c < c1; ++c) {
    const float *src = g->in + (size_t)c * h * w;
    for (y = y0; y < y1; ++y, at += pw) {
      const int sy = y - pad;
      if (sy < 0 || sy >= h) {
        memset(at, 0, sizeof(float) * (size_t)pw);
        continue;
      }
      memset(at, 0, sizeof(float) * (size_t)pad);
      memcpy(at + pad, src + (size_t)sy * w, sizeof(float) * (size_t)w);
      memset(at + pad + w, 0, sizeof(float) * (size_t)(pw - pad - w));
    }
  }
  /* (the kernel finds channel c's row y at padded + c * rows * pw + y * pw) */
  g->isa->wino_input(b, slab + SLACK - (size_t)c0 * rows * pw - (size_t)y0 * pw, g->C, rows, pw, c0, c1, v);
  return 0;
}

/* Channels [c0, c0 + c_chunk) of a block's input transform into shared_v. */
static void input_task(void *arg, int task) {
  wino_job *g = (wino_job *)arg;
  const int block = task / g->c_chunks, c0 = task % g->c_chunks * g->c_chunk;
  const int c1 = c0 + g->c_chunk < g->C ? c0 + g->c_chunk : g->C;
  dn_wino_block b;
  block_of(g, block, &b);
  if (transform_input(g, &b, c0, c1, g->shared_v + (size_t)block * g->shared_block) != 0) g->failed = 1;
}

/* wino_task's GEMMs where the weights stream (g->streams): g->kb out
 * channels (STREAM_PANELS panels of mr) at a time, and within them a k block
 * of channels at a time, their weights transformed into ubuf (in L2) and
 * taken by the block's alpha^2 GEMMs, each point's transformed input read
 * once for all the panels; then their output transform. */
static void streamed(wino_job *g, const dn_wino_block *b, const float *v, float *mbuf, int k_begin, int k_end) {
  const dn_kernel *kernel = g->kernel;
  const int nr = kernel->nr, mr = kernel->mr, nv = nr / kernel->vec, points = g->alpha * g->alpha;
  const int C = g->C, KB = kc_of(C), nb = b->panels * nr, kb = g->kb, most = (kb + mr - 1) / mr;
  const size_t ustride = chunks_of(kernel, KB) * kernel->vec + 16; /* (not a multiple of 4 KB: see block_of) */
  const size_t panel_floats = stream_panel_floats(kernel, C), block_floats = stream_block_floats(kernel, KB);
  const char *end = (const char *)(g->u + panel_floats * (size_t)(round_up(g->K, mr) / mr));
  const size_t lines = (block_floats * 4 + 63) / 64, per_point = (lines + points - 1) / points; /* of a panel's */
  float *ubuf = dn_scratch(DN_SCRATCH_WINO_U, (size_t)most * points * ustride);
  int ks, c0, pt, p, q;
  if (!ubuf) {
    g->failed = 1;
    return;
  }
  for (ks = k_begin; ks < k_end; ks += kb) {
    const int kbs = k_end - ks < kb ? k_end - ks : kb, panels = (kbs + mr - 1) / mr;
    for (c0 = 0; c0 < C; c0 += KB) {
      const int kc = C - c0 < KB ? C - c0 : KB;
      /* the weights read after these: the next k block's, or the next out channels' first */
      const size_t next = c0 + KB < C ? (size_t)(ks / mr) * panel_floats + (size_t)(c0 / KB + 1) * block_floats
                                      : (size_t)((ks + kb) / mr) * panel_floats;
      for (q = 0; q < panels; ++q)
        g->isa->wino_weights(g->m, g->u + (size_t)(ks / mr + q) * panel_floats + (size_t)(c0 / KB) * block_floats,
                        (int)chunks_of(kernel, kc), ubuf + (size_t)q * points * ustride, ustride);
      for (pt = 0; pt < points; ++pt) {
        const float *vp = v + (size_t)pt * b->v_stride;
        for (q = 0; q < panels; ++q) {
          const int rows = kbs - q * mr < mr ? kbs - q * mr : mr;
          const float *a = ubuf + ((size_t)q * points + pt) * ustride;
          float *c = mbuf + (size_t)pt * b->m_stride + (size_t)q * mr * nb;
          /* the next weights into the caches while these GEMMs run, a share
           * before each call (read at once by the transform, they would
           * come from memory at its pace; all at once, the prefetches
           * would wait for each other) */
          const char *at = (const char *)(g->u + next + (size_t)q * panel_floats) + (size_t)pt * per_point * 64;
          size_t line;
          for (line = 0; line < per_point && line + pt * per_point < lines && at + line * 64 < end; ++line)
            __builtin_prefetch(at + line * 64, 0, 2);
          for (p = 0; p < b->panels; ++p) {
            const int left = (b->count - p * nr + kernel->vec - 1) / kernel->vec;
            kernel->fused(rows, left < nv ? left : nv, kc, a, vp + ((size_t)p * C + c0) * nr, c + p * nr, nb, c0 > 0,
                          NULL, 0);
          }
        }
      }
    }
    g->output(b, mbuf, ks, kbs, g->bias, g->act, g->dst, g->dst_h, g->dst_w);
  }
}

static void wino_task(void *arg, int task) {
  wino_job *g = (wino_job *)arg;
  const dn_kernel *kernel = g->kernel;
  const int nr = kernel->nr, mr = kernel->mr, nv = nr / kernel->vec, points = g->alpha * g->alpha;
  const int Kp = round_up(g->K, mr), KB = kc_of(g->C), C = g->C;
  const int block = task / g->k_chunks, chunk = task % g->k_chunks;
  const int k_begin = chunk * g->k_chunk, k_end = k_begin + g->k_chunk < g->K ? k_begin + g->k_chunk : g->K;
  dn_wino_block b;
  float *v, *mbuf;
  const int prefetch = (size_t)points * Kp * C > PREFETCH_FLOATS;
  int ks, pt, q, c0, p, nb;
  block_of(g, block, &b);
  nb = b.panels * nr;
  v = g->shared_v ? g->shared_v + (size_t)block * g->shared_block : dn_scratch(DN_SCRATCH_WINO_V, (size_t)points * b.v_stride);
  mbuf = dn_scratch(DN_SCRATCH_WINO_M, (size_t)points * b.m_stride);
  if (!v || !mbuf) {
    g->failed = 1;
    return;
  }
  if (!g->shared_v && transform_input(g, &b, 0, C, v) != 0) {
    g->failed = 1;
    return;
  }
  if (g->streams) {
    streamed(g, &b, v, mbuf, k_begin, k_end);
    return;
  }
  for (ks = k_begin; ks < k_end; ks += g->kb) {
    const int kbs = k_end - ks < g->kb ? k_end - ks : g->kb;
    /* Point by point: its transformed input (C x nb) stays in L2 while
     * the A panels of these out channels pass over it once. */
    for (pt = 0; pt < points; ++pt) {
      const float *u = g->u + (size_t)pt * Kp * C;
      const float *vp = v + (size_t)pt * b.v_stride;
      for (q = 0; q < kbs; q += mr) {
        const int rows = kbs - q < mr ? kbs - q : mr;
        float *c = mbuf + (size_t)pt * b.m_stride + (size_t)q * nb;
        for (c0 = 0; c0 < C; c0 += KB) {
          const int kc = C - c0 < KB ? C - c0 : KB;
          const float *a = u + (size_t)c0 * Kp + (size_t)(ks + q) * kc;
          if (prefetch) {
            /* the next A panel of this k block, into the caches while these run
             * (weights too large for the caches: 13x13x512 -> 1024, F(2,3):
             * 6.5 against 7.4 ms) */
            const char *next = (const char *)(a + (size_t)mr * kc);
            int line;
            for (line = 0; line < mr * kc * 4; line += 64) __builtin_prefetch(next + line, 0, 3);
          }
          for (p = 0; p < b.panels; ++p) {
            /* the last panel's vectors with tiles only */
            const int left = (b.count - p * nr + kernel->vec - 1) / kernel->vec;
            kernel->fused(rows, left < nv ? left : nv, kc, a, vp + ((size_t)p * C + c0) * nr, c + p * nr, nb, c0 > 0,
                          NULL, 0);
          }
        }
      }
    }
    g->output(&b, mbuf, ks, kbs, g->bias, g->act, g->dst, g->dst_h, g->dst_w);
  }
}

#define M_BUDGET (64 * 1024) /* floats of GEMM results per out-channel block (in L2) */

int dn_winograd_forward(int m, const float *u, const float *bias, int act, int K, int C, int h, int w, int pad,
                        const float *in, float *out, int out_h, int out_w, float *pooled) {
  wino_job g;
  const int threads = dn_pool_threads(), want = threads > 1 ? 4 * threads : 1;
  int nr, mr, points, panels, tiles_h;
  g.kernel = dn_kernel_selected();
  g.isa = dn_fast_isa_selected();
  nr = g.kernel->nr;
  mr = g.kernel->mr;
  g.m = m, g.alpha = m + 2, g.K = K, g.C = C, g.h = h, g.w = w, g.pad = pad, g.out_h = out_h, g.out_w = out_w;
  g.act = act, g.u = u, g.bias = bias, g.in = in, g.out = out, g.failed = 0;
  if (pooled && (m != 4 || out_h % 2 || out_w % 2)) return -1; /* (fast_engine.c asks only for these) */
  g.output = pooled ? g.isa->wino_output_pool : g.isa->wino_output;
  g.dst = pooled ? pooled : out;
  g.dst_h = pooled ? out_h / 2 : out_h;
  g.dst_w = pooled ? out_w / 2 : out_w;
  points = g.alpha * g.alpha;
  g.tiles_w = (out_w + m - 1) / m;
  tiles_h = (out_h + m - 1) / m;
  g.tiles = g.tiles_w * tiles_h;
  g.pw = g.tiles_w * m + 2;
  panels = (g.tiles + nr - 1) / nr;
  /* Blocks of panels whose transformed input, point by point, stays in L2
   * (each A panel passes over all of a block's tiles), as many as make
   * enough tasks; then the out channels cut to make up the rest. */
  g.block_panels = block_panels_most(g.kernel, C);
  if (g.block_panels > panels) g.block_panels = panels;
  g.streams = on_the_fly(g.kernel, m, K, C, out_h, out_w);
  /* (but where the transformed weights pass the caches, each block streams
   * them all from memory: then the out channels are cut first) */
  if ((size_t)points * round_up(K, mr) * C <= PREFETCH_FLOATS)
    while (g.block_panels > 1 && (panels + g.block_panels - 1) / g.block_panels < want) --g.block_panels;
  g.blocks = (panels + g.block_panels - 1) / g.block_panels;
  g.k_chunks = 1;
  if (g.blocks < want) {
    g.k_chunks = (want + g.blocks - 1) / g.blocks;
    if (g.k_chunks > K / 32) g.k_chunks = K / 32 > 1 ? K / 32 : 1;
  }
  g.k_chunk = round_up((K + g.k_chunks - 1) / g.k_chunks, mr);
  g.k_chunks = (K + g.k_chunk - 1) / g.k_chunk;
  g.kb = M_BUDGET / (points * g.block_panels * nr) / mr * mr;
  if (g.kb < mr) g.kb = mr;
  if (g.kb > g.k_chunk) g.kb = g.k_chunk;
  if (g.streams) g.kb = STREAM_PANELS * mr < g.k_chunk ? STREAM_PANELS * mr : g.k_chunk;
  g.shared_v = NULL;
  if (g.k_chunks > 1) {
    /* Each block's input transform once, across the pool, not once per
     * out-channel chunk (26x26x128 -> 256 F(4,3), 2 threads: 8 chunks of
     * one block, each transforming all of it, were no faster than 1 thread). */
    g.shared_block = (size_t)points * ((size_t)g.block_panels * nr * C + 16);
    g.shared_v = dn_scratch(DN_SCRATCH_WINO_SHARED_V, (size_t)g.blocks * g.shared_block);
    if (!g.shared_v) return -1;
    g.c_chunks = (want + g.blocks - 1) / g.blocks < C ? (want + g.blocks - 1) / g.blocks : C;
    g.c_chunk = (C + g.c_chunks - 1) / g.c_chunks;
    g.c_chunks = (C + g.c_chunk - 1) / g.c_chunk;
    dn_parallel_for(g.blocks * g.c_chunks, input_task, &g);
  }
  dn_parallel_for(g.blocks * g.k_chunks, wino_task, &g);
  return g.failed ? -1 : 0;
}

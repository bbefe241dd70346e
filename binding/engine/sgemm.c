/* The fast engine's GEMM driver (see sgemm.h): cache blocking, packing (with
 * im2col folded into the packing of B), and tasks for the thread pool. */
#include "sgemm.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scratch.h"
#include "thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define KC 256  /* most k steps per packed block: a B panel stays in L1 */
#define NC 512  /* columns per packed B block: KC x NC floats stay in L2 */
#define MC 128  /* rows per packed A block */
#ifndef SHARED_B_FLOATS
#define SHARED_B_FLOATS (128 * 1024) /* 512 KB: B packed whole below this (see dn_sgemm) */
#endif
#define SHARED_B_GATHER_FLOATS (384 * 1024) /* 1.5 MB: the same for a strided convolution's B (see dn_sgemm) */
#define SHARED_B_MIN_ROWS 256 /* and with at least this many rows of A */

static const dn_kernel kernels[] = {
#if defined(__x86_64__) || defined(__i386__)
    {"avx512", dn_kernel_avx512, dn_kernel_avx512_direct, dn_kernel_avx512_gather, DN_MR_AVX512, 16 * DN_NV_AVX512, 16, dn_epilogue_avx512, dn_epilogue_bn_avx512,
     dn_kernel_avx512_fused, dn_kernel_avx512_fused_direct, 1},
    {"avx512vl", dn_kernel_avx512vl, dn_kernel_avx512vl_direct, dn_kernel_avx512vl_gather, DN_MR_AVX512VL, 8 * DN_NV_AVX512VL, 8, dn_epilogue_avx512vl,
     dn_epilogue_bn_avx512vl, dn_kernel_avx512vl_fused, dn_kernel_avx512vl_fused_direct, 1},
    {"avx2", dn_kernel_avx2, dn_kernel_avx2_direct, dn_kernel_avx2_gather, DN_MR_AVX2, 8 * DN_NV_AVX2, 8, dn_epilogue_avx2, dn_epilogue_bn_avx2,
     dn_kernel_avx2_fused, dn_kernel_avx2_fused_direct, 1},
    {"sse2", dn_kernel_base, dn_kernel_base_direct, dn_kernel_base_gather, DN_MR_BASE, 4 * DN_NV_BASE, 4, dn_epilogue_base, dn_epilogue_bn_base,
     dn_kernel_base_fused, dn_kernel_base_fused_direct, 0},
#elif defined(__aarch64__)
    /* (fmla in both builds: -ffp-contract=fast, kernels.cmake) */
    {"neon", dn_kernel_base, dn_kernel_base_direct, dn_kernel_base_gather, DN_MR_BASE, 4 * DN_NV_BASE, 4, dn_epilogue_base, dn_epilogue_bn_base,
     dn_kernel_base_fused, dn_kernel_base_fused_direct, 0},
#else
    {"generic", dn_kernel_base, dn_kernel_base_direct, dn_kernel_base_gather, DN_MR_BASE, 4 * DN_NV_BASE, 4, dn_epilogue_base, dn_epilogue_bn_base,
     dn_kernel_base_fused, dn_kernel_base_fused_direct, 0},
#endif
};
#define KERNEL_COUNT (sizeof(kernels) / sizeof(kernels[0]))

static int usable(const dn_kernel *k) {
#if defined(__x86_64__) || defined(__i386__)
  if (k->fn == dn_kernel_avx512) return __builtin_cpu_supports("avx512f");
  if (k->fn == dn_kernel_avx512vl) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  if (k->fn == dn_kernel_avx2) return __builtin_cpu_supports("avx2");
#endif
  (void)k;
  return 1;
}

const char *dn_kernel_runnable(int i) {
  size_t k;
  for (k = 0; k < KERNEL_COUNT; ++k)
    if (usable(&kernels[k]) && i-- == 0) return kernels[k].name;
  return NULL;
}

/* AMD family 19h with AVX-512 (Zen 4) runs a 512-bit operation as two
 * 256-bit halves, and a 512-bit broadcast there takes a pipe that darknet's
 * separate multiply and add need: its 256-bit kernel with AVX-512's 32
 * registers is faster (measured on an EPYC Zen 4, whole tiles in L1: 77-79
 * GFLOP/s for avx512, 112-115 for avx512vl, 110-112 for avx2). Elsewhere
 * (Intel, Zen 5) 512-bit vectors are full width. */
static int splits_512_bit_vectors(void) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax, ebx, ecx, edx, family;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return 0;
  if (ebx != 0x68747541u || edx != 0x69746e65u || ecx != 0x444d4163u) return 0; /* "AuthenticAMD" */
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  family = (eax >> 8) & 0xf;
  if (family == 0xf) family += (eax >> 20) & 0xff;
  return family == 0x19;
#else
  return 0;
#endif
}

/* The widest kernel the CPU runs at full speed (DARKNET_NAPI_KERNEL forces
 * any it runs). Every kernel gives darknet's bits: this is speed only. */
static const dn_kernel *select_kernel(void) {
  const char *forced = getenv("DARKNET_NAPI_KERNEL");
  size_t i;
  if (forced && *forced) {
    for (i = 0; i < KERNEL_COUNT; ++i)
      if (strcmp(forced, kernels[i].name) == 0 && usable(&kernels[i])) return &kernels[i];
  }
  for (i = 0; i + 1 < KERNEL_COUNT; ++i) {
    if (!usable(&kernels[i])) continue;
#if defined(__x86_64__) || defined(__i386__)
    if (kernels[i].fn == dn_kernel_avx512 && splits_512_bit_vectors()) continue;
#endif
    return &kernels[i];
  }
  return &kernels[KERNEL_COUNT - 1];
}

/* Chosen once, whichever thread asks first (pthread_once orders the write
 * before every reader's return). */
static pthread_once_t kernel_once = PTHREAD_ONCE_INIT;
static const dn_kernel *kernel_chosen;

static void choose_kernel(void) { kernel_chosen = select_kernel(); }

const dn_kernel *dn_kernel_selected(void) {
  pthread_once(&kernel_once, choose_kernel);
  return kernel_chosen;
}

int dn_kernel_fused_usable(void) {
  const dn_kernel *k = dn_kernel_selected();
  if (!k->fma) return 1;
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("fma");
#else
  return 1;
#endif
}

/* A rows [r0, r0 + rows) x k in [k0, k0 + kc) as MR-row panels, zero-padded
 * (written in order, read from MR rows at once). */
static void pack_a(const float *A, int K, int r0, int rows, int k0, int kc, int mr, float *dst) {
  int q, r, k;
  for (q = 0; q < rows; q += mr) {
    const float *src[16];
    int valid = rows - q < mr ? rows - q : mr;
    for (r = 0; r < mr; ++r) src[r] = A + (size_t)(r0 + q + (r < valid ? r : 0)) * K + k0;
    if (valid == mr) {
      for (k = 0; k < kc; ++k)
        for (r = 0; r < mr; ++r) dst[k * mr + r] = src[r][k];
    } else {
      for (k = 0; k < kc; ++k)
        for (r = 0; r < mr; ++r) dst[k * mr + r] = r < valid ? src[r][k] : 0.0f;
    }
    dst += (size_t)kc * mr;
  }
}

/* A convolution's input as the GEMM reads it: `height`-row planes of
 * `width`-float rows, each row its `stride` column phases one after another
 * (phase p holds columns p, p + stride, ...: phase_w floats), so that a
 * strided window row's pixels lie side by side. Stride 1: plain rows. */
typedef struct input_layout {
  int width, height, stride, phase_w;
} input_layout;

static input_layout plain_layout(const dn_matrix_b *B) {
  input_layout layout = {B->width, B->height, 1, B->width};
  return layout;
}

/* Where im2col's row k of a window starts, from the window's corner:
 * k = (channel, ky, kx). */
static long window_offset(int k, int ksize, const input_layout *in) {
  const int area = ksize * ksize, kx = k % ksize;
  return ((long)(k / area) * in->height + (k % area) / ksize) * in->width + (long)(kx % in->stride) * in->phase_w +
         kx / in->stride;
}

/* Where output column j's window corner lies (its first pixel). */
static long window_corner(const dn_matrix_b *B, int j, const input_layout *in) {
  return (long)(j / B->out_w) * in->stride * in->width + j % B->out_w;
}

/* Whether the whole panel of `nr` columns from column j0 can be read in place
 * (from a plain matrix, or a convolution's zero-padded input, its phases
 * split, when its pixels lie on one output row): each k's row of the panel
 * is then nr consecutive floats, the same as packing would copy. */
static int in_place(const dn_matrix_b *B, int j0, int cols, int nr) {
  if (cols != nr) return 0;
  if (B->ksize == 0) return 1;
  return B->ksize > 1 && j0 % B->out_w + cols <= B->out_w;
}

/* Where a convolution's input lies with its padding (see dn_sgemm). */
typedef struct padded_input {
  const float *data;
  input_layout layout;
} padded_input;

/* B rows [k0, k0 + kc) x columns [n0, n1) as NR-column panels, zero-padded;
 * with `direct`, whole panels on one output row are left out (their slots
 * unwritten: read in place, see in_place). Given a convolution's padded
 * input (read in place, so `direct`), the other panels are gathered from it
 * (the same floats: its zeros are im2col's padding). */
static void pack_b(const dn_matrix_b *B, int N, int k0, int kc, int n0, int n1, const dn_kernel *kernel, int direct,
                   const padded_input *padded, float *dst) {
  const int nr = kernel->nr;
  int j0, k, jj;
  int k_plane[KC], k_dy[KC], k_dx[KC]; /* each k's channel and kernel offsets, divided out once */
  long k_offset[KC];                   /* and where its pixel is, from the window's corner */
  if (padded) {
    /* Each column's window corner in the padded input, from the panel's
     * first; columns past n1 repeat the first (computed, never stored). */
    int idx[64];
    for (k = 0; k < kc; ++k) k_offset[k] = window_offset(k0 + k, B->ksize, &padded->layout);
    for (j0 = n0; j0 < n1; j0 += nr) {
      const int cols = n1 - j0 < nr ? n1 - j0 : nr;
      const long corner = window_corner(B, j0, &padded->layout);
      if (!in_place(B, j0, cols, nr)) {
        for (jj = 0; jj < nr; ++jj) idx[jj] = (int)(window_corner(B, j0 + (jj < cols ? jj : 0), &padded->layout) - corner);
        kernel->gather(kc, padded->data + corner, k_offset, idx, dst);
      }
      dst += (size_t)kc * nr;
    }
    return;
  }
  if (B->ksize) {
    const int ks = B->ksize, area = ks * ks;
    const input_layout plain = plain_layout(B);
    for (k = 0; k < kc; ++k) {
      int kk = k0 + k;
      k_plane[k] = kk / area;
      k_dy[k] = (kk % area) / ks;
      k_dx[k] = kk % ks;
      k_offset[k] = window_offset(kk, ks, &plain);
    }
  }
  for (j0 = n0; j0 < n1; j0 += nr) {
    int cols = n1 - j0 < nr ? n1 - j0 : nr;
    if (direct && in_place(B, j0, cols, nr)) {
      dst += (size_t)kc * nr;
      continue;
    }
    if (B->ksize && B->stride == 1 && cols == nr) {
      /* A whole panel on one output row whose windows all lie inside the
       * image (most of them): each k's row of the panel is nr pixels in a
       * row of the input, copied as they are. */
      const int x = j0 % B->out_w, y = (j0 / B->out_w) - B->pad, left = x - B->pad;
      if (x + nr <= B->out_w && y >= 0 && y + B->ksize <= B->height && left >= 0 &&
          left + nr - 1 + B->ksize <= B->width) {
        const float *corner = B->data + (size_t)y * B->width + left;
        /* (a copy of a known size: inlined) */
        if (nr == 16) {
          for (k = 0; k < kc; ++k) memcpy(dst + (size_t)k * 16, corner + k_offset[k], sizeof(float) * 16);
        } else if (nr == 64) {
          for (k = 0; k < kc; ++k) memcpy(dst + (size_t)k * 64, corner + k_offset[k], sizeof(float) * 64);
        } else {
          for (k = 0; k < kc; ++k) memcpy(dst + (size_t)k * nr, corner + k_offset[k], sizeof(float) * (size_t)nr);
        }
        dst += (size_t)kc * nr;
        continue;
      }
    }
    if (B->ksize == 0) {
      for (k = 0; k < kc; ++k) {
        const float *src = B->data + (size_t)(k0 + k) * N + j0;
        float *out = dst + (size_t)k * nr;
        memcpy(out, src, sizeof(float) * (size_t)cols);
        for (jj = cols; jj < nr; ++jj) out[jj] = 0.0f;
      }
    } else {
      /* im2col's element (k, j), as darknet's im2col_get_pixel reads it. The
       * panel's columns fall into runs on one output row each. */
      int run_start[65], run_y[64], run_x[64], runs = 0, r;
      const int h = B->height, w = B->width, stride = B->stride;
      for (jj = 0; jj < cols;) {
        int j = j0 + jj, x = j % B->out_w, len = B->out_w - x;
        if (len > cols - jj) len = cols - jj;
        run_start[runs] = jj;
        run_y[runs] = (j / B->out_w) * stride - B->pad;
        run_x[runs] = x * stride - B->pad;
        ++runs;
        jj += len;
      }
      run_start[runs] = cols;
      for (k = 0; k < kc; ++k) {
        const int ky = k_dy[k], kx = k_dx[k];
        const float *plane = B->data + (size_t)k_plane[k] * h * w;
        float *out = dst + (size_t)k * nr;
        for (r = 0; r < runs; ++r) {
          const int len = run_start[r + 1] - run_start[r], row = run_y[r] + ky, col = run_x[r] + kx;
          float *o = out + run_start[r];
          int i;
          if (row < 0 || row >= h) {
            for (i = 0; i < len; ++i) o[i] = 0.0f;
          } else if (stride == 1) {
            /* Padding zeros left of the row, its pixels, zeros right of it. */
            const float *src = plane + (size_t)row * w + col;
            const int lo = col < 0 ? (-col < len ? -col : len) : 0;
            const int hi = w - col < len ? (w - col > lo ? w - col : lo) : len;
            for (i = 0; i < lo; ++i) o[i] = 0.0f;
            for (i = lo; i < hi; ++i) o[i] = src[i];
            for (i = hi; i < len; ++i) o[i] = 0.0f;
          } else {
            const float *src = plane + (size_t)row * w;
            for (i = 0; i < len; ++i) {
              int x = col + i * stride;
              o[i] = (x < 0 || x >= w) ? 0.0f : src[x];
            }
          }
        }
        for (jj = cols; jj < nr; ++jj) out[jj] = 0.0f;
      }
    }
    dst += (size_t)kc * nr;
  }
}

static int round_up(int value, int step) { return (value + step - 1) / step * step; }

/* The k steps per block: K cut into equal blocks of at most KC (288 as
 * 144 + 144, not 256 + 32: a short block pays a whole pass over C). Packed
 * A's layout follows it. */
static int kc_of(int K) {
  const int blocks = (K + KC - 1) / KC;
  return blocks > 1 ? (K + blocks - 1) / blocks : K;
}

typedef struct gemm_job {
  int M, N, K;
  const float *A, *packed_a;
  const dn_matrix_b *B;
  float *shared_b; /* B packed whole before the tasks run, or NULL: each task packs its own */
  /* Where whole panels are read in place (see in_place), or NULL: a plain
   * matrix, or a convolution's input with its padding laid out as `layout`
   * (width 0: none). */
  const float *direct;
  input_layout layout;
  int n_pad;       /* N rounded up to whole panels: the row length of shared_b's blocks */
  float *C;
  dn_tile_fn epilogue;
  void *context;
  int whole_rows;
  const float *bias; /* the fast precision (dn_sgemm_fused): each row's bias, or NULL: the exact kernels */
  int act;
  const dn_kernel *kernel;
  int m_chunk, n_chunk, n_chunks;
  int failed;
} gemm_job;

static void gemm_task(void *arg, int task) {
  gemm_job *g = (gemm_job *)arg;
  const int mr = g->kernel->mr, nr = g->kernel->nr, N = g->N, KB = kc_of(g->K);
  const int m0 = (task / g->n_chunks) * g->m_chunk, n0 = (task % g->n_chunks) * g->n_chunk;
  const int m1 = m0 + g->m_chunk < g->M ? m0 + g->m_chunk : g->M;
  const int n1 = n0 + g->n_chunk < N ? n0 + g->n_chunk : N;
  /* Row blocks of about MC rows, as even as whole panels make them. */
  const int m_blocks = (m1 - m0 + MC - 1) / MC;
  const int mc_max = round_up((m1 - m0 + m_blocks - 1) / m_blocks, mr);
  float tile[16 * 64];
  long offsets[KC]; /* panels read in place: where each k's row is, from the panel's corner in `direct` */
  int k0, ic, q, p;
  float *scratch_a = dn_scratch(DN_SCRATCH_GEMM_A, (size_t)KC * (MC + 32));
  float *scratch_b = dn_scratch(DN_SCRATCH_GEMM_B, (size_t)KC * NC);
  if (!scratch_a || !scratch_b) {
    g->failed = 1;
    return;
  }
  for (k0 = 0; k0 < g->K; k0 += KB) {
    const int kc = g->K - k0 < KB ? g->K - k0 : KB;
    const int last = k0 + kc >= g->K; /* the fused kernels' bias and activation: on this block's store */
    const float *panels_b = g->shared_b ? g->shared_b + (size_t)k0 * g->n_pad + (size_t)n0 * kc : scratch_b;
    if (!g->shared_b) {
      const padded_input padded = {g->direct, g->layout};
      /* layout is set for a convolution, direct once its padded input is made */
      pack_b(g->B, N, k0, kc, n0, n1, g->kernel, g->direct != NULL, g->layout.width && g->direct ? &padded : NULL,
             scratch_b);
    }
    if (g->direct) {
      int k;
      for (k = 0; k < kc; ++k)
        offsets[k] = g->B->ksize ? window_offset(k0 + k, g->B->ksize, &g->layout) : (long)(k0 + k) * N;
    }
    for (ic = m0; ic < m1; ic += mc_max) {
      const int mc = m1 - ic < mc_max ? m1 - ic : mc_max;
      /* This block's panels: packed once for every call, or here. */
      const float *panels = g->packed_a ? g->packed_a + (size_t)k0 * round_up(g->M, mr) + (size_t)ic * kc : scratch_a;
      if (!g->packed_a) pack_a(g->A, g->K, ic, mc, k0, kc, mr, scratch_a);
      /* Each B panel stays in L1 while every A panel of the block (in L2)
       * passes over it: A's panels are the thinner stream. */
      for (p = n0; p < n1; p += nr) {
        const int cols = n1 - p < nr ? n1 - p : nr;
        const float *b = panels_b + (size_t)((p - n0) / nr) * kc * nr;
        if (g->direct && in_place(g->B, p, cols, nr)) {
          /* The panel's first column; a convolution's: its window's corner in the padded input. */
          const float *corner = g->B->ksize ? g->direct + window_corner(g->B, p, &g->layout) : g->direct + p;
          for (q = 0; q < mc; q += mr) {
            const int rows = mc - q < mr ? mc - q : mr;
            if (g->bias)
              g->kernel->fused_direct(rows, kc, panels + (size_t)(q / mr) * kc * mr, corner, offsets,
                                      g->C + (size_t)(ic + q) * N + p, N, k0 > 0, last ? g->bias + ic + q : NULL, g->act);
            else
              g->kernel->direct(rows, kc, panels + (size_t)(q / mr) * kc * mr, corner, offsets,
                                g->C + (size_t)(ic + q) * N + p, N, k0 > 0);
          }
          continue;
        }
        for (q = 0; q < mc; q += mr) {
          const int rows = mc - q < mr ? mc - q : mr;
          const float *a = panels + (size_t)(q / mr) * kc * mr;
          float *c = g->C + (size_t)(ic + q) * N + p;
          const int vec = g->kernel->vec, vectors = (cols + vec - 1) / vec;
          if (g->bias) {
            /* The fast precision: the fused kernel (bias and activation in its
             * last k block's store), the last columns through the copy as below. */
            const float *bias = last ? g->bias + ic + q : NULL;
            if (cols == vectors * vec) {
              g->kernel->fused(rows, vectors, kc, a, b, c, N, k0 > 0, bias, g->act);
            } else {
              int r, j;
              for (r = 0; r < rows; ++r)
                for (j = 0; j < vectors * vec; ++j) tile[r * nr + j] = (k0 > 0 && j < cols) ? c[(size_t)r * N + j] : 0.0f;
              g->kernel->fused(rows, vectors, kc, a, b, tile, nr, 1, bias, g->act);
              for (r = 0; r < rows; ++r) memcpy(c + (size_t)r * N, tile + r * nr, sizeof(float) * (size_t)cols);
            }
          } else if (cols == vectors * vec) {
            g->kernel->fn(rows, vectors, kc, a, b, c, N, k0 > 0);
          } else {
            /* The last columns, not whole vectors: through a copy. */
            int r, j;
            for (r = 0; r < rows; ++r)
              for (j = 0; j < vectors * vec; ++j) tile[r * nr + j] = (k0 > 0 && j < cols) ? c[(size_t)r * N + j] : 0.0f;
            g->kernel->fn(rows, vectors, kc, a, b, tile, nr, 1);
            for (r = 0; r < rows; ++r) memcpy(c + (size_t)r * N, tile + r * nr, sizeof(float) * (size_t)cols);
          }
        }
      }
      /* These rows of this task's columns are final: the epilogue while
       * they are in cache. */
      if (g->epilogue && !g->whole_rows && k0 + kc >= g->K) g->epilogue(g->context, g->C, N, ic, ic + mc, n0, n1);
    }
  }
  /* An epilogue that needs whole rows: here while they are in cache when
   * this task has them, else in a pass of its own after all tasks. */
  if (g->epilogue && g->whole_rows && n0 == 0 && n1 == N) g->epilogue(g->context, g->C, N, m0, m1, 0, N);
}

/* A pass of its own over slices of B's columns or of C's rows. */
typedef struct slice_job {
  gemm_job *g;
  int size; /* columns or rows per task */
} slice_job;

/* Columns [task * size, +size) of B, every k block, into g->shared_b. */
static void pack_task(void *arg, int task) {
  slice_job *job = (slice_job *)arg;
  gemm_job *g = job->g;
  const int n0 = task * job->size, n1 = n0 + job->size < g->N ? n0 + job->size : g->N;
  const int KB = kc_of(g->K);
  int k0;
  for (k0 = 0; k0 < g->K; k0 += KB) {
    const int kc = g->K - k0 < KB ? g->K - k0 : KB;
    pack_b(g->B, g->N, k0, kc, n0, n1, g->kernel, 0, NULL, g->shared_b + (size_t)k0 * g->n_pad + (size_t)n0 * kc);
  }
}

/* Channels [task * size, +size) of a convolution's input into g->direct,
 * with the zeros around them that im2col reads as padding, each row's
 * column phases apart (input_layout). */
static void pad_task(void *arg, int task) {
  slice_job *job = (slice_job *)arg;
  gemm_job *g = job->g;
  const dn_matrix_b *B = g->B;
  const input_layout *in = &g->layout;
  const int c0 = task * job->size, c1 = c0 + job->size < B->channels ? c0 + job->size : B->channels;
  const int pad = B->pad, w = B->width, h = B->height, pw = in->width, stride = in->stride;
  int c, y, p, j;
  for (c = c0; c < c1; ++c) {
    float *plane = (float *)g->direct + (size_t)c * in->height * pw;
    const float *src = B->data + (size_t)c * h * w;
    memset(plane, 0, sizeof(float) * (size_t)pad * pw);
    for (y = 0; y < h; ++y) {
      float *row = plane + (size_t)(y + pad) * pw;
      const float *from = src + (size_t)y * w;
      if (stride == 1) {
        memset(row, 0, sizeof(float) * (size_t)pad);
        memcpy(row + pad, from, sizeof(float) * (size_t)w);
        memset(row + pad + w, 0, sizeof(float) * (size_t)(pw - pad - w));
        continue;
      }
      for (p = 0; p < stride; ++p)
        for (j = 0; j < in->phase_w; ++j) {
          const int x = j * stride + p - pad;
          row[p * in->phase_w + j] = x >= 0 && x < w ? from[x] : 0.0f;
        }
    }
    memset(plane + (size_t)(h + pad) * pw, 0, sizeof(float) * (size_t)(in->height - h - pad) * pw);
  }
}

/* The epilogue on rows [task * size, +size) of C. */
static void rows_task(void *arg, int task) {
  slice_job *job = (slice_job *)arg;
  gemm_job *g = job->g;
  const int m0 = task * job->size, m1 = m0 + job->size < g->M ? m0 + job->size : g->M;
  g->epilogue(g->context, g->C, g->N, m0, m1, 0, g->N);
}

/* Layout: for each k block (k0 = 0, kc_of(K), ...), round_up(M, mr) x kc floats,
 * its mr-row panels in order; panel rows past M are zeros. */
size_t dn_sgemm_packed_floats(int M, int K) {
  return (size_t)round_up(M, dn_kernel_selected()->mr) * (size_t)K;
}

float *dn_sgemm_pack_a(int M, int K, const float *A) {
  const int mr = dn_kernel_selected()->mr;
  float *packed = (float *)malloc(sizeof(float) * dn_sgemm_packed_floats(M, K));
  const int KB = kc_of(K);
  int k0;
  if (!packed) return NULL;
  for (k0 = 0; k0 < K; k0 += KB) {
    const int kc = K - k0 < KB ? K - k0 : KB;
    pack_a(A, K, 0, M, k0, kc, mr, packed + (size_t)k0 * round_up(M, mr));
  }
  return packed;
}

void dn_sgemm_unpack_a(int M, int K, const float *packed, float *A) {
  const int mr = dn_kernel_selected()->mr;
  const int KB = kc_of(K);
  int k0, q, r, k;
  for (k0 = 0; k0 < K; k0 += KB) {
    const int kc = K - k0 < KB ? K - k0 : KB;
    const float *src = packed + (size_t)k0 * round_up(M, mr);
    for (q = 0; q < M; q += mr, src += (size_t)kc * mr) {
      const int valid = M - q < mr ? M - q : mr;
      for (r = 0; r < valid; ++r)
        for (k = 0; k < kc; ++k) A[(size_t)(q + r) * K + k0 + k] = src[k * mr + r];
    }
  }
}

static int sgemm(int M, int N, int K, const float *A, const float *packed_a, const dn_matrix_b *B, float *C,
                 const float *bias, int act, dn_tile_fn epilogue, void *context, int whole_rows);

int dn_sgemm(int M, int N, int K, const float *A, const float *packed_a, const dn_matrix_b *B, float *C,
             dn_tile_fn epilogue, void *context, int whole_rows) {
  return sgemm(M, N, K, A, packed_a, B, C, NULL, 0, epilogue, context, whole_rows);
}

int dn_sgemm_fused(int M, int N, int K, const float *A, const float *packed_a, const dn_matrix_b *B, float *C,
                   const float *bias, int act, dn_tile_fn epilogue, void *context, int whole_rows) {
  return sgemm(M, N, K, A, packed_a, B, C, bias, act, epilogue, context, whole_rows);
}

static int sgemm(int M, int N, int K, const float *A, const float *packed_a, const dn_matrix_b *B, float *C,
                 const float *bias, int act, dn_tile_fn epilogue, void *context, int whole_rows) {
  gemm_job g;
  const int threads = dn_pool_threads();
  const int want = 4 * threads; /* enough tasks to balance uneven ones */
  int m_chunks;
  g.M = M, g.N = N, g.K = K, g.A = A, g.packed_a = packed_a, g.B = B, g.C = C;
  g.epilogue = epilogue, g.context = context, g.whole_rows = whole_rows, g.failed = 0;
  g.bias = bias, g.act = act;
  g.kernel = dn_kernel_selected();
  g.n_pad = round_up(N, g.kernel->nr);
  g.shared_b = NULL;
  g.direct = NULL;
  memset(&g.layout, 0, sizeof g.layout);
  if (packed_a && threads > 1 && M >= SHARED_B_MIN_ROWS &&
      (size_t)K * g.n_pad <= (B->ksize > 1 && B->stride != 1 ? SHARED_B_GATHER_FLOATS : SHARED_B_FLOATS)) {
    /* B small enough to stay in cache whole (the late layers: few columns,
     * many rows): packed once, in parallel, then every task reads it; the
     * tasks split the rows, which a per-task packing would repeat B for.
     * With fewer rows, each task's read of all of B (half of it from the
     * other core's cache) costs more than the rows' work: the tasks split
     * the columns instead (2 threads, tiny.cfg's 1x1 layers of 64 and 128
     * filters at 14x14: 25-30% and 5-10% faster; 512 rows: slower). A
     * strided convolution's B, an im2col gather that each row chunk would
     * repeat, is shared up to an L2's size: resnet18's 3x3/2 layers of 256
     * and 512 filters (B of 1 MB and 590 KB) were 1.1x as fast at 2 threads
     * as at 1, 1.7-1.8x shared. */
    g.shared_b = dn_scratch(DN_SCRATCH_GEMM_SHARED_B, (size_t)K * g.n_pad); /* NULL: per-task packing */
  }
  if (g.shared_b) {
    const int mr = g.kernel->mr, nr = g.kernel->nr, panels = g.n_pad / nr;
    int m_count = (M + mr - 1) / mr < want ? (M + mr - 1) / mr : want, n_count, pack_tasks;
    slice_job pack;
    g.m_chunk = round_up((M + m_count - 1) / m_count, mr);
    m_count = (M + g.m_chunk - 1) / g.m_chunk;
    n_count = (want + m_count - 1) / m_count;
    g.n_chunk = round_up((N + n_count - 1) / n_count, nr);
    g.n_chunks = (N + g.n_chunk - 1) / g.n_chunk;
    m_chunks = m_count;
    pack_tasks = panels < want ? panels : want;
    pack.g = &g;
    pack.size = (panels + pack_tasks - 1) / pack_tasks * nr;
    dn_parallel_for((N + pack.size - 1) / pack.size, pack_task, &pack);
  } else {
    if (B->ksize == 0 && M <= 4 * g.kernel->mr) {
      /* A plain matrix (a 1x1 convolution's input) that few A panels pass
       * over: every whole panel is read where it lies, not packed first (with
       * more, the packing pays: its panel sits in L1 in whole cache lines; at
       * tiny.cfg's 1x1 shapes, 1 thread, in place 5-10% faster at 16 and 32
       * rows, 20-30% slower at 64 and 128). */
      g.direct = B->data;
    } else if (B->ksize > 1 && B->stride >= 1 && B->stride <= B->ksize && B->pad >= 0) {
      /* A convolution: whole panels on one output row read its input in
       * place (the same floats in the same order as im2col's, so the same
       * bits), from a zero-padded copy of it, each row's column phases
       * apart when strided (its windows' pixels then side by side), unless
       * neither is needed. (A stride past the kernel would copy columns no
       * window reads, rows of up to `stride` floats: packed as before.) */
      const int stride = B->stride, out_h = N / B->out_w;
      /* (a strided window may reach past the padded image, where darknet's
       * output size rounds a negative span up to one output: zeros there too) */
      const int span_w = (B->out_w - 1) * stride + B->ksize, span_h = (out_h - 1) * stride + B->ksize;
      const int full_w = B->width + 2 * B->pad > span_w ? B->width + 2 * B->pad : span_w;
      const int phase_w = (full_w + stride - 1) / stride;
      g.layout.stride = stride;
      g.layout.phase_w = phase_w;
      g.layout.width = stride * phase_w;
      g.layout.height = B->height + 2 * B->pad > span_h ? B->height + 2 * B->pad : span_h;
      if (B->pad == 0 && stride == 1) {
        g.direct = B->data;
      } else {
        float *padded = dn_scratch(DN_SCRATCH_GEMM_PADDED, (size_t)B->channels * g.layout.height * g.layout.width);
        if (padded) {
          slice_job pad;
          int tasks = 4 * threads < B->channels ? 4 * threads : B->channels;
          pad.g = &g;
          pad.size = (B->channels + tasks - 1) / tasks;
          g.direct = padded;
          dn_parallel_for((B->channels + pad.size - 1) / pad.size, pad_task, &pad);
        }
      }
    }
    /* The grid of tasks: about `want` of them, each packing its own share of
     * A (once per column chunk) and of B (once per row chunk); choose the grid
     * that packs least, with column chunks that fit the B scratch. */
    const int mr = g.kernel->mr, nr = g.kernel->nr;
    double best = -1;
    int nc;
    g.m_chunk = round_up(M, mr);
    g.n_chunk = NC;
    for (nc = 1; nc <= want; ++nc) {
      int n_chunk = round_up((N + nc - 1) / nc, nr), mc_count = threads > 1 ? (want + nc - 1) / nc : 1;
      int m_chunk = round_up((M + mc_count - 1) / mc_count, mr), n_count, m_count;
      double cost;
      if (n_chunk > NC) continue;
      n_count = (N + n_chunk - 1) / n_chunk;
      m_count = (M + m_chunk - 1) / m_chunk;
      cost = (double)M * n_count + (double)N * m_count;
      if (threads > 1 && n_count * m_count < threads) cost *= 4; /* idle threads cost more */
      if (best < 0 || cost < best) {
        best = cost;
        g.n_chunk = n_chunk;
        g.m_chunk = m_chunk;
      }
    }
    if (best < 0) g.n_chunk = NC, g.m_chunk = round_up(M, mr); /* N huge: NC-wide chunks */
    g.n_chunks = (N + g.n_chunk - 1) / g.n_chunk;
    m_chunks = (M + g.m_chunk - 1) / g.m_chunk;
  }
  dn_parallel_for(m_chunks * g.n_chunks, gemm_task, &g);
  if (epilogue && whole_rows && g.n_chunks > 1 && !g.failed) {
    slice_job rows;
    int tasks = 4 * threads < M ? 4 * threads : M;
    rows.g = &g;
    rows.size = (M + tasks - 1) / tasks;
    dn_parallel_for((M + rows.size - 1) / rows.size, rows_task, &rows);
  }
  return g.failed ? -1 : 0;
}

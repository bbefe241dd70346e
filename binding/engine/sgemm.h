/*
 * The fast engine's matrix multiply: C[M x N] = A[M x K] * B[K x N], row-major,
 * bit-identical to darknet's gemm(0,0,M,N,K,1,A,K,B,N,1,C,N) on a zeroed C,
 * multi-threaded and vectorized with the best kernel the CPU runs.
 */
#ifndef DARKNET_NAPI_SGEMM_H
#define DARKNET_NAPI_SGEMM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A micro-kernel (sgemm_kernel.c) and its tile shape. */
/* The first `rows` rows (1..mr) and `vectors` vectors (1..nv) of a tile:
 * C[rows x vectors*vec] (+)= A-panel * B-panel. */
typedef void (*dn_kernel_fn)(int rows, int vectors, int kc, const float *a, const float *b, float *c, long ldc,
                             int accumulate);
/* A whole tile's first `rows` rows (1..mr) with B read in place: k step's nr
 * floats at b + offsets[k]. */
typedef void (*dn_kernel_direct_fn)(int rows, int kc, const float *a, const float *b, const long *offsets, float *c,
                                    long ldc, int accumulate);
/* A B panel's kc rows of nr floats: row k's column t at base[offsets[k] + idx[t]]. */
typedef void (*dn_kernel_gather_fn)(int kc, const float *base, const long *offsets, const int *idx, float *dst);
/* row = activation(row * scale + bias), leaky or linear (sgemm_epilogue.c). */
typedef void (*dn_epilogue_fn)(float *row, int len, float scale, float bias, int leaky);
/* The same after batch norm's vector body: row = (row - mean) * factor first. */
typedef void (*dn_epilogue_bn_fn)(float *row, int len, float mean, double factor, float scale, float bias,
                                  int leaky);
/* The fast precision's kernels (sgemm_kernel.c built with DN_FUSED): the
 * same, contracted to FMA where the ISA has it; with bias non-NULL (the last
 * k block), the store adds bias[r] to row r and applies `act` (DN_ACT_*). */
typedef void (*dn_kernel_fused_fn)(int rows, int vectors, int kc, const float *a, const float *b, float *c, long ldc,
                                   int accumulate, const float *bias, int act);
typedef void (*dn_kernel_fused_direct_fn)(int rows, int kc, const float *a, const float *b, const long *offsets,
                                          float *c, long ldc, int accumulate, const float *bias, int act);
#define DN_ACT_LINEAR 1 /* bias only */
#define DN_ACT_LEAKY 2  /* bias, then max(x, 0.1f * x) */
typedef struct dn_kernel {
  const char *name; /* "avx512", "avx512vl", "avx2", "sse2", "neon", "generic" */
  dn_kernel_fn fn;
  dn_kernel_direct_fn direct;
  dn_kernel_gather_fn gather;
  int mr, nr; /* a tile's rows and columns */
  int vec;    /* floats per vector: nr / vec vectors a row */
  dn_epilogue_fn epilogue;
  dn_epilogue_bn_fn epilogue_bn;
  dn_kernel_fused_fn fused; /* the fast precision's */
  dn_kernel_fused_direct_fn fused_direct;
  int fma; /* whether the fused build is FMA's (run only where the CPU has it) */
} dn_kernel;

/* Rows per tile, and vectors per row. */
#define DN_MR_AVX512 8
#define DN_NV_AVX512 2
#define DN_MR_AVX512VL 8
#define DN_NV_AVX512VL 2
#define DN_MR_AVX2 6
#define DN_NV_AVX2 2
#define DN_MR_BASE 4
#define DN_NV_BASE 2

void dn_kernel_avx512(int rows, int vectors, int kc, const float *a, const float *b, float *c, long ldc, int accumulate);
void dn_kernel_avx512vl(int rows, int vectors, int kc, const float *a, const float *b, float *c, long ldc, int accumulate);
void dn_kernel_avx2(int rows, int vectors, int kc, const float *a, const float *b, float *c, long ldc, int accumulate);
void dn_kernel_base(int rows, int vectors, int kc, const float *a, const float *b, float *c, long ldc, int accumulate);
void dn_kernel_avx512_direct(int rows, int kc, const float *a, const float *b, const long *offsets, float *c, long ldc, int accumulate);
void dn_kernel_avx512vl_direct(int rows, int kc, const float *a, const float *b, const long *offsets, float *c, long ldc, int accumulate);
void dn_kernel_avx2_direct(int rows, int kc, const float *a, const float *b, const long *offsets, float *c, long ldc, int accumulate);
void dn_kernel_base_direct(int rows, int kc, const float *a, const float *b, const long *offsets, float *c, long ldc, int accumulate);
void dn_kernel_avx512_gather(int kc, const float *base, const long *offsets, const int *idx, float *dst);
void dn_kernel_avx512vl_gather(int kc, const float *base, const long *offsets, const int *idx, float *dst);
void dn_kernel_avx2_gather(int kc, const float *base, const long *offsets, const int *idx, float *dst);
void dn_kernel_base_gather(int kc, const float *base, const long *offsets, const int *idx, float *dst);
void dn_epilogue_avx512(float *row, int len, float scale, float bias, int leaky);
void dn_epilogue_avx512vl(float *row, int len, float scale, float bias, int leaky);
void dn_epilogue_avx2(float *row, int len, float scale, float bias, int leaky);
void dn_epilogue_base(float *row, int len, float scale, float bias, int leaky);
void dn_epilogue_bn_avx512(float *row, int len, float mean, double factor, float scale, float bias, int leaky);
void dn_epilogue_bn_avx512vl(float *row, int len, float mean, double factor, float scale, float bias, int leaky);
void dn_epilogue_bn_avx2(float *row, int len, float mean, double factor, float scale, float bias, int leaky);
void dn_epilogue_bn_base(float *row, int len, float mean, double factor, float scale, float bias, int leaky);

#define DN_FUSED_DECLARE(isa)                                                                                  \
  void dn_kernel_##isa##_fused(int rows, int vectors, int kc, const float *a, const float *b, float *c, long ldc, \
                               int accumulate, const float *bias, int act);                                        \
  void dn_kernel_##isa##_fused_direct(int rows, int kc, const float *a, const float *b, const long *offsets,       \
                                      float *c, long ldc, int accumulate, const float *bias, int act);
DN_FUSED_DECLARE(avx512)
DN_FUSED_DECLARE(avx512vl)
DN_FUSED_DECLARE(avx2)
DN_FUSED_DECLARE(base)

/* The kernel for this CPU: the fastest of those it runs, timed once
 * (DARKNET_NAPI_KERNEL=avx512|avx512vl|avx2|sse2 forces one it runs). */
const dn_kernel *dn_kernel_selected(void);
/* The name of the i-th kernel this CPU runs, widest first; NULL past the last. */
const char *dn_kernel_runnable(int i);

/* Where B comes from: a plain row-major K x N matrix, or the image of a
 * convolution read through im2col's indexing (no im2col buffer). */
typedef struct dn_matrix_b {
  const float *data;
  int channels, height, width; /* im2col source; ksize 0: plain matrix, row stride N */
  int ksize, stride, pad, out_w;
} dn_matrix_b;

/* Called on finished blocks [m0, m1) x [n0, n1) of C, each once, while they
 * are in cache; with whole_rows, only on whole rows (n0 = 0, n1 = N), for an
 * epilogue whose bits depend on where an element falls in the span it is
 * given (darknet's -Ofast normalize_cpu: vector body or scalar tail). */
typedef void (*dn_tile_fn)(void *context, float *c, int ldc, int m0, int m1, int n0, int n1);

/* Whether the selected kernel's fused build runs here (its FMA where it has
 * one): else the fast precision runs the exact kernel and an epilogue pass. */
int dn_kernel_fused_usable(void);

/* A packed once for every call (dn_sgemm_pack_a), or NULL: packed per call.
 * Returns 0, or -1 when a thread could not get its 1 MB of packing scratch. */
int dn_sgemm(int M, int N, int K, const float *A, const float *packed_a, const dn_matrix_b *B, float *C,
             dn_tile_fn epilogue, void *context, int whole_rows);

/* The fast precision's multiply: as dn_sgemm, through the selected kernel's
 * fused build (dn_kernel_fused_usable() must be true), which adds bias[m]
 * to row m and applies act (DN_ACT_*) as it stores the last k block; the
 * epilogue, if any, runs after that (another activation). */
int dn_sgemm_fused(int M, int N, int K, const float *A, const float *packed_a, const dn_matrix_b *B, float *C,
                   const float *bias, int act, dn_tile_fn epilogue, void *context, int whole_rows);

/* A in the selected kernel's panels, for every k block: a malloc'd buffer of
 * dn_sgemm_packed_floats(M, K) floats (free() it), or NULL when out of memory. */
size_t dn_sgemm_packed_floats(int M, int K);
float *dn_sgemm_pack_a(int M, int K, const float *A);
/* The inverse: A (M x K, row-major) back from its panels, the same floats. */
void dn_sgemm_unpack_a(int M, int K, const float *packed, float *A);

#ifdef __cplusplus
}
#endif

#endif

/*
 * The fast engine's matrix multiply: C[M x N] = A[M x K] * B[K x N], row-major,
 * bit-identical to darknet's gemm(0,0,M,N,K,1,A,K,B,N,1,C,N) on a zeroed C,
 * multi-threaded and vectorized with the best kernel the CPU runs.
 */
#ifndef DARKNET_NAPI_SGEMM_H
#define DARKNET_NAPI_SGEMM_H

#ifdef __cplusplus
extern "C" {
#endif

/* A micro-kernel (sgemm_kernel.c) and its tile shape. */
typedef void (*dn_kernel_fn)(int kc, const float *a, const float *b, float *c, long ldc, int accumulate);
/* row = activation(row * scale + bias), leaky or linear (sgemm_epilogue.c). */
typedef void (*dn_epilogue_fn)(float *row, int len, float scale, float bias, int leaky);
typedef struct dn_kernel {
  const char *name; /* "avx512", "avx2", "sse2", "neon", "generic" */
  dn_kernel_fn fn;
  int mr, nr;
  dn_epilogue_fn epilogue;
} dn_kernel;

/* Rows per tile (columns: two vectors, 32 / 16 / 8 floats). */
#define DN_MR_AVX512 8
#define DN_MR_AVX2 6
#define DN_MR_BASE 4

void dn_kernel_avx512(int kc, const float *a, const float *b, float *c, long ldc, int accumulate);
void dn_kernel_avx2(int kc, const float *a, const float *b, float *c, long ldc, int accumulate);
void dn_kernel_base(int kc, const float *a, const float *b, float *c, long ldc, int accumulate);
void dn_epilogue_avx512(float *row, int len, float scale, float bias, int leaky);
void dn_epilogue_avx2(float *row, int len, float scale, float bias, int leaky);
void dn_epilogue_base(float *row, int len, float scale, float bias, int leaky);

/* The kernel for this CPU (DARKNET_NAPI_KERNEL=avx2|base forces a lesser one). */
const dn_kernel *dn_kernel_selected(void);

/* Where B comes from: a plain row-major K x N matrix, or the image of a
 * convolution read through im2col's indexing (no im2col buffer). */
typedef struct dn_matrix_b {
  const float *data;
  int channels, height, width; /* im2col source; ksize 0: plain matrix, row stride N */
  int ksize, stride, pad, out_w;
} dn_matrix_b;

/* Called on finished rows [m0, m1) of C, always whole rows (n0 = 0, n1 = N):
 * darknet's -Ofast normalize_cpu gives an element different bits depending
 * on where it falls in the span it is given (vector body or scalar tail). */
typedef void (*dn_tile_fn)(void *context, float *c, int ldc, int m0, int m1, int n0, int n1);

/* Returns 0, or -1 when a thread could not get its 1 MB of packing scratch. */
int dn_sgemm(int M, int N, int K, const float *A, const dn_matrix_b *B, float *C,
             dn_tile_fn epilogue, void *context);

#ifdef __cplusplus
}
#endif

#endif

/*
 * The fast engine's GEMM micro-kernels, compiled once per instruction set
 * (cmake/kernels.cmake: -DDN_KERNEL_NAME, -DDN_VEC floats per vector, -DDN_MR
 * rows, -DDN_NV vectors per row, plus the ISA's flag) and chosen at run time
 * (sgemm.c).
 *
 * They compute the same arithmetic as darknet's gemm_nn, element by element:
 * C starts at zero and gets C + a*b for k = 0, 1, 2... in order, with the
 * product rounded before the add. Built with -ffp-contract=off so that the
 * compiler never fuses the two into an FMA (darknet's x86 build has no FMA),
 * the results are bit-identical to darknet's.
 *
 * Built again with -DDN_FUSED=1 for the fast precision (loadNetwork's
 * { precision: 'fast' }; cmake/kernels.cmake: -DDN_KERNEL_NAME=dn_kernel_<isa>_fused,
 * and -mfma -ffp-contract=fast where the ISA has FMA): every multiply-add one
 * FMA, and on the last k block the tile's store adds each row's bias (batch
 * norm folded into it and the weights at load, fast_engine.c) and applies
 * leaky, so the convolution's epilogue needs no pass of its own. The exact
 * build (DN_FUSED undefined) compiles the same code as before, to the bit.
 */
#include "sgemm.h"

#define NR (DN_NV * DN_VEC)
typedef float vec __attribute__((vector_size(DN_VEC * 4), aligned(4)));

#ifndef DN_FUSED
#define DN_FUSED 0
#endif
#if DN_FUSED
typedef int ivec __attribute__((vector_size(DN_VEC * 4), aligned(4)));
/* The store's epilogue: x + bias, then leaky (act 2: max(x, 0.1x) as a
 * select; 0.1f, not darknet's double .1) or linear (act 1). */
static inline __attribute__((always_inline)) vec finish(vec x, vec bias, int act) {
  x = x + bias;
  if (act == 2) {
    const vec y = x * 0.1f;
    const ivec positive = x > (vec){0};
    x = (vec)(((ivec)x & positive) | ((ivec)y & ~positive));
  }
  return x;
}
/* The extra parameters of a fused kernel: each row's bias (NULL: none, the
 * k blocks before the last) and the activation. */
#define FUSED_PARAMS , const float *restrict bias, int act
#define FUSED_ARGS , bias, act
#else
#define FUSED_PARAMS
#define FUSED_ARGS
#endif

/* One broadcast load ((vec){0} + x would be a real add: IEEE keeps it). */
#if defined(__AVX512F__) && DN_VEC == 16
#include <immintrin.h>
static inline vec splat(const float *x) { return (vec)_mm512_set1_ps(*x); }
#elif defined(__AVX__) && DN_VEC == 8
#include <immintrin.h>
static inline vec splat(const float *x) { return (vec)_mm256_broadcast_ss(x); }
#else
static inline vec splat(const float *x) {
  vec v;
  int i;
  for (i = 0; i < DN_VEC; ++i) v[i] = *x;
  return v;
}
#endif

/* C[rows x vectors*DN_VEC] (row stride ldc) = (accumulate ? C : 0) + A * B
 * over kc steps: A an MR-row panel (kc groups of MR floats); B an NR-column
 * panel (kc groups of NR floats, of which the first `vectors` vectors) or,
 * in_place, read where it lies: step k's floats at b + offsets[k] (a plain
 * matrix, or a convolution's zero-padded input, its pixels in a row;
 * sgemm.c). With rows, vectors and in_place constants (one function each, below),
 * every loop unrolls and the accumulators live in registers (checked in the
 * assembly: no stack traffic in the k loop). */
static inline __attribute__((always_inline)) void tile(const int rows, const int vectors, int kc,
                                                       const float *restrict a, const float *restrict b,
                                                       const int in_place, const long *restrict offsets,
                                                       float *restrict c, long ldc, int accumulate FUSED_PARAMS) {
  vec acc[DN_MR][DN_NV];
  int r, v, k;
#pragma GCC unroll 8
  for (r = 0; r < rows; ++r)
#pragma GCC unroll 4
    for (v = 0; v < vectors; ++v) acc[r][v] = accumulate ? *(const vec *)(c + r * ldc + v * DN_VEC) : (vec){0};
  for (k = 0; k < kc; ++k) {
    const float *row = in_place ? b + offsets[k] : b + (long)k * NR;
    vec bv[DN_NV];
#pragma GCC unroll 4
    for (v = 0; v < vectors; ++v) bv[v] = *(const vec *)(row + v * DN_VEC);
#pragma GCC unroll 8
    for (r = 0; r < rows; ++r) {
      const vec ar = splat(a + r);
#pragma GCC unroll 4
      for (v = 0; v < vectors; ++v) acc[r][v] = acc[r][v] + ar * bv[v];
    }
    a += DN_MR;
  }
#if DN_FUSED
  if (bias) {
#pragma GCC unroll 8
    for (r = 0; r < rows; ++r) {
      const vec b = splat(bias + r);
#pragma GCC unroll 4
      for (v = 0; v < vectors; ++v) acc[r][v] = finish(acc[r][v], b, act);
    }
  }
#endif
#pragma GCC unroll 8
  for (r = 0; r < rows; ++r)
#pragma GCC unroll 4
    for (v = 0; v < vectors; ++v) *(vec *)(c + r * ldc + v * DN_VEC) = acc[r][v];
}

#define TILE(r, v)                                                                                             \
  static void tile_##r##_##v(int kc, const float *a, const float *b, float *c, long ldc, int accumulate FUSED_PARAMS) { \
    tile(r, v, kc, a, b, 0, NULL, c, ldc, accumulate FUSED_ARGS);                                                       \
  }
#if DN_NV == 1
#define ROW_TILES(r) TILE(r, 1)
#define ROW_ENTRY(r) {tile_##r##_1},
#elif DN_NV == 2
#define ROW_TILES(r) TILE(r, 1) TILE(r, 2)
#define ROW_ENTRY(r) {tile_##r##_1, tile_##r##_2},
#elif DN_NV == 3
#define ROW_TILES(r) TILE(r, 1) TILE(r, 2) TILE(r, 3)
#define ROW_ENTRY(r) {tile_##r##_1, tile_##r##_2, tile_##r##_3},
#else
#define ROW_TILES(r) TILE(r, 1) TILE(r, 2) TILE(r, 3) TILE(r, 4)
#define ROW_ENTRY(r) {tile_##r##_1, tile_##r##_2, tile_##r##_3, tile_##r##_4},
#endif
ROW_TILES(1)
ROW_TILES(2)
ROW_TILES(3)
ROW_TILES(4)
#if DN_MR > 4
ROW_TILES(5)
ROW_TILES(6)
#endif
#if DN_MR > 6
ROW_TILES(7)
ROW_TILES(8)
#endif

typedef void (*tile_fn)(int kc, const float *a, const float *b, float *c, long ldc, int accumulate FUSED_PARAMS);
static const tile_fn tiles[DN_MR][DN_NV] = {ROW_ENTRY(1) ROW_ENTRY(2) ROW_ENTRY(3) ROW_ENTRY(4)
#if DN_MR > 4
                                                ROW_ENTRY(5) ROW_ENTRY(6)
#endif
#if DN_MR > 6
                                                    ROW_ENTRY(7) ROW_ENTRY(8)
#endif
};

#if DN_MR != 4 && DN_MR != 6 && DN_MR != 8
#error "DN_MR must be 4, 6 or 8"
#endif
#if DN_NV < 1 || DN_NV > 4
#error "DN_NV must be 1 to 4"
#endif

/* Whole NR-column tiles, B read in place. */
#define DIRECT(r)                                                                                                \
  static void direct_##r(int kc, const float *a, const float *b, const long *offsets, float *c, long ldc,       \
                         int accumulate FUSED_PARAMS) {                                                         \
    tile(r, DN_NV, kc, a, b, 1, offsets, c, ldc, accumulate FUSED_ARGS);                                        \
  }
DIRECT(1)
DIRECT(2)
DIRECT(3)
DIRECT(4)
#if DN_MR > 4
DIRECT(5)
DIRECT(6)
#endif
#if DN_MR > 6
DIRECT(7)
DIRECT(8)
#endif
typedef void (*direct_fn)(int kc, const float *a, const float *b, const long *offsets, float *c, long ldc,
                          int accumulate FUSED_PARAMS);
static const direct_fn directs[DN_MR] = {direct_1, direct_2, direct_3, direct_4,
#if DN_MR > 4
                                         direct_5, direct_6,
#endif
#if DN_MR > 6
                                         direct_7, direct_8
#endif
};

#define PASTE(a, b) a##b
#define NAMED(a, b) PASTE(a, b)

/* The first `rows` rows (1..MR) of a whole tile, B read in place. */
void NAMED(DN_KERNEL_NAME, _direct)(int rows, int kc, const float *restrict a, const float *restrict b,
                                    const long *restrict offsets, float *restrict c, long ldc, int accumulate FUSED_PARAMS) {
  directs[rows - 1](kc, a, b, offsets, c, ldc, accumulate FUSED_ARGS);
}

/* The first `rows` rows (1..MR) and `vectors` vectors (1..NV) of a tile. */
void DN_KERNEL_NAME(int rows, int vectors, int kc, const float *restrict a, const float *restrict b,
                    float *restrict c, long ldc, int accumulate FUSED_PARAMS) {
  tiles[rows - 1][vectors - 1](kc, a, b, c, ldc, accumulate FUSED_ARGS);
}

/* A B panel's kc rows gathered where they lie: row k's column t is
 * base[offsets[k] + idx[t]] (a stride-1 convolution's zero-padded input,
 * for panels whose pixels cross an output row: sgemm.c's pack_b). With
 * AVX2 or AVX-512 the compiler gathers a vector at a time. */
#if !DN_FUSED
void NAMED(DN_KERNEL_NAME, _gather)(int kc, const float *restrict base, const long *restrict offsets,
                                    const int *restrict idx, float *restrict dst) {
  int k, t;
  for (k = 0; k < kc; ++k) {
    const float *row = base + offsets[k];
#pragma GCC unroll 4
    for (t = 0; t < NR; ++t) dst[(long)k * NR + t] = row[idx[t]];
  }
}
#endif

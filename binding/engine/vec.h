/*
 * The fast engine's vector helpers for the kernels compiled once per
 * instruction set (cmake/kernels.cmake: -DDN_VEC floats per vector and the
 * ISA's flags): the vector types, shuffles, unaligned loads, masked stores
 * and the fused epilogue.
 */
#ifndef DARKNET_NAPI_VEC_H
#define DARKNET_NAPI_VEC_H

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "sgemm.h" /* DN_ACT_* */

typedef float vec __attribute__((vector_size(DN_VEC * 4), aligned(4)));
typedef int ivec __attribute__((vector_size(DN_VEC * 4), aligned(4)));

/* Shuffle masks: interleave the low and the high halves of two vectors,
 * take the even and the odd elements of two, shift one element in. */
#if DN_VEC == 4
#define MASK_LO 0, 4, 1, 5
#define MASK_HI 2, 6, 3, 7
#define MASK_EVEN 0, 2, 4, 6
#define MASK_ODD 1, 3, 5, 7
#define MASK_SHIFT 1, 2, 3, 4
#elif DN_VEC == 8
#define MASK_LO 0, 8, 1, 9, 2, 10, 3, 11
#define MASK_HI 4, 12, 5, 13, 6, 14, 7, 15
#define MASK_EVEN 0, 2, 4, 6, 8, 10, 12, 14
#define MASK_ODD 1, 3, 5, 7, 9, 11, 13, 15
#define MASK_SHIFT 1, 2, 3, 4, 5, 6, 7, 8
#elif DN_VEC == 16
#define MASK_LO 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define MASK_HI 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
#define MASK_EVEN 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define MASK_ODD 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define MASK_SHIFT 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
#else
#error "DN_VEC must be 4, 8 or 16"
#endif
#if defined(__clang__)
#define SHUFFLE(a, b, mask) __builtin_shufflevector(a, b, mask)
#else
#define SHUFFLE(a, b, mask) __builtin_shuffle(a, b, (ivec){mask})
#endif
static inline __attribute__((always_inline)) vec lo(vec a, vec b) { return SHUFFLE(a, b, MASK_LO); }
static inline __attribute__((always_inline)) vec hi(vec a, vec b) { return SHUFFLE(a, b, MASK_HI); }
static inline __attribute__((always_inline)) vec even(vec a, vec b) { return SHUFFLE(a, b, MASK_EVEN); }
static inline __attribute__((always_inline)) vec odd(vec a, vec b) { return SHUFFLE(a, b, MASK_ODD); }
/* a's elements 1.. and then x */
static inline __attribute__((always_inline)) vec shift_in(vec a, float x) {
  vec b;
  int l;
  for (l = 0; l < DN_VEC; ++l) b[l] = x;
  return SHUFFLE(a, b, MASK_SHIFT);
}
static inline __attribute__((always_inline)) vec loadu(const float *p) { return *(const vec *)p; }
/* x in every lane, one broadcast (a loop of lane stores is not one to every compiler) */
#if defined(__AVX512F__) && DN_VEC == 16
static inline __attribute__((always_inline)) vec broadcast(float x) { return (vec)_mm512_set1_ps(x); }
#elif defined(__AVX__) && DN_VEC == 8
static inline __attribute__((always_inline)) vec broadcast(float x) { return (vec)_mm256_set1_ps(x); }
#else
static inline __attribute__((always_inline)) vec broadcast(float x) {
  vec v;
  int l;
  for (l = 0; l < DN_VEC; ++l) v[l] = x;
  return v;
}
#endif

/* Lanes [lo, hi) of v to dst + lo.. (a masked store: nothing else written,
 * nothing read). */
#if defined(__AVX512F__) && DN_VEC == 16
static inline __attribute__((always_inline)) void store_lanes(float *dst, vec v, int lo, int hi) {
  const unsigned mask = ((1u << hi) - 1u) & ~((1u << lo) - 1u);
  _mm512_mask_storeu_ps(dst, (__mmask16)mask, (__m512)v);
}
#elif defined(__AVX512VL__) && DN_VEC == 8
static inline __attribute__((always_inline)) void store_lanes(float *dst, vec v, int lo, int hi) {
  const unsigned mask = ((1u << hi) - 1u) & ~((1u << lo) - 1u);
  _mm256_mask_storeu_ps(dst, (__mmask8)mask, (__m256)v);
}
#elif defined(__AVX2__) && DN_VEC == 8
static inline __attribute__((always_inline)) void store_lanes(float *dst, vec v, int lo, int hi) {
  const ivec ids = {0, 1, 2, 3, 4, 5, 6, 7};
  const ivec mask = (ids >= lo) & (ids < hi);
  _mm256_maskstore_ps(dst, (__m256i)mask, (__m256)v);
}
#else
static inline __attribute__((always_inline)) void store_lanes(float *dst, vec v, int lo, int hi) {
  int l;
  for (l = lo; l < hi; ++l) dst[l] = v[l];
}
#endif

/* darknet's max-pool step, (x > max) ? x : max, a lane at a time. */
static inline __attribute__((always_inline)) vec pool_max(vec x, vec max) {
  const ivec greater = x > max;
  return (vec)(((ivec)x & greater) | ((ivec)max & ~greater));
}

/* The fused epilogue, as the GEMM's fused kernel stores (sgemm_kernel.c):
 * x + bias, then leaky (act DN_ACT_LEAKY: a select of x and x * 0.1f) or
 * linear. */
static inline __attribute__((always_inline)) vec finish(vec x, float bias, int act) {
  x = x + bias;
  if (act == DN_ACT_LEAKY) {
    const vec y = x * 0.1f;
    const ivec positive = x > (vec){0};
    x = (vec)(((ivec)x & positive) | ((ivec)y & ~positive));
  }
  return x;
}

#endif

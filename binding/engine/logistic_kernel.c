/*
 * precision 'fast''s logistic for the [yolo] heads, compiled once per
 * instruction set beside the GEMM kernels (cmake/kernels.cmake:
 * -DDN_LOGISTIC_NAME, -DDN_VEC, the ISA's flags and the fast precision's
 * contraction). darknet computes 1 / (1 + exp(-x)) through a double exp, one
 * element at a time; this is the float form on whole vectors: exp by Cody
 * and Waite's range reduction and a degree-5 polynomial (Cephes' expf,
 * within 2 ulp), then the division. Element-wise: a slice gives the bits the
 * whole array gives those elements.
 */
#include <stddef.h>

#include "vec.h"

typedef unsigned uvec __attribute__((vector_size(DN_VEC * 4), aligned(4)));

static inline __attribute__((always_inline)) vec logistic(vec x) {
  const vec hi = broadcast(88.0f), lo = broadcast(-88.0f);
  vec t = -x, n, r, p, e;
  ivec k;
  ivec above, below;
  /* exp(t), t clamped where it would pass float's range (a NaN, greater
   * and less than nothing, stays) */
  above = t > hi;
  t = (vec)(((ivec)t & ~above) | ((ivec)hi & above));
  below = t < lo;
  t = (vec)(((ivec)t & ~below) | ((ivec)lo & below));
  /* t = n ln 2 + r, |r| <= ln 2 / 2 */
  n = t * 1.44269504088896341f + 0.5f;
  k = __builtin_convertvector(n, ivec);
  k = k + (ivec)(__builtin_convertvector(k, vec) > n); /* floor: a true comparison is -1 */
  n = __builtin_convertvector(k, vec);
  r = t - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  p = broadcast(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  e = p * (r * r) + r + 1.0f;
  e = e * (vec)(((uvec)k + 127u) << 23); /* 2^n (unsigned: a NaN's k wraps, defined) */
  return 1.0f / (1.0f + e);
}

void DN_LOGISTIC_NAME(float *x, size_t n) {
  size_t i;
  for (i = 0; i + DN_VEC <= n; i += DN_VEC) *(vec *)(x + i) = logistic(loadu(x + i));
  if (i < n) {
    vec tail = broadcast(0.0f);
    size_t j;
    for (j = i; j < n; ++j) tail[j - i] = x[j];
    tail = logistic(tail);
    for (j = i; j < n; ++j) x[j] = tail[j - i];
  }
}

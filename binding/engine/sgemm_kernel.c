/*
 * The fast engine's GEMM micro-kernel, compiled once per instruction set
 * (CMakeLists.txt: -DDN_KERNEL_NAME, -DDN_VEC floats per vector, -DDN_MR rows,
 * plus -mavx2 or -mavx512f) and chosen at run time (sgemm.c).
 *
 * It computes the same arithmetic as darknet's gemm_nn, element by element:
 * C starts at zero and gets C + a*b for k = 0, 1, 2... in order, with the
 * product rounded before the add. Built with -ffp-contract=off so that the
 * compiler never fuses the two into an FMA (darknet's x86 build has no FMA),
 * the results are bit-identical to darknet's.
 */
#include "sgemm.h"

#define NR (2 * DN_VEC)
typedef float vec __attribute__((vector_size(DN_VEC * 4), aligned(4)));

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

/* The rows, spelled out: with an array of accumulators gcc 12 keeps a copy
 * of each on the stack and stores it on every k step (half the AVX2
 * kernel's speed); named variables stay in registers. */
#if DN_MR == 4
#define ROWS(X) X(0) X(1) X(2) X(3)
#elif DN_MR == 6
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#elif DN_MR == 8
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#else
#error "DN_MR must be 4, 6 or 8"
#endif
#define DECLARE(r) vec acc##r##0, acc##r##1;
#define LOAD(r)                                                  \
  acc##r##0 = accumulate ? *(const vec *)(c + r * ldc) : zero; \
  acc##r##1 = accumulate ? *(const vec *)(c + r * ldc + DN_VEC) : zero;
#define STEP(r)                       \
  {                                   \
    const vec ar = splat(a + r);      \
    acc##r##0 = acc##r##0 + ar * b0;  \
    acc##r##1 = acc##r##1 + ar * b1;  \
  }
#define STORE(r)                          \
  *(vec *)(c + r * ldc) = acc##r##0;      \
  *(vec *)(c + r * ldc + DN_VEC) = acc##r##1;

/* C[MR x NR] (row stride ldc) = (accumulate ? C : 0) + A * B over kc steps,
 * A packed as kc groups of MR floats, B as kc groups of NR floats. */
void DN_KERNEL_NAME(int kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                    int accumulate) {
  const vec zero = {0};
  int k;
  ROWS(DECLARE)
  ROWS(LOAD)
  for (k = 0; k < kc; ++k) {
    const vec b0 = *(const vec *)b, b1 = *(const vec *)(b + DN_VEC);
    ROWS(STEP)
    a += DN_MR;
    b += NR;
  }
  ROWS(STORE)
}

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
#define ROWS1(X) X(0)
#define ROWS2(X) ROWS1(X) X(1)
#define ROWS3(X) ROWS2(X) X(2)
#define ROWS4(X) ROWS3(X) X(3)
#define ROWS5(X) ROWS4(X) X(4)
#define ROWS6(X) ROWS5(X) X(5)
#define ROWS7(X) ROWS6(X) X(6)
#define ROWS8(X) ROWS7(X) X(7)
#if DN_MR != 4 && DN_MR != 6 && DN_MR != 8
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

/* C[n x NR] (row stride ldc) = (accumulate ? C : 0) + A * B over kc steps
 * for the first n rows of an MR-row panel: A packed as kc groups of MR
 * floats, B as kc groups of NR floats. One function per row count, so that
 * a panel's last rows need no copy of C. */
#define KERNEL(n)                                                                                      \
  static void kernel_##n(int kc, const float *restrict a, const float *restrict b, float *restrict c, \
                         long ldc, int accumulate) {                                                 \
    const vec zero = {0};                                                                              \
    int k;                                                                                             \
    ROWS##n(DECLARE) ROWS##n(LOAD) for (k = 0; k < kc; ++k) {                                          \
      const vec b0 = *(const vec *)b, b1 = *(const vec *)(b + DN_VEC);                                 \
      ROWS##n(STEP) a += DN_MR;                                                                        \
      b += NR;                                                                                         \
    }                                                                                                  \
    ROWS##n(STORE)                                                                                     \
  }
KERNEL(1)
KERNEL(2)
KERNEL(3)
KERNEL(4)
#if DN_MR > 4
KERNEL(5)
KERNEL(6)
#endif
#if DN_MR > 6
KERNEL(7)
KERNEL(8)
#endif

void DN_KERNEL_NAME(int rows, int kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                    int accumulate) {
  switch (rows) {
    case 1: kernel_1(kc, a, b, c, ldc, accumulate); break;
    case 2: kernel_2(kc, a, b, c, ldc, accumulate); break;
    case 3: kernel_3(kc, a, b, c, ldc, accumulate); break;
#if DN_MR > 4
    case 5: kernel_5(kc, a, b, c, ldc, accumulate); break;
    case 6: kernel_6(kc, a, b, c, ldc, accumulate); break;
#endif
#if DN_MR > 6
    case 7: kernel_7(kc, a, b, c, ldc, accumulate); break;
    case 8: kernel_8(kc, a, b, c, ldc, accumulate); break;
#endif
    default: kernel_4(kc, a, b, c, ldc, accumulate); break;
  }
}

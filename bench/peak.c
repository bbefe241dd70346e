/* Two ceilings of one core, per instruction set the CPU runs, on registers
 * with no memory (npm run bench builds this with the system's cc, with
 * -ffp-contract=off, and runs it):
 *   - "fma": independent fused multiply-adds, what onnxruntime's kernels
 *     issue: the core's FMA peak;
 *   - "multiplyAdd": independent pairs of a multiply, then an add, each
 *     rounded: darknet's arithmetic (its x86 build has no FMA), the most any
 *     engine with darknet's bits can issue.
 * GFLOP/s counting a multiply and an add (fused or not) as 2 FLOP a lane.
 * Prints {"fma": {"avx512": ..., "avx2": ...}, "multiplyAdd": {...}}. */
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* `chains` independent accumulators: more than an add's (or FMA's) latency
 * times the pipes, so throughput bounds it. The multiplier goes through an
 * empty asm each round, so the compiler can neither hoist the products out
 * of the loop nor (with -ffp-contract=off, and the product a separate
 * statement) fuse them into the add. Best of 5 rounds. */
#define PEAK(name, isa, type, width, chains, set1, step, first)                                  \
  __attribute__((target(isa))) static double name(void) {                                       \
    const long rounds = 20000000;                                                               \
    double best = 0, sink = 0;                                                                  \
    int trial, i;                                                                               \
    for (trial = 0; trial < 5; ++trial) {                                                       \
      type acc[chains], x[chains], m = set1(0.999f), a = set1(1e-7f);                           \
      double start, took;                                                                       \
      long r;                                                                                   \
      for (i = 0; i < chains; ++i) acc[i] = set1((float)i), x[i] = set1(1e-7f * (float)(i + 1)); \
      start = seconds();                                                                        \
      for (r = 0; r < rounds; ++r) {                                                            \
        _Pragma("GCC unroll 32") for (i = 0; i < chains; ++i) step;                             \
        __asm__ volatile("" : "+v"(m));                                                         \
      }                                                                                         \
      took = seconds() - start;                                                                 \
      for (i = 0; i < chains; ++i) sink += first(acc[i]) + first(x[i]) + first(a);             \
      if (took > 0 && 2.0 * width * chains * rounds / took > best) best = 2.0 * width * chains * rounds / took; \
    }                                                                                           \
    return sink == -1 ? 0 : best / 1e9;                                                         \
  }

PEAK(fma_avx512, "avx512f", __m512, 16, 16, _mm512_set1_ps, acc[i] = _mm512_fmadd_ps(acc[i], m, a), _mm512_cvtss_f32)
PEAK(fma_avx2, "avx2,fma", __m256, 8, 12, _mm256_set1_ps, acc[i] = _mm256_fmadd_ps(acc[i], m, a), _mm256_cvtss_f32)
/* acc + x * m: the product of loop-invariant x and the opaque m, then the add. */
#define MULTIPLY_ADD(mul, add) \
  do {                         \
    const __typeof__(m) p = mul(x[i], m); \
    acc[i] = add(acc[i], p);   \
  } while (0)
PEAK(mul_add_avx512, "avx512f", __m512, 16, 16, _mm512_set1_ps, MULTIPLY_ADD(_mm512_mul_ps, _mm512_add_ps),
     _mm512_cvtss_f32)
/* 256-bit vectors with AVX-512's 32 registers (the avx512vl kernel). */
PEAK(mul_add_avx512vl, "avx512f,avx512vl", __m256, 8, 24, _mm256_set1_ps, MULTIPLY_ADD(_mm256_mul_ps, _mm256_add_ps),
     _mm256_cvtss_f32)
PEAK(mul_add_avx2, "avx2", __m256, 8, 12, _mm256_set1_ps, MULTIPLY_ADD(_mm256_mul_ps, _mm256_add_ps), _mm256_cvtss_f32)

int main(void) {
  const int avx512 = __builtin_cpu_supports("avx512f"), avx512vl = avx512 && __builtin_cpu_supports("avx512vl");
  const int avx2 = __builtin_cpu_supports("avx2"), fma = avx2 && __builtin_cpu_supports("fma");
  const char *sep = "";
  printf("{\"fma\": {");
  if (avx512) printf("%s\"avx512\": %.1f", sep, fma_avx512()), sep = ", ";
  if (fma) printf("%s\"avx2\": %.1f", sep, fma_avx2()), sep = ", ";
  sep = "";
  printf("}, \"multiplyAdd\": {");
  if (avx512) printf("%s\"avx512\": %.1f", sep, mul_add_avx512()), sep = ", ";
  if (avx512vl) printf("%s\"avx512vl\": %.1f", sep, mul_add_avx512vl()), sep = ", ";
  if (avx2) printf("%s\"avx2\": %.1f", sep, mul_add_avx2()), sep = ", ";
  printf("}}\n");
  return 0;
}
#else
int main(void) {
  printf("{\"fma\": {}, \"multiplyAdd\": {}}\n");
  return 0;
}
#endif

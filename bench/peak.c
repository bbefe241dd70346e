/* The FMA peak of one core, per instruction set the CPU runs: independent
 * fused multiply-adds on registers, no memory (npm run bench builds and runs
 * this with the system's cc). Prints {"avx512": GFLOP/s, "avx2": ...}. */
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* 16 (AVX-512) or 12 (AVX2) chains: more than an FMA's latency times the
 * FMA pipes, so throughput bounds it. Best of 5 rounds. */
#define PEAK(name, isa, type, width, chains, set1, fmadd, first)                         \
  __attribute__((target(isa))) static double name(void) {                              \
    const long rounds = 20000000;                                                      \
    double best = 0, sink = 0;                                                         \
    int trial, i;                                                                      \
    for (trial = 0; trial < 5; ++trial) {                                              \
      type acc[chains], m = set1(0.999f), a = set1(1e-7f);                             \
      double start, took;                                                              \
      long r;                                                                          \
      for (i = 0; i < chains; ++i) acc[i] = set1((float)i);                            \
      start = seconds();                                                               \
      for (r = 0; r < rounds; ++r) {                                                   \
        _Pragma("GCC unroll 16") for (i = 0; i < chains; ++i) acc[i] = fmadd(acc[i], m, a); \
        __asm__ volatile("" : "+v"(m));                                                \
      }                                                                                \
      took = seconds() - start;                                                        \
      for (i = 0; i < chains; ++i) sink += first(acc[i]);                              \
      if (took > 0 && 2.0 * width * chains * rounds / took > best) best = 2.0 * width * chains * rounds / took; \
    }                                                                                  \
    return sink == -1 ? 0 : best / 1e9;                                                \
  }

PEAK(peak_avx512, "avx512f", __m512, 16, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_cvtss_f32)
PEAK(peak_avx2, "avx2,fma", __m256, 8, 12, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_cvtss_f32)

int main(void) {
  const char *sep = "";
  printf("{");
  if (__builtin_cpu_supports("avx512f")) printf("%s\"avx512\": %.1f", sep, peak_avx512()), sep = ", ";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) printf("%s\"avx2\": %.1f", sep, peak_avx2()), sep = ", ";
  printf("}\n");
  return 0;
}
#else
int main(void) {
  printf("{}\n");
  return 0;
}
#endif

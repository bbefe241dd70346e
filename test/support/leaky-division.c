/* Every float x: darknet's leaky_activate negative side, (float)(.1 * (double)x),
 * against x / 10.0f, the fast engine's epilogue's form (sgemm_epilogue.c).
 * Prints how many differ (NaNs aside: both NaN) and the first few. Built
 * without FMA contraction and run by test/engine.test.mjs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  unsigned long long differ = 0;
  volatile float ten = 10.0f; /* a real division, not one folded at compile time */
  uint64_t u;
  for (u = 0; u <= 0xffffffffu; ++u) {
    const uint32_t bits = (uint32_t)u;
    float x, theirs, ours;
    uint32_t a, b;
    memcpy(&x, &bits, 4);
    theirs = (float)(.1 * (double)x);
    ours = x / ten;
    memcpy(&a, &theirs, 4);
    memcpy(&b, &ours, 4);
    if (a != b && !(theirs != theirs && ours != ours)) {
      if (differ < 5) printf("x=%a: %a, %a\n", x, theirs, ours);
      ++differ;
    }
  }
  printf("differ %llu\n", differ);
  return differ != 0;
}

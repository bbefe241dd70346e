/* precision 'fast''s logistic (see logistic.h): the build for the selected kernel's ISA. */
#include "logistic.h"

#include <string.h>

#include "sgemm.h"

typedef struct logistic_isa {
  const char *kernel; /* the GEMM kernel's name (sgemm.c) */
  void (*run)(float *x, size_t n);
} logistic_isa;

static const logistic_isa isas[] = {
#if defined(__x86_64__) || defined(__i386__)
    {"avx512", dn_logistic_avx512},
    {"avx512vl", dn_logistic_avx512vl},
    {"avx2", dn_logistic_avx2},
#endif
    {NULL, dn_logistic_base}, /* sse2, neon, generic */
};

void dn_fast_logistic(float *x, size_t n) {
  const char *name = dn_kernel_selected()->name;
  size_t i;
  for (i = 0; i + 1 < sizeof isas / sizeof isas[0]; ++i)
    if (strcmp(isas[i].kernel, name) == 0) break;
  isas[i].run(x, n);
}

/* The fast precision's per-ISA kernels (see fast_isa.h). */
#include "fast_isa.h"

#include <pthread.h>
#include <string.h>

#include "logistic.h"
#include "sgemm.h"

static const dn_fast_isa isas[] = {
#if defined(__x86_64__) || defined(__i386__)
    {"avx512", dn_wino_input_avx512, dn_wino_output_avx512, dn_wino_output_pool_avx512,
     dn_wino_weights_avx512, dn_conv_pool_avx512,
     dn_logistic_avx512},
    {"avx512vl", dn_wino_input_avx512vl, dn_wino_output_avx512vl, dn_wino_output_pool_avx512vl,
     dn_wino_weights_avx512vl, dn_conv_pool_avx512vl,
     dn_logistic_avx512vl},
    {"avx2", dn_wino_input_avx2, dn_wino_output_avx2, dn_wino_output_pool_avx2,
     dn_wino_weights_avx2, dn_conv_pool_avx2, dn_logistic_avx2},
#endif
    {NULL, dn_wino_input_base, dn_wino_output_base, dn_wino_output_pool_base,
     dn_wino_weights_base, dn_conv_pool_base, dn_logistic_base},
};

static pthread_once_t selected_once = PTHREAD_ONCE_INIT;
static const dn_fast_isa *selected;

/* Once a process, as the kernel itself (sgemm.c): not a lookup each call. */
static void select_isa(void) {
  const char *name = dn_kernel_selected()->name;
  size_t i;
  for (i = 0; i + 1 < sizeof isas / sizeof isas[0]; ++i)
    if (strcmp(isas[i].kernel, name) == 0) break;
  selected = &isas[i];
}

const dn_fast_isa *dn_fast_isa_selected(void) {
  pthread_once(&selected_once, select_isa);
  return selected;
}

/*
 * The fast precision's kernels beside the GEMM's, one build per instruction
 * set (cmake/kernels.cmake), in one table: the Winograd transforms
 * (winograd.h), the first convolution with its max-pool (conv_pool.h), the
 * heads' logistic (logistic.h). The row for the selected GEMM kernel's ISA
 * runs (sse2, neon and generic share the baseline's).
 */
#ifndef DARKNET_NAPI_FAST_ISA_H
#define DARKNET_NAPI_FAST_ISA_H

#include <stddef.h>

#include "conv_pool.h"
#include "winograd.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dn_fast_isa {
  const char *kernel; /* the GEMM kernel's name (sgemm.c); NULL: the baseline's row */
  dn_wino_input_fn wino_input;
  dn_wino_output_fn wino_output;
  dn_wino_output_fn wino_output_pool; /* F(4,3)'s, max-pooled 2x2 */
  dn_wino_weights_fn wino_weights;
  dn_conv_pool_fn conv_pool;
  void (*logistic)(float *x, size_t n); /* logistic.h */
} dn_fast_isa;

/* The row for the selected GEMM kernel (dn_kernel_selected). */
const dn_fast_isa *dn_fast_isa_selected(void);

#ifdef __cplusplus
}
#endif

#endif

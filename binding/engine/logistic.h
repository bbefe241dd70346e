/*
 * precision 'fast''s logistic (the [yolo] heads' activation): vectorized,
 * within a few ulp of darknet's 1 / (1 + exp(-x)) (logistic_kernel.c), one
 * build per instruction set (fast_isa.h picks the selected GEMM kernel's).
 */
#ifndef DARKNET_NAPI_LOGISTIC_H
#define DARKNET_NAPI_LOGISTIC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void dn_logistic_avx512(float *x, size_t n);
void dn_logistic_avx512vl(float *x, size_t n);
void dn_logistic_avx2(float *x, size_t n);
void dn_logistic_base(float *x, size_t n);

#ifdef __cplusplus
}
#endif

#endif

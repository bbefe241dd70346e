/*
 * The fast engine's convolution epilogue: batch norm, scale, bias and
 * activation in one pass, compiled once per instruction set like the GEMM
 * kernel (CMakeLists.txt: -DDN_EPILOGUE_NAME, -DDN_EPILOGUE_BN_NAME). Each
 * step is one rounding per element, as in darknet's normalize_cpu,
 * scale_bias, add_bias and leaky_activate (whose .1 is a double: see leaky.h), so every
 * vector width gives darknet's bits; always built with -ffp-contract=off
 * (darknet's steps are separate loops: never fused).
 */
#include "leaky.h"
#include "sgemm.h"

void DN_EPILOGUE_NAME(float *restrict row, int len, float scale, float bias, int leaky) {
  int i;
  if (leaky) {
    for (i = 0; i < len; ++i) {
      row[i] = dn_leaky(row[i] * scale + bias);
    }
  } else {
    for (i = 0; i < len; ++i) row[i] = row[i] * scale + bias;
  }
}

/* The same after normalize_cpu's vector body as darknet's x86 -Ofast build
 * compiles it: (x - mean) in float, times the double 1 / (sqrt(variance) +
 * 1e-6f), rounded to float (fast_engine.c checks this against darknet's own
 * normalize_cpu before it relies on it). */
void DN_EPILOGUE_BN_NAME(float *restrict row, int len, float mean, double factor, float scale, float bias,
                         int leaky) {
  int i;
  if (leaky) {
    for (i = 0; i < len; ++i) {
      row[i] = dn_leaky((float)((double)(row[i] - mean) * factor) * scale + bias);
    }
  } else {
    for (i = 0; i < len; ++i) row[i] = (float)((double)(row[i] - mean) * factor) * scale + bias;
  }
}

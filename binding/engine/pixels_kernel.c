/*
 * Decoded 8-bit samples to floats, byte / 255.0f, compiled once per
 * instruction set (cmake/kernels.cmake: -DDN_PIXELS_NAME): the strided byte
 * loads of one channel of interleaved pixels vectorize only with AVX2 or
 * AVX-512 (with SSE2 the table lookup letterbox.c falls back to is faster).
 * Used where the caller's table holds the same 256 floats (checked there).
 */
#include <stddef.h>

/* out[x] = in[x * stride] / 255.0f for x < n: the constant strides of RGB
 * and RGBA (a JPEG is decoded to 4 channels) let the loads vectorize. */
void DN_PIXELS_NAME(const unsigned char *restrict in, int stride, int n, float *restrict out) {
  int x;
  if (stride == 3) {
    for (x = 0; x < n; ++x) out[x] = (float)in[(size_t)x * 3] / 255.0f;
  } else if (stride == 4) {
    for (x = 0; x < n; ++x) out[x] = (float)in[(size_t)x * 4] / 255.0f;
  } else {
    for (x = 0; x < n; ++x) out[x] = (float)in[(size_t)x * stride] / 255.0f;
  }
}

/*
 * Test helper: whether stb_image (darknet's copy) gives the same RGB when
 * asked for 4 channels as for 3, which lets the addon decode JPEGs with
 * stb's SIMD colour conversion (it runs only for 4 channels) and drop alpha.
 *
 *   rgba-decode                 every (Y, Cb, Cr) through stb's SIMD and
 *                               scalar conversions, which the 3-channel
 *                               decode uses
 *   rgba-decode <image>...      each image decoded both ways
 *
 * Prints "same" or the first difference; exit status 0 when all agree.
 * Built on its own (stb as static functions), not against darknet's library.
 */
#include <stdio.h>
#include <string.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"

static int conversions(void) {
#if defined(STBI_SSE2) || defined(STBI_NEON)
  /* 8 pixels a call (the SIMD width) plus a scalar tail of 3 */
  stbi_uc y[11], cb[11], cr[11], simd[44], scalar[44];
  int vy, vb, vr, i;
  for (vy = 0; vy < 256; ++vy)
    for (vb = 0; vb < 256; ++vb)
      for (vr = 0; vr < 256; vr += 11) {
        for (i = 0; i < 11; ++i) {
          y[i] = (stbi_uc)vy;
          cb[i] = (stbi_uc)vb;
          cr[i] = (stbi_uc)(vr + i < 256 ? vr + i : 255);
        }
        stbi__YCbCr_to_RGB_simd(simd, y, cb, cr, 11, 4);
        stbi__YCbCr_to_RGB_row(scalar, y, cb, cr, 11, 3);
        for (i = 0; i < 11; ++i)
          if (memcmp(simd + 4 * i, scalar + 3 * i, 3) != 0) {
            printf("differs at Y %d Cb %d Cr %d\n", vy, vb, cr[i]);
            return 1;
          }
      }
  printf("same: every (Y, Cb, Cr)\n");
#else
  printf("same: no SIMD conversion in this build\n");
#endif
  return 0;
}

static int image(const char *path) {
  int w3, h3, c3, w4, h4, c4;
  size_t i, n;
  stbi_uc *rgb = stbi_load(path, &w3, &h3, &c3, 3), *rgba = stbi_load(path, &w4, &h4, &c4, 4);
  int rc = 0;
  if (!rgb || !rgba || w3 != w4 || h3 != h4) {
    printf("%s: decodes differently (%s)\n", path, stbi_failure_reason() ? stbi_failure_reason() : "sizes");
    rc = 1;
  } else {
    n = (size_t)w3 * h3;
    for (i = 0; i < n && rc == 0; ++i)
      if (memcmp(rgb + 3 * i, rgba + 4 * i, 3) != 0) {
        printf("%s: pixel %zu differs\n", path, i);
        rc = 1;
      }
    if (rc == 0) printf("same: %s\n", path);
  }
  stbi_image_free(rgb);
  stbi_image_free(rgba);
  return rc;
}

int main(int argc, char **argv) {
  int i, rc = 0;
  if (argc < 2) return conversions();
  for (i = 1; i < argc; ++i) rc |= image(argv[i]);
  return rc;
}

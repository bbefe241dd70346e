/* See jpeg_guard.h. */
#include "jpeg_guard.h"

#include <string.h>

/* darknet's copy of stb_image (2017) builds a JPEG Huffman table from a DHT
 * segment without checking that its 16 counts add up to at most 256 symbols,
 * and writes past the table (heap corruption) when they don't, and reads past
 * a table when a DC symbol is over 15; later stb versions reject both, as
 * this check does before stb sees the image. */
size_t dn_jpeg_soi_end(const unsigned char *p, size_t n) {
  size_t i = 1;
  if (n < 2 || p[0] != 0xFF) return 0;
  while (i < n && p[i] == 0xFF) ++i;
  return i < n && p[i] == 0xD8 ? i + 1 : 0;
}

int dn_jpeg_huffman_tables_ok(const unsigned char *p, size_t n) {
  size_t i = dn_jpeg_soi_end(p, n);
  if (i == 0) return 1; /* not a JPEG */
  while (i + 4 <= n) {
    unsigned marker;
    size_t length;
    if (p[i] != 0xFF) { /* entropy-coded data: skip to the next marker */
      const unsigned char *next = (const unsigned char *)memchr(p + i, 0xFF, n - i);
      if (!next) return 1;
      i = (size_t)(next - p);
      continue;
    }
    marker = p[i + 1];
    if (marker == 0xFF || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += marker == 0xFF ? 1 : 2;
      continue;
    }
    if (marker == 0xD9) return 1; /* end of image */
    length = ((size_t)p[i + 2] << 8) | p[i + 3];
    if (marker == 0xC4) {
      size_t at = i + 4, end = i + 2 + length;
      if (end > n) end = n;
      /* stb reads each table's 16 counts and symbols as the counts say,
       * whatever the segment's length claims, and zeros past the end */
      while (at < end && at < n) {
        unsigned total = 0, k;
        const int dc = (p[at] >> 4) == 0;
        for (k = 1; k <= 16 && at + k < n; ++k) total += p[at + k];
        if (total > 256) return 0;
        /* A DC symbol is a coefficient's bit count, which stb uses as an
         * index into a 16-entry table (stbi__jbias) without checking it;
         * later stb versions refuse more than 15. */
        for (k = 0; dc && k < total && at + 17 + k < n; ++k) {
          if (p[at + 17 + k] > 15) return 0;
        }
        at += 17 + total;
      }
    }
    i += 2 + length;
  }
  return 1;
}

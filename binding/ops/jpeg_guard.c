/* See jpeg_guard.h. */
#include "jpeg_guard.h"

#include <string.h>

/* darknet's copy of stb_image (2017) builds a JPEG Huffman table from a DHT
 * segment without checking that its 16 counts add up to at most 256 symbols,
 * and writes past the table (heap corruption) when they don't, and reads past
 * a table when a DC symbol is over 15; later stb versions reject both, as
 * this check does before stb sees the image. It also decodes a scan with a
 * table the file never defined (scan_tables_defined). */
size_t dn_jpeg_soi_end(const unsigned char *p, size_t n) {
  size_t i = 1;
  if (n < 2 || p[0] != 0xFF) return 0;
  while (i < n && p[i] == 0xFF) ++i;
  return i < n && p[i] == 0xD8 ? i + 1 : 0;
}

/* p[i], or 0 past the end (stb reads zeros there). */
static unsigned byte_at(const unsigned char *p, size_t n, size_t i) { return i < n ? p[i] : 0; }

/* Whether the scan (SOS segment at i) decodes only with tables defined
 * before it. darknet's stb_image never clears its Huffman tables, so one
 * the file never defines is whatever its allocation held: garbage symbol
 * ids, read as indexes past the table (later stb versions zero them). As
 * stb uses them: a baseline scan each component's DC and AC table; a
 * progressive one the DC table on a first DC pass, the AC table on an AC
 * pass. Table ids past 3 stb refuses itself. */
static int scan_tables_defined(const unsigned char *p, size_t n, size_t i, int progressive,
                               const unsigned char defined[2][4]) {
  const unsigned count = byte_at(p, n, i + 4);
  const unsigned ss = byte_at(p, n, i + 5 + 2 * count), ah = byte_at(p, n, i + 7 + 2 * count) >> 4;
  unsigned k;
  for (k = 0; k < count; ++k) {
    const unsigned tables = byte_at(p, n, i + 6 + 2 * k), dc = tables >> 4, ac = tables & 15;
    const int uses_dc = !progressive || (ss == 0 && ah == 0), uses_ac = !progressive || ss != 0;
    if (uses_dc && dc <= 3 && !defined[0][dc]) return 0;
    if (uses_ac && ac <= 3 && !defined[1][ac]) return 0;
  }
  return 1;
}

int dn_jpeg_huffman_tables_ok(const unsigned char *p, size_t n) {
  size_t i = dn_jpeg_soi_end(p, n);
  unsigned char defined[2][4] = {{0}};
  int progressive = 0;
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
    if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) progressive = marker == 0xC2;
    if (marker == 0xDA && !scan_tables_defined(p, n, i, progressive, defined)) return 0;
    if (marker == 0xC4) {
      size_t at = i + 4, end = i + 2 + length;
      if (end > n) end = n;
      /* stb reads each table's 16 counts and symbols as the counts say,
       * whatever the segment's length claims, and zeros past the end */
      while (at < end && at < n) {
        unsigned total = 0, k;
        const int dc = (p[at] >> 4) == 0;
        if ((p[at] >> 4) <= 1 && (p[at] & 15) <= 3) defined[p[at] >> 4][p[at] & 15] = 1;
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

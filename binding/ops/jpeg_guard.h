/* A check of a JPEG's Huffman tables that darknet's stb_image lacks. */
#ifndef DARKNET_NAPI_OPS_JPEG_GUARD_H
#define DARKNET_NAPI_OPS_JPEG_GUARD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The offset just past a JPEG's SOI marker, found as stb_image finds it
 * (0xFF fill bytes may come before it); 0 when p[0..n) is not a JPEG. */
size_t dn_jpeg_soi_end(const unsigned char *p, size_t n);

/* 0 when p[0..n) is a JPEG whose DHT segments would make darknet's stb_image
 * write or read past a table, or one of whose scans uses a Huffman table the
 * file has not defined before it; 1 otherwise (other formats included). */
int dn_jpeg_huffman_tables_ok(const unsigned char *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif

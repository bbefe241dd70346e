/* 64-byte aligned buffers: C11 aligned_alloc/free, or on Windows (MinGW's
 * msvcrt has no aligned_alloc; its memory must go back to _aligned_free)
 * _aligned_malloc/_aligned_free. */
#ifndef DARKNET_NAPI_DN_ALIGNED_H
#define DARKNET_NAPI_DN_ALIGNED_H
#include <stdlib.h>
#ifdef _WIN32
#include <malloc.h>
#define dn_aligned_alloc(align, size) _aligned_malloc((size), (align))
#define dn_aligned_free(p) _aligned_free(p)
#else
#define dn_aligned_alloc(align, size) aligned_alloc((align), (size))
#define dn_aligned_free(p) free(p)
#endif
#endif

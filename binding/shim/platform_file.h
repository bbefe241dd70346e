/* Files by UTF-8 path on every platform. Node hands the addon UTF-8 strings;
 * the Windows C runtime's fopen and stat read a path in the ANSI code page,
 * so a file under C:\Users\Jürgen\ would not open. On Windows these convert
 * to UTF-16 and use the wide calls; elsewhere they are the plain ones. Every
 * file darknet or ops/ opens goes through them (darknet's fopen through
 * dn_shim_fopen). */
#ifndef DARKNET_NAPI_SHIM_PLATFORM_FILE_H
#define DARKNET_NAPI_SHIM_PLATFORM_FILE_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

FILE *dn_fopen(const char *path, const char *mode);
/* The open file's size in bytes (64-bit on Windows too), or -1. */
long long dn_file_size(FILE *f);
/* 1 when path names a regular file. */
int dn_is_regular_file(const char *path);

#ifdef __cplusplus
}
#endif

#endif

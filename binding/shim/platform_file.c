/* See platform_file.h. Compiled without darknet_shim.h: fopen here is the C runtime's. */
#include "platform_file.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#ifdef _WIN32
#include <windows.h>
#endif

#ifdef _WIN32
/* malloc'd UTF-16 copy of a UTF-8 string, or NULL with errno set. */
static wchar_t *wide(const char *text) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, NULL, 0);
  wchar_t *w;
  if (n <= 0) {
    errno = ENOENT; /* not UTF-8: no file can have that name */
    return NULL;
  }
  w = (wchar_t *)malloc((size_t)n * sizeof *w);
  if (!w) {
    errno = ENOMEM;
    return NULL;
  }
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, w, n);
  return w;
}
#endif

FILE *dn_fopen(const char *path, const char *mode) {
#ifdef _WIN32
  wchar_t *wpath = wide(path), *wmode;
  FILE *f = NULL;
  if (!wpath) return NULL;
  wmode = wide(mode);
  if (wmode) f = _wfopen(wpath, wmode);
  free(wmode);
  free(wpath);
  return f;
#else
  return fopen(path, mode);
#endif
}

long long dn_file_size(FILE *f) {
#ifdef _WIN32
  struct _stat64 st;
  return _fstat64(_fileno(f), &st) == 0 ? (long long)st.st_size : -1;
#else
  struct stat st;
  return fstat(fileno(f), &st) == 0 ? (long long)st.st_size : -1;
#endif
}

int dn_is_regular_file(const char *path) {
#ifdef _WIN32
  struct _stat64 st;
  wchar_t *wpath = wide(path);
  int regular;
  if (!wpath) return 0;
  regular = _wstat64(wpath, &st) == 0 && (st.st_mode & _S_IFMT) == _S_IFREG;
  free(wpath);
  return regular;
#else
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
#endif
}

/* See file.h. */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/platform_file.h"

int dn_read_file(const char *path, const char *what, unsigned char **bytes, size_t *length, dn_error *err) {
  FILE *f = dn_fopen(path, "rb");
  unsigned char *data = NULL;
  size_t size = 0, capacity = 0, n;
  int failed;
  *bytes = NULL;
  *length = 0;
  if (!f) {
    dn_error_set(err, DN_E_FILE, "cannot open %s %s: %s", what, path, strerror(errno));
    return -1;
  }
  do {
    if (size == capacity) {
      /* doubling from 64 KiB: one read for most images */
      unsigned char *grown;
      capacity = capacity ? capacity * 2 : (size_t)1 << 16;
      grown = (unsigned char *)realloc(data, capacity);
      if (!grown) {
        free(data);
        fclose(f);
        dn_error_set(err, DN_E_FILE, "cannot read %s %s", what, path);
        return -1;
      }
      data = grown;
    }
    n = fread(data + size, 1, capacity - size, f);
    size += n;
  } while (n > 0);
  failed = ferror(f) != 0;
  fclose(f);
  if (failed) {
    free(data);
    dn_error_set(err, DN_E_FILE, "cannot read %s %s", what, path);
    return -1;
  }
  *bytes = data;
  *length = size;
  return 0;
}

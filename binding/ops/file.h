/* Reading a whole file, with the error the addon reports for it. */
#ifndef DARKNET_NAPI_OPS_FILE_H
#define DARKNET_NAPI_OPS_FILE_H

#include <stddef.h>

#include "shim/guard.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the file at path into *bytes (malloc'd, *length bytes; NULL for an
 * empty file). Returns 0, or -1 with err set to DN_E_FILE ("cannot open
 * <what> <path>: <reason>" / "cannot read <what> <path>"). */
int dn_read_file(const char *path, const char *what, unsigned char **bytes, size_t *length, dn_error *err);

#ifdef __cplusplus
}
#endif

#endif

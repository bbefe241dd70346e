/*
 * The cfg check: the rules of darknet's read_cfg and parse_network_cfg that
 * darknet itself does not check (and crashes or exits on), checked up front.
 */
#ifndef DARKNET_NAPI_OPS_CFG_CHECK_H
#define DARKNET_NAPI_OPS_CFG_CHECK_H

#include <stddef.h>

#include "shim/guard.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Checks the cfg at path. Returns 0 with *text a malloc'd copy of the cfg as
 * darknet should parse it (stripped lines, batch=1, no policy=) of *length
 * bytes, or -1 with err set (DN_E_CFG or DN_E_FILE) and *text NULL. */
int dn_cfg_check(const char *path, char **text, size_t *length, dn_error *err);

#ifdef __cplusplus
}
#endif

#endif

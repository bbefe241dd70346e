/* The error codes' JavaScript names (the table: lib/error-codes.ts). */
#ifndef DARKNET_NAPI_OPS_ERROR_CODES_H
#define DARKNET_NAPI_OPS_ERROR_CODES_H

#include "shim/dn_error_codes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "ERR_INVALID_CFG" for DN_E_CFG, ...; "ERR_DARKNET" for a code not in the table. */
const char *dn_error_code_name(int code);

#ifdef __cplusplus
}
#endif

#endif

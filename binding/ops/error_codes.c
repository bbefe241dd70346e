/* See error_codes.h. */
#include "error_codes.h"

const char *dn_error_code_name(int code) {
  switch (code) {
#define DN_ERROR_CODE_CASE(name, js) \
  case name:                        \
    return js;
    DN_ERROR_CODES(DN_ERROR_CODE_CASE)
#undef DN_ERROR_CODE_CASE
    default:
      return "ERR_DARKNET";
  }
}

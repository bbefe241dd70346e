/*
 * darknet computes buffer sizes in int (outputs*inputs, w*h*c*batch, ...);
 * cfg or image values large enough wrap them around, and darknet then
 * allocates a small buffer and writes past it. Its sizing code is compiled
 * with -fsanitize=signed-integer-overflow,integer-divide-by-zero (see
 * cmake/shim.cmake), which makes the compiler call these handlers on overflow
 * or division by zero; they unwind to the guard like darknet's other fatal
 * paths.
 *
 * In the addon no sanitizer runtime is linked: these definitions are the
 * handlers. In the fuzz build (DN_OVERFLOW_WRAP) the runtime defines them,
 * and the fuzzers' link wraps them (cmake/fuzz.cmake): a call from darknet's
 * sources unwinds as in the addon, any other goes on to the runtime, which
 * reports it.
 */
#include "guard.h"

#include <string.h>

/* The handlers ignore the operands: the message says what happened. */
#define OVERFLOW_MESSAGE "integer overflow in darknet's size arithmetic (a value in the cfg or image is too large)"
#define DIVIDE_MESSAGE "division by zero in darknet (a value in the cfg is zero)"

#ifdef DN_OVERFLOW_WRAP
/* The handlers' data starts with the source location: its file name first. */
static int from_darknet(void *data) {
  const char *file = *(const char *const *)data;
  return file && strstr(file, "/darknet/src/") != NULL;
}
#define HANDLER2(name, message)                                    \
  void __real_##name(void *data, void *a, void *b);                \
  void __wrap_##name(void *data, void *a, void *b);                \
  void __wrap_##name(void *data, void *a, void *b) {               \
    if (from_darknet(data)) dn_shim_fatal(message);                \
    __real_##name(data, a, b);                                     \
  }
#define HANDLER1(name, message)                                    \
  void __real_##name(void *data, void *a);                         \
  void __wrap_##name(void *data, void *a);                         \
  void __wrap_##name(void *data, void *a) {                        \
    if (from_darknet(data)) dn_shim_fatal(message);                \
    __real_##name(data, a);                                        \
  }
#else
#define HANDLER2(name, message)                                    \
  void name(void *data, void *a, void *b);                         \
  void name(void *data, void *a, void *b) {                        \
    (void)data; (void)a; (void)b;                                  \
    dn_shim_fatal(message);                                        \
  }
#define HANDLER1(name, message)                                    \
  void name(void *data, void *a);                                  \
  void name(void *data, void *a) {                                 \
    (void)data; (void)a;                                           \
    dn_shim_fatal(message);                                        \
  }
#endif

/* (the _abort forms: where the checks are built without recovery) */
HANDLER2(__ubsan_handle_add_overflow, OVERFLOW_MESSAGE)
HANDLER2(__ubsan_handle_sub_overflow, OVERFLOW_MESSAGE)
HANDLER2(__ubsan_handle_mul_overflow, OVERFLOW_MESSAGE)
HANDLER1(__ubsan_handle_negate_overflow, OVERFLOW_MESSAGE)
HANDLER2(__ubsan_handle_divrem_overflow, DIVIDE_MESSAGE)
HANDLER2(__ubsan_handle_add_overflow_abort, OVERFLOW_MESSAGE)
HANDLER2(__ubsan_handle_sub_overflow_abort, OVERFLOW_MESSAGE)
HANDLER2(__ubsan_handle_mul_overflow_abort, OVERFLOW_MESSAGE)
HANDLER1(__ubsan_handle_negate_overflow_abort, OVERFLOW_MESSAGE)
HANDLER2(__ubsan_handle_divrem_overflow_abort, DIVIDE_MESSAGE)

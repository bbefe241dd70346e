/*
 * darknet computes buffer sizes in int (outputs*inputs, w*h*c*batch, ...);
 * cfg or image values large enough wrap them around, and darknet then
 * allocates a small buffer and writes past it. Its sizing code is compiled
 * with -fsanitize=signed-integer-overflow,integer-divide-by-zero (see
 * cmake/shim.cmake), which makes the compiler call these handlers on overflow
 * or division by zero; without the sanitizer runtime linked, these
 * definitions are the handlers, and they unwind to the guard like darknet's
 * other fatal paths. Not built where a sanitizer runtime provides them.
 */
#include "guard.h"

/* The handlers ignore the operands: the message says what happened. */
#define OVERFLOW_MESSAGE "integer overflow in darknet's size arithmetic (a value in the cfg or image is too large)"
#define DIVIDE_MESSAGE "division by zero in darknet (a value in the cfg is zero)"

void __ubsan_handle_add_overflow(void *data, void *lhs, void *rhs);
void __ubsan_handle_sub_overflow(void *data, void *lhs, void *rhs);
void __ubsan_handle_mul_overflow(void *data, void *lhs, void *rhs);
void __ubsan_handle_negate_overflow(void *data, void *old);
void __ubsan_handle_divrem_overflow(void *data, void *lhs, void *rhs);
void __ubsan_handle_add_overflow_abort(void *data, void *lhs, void *rhs);
void __ubsan_handle_sub_overflow_abort(void *data, void *lhs, void *rhs);
void __ubsan_handle_mul_overflow_abort(void *data, void *lhs, void *rhs);
void __ubsan_handle_negate_overflow_abort(void *data, void *old);
void __ubsan_handle_divrem_overflow_abort(void *data, void *lhs, void *rhs);

void __ubsan_handle_add_overflow(void *data, void *lhs, void *rhs) {
  (void)data; (void)lhs; (void)rhs;
  dn_shim_fatal(OVERFLOW_MESSAGE);
}
void __ubsan_handle_sub_overflow(void *data, void *lhs, void *rhs) {
  (void)data; (void)lhs; (void)rhs;
  dn_shim_fatal(OVERFLOW_MESSAGE);
}
void __ubsan_handle_mul_overflow(void *data, void *lhs, void *rhs) {
  (void)data; (void)lhs; (void)rhs;
  dn_shim_fatal(OVERFLOW_MESSAGE);
}
void __ubsan_handle_negate_overflow(void *data, void *old) {
  (void)data; (void)old;
  dn_shim_fatal(OVERFLOW_MESSAGE);
}
void __ubsan_handle_divrem_overflow(void *data, void *lhs, void *rhs) {
  (void)data; (void)lhs; (void)rhs;
  dn_shim_fatal(DIVIDE_MESSAGE);
}
void __ubsan_handle_add_overflow_abort(void *data, void *lhs, void *rhs) {
  (void)data; (void)lhs; (void)rhs;
  dn_shim_fatal(OVERFLOW_MESSAGE);
}
void __ubsan_handle_sub_overflow_abort(void *data, void *lhs, void *rhs) {
  (void)data; (void)lhs; (void)rhs;
  dn_shim_fatal(OVERFLOW_MESSAGE);
}
void __ubsan_handle_mul_overflow_abort(void *data, void *lhs, void *rhs) {
  (void)data; (void)lhs; (void)rhs;
  dn_shim_fatal(OVERFLOW_MESSAGE);
}
void __ubsan_handle_negate_overflow_abort(void *data, void *old) {
  (void)data; (void)old;
  dn_shim_fatal(OVERFLOW_MESSAGE);
}
void __ubsan_handle_divrem_overflow_abort(void *data, void *lhs, void *rhs) {
  (void)data; (void)lhs; (void)rhs;
  dn_shim_fatal(DIVIDE_MESSAGE);
}

/*
 * The guard between darknet's fatal paths and the caller: dn_guard() runs a
 * function with a thread-local jump target set, and darknet's exit(), abort()
 * and failed asserts (see darknet_shim.h) jump back to it with the message
 * darknet printed last. Only plain C frames may lie between the two.
 */
#ifndef DARKNET_NAPI_GUARD_H
#define DARKNET_NAPI_GUARD_H

/* MinGW: `printf` means msvcrt's (no %zu); our printing goes through the C99
 * one (__USE_MINGW_ANSI_STDIO), checked as gnu_printf. */
#if defined(__MINGW32__)
#define DN_PRINTF_ARCHETYPE gnu_printf
#else
#define DN_PRINTF_ARCHETYPE printf
#endif
#include <stddef.h>
#include <stdio.h>

/* The codes (DN_OK, DN_E_CFG, ...), generated from lib/error-codes.ts. */
#include "dn_error_codes.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DN_MESSAGE_SIZE 1024

typedef struct dn_error {
  int code; /* one of dn_error_code; DN_OK when nothing failed */
  char message[DN_MESSAGE_SIZE];
} dn_error;

/* Runs fn(arg). Returns 0, or -1 when darknet tried to end the process, in
 * which case err holds DN_E_DARKNET (or `fatal_code`) and darknet's message. */
int dn_guard(void (*fn)(void *), void *arg, int fatal_code, dn_error *err);

void dn_error_set(dn_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(DN_PRINTF_ARCHETYPE, 3, 4)))
#endif
    ;

/* Replacements for darknet's process-ending and printing calls. */
void dn_shim_exit(int status)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;
void dn_shim_abort(void)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;
void dn_shim_assert_fail(const char *expr, const char *file, unsigned int line, const char *func)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;
/* Unwinds to the guard with `message` (see overflow.c). */
void dn_shim_fatal(const char *message)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;
int dn_shim_fprintf(FILE *stream, const char *fmt, ...);
int dn_shim_printf(const char *fmt, ...);
void dn_shim_perror(const char *s);
FILE *dn_shim_fopen(const char *path, const char *mode);

void *dn_shim_malloc(size_t n);
void *dn_shim_calloc(size_t n, size_t size);
void *dn_shim_realloc(void *p, size_t n);
void dn_shim_free(void *p);

/* Between begin and end (per thread), every block darknet allocates and has
 * not freed is remembered; end(1) frees them all (a build that failed),
 * end(0) forgets them (they belong to the network now). */
void dn_track_allocations_begin(void);
void dn_track_allocations_end(int free_them);

/* While a budget is set (per thread, 0: none), darknet's allocations are
 * counted, and one that would exceed it unwinds to the guard with a message
 * instead of being made. Frees are not counted: the budget bounds what one
 * load asks for in total. */
void dn_set_allocation_budget(size_t bytes);
/* Whether the last unwind was the budget's. */
int dn_allocation_budget_exceeded(void);
/* What the budget still allows (SIZE_MAX: no budget), for our own
 * allocations after darknet's, which are checked, not unwound. */
size_t dn_allocation_budget_left(void);

/* While set (per thread), darknet's fopen(path, "r") of exactly `path` reads
 * `text` instead of the file. NULL clears it. */
void dn_set_file_override(const char *path, const char *text, size_t length);

/* While set (per thread), make_convolutional_layer's random initial weights
 * are zeros instead (dn_shim_rand_normal): for a network whose weights file
 * then overwrites every one of them, where drawing them (Box-Muller on
 * rand(), whose lock two loads at once contend for) was most of a load. */
void dn_set_random_init_skipped(int skipped);
float dn_shim_rand_normal(void);

#ifdef __cplusplus
}
#endif

#endif

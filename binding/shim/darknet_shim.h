/*
 * Forced include (-include) for darknet's own C sources when they are compiled
 * into the addon. darknet ends the process on any fatal condition (exit() in
 * file_error/malloc_error/load_image_stb, assert(0) in error()); inside a Node
 * process that must become a JavaScript error instead. These macros route
 * those calls, and darknet's diagnostic printing, to binding/guard.c, which
 * unwinds to the guard around the darknet call. darknet's files stay untouched.
 *
 * fopen is routed too, so that the cfg darknet parses can be our rewritten
 * copy (batch=1: darknet would otherwise allocate every training buffer for
 * the cfg's batch, 128 for tiny.cfg, only to run one image at a time).
 *
 * Allocations are routed too, so that building a network can be held to a
 * memory budget (a hostile cfg can ask for terabytes; darknet never checks),
 * and so that what a failed build allocated can be freed (darknet's parser
 * has no cleanup path of its own).
 *
 * The system headers are included first so that their own declarations keep
 * their real names; only darknet's code sees the macros.
 */
#ifndef DARKNET_NAPI_SHIM_H
#define DARKNET_NAPI_SHIM_H

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "guard.h"

/* yolo_layer.c alone (compiled with DN_SHIM_YOLO): with our
 * -fsanitize=signed-integer-overflow, MinGW-w64's gcc inlines get_yolo_box
 * into get_yolo_detections, and -Ofast then multiplies by a hoisted 1/lw
 * where darknet's own build (the reference, no sanitizer) calls it and
 * divides: box centres 1 ulp off. Kept out of line, as there. */
#if defined(DN_SHIM_YOLO) && defined(__MINGW32__)
#include "darknet.h"
__attribute__((noinline)) box get_yolo_box(float *x, float *biases, int n, int index, int i, int j, int lw, int lh,
                                           int w, int h, int stride);
#endif

#define exit(status) dn_shim_exit(status)
#define abort() dn_shim_abort()
#define fprintf dn_shim_fprintf
#define printf dn_shim_printf
#define perror(s) dn_shim_perror(s)
#define fopen dn_shim_fopen
#define malloc(n) dn_shim_malloc(n)
#define calloc(n, size) dn_shim_calloc(n, size)
#define realloc(p, n) dn_shim_realloc(p, n)
#define free(p) dn_shim_free(p)
/* glibc and musl expand assert() to __assert_fail, macOS to __assert_rtn. */
#define __assert_fail(expr, file, line, func) dn_shim_assert_fail(expr, file, line, func)
#define __assert_rtn(func, file, line, expr) dn_shim_assert_fail(expr, file, line, func)
/* MinGW-w64 expands assert() to msvcrt's _assert (_wassert under UNICODE),
 * which prints and terminates the process. */
#define _assert(expr, file, line) dn_shim_assert_fail(expr, file, line, __func__)

/* parser.c alone (compiled with DN_SHIM_PARSER): its [local] layers are made
 * through a check of their output size (binding/ops/cfg_rules.c), because
 * make_local_layer writes past its buffer before the network exists. */
#ifdef DN_SHIM_PARSER
#define make_local_layer dn_checked_make_local_layer
#endif

/* convolutional_layer.c alone (compiled with DN_SHIM_CONV): its random
 * initial weights through the guard, which skips drawing them for a load
 * whose weights file overwrites them all (dn_set_random_init_skipped). */
#ifdef DN_SHIM_CONV
#define rand_normal() dn_shim_rand_normal()
#endif

#endif

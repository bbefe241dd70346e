/*
 * The options of a load and of a run, as one struct each: what lib/options.ts
 * validated, converted by napi/convert.cc. A new option is one field here and
 * one in lib/options.ts.
 */
#ifndef DARKNET_NAPI_OPS_OPTIONS_H
#define DARKNET_NAPI_OPS_OPTIONS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dn_resize_mode {
  DN_RESIZE_LETTERBOX = 0, /* ./darknet classify: letterbox_image to the network size */
  DN_RESIZE_MIN = 1        /* 2016 flow: resize_min, then resize_network to that size */
} dn_resize_mode;

typedef enum dn_engine {
  DN_ENGINE_FAST = 0,   /* engine/fast_engine.h: same results, multi-threaded and vectorized */
  DN_ENGINE_DARKNET = 1 /* darknet's own network_predict */
} dn_engine;

typedef enum dn_precision {
  DN_PRECISION_EXACT = 0, /* darknet's arithmetic in darknet's order: its bits */
  DN_PRECISION_FAST = 1   /* the fast engine with batch norm folded and FMA kernels (engine/fast_engine.h) */
} dn_precision;

typedef struct dn_load_options {
  size_t limit_network_bytes; /* what darknet may allocate building the network; 0: no limit */
  dn_engine engine;           /* what its runs will use (the fast engine: darknet's weights given up) */
  dn_precision precision;     /* fast: only with the fast engine (lib/options.ts checks it) */
} dn_load_options;

typedef struct dn_run_options {
  dn_resize_mode resize;
  dn_engine engine;
  int top;                   /* how many of darknet's top_k to return; 0: none */
  int hierarchy;             /* apply the network's tree (hierarchy_predictions), when it has one */
  double limit_input_pixels; /* an encoded image's header may claim at most this many; 0: no limit */
  int profile;               /* also return each layer's time (the fast engine times every layer) */
} dn_run_options;

/* A detect call: ./darknet detector test's thresholds (lib/options.ts checks
 * them: thresh in (0, 1], hier_thresh and nms in [0, 1]; nms 0 skips NMS, as
 * darknet's `if (nms)`). */
typedef struct dn_detect_options {
  dn_engine engine;
  double limit_input_pixels; /* as dn_run_options */
  float thresh;
  float hier_thresh;
  float nms;
  int heads; /* also copy every head's raw output (for the parity tests) */
  /* 0, or a dn_draw_format (ops/draw.h): also draw the detections on the
   * image and encode it */
  int draw;
  const char *const *names; /* with draw: name_count names, at least the head's classes */
  int name_count;
  const char *alphabet_dir; /* with draw: darknet's data/labels/ (ops/draw.h: dn_alphabet) */
  /* average > 0: the flow of darknet's `detector demo` (src/demo.c,
   * detect_in_thread) instead of detector test's: this frame's heads are
   * remembered in slot average_index of history (remember_network), the
   * boxes come from the mean of the last `average` frames' heads
   * (avg_predictions: fill_cpu, then axpy_cpu of 1./average per slot in slot
   * order) for the frame's size, and NMS is do_nms_obj. history holds
   * (average + 1) x the heads' floats (the last slot: avg's scratch), zeros
   * at the stream's start as demo's calloc; history_floats says how many. */
  int average;
  int average_index;
  float *history;
  size_t history_floats;
} dn_detect_options;

#ifdef __cplusplus
}
#endif

#endif

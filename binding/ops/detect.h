/*
 * Detection with darknet's own code: the flow of `./darknet detector test`
 * (examples/detector.c, test_detector) on one image. letterbox_image to the
 * network's size, network_predict, get_network_boxes(..., relative=1),
 * do_nms_sort when nms > 0, then every detection in darknet's order with each
 * class above the threshold, classes ascending, as draw_detections prints them.
 */
#ifndef DARKNET_NAPI_OPS_DETECT_H
#define DARKNET_NAPI_OPS_DETECT_H

#include "darknet.h"
#include "draw.h"
#include "image.h"
#include "network.h"
#include "options.h"
#include "shim/guard.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether the network is a detector: its last layer is a [yolo], [region] or
 * [detection] head (the layer whose classes darknet's make_network_boxes
 * sizes every box by). */
int dn_network_is_detector(const network *net);

/* The head's class count; 0 for a network that is not a detector. */
int dn_network_classes(const network *net);

/* One line of darknet's output: a box and one class above the threshold. */
typedef struct dn_detection {
  int class_index;
  float probability; /* dets[i].prob[class], after NMS */
  float objectness;
  /* darknet's box (detection.bbox): centre and size, fractions of the image,
   * unclamped */
  float x, y, w, h;
  /* draw_detections' rectangle in pixels: (b.x - b.w/2.)*im.w ... truncated
   * toward zero, then left and top raised to 0, right and bottom lowered to
   * the last column and row (only those four clamps, as darknet; an edge out
   * of int range saturates, where darknet's conversion is undefined) */
  int left, top, right, bottom;
} dn_detection;

typedef struct dn_detections {
  dn_detection *items;
  int count;
  /* with options->heads: every head's raw output (l.output after
   * network_predict), one after another; head_layers[k] is the k-th head's
   * layer index and head_sizes[k] its number of floats */
  float *heads;
  int *head_layers;
  int *head_sizes;
  int head_count;
  /* with options->draw: the image with the detections drawn, encoded */
  dn_encoded image;
  /* the image's size as loaded (what the pixel boxes are in) */
  int width, height;
} dn_detections;

/* Detects on the source (with options->draw, drawing on its float image). Returns 0 with *out filled (free with dn_detections_free),
 * or -1 with err set: DN_E_INPUT for a network that is not a detector, an
 * image letterbox_image cannot fit, or a threshold so low that darknet's NMS
 * would make more than DN_DETECT_MAX_NMS_STEPS box comparisons. */
int dn_network_detect(dn_network *handle, dn_source *src, const dn_detect_options *options, dn_detections *out,
                      dn_error *err);

/* The whole of a detect call: reads and decodes the input as
 * dn_network_run_input does, then dn_network_detect. */
int dn_network_detect_input(dn_network *handle, const dn_input *input, const dn_detect_options *options,
                            dn_detections *out, dn_error *err);

void dn_detections_free(dn_detections *out);

/* do_nms_sort compares, for each class, every box that has the class with
 * every box after it: with thresh near 0 that is all of them (yolov3 at
 * 608x608 at thresh 1e-6: 22,743 boxes x 80 classes, a bound of 4.1e10,
 * about 40 s of NMS measured on a loaded 2-core x86-64; yolov3-tiny at 1e-6:
 * 5e8, half a second). A call whose bound (per class, the boxes with that
 * class times the boxes with an objectness) exceeds this is refused instead:
 * seconds of work at most. Real weights stay far below it even at the
 * thresh of 0.001 used for mAP (few classes per box pass). */
#define DN_DETECT_MAX_NMS_STEPS 4e9

#ifdef __cplusplus
}
#endif

#endif

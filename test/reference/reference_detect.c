/*
 * Test oracle: darknet's own detection flow (examples/detector.c,
 * test_detector), built from the untouched sources, printing exactly (%a)
 * what it computes instead of drawing it: every head's raw output after
 * network_predict, then each printed line's box, class and probability.
 *
 *   reference-detect <cfg> <weights> <thresh> <hier_thresh> <nms> <image>...
 *
 * One network for all images (test_detector's loop). Per image:
 *   image <path> <w> <h>
 *   head <layer> <count>         then <count> lines of %a
 *   detections <n>
 *   <class> <prob> <objectness> <x> <y> <w> <h> <left> <top> <right> <bot>
 * the floats as %a, the box as darknet's bbox (relative centre and size),
 * the pixels as draw_detections computes them. A [detection] head takes
 * examples/yolo.c's flow instead (resize_image, boxes for a 1x1 image).
 */
#include <stdio.h>
#include <stdlib.h>

#include "darknet.h"

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s <cfg> <weights> <thresh> <hier_thresh> <nms> <image>...\n", argv[0]);
    return 2;
  }
  /* test_detector's thresholds are floats read with atof */
  float thresh = atof(argv[3]), hier_thresh = atof(argv[4]), nms = atof(argv[5]);
  network *net = load_network(argv[1], argv[2], 0);
  set_batch_network(net, 1);
  srand(2222222);
  layer l = net->layers[net->n - 1];
  int stretched = l.type == DETECTION;
  int a, i, j;
  for (a = 6; a < argc; ++a) {
    image im = load_image_color(argv[a], 0, 0);
    image sized = stretched ? resize_image(im, net->w, net->h) : letterbox_image(im, net->w, net->h);
    network_predict(net, sized.data);
    printf("image %s %d %d\n", argv[a], im.w, im.h);
    for (i = 0; i < net->n; ++i) {
      layer h = net->layers[i];
      if (h.type != YOLO && h.type != REGION && h.type != DETECTION) continue;
      printf("head %d %d\n", i, h.outputs);
      for (j = 0; j < h.outputs; ++j) printf("%a\n", h.output[j]);
    }
    int nboxes = 0;
    detection *dets = get_network_boxes(net, stretched ? 1 : im.w, stretched ? 1 : im.h, thresh, hier_thresh, 0, 1,
                                        &nboxes);
    if (nms) do_nms_sort(dets, nboxes, l.classes, nms);
    int count = 0;
    for (i = 0; i < nboxes; ++i)
      for (j = 0; j < l.classes; ++j) count += dets[i].prob[j] > thresh;
    printf("detections %d\n", count);
    /* draw_detections' loops and arithmetic */
    for (i = 0; i < nboxes; ++i) {
      box b = dets[i].bbox;
      int left = (b.x - b.w / 2.) * im.w;
      int right = (b.x + b.w / 2.) * im.w;
      int top = (b.y - b.h / 2.) * im.h;
      int bot = (b.y + b.h / 2.) * im.h;
      if (left < 0) left = 0;
      if (right > im.w - 1) right = im.w - 1;
      if (top < 0) top = 0;
      if (bot > im.h - 1) bot = im.h - 1;
      for (j = 0; j < l.classes; ++j) {
        if (dets[i].prob[j] > thresh) {
          printf("%d %a %a %a %a %a %a %d %d %d %d\n", j, dets[i].prob[j], dets[i].objectness, b.x, b.y, b.w, b.h, left,
                 top, right, bot);
        }
      }
    }
    free_detections(dets, nboxes);
    free_image(im);
    free_image(sized);
  }
  return 0;
}

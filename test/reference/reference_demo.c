/*
 * Test oracle: darknet's own `detector demo` (src/demo.c, its demo() and
 * detect_in_thread), built from the untouched source a second time with
 * OPENCV defined (that is what compiles it in), with the frames read from
 * image files instead of a camera: the four OpenCV calls it makes are given
 * here. demo.c's do_nms_obj call is wrapped at link time (-Wl,--wrap) to
 * print, after darknet's NMS, exactly (%a) what the frame's boxes are.
 *
 *   reference-demo <cfg> <weights> <thresh> <hier> <names> <prefix> <frame>...
 *
 * Run in darknet's folder (demo() loads data/labels/ for drawing). Per frame,
 * after darknet's heads averaging (remember_network, avg_predictions over
 * 3 frames: demo.c's demo_frame, whatever -avg says) and NMS:
 *   frame <k> <w> <h>
 *   detections <n>
 *   <class> <prob> <objectness> <x> <y> <w> <h> <left> <top> <right> <bot>
 * as reference-detect prints them. demo() also saves the drawn frames as
 * <prefix>_%08d.jpg (its own naming and order) and prints its own lines.
 * With REFERENCE_DEMO_JSON=<file>, the frames are also written there as
 * AlexeyAB's -json_file_output writes them (frame ids from 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

void demo(char *cfgfile, char *weightfile, float thresh, int cam_index, const char *filename, char **names,
          int classes, int delay, char *prefix, int avg, float hier, int w, int h, int frames, int fullscreen);

static char **frame_paths;
static int frame_count, frame_next, frame_w, frame_h;
static float print_thresh;
static int detected;
static char **demo_label_names;
static FILE *json_file;

/* AlexeyAB's -json_file_output for this frame: detection_to_json's format
 * (its spacing, %f numbers, prob > 0.005 after get_network_boxes' own
 * threshold, box then class order), written from darknet's boxes here so
 * that the test compares our bytes with C's printf. */
static void write_json(detection *dets, int total, int classes, int frame_id) {
  int i, j, first = 1;
  if (!json_file) return;
  if (frame_id > 1) fputs(", \n", json_file);
  fprintf(json_file, "{\n \"frame_id\":%d, \n \"objects\": [ \n", frame_id);
  for (i = 0; i < total; ++i) {
    for (j = 0; j < classes; ++j) {
      if (!(dets[i].prob[j] > 0.005f) || !(dets[i].prob[j] > print_thresh) || !strncmp(demo_label_names[j], "dont_show", 9))
        continue;
      if (!first) fputs(", \n", json_file);
      first = 0;
      fprintf(json_file,
              "  {\"class_id\":%d, \"name\":\"%s\", \"relative_coordinates\":{\"center_x\":%f, \"center_y\":%f, "
              "\"width\":%f, \"height\":%f}, \"confidence\":%f}",
              j, demo_label_names[j], dets[i].bbox.x, dets[i].bbox.y, dets[i].bbox.w, dets[i].bbox.h, dets[i].prob[j]);
    }
  }
  fputs("\n ] \n}", json_file);
}

/* demo.c: cap = open_video_stream(filename, 0, 0, 0, 0); filename is unused here */
void *open_video_stream(const char *f, int c, int w, int h, int fps) {
  (void)f;
  (void)c;
  (void)w;
  (void)h;
  (void)fps;
  return &frame_paths;
}

/* The next frame, or at the end an image without data (demo_done) that
 * keeps the frames' size: the detect thread may read buff[0].w meanwhile. */
image get_image_from_stream(void *p) {
  (void)p;
  if (frame_next >= frame_count) {
    image end = {frame_w, frame_h, 3, 0};
    return end;
  }
  image im = load_image_color(frame_paths[frame_next++], 0, 0);
  frame_w = im.w;
  frame_h = im.h;
  return im;
}

void make_window(char *name, int w, int h, int fullscreen) {
  (void)name;
  (void)w;
  (void)h;
  (void)fullscreen;
}

void __real_do_nms_obj(detection *dets, int total, int classes, float thresh);

void __wrap_do_nms_obj(detection *dets, int total, int classes, float thresh) {
  int i, j, count = 0;
  __real_do_nms_obj(dets, total, classes, thresh);
  for (i = 0; i < total; ++i)
    for (j = 0; j < classes; ++j) count += dets[i].prob[j] > print_thresh;
  printf("frame %d %d %d\n", detected++, frame_w, frame_h);
  printf("detections %d\n", count);
  for (i = 0; i < total; ++i) {
    box b = dets[i].bbox;
    int left = (b.x - b.w / 2.) * frame_w;
    int right = (b.x + b.w / 2.) * frame_w;
    int top = (b.y - b.h / 2.) * frame_h;
    int bot = (b.y + b.h / 2.) * frame_h;
    if (left < 0) left = 0;
    if (right > frame_w - 1) right = frame_w - 1;
    if (top < 0) top = 0;
    if (bot > frame_h - 1) bot = frame_h - 1;
    for (j = 0; j < classes; ++j) {
      if (!(dets[i].prob[j] > print_thresh)) continue;
      printf("%d %a %a %a %a %a %a %d %d %d %d\n", j, dets[i].prob[j], dets[i].objectness, b.x, b.y, b.w, b.h, left,
             top, right, bot);
    }
  }
  write_json(dets, total, classes, detected);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: %s <cfg> <weights> <thresh> <hier> <names> <prefix> <frame>...\n", argv[0]);
    return 2;
  }
  int classes = 0;
  char **names = get_labels(argv[5]);
  while (names[classes]) ++classes;
  print_thresh = atof(argv[3]); /* detector.c: find_float_arg, a float */
  frame_paths = argv + 7;
  frame_count = argc - 7;
  demo_label_names = names;
  if (getenv("REFERENCE_DEMO_JSON")) {
    json_file = fopen(getenv("REFERENCE_DEMO_JSON"), "wb");
    if (!json_file) return 1;
    fputs("[\n", json_file);
  }
  demo(argv[1], argv[2], print_thresh, 0, "frames", names, classes, 0, argv[6], 3, atof(argv[4]), 0, 0, 0, 0);
  if (json_file) {
    fputs("\n]", json_file);
    fclose(json_file);
  }
  return 0;
}

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
  demo(argv[1], argv[2], print_thresh, 0, "frames", names, classes, 0, argv[6], 3, atof(argv[4]), 0, 0, 0, 0);
  return 0;
}

/*
 * Test oracle: darknet's own classify flow (examples/classifier.c,
 * predict_classifier), built from the untouched sources, printing the whole
 * output vector instead of the top 5, one "%.9g" value per line.
 *
 *   reference-vector <cfg> <weights> <image> [letterbox|min]
 *
 * "min" is the 2016 flow: resize_min to the network width, resize_network.
 */
#include <stdio.h>
#include <string.h>

#include "darknet.h"

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <cfg> <weights> <image> [letterbox|min]\n", argv[0]);
    return 2;
  }
  int min = argc > 4 && strcmp(argv[4], "min") == 0;
  network *net = load_network(argv[1], argv[2], 0);
  set_batch_network(net, 1);
  srand(2222222);
  image im = load_image_color(argv[3], 0, 0);
  image r;
  if (min) {
    r = resize_min(im, net->w);
    resize_network(net, r.w, r.h);
  } else {
    r = letterbox_image(im, net->w, net->h);
  }
  float *predictions = network_predict(net, r.data);
  int i;
  for (i = 0; i < net->outputs; ++i) printf("%.9g\n", predictions[i]);
  return 0;
}

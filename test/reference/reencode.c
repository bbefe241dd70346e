/*
 * Test helper: re-encodes an image with darknet's own code (load_image_color,
 * then save_image_options: stb_image_write), so that the bulk tests can feed
 * darknet's sample images in other formats.
 *
 *   reencode <image> <output-without-extension> png|bmp|tga
 */
#include <stdio.h>
#include <string.h>

#include "darknet.h"

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <image> <output-base> png|bmp|tga\n", argv[0]);
    return 2;
  }
  IMTYPE type = strcmp(argv[3], "bmp") == 0 ? BMP : strcmp(argv[3], "tga") == 0 ? TGA : PNG;
  image im = load_image_color(argv[1], 0, 0);
  save_image_options(im, argv[2], type, 100);
  free_image(im);
  return 0;
}

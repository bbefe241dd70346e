/*
 * darknet's bundled stb_image_write (darknet/src/stb_image_write.h, included
 * from darknet's tree, not copied), compiled on its own with darknet's flags
 * (-Ofast) and nothing else: what ./darknet's save_image runs, so that the
 * JPEG bytes are the bytes of the predictions.jpg it writes.
 *
 * Not the copy inside darknet's image.c of the addon: that file is compiled
 * with -fsanitize=signed-integer-overflow (binding/shim/overflow.c turns a
 * wrap in darknet's sizing code into an error), and the instrumentation
 * changes how -Ofast arranges the float arithmetic of the JPEG DCT: the same
 * pixels then encode to JPEG bytes that differ from the reference CLI's in a
 * few blocks (measured on darknet's data/dog.jpg with drawn boxes).
 * STB_IMAGE_WRITE_STATIC keeps these functions out of the way of image.c's.
 */
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
/* the functions this version of the header leaves extern even when static */
#define stbi_write_png_to_mem dn_stbi_write_png_to_mem
#define stbi_zlib_compress dn_stbi_zlib_compress
#define stbiw__linear_to_rgbe dn_stbiw__linear_to_rgbe
#define stbiw__write_dump_data dn_stbiw__write_dump_data
#define stbiw__write_hdr_scanline dn_stbiw__write_hdr_scanline
#define stbiw__write_run_data dn_stbiw__write_run_data
#include "stb_image_write.h"

#include "stb_write.h"

int dn_stbi_write_jpg_to_func(dn_stbi_write_func *func, void *context, int w, int h, int comp, const void *data,
                              int quality) {
  return stbi_write_jpg_to_func(func, context, w, h, comp, data, quality);
}

int dn_stbi_write_png_to_func(dn_stbi_write_func *func, void *context, int w, int h, int comp, const void *data,
                              int stride_in_bytes) {
  return stbi_write_png_to_func(func, context, w, h, comp, data, stride_in_bytes);
}

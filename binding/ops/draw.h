/*
 * Drawing detections as `./darknet detector test` does: darknet's own
 * draw_detections (its colours, box widths and the label alphabet of
 * data/labels/), then darknet's bundled stb_image_write, into memory: JPEG
 * at quality 80 as save_image writes predictions.jpg, or PNG as
 * save_image_png. Called from the detect flow (ops/detect.c) before the
 * detections are freed.
 */
#ifndef DARKNET_NAPI_OPS_DRAW_H
#define DARKNET_NAPI_OPS_DRAW_H

#include <stddef.h>

#include "darknet.h"
#include "shim/guard.h"

#ifdef __cplusplus
extern "C" {
#endif

/* DN_DRAW_RGB: the drawn pixels themselves, 8-bit RGB row by row (what
 * save_image converts before encoding), for a video encoder. */
typedef enum dn_draw_format { DN_DRAW_NONE = 0, DN_DRAW_JPEG = 1, DN_DRAW_PNG = 2, DN_DRAW_RGB = 3 } dn_draw_format;

/* darknet's labelstr in draw_detections: char labelstr[4096], filled with
 * strcat (the names of every class above the threshold, ", " between). */
#define DN_DRAW_LABEL_BYTES 4096

/* The longest label drawn (bytes): get_label tiles one character at a time
 * into a new image, quadratic in the label's length: a 4095-byte label
 * takes 5 s on a 32-pixel-high image, 20 s on a 400-pixel one (measured,
 * one box), minutes at the alphabet's largest size. Labels up to this are
 * darknet's exactly. */
#define DN_DRAW_LABEL_MAX 255

/* load_alphabet's 8 sizes x characters 32..126, loaded from `dir`
 * (<dir>/<char>_<size>.png, what darknet reads from data/labels/ in the
 * working directory) the first time it is asked for, once per process, under
 * a lock; later calls return the same alphabet whatever their dir. A missing
 * or undecodable file is DN_E_FILE (nothing kept: the next call tries
 * again). Never freed (process lifetime). */
image **dn_alphabet(const char *dir, dn_error *err);

/* The encoded image. */
typedef struct dn_encoded {
  unsigned char *bytes; /* malloc'ed */
  size_t size, capacity;
  int failed; /* out of memory while growing */
} dn_encoded;

/*
 * Draws dets[0..nboxes) onto im (in place) with darknet's draw_detections
 * and encodes the result into *out. Runs inside a dn_guard (darknet's
 * allocations end in exit() on failure). Before darknet runs:
 *  - draw_detections is called once per detection (what its loop does), with
 *    a copy of the detection whose prob keeps only the classes whose names
 *    fit in DN_DRAW_LABEL_MAX bytes (the first ones, in class order; the
 *    others are left out of the drawn label only, still in the detections),
 *    far inside darknet's 4096-byte labelstr, which strcat would otherwise
 *    run past; a single name is cut at DN_DRAW_LABEL_MAX bytes;
 *  - names are passed with bytes outside 32..126 replaced by '?' (get_label
 *    indexes its 128-entry tables by the char: a byte >= 128 reads outside);
 *  - a box whose edges are not finite or outside int (darknet converts them
 *    to int, undefined there) is not drawn;
 *  - a mask (a [region] head with coords > 4) is drawn only when darknet
 *    allocated the 14x14 floats draw_detections reads.
 * names has `classes` entries. Returns 0, or -1 with err set (DN_E_INPUT:
 * an image without 3 channels, more classes than darknet's colour formula
 * takes without overflowing int; DN_E_DARKNET: out of memory).
 */
int dn_draw_and_encode(image im, const detection *dets, int nboxes, float thresh, const char *const *names,
                       int classes, int coords, image **alphabet, dn_draw_format format, dn_encoded *out,
                       dn_error *err);

/* Encodes 8-bit RGB pixels (w x h x 3, row by row) as save_image would:
 * JPEG at quality 80, or PNG. For the drawn frames of a video that are
 * also served as JPEGs. Returns 0, or -1 with err set. */
int dn_encode_rgb(const unsigned char *rgb, int w, int h, dn_draw_format format, dn_encoded *out, dn_error *err);

/* draw_detections' colour offset, class*123457 % classes, is an int product:
 * it overflows past this class count. */
#define DN_DRAW_MAX_CLASSES 17395

#ifdef __cplusplus
}
#endif

#endif

/* What the cfg and weights fuzz targets share. */
#ifndef DARKNET_NAPI_FUZZ_COMMON_H
#define DARKNET_NAPI_FUZZ_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ops/ops.h"

/* Writes the input to /tmp/darknet-fuzz-<pid>.<extension> (darknet reads
 * files); returns 0, or -1 when it cannot. */
static int write_input(const uint8_t *data, size_t size, const char *extension, char *path, size_t capacity) {
  FILE *f;
  snprintf(path, capacity, "/tmp/darknet-fuzz-%d.%s", (int)getpid(), extension);
  f = fopen(path, "wb");
  if (!f) return -1;
  fwrite(data, 1, size, f);
  fclose(f);
  return 0;
}

/* Whether a run depends on the runs before it, so that two runs may differ:
 * a layer with recurrent state, or a [local] whose im2col grid (padding by
 * pad pixels) is smaller than its output grid (darknet's local_out_height
 * subtracts 1, not the padding), so that its GEMM also reads workspace
 * columns this run did not write. */
static int history_dependent(const network *net) {
  int i;
  for (i = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    if (l->type == RNN || l->type == GRU || l->type == LSTM || l->type == CRNN) return 1;
    if (l->type == LOCAL) {
      const long long im_h = (l->h + 2LL * l->pad - l->size) / l->stride + 1;
      const long long im_w = (l->w + 2LL * l->pad - l->size) / l->stride + 1;
      /* im2col writes no column when either side of its grid is 0 or less
       * (a kernel larger than the padded input: -5 / 2 + 1 = -1 on both
       * sides, whose product would look like one column) */
      const long long written = im_h > 0 && im_w > 0 ? im_h * im_w : 0;
      if (written < (long long)l->out_h * l->out_w) return 1;
    }
  }
  return 0;
}

/* One prediction on a black 8x8 image with each engine, as the addon can run
 * either; the fast engine must give darknet's bits (NaN for NaN) where a run
 * does not depend on the ones before it. */
static void predict_with_both_engines(dn_network *net) {
  unsigned char pixels[8 * 8 * 3] = {0};
  float *fast = NULL;
  int engine, count = 0, i;
  for (engine = DN_ENGINE_FAST; engine <= DN_ENGINE_DARKNET; ++engine) {
    dn_error err;
    dn_source src;
    dn_result result;
    const dn_run_options options = {DN_RESIZE_LETTERBOX, (dn_engine)engine, 1, 1, 0};
    if (dn_source_from_pixels(pixels, 8, 8, 3, &src, &err) != 0) break;
    if (dn_network_run(net, &src, &options, &result, &err) == 0) {
      if (engine == DN_ENGINE_FAST) {
        fast = result.output;
        count = result.count;
        result.output = NULL;
      } else if (fast && count == result.count && !history_dependent(net->net)) {
        for (i = 0; i < count; ++i) {
          const float a = fast[i], b = result.output[i];
          if (!(a == b || (a != a && b != b)) || (a == 0 && b == 0 && signbit(a) != signbit(b))) {
            fprintf(stderr, "fuzz: the engines differ at output %d of %d: fast %a, darknet %a\n", i, count, a, b);
            abort();
          }
        }
      }
      dn_result_free(&result);
    }
    dn_source_free(&src);
  }
  free(fast);
}

#endif

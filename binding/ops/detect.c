/* See detect.h. */
#include "detect.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine/fast_engine.h"

static int is_head(LAYER_TYPE t) { return t == YOLO || t == REGION || t == DETECTION; }

int dn_network_is_detector(const network *net) { return net->n > 0 && is_head(net->layers[net->n - 1].type); }

int dn_network_classes(const network *net) {
  return dn_network_is_detector(net) ? net->layers[net->n - 1].classes : 0;
}

/* draw_detections' int conversions of a double, without the undefined
 * behaviour of a NaN or an out-of-range value: those saturate, and the clamps
 * that follow then give 0 or the last pixel. darknet's own conversion gives
 * INT_MIN there on x86-64 (cvttsd2si), which escapes its clamps (a bottom
 * edge of -2147483648); arm64's saturates, as this does. Seen with huge
 * boxes (exp of a large logit), e.g. yolov3 with synthetic weights. */
static int truncate_to_int(double v) {
  if (!(v > (double)INT_MIN)) return INT_MIN; /* NaN too */
  if (v >= (double)INT_MAX) return INT_MAX;
  return (int)v;
}

typedef struct detect_call {
  dn_network *handle;
  dn_source *src;
  const dn_detect_options *options;
  dn_relay *relay;
  detection *dets; /* darknet's, freed with free_detections */
  int nboxes;
  int candidates; /* boxes with an objectness, what do_nms_sort sorts */
  double nms_steps; /* do_nms_sort's comparisons, bounded */
  dn_detections *out;
  int out_of_memory;
  image **alphabet; /* with options->draw */
  dn_error draw_err;
  int draw_failed;
} detect_call;

static void copy_heads(detect_call *c) {
  const network *net = c->handle->net;
  dn_detections *out = c->out;
  size_t total = 0, at = 0;
  int i, k = 0;
  for (i = 0; i < net->n; ++i) {
    if (is_head(net->layers[i].type)) {
      total += (size_t)net->layers[i].outputs;
      ++k;
    }
  }
  out->heads = (float *)malloc(sizeof(float) * (total ? total : 1));
  out->head_layers = (int *)malloc(sizeof(int) * (size_t)(k ? k : 1));
  out->head_sizes = (int *)malloc(sizeof(int) * (size_t)(k ? k : 1));
  if (!out->heads || !out->head_layers || !out->head_sizes) {
    c->out_of_memory = 1;
    return;
  }
  for (i = 0, k = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    if (!is_head(l->type)) continue;
    /* the fast engine never relays a network with a head (its relay is for
     * chains of the types it knows), so each head's own buffer holds it */
    memcpy(out->heads + at, l->output, sizeof(float) * (size_t)l->outputs);
    out->head_layers[k] = i;
    out->head_sizes[k] = l->outputs;
    at += (size_t)l->outputs;
    ++k;
  }
  out->head_count = k;
}

/* The heads' floats, all of them (demo.c's size_network). */
static size_t heads_floats(const network *net) {
  size_t total = 0;
  int i;
  for (i = 0; i < net->n; ++i)
    if (is_head(net->layers[i].type)) total += (size_t)net->layers[i].outputs;
  return total;
}

/* demo.c's remember_network and avg_predictions (up to their
 * get_network_boxes), with the stream's history for its globals: this
 * frame's heads into its slot, then every head's output replaced by the mean
 * of the slots, computed by darknet's own fill_cpu and axpy_cpu. */
static void demo_average(network *net, const dn_detect_options *o) {
  const size_t total = heads_floats(net);
  float *avg = o->history + (size_t)o->average * total;
  size_t at = 0;
  int i, j;
  for (i = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    if (!is_head(l->type)) continue;
    memcpy(o->history + (size_t)o->average_index * total + at, l->output, sizeof(float) * (size_t)l->outputs);
    at += (size_t)l->outputs;
  }
  fill_cpu((int)total, 0, avg, 1);
  for (j = 0; j < o->average; ++j) axpy_cpu((int)total, 1. / o->average, o->history + (size_t)j * total, 1, avg, 1);
  for (i = 0, at = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    if (!is_head(l->type)) continue;
    memcpy(l->output, avg + at, sizeof(float) * (size_t)l->outputs);
    at += (size_t)l->outputs;
  }
}

static void detect_run(void *arg) {
  detect_call *c = (detect_call *)arg;
  network *net = c->handle->net;
  const dn_detect_options *o = c->options;
  const layer *head = &net->layers[net->n - 1];
  const int classes = head->classes;
  /* A [detection] head (YOLOv1) predicts boxes for the image stretched to
   * the network's size, in whatever units get_network_boxes is given:
   * examples/yolo.c's flow (resize_image, then w = h = 1) gives fractions of
   * the image. detector test letterboxes and passes pixels, and then
   * draw_detections scales them to pixels a second time. */
  const int stretched = head->type == DETECTION && !o->average; /* the demo letterboxes every head */
  image sized;
  int i, j, count = 0, candidates = 0;
  dn_detection *items;

  if (stretched)
    sized = resize_image(c->src->im, net->w, net->h);
  else
    sized = dn_letterbox_source(c->src, o->engine, net->w, net->h);
  if (o->engine == DN_ENGINE_DARKNET)
    network_predict(net, sized.data);
  else
    dn_fast_predict(c->handle->engine, net, sized.data, c->relay);
  if (sized.data != c->src->im.data) free_image(sized);
  /* before get_network_boxes: a [region] head with a tree= rewrites its
   * output in place there (hierarchy_predictions) */
  if (o->heads) {
    copy_heads(c);
    if (c->out_of_memory) return;
  }
  if (o->average) demo_average(net, o);

  c->dets = get_network_boxes(net, stretched ? 1 : c->src->pixels.w, stretched ? 1 : c->src->pixels.h, o->thresh, o->hier_thresh, 0,
                              1, &c->nboxes);
  if (o->nms > 0) {
    /* do_nms_sort's own bound: the boxes with an objectness (the rest it
     * moves to the end and skips), each class's nonzero ones against every
     * one after them */
    double steps = 0;
    for (i = 0; i < c->nboxes; ++i) candidates += c->dets[i].objectness != 0;
    for (j = 0; j < classes; ++j) {
      int with_class = 0;
      for (i = 0; i < c->nboxes; ++i) with_class += c->dets[i].objectness != 0 && c->dets[i].prob[j] != 0;
      steps += (double)with_class * candidates;
    }
    c->candidates = candidates;
    c->nms_steps = steps;
    if (steps > DN_DETECT_MAX_NMS_STEPS) return;
    if (o->average)
      do_nms_obj(c->dets, c->nboxes, classes, o->nms); /* demo.c's */
    else
      do_nms_sort(c->dets, c->nboxes, classes, o->nms);
  }

  for (i = 0; i < c->nboxes; ++i)
    for (j = 0; j < classes; ++j) count += c->dets[i].prob[j] > o->thresh;
  items = (dn_detection *)malloc(sizeof(dn_detection) * (size_t)(count ? count : 1));
  if (!items) {
    c->out_of_memory = 1;
    return;
  }
  count = 0;
  /* draw_detections' loops and arithmetic, on the image as loaded */
  for (i = 0; i < c->nboxes; ++i) {
    const box b = c->dets[i].bbox;
    int left = truncate_to_int((b.x - b.w / 2.) * c->src->pixels.w);
    int right = truncate_to_int((b.x + b.w / 2.) * c->src->pixels.w);
    int top = truncate_to_int((b.y - b.h / 2.) * c->src->pixels.h);
    int bot = truncate_to_int((b.y + b.h / 2.) * c->src->pixels.h);
    if (left < 0) left = 0;
    if (right > c->src->pixels.w - 1) right = c->src->pixels.w - 1;
    if (top < 0) top = 0;
    if (bot > c->src->pixels.h - 1) bot = c->src->pixels.h - 1;
    for (j = 0; j < classes; ++j) {
      dn_detection *d;
      if (!(c->dets[i].prob[j] > o->thresh)) continue;
      d = &items[count++];
      d->class_index = j;
      d->probability = c->dets[i].prob[j];
      d->objectness = c->dets[i].objectness;
      d->x = b.x;
      d->y = b.y;
      d->w = b.w;
      d->h = b.h;
      d->left = left;
      d->top = top;
      d->right = right;
      d->bottom = bot;
    }
  }
  c->out->items = items;
  c->out->count = count;
  c->out->width = c->src->pixels.w;
  c->out->height = c->src->pixels.h;
  if (o->draw && dn_draw_and_encode(c->src->im, c->dets, c->nboxes, o->thresh, o->names, classes, head->coords,
                                    c->alphabet, (dn_draw_format)o->draw, &c->out->image, &c->draw_err) != 0)
    c->draw_failed = 1;
}

int dn_network_detect(dn_network *handle, dn_source *src, const dn_detect_options *options, dn_detections *out,
                      dn_error *err) {
  network *net = handle->net;
  detect_call call;
  int rc;
  err->code = DN_OK;
  memset(out, 0, sizeof *out);
  if (!dn_network_is_detector(net)) {
    dn_error_set(err, DN_E_INPUT, "the network is not a detector (its last layer is not [yolo], [region] or [detection])");
    return -1;
  }
  if (options->average > 0 &&
      (options->average_index < 0 || options->average_index >= options->average || !options->history ||
       options->history_floats / ((size_t)options->average + 1) != heads_floats(net) ||
       options->history_floats % ((size_t)options->average + 1) != 0)) {
    dn_error_set(err, DN_E_INPUT, "average: the history must hold %d x %zu floats, slot %d of %d", options->average + 1,
                 heads_floats(net), options->average_index, options->average);
    return -1;
  }
  if ((net->layers[net->n - 1].type != DETECTION || options->average) && dn_network_check_letterbox(net, src, err) != 0)
    return -1;
  /* resize_image, darknet's letterbox and drawing read darknet's float image */
  if (((net->layers[net->n - 1].type == DETECTION && !options->average) || options->engine == DN_ENGINE_DARKNET ||
       options->draw) &&
      dn_source_floats(src, err) != 0)
    return -1;
  if (options->engine == DN_ENGINE_DARKNET && dn_network_weights_for_darknet(handle, err) != 0) return -1;
  memset(&call, 0, sizeof call);
  if (options->draw) {
    if (options->name_count < net->layers[net->n - 1].classes) {
      dn_error_set(err, DN_E_INPUT, "drawing needs a name for each of the %d classes, got %d",
                   net->layers[net->n - 1].classes, options->name_count);
      return -1;
    }
    call.alphabet = dn_alphabet(options->alphabet_dir, err);
    if (!call.alphabet) return -1;
  }
  call.handle = handle;
  call.src = src;
  call.options = options;
  call.out = out;
  call.relay = options->engine == DN_ENGINE_FAST ? dn_relay_acquire() : NULL;
  rc = dn_guard(detect_run, &call, DN_E_DARKNET, err);
  dn_relay_release(call.relay); /* here, after dn_guard: also when darknet failed */
  if (call.dets) free_detections(call.dets, call.nboxes);
  if (rc == 0 && call.draw_failed) {
    *err = call.draw_err;
    rc = -1;
  } else if (rc == 0 && call.out_of_memory) {
    dn_error_set(err, DN_E_DARKNET, "out of memory for the detections");
    rc = -1;
  } else if (rc == 0 && call.nms_steps > DN_DETECT_MAX_NMS_STEPS) {
    dn_error_set(err, DN_E_INPUT,
                 "thresh %g leaves %d boxes for darknet's NMS, about %.3g box comparisons (more than %.3g): raise "
                 "thresh, or pass nms: 0",
                 options->thresh, call.candidates, call.nms_steps, DN_DETECT_MAX_NMS_STEPS);
    rc = -1;
  }
  if (rc != 0) dn_detections_free(out);
  return rc;
}

static int detect_task(dn_network *handle, dn_source *src, const void *options, void *out, dn_error *err) {
  return dn_network_detect(handle, src, (const dn_detect_options *)options, (dn_detections *)out, err);
}

int dn_network_detect_input(dn_network *handle, const dn_input *input, const dn_detect_options *options,
                            dn_detections *out, dn_error *err) {
  memset(out, 0, sizeof *out);
  return dn_network_on_input(handle, input, options->engine, options->limit_input_pixels, detect_task, options, out,
                             err);
}

void dn_detections_free(dn_detections *out) {
  free(out->items);
  free(out->heads);
  free(out->head_layers);
  free(out->head_sizes);
  free(out->image.bytes);
  memset(out, 0, sizeof *out);
}

/* See network.h. */
#include "network.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_check.h"
#include "cfg_rules.h"
#include "engine/thread_pool.h"
#include "weights.h"

/* darknet functions that darknet.h does not declare. */
extern char *get_layer_string(LAYER_TYPE a);

/* ---- load / free ---- */

typedef struct load_call {
  const char *path;
  network *net;
} load_call;

static void parse_call(void *arg) {
  load_call *c = (load_call *)arg;
  c->net = parse_network_cfg((char *)c->path);
  set_batch_network(c->net, 1);
}

static void weights_call(void *arg) {
  load_call *c = (load_call *)arg;
  load_weights(c->net, (char *)c->path);
}

/* free_layer does not free the layers nested in rnn, crnn, gru and lstm
 * layers: each close would leak them (megabytes per load). Their output and
 * delta may be the outer layer's own (rnn, crnn), which free_layer frees. */
static void free_nested(layer *outer, layer **slot) {
  layer *inner = *slot;
  if (!inner) return;
  if (inner->output == outer->output) inner->output = NULL;
  if (inner->delta == outer->delta) inner->delta = NULL;
  free(inner->loss);
  inner->loss = NULL;
  free_layer(*inner);
  free(inner);
  *slot = NULL;
}

static void free_nested_layers(layer *l) {
  layer **nested[] = {&l->input_layer, &l->self_layer, &l->output_layer, &l->reset_layer, &l->update_layer,
                      &l->state_layer, &l->input_gate_layer, &l->state_gate_layer, &l->input_save_layer,
                      &l->state_save_layer, &l->input_state_layer, &l->state_state_layer, &l->input_z_layer,
                      &l->state_z_layer, &l->input_r_layer, &l->state_r_layer, &l->input_h_layer,
                      &l->state_h_layer, &l->wz, &l->uz, &l->wr, &l->ur, &l->wh, &l->uh, &l->uo, &l->wo,
                      &l->uf, &l->wf, &l->ui, &l->wi, &l->ug, &l->wg};
  enum { COUNT = sizeof nested / sizeof nested[0] };
  layer *seen[COUNT];
  size_t i, j;
  for (i = 0; i < COUNT; ++i) {
    seen[i] = *nested[i];
    for (j = 0; j < i; ++j) {
      if (seen[i] && seen[j] == seen[i]) *nested[i] = NULL; /* reachable twice: freed once */
    }
    free_nested(l, nested[i]);
  }
}

static void free_darknet_network(network *net) {
  void *workspace, *seen, *t, *cost;
  int i;
  if (!net) return;
  for (i = 0; i < net->n; ++i) free_nested_layers(&net->layers[i]);
  /* free_layer does not free a layer's `loss` (softmax and cost layers) */
  for (i = 0; i < net->n; ++i) {
    free(net->layers[i].loss);
    net->layers[i].loss = NULL;
  }
  /* free_network leaves these behind */
  workspace = net->workspace;
  seen = net->seen;
  t = net->t;
  cost = net->cost;
  free_network(net);
  free(workspace);
  free(seen);
  free(t);
  free(cost);
}

/* Whether the weights file leaves some of the cfg's random initial weights
 * in place: a layer with dontload= or numload= (darknet then reads none or
 * fewer of its filters). `text` is the cfg as darknet parses it (stripped). */
static int keeps_random_weights(const char *text) {
  const char *line = text;
  while (line && *line) {
    if (strncmp(line, "dontload=", 9) == 0 || strncmp(line, "numload=", 8) == 0) return 1;
    line = strchr(line, '\n');
    if (line) ++line;
  }
  return 0;
}

static network *load_darknet_network(const char *cfg, const char *weights, size_t memory_limit, dn_error *err) {
  char *text;
  size_t length, left;
  load_call call = {cfg, NULL};
  int parsed;
  err->code = DN_OK;
  err->message[0] = '\0';

  if (dn_cfg_check(cfg, &text, &length, err) != 0) return NULL;
  if (dn_cfg_rules_text(cfg, text, err) != 0) {
    free(text);
    return NULL;
  }
  dn_set_file_override(cfg, text, length);
  dn_set_allocation_budget(memory_limit);
  dn_track_allocations_begin();
  /* every random weight overwritten by a weights file of the exact size
   * (dn_weights_check_size), else the network is not kept */
  dn_set_random_init_skipped(weights != NULL && !keeps_random_weights(text));
  parsed = dn_guard(parse_call, &call, DN_E_CFG, err);
  dn_set_random_init_skipped(0);
  /* A failed parse leaves a partly built network that darknet cannot free:
   * free every block it made instead. */
  dn_track_allocations_end(parsed != 0);
  dn_set_file_override(NULL, NULL, 0);
  if (parsed != 0) free(text);
  if (parsed != 0 && dn_allocation_budget_exceeded()) {
    char message[DN_MESSAGE_SIZE];
    dn_set_allocation_budget(0);
    snprintf(message, sizeof message, "%s", err->message);
    dn_error_set(err, DN_E_TOO_LARGE, "cfg %s: %s", cfg, message);
    return NULL;
  }
  left = dn_allocation_budget_left();
  dn_set_allocation_budget(0);
  if (parsed != 0) {
    /* darknet's message alone ("First section must be...") doesn't say which file */
    char message[DN_MESSAGE_SIZE];
    snprintf(message, sizeof message, "%s", err->message);
    dn_error_set(err, DN_E_CFG, "cfg %s: %s", cfg, message);
    return NULL;
  }
  {
    /* the table's shape rules, on the shapes darknet computed */
    int broken = dn_cfg_rules_network(cfg, text, call.net, left, err);
    free(text);
    if (broken) {
      free_darknet_network(call.net);
      return NULL;
    }
  }
  if (call.net->n <= 0 || call.net->outputs <= 0 || call.net->w <= 0 || call.net->h <= 0 ||
      call.net->c <= 0) {
    dn_error_set(err, DN_E_CFG, "cfg %s describes no usable network (%dx%dx%d input, %d outputs)",
                 cfg, call.net->w, call.net->h, call.net->c, call.net->outputs);
    free_darknet_network(call.net);
    return NULL;
  }
  {
    /* darknet's make_batchnorm_layer never allocates l.x, which
     * forward_batchnorm_layer writes: a [batchnorm] section would crash the
     * first predict. */
    int i;
    for (i = 0; i < call.net->n; ++i) {
      layer *l = &call.net->layers[i];
      if (l->type == BATCHNORM && !l->x) {
        l->x = (float *)calloc((size_t)l->outputs * (size_t)l->batch, sizeof(float));
        if (!l->x) {
          dn_error_set(err, DN_E_TOO_LARGE, "cfg %s: out of memory for layer %d", cfg, i);
          free_darknet_network(call.net);
          return NULL;
        }
      }
    }
  }
  if (weights) {
    load_call wcall = {weights, call.net};
    if (dn_weights_check_size(call.net, cfg, weights, err) != 0 ||
        dn_guard(weights_call, &wcall, DN_E_WEIGHTS, err) != 0) {
      if (err->code == DN_E_CFG) {
        char message[DN_MESSAGE_SIZE];
        snprintf(message, sizeof message, "%s", err->message);
        dn_error_set(err, DN_E_CFG, "cfg %s: %s", cfg, message);
      }
      free_darknet_network(call.net);
      return NULL;
    }
  }
  return call.net;
}

dn_network *dn_network_load(const char *cfg, const char *weights, const dn_load_options *options, dn_error *err) {
  dn_network *handle;
  network *net = load_darknet_network(cfg, weights, options->limit_network_bytes, err);
  if (!net) return NULL;
  handle = (dn_network *)calloc(1, sizeof *handle);
  if (handle) handle->engine = dn_engine_create(net);
  if (!handle || !handle->engine) {
    free(handle);
    free_darknet_network(net);
    dn_error_set(err, DN_E_TOO_LARGE, "cfg %s: out of memory for the network", cfg);
    return NULL;
  }
  handle->net = net;
  handle->weight_floats = dn_network_weight_floats(net, err);
  if (options->engine == DN_ENGINE_FAST && options->precision == DN_PRECISION_FAST) {
    /* the folded weights, packed now; darknet keeps its own (layerParameters) */
    dn_engine_set_fast(handle->engine);
    if (dn_engine_fold_weights(handle->engine, net) != 0) {
      dn_network_free(handle);
      dn_error_set(err, DN_E_TOO_LARGE, "cfg %s: out of memory for the network's folded weights", cfg);
      return NULL;
    }
  }
#ifndef GPU /* (darknet's GPU forward has its own copy; the CPU one stays) */
  if (options->engine == DN_ENGINE_FAST && options->precision != DN_PRECISION_FAST) {
    /* inference reads only the engine's panels: darknet's copy would be the
     * weights' size again in RSS */
    if (dn_engine_take_weights(handle->engine, net) != 0) {
      dn_network_free(handle);
      dn_error_set(err, DN_E_TOO_LARGE, "cfg %s: out of memory for the network's packed weights", cfg);
      return NULL;
    }
    handle->weights_taken = 1;
  }
#endif
  err->code = DN_OK;
  return handle;
}

int dn_network_weights_for_darknet(dn_network *handle, dn_error *err) {
  if (!handle->weights_taken) return 0;
  if (dn_engine_return_weights(handle->engine, handle->net) != 0) {
    dn_error_set(err, DN_E_DARKNET, "out of memory giving darknet back its weights");
    return -1;
  }
  handle->weights_taken = 0;
  return 0;
}

int dn_network_read_params(dn_network *handle, dn_network_params *out, dn_error *err) {
  const int taken = handle->weights_taken;
  int rc;
  memset(out, 0, sizeof *out);
  if (dn_network_weights_for_darknet(handle, err) != 0) return -1;
  rc = dn_network_params_read(handle->net, out, err);
  /* given up again: the panels exist, so this allocates nothing */
  if (taken && dn_engine_take_weights(handle->engine, handle->net) == 0) handle->weights_taken = 1;
  return rc;
}

void dn_network_free(dn_network *handle) {
  if (!handle) return;
  dn_engine_free(handle->engine);
  free_darknet_network(handle->net);
  free(handle);
}

/* ---- running ---- */

static int resizable(const network *net, dn_error *err) {
  int i;
  for (i = 0; i < net->n; ++i) {
    LAYER_TYPE t = net->layers[i].type;
    if (t == AVGPOOL) return 0; /* resize_network stops here */
    if (t != CONVOLUTIONAL && t != CROP && t != MAXPOOL && t != REGION && t != YOLO && t != ROUTE &&
        t != SHORTCUT && t != UPSAMPLE && t != REORG && t != NORMALIZATION && t != COST) {
      dn_error_set(err, DN_E_INPUT,
                   "resize 'min' needs a network darknet can resize; layer %d is %s", i,
                   get_layer_string(t));
      return -1;
    }
  }
  return 0;
}

typedef struct run_call {
  dn_network *handle;
  dn_source *src;
  const dn_run_options *options;
  dn_relay *relay;
  int top;
  int *top_indices;
  float *output;
  int output_count;
  dn_error rules; /* the cfg rules at the resized size */
} run_call;

static void run(void *arg) {
  run_call *c = (run_call *)arg;
  network *net = c->handle->net;
  const dn_resize_mode mode = c->options->resize;
  const dn_engine engine = c->options->engine;
  int w = net->w, h = net->h;
  image r;
  float *p;
  if (mode == DN_RESIZE_MIN) {
    r = resize_min(c->src->im, net->w);
    resize_network(net, r.w, r.h);
    if (dn_cfg_rules_network("the resized network", NULL, net, SIZE_MAX, &c->rules) != 0) {
      /* the cfg's shapes held at its own size, not at this one */
      if (r.data != c->src->im.data) free_image(r);
      resize_network(net, w, h);
      dn_shim_fatal(c->rules.message);
    }
  } else {
    r = dn_letterbox_source(c->src, engine, net->w, net->h);
  }
  p = engine == DN_ENGINE_DARKNET ? network_predict(net, r.data) : dn_fast_predict(c->handle->engine, net, r.data, c->relay);
  c->output_count = net->outputs;
  c->output = (float *)malloc(sizeof(float) * (size_t)net->outputs);
  if (c->output) {
    memcpy(c->output, p, sizeof(float) * (size_t)net->outputs);
    if (c->options->hierarchy && net->hierarchy) {
      hierarchy_predictions(c->output, net->outputs, net->hierarchy, 1, 1);
    }
    if (c->top > 0) top_k(c->output, net->outputs, c->top, c->top_indices);
  }
  if (r.data != c->src->im.data) free_image(r);
  if (mode == DN_RESIZE_MIN && (net->w != w || net->h != h)) resize_network(net, w, h);
}

image dn_letterbox_source(dn_source *src, dn_engine engine, int w, int h) {
  if (engine == DN_ENGINE_DARKNET) return letterbox_image(src->im, w, h);
  /* no float image yet: the fast letterbox converts the rows it reads */
  return src->im.data ? dn_fast_letterbox(src->im, w, h) : dn_fast_letterbox_pixels(&src->pixels, w, h);
}

int dn_network_check_letterbox(const network *net, const dn_source *src, dn_error *err) {
  /* letterbox_image's size for the image; its resize_image divides by the
   * new width-1 and height-1 (a NaN index at 1 pixel, on a worker thread) */
  long long new_w = net->w, new_h = net->h;
  const int iw = src->pixels.w, ih = src->pixels.h;
  if ((float)net->w / iw < (float)net->h / ih)
    new_h = (long long)ih * net->w / iw;
  else
    new_w = (long long)iw * net->h / ih;
  if (new_w < 2 || new_h < 2) {
    dn_error_set(err, DN_E_INPUT,
                 "a %dx%d image letterboxed into the network's %dx%d is %lldx%lld: darknet resizes to at least "
                 "2 pixels a side",
                 iw, ih, net->w, net->h, new_w, new_h);
    return -1;
  }
  return 0;
}

int dn_network_run(dn_network *handle, dn_source *src, const dn_run_options *options, dn_result *result,
                   dn_error *err) {
  network *net = handle->net;
  run_call call;
  int rc, top = options->top > 0 ? options->top : 0;
  err->code = DN_OK;
  memset(result, 0, sizeof *result);
  if (options->resize == DN_RESIZE_MIN && resizable(net, err) != 0) return -1;
  if (options->resize == DN_RESIZE_LETTERBOX && dn_network_check_letterbox(net, src, err) != 0) return -1;
  /* resize_min and darknet's letterbox read darknet's float image */
  if ((options->resize == DN_RESIZE_MIN || options->engine == DN_ENGINE_DARKNET) && dn_source_floats(src, err) != 0)
    return -1;
  if (top > net->outputs) top = net->outputs;
  if (options->engine == DN_ENGINE_DARKNET && dn_network_weights_for_darknet(handle, err) != 0) return -1;
  call.handle = handle;
  call.src = src;
  call.options = options;
  call.relay = options->engine == DN_ENGINE_FAST ? dn_relay_acquire() : NULL;
  call.top = top;
  call.top_indices = top > 0 ? (int *)malloc(sizeof(int) * (size_t)top) : NULL;
  call.output = NULL;
  call.output_count = 0;
  if (top > 0 && !call.top_indices) {
    dn_relay_release(call.relay);
    dn_error_set(err, DN_E_DARKNET, "out of memory for %d top indexes", top);
    return -1;
  }
  rc = dn_guard(run, &call, DN_E_DARKNET, err);
  dn_relay_release(call.relay); /* here, after dn_guard: also when darknet failed */
  if (rc != 0) {
    free(call.output);
    free(call.top_indices);
    return -1;
  }
  if (!call.output) {
    free(call.top_indices);
    dn_error_set(err, DN_E_DARKNET, "out of memory for %d outputs", call.output_count);
    return -1;
  }
  result->output = call.output;
  result->count = call.output_count;
  result->top = call.top_indices;
  result->top_count = top;
  if (options->profile && options->engine == DN_ENGINE_FAST && net->n > 0) {
    int i;
    result->layer_ms = (double *)malloc(sizeof(double) * (size_t)net->n);
    result->layer_algorithm = (int *)malloc(sizeof(int) * (size_t)net->n);
    if (!result->layer_ms || !result->layer_algorithm) {
      dn_result_free(result);
      dn_error_set(err, DN_E_DARKNET, "out of memory for %d layer times", net->n);
      return -1;
    }
    result->layer_count = dn_engine_layer_seconds(handle->engine, result->layer_ms, net->n);
    for (i = 0; i < result->layer_count; ++i) result->layer_ms[i] *= 1e3;
    for (i = 0; i < result->layer_count; ++i) result->layer_algorithm[i] = dn_engine_layer_algorithm(handle->engine, i);
  }
  return 0;
}

int dn_network_on_input(dn_network *handle, const dn_input *input, dn_engine engine, double limit_input_pixels,
                        dn_input_task task, const void *options, void *out, dn_error *err) {
  dn_source src;
  int rc;
  /* The prediction's claim on the engine's pool, decoding included: while
   * it decodes, another network's prediction must not take this thread's
   * core for the pool (thread_pool.h). */
  const int pooled = engine == DN_ENGINE_FAST;
  if (pooled) dn_pool_enter();
  rc = dn_source_from_input(input, limit_input_pixels, &src, err);
  if (rc == 0) {
    rc = task(handle, &src, options, out, err);
    dn_source_free(&src);
    if (rc != 0) dn_input_name_error(input, err);
  }
  if (pooled) dn_pool_leave();
  return rc;
}

static int run_task(dn_network *handle, dn_source *src, const void *options, void *out, dn_error *err) {
  return dn_network_run(handle, src, (const dn_run_options *)options, (dn_result *)out, err);
}

int dn_network_run_input(dn_network *handle, const dn_input *input, const dn_run_options *options,
                         dn_result *result, dn_error *err) {
  memset(result, 0, sizeof *result);
  return dn_network_on_input(handle, input, options->engine, options->limit_input_pixels, run_task, options, result,
                             err);
}

void dn_result_free(dn_result *result) {
  free(result->output);
  free(result->top);
  free(result->layer_ms);
  free(result->layer_algorithm);
  result->output = NULL;
  result->top = NULL;
  result->layer_ms = NULL;
  result->layer_algorithm = NULL;
}

/* See network_ops.h. */
#include "network_ops.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fast_engine.h"
#include "ops/cfg_rules.h"
#include "stb_image.h" /* darknet's copy; its implementation lives in darknet's image.c */

/* darknet functions that darknet.h does not declare. */
extern LAYER_TYPE string_to_layer_type(char *type);
extern char *get_layer_string(LAYER_TYPE a);

/* cfg keys whose value darknet divides by or sizes allocations with: zero or
 * negative values crash it (SIGFPE, huge callocs) instead of failing. */
static const char *const positive_keys[] = {"stride", "size",  "filters", "groups",  "subdivisions",
                                            "batch",  "width", "height",  "channels", "time_steps"};

/* ---- cfg validation: the rules of darknet's read_cfg, checked up front ---- */

/* [route] layers= and [shortcut] from= name earlier layers, negative values
 * counting back from the current one; darknet indexes its layer array with
 * them unchecked. */
static int check_layer_refs(const char *value, int current, int *bad) {
  const char *p = value;
  char *end;
  do {
    long ref = strtol(p, &end, 10);
    if (end == p) return 0; /* not a number: darknet reads it as 0 (atoi) */
    if (ref < 0) ref += current;
    if (ref < 0 || ref >= current) {
      *bad = (int)strtol(p, NULL, 10);
      return -1;
    }
    p = end;
  } while (*p++ == ',');
  return 0;
}

typedef struct cfg_check {
  const char *path;
  dn_error *err;
  int ok;
  char *text; /* the cfg as darknet will parse it: stripped lines, batch=1 */
  size_t length, capacity;
} cfg_check;

static void append_line(cfg_check *c, const char *line) {
  size_t n = strlen(line);
  if (c->length + n + 2 > c->capacity) {
    size_t capacity = (c->capacity + n + 2) * 2;
    char *text = (char *)realloc(c->text, capacity);
    if (!text) {
      dn_error_set(c->err, DN_E_CFG, "%s: out of memory", c->path);
      return;
    }
    c->text = text;
    c->capacity = capacity;
  }
  memcpy(c->text + c->length, line, n);
  c->length += n;
  c->text[c->length++] = '\n';
  c->text[c->length] = '\0';
}

static void check_cfg(void *arg) {
  cfg_check *c = (cfg_check *)arg;
  FILE *f = fopen(c->path, "r");
  char *line;
  int number = 0;
  int sections = 0;
  LAYER_TYPE current_type = BLANK;
  int has_from = 0; /* darknet reads [shortcut] from= with atoi(NULL) when it is missing */
  if (!f) {
    dn_error_set(c->err, DN_E_FILE, "cannot open cfg %s: %s", c->path, strerror(errno));
    return;
  }
  { /* darknet's fgetl reads before its buffer on a line that starts with a NUL byte */
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
      if (memchr(chunk, '\0', n)) {
        dn_error_set(c->err, DN_E_CFG, "%s: not a darknet cfg (it contains NUL bytes: binary data)", c->path);
        fclose(f);
        return;
      }
    }
    rewind(f);
  }
  while ((line = fgetl(f)) != 0) {
    ++number;
    strip(line); /* darknet removes every space, tab and newline */
    /* Inference runs one image at a time: don't let darknet size its
     * buffers for the training batch (set_batch_network(net, 1) follows). */
    if (sections == 1 && (strncmp(line, "batch=", 6) == 0 || strncmp(line, "subdivisions=", 13) == 0)) {
      append_line(c, line[0] == 'b' ? "batch=1" : "subdivisions=1");
    } else if (sections == 1 && strncmp(line, "policy=", 7) == 0) {
      /* The learning-rate policy is training-only, and its steps=/scales=
       * parsing walks off the end of a short list: darknet parses without it. */
      append_line(c, "");
    } else {
      append_line(c, line);
    }
    if (line[0] == '[') {
      LAYER_TYPE type = string_to_layer_type(line);
      if (current_type == SHORTCUT && !has_from) {
        dn_error_set(c->err, DN_E_CFG, "%s line %d: [shortcut] without from=", c->path, number - 1);
      } else if (sections == 0 && type != NETWORK) {
        dn_error_set(c->err, DN_E_CFG,
                     "%s line %d: first section is %.80s, a darknet cfg starts with [net] or [network]",
                     c->path, number, line);
      } else if (type == BLANK) {
        dn_error_set(c->err, DN_E_CFG, "%s line %d: unknown section %.80s", c->path, number, line);
      } else if (type == DROPOUT && sections == 1) {
        /* parse_network_cfg gives a dropout layer the output of the layer before it */
        dn_error_set(c->err, DN_E_CFG, "%s line %d: [dropout] cannot be the first layer", c->path, number);
      }
      current_type = type;
      has_from = 0;
      ++sections;
    } else if (line[0] != '\0' && line[0] != '#' && line[0] != ';') {
      char *eq = strchr(line, '=');
      if (sections == 0) {
        dn_error_set(c->err, DN_E_CFG,
                     "%s line %d: not a darknet cfg (text before the first [section]: \"%.40s\")",
                     c->path, number, line);
      } else if (!eq) {
        dn_error_set(c->err, DN_E_CFG, "%s line %d: expected key=value, got \"%.80s\"", c->path,
                     number, line);
      } else {
        size_t i;
        int bad = 0;
        *eq = '\0';
        /* darknet's read_option drops a line whose value is empty ("from="). */
        if (current_type == SHORTCUT && strcmp(line, "from") == 0 && eq[1] != '\0') has_from = 1;
        if (((current_type == ROUTE && strcmp(line, "layers") == 0) ||
             (current_type == SHORTCUT && strcmp(line, "from") == 0)) &&
            check_layer_refs(eq + 1, sections - 2, &bad) != 0) {
          dn_error_set(c->err, DN_E_CFG, "%s line %d: %s=%d refers to no earlier layer (this is layer %d)",
                       c->path, number, line, bad, sections - 2);
        }
        if (strcmp(line, "tree") == 0 || strcmp(line, "map") == 0) {
          /* darknet opens these (relative to the working directory) and
           * reads a tree file without checking that it opened */
          FILE *ref = fopen(eq + 1, "r");
          if (!ref) {
            dn_error_set(c->err, DN_E_CFG, "%s line %d: %s=%.200s: %s", c->path, number, line, eq + 1,
                         strerror(errno));
          } else {
            fclose(ref);
          }
        }
        for (i = 0; i < sizeof positive_keys / sizeof positive_keys[0]; ++i) {
          if (strcmp(line, positive_keys[i]) == 0) {
            char *end = NULL;
            long v = strtol(eq + 1, &end, 10);
            if (end == eq + 1 || v <= 0 || v > (1L << 20)) {
              dn_error_set(c->err, DN_E_CFG, "%s line %d: %s=%.40s is not a positive integer",
                           c->path, number, line, eq + 1);
            }
          }
        }
      }
    }
    free(line);
    if (c->err->code != DN_OK) break;
  }
  fclose(f);
  if (c->err->code == DN_OK && current_type == SHORTCUT && !has_from) {
    dn_error_set(c->err, DN_E_CFG, "%s: the last section, [shortcut], has no from=", c->path);
  }
  if (c->err->code == DN_OK && sections == 0) {
    dn_error_set(c->err, DN_E_CFG, "%s: not a darknet cfg (no [net] section)", c->path);
  }
  if (c->err->code == DN_OK && sections == 1) {
    dn_error_set(c->err, DN_E_CFG, "%s: the cfg has a [net] section but no layers", c->path);
  }
  c->ok = c->err->code == DN_OK;
}

/* ---- weights size ---- */

static long long conv_floats(const layer *l) {
  long long n = l->numload ? l->numload : l->n;
  long long f;
  if (l->groups <= 0) return -1;
  /* the same integer arithmetic as load_convolutional_weights */
  f = n + (long long)(l->c / l->groups) * n * l->size * l->size;
  if (l->batch_normalize && !l->dontloadscales) f += 3 * n;
  return f;
}

static long long connected_floats(const layer *l) {
  long long f = (long long)l->outputs + (long long)l->outputs * l->inputs;
  if (l->batch_normalize && !l->dontloadscales) f += 3LL * l->outputs;
  return f;
}

long long dn_network_weight_floats(const network *net, dn_error *err) {
  long long total = 0;
  int i;
  for (i = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    long long f = 0;
    if (l->dontload) continue;
    switch (l->type) {
      case CONVOLUTIONAL:
      case DECONVOLUTIONAL:
        f = conv_floats(l);
        break;
      case CONNECTED:
        f = connected_floats(l);
        break;
      case BATCHNORM:
        f = 3LL * l->c;
        break;
      case CRNN:
        f = conv_floats(l->input_layer) + conv_floats(l->self_layer) + conv_floats(l->output_layer);
        if (conv_floats(l->input_layer) < 0 || conv_floats(l->self_layer) < 0 ||
            conv_floats(l->output_layer) < 0)
          f = -1;
        break;
      case RNN:
        f = connected_floats(l->input_layer) + connected_floats(l->self_layer) +
            connected_floats(l->output_layer);
        break;
      case LSTM:
        f = connected_floats(l->wi) + connected_floats(l->wf) + connected_floats(l->wo) +
            connected_floats(l->wg) + connected_floats(l->ui) + connected_floats(l->uf) +
            connected_floats(l->uo) + connected_floats(l->ug);
        break;
      case GRU:
        f = connected_floats(l->wz) + connected_floats(l->wr) + connected_floats(l->wh) +
            connected_floats(l->uz) + connected_floats(l->ur) + connected_floats(l->uh);
        break;
      case LOCAL:
        f = (long long)l->outputs + (long long)l->size * l->size * l->c * l->n * l->out_w * l->out_h;
        break;
      default:
        break;
    }
    if (f < 0) {
      dn_error_set(err, DN_E_CFG, "layer %d (%s) has groups=%d: darknet cannot load weights for it",
                   i, get_layer_string(l->type), l->groups);
      return -1;
    }
    total += f;
  }
  return total;
}

static int check_weights_size(const network *net, const char *cfg, const char *path, dn_error *err) {
  FILE *f = fopen(path, "rb");
  int header[3];
  struct stat st;
  long long floats, header_bytes, expected;
  if (!f) {
    dn_error_set(err, DN_E_FILE, "cannot open weights %s: %s", path, strerror(errno));
    return -1;
  }
  if (fstat(fileno(f), &st) != 0) {
    dn_error_set(err, DN_E_FILE, "cannot read weights %s: %s", path, strerror(errno));
    fclose(f);
    return -1;
  }
  if (fread(header, sizeof(int), 3, f) != 3) {
    fclose(f);
    dn_error_set(err, DN_E_WEIGHTS,
                 "weights %s is truncated: %lld bytes, shorter than darknet's weights header", path,
                 (long long)st.st_size);
    return -1;
  }
  fclose(f);
  /* darknet computes major*10+minor in int: values this large overflow it. */
  if (header[0] < 0 || header[1] < 0 || header[0] > (1 << 20) || header[1] > (1 << 20)) {
    dn_error_set(err, DN_E_WEIGHTS, "weights %s has an implausible format version %d.%d in its header", path,
                 header[0], header[1]);
    return -1;
  }
  /* load_weights_upto: format major*10+minor >= 2 stores `seen` as size_t. */
  header_bytes = 3 * (long long)sizeof(int) +
                 (((header[0] * 10 + header[1]) >= 2 && header[0] < 1000 && header[1] < 1000)
                      ? (long long)sizeof(size_t)
                      : (long long)sizeof(int));
  floats = dn_network_weight_floats(net, err);
  if (floats < 0) return -1;
  expected = header_bytes + floats * (long long)sizeof(float);
  if ((long long)st.st_size < expected) {
    dn_error_set(err, DN_E_WEIGHTS,
                 "weights %s is truncated or belongs to another cfg: %lld bytes, %s needs "
                 "%lld (%lld-byte header, format %d.%d, + %lld float parameters)",
                 path, (long long)st.st_size, cfg, expected, header_bytes, header[0], header[1], floats);
    return -1;
  }
  if ((long long)st.st_size > expected) {
    dn_error_set(err, DN_E_WEIGHTS,
                 "weights %s does not match the cfg: %lld bytes, %s needs exactly %lld "
                 "(%lld-byte header, format %d.%d, + %lld float parameters)",
                 path, (long long)st.st_size, cfg, expected, header_bytes, header[0], header[1], floats);
    return -1;
  }
  return 0;
}

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

network *dn_network_load(const char *cfg, const char *weights, size_t memory_limit, dn_error *err) {
  cfg_check check = {cfg, err, 0, NULL, 0, 0};
  load_call call = {cfg, NULL};
  int parsed;
  err->code = DN_OK;
  err->message[0] = '\0';

  if (dn_guard(check_cfg, &check, DN_E_CFG, err) != 0 || !check.ok ||
      dn_cfg_rules_text(cfg, check.text, err) != 0) {
    free(check.text);
    return NULL;
  }
  dn_set_file_override(cfg, check.text, check.length);
  dn_set_allocation_budget(memory_limit);
  dn_track_allocations_begin();
  parsed = dn_guard(parse_call, &call, DN_E_CFG, err);
  /* A failed parse leaves a partly built network that darknet cannot free:
   * free every block it made instead. */
  dn_track_allocations_end(parsed != 0);
  dn_set_file_override(NULL, NULL, 0);
  if (parsed != 0) free(check.text);
  if (parsed != 0 && dn_allocation_budget_exceeded()) {
    char message[DN_MESSAGE_SIZE];
    dn_set_allocation_budget(0);
    snprintf(message, sizeof message, "%s", err->message);
    dn_error_set(err, DN_E_TOO_LARGE, "cfg %s: %s", cfg, message);
    return NULL;
  }
  dn_set_allocation_budget(0);
  if (parsed != 0) {
    /* darknet's message alone ("First section must be...") doesn't say which file */
    char message[DN_MESSAGE_SIZE];
    snprintf(message, sizeof message, "%s", err->message);
    dn_error_set(err, DN_E_CFG, "cfg %s: %s", cfg, message);
    return NULL;
  }
  {
    int broken = dn_cfg_rules_network(cfg, check.text, call.net, err);
    free(check.text);
    if (broken) {
      dn_network_free(call.net);
      return NULL;
    }
  }
  if (call.net->n <= 0 || call.net->outputs <= 0 || call.net->w <= 0 || call.net->h <= 0 ||
      call.net->c <= 0) {
    dn_error_set(err, DN_E_CFG, "cfg %s describes no usable network (%dx%dx%d input, %d outputs)",
                 cfg, call.net->w, call.net->h, call.net->c, call.net->outputs);
    dn_network_free(call.net);
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
          dn_network_free(call.net);
          return NULL;
        }
      }
    }
  }
  if (weights) {
    load_call wcall = {weights, call.net};
    if (check_weights_size(call.net, cfg, weights, err) != 0 ||
        dn_guard(weights_call, &wcall, DN_E_WEIGHTS, err) != 0) {
      if (err->code == DN_E_CFG) {
        char message[DN_MESSAGE_SIZE];
        snprintf(message, sizeof message, "%s", err->message);
        dn_error_set(err, DN_E_CFG, "cfg %s: %s", cfg, message);
      }
      dn_network_free(call.net);
      return NULL;
    }
  }
  return call.net;
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

void dn_network_free(network *net) {
  void *workspace, *seen, *t, *cost;
  int i;
  if (!net) return;
  dn_fast_forget(net);
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

/* ---- images ---- */

static int alloc_image(int w, int h, int c, image *out, dn_error *err) {
  size_t count = (size_t)w * (size_t)h * (size_t)c;
  if (w <= 0 || h <= 0 || c <= 0 || count > (size_t)INT_MAX) {
    dn_error_set(err, DN_E_INPUT, "image size %dx%dx%d is out of range", w, h, c);
    return -1;
  }
  out->w = w;
  out->h = h;
  out->c = c;
  out->data = (float *)malloc(count * sizeof(float)); /* every caller writes every element */
  if (!out->data) {
    dn_error_set(err, DN_E_INPUT, "out of memory for a %dx%d image", w, h);
    return -1;
  }
  return 0;
}

/* load_image_stb's conversion, HWC bytes to CHW floats, with its exact
 * arithmetic: (float)byte / 255., through a table of its 256 values (darknet's
 * -Ofast build multiplies by the reciprocal instead; for these 256 values
 * both give the same floats). One pass over the pixels. */
static void to_darknet_floats(const unsigned char *data, image *im) {
  float scaled[256];
  const size_t area = (size_t)im->w * im->h;
  const int c = im->c;
  size_t p;
  int k;
  for (k = 0; k < 256; ++k) scaled[k] = (float)k / 255.;
  if (c == 3) {
    float *r = im->data, *g = r + area, *b = g + area;
    for (p = 0; p < area; ++p, data += 3) {
      r[p] = scaled[data[0]];
      g[p] = scaled[data[1]];
      b[p] = scaled[data[2]];
    }
    return;
  }
  for (p = 0; p < area; ++p)
    for (k = 0; k < c; ++k) im->data[k * area + p] = scaled[data[p * c + k]];
}

/* darknet's copy of stb_image (2017) builds a JPEG Huffman table from a DHT
 * segment without checking that its 16 counts add up to at most 256 symbols,
 * and writes past the table (heap corruption) when they don't, and reads past
 * a table when a DC symbol is over 15; later stb versions reject both, as
 * this check does before stb sees the image. */
static int jpeg_huffman_tables_ok(const unsigned char *p, size_t n) {
  size_t i = 2;
  if (n < 2 || p[0] != 0xFF || p[1] != 0xD8) return 1; /* not a JPEG */
  while (i + 4 <= n) {
    unsigned marker;
    size_t length;
    if (p[i] != 0xFF) { /* entropy-coded data: skip to the next marker */
      const unsigned char *next = (const unsigned char *)memchr(p + i, 0xFF, n - i);
      if (!next) return 1;
      i = (size_t)(next - p);
      continue;
    }
    marker = p[i + 1];
    if (marker == 0xFF || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += marker == 0xFF ? 1 : 2;
      continue;
    }
    if (marker == 0xD9) return 1; /* end of image */
    length = ((size_t)p[i + 2] << 8) | p[i + 3];
    if (marker == 0xC4) {
      size_t at = i + 4, end = i + 2 + length;
      if (end > n) end = n;
      /* stb reads each table's 16 counts and symbols as the counts say,
       * whatever the segment's length claims, and zeros past the end */
      while (at < end && at < n) {
        unsigned total = 0, k;
        const int dc = (p[at] >> 4) == 0;
        for (k = 1; k <= 16 && at + k < n; ++k) total += p[at + k];
        if (total > 256) return 0;
        /* A DC symbol is a coefficient's bit count, which stb uses as an
         * index into a 16-entry table (stbi__jbias) without checking it;
         * later stb versions refuse more than 15. */
        for (k = 0; dc && k < total && at + 17 + k < n; ++k) {
          if (p[at + 17 + k] > 15) return 0;
        }
        at += 17 + total;
      }
    }
    i += 2 + length;
  }
  return 1;
}

/* stb_image asserts on some corrupt inputs (and its asserts are darknet's,
 * routed to the guard): its calls run under dn_guard, with the blocks it
 * allocated freed when it unwinds. */
typedef struct stb_call {
  const unsigned char *bytes;
  int length;
  int info_only;
  int w, h, c;
  unsigned char *data;
  int ok;
} stb_call;

static void stb_run(void *arg) {
  stb_call *call = (stb_call *)arg;
  if (call->info_only) {
    call->ok = stbi_info_from_memory(call->bytes, call->length, &call->w, &call->h, &call->c);
  } else {
    call->data = stbi_load_from_memory(call->bytes, call->length, &call->w, &call->h, &call->c, 3);
    call->ok = call->data != NULL;
  }
}

static int stb_guarded(stb_call *call, dn_error *err) {
  int failed;
  /* stb reads the Huffman tables for its info call too */
  if (!jpeg_huffman_tables_ok(call->bytes, (size_t)call->length)) {
    dn_error_set(err, DN_E_IMAGE, "JPEG with a corrupt Huffman table");
    return -1;
  }
  dn_track_allocations_begin();
  failed = dn_guard(stb_run, call, DN_E_IMAGE, err);
  dn_track_allocations_end(failed);
  return failed ? -1 : 0;
}

int dn_image_decode(const unsigned char *bytes, size_t length, image *out, dn_error *err) {
  int w = 0, h = 0, c = 0;
  unsigned char *data;
  if (length == 0 || length > (size_t)INT_MAX) {
    dn_error_set(err, DN_E_IMAGE, "%zu bytes is not a decodable image size", length);
    return -1;
  }
  {
    stb_call call = {bytes, (int)length, 0, 0, 0, 0, NULL, 0};
    if (stb_guarded(&call, err) != 0) {
      char message[DN_MESSAGE_SIZE];
      snprintf(message, sizeof message, "%s", err->message);
      dn_error_set(err, DN_E_IMAGE, "not an image darknet can decode (stb_image: %s)", message);
      return -1;
    }
    data = call.data;
    w = call.w;
    h = call.h;
    c = call.c;
  }
  if (!data) {
    dn_error_set(err, DN_E_IMAGE, "not an image darknet can decode (stb_image: %s)",
                 stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");
    return -1;
  }
  if (alloc_image(w, h, 3, out, err) != 0) {
    stbi_image_free(data);
    return -1;
  }
  to_darknet_floats(data, out);
  stbi_image_free(data);
  return 0;
}

int dn_image_info(const unsigned char *bytes, size_t length, int *width, int *height) {
  stb_call call = {bytes, (int)length, 1, 0, 0, 0, NULL, 0};
  dn_error err;
  if (length == 0 || length > (size_t)INT_MAX) return -1;
  if (stb_guarded(&call, &err) != 0 || !call.ok) return -1;
  *width = call.w;
  *height = call.h;
  return 0;
}

int dn_image_from_pixels(const unsigned char *pixels, int width, int height, int channels,
                         image *out, dn_error *err) {
  size_t n, i;
  unsigned char *rgb;
  if (channels < 1 || channels > 4) {
    dn_error_set(err, DN_E_INPUT, "raw pixels need 1 to 4 channels, got %d", channels);
    return -1;
  }
  if (alloc_image(width, height, 3, out, err) != 0) return -1;
  if (channels == 3) {
    to_darknet_floats(pixels, out);
    return 0;
  }
  n = (size_t)width * (size_t)height;
  rgb = (unsigned char *)malloc(n * 3);
  if (!rgb) {
    dn_image_free(out);
    dn_error_set(err, DN_E_INPUT, "out of memory for a %dx%d image", width, height);
    return -1;
  }
  /* stb_image's conversion to 3 channels: grey is replicated, alpha dropped. */
  for (i = 0; i < n; ++i) {
    const unsigned char *p = pixels + i * (size_t)channels;
    unsigned char *q = rgb + i * 3;
    if (channels >= 3) {
      q[0] = p[0];
      q[1] = p[1];
      q[2] = p[2];
    } else {
      q[0] = q[1] = q[2] = p[0];
    }
  }
  to_darknet_floats(rgb, out);
  free(rgb);
  return 0;
}

void dn_image_free(image *im) {
  if (im && im->data) {
    free(im->data);
    im->data = NULL;
  }
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
  network *net;
  const image *im;
  dn_resize_mode mode;
  dn_engine engine;
  dn_relay *relay;
  int apply_hierarchy;
  int top;
  int *top_indices;
  float *output;
  int output_count;
  dn_error rules; /* the cfg rules at the resized size */
} run_call;

static void run(void *arg) {
  run_call *c = (run_call *)arg;
  network *net = c->net;
  int w = net->w, h = net->h;
  image r;
  float *p;
  if (c->mode == DN_RESIZE_MIN) {
    r = resize_min(*c->im, net->w);
    resize_network(net, r.w, r.h);
    if (dn_cfg_rules_network("the resized network", NULL, net, &c->rules) != 0) {
      /* the cfg's shapes held at its own size, not at this one */
      if (r.data != c->im->data) free_image(r);
      resize_network(net, w, h);
      dn_shim_fatal(c->rules.message);
    }
  } else {
    r = c->engine == DN_ENGINE_DARKNET ? letterbox_image(*c->im, net->w, net->h)
                                       : dn_fast_letterbox(*c->im, net->w, net->h);
  }
  p = c->engine == DN_ENGINE_DARKNET ? network_predict(net, r.data) : dn_fast_predict(net, r.data, c->relay);
  c->output_count = net->outputs;
  c->output = (float *)malloc(sizeof(float) * (size_t)net->outputs);
  if (c->output) {
    memcpy(c->output, p, sizeof(float) * (size_t)net->outputs);
    if (c->apply_hierarchy && net->hierarchy) {
      hierarchy_predictions(c->output, net->outputs, net->hierarchy, 1, 1);
    }
    if (c->top > 0) top_k(c->output, net->outputs, c->top, c->top_indices);
  }
  if (r.data != c->im->data) free_image(r);
  if (c->mode == DN_RESIZE_MIN && (net->w != w || net->h != h)) resize_network(net, w, h);
}

int dn_network_run(network *net, const image *im, dn_resize_mode mode, dn_engine engine, int apply_hierarchy,
                   int top, int *top_indices, float **output, int *output_count, dn_error *err) {
  run_call call;
  int rc;
  err->code = DN_OK;
  if (mode == DN_RESIZE_MIN && resizable(net, err) != 0) return -1;
  if (mode == DN_RESIZE_LETTERBOX) {
    /* letterbox_image's size for the image; its resize_image divides by the
     * new width-1 and height-1 (a NaN index at 1 pixel, on a worker thread) */
    long long new_w = net->w, new_h = net->h;
    if ((float)net->w / im->w < (float)net->h / im->h)
      new_h = (long long)im->h * net->w / im->w;
    else
      new_w = (long long)im->w * net->h / im->h;
    if (new_w < 2 || new_h < 2) {
      dn_error_set(err, DN_E_INPUT,
                   "a %dx%d image letterboxed into the network's %dx%d is %lldx%lld: darknet resizes to at least "
                   "2 pixels a side",
                   im->w, im->h, net->w, net->h, new_w, new_h);
      return -1;
    }
  }
  if (top > net->outputs) top = net->outputs;
  call.net = net;
  call.im = im;
  call.mode = mode;
  call.engine = engine;
  call.relay = engine == DN_ENGINE_FAST ? dn_relay_acquire() : NULL;
  call.apply_hierarchy = apply_hierarchy;
  call.top = top;
  call.top_indices = top_indices;
  call.output = NULL;
  call.output_count = 0;
  rc = dn_guard(run, &call, DN_E_DARKNET, err);
  dn_relay_release(call.relay); /* here, after dn_guard: also when darknet failed */
  if (rc != 0) {
    free(call.output);
    return -1;
  }
  if (!call.output) {
    dn_error_set(err, DN_E_DARKNET, "out of memory for %d outputs", call.output_count);
    return -1;
  }
  *output = call.output;
  *output_count = call.output_count;
  return 0;
}

const char *dn_layer_type_name(const layer *l) { return get_layer_string(l->type); }

/* See cfg_rules.h. Every rule below comes from darknet's parser.c (what each
 * parse_* reads) and its *_layer.c (what make_* computes and what forward_*
 * assumes); the reason is in the rule's message. A new layer type is one row
 * of `rules`. */
#include "cfg_rules.h"

#include "local_layer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern LAYER_TYPE string_to_layer_type(char *type);
extern char *get_layer_string(LAYER_TYPE a);

#define BIG (1L << 20)
/* A head's classes: darknet's detectors have 20 to 9418 (yolo9000); every
 * box of a detect call gets a float per class (make_network_boxes) */
#define MAX_CLASSES 65536L

typedef struct key_range {
  const char *key;
  long min, max;
} key_range;

/* A shape rule: writes what is wrong into why and returns -1, or returns 0. */
typedef int (*shape_rule)(const network *net, const layer *l, char *why, size_t size);

typedef struct layer_rule {
  LAYER_TYPE type;
  const char *name;    /* darknet's section name */
  const char *refused; /* non-NULL: why darknet's inference cannot run this type */
  int image_input;     /* forward reads its input as l->w x l->h x l->c */
  key_range keys[10];  /* integer keys (read with atoi) and their ranges */
  shape_rule shape;
} layer_rule;

/* ---- shape rules ---- */

static int conv_shape(const network *net, const layer *l, char *why, size_t size) {
  (void)net;
  /* forward_convolutional_layer takes c/groups input and n/groups output
   * channels per group, and walks all c and n of them */
  if (l->c % l->groups != 0 || l->n % l->groups != 0) {
    snprintf(why, size, "groups=%d divides neither its %d input channels nor its filters=%d evenly", l->groups,
             l->c, l->n);
    if (l->c % l->groups == 0)
      snprintf(why, size, "groups=%d does not divide filters=%d", l->groups, l->n);
    else if (l->n % l->groups == 0)
      snprintf(why, size, "groups=%d does not divide its %d input channels", l->groups, l->c);
    return -1;
  }
  /* forward_convolutional_layer multiplies a 1x1 convolution's input itself,
   * as c rows of out_w*out_h: padding makes those rows longer than the input's */
  if (l->size == 1 && (long long)l->out_w * l->out_h > (long long)l->w * l->h) {
    snprintf(why, size, "size=1 with padding=%d: darknet reads its %dx%d input as %dx%d", l->pad, l->w, l->h, l->out_w,
             l->out_h);
    return -1;
  }
  /* load_convolutional_weights reads numload filters into buffers of n */
  if (l->numload < 0 || l->numload > l->n) {
    snprintf(why, size, "numload=%d is outside 0..filters=%d", l->numload, l->n);
    return -1;
  }
  return 0;
}

static int deconv_shape(const network *net, const layer *l, char *why, size_t size) {
  (void)net;
  if (l->numload < 0 || l->numload > l->n) {
    snprintf(why, size, "numload=%d is outside 0..filters=%d", l->numload, l->n);
    return -1;
  }
  return 0;
}

static int crop_shape(const network *net, const layer *l, char *why, size_t size) {
  (void)net;
  /* forward_crop_layer reads the centre crop_height x crop_width of its input */
  if (l->out_w > l->w || l->out_h > l->h) {
    snprintf(why, size, "crop_width=%d crop_height=%d is larger than its %dx%d input", l->out_w, l->out_h, l->w,
             l->h);
    return -1;
  }
  return 0;
}

static int reorg_shape(const network *net, const layer *l, char *why, size_t size) {
  long s = l->stride;
  (void)net;
  if (l->extra < 0) {
    snprintf(why, size, "extra=%d is negative", l->extra);
    return -1;
  }
  /* with flatten, forward copies all inputs+extra outputs from its inputs */
  if (l->flatten && l->extra) {
    snprintf(why, size, "flatten=1 with extra=%d reads %d floats past its input", l->extra, l->extra);
    return -1;
  }
  if (l->extra) return 0; /* forward copies its inputs, nothing else */
  /* reorg_cpu splits the channels into stride*stride groups, and without
   * reverse writes an output darknet sized as (w/stride)*(h/stride)*c*stride^2 */
  if (l->c % (s * s) != 0) {
    snprintf(why, size, "stride=%d: its %d input channels are not a multiple of stride*stride", l->stride, l->c);
    return -1;
  }
  if (!l->reverse && (l->w % s != 0 || l->h % s != 0)) {
    snprintf(why, size, "stride=%d does not divide its %dx%d input", l->stride, l->w, l->h);
    return -1;
  }
  return 0;
}

static int shortcut_shape(const network *net, const layer *l, char *why, size_t size) {
  const layer *from = &net->layers[l->index];
  /* shortcut_cpu divides the two sizes by each other and asserts that the
   * width and height ratios agree; make_shortcut_layer keeps from's size in
   * l->w, l->h, l->c and the input's in l->out_* (positive: the generic rule) */
  if (l->w <= 0 || l->h <= 0 || l->c <= 0 || (long long)l->w * l->h * l->c > from->outputs) {
    snprintf(why, size, "from=%d names layer %d, whose output is not an image (%dx%dx%d)", l->index, l->index, l->w,
             l->h, l->c);
    return -1;
  }
  if (l->w / l->out_w != l->h / l->out_h || l->out_w / l->w != l->out_h / l->h) {
    snprintf(why, size, "from=%d: layer %d's %dx%d output and its %dx%d input do not scale alike", l->index,
             l->index, l->w, l->h, l->out_w, l->out_h);
    return -1;
  }
  return 0;
}

static int tree_fits(const tree *t, int n, const char *what, char *why, size_t size) {
  /* softmax_tree walks the tree's groups over n values; hierarchy_predictions
   * reads the tree's parent of each of n values */
  if (t && t->n != n) {
    snprintf(why, size, "its tree= file has %d entries for %d %s", t->n, n, what);
    return -1;
  }
  return 0;
}

static int softmax_shape(const network *net, const layer *l, char *why, size_t size) {
  (void)net;
  return tree_fits(l->softmax_tree, l->inputs, "inputs", why, size);
}

static int region_shape(const network *net, const layer *l, char *why, size_t size) {
  (void)net;
  return tree_fits(l->softmax_tree, l->classes, "classes", why, size);
}

static int lrn_shape(const network *net, const layer *l, char *why, size_t size) {
  (void)net;
  /* forward_normalization_layer sums the squares of the first size/2
   * channels before it walks them */
  if (l->size / 2 > l->c) {
    snprintf(why, size, "size=%d is a window wider than its %d channels (at most %d)", l->size, l->c, 2 * l->c + 1);
    return -1;
  }
  return 0;
}

static int recurrent_shape(const network *net, const layer *l, char *why, size_t size) {
  (void)net;
  /* make_*_layer gives each of time_steps steps batch/time_steps images, and
   * inference's batch is 1 */
  if (l->steps != 1) {
    snprintf(why, size, "time_steps=%d: inference runs one image at a time, so each step would get none",
             l->steps);
    return -1;
  }
  return 0;
}

/* ---- the table ---- */

#define FILTERS {"filters", 1, BIG}
#define SIZE {"size", 1, BIG}
#define STRIDE {"stride", 1, BIG}
#define FLAG(k) {k, 0, 1}

static const layer_rule rules[] = {
    {NETWORK, "net", NULL, 0,
     /* letterbox_image and resize_image divide by width-1 and height-1 */
     {{"width", 2, BIG}, {"height", 2, BIG}, {"channels", 1, 3}, {"time_steps", 1, BIG}, {"inputs", 0, INT_MAX}},
     NULL},
    {CONVOLUTIONAL, "convolutional", NULL, 1,
     {FILTERS, SIZE, STRIDE, {"groups", 1, BIG}, {"padding", 0, BIG}, FLAG("batch_normalize"), FLAG("binary"),
      FLAG("xnor")},
     conv_shape},
    {DECONVOLUTIONAL, "deconvolutional", NULL, 1,
     {FILTERS, SIZE, STRIDE, {"padding", 0, BIG}, FLAG("batch_normalize")}, deconv_shape},
    /* local's pad is a flag that im2col also uses as the padding in pixels */
    {LOCAL, "local", NULL, 1, {FILTERS, SIZE, STRIDE, FLAG("pad")}, NULL},
    {CONNECTED, "connected", NULL, 0, {{"output", 1, BIG}, FLAG("batch_normalize")}, NULL},
    {RNN, "rnn", NULL, 0, {{"output", 1, BIG}, FLAG("batch_normalize")}, recurrent_shape},
    {GRU, "gru", NULL, 0, {{"output", 1, BIG}, FLAG("batch_normalize")}, recurrent_shape},
    {LSTM, "lstm", NULL, 0, {{"output", 1, BIG}, FLAG("batch_normalize")}, recurrent_shape},
    {CRNN, "crnn", NULL, 1, {{"output_filters", 1, BIG}, {"hidden_filters", 1, BIG}, FLAG("batch_normalize")},
     recurrent_shape},
    {MAXPOOL, "maxpool", NULL, 1, {SIZE, STRIDE, {"padding", 0, BIG}}, NULL},
    {AVGPOOL, "avgpool", NULL, 1, {{NULL, 0, 0}}, NULL},
    /* make_reorg_layer multiplies or divides the channels by stride*stride, an int */
    {REORG, "reorg", NULL, 1, {{"stride", 1, 46340}, FLAG("reverse"), FLAG("flatten"), {"extra", 0, BIG}}, reorg_shape},
    {UPSAMPLE, "upsample", NULL, 1, {STRIDE}, NULL},
    {CROP, "crop", NULL, 1,
     {{"crop_width", 1, BIG}, {"crop_height", 1, BIG}, FLAG("flip"), FLAG("noadjust")}, crop_shape},
    {NORMALIZATION, "normalization", NULL, 1, {SIZE}, lrn_shape},
    {BATCHNORM, "batchnorm", NULL, 1, {{NULL, 0, 0}}, NULL},
    {SOFTMAX, "softmax", NULL, 0, {{"groups", 1, BIG}}, softmax_shape},
    {ROUTE, "route", NULL, 0, {{NULL, 0, 0}}, NULL},
    {SHORTCUT, "shortcut", NULL, 0, {{NULL, 0, 0}}, shortcut_shape},
    {DROPOUT, "dropout", NULL, 0, {{NULL, 0, 0}}, NULL},
    {ACTIVE, "activation", NULL, 0, {{NULL, 0, 0}}, NULL},
    {LOGXENT, "logistic", NULL, 0, {{NULL, 0, 0}}, NULL},
    {L2NORM, "l2norm", NULL, 0, {{NULL, 0, 0}}, NULL},
    {COST, "cost", NULL, 0, {{NULL, 0, 0}}, NULL},
    /* coords: darknet's box decoding reads 4 of them */
    {DETECTION, "detection", NULL, 0,
     {{"coords", 4, BIG}, {"classes", 1, MAX_CLASSES}, {"num", 1, BIG}, {"side", 1, BIG}}, NULL},
    {REGION, "region", NULL, 0,
     {{"coords", 4, BIG}, {"classes", 1, MAX_CLASSES}, {"num", 1, BIG}, FLAG("background")}, region_shape},
    {YOLO, "yolo", NULL, 0, {{"classes", 1, MAX_CLASSES}, {"num", 1, BIG}}, NULL},
    {ISEG, "iseg", "forward_iseg_layer reads training labels (net.truth), which inference does not have", 0,
     {{NULL, 0, 0}}, NULL},
};

static const layer_rule *rule_for(LAYER_TYPE type) {
  size_t i;
  for (i = 0; i < sizeof rules / sizeof rules[0]; ++i)
    if (rules[i].type == type) return &rules[i];
  return NULL;
}

/* ---- the text ---- */

typedef struct section_state {
  LAYER_TYPE type;
  char name[48];
  int line;
  long num;        /* first num= (yolo: total anchors; region: anchors) */
  int anchors;     /* how many anchors= values, -1: none */
  int anchors_line;
  int has_num;
  int has_layers;  /* [route] layers= */
  const char *mask; /* [yolo] first mask= value, mask_n characters of the text */
  size_t mask_n;
  int mask_line;
  long classes, coords; /* first classes= and coords= (a head's defaults until then) */
  long filters;         /* [convolutional] first filters= (default 1) */
  int seen_classes, seen_coords, seen_filters;
} section_state;

static int fail(dn_error *err, const char *path, int line, const char *section, const char *what) {
  dn_error_set(err, DN_E_CFG, "%s line %d: %s %s", path, line, section, what);
  return -1;
}

/* The checks that need the whole section (darknet reads the first of a
 * repeated key). */
static int end_section(const char *path, const section_state *s, const section_state *prev, dn_error *err) {
  char what[300];
  if (s->type == ROUTE && !s->has_layers)
    return fail(err, path, s->line, s->name, "has no layers= (darknet reads it without checking)");
  if ((s->type == YOLO || s->type == REGION) && s->anchors >= 0 && s->anchors > 2 * s->num) {
    /* parse_yolo and parse_region write every anchors= value into 2*num floats */
    snprintf(what, sizeof what, "anchors= has %d values, more than 2*num=%ld", s->anchors, 2 * s->num);
    return fail(err, path, s->anchors_line, s->name, what);
  }
  if (s->type == YOLO && s->mask_line) {
    /* forward and box decoding index the 2*num anchors with each mask value */
    const char *p = s->mask, *end = s->mask + s->mask_n;
    for (;;) {
      long v = atol(p); /* stops at the ',' or the line's end */
      if (v < 0 || v >= s->num) {
        snprintf(what, sizeof what, "mask= value %ld is not an anchor index (num=%ld)", v, s->num);
        return fail(err, path, s->mask_line, s->name, what);
      }
      p = (const char *)memchr(p, ',', (size_t)(end - p));
      if (!p) break;
      ++p;
    }
  }
  if ((s->type == YOLO || s->type == REGION) && prev && prev->type == CONVOLUTIONAL) {
    /* parse_yolo and parse_region assert that the head's outputs,
     * w*h*n*(classes + coords + 1), are its input's w*h*filters (a failed
     * assert that names neither the section nor the numbers) */
    long n = s->num, per_box = s->classes + (s->type == YOLO ? 4 : s->coords) + 1, need;
    if (s->type == YOLO && s->mask_line) {
      size_t i;
      n = 1;
      for (i = 0; i < s->mask_n; ++i) n += s->mask[i] == ',';
    }
    need = n * per_box;
    if (need != prev->filters) {
      if (s->type == YOLO)
        snprintf(what, sizeof what,
                 "classes=%ld with %ld %s needs (classes+5)*%ld = %ld filters in the [convolutional] before it "
                 "(line %d), which has filters=%ld",
                 s->classes, n, s->mask_line ? "mask= values" : "anchors (num=, no mask=)", n, need, prev->line,
                 prev->filters);
      else
        snprintf(what, sizeof what,
                 "coords=%ld classes=%ld num=%ld needs (coords+1+classes)*num = %ld filters in the [convolutional] "
                 "before it (line %d), which has filters=%ld",
                 s->coords, s->classes, s->num, need, prev->line, prev->filters);
      return fail(err, path, s->line, s->name, what);
    }
  }
  return 0;
}

int dn_cfg_rules_text(const char *path, const char *text, dn_error *err) {
  section_state s, prev;
  const char *p = text;
  int line = 0, sections = 0, computing = 0; /* computing: a layer that is not [cost] */
  memset(&s, 0, sizeof s);
  memset(&prev, 0, sizeof prev);
  s.type = BLANK;
  while (*p) {
    const char *end = strchr(p, '\n');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    ++line;
    if (n > 0 && p[0] == '[') {
      char header[48];
      const layer_rule *rule;
      if (sections > 0 && end_section(path, &s, sections > 1 ? &prev : NULL, err) != 0) return -1;
      snprintf(header, sizeof header, "%.*s", (int)(n < 47 ? n : 47), p);
      prev = s;
      memset(&s, 0, sizeof s);
      s.type = string_to_layer_type(header);
      snprintf(s.name, sizeof s.name, "%s", header);
      s.line = line;
      if (sections > 0 && s.type != COST) computing = 1;
      s.num = 1; /* parse_yolo's and parse_region's default */
      s.anchors = -1;
      /* parse_yolo's and parse_region's defaults (classes=20, coords=4),
       * parse_detection's (1, 1), make_convolutional_layer's filters=1 */
      s.classes = s.type == DETECTION ? 1 : 20;
      s.coords = s.type == DETECTION ? 1 : 4;
      s.filters = 1;
      ++sections;
      rule = rule_for(s.type);
      if (rule && rule->refused) {
        char what[256];
        snprintf(what, sizeof what, "cannot run in inference: %s", rule->refused);
        return fail(err, path, line, s.name, what);
      }
    } else if (n > 0 && p[0] != '#' && p[0] != ';') {
      const char *eq = (const char *)memchr(p, '=', n);
      const layer_rule *rule = rule_for(s.type);
      if (eq && rule) {
        char key[64];
        const char *value = eq + 1;
        size_t vn = n - (size_t)(value - p);
        size_t i;
        snprintf(key, sizeof key, "%.*s", (int)((size_t)(eq - p) < 63 ? (size_t)(eq - p) : 63), p);
        if (vn == 0) goto next; /* darknet's read_option drops an empty value */
        for (i = 0; i < sizeof rule->keys / sizeof rule->keys[0] && rule->keys[i].key; ++i) {
          const key_range *k = &rule->keys[i];
          if (strcmp(key, k->key) == 0) {
            /* option_find_int reads with atoi: digits after an optional sign */
            char *stop;
            long v = strtol(value, &stop, 10);
            if (stop == value) v = 0;
            if (v < k->min || v > k->max) {
              char what[160];
              snprintf(what, sizeof what, "%s=%.*s is out of range (%ld..%ld)", key, (int)(vn < 40 ? vn : 40), value,
                       k->min, k->max);
              return fail(err, path, line, s.name, what);
            }
          }
        }
        if (strcmp(key, "num") == 0 && !s.has_num) {
          s.num = atol(value);
          s.has_num = 1;
        }
        if (strcmp(key, "layers") == 0) s.has_layers = 1;
        /* the first of each (option_find), as atoi reads it */
        if (strcmp(key, "classes") == 0 && !s.seen_classes++) s.classes = atol(value);
        if (strcmp(key, "coords") == 0 && !s.seen_coords++) s.coords = atol(value);
        if (strcmp(key, "filters") == 0 && !s.seen_filters++) s.filters = atol(value);
        if ((s.type == ROUTE && strcmp(key, "layers") == 0) || (s.type == SHORTCUT && strcmp(key, "from") == 0)) {
          /* parse_route reads every comma-separated value, parse_shortcut the
           * first, with atoi (a non-number is 0), negative ones counting back
           * from this layer, and indexes the layers with them unchecked */
          const int self = sections - 2;
          const char *item = value, *end = value + vn;
          for (;;) {
            long ref = atol(item), at = ref < 0 ? ref + self : ref;
            if (at < 0 || at >= self) {
              char what[160];
              snprintf(what, sizeof what, "%s= value %ld refers to no earlier layer (this is layer %d)", key, ref, self);
              return fail(err, path, line, s.name, what);
            }
            item = s.type == ROUTE ? (const char *)memchr(item, ',', (size_t)(end - item)) : NULL;
            if (!item) break;
            ++item;
          }
        }
        if (strcmp(key, "anchors") == 0 && s.anchors < 0) {
          int count = 1;
          for (i = 0; i < vn; ++i) count += value[i] == ',';
          s.anchors = count;
          s.anchors_line = line;
        }
        if (strcmp(key, "mask") == 0 && !s.mask_line) {
          s.mask = value;
          s.mask_n = vn;
          s.mask_line = line;
        }
      }
    }
  next:
    if (!end) break;
    p = end + 1;
  }
  if (sections > 0 && end_section(path, &s, sections > 1 ? &prev : NULL, err) != 0) return -1;
  if (sections > 1 && !computing) {
    /* get_network_output_layer looks for the last layer that is not [cost]
     * and, finding none, reads the layer before the first */
    dn_error_set(err, DN_E_CFG, "%s: every layer is [cost]: the network computes nothing", path);
    return -1;
  }
  return 0;
}

/* ---- inside the parse ---- */

/* parser.c calls this instead of make_local_layer (binding/shim/darknet_shim.h,
 * DN_SHIM_PARSER): make_local_layer writes c*n*size*size initial weights into
 * an array of that times out_h*out_w, which is empty when the kernel is
 * larger than what reaches it; this runs before any check of the built
 * network can. */
local_layer dn_checked_make_local_layer(int batch, int h, int w, int c, int n, int size, int stride, int pad,
                                        ACTIVATION activation) {
  /* local_out_height and local_out_width */
  long long out_h = (pad ? h - 1LL : (long long)h - size) / stride + 1;
  long long out_w = (pad ? w - 1LL : (long long)w - size) / stride + 1;
  if (out_h <= 0 || out_w <= 0) {
    char message[200];
    snprintf(message, sizeof message, "[local] size=%d stride=%d pad=%d computes a %lldx%lld output from its %dx%dx%d input",
             size, stride, pad, out_w, out_h, w, h, c);
    dn_shim_fatal(message);
  }
  return make_local_layer(batch, h, w, c, n, size, stride, pad, activation);
}

/* ---- the network ---- */

/* The workspace layer l's forward uses, in bytes. [crnn]: its three inner
 * convolutions' workspaces are not counted by parse_network_cfg. [local]:
 * make_local_layer states its im2col workspace in floats, and
 * parse_network_cfg allocates that many bytes. forward_local_layer's im2col
 * writes c*size*size rows of im2col's own output size (pad used as pixels),
 * and its gemm reads c*size*size rows of out_h*out_w: room for the larger. */
static unsigned long long workspace_needed(const layer *l) {
  long long rows, im_h, im_w, cols;
  if (l->type == CRNN) {
    unsigned long long a = l->input_layer->workspace_size, b = l->self_layer->workspace_size,
                       c = l->output_layer->workspace_size;
    return a > b ? (a > c ? a : c) : (b > c ? b : c);
  }
  if (l->type != LOCAL) return l->workspace_size;
  rows = (long long)l->size * l->size * l->c;
  im_h = (l->h + 2LL * l->pad - l->size) / l->stride + 1;
  im_w = (l->w + 2LL * l->pad - l->size) / l->stride + 1;
  cols = (long long)l->out_h * l->out_w;
  if (im_h > 0 && im_w > 0 && im_h * im_w > cols) cols = im_h * im_w;
  return (unsigned long long)(rows * cols) * sizeof(float);
}

/* The lines of the section headers: layer i is section i+1. */
static int section_line(const char *text, int layer_index) {
  const char *p = text;
  int line = 1, header = -1;
  if (!text) return 0;
  for (;;) {
    if (*p == '[' && ++header == layer_index + 1) return line;
    p = strchr(p, '\n');
    if (!p) return 0;
    ++p;
    ++line;
  }
}

static int is_head(LAYER_TYPE t) { return t == YOLO || t == REGION || t == DETECTION; }

/* get_network_boxes sizes every box's prob (make_network_boxes) by the last
 * layer's classes and fills them from every head: an earlier head with more
 * classes writes past them, and heads before a last layer that is not one
 * write into buffers sized by a layer with no classes at all. */
static int heads_rule(const char *path, const char *text, const network *net, dn_error *err) {
  const layer *last = &net->layers[net->n - 1];
  int i, line;
  for (i = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    char why[300];
    if (!is_head(l->type)) continue;
    if (!is_head(last->type))
      snprintf(why, sizeof why, "is a detection head, and the last layer (%d) is not one: darknet reads the boxes' "
               "class count from the last layer", net->n - 1);
    else if (l->classes != last->classes)
      snprintf(why, sizeof why, "has classes=%d, and the last head (layer %d) classes=%d: every head of a detector "
               "must have the same classes", l->classes, net->n - 1, last->classes);
    else
      continue;
    line = section_line(text, i);
    if (line > 0)
      dn_error_set(err, DN_E_CFG, "%s line %d: [%s] (layer %d) %s", path, line, get_layer_string(l->type), i, why);
    else
      dn_error_set(err, DN_E_CFG, "%s: [%s] (layer %d) %s", path, get_layer_string(l->type), i, why);
    return -1;
  }
  return 0;
}

int dn_cfg_rules_network(const char *path, const char *text, network *net, size_t limit_bytes, dn_error *err) {
  size_t workspace_bytes = 0;           /* what parse_network_cfg allocated */
  unsigned long long needed_bytes = 0;
  int i;
  /* the image is copied into net->inputs floats, and the first layer reads w*h*c;
   * a [net] without a size is refused as unusable by the caller */
  if (net->w > 0 && net->h > 0 && net->c > 0 && (long long)net->w * net->h * net->c != net->inputs) {
    dn_error_set(err, DN_E_CFG,
                 "%s: [net] inputs=%d does not match width*height*channels (%dx%dx%d; images reach the network "
                 "with at most 3 channels)",
                 path, net->inputs, net->w, net->h, net->c);
    return -1;
  }
  for (i = 0; i < net->n; ++i) {
    const layer *l = &net->layers[i];
    const layer_rule *rule = rule_for(l->type);
    /* what reaches layer i: the previous layer's output, or the image */
    long long reaching = i == 0 ? net->inputs : net->layers[i - 1].outputs;
    char why[400];
    why[0] = '\0';
    if (!rule) {
      snprintf(why, sizeof why, "is a layer type this check does not know");
    } else if (l->out_w < 0 || l->out_h < 0 || l->out_c < 0 || l->outputs <= 0) {
      snprintf(why, sizeof why, "computes an output of %d values (%dx%dx%d) from its %dx%dx%d input", l->outputs,
               l->out_w, l->out_h, l->out_c, l->w, l->h, l->c);
    } else if (rule->image_input &&
               (l->w <= 0 || l->h <= 0 || l->c <= 0 || (long long)l->w * l->h * l->c > reaching)) {
      snprintf(why, sizeof why, "needs an image input, and what reaches it is %lld values shaped %dx%dx%d",
               reaching, l->w, l->h, l->c);
    } else if (l->type != ROUTE && l->inputs > reaching) {
      snprintf(why, sizeof why, "reads %d inputs, and only %lld reach it", l->inputs, reaching);
    } else if (rule->shape) {
      rule->shape(net, l, why, sizeof why);
    }
    if (why[0]) {
      int line = section_line(text, i);
      if (line > 0)
        dn_error_set(err, DN_E_CFG, "%s line %d: [%s] (layer %d) %s", path, line, rule ? rule->name : "?", i, why);
      else
        dn_error_set(err, DN_E_CFG, "%s: [%s] (layer %d) %s", path, rule ? rule->name : "?", i, why);
      return -1;
    }
    if (l->workspace_size > workspace_bytes) workspace_bytes = l->workspace_size;
    if (workspace_needed(l) > needed_bytes) needed_bytes = workspace_needed(l);
  }
  if (net->n > 0 && heads_rule(path, text, net, err) != 0) return -1;
  if (needed_bytes > workspace_bytes) {
    float *workspace;
    if (needed_bytes > limit_bytes) {
      dn_error_set(err, DN_E_TOO_LARGE,
                   "%s: the network needs a %llu-byte workspace, more than the %zu bytes left of its memory limit",
                   path, needed_bytes, limit_bytes);
      return -1;
    }
    workspace = (float *)calloc((size_t)(needed_bytes / sizeof(float) + 1), sizeof(float));
    if (!workspace) {
      dn_error_set(err, DN_E_TOO_LARGE, "%s: out of memory for a %llu-byte workspace", path, needed_bytes);
      return -1;
    }
    free(net->workspace);
    net->workspace = workspace;
  }
  return 0;
}

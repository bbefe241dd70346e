/* A structure-aware libFuzzer mutator for darknet cfgs: the input is read as
 * sections of key=value lines, and one mutation inserts a section of a
 * darknet type, drops, duplicates or swaps sections, sets a key to a boundary
 * value, or adds or removes a key, so that most inputs still parse and reach
 * the layer code; one in eight is libFuzzer's own byte-level mutation. */
#ifndef DARKNET_NAPI_CFG_MUTATOR_H
#define DARKNET_NAPI_CFG_MUTATOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* One small section of each type parse_network_cfg accepts. */
static const char *const cfg_sections[] = {
    "[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n",
    "[convolutional]\nbatch_normalize=1\nfilters=6\ngroups=3\nsize=1\nstride=1\n",
    "[conv]\nfilters=4\nsize=5\nstride=2\npadding=2\n",
    "[deconvolutional]\nfilters=4\nsize=2\nstride=2\n",
    "[local]\nfilters=4\nsize=3\nstride=1\npad=1\n",
    "[connected]\noutput=10\nactivation=linear\n",
    "[rnn]\noutput=8\n",
    "[gru]\noutput=8\n",
    "[lstm]\noutput=8\n",
    "[crnn]\noutput_filters=4\nhidden_filters=4\n",
    "[maxpool]\nsize=2\nstride=2\n",
    "[maxpool]\nsize=3\nstride=1\npadding=5\n",
    "[avgpool]\n",
    "[reorg]\nstride=2\n",
    "[reorg]\nstride=2\nreverse=1\n",
    "[reorg]\nflatten=1\nextra=3\n",
    "[upsample]\nstride=2\n",
    "[crop]\ncrop_width=8\ncrop_height=8\n",
    "[normalization]\nsize=5\n",
    "[batchnorm]\n",
    "[softmax]\ngroups=1\n",
    "[route]\nlayers=-1\n",
    "[route]\nlayers=-1,-2\n",
    "[shortcut]\nfrom=-2\n",
    "[dropout]\nprobability=.5\n",
    "[activation]\nactivation=relu\n",
    "[logistic]\n",
    "[l2norm]\n",
    "[cost]\n",
    "[detection]\nclasses=2\ncoords=4\nnum=1\nside=2\n",
    "[region]\nclasses=2\ncoords=4\nnum=2\nanchors=1,1,2,2\n",
    "[yolo]\nmask=0,1\nanchors=1,1,2,2,3,3\nclasses=2\nnum=3\n",
    "[iseg]\nclasses=2\nids=2\n",
};

static const char *const cfg_keys[] = {
    "filters", "size", "stride", "pad", "padding", "groups", "batch_normalize", "binary", "xnor", "output_filters",
    "hidden_filters", "output", "activation", "crop_width", "crop_height", "flip", "noadjust", "reverse", "flatten",
    "extra", "probability", "from", "layers", "classes", "num", "mask", "anchors", "coords", "side", "softmax",
    "background", "tree", "time_steps", "width", "height", "channels", "inputs", "numload", "dontload", "temperature",
    "scale", "alpha", "beta", "kappa", "max", "random", "tanh", "shortcut", "ids", "type",
};

static const char *const cfg_values[] = {
    "0", "1", "-1", "2", "3", "4", "5", "7", "8", "9", "16", "31", "32", "33", "64", "100", "1000", "65535", "65536",
    "2147483647", "-2147483648", "4294967296", "x", "1,2", "0,1,2", "-1,-2", "-1,0", "9,9", "0,5",
    "1,1,1,1,1,1,1,1,1,1", "leaky", "linear", "logistic", "relu", "0.5", "1e9", "-3", "-4,-1",
};

#define CFG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct cfg_line {
  const char *p;
  size_t n;
} cfg_line;

static uint64_t cfg_rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* Appends n bytes (and a newline when `newline`) to out; 0 when it would not fit. */
static int cfg_put(uint8_t *out, size_t *at, size_t max, const char *p, size_t n, int newline) {
  if (*at + n + (newline ? 1 : 0) > max) return 0;
  memcpy(out + *at, p, n);
  *at += n;
  if (newline) out[(*at)++] = '\n';
  return 1;
}

static int cfg_is_header(const cfg_line *l) {
  size_t i = 0;
  while (i < l->n && (l->p[i] == ' ' || l->p[i] == '\t')) ++i;
  return i < l->n && l->p[i] == '[';
}

static size_t cfg_done(uint8_t *data, const uint8_t *out, size_t n) {
  memcpy(data, out, n);
  return n;
}

/* Appends to out, or gives up on this mutation (data is untouched). */
#define PUT(p, n, newline) \
  do { \
    if (!cfg_put(out, &at, max_size, p, n, newline)) return LLVMFuzzerMutate(data, size, max_size); \
  } while (0)

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
  enum { MAX_LINES = 4096 };
  static cfg_line lines[MAX_LINES];
  static int header_of[MAX_LINES + 1]; /* line index of each section's header */
  static uint8_t copy[1 << 17];
  static uint8_t out[1 << 17];
  uint64_t s = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
  size_t nlines = 0, i, at = 0;
  int nsections = 0, op;
  if (max_size > sizeof out) max_size = sizeof out;
  if (size > sizeof copy || cfg_rng(&s) % 8 == 0) return LLVMFuzzerMutate(data, size, max_size);
  memcpy(copy, data, size);
  for (i = 0; i < size && nlines < MAX_LINES;) {
    const uint8_t *end = (const uint8_t *)memchr(copy + i, '\n', size - i);
    size_t n = end ? (size_t)(end - (copy + i)) : size - i;
    lines[nlines].p = (const char *)copy + i;
    lines[nlines].n = n;
    if (cfg_is_header(&lines[nlines])) header_of[nsections++] = (int)nlines;
    ++nlines;
    i += n + 1;
  }
  header_of[nsections] = (int)nlines;
  if (nsections == 0) return LLVMFuzzerMutate(data, size, max_size);
  op = (int)(cfg_rng(&s) % 7);
  /* sections 1..nsections-1 are layers; section 0 is [net] */
  if (op == 0 || (op <= 2 && nsections < 2) || (op == 6 && nsections < 3)) {
    /* insert a section of some type before section k (or at the end) */
    int k = 1 + (int)(cfg_rng(&s) % (unsigned)nsections);
    const char *t = cfg_sections[cfg_rng(&s) % CFG_COUNT(cfg_sections)];
    for (i = 0; i < (size_t)header_of[k]; ++i) PUT(lines[i].p, lines[i].n, 1);
    PUT(t, strlen(t), 0);
    for (i = (size_t)header_of[k]; i < nlines; ++i) PUT(lines[i].p, lines[i].n, 1);
    return cfg_done(data, out, at);
  }
  if (op == 1 || op == 2 || op == 6) {
    /* drop (1), duplicate (2) or swap with the next (6) section k */
    int k = 1 + (int)(cfg_rng(&s) % (unsigned)(nsections - 1));
    int j;
    for (j = 0; j < nsections; ++j) {
      int from = header_of[j], to = header_of[j + 1], l;
      if (op == 6 && k + 1 < nsections && j == k) {
        /* the next section first, then this one */
        for (l = header_of[k + 1]; l < header_of[k + 2]; ++l) PUT(lines[l].p, lines[l].n, 1);
        for (l = from; l < to; ++l) PUT(lines[l].p, lines[l].n, 1);
        ++j;
        continue;
      }
      if (op == 1 && j == k) continue;
      for (l = from; l < to; ++l) PUT(lines[l].p, lines[l].n, 1);
      if (op == 2 && j == k)
        for (l = from; l < to; ++l) PUT(lines[l].p, lines[l].n, 1);
    }
    return cfg_done(data, out, at);
  }
  {
    /* 3: set a key's value; 4: add a key=value line to a section; 5: drop a line */
    size_t target = (size_t)(cfg_rng(&s) % nlines);
    int k = (int)(cfg_rng(&s) % (unsigned)nsections);
    char added[160];
    const char *value = cfg_values[cfg_rng(&s) % CFG_COUNT(cfg_values)];
    char number[32];
    if (op == 3) {
      /* the nearest key=value line at or after target */
      size_t tries;
      for (tries = 0; tries < nlines; ++tries, target = (target + 1) % nlines)
        if (!cfg_is_header(&lines[target]) && memchr(lines[target].p, '=', lines[target].n)) break;
      if (tries == nlines) op = 4;
      else if (cfg_rng(&s) % 3 == 0) {
        /* or a neighbour of its current value */
        const char *eq = (const char *)memchr(lines[target].p, '=', lines[target].n);
        long v = strtol(eq + 1, NULL, 10);
        static const long delta[] = {-1, 1, -2, 2};
        snprintf(number, sizeof number, "%ld", cfg_rng(&s) % 5 == 4 ? v * 2 : v + delta[cfg_rng(&s) % 4]);
        value = number;
      }
    }
    if (op == 4) {
      snprintf(added, sizeof added, "%s=%s", cfg_keys[cfg_rng(&s) % CFG_COUNT(cfg_keys)], value);
      target = (size_t)header_of[k];
    }
    for (i = 0; i < nlines; ++i) {
      if (i == target && op == 5 && !cfg_is_header(&lines[i])) continue;
      if (i == target && op == 3) {
        const char *eq = (const char *)memchr(lines[i].p, '=', lines[i].n);
        PUT(lines[i].p, (size_t)(eq + 1 - lines[i].p), 0);
        PUT(value, strlen(value), 1);
        continue;
      }
      PUT(lines[i].p, lines[i].n, 1);
      if (i == target && op == 4) PUT(added, strlen(added), 1);
    }
    return cfg_done(data, out, at);
  }
}

#endif

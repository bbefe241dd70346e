/* See cfg_check.h. */
#include "cfg_check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/platform_file.h"

#include "darknet.h"

/* darknet functions that darknet.h does not declare. */
extern LAYER_TYPE string_to_layer_type(char *type);

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
  FILE *f = dn_fopen(c->path, "r");
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
          FILE *ref = dn_fopen(eq + 1, "r");
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

int dn_cfg_check(const char *path, char **text, size_t *length, dn_error *err) {
  cfg_check check = {path, err, 0, NULL, 0, 0};
  /* darknet's fgetl and strip run inside: their fatal paths come back as DN_E_CFG */
  if (dn_guard(check_cfg, &check, DN_E_CFG, err) != 0 || !check.ok) {
    free(check.text);
    *text = NULL;
    return -1;
  }
  *text = check.text;
  *length = check.length;
  return 0;
}

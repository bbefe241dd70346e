/*
 * What each darknet section type needs, as one table (cfg_rules.c): the keys
 * it reads and their ranges, and the input shape its forward function
 * assumes. Checked twice: on the cfg text before darknet parses it (values
 * darknet's parser would write out of bounds with), and on the built network
 * before its first forward (shapes, which darknet computes).
 */
#ifndef DARKNET_NAPI_CFG_RULES_H
#define DARKNET_NAPI_CFG_RULES_H

#include "darknet.h"
#include "shim/guard.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `text` is the cfg as darknet will read it: one stripped line per line of
 * the file at `path` (so line numbers match the file). Returns 0, or -1 with
 * err set (DN_E_CFG, "<path> line <n>: [<section>] <what is wrong>"). */
int dn_cfg_rules_text(const char *path, const char *text, dn_error *err);

/* The same table's shape rules on the network darknet built from `text`
 * (NULL: messages without line numbers, as after resize_network); also gives
 * [local] and [crnn] layers the workspace darknet sizes too small, when it
 * fits in `limit_bytes` (SIZE_MAX: no limit; else DN_E_TOO_LARGE). Returns 0,
 * or -1 with err set. */
int dn_cfg_rules_network(const char *path, const char *text, network *net, size_t limit_bytes, dn_error *err);

/* make_local_layer with its output size checked first: what darknet's
 * parser.c calls (see darknet_shim.h). */
layer dn_checked_make_local_layer(int batch, int h, int w, int c, int n, int size, int stride, int pad,
                                  ACTIVATION activation);

#ifdef __cplusplus
}
#endif

#endif

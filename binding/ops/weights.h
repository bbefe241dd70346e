/* The weights file's size, checked against what the network's layers read. */
#ifndef DARKNET_NAPI_OPS_WEIGHTS_H
#define DARKNET_NAPI_OPS_WEIGHTS_H

#include "darknet.h"
#include "shim/guard.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Number of float parameters load_weights reads for this network, or -1 with
 * err set when a layer's shape makes darknet's own count meaningless. */
long long dn_network_weight_floats(const network *net, dn_error *err);

/* 0 when the file at path has exactly the size load_weights reads for net
 * (header included), else -1 with err set (DN_E_FILE, DN_E_WEIGHTS, DN_E_CFG). */
int dn_weights_check_size(const network *net, const char *cfg, const char *path, dn_error *err);

#ifdef __cplusplus
}
#endif

#endif

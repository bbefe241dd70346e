/* Every plain-C operation the addon and the fuzzers call (see binding/ops/). */
#ifndef DARKNET_NAPI_OPS_OPS_H
#define DARKNET_NAPI_OPS_OPS_H

#include "cfg_check.h"
#include "detect.h"
#include "draw.h"
#include "error_codes.h"
#include "file.h"
#include "image.h"
#include "jpeg_guard.h"
#include "layer_info.h"
#include "network.h"
#include "options.h"
#include "weights.h"

#endif

// N-API conversion of a dn_network_params (ops/layer_params.h) to the object
// NativeNetwork.parameters() resolves with (lib/native.ts NativeParameters).
#ifndef DARKNET_NAPI_NAPI_PARAMETERS_H
#define DARKNET_NAPI_NAPI_PARAMETERS_H

#include <napi.h>

#include "ops/layer_params.h"

Napi::Object NetworkParametersToJs(Napi::Env env, const dn_network_params& params);

#endif

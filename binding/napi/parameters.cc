// See parameters.h. Conversion only: every value was read from the network
// by ops/layer_params.c on the worker thread.
#include "napi/parameters.h"

#include <cstring>

namespace {

Napi::Array Triple(Napi::Env env, int a, int b, int c) {
  Napi::Array t = Napi::Array::New(env, 3);
  t.Set(0u, a);
  t.Set(1u, b);
  t.Set(2u, c);
  return t;
}

// A Float32Array copy, set only when the layer has the array.
void SetFloats(Napi::Env env, Napi::Object o, const char* name, const dn_floats& floats) {
  if (!floats.data) return;
  Napi::Float32Array array = Napi::Float32Array::New(env, static_cast<size_t>(floats.count));
  std::memcpy(array.Data(), floats.data, static_cast<size_t>(floats.count) * sizeof(float));
  o.Set(name, array);
}

Napi::Object LayerToJs(Napi::Env env, const dn_layer_params& p, int index) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", index);
  o.Set("type", p.type ? p.type : "");
  o.Set("activation", p.activation ? p.activation : "");
  o.Set("input", Triple(env, p.w, p.h, p.c));
  o.Set("output", Triple(env, p.out_w, p.out_h, p.out_c));
  o.Set("inputs", p.inputs);
  o.Set("outputs", p.outputs);
  o.Set("filters", p.n);
  o.Set("size", p.size);
  o.Set("stride", p.stride);
  o.Set("pad", p.pad);
  o.Set("groups", p.groups);
  o.Set("batchNormalize", p.batch_normalize != 0);
  o.Set("flipped", p.flipped != 0);
  o.Set("binary", p.binary != 0);
  o.Set("xnor", p.xnor != 0);
  o.Set("noadjust", p.noadjust != 0);
  o.Set("from", p.index);
  Napi::Array route = Napi::Array::New(env, static_cast<size_t>(p.route_count));
  for (int i = 0; i < p.route_count; ++i) route.Set(static_cast<uint32_t>(i), p.route_layers[i]);
  o.Set("layers", route);
  o.Set("tree", p.tree != 0);
  o.Set("alpha", p.alpha);
  o.Set("beta", p.beta);
  o.Set("temperature", p.temperature);
  o.Set("reverse", p.reverse != 0);
  o.Set("scale", p.scale);
  o.Set("classes", p.classes);
  o.Set("coords", p.coords);
  o.Set("softmax", p.softmax != 0);
  o.Set("background", p.background != 0);
  SetFloats(env, o, "biases", p.biases);
  SetFloats(env, o, "scales", p.scales);
  SetFloats(env, o, "rollingMean", p.rolling_mean);
  SetFloats(env, o, "rollingVariance", p.rolling_variance);
  SetFloats(env, o, "weights", p.weights);
  return o;
}

}  // namespace

Napi::Object NetworkParametersToJs(Napi::Env env, const dn_network_params& params) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("width", params.w);
  o.Set("height", params.h);
  o.Set("channels", params.c);
  o.Set("outputs", params.outputs);
  o.Set("outputLayer", params.output_layer);
  Napi::Array layers = Napi::Array::New(env, static_cast<size_t>(params.count));
  for (int i = 0; i < params.count; ++i) layers.Set(static_cast<uint32_t>(i), LayerToJs(env, params.layers[i], i));
  o.Set("layers", layers);
  return o;
}

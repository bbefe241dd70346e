// See convert.h.
#include "convert.h"

#include <cstring>

#include "state.h"

namespace dn {

Napi::Error MakeError(Napi::Env env, const std::string& message, const std::string& code) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data && !data->error_class.IsEmpty()) {
    Napi::Object err =
        data->error_class.New({Napi::String::New(env, message), Napi::String::New(env, code)});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

dn_input InputCopy::View() const {
  dn_input input{};
  input.kind = kind;
  input.path = path.c_str();
  input.bytes = borrowed_data ? borrowed_data : bytes.data();
  input.length = borrowed_data ? borrowed_length : bytes.size();
  input.width = width;
  input.height = height;
  input.channels = channels;
  return input;
}

InputCopy ToInput(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "input must be an object");
  Napi::Object o = value.As<Napi::Object>();
  InputCopy input;
  if (o.Has("path")) {
    input.kind = DN_INPUT_PATH;
    input.path = o.Get("path").As<Napi::String>();
    return input;
  }
  bool pixels = o.Has("pixels");
  Napi::Value v = o.Get(pixels ? "pixels" : "bytes");
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "input data must be a Uint8Array");
  }
  Napi::Uint8Array bytes = v.As<Napi::Uint8Array>();
  if (o.Get("borrow").ToBoolean()) {
    input.borrowed = Napi::Persistent(bytes);
    input.borrowed_data = bytes.Data();
    input.borrowed_length = bytes.ElementLength();
  } else {
    input.bytes.assign(bytes.Data(), bytes.Data() + bytes.ElementLength());
  }
  input.kind = pixels ? DN_INPUT_PIXELS : DN_INPUT_ENCODED;
  if (pixels) {
    input.width = o.Get("width").As<Napi::Number>().Int32Value();
    input.height = o.Get("height").As<Napi::Number>().Int32Value();
    input.channels = o.Get("channels").As<Napi::Number>().Int32Value();
  }
  return input;
}

namespace {

Napi::Object OptionsObject(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  return value.As<Napi::Object>();
}

double NumberOr(Napi::Object o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

std::string StringOr(Napi::Object o, const char* key, const char* fallback) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}

}  // namespace

dn_load_options ToLoadOptions(Napi::Env env, Napi::Value value) {
  Napi::Object o = OptionsObject(env, value);
  dn_load_options options{};
  double limit = NumberOr(o, "limitNetworkBytes", 0);
  options.limit_network_bytes = limit > 0 ? static_cast<size_t>(limit) : 0;
  options.engine = StringOr(o, "engine", "fast") == "darknet" ? DN_ENGINE_DARKNET : DN_ENGINE_FAST;
  options.precision = StringOr(o, "precision", "exact") == "fast" ? DN_PRECISION_FAST : DN_PRECISION_EXACT;
  return options;
}

dn_run_options ToRunOptions(Napi::Env env, Napi::Value value) {
  Napi::Object o = OptionsObject(env, value);
  dn_run_options options{};
  options.resize = StringOr(o, "resize", "letterbox") == "min" ? DN_RESIZE_MIN : DN_RESIZE_LETTERBOX;
  options.engine = StringOr(o, "engine", "fast") == "darknet" ? DN_ENGINE_DARKNET : DN_ENGINE_FAST;
  double top = NumberOr(o, "top", 0);
  options.top = top > 0 ? static_cast<int>(top) : 0;
  options.hierarchy = o.Get("hierarchy").ToBoolean() ? 1 : 0;
  double pixels = NumberOr(o, "limitInputPixels", 0);
  options.limit_input_pixels = pixels > 0 ? pixels : 0;
  options.profile = o.Get("profile").ToBoolean() ? 1 : 0;
  return options;
}

dn_detect_options ToDetectOptions(Napi::Env env, Napi::Value value) {
  Napi::Object o = OptionsObject(env, value);
  dn_detect_options options{};
  options.engine = StringOr(o, "engine", "fast") == "darknet" ? DN_ENGINE_DARKNET : DN_ENGINE_FAST;
  double pixels = NumberOr(o, "limitInputPixels", 0);
  options.limit_input_pixels = pixels > 0 ? pixels : 0;
  // darknet's thresholds are floats (test_detector's atof into a float)
  options.thresh = static_cast<float>(NumberOr(o, "thresh", 0.5));
  options.hier_thresh = static_cast<float>(NumberOr(o, "hierThresh", 0.5));
  options.nms = static_cast<float>(NumberOr(o, "nms", 0.45));
  options.heads = o.Get("heads").ToBoolean() ? 1 : 0;
  const std::string draw = StringOr(o, "draw", "");
  options.draw = draw == "png"    ? DN_DRAW_PNG
                 : draw == "jpeg" ? DN_DRAW_JPEG
                 : draw == "rgb"  ? DN_DRAW_RGB
                                  : DN_DRAW_NONE;
  // the demo flow; its history is the worker's (DetectWorker keeps it alive)
  double average = NumberOr(o, "average", 0);
  options.average = average > 0 ? static_cast<int>(average) : 0;
  options.average_index = static_cast<int>(NumberOr(o, "averageIndex", 0));
  return options;
}

DrawInput ToDrawInput(Napi::Env env, Napi::Value value) {
  Napi::Object o = OptionsObject(env, value);
  DrawInput draw;
  draw.alphabet_dir = StringOr(o, "alphabetDir", "");
  Napi::Value names = o.Get("names");
  if (names.IsArray()) {
    Napi::Array list = names.As<Napi::Array>();
    draw.names.reserve(list.Length());
    for (uint32_t i = 0; i < list.Length(); ++i) draw.names.push_back(list.Get(i).ToString().Utf8Value());
  }
  return draw;
}

Napi::Object ToJs(Napi::Env env, const dn_layer_info& l) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", l.index);
  o.Set("type", l.type);
  Napi::Array input = Napi::Array::New(env, 3);
  Napi::Array output = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; ++i) {
    input.Set(i, l.input[i]);
    output.Set(i, l.output[i]);
  }
  o.Set("input", input);
  o.Set("output", output);
  o.Set("outputs", l.outputs);
  if (l.has_kernel) {
    o.Set("filters", l.filters);
    o.Set("size", l.size);
    o.Set("stride", l.stride);
    o.Set("groups", l.groups);
    o.Set("batchNormalize", l.batch_normalize != 0);
  }
  if (l.has_pool) {
    o.Set("size", l.size);
    o.Set("stride", l.stride);
  }
  if (l.has_flops) o.Set("flops", l.flops);
  // (connected layers: after flops, as the table has always listed them)
  if (l.has_batch_normalize && !l.has_kernel) o.Set("batchNormalize", l.batch_normalize != 0);
  return o;
}

Napi::Object ToJs(Napi::Env env, const dn_network& handle) {
  const network* net = handle.net;
  Napi::Object info = Napi::Object::New(env);
  info.Set("width", net->w);
  info.Set("height", net->h);
  info.Set("channels", net->c);
  info.Set("outputs", net->outputs);
  info.Set("hierarchy", net->hierarchy != nullptr);
  info.Set("task", dn_network_is_detector(net) ? "detect" : "classify");
  info.Set("classes", dn_network_is_detector(net) ? dn_network_classes(net) : net->outputs);
  info.Set("weightFloats", static_cast<double>(handle.weight_floats));
  Napi::Array layers = Napi::Array::New(env, net->n);
  for (int i = 0; i < net->n; ++i) {
    dn_layer_info layer;
    dn_layer_info_of(net, i, &layer);
    layers.Set(static_cast<uint32_t>(i), ToJs(env, layer));
  }
  info.Set("layers", layers);
  return info;
}

}  // namespace dn

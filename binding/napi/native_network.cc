// See native_network.h.
#include "native_network.h"

#include "convert.h"
#include "detect_worker.h"
#include "load_worker.h"
#include "parameters_worker.h"
#include "run_worker.h"

namespace dn {

Napi::Function NativeNetwork::Define(Napi::Env env) {
  return DefineClass(env, "NativeNetwork",
                     {InstanceMethod<&NativeNetwork::Load>("load"), InstanceMethod<&NativeNetwork::Run>("run"),
                      InstanceMethod<&NativeNetwork::Detect>("detect"),
                      InstanceMethod<&NativeNetwork::Parameters>("parameters"),
                      InstanceMethod<&NativeNetwork::Close>("close")});
}

NativeNetwork::NativeNetwork(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativeNetwork>(info), state_(std::make_shared<NetState>()) {
  AddonData* data = info.Env().GetInstanceData<AddonData>();
  live_ = data->live;
  std::lock_guard<std::mutex> lock(live_->mutex);
  live_->states.insert(state_);
}

NativeNetwork::~NativeNetwork() {
  RequestClose();
  std::lock_guard<std::mutex> lock(live_->mutex);
  live_->states.erase(state_);
}

// load(cfg: string, weights: string | null, options: { limitNetworkBytes })
Napi::Value NativeNetwork::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString()) {
    throw Napi::TypeError::New(env, "load(cfg: string, weights: string | null, options: object)");
  }
  bool has_weights = info[1].IsString();
  auto* worker = new LoadWorker(env, info.This().As<Napi::Object>(), state_, info[0].As<Napi::String>(),
                                has_weights ? info[1].As<Napi::String>().Utf8Value() : "", has_weights,
                                ToLoadOptions(env, info[2]));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// run(input: {path} | {bytes} | {pixels, width, height, channels}, options)
Napi::Value NativeNetwork::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2) throw Napi::TypeError::New(env, "run(input: object, options: object)");
  InputCopy input = ToInput(env, info[0]);
  dn_run_options options = ToRunOptions(env, info[1]);
  auto* worker = new RunWorker(env, info.This().As<Napi::Object>(), state_, std::move(input), options);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// detect(input, options): as run, through darknet's detection flow
Napi::Value NativeNetwork::Detect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2) throw Napi::TypeError::New(env, "detect(input: object, options: object)");
  InputCopy input = ToInput(env, info[0]);
  dn_detect_options options = ToDetectOptions(env, info[1]);
  DrawInput draw = options.draw ? ToDrawInput(env, info[1]) : DrawInput{};
  Napi::Value history = options.average > 0 ? info[1].As<Napi::Object>().Get("history") : env.Undefined();
  if (options.average > 0 &&
      (!history.IsTypedArray() || history.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)) {
    throw Napi::TypeError::New(env, "detect: average needs a Float32Array history");
  }
  auto* worker =
      new DetectWorker(env, info.This().As<Napi::Object>(), state_, std::move(input), options, std::move(draw));
  if (options.average > 0) worker->KeepHistory(history.As<Napi::Float32Array>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// parameters(): the layers' fields and parameter arrays (lib/onnx-export.ts)
Napi::Value NativeNetwork::Parameters(const Napi::CallbackInfo& info) {
  auto* worker = new ParametersWorker(info.Env(), info.This().As<Napi::Object>(), state_);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value NativeNetwork::Close(const Napi::CallbackInfo& info) {
  RequestClose();
  return info.Env().Undefined();
}

// Frees now when idle; when a worker holds the state, it frees it as soon
// as its darknet call returns. Never blocks the JS thread.
void NativeNetwork::RequestClose() {
  std::unique_lock<std::mutex> lock(state_->mutex, std::try_to_lock);
  if (lock.owns_lock()) {
    state_->FreeLocked();
  } else {
    state_->close_requested = true;  // read by the worker when its call returns
  }
}

}  // namespace dn

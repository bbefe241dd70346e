// The N-API layer: a NativeNetwork object per darknet network, every darknet
// call an AsyncWorker on the libuv thread pool resolving a Promise. No policy
// here: validation, labels and formatting live in lib/.
#include <napi.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fast_engine.h"
#include "napi/parameters.h"
#include "network_ops.h"
#include "ops/layer_params.h"
#include "thread_pool.h"

#ifndef DARKNET_NAPI_VERSION
#define DARKNET_NAPI_VERSION "0.0.0"
#endif
#ifndef DARKNET_NAPI_C_FLAGS
#define DARKNET_NAPI_C_FLAGS ""
#endif
#ifndef DARKNET_NAPI_COMPILER
#define DARKNET_NAPI_COMPILER ""
#endif

namespace {

const char* ErrorCodeName(int code) {
  switch (code) {
    case DN_E_CFG: return "ERR_INVALID_CFG";
    case DN_E_WEIGHTS: return "ERR_INVALID_WEIGHTS";
    case DN_E_IMAGE: return "ERR_INVALID_IMAGE";
    case DN_E_INPUT: return "ERR_INVALID_INPUT";
    case DN_E_FILE: return "ERR_FILE_UNREADABLE";
    case DN_E_TOO_LARGE: return "ERR_NETWORK_TOO_LARGE";
    default: return "ERR_DARKNET";
  }
}
constexpr const char* kClosedCode = "ERR_NETWORK_CLOSED";

// A prediction's claim on the fast engine's thread pool (thread_pool.h), for
// as long as it is in scope.
class PoolShare {
 public:
  explicit PoolShare(bool active) : active_(active) {
    if (active_) dn_pool_enter();
  }
  ~PoolShare() {
    if (active_) dn_pool_leave();
  }
  PoolShare(const PoolShare&) = delete;
  PoolShare& operator=(const PoolShare&) = delete;

 private:
  bool active_;
};

// One darknet network. Shared between the JS object and its in-flight
// workers, so that neither a finalizer nor an environment cleanup can free
// it under a running darknet call: both take `mutex`, which the worker holds
// for the whole call.
struct NetState {
  std::mutex mutex;
  network* net = nullptr;
  bool closed = false;
  bool close_requested = false;

  // Frees darknet's memory; the caller holds `mutex`.
  void FreeLocked() {
    if (net) dn_network_free(net);
    net = nullptr;
    closed = true;
  }
  ~NetState() {
    if (net) dn_network_free(net);
  }
};

// All networks of one Node environment (main thread or worker thread), freed
// together when it shuts down.
struct LiveNetworks {
  std::mutex mutex;
  std::set<std::shared_ptr<NetState>> states;
};

struct AddonData {
  Napi::FunctionReference error_class;
  std::shared_ptr<LiveNetworks> live = std::make_shared<LiveNetworks>();
};

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

struct Failure {
  std::string code;
  std::string message;
  bool failed() const { return !code.empty(); }
  void Set(const dn_error& err) {
    code = ErrorCodeName(err.code);
    message = err.message;
  }
};

// What a classify/predict call was given, copied so that the caller may
// reuse its buffers at once.
struct Input {
  enum Kind { kPath, kEncoded, kPixels } kind = kPath;
  std::string path;
  std::vector<unsigned char> bytes;
  int width = 0, height = 0, channels = 0;

  std::string Describe() const {
    if (kind == kPath) return "image " + path;
    if (kind == kEncoded) return "image buffer (" + std::to_string(bytes.size()) + " bytes)";
    return "raw pixels (" + std::to_string(width) + "x" + std::to_string(height) + "x" +
           std::to_string(channels) + ")";
  }
};

bool ReadWholeFile(const std::string& path, std::vector<unsigned char>* out, Failure* failure) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    failure->code = "ERR_FILE_UNREADABLE";
    failure->message = "cannot open image " + path + ": " + std::strerror(errno);
    return false;
  }
  unsigned char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) out->insert(out->end(), chunk, chunk + n);
  bool error = std::ferror(f) != 0;
  std::fclose(f);
  if (error) {
    failure->code = "ERR_FILE_UNREADABLE";
    failure->message = "cannot read image " + path;
    return false;
  }
  return true;
}

// Base for the workers: holds the network's state and a reference to its JS
// object for the whole call, and settles a Promise.
class NetworkWorker : public Napi::AsyncWorker {
 public:
  NetworkWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state)
      : Napi::AsyncWorker(env, "darknet"),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)) {
    owner_ = Napi::Persistent(owner);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->closed) {
      failure_.code = kClosedCode;
      failure_.message = "the network is closed";
      return;
    }
    Run(state_.get());
    if (state_->close_requested) state_->FreeLocked();
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failure_.failed()) {
      deferred_.Reject(MakeError(env, failure_.message, failure_.code).Value());
    } else {
      deferred_.Resolve(Result(env));
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  // When the environment is shutting down (a worker thread terminated mid-call)
  // nothing can be settled any more and N-API calls fail; an exception escaping
  // here would end the whole process.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    try {
      Napi::AsyncWorker::OnWorkComplete(env, status);
    } catch (const Napi::Error&) {
    }
  }

  virtual void Run(NetState* state) = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<NetState> state_;
  Napi::ObjectReference owner_;
  Failure failure_;
};

Napi::Object LayerSummary(Napi::Env env, const layer& l, int index) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", index);
  o.Set("type", dn_layer_type_name(&l));
  Napi::Array input = Napi::Array::New(env, 3);
  input.Set(0u, l.w);
  input.Set(1u, l.h);
  input.Set(2u, l.c);
  Napi::Array output = Napi::Array::New(env, 3);
  output.Set(0u, l.out_w);
  output.Set(1u, l.out_h);
  output.Set(2u, l.out_c);
  o.Set("input", input);
  o.Set("output", output);
  o.Set("outputs", l.outputs);
  if (l.type == CONVOLUTIONAL || l.type == DECONVOLUTIONAL || l.type == LOCAL) {
    o.Set("filters", l.n);
    o.Set("size", l.size);
    o.Set("stride", l.stride);
    o.Set("groups", l.groups);
    o.Set("batchNormalize", l.batch_normalize != 0);
  }
  if (l.type == MAXPOOL) {
    o.Set("size", l.size);
    o.Set("stride", l.stride);
  }
  if (l.type == CONVOLUTIONAL && l.groups > 0) {
    // darknet's layer table figure: 2 * multiply-adds.
    double flops = 2.0 * l.n * l.size * l.size * (l.c / l.groups) * l.out_h * l.out_w;
    o.Set("flops", flops);
  } else if (l.type == CONNECTED) {
    o.Set("flops", 2.0 * l.inputs * l.outputs);
  }
  if (l.type == CONNECTED) o.Set("batchNormalize", l.batch_normalize != 0);
  return o;
}

class LoadWorker : public NetworkWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state, std::string cfg,
             std::string weights, bool has_weights, double memory_limit)
      : NetworkWorker(env, owner, std::move(state)),
        cfg_(std::move(cfg)),
        weights_(std::move(weights)),
        has_weights_(has_weights),
        memory_limit_(memory_limit) {}

 protected:
  void Run(NetState* state) override {
    if (state->net) {
      failure_.code = "ERR_INVALID_INPUT";
      failure_.message = "this network is already loaded";
      return;
    }
    dn_error err{};
    network* net = dn_network_load(cfg_.c_str(), has_weights_ ? weights_.c_str() : nullptr,
                                   static_cast<size_t>(memory_limit_), &err);
    if (!net) {
      failure_.Set(err);
      return;
    }
    weight_floats_ = dn_network_weight_floats(net, &err);
    state->net = net;
  }
  Napi::Value Result(Napi::Env env) override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    network* net = state_->net;
    Napi::Object info = Napi::Object::New(env);
    if (!net) return info;
    info.Set("width", net->w);
    info.Set("height", net->h);
    info.Set("channels", net->c);
    info.Set("outputs", net->outputs);
    info.Set("hierarchy", net->hierarchy != nullptr);
    info.Set("weightFloats", static_cast<double>(weight_floats_));
    Napi::Array layers = Napi::Array::New(env, net->n);
    for (int i = 0; i < net->n; ++i) layers.Set(static_cast<uint32_t>(i), LayerSummary(env, net->layers[i], i));
    info.Set("layers", layers);
    return info;
  }

 private:
  std::string cfg_, weights_;
  bool has_weights_;
  double memory_limit_;  // bytes, 0: none
  long long weight_floats_ = 0;
};

class RunWorker : public NetworkWorker {
 public:
  RunWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state, Input input,
            int mode, int top, bool hierarchy, double pixel_limit, int engine)
      : NetworkWorker(env, owner, std::move(state)),
        input_(std::move(input)),
        mode_(mode),
        engine_(engine),
        top_(top),
        hierarchy_(hierarchy),
        pixel_limit_(pixel_limit) {}

 protected:
  void Run(NetState* state) override {
    if (!state->net) {
      failure_.code = kClosedCode;
      failure_.message = "the network is not loaded";
      return;
    }
    // Decoding included: while it decodes, another network's prediction
    // must not take this thread's core for the pool.
    PoolShare share(engine_ == DN_ENGINE_FAST);
    image im{};
    dn_error err{};
    int rc;
    if (input_.kind == Input::kPixels) {
      rc = dn_image_from_pixels(input_.bytes.data(), input_.width, input_.height, input_.channels,
                                &im, &err);
    } else {
      if (input_.kind == Input::kPath && !ReadWholeFile(input_.path, &input_.bytes, &failure_)) return;
      // Refuse huge images from their header alone, before a pixel is decoded.
      int width = 0, height = 0;
      if (pixel_limit_ > 0 && dn_image_info(input_.bytes.data(), input_.bytes.size(), &width, &height) == 0 &&
          static_cast<double>(width) * height > pixel_limit_) {
        failure_.code = "ERR_IMAGE_TOO_LARGE";
        failure_.message = input_.Describe() + ": " + std::to_string(width) + "x" + std::to_string(height) +
                           " pixels exceeds limitInputPixels (" + std::to_string(static_cast<long long>(pixel_limit_)) + ")";
        return;
      }
      rc = dn_image_decode(input_.bytes.data(), input_.bytes.size(), &im, &err);
    }
    if (rc != 0) {
      failure_.Set(err);
      failure_.message = input_.Describe() + ": " + failure_.message;
      return;
    }
    top_indices_.assign(top_ > 0 ? top_ : 0, -1);
    float* output = nullptr;
    int count = 0;
    rc = dn_network_run(state->net, &im, static_cast<dn_resize_mode>(mode_), static_cast<dn_engine>(engine_),
                        hierarchy_ ? 1 : 0, top_, top_indices_.data(), &output, &count, &err);
    dn_image_free(&im);
    if (rc != 0) {
      failure_.Set(err);
      failure_.message = input_.Describe() + ": " + failure_.message;
      return;
    }
    output_.assign(output, output + count);
    std::free(output);
    if (top_ > count) top_indices_.resize(count);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    Napi::Float32Array output = Napi::Float32Array::New(env, output_.size());
    // memcpy with a null pointer is undefined even for 0 bytes (top: 0).
    if (!output_.empty()) std::memcpy(output.Data(), output_.data(), output_.size() * sizeof(float));
    Napi::Int32Array top = Napi::Int32Array::New(env, top_indices_.size());
    if (!top_indices_.empty()) std::memcpy(top.Data(), top_indices_.data(), top_indices_.size() * sizeof(int));
    result.Set("output", output);
    result.Set("top", top);
    return result;
  }

 private:
  Input input_;
  int mode_, engine_, top_;
  bool hierarchy_;
  double pixel_limit_;  // 0: no limit
  std::vector<int> top_indices_;
  std::vector<float> output_;
};

// parameters(): the layers' fields and parameter arrays, read under the
// network's mutex (ops/layer_params.c copies them, so closing later is safe).
class ParametersWorker : public NetworkWorker {
 public:
  using NetworkWorker::NetworkWorker;
  ~ParametersWorker() override { dn_network_params_free(&params_); }

 protected:
  void Run(NetState* state) override {
    if (!state->net) {
      failure_.code = kClosedCode;
      failure_.message = "the network is not loaded";
      return;
    }
    dn_error err{};
    if (dn_network_params_read(state->net, &params_, &err) != 0) failure_.Set(err);
  }
  Napi::Value Result(Napi::Env env) override { return NetworkParametersToJs(env, params_); }

 private:
  dn_network_params params_{};
};

class NativeNetwork : public Napi::ObjectWrap<NativeNetwork> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeNetwork",
                       {InstanceMethod<&NativeNetwork::Load>("load"),
                        InstanceMethod<&NativeNetwork::Run>("run"),
                        InstanceMethod<&NativeNetwork::Parameters>("parameters"),
                        InstanceMethod<&NativeNetwork::Close>("close")});
  }

  explicit NativeNetwork(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<NativeNetwork>(info), state_(std::make_shared<NetState>()) {
    AddonData* data = info.Env().GetInstanceData<AddonData>();
    live_ = data->live;
    std::lock_guard<std::mutex> lock(live_->mutex);
    live_->states.insert(state_);
  }

  // The finalizer of a network nobody closed. A running worker holds its own
  // reference to the state, so this never frees under a darknet call.
  ~NativeNetwork() override {
    RequestClose();
    std::lock_guard<std::mutex> lock(live_->mutex);
    live_->states.erase(state_);
  }

 private:
  Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      throw Napi::TypeError::New(env, "load(cfg: string, weights: string | null, memoryLimit: number)");
    }
    bool has_weights = info.Length() > 1 && info[1].IsString();
    double memory_limit = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
    auto* worker = new LoadWorker(env, info.This().As<Napi::Object>(), state_,
                                  info[0].As<Napi::String>(),
                                  has_weights ? info[1].As<Napi::String>().Utf8Value() : "",
                                  has_weights, memory_limit);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  // run(input, mode, top, hierarchy, pixelLimit): input is {path} | {bytes} |
  // {pixels, width, height, channels}; pixelLimit 0 means none.
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsObject() || !info[1].IsNumber() || !info[2].IsNumber()) {
      throw Napi::TypeError::New(env, "run(input, mode, top, hierarchy)");
    }
    Napi::Object o = info[0].As<Napi::Object>();
    Input input;
    if (o.Has("path")) {
      input.kind = Input::kPath;
      input.path = o.Get("path").As<Napi::String>();
    } else {
      bool pixels = o.Has("pixels");
      Napi::Value v = o.Get(pixels ? "pixels" : "bytes");
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        throw Napi::TypeError::New(env, "input data must be a Uint8Array");
      }
      Napi::Uint8Array bytes = v.As<Napi::Uint8Array>();
      input.bytes.assign(bytes.Data(), bytes.Data() + bytes.ElementLength());
      if (pixels) {
        input.kind = Input::kPixels;
        input.width = o.Get("width").As<Napi::Number>().Int32Value();
        input.height = o.Get("height").As<Napi::Number>().Int32Value();
        input.channels = o.Get("channels").As<Napi::Number>().Int32Value();
        size_t expected = static_cast<size_t>(input.width) * input.height * input.channels;
        if (input.width <= 0 || input.height <= 0 || expected != input.bytes.size()) {
          throw MakeError(env, "raw pixels: length does not match width x height x channels",
                          "ERR_INVALID_INPUT");
        }
      } else {
        input.kind = Input::kEncoded;
      }
    }
    int mode = info[1].As<Napi::Number>().Int32Value();
    int top = info[2].As<Napi::Number>().Int32Value();
    bool hierarchy = info[3].ToBoolean();
    double pixel_limit = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : 0;
    int engine = info.Length() > 5 && info[5].IsNumber() ? info[5].As<Napi::Number>().Int32Value() : 0;
    auto* worker = new RunWorker(env, info.This().As<Napi::Object>(), state_, std::move(input),
                                 mode == 1 ? 1 : 0, top < 0 ? 0 : top, hierarchy, pixel_limit,
                                 engine == DN_ENGINE_DARKNET ? DN_ENGINE_DARKNET : DN_ENGINE_FAST);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Parameters(const Napi::CallbackInfo& info) {
    auto* worker = new ParametersWorker(info.Env(), info.This().As<Napi::Object>(), state_);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    RequestClose();
    return info.Env().Undefined();
  }

  // Frees now when idle; when a worker holds the state, it frees it as soon
  // as its darknet call returns. Never blocks the JS thread.
  void RequestClose() {
    std::unique_lock<std::mutex> lock(state_->mutex, std::try_to_lock);
    if (lock.owns_lock()) {
      state_->FreeLocked();
    } else {
      state_->close_requested = true;  // read by the worker under the mutex
    }
  }

  std::shared_ptr<NetState> state_;
  std::shared_ptr<LiveNetworks> live_;
};

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(info.Env(), "setErrorClass(constructor)");
  }
  info.Env().GetInstanceData<AddonData>()->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// How many networks of this environment still hold darknet memory (for
// diagnostics and the tests of finalizers and cleanup).
Napi::Value LoadedNetworkCount(const Napi::CallbackInfo& info) {
  std::shared_ptr<LiveNetworks> live = info.Env().GetInstanceData<AddonData>()->live;
  std::lock_guard<std::mutex> lock(live->mutex);
  uint32_t count = 0;
  for (const auto& state : live->states) {
    std::unique_lock<std::mutex> state_lock(state->mutex, std::try_to_lock);
    if (!state_lock.owns_lock() || state->net) ++count;
  }
  return Napi::Number::New(info.Env(), count);
}

// The fast engine's pool is one per process, whatever thread sets it.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setThreads(count)");
  dn_pool_set_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), dn_pool_threads()); }

Napi::Object BuildInfo(Napi::Env env) {
  Napi::Object b = Napi::Object::New(env);
  b.Set("version", DARKNET_NAPI_VERSION);
  b.Set("darknetCommit", "61c9d02ec461e30d55762ec7669d6a1d3c356fb2");
  b.Set("compiler", DARKNET_NAPI_COMPILER);
  b.Set("cFlags", DARKNET_NAPI_C_FLAGS);
#ifdef GPU
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("version", DARKNET_NAPI_CUDA_VERSION);
  cuda.Set("architectures", DARKNET_NAPI_CUDA_ARCHITECTURES);
  b.Set("cuda", cuda);
#else
  b.Set("cuda", false);
#endif
#ifdef CUDNN
  b.Set("cudnn", true);
#else
  b.Set("cudnn", false);
#endif
  b.Set("openmp", false);
  b.Set("blas", "darknet gemm");
  b.Set("kernel", dn_fast_kernel_name());
  b.Set("fusedBatchNorm", dn_fast_batchnorm_fused() != 0);
  b.Set("napiVersion", NAPI_VERSION);
  return b;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  // When this environment (main thread or worker) ends, free its networks,
  // waiting for any darknet call in flight on them to return.
  std::shared_ptr<LiveNetworks> live = data->live;
  env.AddCleanupHook([live]() {
    std::lock_guard<std::mutex> lock(live->mutex);
    for (const auto& state : live->states) {
      std::lock_guard<std::mutex> state_lock(state->mutex);
      state->FreeLocked();
    }
  });
  exports.Set("NativeNetwork", NativeNetwork::Define(env));
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("build", BuildInfo(env));
  exports.Set("loadedNetworkCount", Napi::Function::New(env, LoadedNetworkCount, "loadedNetworkCount"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  return exports;
}

}  // namespace

NODE_API_MODULE(darknet_napi, Init)

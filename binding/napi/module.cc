// Module registration: the NativeNetwork class, the build facts and the
// fast engine's thread count. No policy here: validation, labels and
// formatting live in lib/, checks and darknet calls in binding/ops/.
#include <napi.h>

#include <memory>
#include <mutex>
#include <string>

#include "engine/fast_engine.h"
#include "encode_worker.h"
#include "engine/thread_pool.h"
#include "native_network.h"
#include "state.h"

#ifndef DARKNET_NAPI_VERSION
#define DARKNET_NAPI_VERSION "0.0.0"
#endif
#ifndef DARKNET_NAPI_DARKNET_COMMIT
#define DARKNET_NAPI_DARKNET_COMMIT ""
#endif
#ifndef DARKNET_NAPI_C_FLAGS
#define DARKNET_NAPI_C_FLAGS ""
#endif
#ifndef DARKNET_NAPI_COMPILER
#define DARKNET_NAPI_COMPILER ""
#endif

namespace {

using dn::AddonData;
using dn::LiveNetworks;

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
  b.Set("darknetCommit", DARKNET_NAPI_DARKNET_COMMIT);
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
  Napi::Array kernels = Napi::Array::New(env);
  for (uint32_t i = 0; dn_fast_kernel_runnable((int)i); ++i) kernels.Set(i, dn_fast_kernel_runnable((int)i));
  b.Set("kernels", kernels);
  b.Set("fusedBatchNorm", dn_fast_batchnorm_fused() != 0);
  {
    // precision 'fast' on this CPU: the selected kernel's fused build, with FMA or not
    const int fma = dn_fast_precision_fma();
    Napi::Object fast = Napi::Object::New(env);
    fast.Set("kernel", fma >= 0 ? std::string(dn_fast_kernel_name()) + (fma ? "+fma" : "") : std::string(dn_fast_kernel_name()));
    fast.Set("fma", fma > 0);
    fast.Set("fusedKernel", fma >= 0);
    Napi::Array uses = Napi::Array::New(env);
    uint32_t n = 0;
    if (fma > 0) uses.Set(n++, "FMA multiply-adds");
    uses.Set(n++, "batch norm and bias folded into the weights at load");
    uses.Set(n++, fma >= 0 ? "bias and leaky in the kernel's store" : "bias and leaky in a pass per tile");
    // Winograd runs through the fused kernel (fast_engine.c: winograd_eligible)
    if (fma >= 0) {
      uses.Set(n++, "Winograd F(2x2,3x3) or F(4x4,3x3) for 3x3 stride-1 convolutions where timing picks it per layer, "
                    "its weights transformed on the fly where the transformed ones would stream from memory");
      uses.Set(n++, "a first convolution (3x3, up to 4 channels) and the 2x2 max-pool after it in one pass");
      uses.Set(n++, "a Winograd F(4x4,3x3) layer's 2x2 max-pool in its output transform");
    }
    uses.Set(n++, "the yolo heads' logistic vectorized in float");
    fast.Set("uses", uses);
    b.Set("fastPrecision", fast);
  }
  b.Set("fastLetterbox", dn_fast_letterbox_exact() != 0);
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
  exports.Set("NativeNetwork", dn::NativeNetwork::Define(env));
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("build", BuildInfo(env));
  exports.Set("loadedNetworkCount", Napi::Function::New(env, LoadedNetworkCount, "loadedNetworkCount"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  exports.Set("encodeImage", Napi::Function::New(env, dn::EncodeImage, "encodeImage"));
  return exports;
}

}  // namespace

NODE_API_MODULE(darknet_napi, Init)

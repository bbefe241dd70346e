// NativeNetwork: the JS object of one darknet network. load(cfg, weights,
// options), run(input, options) and detect(input, options) queue a worker and return its Promise;
// close() frees the network now, or as soon as the running call returns.
#ifndef DARKNET_NAPI_NAPI_NATIVE_NETWORK_H
#define DARKNET_NAPI_NAPI_NATIVE_NETWORK_H

#include <napi.h>

#include <memory>

#include "state.h"

namespace dn {

class NativeNetwork : public Napi::ObjectWrap<NativeNetwork> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeNetwork(const Napi::CallbackInfo& info);
  // The finalizer of a network nobody closed. A running worker holds its own
  // reference to the state, so this never frees under a darknet call.
  ~NativeNetwork() override;

 private:
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Detect(const Napi::CallbackInfo& info);
  Napi::Value Parameters(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void RequestClose();

  std::shared_ptr<NetState> state_;
  std::shared_ptr<LiveNetworks> live_;
};

}  // namespace dn

#endif

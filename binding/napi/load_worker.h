// Loads a network (ops/network.h) off the JS thread.
#ifndef DARKNET_NAPI_NAPI_LOAD_WORKER_H
#define DARKNET_NAPI_NAPI_LOAD_WORKER_H

#include <string>

#include "network_worker.h"

namespace dn {

class LoadWorker : public NetworkWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state, std::string cfg,
             std::string weights, bool has_weights, dn_load_options options);

 protected:
  void Run(NetState* state) override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::string cfg_, weights_;
  bool has_weights_;
  dn_load_options options_;
};

}  // namespace dn

#endif

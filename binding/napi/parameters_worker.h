// Reads a loaded network's layers and parameter arrays (ops/layer_params.h)
// off the JS thread, under the network's mutex: the copies it makes stay
// valid after a later close.
#ifndef DARKNET_NAPI_NAPI_PARAMETERS_WORKER_H
#define DARKNET_NAPI_NAPI_PARAMETERS_WORKER_H

#include "network_worker.h"
#include "ops/layer_params.h"

namespace dn {

class ParametersWorker : public NetworkWorker {
 public:
  using NetworkWorker::NetworkWorker;
  ~ParametersWorker() override;

 protected:
  void Run(NetState* state) override;
  Napi::Value Result(Napi::Env env) override;

 private:
  dn_network_params params_{};
};

}  // namespace dn

#endif

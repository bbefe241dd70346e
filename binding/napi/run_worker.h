// Runs the network on an image input (ops/network.h: dn_network_run_input)
// off the JS thread.
#ifndef DARKNET_NAPI_NAPI_RUN_WORKER_H
#define DARKNET_NAPI_NAPI_RUN_WORKER_H

#include <vector>

#include "network_worker.h"

namespace dn {

class RunWorker : public NetworkWorker {
 public:
  RunWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state, InputCopy input,
            dn_run_options options);

 protected:
  void Run(NetState* state) override;
  Napi::Value Result(Napi::Env env) override;

 private:
  InputCopy input_;
  dn_run_options options_;
  std::vector<int> top_;
  std::vector<float> output_;
  std::vector<double> layer_ms_;
  std::vector<int> layer_algorithm_;
};

}  // namespace dn

#endif

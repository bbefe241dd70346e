// See load_worker.h.
#include "load_worker.h"

#include <utility>

namespace dn {

LoadWorker::LoadWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state, std::string cfg,
                       std::string weights, bool has_weights, dn_load_options options)
    : NetworkWorker(env, owner, std::move(state)),
      cfg_(std::move(cfg)),
      weights_(std::move(weights)),
      has_weights_(has_weights),
      options_(options) {}

void LoadWorker::Run(NetState* state) {
  if (state->net) {
    failure_.code = dn_error_code_name(DN_E_INPUT);
    failure_.message = "this network is already loaded";
    return;
  }
  dn_error err{};
  dn_network* net = dn_network_load(cfg_.c_str(), has_weights_ ? weights_.c_str() : nullptr, &options_, &err);
  if (!net) {
    failure_.Set(err);
    return;
  }
  state->net = net;
}

Napi::Value LoadWorker::Result(Napi::Env env) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (!state_->net) return Napi::Object::New(env);
  return ToJs(env, *state_->net);
}

}  // namespace dn

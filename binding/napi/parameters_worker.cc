// See parameters_worker.h.
#include "parameters_worker.h"

#include "parameters.h"

namespace dn {

ParametersWorker::~ParametersWorker() { dn_network_params_free(&params_); }

void ParametersWorker::Run(NetState* state) {
  if (!state->net) {
    failure_.code = dn_error_code_name(DN_E_CLOSED);
    failure_.message = "the network is not loaded";
    return;
  }
  dn_error err{};
  if (dn_network_read_params(state->net, &params_, &err) != 0) failure_.Set(err);
}

Napi::Value ParametersWorker::Result(Napi::Env env) { return NetworkParametersToJs(env, params_); }

}  // namespace dn

// See run_worker.h.
#include "run_worker.h"

#include <cstring>
#include <utility>

namespace dn {

RunWorker::RunWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state, InputCopy input,
                     dn_run_options options)
    : NetworkWorker(env, owner, std::move(state)), input_(std::move(input)), options_(options) {}

void RunWorker::Run(NetState* state) {
  if (!state->net) {
    failure_.code = dn_error_code_name(DN_E_CLOSED);
    failure_.message = "the network is not loaded";
    return;
  }
  dn_input input = input_.View();
  dn_result result{};
  dn_error err{};
  if (dn_network_run_input(state->net, &input, &options_, &result, &err) != 0) {
    failure_.Set(err);
    return;
  }
  output_.assign(result.output, result.output + result.count);
  top_.assign(result.top, result.top + result.top_count);
  if (result.layer_ms) layer_ms_.assign(result.layer_ms, result.layer_ms + result.layer_count);
  if (result.layer_algorithm) layer_algorithm_.assign(result.layer_algorithm, result.layer_algorithm + result.layer_count);
  dn_result_free(&result);
}

Napi::Value RunWorker::Result(Napi::Env env) {
  Napi::Object result = Napi::Object::New(env);
  Napi::Float32Array output = Napi::Float32Array::New(env, output_.size());
  // memcpy with a null pointer is undefined even for 0 bytes (top: 0).
  if (!output_.empty()) std::memcpy(output.Data(), output_.data(), output_.size() * sizeof(float));
  Napi::Int32Array top = Napi::Int32Array::New(env, top_.size());
  if (!top_.empty()) std::memcpy(top.Data(), top_.data(), top_.size() * sizeof(int));
  result.Set("output", output);
  result.Set("top", top);
  if (options_.profile) {
    Napi::Float64Array layer_ms = Napi::Float64Array::New(env, layer_ms_.size());
    if (!layer_ms_.empty()) std::memcpy(layer_ms.Data(), layer_ms_.data(), layer_ms_.size() * sizeof(double));
    result.Set("layerMs", layer_ms);
    Napi::Int32Array layer_algorithm = Napi::Int32Array::New(env, layer_algorithm_.size());
    if (!layer_algorithm_.empty())
      std::memcpy(layer_algorithm.Data(), layer_algorithm_.data(), layer_algorithm_.size() * sizeof(int));
    result.Set("layerAlgorithms", layer_algorithm);
  }
  return result;
}

}  // namespace dn

// See run_worker.h.
#include "run_worker.h"

#include <cstring>
#include <utility>

#include "engine/thread_pool.h"

namespace dn {

namespace {

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

}  // namespace

RunWorker::RunWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state, InputCopy input,
                     dn_run_options options)
    : NetworkWorker(env, owner, std::move(state)), input_(std::move(input)), options_(options) {}

void RunWorker::Run(NetState* state) {
  if (!state->net) {
    failure_.code = dn_error_code_name(DN_E_CLOSED);
    failure_.message = "the network is not loaded";
    return;
  }
  // Decoding included: while it decodes, another network's prediction
  // must not take this thread's core for the pool.
  PoolShare share(options_.engine == DN_ENGINE_FAST);
  dn_input input = input_.View();
  image im{};
  dn_error err{};
  if (dn_image_from_input(&input, options_.limit_input_pixels, &im, &err) != 0) {
    failure_.Set(err);
    return;
  }
  dn_result result{};
  int rc = dn_network_run(state->net, &im, &options_, &result, &err);
  dn_image_free(&im);
  if (rc != 0) {
    char described[DN_MESSAGE_SIZE];
    dn_input_describe(&input, described, sizeof described);
    failure_.Set(err);
    failure_.message = std::string(described) + ": " + failure_.message;
    return;
  }
  output_.assign(result.output, result.output + result.count);
  top_.assign(result.top, result.top + result.top_count);
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
  return result;
}

}  // namespace dn

// The base of the workers: an AsyncWorker on the libuv thread pool that
// holds the network's state and its JS object for the whole call, runs one
// darknet call under the state's mutex and settles a Promise.
#ifndef DARKNET_NAPI_NAPI_NETWORK_WORKER_H
#define DARKNET_NAPI_NAPI_NETWORK_WORKER_H

#include <napi.h>

#include <memory>
#include <mutex>
#include <utility>

#include "convert.h"
#include "state.h"

namespace dn {

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
      failure_.code = dn_error_code_name(DN_E_CLOSED);
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

}  // namespace dn

#endif

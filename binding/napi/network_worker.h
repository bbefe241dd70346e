// The base of a network's workers (a PromiseWorker): holds the network's
// state and its JS object for the whole call and runs one darknet call under
// the state's mutex.
#ifndef DARKNET_NAPI_NAPI_NETWORK_WORKER_H
#define DARKNET_NAPI_NAPI_NETWORK_WORKER_H

#include <napi.h>

#include <memory>
#include <mutex>
#include <utility>

#include "convert.h"
#include "promise_worker.h"
#include "state.h"

namespace dn {

class NetworkWorker : public PromiseWorker {
 public:
  NetworkWorker(Napi::Env env, Napi::Object owner, std::shared_ptr<NetState> state)
      : PromiseWorker(env, "darknet"), state_(std::move(state)) {
    owner_ = Napi::Persistent(owner);
  }

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

  virtual void Run(NetState* state) = 0;

  std::shared_ptr<NetState> state_;
  Napi::ObjectReference owner_;
};

}  // namespace dn

#endif

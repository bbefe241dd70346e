// The base of every worker: an AsyncWorker on the libuv thread pool that
// settles a Promise, rejected with a DarknetError when Execute recorded a
// failure, resolved with Result() otherwise.
#ifndef DARKNET_NAPI_NAPI_PROMISE_WORKER_H
#define DARKNET_NAPI_NAPI_PROMISE_WORKER_H

#include <napi.h>

#include "convert.h"

namespace dn {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* name)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
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

  virtual Napi::Value Result(Napi::Env env) = 0;

  Napi::Promise::Deferred deferred_;
  Failure failure_;
};

}  // namespace dn

#endif

// What the N-API objects share: a network's state, the environment's list of
// live networks and the addon's per-environment data.
#ifndef DARKNET_NAPI_NAPI_STATE_H
#define DARKNET_NAPI_NAPI_STATE_H

#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

#include "ops/network.h"

namespace dn {

// One darknet network. Shared between the JS object and its in-flight
// workers, so that neither a finalizer nor an environment cleanup can free
// it under a running darknet call: both take `mutex`, which the worker holds
// for the whole call.
struct NetState {
  std::mutex mutex;
  dn_network* net = nullptr;
  bool closed = false;
  // Set by the JS thread while a worker holds the mutex, read by that worker.
  std::atomic<bool> close_requested{false};

  // Frees darknet's memory; the caller holds `mutex`.
  void FreeLocked() {
    dn_network_free(net);
    net = nullptr;
    closed = true;
  }
  ~NetState() { dn_network_free(net); }
};

// All networks of one Node environment (main thread or worker thread), freed
// together when it shuts down.
struct LiveNetworks {
  std::mutex mutex;
  std::set<std::shared_ptr<NetState>> states;
};

struct AddonData {
  Napi::FunctionReference error_class;
  std::shared_ptr<LiveNetworks> live = std::make_shared<LiveNetworks>();
};

}  // namespace dn

#endif

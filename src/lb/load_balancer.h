// LoadBalancer: drives one Backend from successive desired States — the reconciler plus
// the bookkeeping of what vigil owns in the kernel, start-up adoption and shutdown.
#ifndef VIGIL_LB_LOAD_BALANCER_H_
#define VIGIL_LB_LOAD_BALANCER_H_

#include <memory>
#include <vector>

#include "base/error.h"
#include "lb/backend.h"
#include "lb/reconciler.h"
#include "lb/state.h"

namespace vigil::lb {

struct LoadBalancerOptions {
  // What the first Apply does with kernel services that are not desired.
  StalePolicy stale = StalePolicy::kAdopt;
  // Leave vigil's entries in the kernel at Shutdown (like keepalived -I).
  bool keep_on_shutdown = false;
};

// Not thread-safe; owned by one event loop.
class LoadBalancer {
 public:
  LoadBalancer(std::unique_ptr<Backend> backend, LoadBalancerOptions options);

  // Makes the kernel match `desired` and returns the operations it applied. The first call
  // (and the first after a failure) reads the kernel; later calls diff against what the
  // previous call left. Services vigil owns (desired now or before) are converged; other
  // kernel services are deleted only at start-up with StalePolicy::kClear. Nothing is
  // applied if the backend cannot express `desired`.
  Result<std::vector<Op>> Apply(const State& desired);

  // Deletes what vigil owns unless keep_on_shutdown; returns the operations applied.
  Result<std::vector<Op>> Shutdown();

  // Returns the services vigil currently owns, as last applied.
  const State& owned() const { return owned_; }
  Backend& backend() { return *backend_; }

 private:
  std::unique_ptr<Backend> backend_;
  LoadBalancerOptions options_;
  bool synced_ = false;  // kernel_ reflects the kernel
  bool started_ = false;
  State kernel_;  // everything in the kernel (owned or not), as last known
  State owned_;
};

}  // namespace vigil::lb

#endif  // VIGIL_LB_LOAD_BALANCER_H_

// Backend: the kernel side of the load balancer (IPVS or nftables), behind one interface so
// that the reconciler's operations drive either.
#ifndef VIGIL_LB_BACKEND_H_
#define VIGIL_LB_BACKEND_H_

#include <string_view>
#include <vector>

#include "base/error.h"
#include "lb/reconciler.h"
#include "lb/state.h"

namespace vigil::lb {

// Not thread-safe; one owner drives it from the event loop.
class Backend {
 public:
  virtual ~Backend() = default;

  // Returns "ipvs" or "nftables".
  virtual std::string_view Name() const = 0;

  // Returns success if this backend can express `desired`, else an Error that names the
  // backend, the virtual server and what is unavailable.
  virtual Result<void> Validate(const State& desired) const = 0;

  // Returns what the kernel holds now (for nftables: vigil's table only).
  virtual Result<State> Read() = 0;

  // Applies `ops`, computed by Reconcile(desired, actual), to the kernel. `actual` must be
  // what the kernel holds before the call. Backends that can do so apply all of `ops`
  // atomically or not at all (nftables); IPVS applies them in order and stops at the first
  // failure.
  virtual Result<void> Apply(const std::vector<Op>& ops, const State& desired,
                             const State& actual) = 0;
};

}  // namespace vigil::lb

#endif  // VIGIL_LB_BACKEND_H_

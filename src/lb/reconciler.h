// The reconciler: a pure function from (desired, actual) load-balancer state to the ordered
// kernel operations that turn `actual` into `desired`. Both backends (IPVS and nftables)
// consume the same operations, so a change to one real server is one operation, never a
// rewrite of everything.
#ifndef VIGIL_LB_RECONCILER_H_
#define VIGIL_LB_RECONCILER_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lb/state.h"

namespace vigil::lb {

enum class OpKind : uint8_t {
  kAddService,
  kUpdateService,
  kDeleteService,
  kAddDestination,
  kUpdateDestination,
  kDeleteDestination,
};

// One kernel operation. `service` is the new service for adds and updates and the current
// one for deletes (and, for destination operations, the service the destination belongs
// to, as desired, or as actual if the service is being deleted). `destination` is set
// only for destination operations: the new value for adds and updates, the current value
// for deletes.
struct Op {
  OpKind kind = OpKind::kAddService;
  Service service;
  std::optional<Destination> destination;

  bool operator==(const Op&) const = default;
};

// Returns "add-service tcp 10.0.0.1:80 rr", "update-destination tcp 10.0.0.1:80 -> ...", ...
std::string ToString(const Op& op);

// Returns the operations that turn `actual` into `desired`, in this order:
//   1. destination deletes (including those of services about to be deleted),
//   2. service deletes,
//   3. service adds and updates,
//   4. destination adds and updates.
// Within each group, items follow the State's order (service key, then destination key).
// A service whose attributes differ is one kUpdateService; a destination whose weight,
// method or thresholds differ is one kUpdateDestination. Equal states give no operations.
std::vector<Op> Reconcile(const State& desired, const State& actual);

// Returns Reconcile's operations for the services in `keys` only (in the same order, as if
// `desired` and `actual` held nothing else): a service of `keys` that is only in `actual`
// is deleted, one only in `desired` is added. The cost follows those services' real
// servers, not the whole state. When every service outside `keys` is the same in both
// states, the result is exactly Reconcile(desired, actual).
std::vector<Op> ReconcileServices(const State& desired, const State& actual,
                                  const std::set<ServiceKey>& keys);

// What to do at start-up with kernel entries that are not in the desired state.
enum class StalePolicy : uint8_t {
  kAdopt,  // Leave services vigil is not configured for alone (neither changed nor owned).
  kClear,  // Delete them.
};

// Returns the operations for the first apply after start-up, given what the kernel holds.
// Services in `desired` are always converged, including removing their stale destinations;
// services only in `kernel` are deleted with kClear and left untouched with kAdopt.
std::vector<Op> ReconcileAtStartup(const State& desired, const State& kernel, StalePolicy policy);

// Returns what `have` lacks or holds differently for the services of `want` (services only
// in `have` are ignored), one line per operation that would fix it ("add-destination tcp
// 10.0.0.1:80 -> 10.1.0.1:8080 ... is needed"), at most `limit` lines.
std::vector<std::string> Differences(const State& want, const State& have, size_t limit);

// Returns the operations for shutdown: delete every service of `owned` (what vigil added or
// adopted) that is still in `kernel`, with its destinations (each one first unless
// `services_only`: the kernel drops them with their service) — or nothing if `keep`.
std::vector<Op> ReconcileAtShutdown(const State& owned, const State& kernel, bool keep,
                                    bool services_only = false);

}  // namespace vigil::lb

#endif  // VIGIL_LB_RECONCILER_H_

// LoadBalancer: drives one Backend from successive desired States — the reconciler plus
// the bookkeeping of what vigil owns in the kernel, start-up adoption and shutdown.
#ifndef VIGIL_LB_LOAD_BALANCER_H_
#define VIGIL_LB_LOAD_BALANCER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "lb/backend.h"
#include "lb/reconciler.h"
#include "lb/state.h"

namespace vigil::lb {

// What Shutdown removes (keepalived's global_defs lvs_flush_on_stop).
enum class ShutdownFlush : uint8_t {
  kEach,      // each service vigil owns, each of its destinations first
  kServices,  // each service vigil owns, with no destination deletes (`lvs_flush_on_stop VS`)
  kAll,       // the backend's whole table (Backend::Flush), or as kEach where it has none
};

struct LoadBalancerOptions {
  // What the first Apply does with kernel services that are not desired.
  StalePolicy stale = StalePolicy::kAdopt;
  // Leave vigil's entries in the kernel at Shutdown (like keepalived -I).
  bool keep_on_shutdown = false;
  ShutdownFlush shutdown = ShutdownFlush::kEach;
};

// Not thread-safe; owned by one event loop.
class LoadBalancer {
 public:
  LoadBalancer(std::unique_ptr<Backend> backend, LoadBalancerOptions options);

  // Makes the kernel match `desired` and returns the operations it applied. The first call
  // (and the first after a failure) reads the kernel; later calls diff against what the
  // previous call left. Services vigil owns (desired now or before) are converged; other
  // kernel services are deleted only at start-up with StalePolicy::kClear. Nothing is
  // applied if the backend cannot express `desired`. If the backend fails to apply the
  // operations (the kernel refused them: someone changed it behind vigil's back), the call
  // starts over once from a fresh read after Backend::Reset (nftables: a new table) and, if
  // that succeeds, counts a "rejected" restoration.
  Result<std::vector<Op>> Apply(const State& desired);

  // Apply for a caller that knows what changed: makes the kernel match `desired` for the
  // services in `changed` (added, changed, or deleted when not in `desired`), whose
  // validation and reconciliation cost follows their own real servers, not the whole
  // state. Every other service of `desired` must be as the previous call left it. Outside
  // the steady state (before the first apply, after a failure, while the kernel holds
  // services vigil does not own) it is Apply(desired); so is the retry after the kernel
  // refused the operations.
  Result<std::vector<Op>> ApplyChanged(const State& desired, const std::set<ServiceKey>& changed);

  // Deletes what vigil owns unless keep_on_shutdown, as options.shutdown says; returns the
  // operations applied (none after a whole-table flush).
  Result<std::vector<Op>> Shutdown();

  // Returns what differs between the kernel and what vigil owns (Backend::Audit); nothing
  // before the first Apply or after a failed one (the next Apply reads the kernel anyway).
  Result<std::vector<std::string>> Audit();

  // An audit for another thread: the backend's job (Backend::MakeAuditJob) over what vigil
  // owns now, and the generation that holds for.
  struct AuditTicket {
    Backend::AuditJob job;  // empty when the backend audits on the loop only (then Audit)
    uint64_t generation = 0;
  };
  // Returns the ticket of an audit of what vigil owns now; nullopt when Audit would compare
  // nothing (before the first Apply or after a failed one).
  std::optional<AuditTicket> BeginAudit();
  // Returns the findings of the job of a ticket of `generation`, or nullopt when vigil has
  // set about changing the kernel since that ticket: what the job read may hold vigil's own
  // changes, which it would take for someone else's. Audit again with a new ticket.
  std::optional<std::vector<std::string>> FinishAudit(uint64_t generation,
                                                      std::vector<std::string> findings) const;
  // Counts the times vigil set about changing the kernel: each backend Apply or Reset, and
  // each write the backend counts (Backend::writes: also those made outside Apply, such as
  // NftablesBackend::SyncHooks hooking an interface).
  uint64_t generation() const { return generation_ + backend_->writes(); }
  // Makes the kernel hold what vigil owns again, from scratch where the backend can
  // (Backend::Reset), and counts a restoration under `reason`.
  Result<void> Restore(const std::string& reason);
  // Returns the restorations by reason; "damaged" counts the times Apply found the kernel
  // unreadable (Backend::Read's kParse) and rebuilt it, "rejected" the times it rebuilt it
  // after the kernel refused an update.
  const std::map<std::string, uint64_t>& restorations() const { return restorations_; }

  // Changes what Shutdown removes (a reload's lvs_flush_on_stop).
  void set_shutdown(ShutdownFlush shutdown) { options_.shutdown = shutdown; }

  // Returns the services vigil currently owns, as last applied.
  const State& owned() const { return owned_; }
  Backend& backend() { return *backend_; }

 private:
  // Apply, or with `changed` ApplyChanged in the steady state.
  Result<std::vector<Op>> Converge(const State& desired, const std::set<ServiceKey>* changed);
  // Reconciles `desired` with the kernel as known (read first unless synced_) and applies
  // (only the services in `changed`, if not null); sets `*refused` if the backend's Apply
  // failed (rather than the read).
  Result<std::vector<Op>> ApplyOnce(const State& desired, const std::set<ServiceKey>* changed,
                                    bool* refused);
  // Whether kernel_ and owned_ hold what the last apply left, and nothing else.
  bool steady() const { return synced_ && started_ && mirror_; }
  // Reads the kernel into kernel_ unless synced_; a kernel Backend::Read cannot make sense
  // of (kParse) is Reset and counted as a "damaged" restoration.
  Result<void> Sync();
  // Backend::Apply and Backend::Reset, each counted in generation_.
  Result<void> BackendApply(const std::vector<Op>& ops, const State& desired,
                            const State& actual);
  void BackendReset();

  std::unique_ptr<Backend> backend_;
  LoadBalancerOptions options_;
  bool synced_ = false;  // kernel_ reflects the kernel
  bool started_ = false;
  bool mirror_ = false;  // owned_ and kernel_ hold the same services (the steady state)
  State kernel_;  // everything in the kernel (owned or not), as last known
  State owned_;
  std::map<std::string, uint64_t> restorations_;
  uint64_t generation_ = 0;  // backend Applies and Resets (generation() adds its writes)
};

}  // namespace vigil::lb

#endif  // VIGIL_LB_LOAD_BALANCER_H_

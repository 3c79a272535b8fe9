// Backend: the kernel side of the load balancer (IPVS or nftables), behind one interface so
// that the reconciler's operations drive either.
#ifndef VIGIL_LB_BACKEND_H_
#define VIGIL_LB_BACKEND_H_

#include <cstdint>
#include <functional>
#include <string>
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

  // Returns success if this backend can express the service `entry` with its
  // destinations, else an Error that names the backend, the virtual server and what is
  // unavailable.
  virtual Result<void> ValidateService(const ServiceEntry& entry) const = 0;
  // Returns the first failure of ValidateService over the services of `desired`.
  Result<void> Validate(const State& desired) const;

  // Returns what the kernel holds now (for nftables: vigil's table only).
  virtual Result<State> Read() = 0;

  // Applies `ops`, computed by Reconcile(desired, actual), to the kernel. `actual` must be
  // what the kernel holds before the call. Backends that can do so apply all of `ops`
  // atomically or not at all (nftables); IPVS applies them in order and stops at the first
  // failure.
  virtual Result<void> Apply(const std::vector<Op>& ops, const State& desired,
                             const State& actual) = 0;

  // Returns what differs between the kernel and `owned` (the services vigil last applied),
  // one line per finding and at most a few; empty when the kernel holds `owned`. The
  // default compares Read() with `owned` (services vigil does not own are ignored).
  virtual Result<std::vector<std::string>> Audit(const State& owned);

  // Audit's read and comparison as a job for another thread: it holds copies of what it
  // compares with and its own connection to the kernel, and touches nothing of the backend
  // (or anything else the owner's loop uses) while it runs.
  using AuditJob = std::function<Result<std::vector<std::string>>()>;
  // Returns a job that does what Audit(`owned`) does, as of `owned` now, or an empty
  // function if this backend audits only on its owner's loop (the default). At most one job
  // of a backend runs at a time; a job may outlive the backend.
  virtual AuditJob MakeAuditJob(const State& owned);

  // Forgets what the kernel holds, so that the next Read and Apply rebuild vigil's part
  // from scratch where the backend can (nftables: its whole table, in one transaction).
  // The default does nothing: the next Read reads the kernel again.
  virtual void Reset() {}

  // Empties the backend's whole kernel table at shutdown (global_defs lvs_flush_on_stop),
  // services vigil does not own included: IPVS's IPVS_CMD_FLUSH. The default is kUnsupported
  // (nftables: vigil's table is its own, and deleting what vigil owns empties it).
  virtual Result<void> Flush();

  // Returns how many connections the kernel holds for `destination` of `service` (a drain
  // ends when it reaches 0): IPVS's active and inactive connection counters; for nftables,
  // the open conntrack entries NATed to it. The default is kUnsupported.
  virtual Result<uint64_t> Connections(const ServiceKey& service,
                                       const DestinationKey& destination);

  // Returns how many times this backend set about writing to the kernel's table: each
  // transaction or message that may change what Read returns, whichever call sent it
  // (Apply, or a backend's own, such as NftablesBackend::SyncHooks). An audit that read
  // the kernel across a write may have read vigil's own change (LoadBalancer::FinishAudit).
  uint64_t writes() const { return writes_; }

  // How many findings Audit returns at most.
  static constexpr size_t kAuditFindings = 5;

 protected:
  // Counts a write in writes(); called before the write is sent.
  void CountWrite() { ++writes_; }

  // The default Audit's comparison: what differs between `owned` and `kernel` (what Read
  // returned), at most kAuditFindings lines, or `kernel`'s error.
  static Result<std::vector<std::string>> Compare(const State& owned, Result<State> kernel);

 private:
  uint64_t writes_ = 0;
};

}  // namespace vigil::lb

#endif  // VIGIL_LB_BACKEND_H_

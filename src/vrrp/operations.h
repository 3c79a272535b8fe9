// RuntimeOperations: what vigilctl's operations on the VRRP engine leave behind and the
// rules they follow — maintenance (every instance held out of MASTER), failover (a master
// and the masters of its sync group step down) and a runtime base priority per instance
// (never for an address owner). It keeps the operator's state across reloads and engine
// restarts (Restore) and writes the answers the operator reads. Pure: the engine applies
// what it decides to the state machines. Not thread-safe.
#ifndef VIGIL_VRRP_OPERATIONS_H_
#define VIGIL_VRRP_OPERATIONS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "control/protocol.h"
#include "vrrp/instance_spec.h"
#include "vrrp/state_machine.h"

namespace vigil::vrrp {

class RuntimeOperations {
 public:
  // Takes back the operator's state from `ops`, the operations the supervisor kept while
  // the engine was restarted (maintenance on or off; priorities set, resets ignored).
  void Restore(const std::vector<control::Operation>& ops);

  bool maintenance() const { return maintenance_; }
  // Turns maintenance on or off. Returns false, with the answer in `answer`, when it is
  // already `on`; else true (the engine then holds or releases every instance).
  bool SetMaintenance(bool on, std::string& answer);
  // Returns the answer to a maintenance change that `masters` of `instances` saw as masters.
  static std::string MaintenanceDone(bool on, int masters, size_t instances);

  // Returns why instance `name`, in `state`, cannot fail over (nothing when it can: a
  // master outside maintenance).
  Result<void> CheckFailover(const std::string& name, State state) const;
  // Returns the names of the instances that step down when `who` fails over: `who`, then
  // the other masters of its sync group, in `instances`' order.
  static std::vector<std::string> SteppingDown(
      const InstanceSpec& who, const std::vector<std::pair<const InstanceSpec*, State>>& instances);
  // Returns the answer to a failover that took down `names`.
  static std::string FailoverDone(const std::vector<std::string>& names);

  // Sets (1..254) or clears (0) the runtime base priority of `spec`'s instance; refused
  // for an address owner (priority 255).
  Result<void> SetPriority(const InstanceSpec& spec, int priority);
  // Returns the answer to SetPriority(spec, priority), the instance's priority now being
  // `effective`.
  static std::string PriorityDone(const InstanceSpec& spec, int priority, int effective);

  // Drops the runtime priorities of instances that `spec` does not configure, or
  // configures as address owners. Returns what was dropped and why, one line each.
  std::vector<std::string> KeepConfigured(const VrrpSpec& spec);

  // Returns the base priority of `spec`'s instance: the operator's, else the configured one.
  uint8_t BasePriority(const InstanceSpec& spec) const;
  // Returns the priority the operator set for instance `name` (0: none).
  int RuntimePriority(const std::string& name) const;

 private:
  bool maintenance_ = false;
  std::map<std::string, uint8_t> priorities_;  // vigilctl priority, by instance
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_OPERATIONS_H_

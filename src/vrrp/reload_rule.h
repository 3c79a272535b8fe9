// What a reload does to one running VRRP instance, as keepalived decides it: an instance
// that is still the same VRRP router (same VRID, family, interface, unicast or multicast,
// VMAC) keeps its state when it is MASTER or BACKUP; its VIPs alone may change without any
// transition; anything else starts it again. Pure.
#ifndef VIGIL_VRRP_RELOAD_RULE_H_
#define VIGIL_VRRP_RELOAD_RULE_H_

#include <set>
#include <span>
#include <string>
#include <vector>

#include "vrrp/instance_spec.h"
#include "vrrp/state_machine.h"

namespace vigil::vrrp {

enum class ReloadFate {
  kRemoved,      // the new configuration has no instance of that name: stopped
  kUnchanged,    // the same spec
  kVipsChanged,  // only the VIPs differ: removed / added in place, no transition
  kReplaced,     // same router: the successor resumes the state (no transition, no notify)
  kRestarted,    // stopped and started again
};

// Whether `a` and `b` are the same VRRP router across a reload (keepalived's test: VRID,
// family, interface, unicast or not, VMAC).
bool SameRouter(const InstanceSpec& a, const InstanceSpec& b);

// The fate of instance `running`, in `state`, when the reloaded configuration has `next`
// under its name (nullptr: none).
ReloadFate FateOnReload(const InstanceSpec& running, State state, const InstanceSpec* next);

// Whether the VIPs of `running` stay in the kernel throughout the reload: it is a master
// holding them and `next` is the same router (so it is master after the reload too).
bool HoldsVipsThroughReload(const InstanceSpec& running, State state, bool vips_installed,
                            const InstanceSpec& next);

// One running instance as a reload sees it.
struct RunningInstance {
  const InstanceSpec* spec = nullptr;
  State state = State::kInit;
  bool vips_installed = false;
};

// What a reload does to the running instances, in the order it must be done: every
// running instance's fate (removals and replacements first, so that a VIP moving between
// instances is released before its new owner installs it), the VIPs that stay in the
// kernel throughout (a master keeps holding them, whichever instance holds them after),
// and the counts the reload's summary gives.
struct ReloadPlan {
  struct Step {
    std::string name;                     // the running instance
    ReloadFate fate = ReloadFate::kUnchanged;
    const InstanceSpec* next = nullptr;   // its spec after the reload (nullptr: removed)
  };
  std::vector<Step> steps;  // in the order of `running`
  std::set<std::string> keep;  // VipKeys (vrrp/kernel_addresses.h) never removed on the way
  int added = 0, removed = 0, changed = 0, unchanged = 0, vips_changed = 0;

  // Returns the reload's summary: "instances +ADDED -REMOVED ~CHANGED vips~VIPS =UNCHANGED".
  std::string Summary() const;
};

// Returns what reloading `next` does to `running`.
ReloadPlan PlanReload(std::span<const RunningInstance> running,
                      const std::vector<InstanceSpec>& next);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_RELOAD_RULE_H_

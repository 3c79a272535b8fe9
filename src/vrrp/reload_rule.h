// What a reload does to one running VRRP instance, as keepalived decides it: an instance
// that is still the same VRRP router (same VRID, family, interface, unicast or multicast,
// VMAC) keeps its state when it is MASTER or BACKUP; its VIPs alone may change without any
// transition; anything else starts it again. Pure.
#ifndef VIGIL_VRRP_RELOAD_RULE_H_
#define VIGIL_VRRP_RELOAD_RULE_H_

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

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_RELOAD_RULE_H_

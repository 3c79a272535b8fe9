#include "vrrp/reload_rule.h"

namespace vigil::vrrp {

bool SameRouter(const InstanceSpec& a, const InstanceSpec& b) {
  return a.params.vrid == b.params.vrid && a.family == b.family && a.interface == b.interface &&
         a.unicast_peers.empty() == b.unicast_peers.empty() && a.vmac == b.vmac;
}

ReloadFate FateOnReload(const InstanceSpec& running, State state, const InstanceSpec* next) {
  if (!next) return ReloadFate::kRemoved;
  if (*next == running) return ReloadFate::kUnchanged;
  if (next->SameExceptVips(running)) return ReloadFate::kVipsChanged;
  if (SameRouter(running, *next) && (state == State::kMaster || state == State::kBackup))
    return ReloadFate::kReplaced;
  return ReloadFate::kRestarted;
}

bool HoldsVipsThroughReload(const InstanceSpec& running, State state, bool vips_installed,
                            const InstanceSpec& next) {
  return vips_installed && state == State::kMaster && SameRouter(running, next);
}

}  // namespace vigil::vrrp

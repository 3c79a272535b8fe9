#include "vrrp/reload_rule.h"

#include <map>

#include "vrrp/kernel_addresses.h"

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

std::string ReloadPlan::Summary() const {
  return "instances +" + std::to_string(added) + " -" + std::to_string(removed) + " ~" +
         std::to_string(changed) + " vips~" + std::to_string(vips_changed) + " =" +
         std::to_string(unchanged);
}

ReloadPlan PlanReload(std::span<const RunningInstance> running,
                      const std::vector<InstanceSpec>& next) {
  ReloadPlan plan;
  std::map<std::string, const InstanceSpec*> wanted;
  for (const auto& s : next) wanted[s.name] = &s;
  std::map<std::string, const RunningInstance*> by_name;
  for (const auto& r : running) by_name[r.spec->name] = &r;
  for (const auto& s : next) {
    auto it = by_name.find(s.name);
    if (it == by_name.end()) {
      ++plan.added;
      continue;
    }
    const RunningInstance& r = *it->second;
    if (HoldsVipsThroughReload(*r.spec, r.state, r.vips_installed, s))
      for (const auto& v : s.vips) plan.keep.insert(VipKey(v));
  }
  for (const auto& r : running) {
    auto w = wanted.find(r.spec->name);
    const InstanceSpec* ns = w == wanted.end() ? nullptr : w->second;
    const ReloadFate fate = FateOnReload(*r.spec, r.state, ns);
    plan.steps.push_back({r.spec->name, fate, ns});
    switch (fate) {
      case ReloadFate::kRemoved: ++plan.removed; break;
      case ReloadFate::kUnchanged: ++plan.unchanged; break;
      case ReloadFate::kVipsChanged: ++plan.vips_changed; break;
      case ReloadFate::kReplaced:
      case ReloadFate::kRestarted: ++plan.changed; break;
    }
  }
  return plan;
}

}  // namespace vigil::vrrp

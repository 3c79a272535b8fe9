#include "vrrp/instance_status.h"

#include <chrono>
#include <string>

namespace vigil::vrrp {

control::InstanceStatus StatusOf(const InstanceSpec& spec, const StateMachine& sm,
                                 control::InstanceStatus counts, const model::IpAddress& primary,
                                 int runtime_priority, const std::string& fault_reason) {
  control::InstanceStatus s = std::move(counts);
  s.name = spec.name;
  s.state = std::string(StateName(sm.state()));
  s.interface = spec.interface;
  s.vrid = spec.params.vrid;
  s.version = spec.params.version == Version::kV3 ? 3 : 2;
  s.family = spec.family == model::Family::kIpv6 ? "inet6" : "inet";
  s.base_priority = spec.params.priority;
  s.effective_priority = sm.effective_priority();
  s.advert_interval_s = std::chrono::duration<double>(sm.master_advert_interval()).count();
  if (sm.state() == State::kMaster) s.master_address = primary.ToString();
  else if (!sm.master_address().is_unspec()) s.master_address = sm.master_address().ToString();
  s.vips.clear();
  for (const auto& v : spec.vips) s.vips.push_back(v.prefix.ToString());
  s.runtime_priority = runtime_priority;
  s.debug = spec.debug;
  s.hold = sm.held()              ? "maintenance"
           : sm.yielding()          ? "failover"
           : sm.preemption_held()   ? "lb_not_ready"
                                    : "";
  s.fault_reason = sm.state() == State::kFault ? fault_reason : "";
  return s;
}

}  // namespace vigil::vrrp

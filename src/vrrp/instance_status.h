// What `vigilctl status`, /metrics and the dumps show of one VRRP instance. Pure.
#ifndef VIGIL_VRRP_INSTANCE_STATUS_H_
#define VIGIL_VRRP_INSTANCE_STATUS_H_

#include "control/status.h"
#include "model/address.h"
#include "vrrp/instance_spec.h"
#include "vrrp/state_machine.h"

namespace vigil::vrrp {

// Returns the status of the instance `spec` configures: `counts` (its counters so far)
// completed with its configuration, its state machine's state and priority, the master it
// knows (itself, whose adverts come from `primary`, when it is master), the priority the
// operator set (`runtime_priority`, 0: none), what holds it out of MASTER and, in FAULT,
// why (`fault_reason`).
control::InstanceStatus StatusOf(const InstanceSpec& spec, const StateMachine& sm,
                                 control::InstanceStatus counts, const model::IpAddress& primary,
                                 int runtime_priority, const std::string& fault_reason = {});

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_INSTANCE_STATUS_H_

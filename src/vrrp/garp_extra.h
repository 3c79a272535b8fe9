// garp_extra_if (vmac_garp_intvl) and global_defs vrrp_garp_extra_if (vrrp_vmac_garp_intvl):
// a master's periodic gratuitous ARP / unsolicited NA on the interfaces of its VIPs other
// than its own, as keepalived 2.2.7 sends them so that switches keep those MACs in their
// caches. Pure: what the keywords say, and which VIPs are announced each period.
#ifndef VIGIL_VRRP_GARP_EXTRA_H_
#define VIGIL_VRRP_GARP_EXTRA_H_

#include <chrono>
#include <vector>

#include "model/config.h"
#include "model/garp_extra.h"
#include "vrrp/instance_spec.h"

namespace vigil::vrrp {

using model::GarpExtra;

// Returns the setting of `instance`: its own garp_extra_if (DELAY 0..86400), else global_defs
// vrrp_garp_extra_if (DELAY 1..86400) of `global`; the last valid line of each counts.
GarpExtra GarpExtraOf(const model::VrrpInstance& instance, const model::Global& global);

// Returns the VIPs of `spec` announced each period, one per interface (the first VIP
// or excluded VIP on it, in their order): those on another interface than the instance's
// own (its VMAC / ipvlan, else `interface`) that is one of its VMACs (`address_vmacs`), or
// any other with `all`; and, with vmac_xmit_base, the first on its VMAC. None (the feature
// is off, as in keepalived) when no VIP is on such another interface.
std::vector<VipSpec> GarpExtraVips(const InstanceSpec& spec, bool all);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_GARP_EXTRA_H_

// Vmacs: the macvlan (use_vmac) and ipvlan (use_ipvlan) interfaces the VRRP engine's
// instances send from — the one place that knows which of them vigil created, so that it
// deletes those and never an interface it found. One created on a parent enslaved to a VRF
// is put in that VRF, and one vigil created follows its parent into (or out of) a VRF later
// (as keepalived). A VMAC is set up when its instance binds (an interface of that name
// that exists already is used as it is) and released when the instance goes for good
// (stopped, or removed or restarted by a reload; not with -V, nor when a reload replaces
// the instance: its successor takes the VMAC over). Lives on the engine's event loop.
#ifndef VIGIL_VRRP_VMACS_H_
#define VIGIL_VRRP_VMACS_H_

#include <set>
#include <string>

#include "base/error.h"
#include "net/interface_table.h"
#include "net/rtnetlink.h"
#include "net/sysctl.h"
#include "vrrp/instance_spec.h"

namespace vigil::vrrp {

class Vmacs {
 public:
  // Interfaces set up or deleted are recorded in `links`; keepalived's devconf for a VMAC
  // and its parent goes through `restorer` (undone at stop), the rest through `sysctl`.
  // `names` (the engine's, replaced at reloads) names the interface groups.
  Vmacs(net::Rtnetlink& rtnl, net::InterfaceTable& links, net::Sysctl& sysctl,
        net::SysctlRestorer& restorer, const RtNames& names)
      : rtnl_(rtnl), links_(links), sysctl_(sysctl), restorer_(restorer), names_(names) {}

  // Sets up VMAC `*spec.vmac` of instance `spec` on parent interface `parent_ifindex`
  // (`spec.interface`): creates it with the VRRP virtual MAC unless it exists, applies the
  // devconf (an IPv4 VMAC vigil created gets no IPv6 link-local) and brings it up. With
  // `spec.ipvlan`, an L2 ipvlan of its flags instead, with IPv6 on or off as the instance
  // needs and its address added. One it creates goes into `spec.vmac_group`, else into its
  // parent's group (and a macvlan gets `spec.vmac_mac` when given). Returns its index.
  Result<int> SetUp(const InstanceSpec& spec, int parent_ifindex);
  // Deletes VMAC `name` (index `ifindex`) if vigil created it.
  void Release(const std::string& name, int ifindex);
  // Parent `parent_ifindex` joined, left or changed its VRF: every VMAC vigil created on
  // it follows into the parent's VRF now (out of any VRF when the parent is in none), as
  // keepalived moves the VMACs it made. Ones vigil found are left as they are.
  void FollowParentVrf(int parent_ifindex);

 private:
  // The VRF the parent `parent_ifindex` is enslaved to, 0 if none (the master is read from
  // the kernel: a notification does not say what kind of interface it is).
  int VrfOf(int parent_ifindex) const;
  Result<net::LinkInfo> CreateMacvlan(const InstanceSpec& spec, int parent_ifindex,
                                      uint32_t group);
  Result<net::LinkInfo> CreateIpvlan(const InstanceSpec& spec, int parent_ifindex,
                                     uint32_t group);

  net::Rtnetlink& rtnl_;
  net::InterfaceTable& links_;
  net::Sysctl& sysctl_;
  net::SysctlRestorer& restorer_;
  const RtNames& names_;
  std::set<std::string> created_;  // names of the VMACs vigil created and still owns
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_VMACS_H_

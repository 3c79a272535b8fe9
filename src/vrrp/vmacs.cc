#include "vrrp/vmacs.h"

#include <sys/socket.h>

#include "base/log.h"
#include "vrrp/kernel_addresses.h"

namespace vigil::vrrp {

Result<int> Vmacs::SetUp(const InstanceSpec& spec, int parent_ifindex) {
  // use_vmac / use_ipvlan group: that interface group, else the parent's (keepalived).
  const net::LinkInfo* parent = links_.FindIndex(parent_ifindex);
  uint32_t group = parent ? parent->group : 0;
  if (spec.vmac_group) {
    if (auto g = names_.Find(RtNames::Kind::kGroup, *spec.vmac_group)) group = *g;
    else
      log::Error(spec.name + ": group '" + *spec.vmac_group + "' of " + *spec.vmac +
                 " is neither a number nor a name of iproute2's group file; the parent's "
                 "group is used");
  }
  const std::string& name = *spec.vmac;
  int ifindex = 0;
  if (const net::LinkInfo* existing = links_.Find(name)) {
    ifindex = existing->ifindex;
  } else {
    auto created = spec.ipvlan ? CreateIpvlan(spec, parent_ifindex, group)
                               : CreateMacvlan(spec, parent_ifindex, group);
    if (!created) return std::unexpected(created.error());
    ifindex = created->ifindex;
    created_.insert(name);
    links_.Put(*created);
  }
  // keepalived: IPv6 off on a VMAC or ipvlan unless the instance needs it.
  if (auto r = sysctl_.Write("net/ipv6/conf/" + name + "/disable_ipv6", spec.vmac_ipv6 ? "0" : "1");
      !r)
    log::Warning(spec.name + ": " + name + ": " + r.error().ToString());
  if (spec.ipvlan) {
    // keepalived: no devconf on an ipvlan; its address put on it.
    if (spec.ipvlan->address) {
      const model::IpPrefix& a = *spec.ipvlan->address;
      net::AddressSpec as;
      as.ifindex = ifindex;
      as.address = ToRaw(a.address);
      as.prefix_len = a.length;
      if (auto r = rtnl_.AddAddress(as); !r && r.error().code() != ErrorCode::kExists)
        log::Warning(spec.name + ": ipvlan " + name + ": adding " + a.ToString() + ": " +
                     r.error().ToString());
    }
  } else {
    (void)net::ConfigureVmacParent(restorer_, spec.interface);
    (void)net::ConfigureVmacInterface(restorer_, name);
    if (created_.count(name) && spec.family == model::Family::kIpv4) {
      // No IPv6 link-local on an IPv4 VMAC (keepalived: addrgenmode none). Otherwise every
      // backup's VMAC sends MLD reports and router solicitations from the virtual MAC when
      // it comes up, and the switches then steer the VIP's traffic to that backup.
      if (auto r = sysctl_.Write("net/ipv6/conf/" + name + "/addr_gen_mode", "1"); !r)
        log::Warning(spec.name + ": VMAC " + name + ": " + r.error().ToString());
    }
  }
  if (auto r = rtnl_.SetLinkUp(ifindex, true); !r) return std::unexpected(r.error());
  if (auto info = rtnl_.LinkByIndex(ifindex)) links_.Put(*info);
  return ifindex;
}

int Vmacs::VrfOf(int parent_ifindex) const {
  const net::LinkInfo* parent = links_.FindIndex(parent_ifindex);
  if (!parent || !parent->master_ifindex) return 0;
  auto master = rtnl_.LinkByIndex(parent->master_ifindex);
  return master && master->kind == "vrf" ? master->ifindex : 0;
}

void Vmacs::FollowParentVrf(int parent_ifindex) {
  const int vrf = VrfOf(parent_ifindex);
  for (const std::string& name : created_) {
    const net::LinkInfo* vmac = links_.Find(name);
    if (!vmac || vmac->parent_ifindex != parent_ifindex || vmac->master_ifindex == vrf) continue;
    const int ifindex = vmac->ifindex;
    const net::LinkInfo* parent = links_.FindIndex(parent_ifindex);
    const net::LinkInfo* vrf_link = links_.FindIndex(vrf);
    const std::string where =
        !vrf ? "out of its VRF"
             : "into VRF " + (vrf_link ? vrf_link->name : "index " + std::to_string(vrf));
    const std::string parent_name = parent ? parent->name : std::to_string(parent_ifindex);
    if (auto r = rtnl_.SetLinkMaster(ifindex, vrf); !r) {
      log::Warning("VMAC " + name + ": cannot follow its parent " + parent_name + " " + where +
                   ": " + r.error().ToString());
      continue;
    }
    log::Info("VMAC " + name + " follows its parent " + parent_name + " " + where);
    if (auto info = rtnl_.LinkByIndex(ifindex)) links_.Put(*info);
  }
}

Result<net::LinkInfo> Vmacs::CreateMacvlan(const InstanceSpec& spec, int parent_ifindex,
                                           uint32_t group) {
  net::MacvlanSpec m;
  m.name = *spec.vmac;
  m.parent_ifindex = parent_ifindex;
  m.mac = VmacMac(spec);
  m.master_ifindex = VrfOf(parent_ifindex);
  m.group = group;
  return rtnl_.CreateMacvlan(m);
}

Result<net::LinkInfo> Vmacs::CreateIpvlan(const InstanceSpec& spec, int parent_ifindex,
                                          uint32_t group) {
  net::IpvlanSpec m;
  m.name = *spec.vmac;
  m.parent_ifindex = parent_ifindex;
  m.flags = spec.ipvlan->flags;
  m.master_ifindex = VrfOf(parent_ifindex);
  m.group = group;
  return rtnl_.CreateIpvlan(m);
}

void Vmacs::Release(const std::string& name, int ifindex) {
  if (!created_.erase(name) || !ifindex) return;
  (void)rtnl_.DeleteLink(ifindex);
  links_.Remove(ifindex);
}

}  // namespace vigil::vrrp

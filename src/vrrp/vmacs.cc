#include "vrrp/vmacs.h"

#include <sys/socket.h>

#include "base/log.h"

namespace vigil::vrrp {

Result<int> Vmacs::SetUp(const InstanceSpec& spec, int parent_ifindex) {
  const std::string& name = *spec.vmac;
  int ifindex = 0;
  if (const net::LinkInfo* existing = links_.Find(name)) {
    ifindex = existing->ifindex;
  } else {
    net::MacvlanSpec m;
    m.name = name;
    m.parent_ifindex = parent_ifindex;
    m.mac = net::VrrpVirtualMac(spec.family == model::Family::kIpv6 ? AF_INET6 : AF_INET,
                                spec.params.vrid);
    auto created = rtnl_.CreateMacvlan(m);
    if (!created) return std::unexpected(created.error());
    ifindex = created->ifindex;
    created_.insert(name);
    links_.Put(*created);
  }
  (void)net::ConfigureVmacParent(restorer_, spec.interface);
  (void)net::ConfigureVmacInterface(restorer_, name);
  if (created_.count(name) && spec.family == model::Family::kIpv4) {
    // No IPv6 link-local on an IPv4 VMAC (keepalived: addrgenmode none). Otherwise every
    // backup's VMAC sends MLD reports and router solicitations from the virtual MAC when it
    // comes up, and the switches then steer the VIP's traffic to that backup.
    if (auto r = sysctl_.Write("net/ipv6/conf/" + name + "/addr_gen_mode", "1"); !r)
      log::Warning(spec.name + ": VMAC " + name + ": " + r.error().ToString());
  }
  if (auto r = rtnl_.SetLinkUp(ifindex, true); !r) return std::unexpected(r.error());
  if (auto info = rtnl_.LinkByIndex(ifindex)) links_.Put(*info);
  return ifindex;
}

void Vmacs::Release(const std::string& name, int ifindex) {
  if (!created_.erase(name) || !ifindex) return;
  (void)rtnl_.DeleteLink(ifindex);
  links_.Remove(ifindex);
}

}  // namespace vigil::vrrp

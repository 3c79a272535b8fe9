// InstanceVips: what the instances hold in the kernel and announce — a master's VIPs and
// its virtual_routes / virtual_rules (through KernelAddresses, the one owner of what vigil
// put there), the gratuitous ARPs / unsolicited NAs for its VIPs (GratuitousSender), a VIP
// that someone else removed put back, the VIPs left by a killed engine removed, a reload's
// VIP changes in place, and the static addresses and routes. The engine decides when (the
// state machines' AddVips / RemoveVips / SendGratuitous); this says how. Not thread-safe;
// driven from the engine's loop.
#ifndef VIGIL_VRRP_INSTANCE_VIPS_H_
#define VIGIL_VRRP_INSTANCE_VIPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "net/link_monitor.h"
#include "net/rtnetlink.h"
#include "net/sysctl.h"
#include "vrrp/gratuitous_sender.h"
#include "vrrp/instance.h"
#include "vrrp/interfaces.h"
#include "vrrp/kernel_addresses.h"

namespace vigil::vrrp {

// Returns the VIPs of `vips` that `other` does not have, in their order.
std::vector<VipSpec> VipsNotIn(const std::vector<VipSpec>& vips, const std::vector<VipSpec>& other);

class InstanceVips {
 public:
  // Puts the VIPs of `instances` in the kernel through `kernel`, announces them through
  // `gratuitous`, and reads interfaces through `rtnl`, `links` and `sysctl` (forwarding);
  // `spec` (the engine's, changed in place by a reload) gives the static ones and the GARP
  // pacing. All outlive it.
  InstanceVips(Instances& instances, KernelAddresses& kernel, GratuitousSender& gratuitous,
               net::Rtnetlink& rtnl, const Interfaces& links, const net::Sysctl& sysctl,
               const VrrpSpec& spec);

  // Returns the index of the interface `dev` that a VIP of `in` is on (0: missing).
  static int IfindexOf(const std::string& dev, const Instance& in) {
    return in.io.IfindexOf(in.spec, dev);
  }
  // IfindexOf for `in`, as KernelAddresses looks it up.
  static IfindexLookup VipIfindex(const Instance& in) {
    return [&in](const std::string& dev) { return IfindexOf(dev, in); };
  }

  // AddVips: `in`'s VIPs, then its routes and rules.
  void Add(Instance& in);
  // RemoveVips: `in`'s routes and rules, then its VIPs (but those a reload keeps).
  void Remove(Instance& in);
  // Adds / removes `vips` of `in`; `in` holds its VIPs after Install, not after Uninstall.
  void Install(Instance& in, const std::vector<VipSpec>& vips);
  void Uninstall(Instance& in, const std::vector<VipSpec>& vips);

  // Sends `count` rounds of gratuitous ARP (IPv4) / unsolicited NA (IPv6) for `vips` as
  // keepalived does: each out of the interface its VIP is on, from that interface's MAC,
  // paced as its base interface (a VMAC's or ipvlan's parent) is (vrrp_garp_interval,
  // vrrp_gna_interval, garp_group). A VIP whose interface is missing has none, nor one whose
  // base interface is flagged NOARP; an NA has the Router flag when the base forwards IPv6.
  void Announce(Instance& in, const std::vector<VipSpec>& vips, uint32_t count);

  // An instance that does not start as master removes its VIPs that are on their
  // interfaces already: left by an engine that was killed (and respawned), they would make
  // two holders of one address. VIPs that another instance of ours holds stay.
  void RemoveLeftovers(Instance& in);

  // Reload, first step (every instance): the VIPs of `in` that `next` drops go; `in`
  // still holds the others.
  void DropForReload(Instance& in, const InstanceSpec& next);
  // Reload, second step: `in`, now configured by `next` after `before`, adds and
  // announces the VIPs it did not have, when it holds its VIPs.
  void ArriveForReload(Instance& in, const std::vector<VipSpec>& before);

  // A VIP of an instance holding its VIPs was removed by someone else: put back and
  // announced once.
  void OnAddressRemoved(const net::AddressRemoved& removed);
  // After lost notifications: every instance holding its VIPs adds them again (those
  // present stay as they are).
  void Restore();

  // static_ipaddress / static_routes / static_rules: set once at start, removed at stop.
  void InstallStatic();
  void UninstallStatic();

 private:
  IfindexLookup IfindexByName() const;

  Instances& instances_;
  KernelAddresses& kernel_;
  GratuitousSender& gratuitous_;
  net::Rtnetlink& rtnl_;
  const Interfaces& links_;
  const net::Sysctl& sysctl_;
  const VrrpSpec& spec_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_INSTANCE_VIPS_H_

#include "vrrp/instance_vips.h"

#include <algorithm>
#include <set>

#include "base/log.h"

namespace vigil::vrrp {

std::vector<VipSpec> VipsNotIn(const std::vector<VipSpec>& vips,
                               const std::vector<VipSpec>& other) {
  std::vector<VipSpec> out;
  for (const auto& v : vips)
    if (std::find(other.begin(), other.end(), v) == other.end()) out.push_back(v);
  return out;
}

InstanceVips::InstanceVips(Instances& instances, KernelAddresses& kernel,
                           GratuitousSender& gratuitous, net::Rtnetlink& rtnl,
                           const Interfaces& links, const net::Sysctl& sysctl,
                           const VrrpSpec& spec)
    : instances_(instances),
      kernel_(kernel),
      gratuitous_(gratuitous),
      rtnl_(rtnl),
      links_(links),
      sysctl_(sysctl),
      spec_(spec) {}

IfindexLookup InstanceVips::IfindexByName() const {
  return [this](const std::string& name) { return links_.IndexOf(name); };
}

void InstanceVips::Add(Instance& in) {
  Install(in, in.spec.vips);
  kernel_.AddRoutes(in.spec.name, in.spec.routes, in.spec.rules, in.spec.interface,
                    IfindexByName());
}

void InstanceVips::Remove(Instance& in) {
  kernel_.RemoveRoutes(in.spec.name);
  Uninstall(in, in.spec.vips);
}

void InstanceVips::Install(Instance& in, const std::vector<VipSpec>& vips) {
  kernel_.AddVips(in.spec.name, vips, VipIfindex(in));
  in.vips_installed = true;
}

void InstanceVips::Uninstall(Instance& in, const std::vector<VipSpec>& vips) {
  in.vips_installed = false;
  kernel_.RemoveVips(in.spec.name, vips, VipIfindex(in));
}

void InstanceVips::Announce(Instance& in, const std::vector<VipSpec>& vips, uint32_t count) {
  std::vector<GratuitousItem> items;
  for (const auto& v : vips) {
    const int idx = IfindexOf(v.dev, in);
    if (!idx) continue;
    GratuitousItem item{v.prefix.address, idx, in.io.mac(), {}};
    std::string base = idx == in.io.vmac_ifindex() ? in.spec.interface : v.dev;
    if (idx != in.io.vip_ifindex()) {
      // Another interface than the instance's own: its MAC (and parent) as it is now.
      auto link = rtnl_.LinkByIndex(idx);
      if (!link || link->mac.size() != item.mac.size()) continue;
      std::copy(link->mac.begin(), link->mac.end(), item.mac.begin());
      const net::LinkInfo* parent = links_.FindIndex(link->parent_ifindex);
      if (idx != in.io.vmac_ifindex() && parent &&
          (link->kind == "macvlan" || link->kind == "ipvlan"))
        base = parent->name;
    }
    if (const net::LinkInfo* base_link = links_.Find(base)) {
      const AnnounceRule rule = ReadAnnounceRule(*base_link, sysctl_);
      if (!rule.send) {
        const char* what = v.prefix.address.is_v4() ? "ARP" : "NA";
        log::Debug(in.spec.name + ": no gratuitous " + what + " for " +
                   v.prefix.address.ToString() + ": " + base +
                   " is flagged NOARP (as keepalived)");
        continue;
      }
      item.router = rule.router;
    }
    item.pacing = PacingFor(spec_, base, /*arp=*/v.prefix.address.is_v4());
    items.push_back(std::move(item));
  }
  gratuitous_.Send(in.spec.name, items, count);
}

void InstanceVips::RemoveLeftovers(Instance& in) {
  std::set<std::string> held;
  for (const auto& [name, other] : instances_)
    if (other.get() != &in && other->vips_installed)
      for (const auto& v : other->spec.vips) held.insert(VipKey(v));
  kernel_.RemoveLeftoverVips(in.spec.name, in.spec.vips, VipIfindex(in), held);
}

void InstanceVips::DropForReload(Instance& in, const InstanceSpec& next) {
  const std::vector<VipSpec> gone = VipsNotIn(in.spec.vips, next.vips);
  if (in.vips_installed && !gone.empty()) {
    Uninstall(in, gone);
    in.vips_installed = true;
  }
}

void InstanceVips::ArriveForReload(Instance& in, const std::vector<VipSpec>& before) {
  const std::vector<VipSpec> fresh = VipsNotIn(in.spec.vips, before);
  if (in.vips_installed && !fresh.empty()) {
    Install(in, fresh);
    Announce(in, fresh, in.spec.params.garp_master_repeat);
  }
}

void InstanceVips::OnAddressRemoved(const net::AddressRemoved& removed) {
  const model::IpAddress gone = FromRaw(removed.address);
  for (auto& [name, in] : instances_) {
    if (!in->vips_installed) continue;
    for (const auto& v : in->spec.vips) {
      if (v.prefix.address != gone || IfindexOf(v.dev, *in) != removed.ifindex) continue;
      log::Warning(in->spec.name + ": VIP " + v.prefix.ToString() +
                   " was removed by someone else; putting it back");
      Install(*in, {v});
      Announce(*in, {v}, 1);
    }
  }
}

void InstanceVips::Restore() {
  for (auto& [name, in] : instances_)
    if (in->vips_installed) Install(*in, in->spec.vips);
}

void InstanceVips::InstallStatic() {
  kernel_.AddStaticAddresses(spec_.static_addresses, IfindexByName());
  kernel_.AddRoutes("", spec_.static_routes, spec_.static_rules, spec_.default_interface,
                    IfindexByName());
}

void InstanceVips::UninstallStatic() {
  kernel_.RemoveRoutes("");
  kernel_.RemoveStaticAddresses();
}

}  // namespace vigil::vrrp

#include "vrrp/bindings.h"

#include "base/log.h"
#include "vrrp/advert_source.h"
#include "vrrp/kernel_addresses.h"

namespace vigil::vrrp {

Bindings::Bindings(Instances& instances, net::Rtnetlink& rtnl, Interfaces& links,
                   Recompute recompute)
    : instances_(instances), rtnl_(rtnl), links_(links), recompute_(std::move(recompute)) {}

Result<void> Bindings::Attach(Instance& in, bool dynamic_interfaces) {
  const InstanceSpec& s = in.spec;
  if (!s.interface.empty() && !links_.Find(s.interface)) {
    if (!dynamic_interfaces)
      return Fail(ErrorCode::kNotFound,
                  "vrrp_instance " + s.name + ": interface '" + s.interface +
                      "' does not exist (with global_defs dynamic_interfaces the instance "
                      "would wait for it in FAULT)");
    in.io.set_bind_error("interface '" + s.interface + "' does not exist");
    log::Warning(s.name + ": interface " + s.interface +
                 " does not exist yet; waiting for it in FAULT (dynamic_interfaces)");
    return {};
  }
  if (auto r = Bind(in); !r) {
    Unbind(in);
    // As keepalived: the instance starts in FAULT — and comes up when an address is
    // added, or (vigil) when a link event lets its VMAC be created — while the other
    // instances run (keepalived 2.2.7: "Unable to create VMAC interface", that one FAULT).
    if (!in.io.lacks_address() && !in.io.vmac_failed())
      return Fail(r.error().code(), "vrrp_instance " + s.name + ": " + r.error().ToString());
    in.io.set_bind_error(r.error().ToString());
    log::Warning(s.name + ": " + in.io.bind_error() + "; FAULT until " +
                 (in.io.vmac_failed() ? "it can be created (tried again at each interface change)"
                  : s.source          ? "it is added"
                                      : "one is added"));
  }
  return {};
}

Result<void> Bindings::Bind(Instance& in) {
  auto r = in.io.Bind(in.spec, AllVips(in));
  if (r) in.sm->set_primary_address(in.io.primary());
  return r;
}

void Bindings::TryBind(Instance& in) {
  if (in.io.bound()) return;
  if (auto r = Bind(in); !r) {
    Unbind(in);
    std::string why = r.error().ToString();
    if (why != in.io.bind_error())
      log::Warning(in.spec.name + ": cannot use " + Where(in) + " yet: " + why +
                   "; staying in FAULT");
    in.io.set_bind_error(why);
    return;
  }
  log::Notice(in.spec.name + ": bound to " + Where(in) +
              (in.io.ifindex() ? " (index " + std::to_string(in.io.ifindex()) + ", " : " (") +
              "adverts from " + in.io.primary().ToString() + ")");
}

std::string Bindings::Where(const Instance& in) {
  if (!in.spec.interface.empty()) return "interface " + in.spec.interface;
  return "no interface" + (in.spec.vrf ? " in VRF " + *in.spec.vrf : std::string());
}

std::string Bindings::LinkNotice(const Instance& in) const {
  std::string how = in.link_ok      ? " is up"
                    : in.io.bound() ? " is down"
                    : links_.Find(in.spec.interface) && !in.io.bind_error().empty()
                        ? " cannot be used: " + in.io.bind_error()
                        : " is missing";
  if (in.spec.interface.empty())
    how = in.link_ok ? ": bound" : ": not bound: " + in.io.bind_error();
  return in.spec.name + ": " + Where(in) + how;
}

std::set<model::IpAddress> Bindings::AllVips(const Instance& in) const {
  std::set<model::IpAddress> vips;
  for (const auto& v : in.spec.vips) vips.insert(v.prefix.address);
  for (const auto& [name, other] : instances_)
    for (const auto& v : other->spec.vips) vips.insert(v.prefix.address);
  return vips;
}

void Bindings::OnInterfaceChanges(const std::vector<net::InterfaceChange>& changes) {
  if (changes.empty()) return;
  for (const auto& c : changes) {
    for (auto& [name, in] : instances_) {
      if (in->spec.interface != c.name) continue;
      if (in->io.bound() && (c.ifindex == 0 || c.rebound())) {
        log::Warning(name + ": interface " + c.name +
                     (c.ifindex == 0 ? " was deleted"
                                     : " was re-created (index " + std::to_string(c.old_ifindex) +
                                           " -> " + std::to_string(c.ifindex) + ")") +
                     "; its sockets are closed");
        Unbind(*in);
        recompute_(*in);  // FAULT: VIPs and routes go with the old interface
      }
      if (!in->io.bound() && c.ifindex != 0) TryBind(*in);
    }
    FollowVrf(c);
  }
  // A VMAC the kernel refused (a parent holding a passthru macvlan, say) may be possible
  // after any change: the instances waiting for theirs try again.
  for (auto& [name, in] : instances_)
    if (!in->io.bound() && in->io.vmac_failed() && links_.Find(in->spec.interface)) TryBind(*in);
  for (auto& [name, in] : instances_) recompute_(*in);
}

void Bindings::FollowVrf(const net::InterfaceChange& c) {
  for (auto& [name, in] : instances_)
    if (!in->io.bound() && in->spec.interface.empty()) TryBind(*in);
  if (!c.rebound() && !c.disappeared()) return;
  for (auto& [name, in] : instances_) {
    if (!in->io.bound() || !in->spec.vrf || *in->spec.vrf != c.name ||
        in->io.send_ifindex() == c.ifindex)
      continue;
    log::Notice(name + ": VRF " + c.name +
                (c.ifindex ? " is now interface index " + std::to_string(c.ifindex)
                           : " was deleted") +
                "; opening the advert sockets again");
    Unbind(*in);
    TryBind(*in);
  }
}

void Bindings::OnAddressAdded(const net::AddressAdded& added) {
  const net::LinkInfo* l = links_.FindIndex(added.ifindex);
  if (!l) return;
  for (auto& [name, in] : instances_) {
    if (in->io.bound()) continue;
    if (in->spec.interface.empty() ? in->spec.source != FromRaw(added.address)
                                   : in->spec.interface != l->name &&
                                         !(in->spec.ipvlan && *in->spec.vmac == l->name))
      continue;
    TryBind(*in);
    if (in->io.bound()) recompute_(*in);
  }
}

void Bindings::OnAddressRemoved(const net::AddressRemoved& removed) {
  const model::IpAddress gone = FromRaw(removed.address);
  for (auto& [name, in] : instances_)
    if (in->io.bound() && FollowsInterfaceAddresses(in->spec) &&
        removed.ifindex == in->io.SourceIfindex(in->spec) && gone == in->io.primary())
      OnSourceGone(*in);
}

void Bindings::ResizeForMtu(const std::string& name) {
  std::optional<uint32_t> mtu;
  for (auto& [n, in] : instances_) {
    if (!in->io.bound() || in->spec.interface != name ||
        in->spec.rx_buf_share.kind != RxBufShare::Kind::kMtu)
      continue;
    if (!mtu) {
      auto fresh = rtnl_.LinkByName(name);
      if (!fresh) return;
      mtu = fresh->mtu;
    }
    in->io.SetMtu(in->spec, *mtu);
  }
}

void Bindings::OnSourceGone(Instance& in) {
  // An interface being deleted loses its addresses first; its own notification follows.
  if (!rtnl_.LinkByIndex(in.io.ifindex())) return;
  const model::IpAddress old = in.io.primary();
  auto next = in.io.PrimaryAddress(in.spec, AllVips(in));
  if (next) {
    log::Notice(in.spec.name + ": address " + old.ToString() + " left interface " +
                in.spec.interface + "; adverts now come from " + next->ToString());
    Unbind(in);
    TryBind(in);
    recompute_(in);
    return;
  }
  in.io.set_bind_error(next.error().ToString());
  if (in.spec.source)
    log::Warning(in.spec.name + ": interface " + in.spec.interface + " lost " + old.ToString() +
                 ", the source address it tracks (track_src_ip); FAULT until it is added "
                 "again");
  else
    log::Warning(in.spec.name + ": interface " + in.spec.interface + " lost " + old.ToString() +
                 ", its last " +
                 (in.spec.family == model::Family::kIpv6 ? "IPv6 link-local" : "IPv4") +
                 " address; FAULT until one is added");
  in.address_lost = true;
  recompute_(in);
  Unbind(in);
  in.address_lost = false;
  recompute_(in);
}

void Bindings::CheckSource(Instance& in) {
  if (!in.io.bound() || !FollowsInterfaceAddresses(in.spec)) return;
  auto addrs = rtnl_.ListAddresses(in.io.ifindex(), AfOf(in.spec.family));
  if (!addrs) return;
  for (const auto& a : *addrs)
    if (FromRaw(a.address) == in.io.primary()) return;
  OnSourceGone(in);
}

void Bindings::Resync() {
  log::Warning("netlink monitor: notifications lost (receive buffer overrun); "
               "re-reading interfaces and addresses");
  OnInterfaceChanges(links_.Refresh(rtnl_));
  for (auto& [name, in] : instances_) {
    if (!in->io.bound() && (in->spec.interface.empty() || links_.Find(in->spec.interface)))
      TryBind(*in);
    CheckSource(*in);
    recompute_(*in);
  }
}

}  // namespace vigil::vrrp

#include "vrrp/advert_io.h"

#include <algorithm>
#include <cerrno>

#include "base/log.h"
#include "vrrp/advert_source.h"
#include "vrrp/kernel_addresses.h"

namespace vigil::vrrp {

Result<void> AdvertIo::Bind(const InstanceSpec& s, const std::set<model::IpAddress>& vips) {
  // An instance without an interface (unicast from unicast_src_ip) has no link.
  net::LinkInfo link;
  if (!s.interface.empty()) {
    // The full record (MAC included): a notification carries only name and flags.
    auto fresh = kernel_->rtnl.LinkByName(s.interface);
    if (!fresh) {
      if (fresh.error().code() == ErrorCode::kNotFound)
        return Fail(ErrorCode::kNotFound, "interface '" + s.interface + "' does not exist");
      return std::unexpected(fresh.error());
    }
    kernel_->links.Put(*fresh);
    link = std::move(*fresh);
  }
  ifindex_ = link.ifindex;
  send_ifindex_ = ifindex_;
  vip_ifindex_ = ifindex_;
  if (link.mac.size() == 6) std::copy(link.mac.begin(), link.mac.end(), mac_.begin());
  vmac_failed_ = false;
  if (s.vmac) {
    auto vmac = kernel_->vmacs.SetUp(s, ifindex_);
    if (!vmac) {
      vmac_failed_ = true;
      return Fail(vmac.error().code(), "VMAC " + *s.vmac + ": " + vmac.error().ToString());
    }
    vmac_ifindex_ = *vmac;
    if (!s.vmac_xmit_base) send_ifindex_ = vmac_ifindex_;
    // An ipvlan shares its parent's MAC, and keepalived leaves the VIPs (and so their
    // GARPs) on the parent: only the adverts use the ipvlan.
    if (!s.ipvlan) {
      vip_ifindex_ = vmac_ifindex_;
      mac_ = VmacMac(s);
    }
  }
  // use_vmac_addr: the VIPs' own VMACs (made by keepalived with the instance); one that
  // cannot be made leaves its VIPs without an interface.
  for (const auto& v : s.address_vmacs) {
    const int parent = kernel_->links.IndexOf(v.parent);
    if (!parent) {
      log::Warning(s.name + ": VMAC " + v.name + ": interface " + v.parent + " does not exist");
      continue;
    }
    if (auto r = kernel_->vmacs.SetUp(AddressVmacSpec(s, v), parent); !r)
      log::Warning(s.name + ": VMAC " + v.name + ": " + r.error().ToString());
  }
  if (s.vrf) {
    // keepalived: the adverts of a unicast instance without an interface are sent and
    // received in its VRF (sockets bound to the VRF device); a VRF that is missing
    // leaves them unbound.
    auto vrf = kernel_->rtnl.LinkByName(*s.vrf);
    if (vrf && vrf->kind == "vrf") {
      kernel_->links.Put(*vrf);
      send_ifindex_ = vrf->ifindex;
    } else {
      log::Warning(s.name + ": VRF " + *s.vrf + (vrf ? " is not a VRF" : " does not exist") +
                   "; adverts not bound to it");
    }
  }
  if (s.promote_secondaries && !s.interface.empty()) {
    if (auto r = kernel_->sysctl.Set(net::Ipv4ConfKey(s.interface, "promote_secondaries"), "1");
        !r)
      log::Warning(s.name + ": promote_secondaries on " + s.interface + ": " +
                   r.error().ToString());
  }
  auto primary = PrimaryAddress(s, vips);
  lacks_address_ = !primary && primary.error().code() == ErrorCode::kNotFound;
  if (!primary) return std::unexpected(primary.error());
  primary_ = *primary;

  // Without an interface, the sockets bind to unicast_src_ip: FAULT until it is added.
  auto missing_source = [&](const Error& e) {
    lacks_address_ = s.interface.empty() && e.sys_errno() == EADDRNOTAVAIL;
  };
  if (auto r = sender_.Open(s, send_ifindex_, primary_); !r) {
    missing_source(r.error());
    return r;
  }

  net::VrrpReceiveOptions ro;
  ro.family = AfOf(s.family);
  // Adverts are heard where ours leave (as keepalived): with use_vmac the macvlan, since a
  // macvlan hands multicast whose source is its own (virtual) MAC, i.e. the other routers'
  // adverts, to itself only and never to the parent.
  ro.ifindex = send_ifindex_;
  if (!s.unicast_peers.empty()) ro.unicast_src = ToRaw(primary_);
  else ro.group = ToRaw(s.multicast_group);
  rx_mtu_ = link.mtu;
  auto key = kernel_->receivers.Join(ro, s.params.vrid, s.name, RxBufBytes(s, link.mtu));
  if (!key) {
    missing_source(key.error());
    return std::unexpected(key.error());
  }
  receiver_key_ = *key;
  bound_ = true;
  bind_error_.clear();
  return {};
}

void AdvertIo::Unbind(const InstanceSpec& spec) {
  kernel_->receivers.Leave(receiver_key_, spec.params.vrid, spec.name, /*close_unused=*/true);
  receiver_key_.clear();
  sender_.Close();
  bound_ = false;
  ifindex_ = send_ifindex_ = vip_ifindex_ = vmac_ifindex_ = 0;
}

void AdvertIo::LeaveReceiver(const InstanceSpec& spec) {
  kernel_->receivers.Leave(receiver_key_, spec.params.vrid, spec.name, /*close_unused=*/false);
}

Result<model::IpAddress> AdvertIo::PrimaryAddress(const InstanceSpec& spec,
                                                  const std::set<model::IpAddress>& vips) const {
  std::vector<model::IpAddress> on_interface;
  if (FollowsInterfaceAddresses(spec)) {
    auto addrs = kernel_->rtnl.ListAddresses(SourceIfindex(spec), AfOf(spec.family));
    if (!addrs) return std::unexpected(addrs.error());
    for (const auto& a : *addrs) on_interface.push_back(FromRaw(a.address));
  }
  return ChooseAdvertSource(spec, on_interface, vips);
}

void AdvertIo::SetMtu(const InstanceSpec& spec, uint32_t mtu) {
  if (mtu == rx_mtu_) return;
  rx_mtu_ = mtu;
  kernel_->receivers.SetShare(receiver_key_, spec.params.vrid, RxBufBytes(spec, mtu));
}

uint32_t AdvertIo::Send(const InstanceSpec& spec, std::span<const model::IpAddress> addresses,
                        uint8_t priority) {
  AdvertSender::Report r = sender_.Send(spec, addresses, priority);
  if (r.encode_error)
    log::Error(spec.name + ": cannot encode advert: " + r.encode_error->ToString());
  for (const auto& [dst, error] : r.failed)
    log::Warning(spec.name + ": advert to " + dst.ToString() + ": " + error.ToString());
  return r.sent;
}

int AdvertIo::IfindexOf(const InstanceSpec& spec, const std::string& dev) const {
  if (dev == spec.interface) return ifindex_;
  if (spec.vmac && dev == *spec.vmac) return vmac_ifindex_;
  if (const net::LinkInfo* l = kernel_->links.Find(dev)) return l->ifindex;
  return 0;
}

}  // namespace vigil::vrrp

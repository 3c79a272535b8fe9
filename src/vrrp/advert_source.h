// The address a VRRP instance's adverts come from, chosen as keepalived chooses it: the
// configured mcast_src_ip / unicast_src_ip, else an address of the instance's interface.
// Pure: the engine lists the interface's addresses and asks again whenever one leaves (an
// instance whose source is gone moves to another, or waits in FAULT while there is none).
#ifndef VIGIL_VRRP_ADVERT_SOURCE_H_
#define VIGIL_VRRP_ADVERT_SOURCE_H_

#include <set>
#include <span>

#include "base/error.h"
#include "model/address.h"
#include "vrrp/instance_spec.h"

namespace vigil::vrrp {

// Whether the source of `spec`'s adverts depends on the addresses of its interface: no
// configured source, or one under track_src_ip. Only then can losing an address matter.
inline bool FollowsInterfaceAddresses(const InstanceSpec& spec) {
  return !spec.source || spec.track_source;
}

// Returns the address `spec`'s adverts come from, given `on_interface`, the addresses of
// its family on its interface in the kernel's order (unused when the source does not
// follow them), and `vips`, the VIPs of every instance (never a source, as keepalived
// ignores the addresses it adds):
//  - a configured source: itself; under track_src_ip only while it is on the interface;
//  - IPv4: the first address that is no VIP;
//  - IPv6: the first link-local address that is no VIP (adverts never come from a global).
// kNotFound, naming the interface, when there is none.
Result<model::IpAddress> ChooseAdvertSource(const InstanceSpec& spec,
                                            std::span<const model::IpAddress> on_interface,
                                            const std::set<model::IpAddress>& vips);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ADVERT_SOURCE_H_

// virtual_server ha_suspend: a virtual server's checkers are suspended while none of its
// addresses is on a local interface (keepalived 2.2.7's checker counts them from rtnetlink).
// Pure: the local addresses come from net::AddressWatch.
#ifndef VIGIL_CHECK_HA_SUSPEND_H_
#define VIGIL_CHECK_HA_SUSPEND_H_

#include <cstddef>
#include <vector>

#include "model/config.h"
#include "net/address_watch.h"

namespace vigil::check {

// Returns whether `address` is one of `vs`'s: its own address, or an address of an entry of
// `group` (its virtual_server_group; null when it has none) — a single address or a range
// (varying the last byte of IPv4, the last 16 bits of IPv6). Fwmarks have none.
bool ServesAddress(const model::VirtualServer& vs, const model::VirtualServerGroup* group,
                   const net::RawAddress& address);

// Returns how many of `local` are `vs`'s addresses (ServesAddress); the same address on two
// interfaces counts twice.
std::size_t LocalAddressCount(const model::VirtualServer& vs,
                              const model::VirtualServerGroup* group,
                              const net::LocalAddresses& local);

// Returns whether `vs`'s checkers are suspended: it has ha_suspend and none of its
// addresses is local. (keepalived 2.2.7 never finds a virtual_server_group's addresses, so
// its group services stay suspended for ever; vigil looks at the group's entries.)
bool HaSuspended(const model::VirtualServer& vs,
                 const std::vector<model::VirtualServerGroup>& groups,
                 const net::LocalAddresses& local);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_HA_SUSPEND_H_

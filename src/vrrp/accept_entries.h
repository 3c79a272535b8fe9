// What the accept-mode filter (vrrp/accept_filter.h) must hold for the running instances:
// the VIPs that masters without accept mode hold, and the macvlan VMACs whose multicast
// reports leave by their parent. Pure: the engine passes each instance's state and its
// interfaces' indexes, and syncs AcceptFilter to the result.
#ifndef VIGIL_VRRP_ACCEPT_ENTRIES_H_
#define VIGIL_VRRP_ACCEPT_ENTRIES_H_

#include <functional>
#include <set>
#include <span>
#include <string>

#include "vrrp/accept_filter.h"
#include "vrrp/instance_spec.h"

namespace vigil::vrrp {

// One instance as the filter sees it.
struct FilterInstance {
  const InstanceSpec* spec = nullptr;
  bool vips_installed = false;
  int ifindex = 0;              // its interface (0: not bound)
  int vmac_ifindex = 0;         // its VMAC or ipvlan (0: none)
  bool vmac_is_macvlan = false;  // that interface exists and is a macvlan
  // The index of the interface named `dev` a VIP of it is on.
  std::function<int(const std::string& dev)> vip_ifindex;
};

struct FilterContents {
  std::set<FilterEntry> entries;
  std::set<VmacEntry> vmacs;
  friend bool operator==(const FilterContents&, const FilterContents&) = default;
};

// Returns what the filter holds for `instances`: the VIPs of those holding them that are
// neither address owners nor in accept mode; and, as keepalived, every bound instance's
// macvlan VMAC (not an ipvlan; an IPv4 one not under `disable_local_igmp`, having no IGMP
// reports to move) in its instance's family, and in the other family too when it has VIPs
// of it.
FilterContents AcceptFilterContents(std::span<const FilterInstance> instances,
                                    bool disable_local_igmp);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ACCEPT_ENTRIES_H_

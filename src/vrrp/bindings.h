// Bindings: every VRRP instance's hold on the interface that carries its name. It binds an
// instance's advert I/O (vrrp/advert_io.h) when the instance is added, and follows the
// kernel's changes by name as keepalived does under dynamic_interfaces: an interface that
// appears, is deleted or re-created (new index), a VRF that moves, an address added (an
// instance waiting for one), the advert source address removed (another takes over, or
// FAULT), an MTU change (vrrp_rx_bufs_policy MTU), and notifications lost (everything read
// again). It unbinds and rebinds instances; the engine, told through `recompute`,
// re-derives their state. Not thread-safe; driven from the engine's loop.
#ifndef VIGIL_VRRP_BINDINGS_H_
#define VIGIL_VRRP_BINDINGS_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "net/interface_table.h"
#include "net/link_monitor.h"
#include "net/rtnetlink.h"
#include "vrrp/instance.h"
#include "vrrp/interfaces.h"

namespace vigil::vrrp {

class Bindings {
 public:
  using Recompute = std::function<void(Instance&)>;

  // Binds the instances of `instances` through `rtnl`, on the interfaces of `links`;
  // `recompute` re-derives an instance's state after its binding changed. All outlive it.
  Bindings(Instances& instances, net::Rtnetlink& rtnl, Interfaces& links, Recompute recompute);

  // Binds new instance `in` (not yet in the instances) if its interface exists. A missing
  // interface is an error, as in keepalived, unless `dynamic_interfaces`: then the instance
  // waits for it in FAULT while the others run. An interface without an address to send
  // from leaves it in FAULT until one is added; any other failure is an error.
  Result<void> Attach(Instance& in, bool dynamic_interfaces);

  // Binds an instance that waits for its interface; a failure keeps it in FAULT (logged
  // once per distinct reason).
  void TryBind(Instance& in);
  // Closes the instance's advert I/O (its interface went away or was replaced). A receiver
  // no instance listens on any more is closed with it.
  void Unbind(Instance& in) { in.io.Unbind(in.spec); }

  // Interfaces that appeared, went away, were re-created (new index) or went up or down:
  // instances follow their interface by name (closing their sockets when it goes, opening
  // them on its successor), then every instance's state is derived again.
  void OnInterfaceChanges(const std::vector<net::InterfaceChange>& changes);
  // An instance waiting for an address on its (new) interface may bind now.
  void OnAddressAdded(const net::AddressAdded& added);
  // The address an instance's adverts came from left its interface: see OnSourceGone.
  void OnAddressRemoved(const net::AddressRemoved& removed);
  // vrrp_rx_bufs_policy MTU: as keepalived, the advert sockets on interface `name` are
  // sized again when its MTU changes (a link notification does not carry it: read it).
  void ResizeForMtu(const std::string& name);
  // Notifications were lost (netlink receive buffer overrun): interfaces are read again,
  // instances rebound, their advert sources checked and every instance re-evaluated.
  void Resync();

  // "interface NAME", or what an instance without one uses.
  static std::string Where(const Instance& in);
  // Returns the notice that `in`'s link became usable (in.link_ok) or not: up, down, not
  // usable (and why), missing; or, without an interface, bound or not (and why).
  std::string LinkNotice(const Instance& in) const;

 private:
  // Opens the instance's advert I/O on the interface that now carries its name; its state
  // machine learns the address its adverts come from.
  Result<void> Bind(Instance& in);
  // Every VIP of the instances, `in`'s included: none is an advert source.
  std::set<model::IpAddress> AllVips(const Instance& in) const;
  // As keepalived: another address of the interface takes over; with none left for the
  // family (IPv6: no link-local), the instance goes to FAULT — a master says priority 0
  // from the old address first — and comes back through BACKUP when one is added. An
  // instance with unicast_src_ip / mcast_src_ip keeps its own.
  void OnSourceGone(Instance& in);
  // Whether a bound instance's advert source is still on its interface (after lost
  // notifications); handled as its removal when it is not.
  void CheckSource(Instance& in);
  // vrf NAME: the sockets of instances in a VRF that appeared, was re-created or went
  // away are opened again, bound to the VRF that now carries the name (or to none). An
  // instance without an interface tries again at every change: enslaving a device to a
  // VRF moves its addresses there without address notifications.
  void FollowVrf(const net::InterfaceChange& c);

  Instances& instances_;
  net::Rtnetlink& rtnl_;
  Interfaces& links_;
  Recompute recompute_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_BINDINGS_H_

// AdvertIo: one VRRP instance's hold on the interface that carries its name — the
// interface's index (and its VMAC's, the VRF's its adverts leave by), the source MAC of its
// gratuitous ARPs, the address its adverts come from, its AdvertSender and its place on a
// shared advert receiver. Bound when the interface is there with an address to send from;
// unbound when the interface goes away or is replaced, then bound to its successor. The
// engine decides when; this class knows how. Lives on the engine's event loop.
#ifndef VIGIL_VRRP_ADVERT_IO_H_
#define VIGIL_VRRP_ADVERT_IO_H_

#include <cstdint>
#include <set>
#include <span>
#include <string>

#include "base/error.h"
#include "model/address.h"
#include "net/rtnetlink.h"
#include "net/sysctl.h"
#include "vrrp/advert_receivers.h"
#include "vrrp/advert_sender.h"
#include "vrrp/instance_spec.h"
#include "vrrp/interfaces.h"
#include "vrrp/vmacs.h"

namespace vigil::vrrp {

class AdvertIo {
 public:
  // The engine's owners a binding goes through; they outlive every AdvertIo.
  struct Kernel {
    net::Rtnetlink& rtnl;
    Interfaces& links;
    Vmacs& vmacs;
    net::SysctlRestorer& sysctl;
    AdvertReceivers& receivers;
  };

  explicit AdvertIo(const Kernel& kernel) : kernel_(&kernel) {}

  // Binds instance `spec` to the interface that now carries its name: indexes, VMAC, VRF,
  // promote_secondaries, the advert source (never one of `vips`, every VIP of the engine),
  // sender and receiver. On failure the binding is left half made: call Unbind.
  Result<void> Bind(const InstanceSpec& spec, const std::set<model::IpAddress>& vips);
  // Closes the sender and leaves the receiver (closing it when no instance is left on it).
  void Unbind(const InstanceSpec& spec);
  // Leaves the receiver but keeps its socket open for a successor (reload, stop).
  void LeaveReceiver(const InstanceSpec& spec);
  // Returns the address the adverts of `spec` would come from now (vrrp/advert_source.h),
  // reading the interface's addresses when the choice depends on them; kNotFound when none.
  Result<model::IpAddress> PrimaryAddress(const InstanceSpec& spec,
                                          const std::set<model::IpAddress>& vips) const;
  // Sizes the instance's share of its receiver for an interface MTU of `mtu`
  // (vrrp_rx_bufs_policy MTU); nothing when it was counted with that MTU.
  void SetMtu(const InstanceSpec& spec, uint32_t mtu);

  // Sends one advert of `spec` with `priority` and `addresses`; failures are logged.
  // Returns how many copies left.
  uint32_t Send(const InstanceSpec& spec, std::span<const model::IpAddress> addresses,
                uint8_t priority);

  // Returns the index of interface `dev` as the instance sees it: its interface's, its
  // VMAC's, else the interface of that name; 0 when there is none.
  int IfindexOf(const InstanceSpec& spec, const std::string& dev) const;
  // The interface whose addresses the adverts come from: the ipvlan (which has its own
  // addresses), else the instance's interface.
  int SourceIfindex(const InstanceSpec& spec) const {
    return spec.ipvlan ? vmac_ifindex_ : ifindex_;
  }

  bool bound() const { return bound_; }
  int ifindex() const { return ifindex_; }            // the instance's interface
  int send_ifindex() const { return send_ifindex_; }  // where adverts leave
  int vip_ifindex() const { return vip_ifindex_; }    // where GARPs leave (the VMAC)
  int vmac_ifindex() const { return vmac_ifindex_; }
  const net::MacAddress& mac() const { return mac_; }  // source MAC of GARPs / NAs
  // The advert source of the last Bind that found one (kept after Unbind).
  const model::IpAddress& primary() const { return primary_; }
  // The last Bind failed for want of an address to send adverts from.
  bool lacks_address() const { return lacks_address_; }
  // The last Bind failed because the kernel refused to create the instance's VMAC (a
  // parent that cannot take a macvlan): the instance waits in FAULT, the others run.
  bool vmac_failed() const { return vmac_failed_; }
  AdvertSender& sender() { return sender_; }
  // Why the instance is not bound (logged once per reason); empty once bound.
  const std::string& bind_error() const { return bind_error_; }
  void set_bind_error(std::string why) { bind_error_ = std::move(why); }

 private:
  const Kernel* kernel_;
  bool bound_ = false;
  int ifindex_ = 0;
  int send_ifindex_ = 0;  // where adverts leave (the VMAC unless vmac_xmit_base, the VRF)
  int vip_ifindex_ = 0;
  int vmac_ifindex_ = 0;
  net::MacAddress mac_{};
  model::IpAddress primary_;
  bool lacks_address_ = false;
  bool vmac_failed_ = false;
  std::string bind_error_;
  AdvertSender sender_;
  std::string receiver_key_;
  uint32_t rx_mtu_ = 0;  // the MTU its share of the receiver's buffer was counted with
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ADVERT_IO_H_

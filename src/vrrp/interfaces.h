// Interfaces: the VRRP engine's interfaces, keyed by name — the table of what the kernel
// has (net::InterfaceTable, fed by dumps and link notifications) and whether each one
// counts as up for VRRP under interface_up_down_delays (LinkDebounce), with the timer that
// makes a delayed change count. Instances ask it by name; it tells the engine when a
// delayed change starts to count. One lifecycle: Refresh at start and after lost
// notifications, Stop at shutdown. Lives on the engine's event loop; logs the delays.
#ifndef VIGIL_VRRP_INTERFACES_H_
#define VIGIL_VRRP_INTERFACES_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/interface_table.h"
#include "net/link_monitor.h"
#include "net/rtnetlink.h"
#include "vrrp/instance_spec.h"
#include "vrrp/link_debounce.h"

namespace asio {
class io_context;
}

namespace vigil::vrrp {

class Interfaces {
 public:
  // Called when changes that waited for their delay count now (never from a method call).
  using Settled = std::function<void()>;

  Interfaces(asio::io_context& io, Settled on_settled);
  ~Interfaces();
  Interfaces(const Interfaces&) = delete;
  Interfaces& operator=(const Interfaces&) = delete;

  // Re-reads every interface through `rtnl`; returns what changed (nothing when the dump
  // fails, which is logged).
  std::vector<net::InterfaceChange> Refresh(net::Rtnetlink& rtnl);
  // Applies one link notification; returns what changed (a rename: both names).
  std::vector<net::InterfaceChange> Apply(const net::LinkChanged& event);
  // Records interface `link` as just read from the kernel.
  void Put(const net::LinkInfo& link);
  // Forgets the delay state of interface `name` (a VMAC vigil deleted).
  void Forget(const std::string& name);
  // Stops the delay timer: Settled is not called any more.
  void Stop();

  // Sets the interface_up_down_delays of `spec` and caps them for its instances as
  // keepalived does at start and on reload: below (down_timer_adverts - 1) advert intervals
  // of every instance on the interface, none with down_timer_adverts 1 (logged).
  void SetDelays(const VrrpSpec& spec);
  // Caps the delays of `interface` for instance `who` whose master advertises every
  // `interval` (keepalived's update_master_adver_int); logged when they are lowered.
  void CapForMasterInterval(const std::string& who, const std::string& interface,
                            uint32_t down_timer_adverts, std::chrono::microseconds interval);

  // Returns whether interface `name` is up as it counts after interface_up_down_delays; an
  // interface the delays have not been told of (a VMAC just set up) as it is.
  bool Usable(const std::string& name) const;
  const net::LinkInfo* Find(const std::string& name) const { return table_.Find(name); }
  const net::LinkInfo* FindIndex(int ifindex) const { return table_.FindIndex(ifindex); }
  // 0 if no interface has the name.
  int IndexOf(const std::string& name) const { return table_.IndexOf(name); }
  // The table itself, for the owner of the VMACs, which records those it creates.
  net::InterfaceTable& table() { return table_; }

 private:
  // Feeds `changes` to the delays: a deleted interface is down at once, one that appeared
  // or was re-created counts at once, a change of an existing one after its delay. Arms
  // the timer for the next pending change.
  void Debounce(const std::vector<net::InterfaceChange>& changes);
  void Arm();

  struct Timer;

  Settled on_settled_;
  net::InterfaceTable table_;
  LinkDebounce debounce_;  // table_'s usability as it counts (interface_up_down_delays)
  std::unique_ptr<Timer> timer_;
  bool stopped_ = false;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_INTERFACES_H_

// The settings of one VRRP instance that its state machine acts on: a plain aggregate,
// filled from the model by the caller (defaults are keepalived's).
#ifndef VIGIL_VRRP_PARAMS_H_
#define VIGIL_VRRP_PARAMS_H_

#include <chrono>
#include <cstdint>

#include "model/address.h"
#include "vrrp/packet.h"

namespace vigil::vrrp {

inline constexpr uint8_t kOwnerPriority = 255;  // the address owner; never adjusted
inline constexpr uint8_t kStopPriority = 0;     // "master is leaving" advert
inline constexpr uint8_t kDefaultPriority = 100;
inline constexpr uint8_t kMaxBackupPriority = 254;

struct Params {
  uint8_t vrid = 1;
  Version version = Version::kV2;
  // The configured (base) priority, 1..255. 255 makes the instance the address owner.
  uint8_t priority = kDefaultPriority;
  // Advert_Interval: whole seconds in v2, 10 ms steps (10 ms .. 40.95 s) in v3.
  std::chrono::microseconds advert_interval = std::chrono::seconds(1);
  // `state MASTER`. An owner (priority 255) starting as master takes over at start-up
  // without waiting; any other instance waits for the down timer like a backup.
  // keepalived clears nopreempt and preempt_delay under `state MASTER` (config's job).
  bool start_as_master = false;
  // Never take over from a lower-priority master.
  bool nopreempt = false;
  // After the first lower-priority advert, keep accepting lower-priority adverts for
  // this long before preempting (0 = preempt at once).
  std::chrono::microseconds preempt_delay{0};
  // Adverts missed before a backup declares the master down (RFC: 3).
  uint32_t down_timer_adverts = 3;
  // timer_expired_backup: the highest priority another router may have (0: off). A master
  // that sent its last advert 3 advert intervals plus that priority's skew time ago or more
  // (its engine was not run) goes to BACKUP rather than claim mastership again.
  uint8_t timer_expired_backup = 0;
  // A master does not answer a lower-priority advert with one of its own.
  bool lower_prio_no_advert = false;
  // A master sends one more advert before yielding to a higher-priority one.
  bool higher_prio_send_advert = false;
  // Skip the advert address-list check for adverts from the current master.
  bool skip_check_adv_addr = false;
  // Accept mode. The state machine ignores it; the I/O shell installs the no_accept
  // filter rules with the VIPs.
  bool accept = true;
  // This router's address in the adverts (the primary address or unicast_src_ip):
  // equal priorities are broken in favour of the higher address.
  model::IpAddress primary_address;
  // Gratuitous ARP / unsolicited NA messages sent on becoming master, and again after
  // garp_master_delay (0 = no second round).
  uint32_t garp_master_repeat = 5;
  std::chrono::microseconds garp_master_delay = std::chrono::seconds(5);
  // While master, repeat garp_master_refresh_repeat messages every garp_master_refresh
  // (0 = off), checked when an advert is sent.
  std::chrono::microseconds garp_master_refresh{0};
  uint32_t garp_master_refresh_repeat = 1;
  // While master, one message on each of the other interfaces of its VIPs every
  // garp_extra_if (0 = off), checked when an advert is sent (keepalived's vmac_garp_intvl).
  std::chrono::microseconds garp_extra_if{0};
  // Messages a master sends when it hears a lower-priority advert (0 = none), and again
  // after garp_lower_prio_delay (0 = no second round).
  uint32_t garp_lower_prio_repeat = 5;
  std::chrono::microseconds garp_lower_prio_delay = std::chrono::seconds(5);
  // Emit Notify{kPriorityChanged} when the effective priority changes.
  bool notify_priority_changes = false;
  // A member of a vrrp_sync_group: when its down timer runs out it does not take over by
  // itself; it asks (WantMaster) and stays BACKUP, its down timer re-armed, until its group
  // lets every member go (SyncMaster). keepalived's rule: a group goes MASTER only when
  // every member wants to.
  bool sync_member = false;
  // owner_ignore_adverts: while an address owner (priority 255), every advert received is
  // dropped — none moves it out of MASTER, none is answered.
  bool owner_ignore_adverts = false;

  friend bool operator==(const Params&, const Params&) = default;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_PARAMS_H_

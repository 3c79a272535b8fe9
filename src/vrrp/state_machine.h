// The VRRP state machine of one instance (RFC 3768 / RFC 5798 as keepalived runs them),
// pure: it takes an event and the current time and returns what to do. It reads no
// clock and touches no socket; the instance shell performs the actions in order.
//
// Timers: the machine owns one wakeup time. It emits SetTimer when that time changes
// (and after every TimerExpired) and CancelTimer when nothing is pending; the shell
// keeps one timer armed accordingly and delivers TimerExpired when it fires.
//
// Not thread-safe; one instance per VRRP instance, driven from one loop.
#ifndef VIGIL_VRRP_STATE_MACHINE_H_
#define VIGIL_VRRP_STATE_MACHINE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "model/address.h"
#include "vrrp/params.h"

namespace vigil::vrrp {

enum class State : uint8_t {
  kInit,  // constructed, Startup not yet handled
  kBackup,
  kMaster,
  kFault,
  kStop,  // after Shutdown; every further event is ignored
};

// Returns "INIT", "BACKUP", "MASTER", "FAULT" or "STOP" (keepalived's spellings).
std::string_view StateName(State state);

// --- Events --------------------------------------------------------------------

// Leave INIT: become BACKUP (or FAULT, or MASTER for a `state MASTER` owner).
// `delay_until` (vrrp_startup_delay / vrrp_delay_after_boot, as keepalived): the first
// down timer runs from then instead of from now, a `state MASTER` owner waits until then
// as BACKUP, and no takeover happens before; adverts are heard meanwhile.
struct Startup {
  std::optional<TimePoint> delay_until;
};

// A validated advert for this VRID (see ValidateAdvert).
struct AdvertReceived {
  model::IpAddress source;
  uint8_t priority = 0;
  // The advertised interval (v3 backups adopt it; ignored in v2).
  std::chrono::microseconds interval{0};
};

// The timer last set has fired.
struct TimerExpired {};

// The effective priority computed from the trackers (see ComputeEffectivePriority).
// Clamped to 1..254; ignored for an address owner.
struct PriorityChanged {
  uint8_t priority = 0;
};

// The instance's fault condition (interface down, weight-0 tracker failed, ...) began
// (`on`) or ended. Repeats of the current condition are ignored.
struct Fault {
  bool on = false;
};

// The daemon is stopping.
struct Shutdown {};

// A member of this instance's vrrp_sync_group became MASTER: a BACKUP member follows at
// once (a FAULT one does not).
struct SyncMaster {};

// A member of this instance's vrrp_sync_group left MASTER for BACKUP: a MASTER member
// follows (without a priority-0 advert: the other router's group takes over by protocol).
struct SyncBackup {};

// The node's maintenance mode (`vigilctl maintenance on|off`) began (`on`) or ended. While
// it is on the machine never becomes MASTER: a master says priority 0 and goes BACKUP, and
// a backup whose down timer runs out re-arms it (`state MASTER` owners start as BACKUP).
// When it ends a backup starts a full down timer, so that the election runs as usual.
struct Hold {
  bool on = false;
};

// The load balancer this node schedules for its VIPs is not (`on`) or is again (`off`)
// ready: until it is, a backup does not preempt a lower-priority master — it accepts its
// adverts as if nopreempt were set, so a node coming back does not take the VIPs while its
// table is still empty (their connections would be reset) — but it still takes over when no
// master is heard. When it ends, a lower-priority master is preempted as usual: its adverts
// are ignored and the down timer runs out.
struct HoldPreemption {
  bool on = false;
};

// The operator asked a master to step down (`vigilctl failover`): it says priority 0 and
// goes BACKUP, then yields — it accepts any master's adverts as if nopreempt were set —
// until it next becomes MASTER (when no master is heard for Master_Down_Interval). Ignored
// in any other state.
struct StepDown {};

using Event = std::variant<Startup, AdvertReceived, TimerExpired, PriorityChanged, Fault, Shutdown,
                           SyncMaster, SyncBackup, Hold, HoldPreemption, StepDown>;

// --- Actions -------------------------------------------------------------------

// Send one advert with `priority` (0 = the master is leaving).
struct SendAdvert {
  uint8_t priority = 0;
  friend bool operator==(const SendAdvert&, const SendAdvert&) = default;
};

// State changes; each names the state left.
struct BecomeMaster {
  State from = State::kInit;
  friend bool operator==(const BecomeMaster&, const BecomeMaster&) = default;
};
struct BecomeBackup {
  State from = State::kInit;
  // timer_expired_backup: a master whose engine ran too late (its last advert is older than
  // another router needs to take over) steps down without sending one.
  bool late = false;
  friend bool operator==(const BecomeBackup&, const BecomeBackup&) = default;
};
struct EnterFault {
  State from = State::kInit;
  friend bool operator==(const EnterFault&, const EnterFault&) = default;
};

// Install / remove the virtual addresses (and routes, rules, accept-mode rules).
struct AddVips {
  friend bool operator==(const AddVips&, const AddVips&) = default;
};
struct RemoveVips {
  friend bool operator==(const RemoveVips&, const RemoveVips&) = default;
};

enum class GratuitousReason : uint8_t {
  kBecameMaster,        // garp_master_repeat on the transition
  kMasterDelay,         // the second round, garp_master_delay later
  kRefresh,             // garp_master_refresh
  kExtraInterfaces,     // garp_extra_if: one message on each other interface of the VIPs
  kLowerPriority,       // a lower-priority advert was heard while master
  kLowerPriorityDelay,  // its second round, garp_lower_prio_delay later
};

// Send `count` gratuitous ARPs / unsolicited NAs for every VIP (the shell paces them).
struct SendGratuitous {
  GratuitousReason reason = GratuitousReason::kBecameMaster;
  uint32_t count = 0;
  friend bool operator==(const SendGratuitous&, const SendGratuitous&) = default;
};

// Arm the instance's one timer for `deadline`, replacing any earlier setting.
struct SetTimer {
  TimePoint deadline;
  friend bool operator==(const SetTimer&, const SetTimer&) = default;
};
struct CancelTimer {
  friend bool operator==(const CancelTimer&, const CancelTimer&) = default;
};

enum class NotifyEvent : uint8_t {
  kBackup,
  kMaster,
  kFault,
  kStop,
  kDeleted,                // notify_deleted: the instance was removed by a reload
  kMasterRxLowerPriority,  // notify_master_rx_lower_pri
  kPriorityChanged,        // only with Params::notify_priority_changes
};

// Returns the state word keepalived passes to scripts and FIFOs: MASTER, BACKUP, FAULT,
// STOP, DELETED, MASTER_RX_LOWER_PRI, PRIORITY.
std::string_view NotifyWord(NotifyEvent event);

// Run the notify scripts / FIFO line for `event`, with the effective priority.
struct Notify {
  NotifyEvent event = NotifyEvent::kBackup;
  uint8_t priority = 0;
  friend bool operator==(const Notify&, const Notify&) = default;
};

// A sync-group member's down timer ran out: it wants to be master but stays BACKUP (its
// down timer re-armed) until its group sends SyncMaster. See Params::sync_member.
struct WantMaster {
  friend bool operator==(const WantMaster&, const WantMaster&) = default;
};

using Action = std::variant<SendAdvert, BecomeMaster, BecomeBackup, EnterFault, AddVips, RemoveVips,
                            SendGratuitous, SetTimer, CancelTimer, Notify, WantMaster>;

// Returns a one-line description, e.g. "send_advert 100", "become_master from BACKUP",
// "set_timer +3609375us" (relative to `now`), "notify MASTER 100".
std::string ActionToString(const Action& action, TimePoint now);

class StateMachine {
 public:
  // Starts in INIT with the effective priority equal to `params.priority`.
  explicit StateMachine(const Params& params);

  // Applies `event` at time `now` and returns the actions to perform, in order.
  std::vector<Action> Handle(const Event& event, TimePoint now);

  State state() const { return state_; }
  uint8_t effective_priority() const { return effective_priority_; }
  bool faulted() const { return faulted_; }
  const Params& params() const { return params_; }
  // The address compared with a peer's on equal priority: the instance's interface may
  // be (re)bound after the machine was made, and its address found only then.
  void set_primary_address(const model::IpAddress& address) { params_.primary_address = address; }
  // Master_Adver_Interval: ours while master, the master's (v3) while backup.
  std::chrono::microseconds master_advert_interval() const { return master_adver_int_; }
  // Skew_Time for the current priority and Master_Adver_Interval: (256 - priority)/256 s
  // in v2 (not scaled), (256 - priority) * Master_Adver_Interval / 256 in v3, both in
  // whole microseconds as keepalived computes them.
  std::chrono::microseconds SkewTime() const;
  // Master_Down_Interval = down_timer_adverts * Master_Adver_Interval + Skew_Time.
  std::chrono::microseconds MasterDownInterval() const;
  // Returns when the machine next wants TimerExpired, if ever.
  std::optional<TimePoint> wakeup() const;
  // When the machine last asked for an advert to be sent (unset before the first).
  const std::optional<TimePoint>& last_advert_sent() const { return last_advert_sent_; }
  // The source of the last advert heard while backup (unspecified if none).
  const model::IpAddress& master_address() const { return master_address_; }
  // keepalived's "wantstate MASTER": set when the machine became master or its down timer
  // ran out (a sync-group member held back by its group); cleared when it accepts a
  // master's advert as backup, and on entering BACKUP or FAULT.
  bool wants_master() const { return wants_master_; }
  // Whether maintenance holds the machine out of MASTER (Hold).
  bool held() const { return held_; }
  // Whether it leaves a lower-priority master be (HoldPreemption).
  bool preemption_held() const { return preemption_held_; }
  // Whether it yields to any master after a StepDown (cleared when it becomes MASTER).
  bool yielding() const { return yielding_; }
  // Returns whether an advert from `source` should have its address list checked
  // (Expectation::check_addresses): always, unless skip_check_adv_addr is set and
  // `source` is the master already known while backup.
  bool ShouldCheckAdvertAddresses(const model::IpAddress& source) const;
  // Returns true while every advert is dropped unheard: an address owner with
  // owner_ignore_adverts (the shell neither counts nor handles them).
  bool IgnoresAdverts() const;

 private:
  void OnStartup(const Startup& startup, TimePoint now, std::vector<Action>& out);
  void OnAdvert(const AdvertReceived& advert, TimePoint now, std::vector<Action>& out);
  void OnAdvertAsBackup(const AdvertReceived& advert, TimePoint now, std::vector<Action>& out);
  void OnAdvertAsMaster(const AdvertReceived& advert, TimePoint now, std::vector<Action>& out);
  void OnTimer(TimePoint now, std::vector<Action>& out);
  void OnPriority(uint8_t priority, std::vector<Action>& out);
  void OnFault(bool on, TimePoint now, std::vector<Action>& out);
  void OnShutdown(std::vector<Action>& out);
  void OnHold(bool on, TimePoint now, std::vector<Action>& out);
  void OnStepDown(TimePoint now, std::vector<Action>& out);
  // A master leaves for BACKUP after a priority-0 advert (the backups take over at once).
  void LeaveMastership(TimePoint now, std::vector<Action>& out);

  void GoMaster(TimePoint now, std::vector<Action>& out);
  void GoBackup(TimePoint now, std::vector<Action>& out, bool late = false);
  void GoFault(std::vector<Action>& out);
  void SendMasterAdvert(TimePoint now, std::vector<Action>& out);
  // timer_expired_backup: true if this master's last advert is so old that another router
  // may have taken over (its engine was not run in time): 3 advert intervals and the skew
  // time of the highest other priority, as keepalived reckons it.
  bool MissedMastership(TimePoint now) const;
  void ClearMasterTimers();
  // Emits SetTimer / CancelTimer when the wakeup differs from the last one emitted.
  void SyncTimer(std::vector<Action>& out);
  // Returns 1 if `source` is above our address (it wins a tie), -1 if below, 0 if equal
  // or of another family.
  int CompareWithOurAddress(const model::IpAddress& source) const;

  Params params_;
  State state_ = State::kInit;
  uint8_t effective_priority_;
  bool faulted_ = false;
  bool wants_master_ = false;
  bool held_ = false;
  bool preemption_held_ = false;
  bool yielding_ = false;
  std::chrono::microseconds master_adver_int_;
  std::optional<TimePoint> protocol_deadline_;  // down timer (backup) / next advert (master)
  std::optional<TimePoint> last_advert_sent_;   // any advert (timer_expired_backup)
  std::optional<TimePoint> preempt_until_;      // end of the running preempt_delay window
  std::optional<TimePoint> garp_delay_at_;
  std::optional<TimePoint> lower_prio_garp_at_;
  std::optional<TimePoint> garp_refresh_at_;
  std::optional<TimePoint> garp_extra_at_;
  std::optional<TimePoint> emitted_wakeup_;
  std::optional<TimePoint> delayed_start_until_;  // Startup::delay_until, while ahead
  model::IpAddress master_address_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_STATE_MACHINE_H_

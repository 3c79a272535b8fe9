#include "vrrp/state_machine.h"

#include <algorithm>

namespace vigil::vrrp {

std::string_view NotifyWord(NotifyEvent event) {
  switch (event) {
    case NotifyEvent::kBackup: return "BACKUP";
    case NotifyEvent::kMaster: return "MASTER";
    case NotifyEvent::kFault: return "FAULT";
    case NotifyEvent::kStop: return "STOP";
    case NotifyEvent::kDeleted: return "DELETED";
    case NotifyEvent::kMasterRxLowerPriority: return "MASTER_RX_LOWER_PRI";
    case NotifyEvent::kPriorityChanged: return "PRIORITY";
  }
  return "UNKNOWN";
}

namespace {

using std::chrono::microseconds;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

std::string_view GratuitousReasonName(GratuitousReason r) {
  switch (r) {
    case GratuitousReason::kBecameMaster:
      return "master";
    case GratuitousReason::kMasterDelay:
      return "master_delay";
    case GratuitousReason::kRefresh:
      return "refresh";
    case GratuitousReason::kExtraInterfaces:
      return "extra_if";
    case GratuitousReason::kLowerPriority:
      return "lower_prio";
    case GratuitousReason::kLowerPriorityDelay:
      return "lower_prio_delay";
  }
  return "?";
}

uint8_t ClampBackupPriority(uint8_t p) { return std::clamp<uint8_t>(p, 1, kMaxBackupPriority); }

}  // namespace

std::string_view StateName(State state) {
  switch (state) {
    case State::kInit:
      return "INIT";
    case State::kBackup:
      return "BACKUP";
    case State::kMaster:
      return "MASTER";
    case State::kFault:
      return "FAULT";
    case State::kStop:
      return "STOP";
  }
  return "?";
}

std::string ActionToString(const Action& action, TimePoint now) {
  return std::visit(
      Overloaded{
          [](const SendAdvert& a) { return "send_advert " + std::to_string(a.priority); },
          [](const BecomeMaster& a) {
            return "become_master from " + std::string(StateName(a.from));
          },
          [](const BecomeBackup& a) {
            return "become_backup from " + std::string(StateName(a.from)) +
                   (a.late ? " (late)" : "");
          },
          [](const EnterFault& a) { return "enter_fault from " + std::string(StateName(a.from)); },
          [](const AddVips&) { return std::string("add_vips"); },
          [](const RemoveVips&) { return std::string("remove_vips"); },
          [](const SendGratuitous& a) {
            return "send_gratuitous " + std::string(GratuitousReasonName(a.reason)) + " " +
                   std::to_string(a.count);
          },
          [now](const SetTimer& a) {
            const auto us = std::chrono::duration_cast<microseconds>(a.deadline - now).count();
            return "set_timer " + std::string(us >= 0 ? "+" : "") + std::to_string(us) + "us";
          },
          [](const CancelTimer&) { return std::string("cancel_timer"); },
          [](const Notify& a) {
            return "notify " + std::string(NotifyWord(a.event)) + " " +
                   std::to_string(a.priority);
          },
          [](const WantMaster&) { return std::string("want_master"); },
      },
      action);
}

StateMachine::StateMachine(const Params& params)
    : params_(params),
      effective_priority_(params.priority),
      master_adver_int_(params.advert_interval) {}

microseconds StateMachine::SkewTime() const {
  const int64_t weight = 256 - int64_t{effective_priority_};
  if (params_.version == Version::kV2) return microseconds(weight * 1'000'000 / 256);
  const int64_t centis = master_adver_int_.count() / 10'000;
  return microseconds(weight * centis * 625 / 16);
}

bool StateMachine::MissedMastership(TimePoint now) const {
  if (state_ != State::kMaster || params_.timer_expired_backup == 0 || !last_advert_sent_)
    return false;
  // keepalived's bound: 3 advert intervals and the skew time of the highest other priority
  // (v2: in 256ths of a second; v3: of the advert interval).
  const int64_t weight = 256 - int64_t{params_.timer_expired_backup};
  const microseconds skew = params_.version == Version::kV2
                                ? microseconds(weight * 1'000'000 / 256)
                                : microseconds(weight * params_.advert_interval.count() / 256);
  return now >= *last_advert_sent_ + 3 * params_.advert_interval + skew;
}

microseconds StateMachine::MasterDownInterval() const {
  return int64_t{params_.down_timer_adverts} * master_adver_int_ + SkewTime();
}

std::optional<TimePoint> StateMachine::wakeup() const {
  std::optional<TimePoint> w;
  for (const auto& t : {protocol_deadline_, garp_delay_at_, lower_prio_garp_at_}) {
    if (t && (!w || *t < *w)) w = t;
  }
  return w;
}

bool StateMachine::IgnoresAdverts() const {
  return params_.owner_ignore_adverts && effective_priority_ == kOwnerPriority;
}

bool StateMachine::ShouldCheckAdvertAddresses(const model::IpAddress& source) const {
  if (!params_.skip_check_adv_addr || state_ == State::kMaster) return true;
  return source != master_address_;
}

int StateMachine::CompareWithOurAddress(const model::IpAddress& source) const {
  const model::IpAddress& ours = params_.primary_address;
  if (source.family() != ours.family()) return 0;
  if (source == ours) return 0;
  return source > ours ? 1 : -1;
}

std::vector<Action> StateMachine::Handle(const Event& event, TimePoint now) {
  std::vector<Action> out;
  if (state_ == State::kStop) return out;
  // As keepalived checks before it runs anything once it finds its loop overdue: the
  // master steps down first, then the event is handled as a backup would handle it.
  if (MissedMastership(now)) GoBackup(now, out, /*late=*/true);
  std::visit(Overloaded{
                 [&](const Startup& st) { OnStartup(st, now, out); },
                 [&](const AdvertReceived& a) { OnAdvert(a, now, out); },
                 [&](const TimerExpired&) { OnTimer(now, out); },
                 [&](const PriorityChanged& p) { OnPriority(p.priority, out); },
                 [&](const Fault& f) { OnFault(f.on, now, out); },
                 [&](const Shutdown&) { OnShutdown(out); },
                 [&](const SyncMaster&) {
                   if (state_ == State::kBackup && !faulted_ && !held_) GoMaster(now, out);
                 },
                 [&](const SyncBackup&) {
                   if (state_ == State::kMaster) GoBackup(now, out);
                 },
                 [&](const Hold& h) { OnHold(h.on, now, out); },
                 [&](const HoldPreemption& h) { preemption_held_ = h.on; },
                 [&](const StepDown&) { OnStepDown(now, out); },
             },
             event);
  SyncTimer(out);
  return out;
}

void StateMachine::SyncTimer(std::vector<Action>& out) {
  const std::optional<TimePoint> w = wakeup();
  if (w == emitted_wakeup_) return;
  emitted_wakeup_ = w;
  if (w) {
    out.push_back(SetTimer{*w});
  } else {
    out.push_back(CancelTimer{});
  }
}

void StateMachine::OnStartup(const Startup& startup, TimePoint now, std::vector<Action>& out) {
  if (state_ != State::kInit) return;
  if (startup.delay_until && *startup.delay_until > now) delayed_start_until_ = startup.delay_until;
  if (faulted_) {
    out.push_back(EnterFault{State::kInit});
    state_ = State::kFault;
    out.push_back(Notify{NotifyEvent::kFault, effective_priority_});
    return;
  }
  const bool owner_master = params_.start_as_master && params_.priority == kOwnerPriority;
  if (owner_master && !delayed_start_until_ && !held_) {
    GoMaster(now, out);
    return;
  }
  GoBackup(now, out);
  if (delayed_start_until_) {
    // keepalived: the owner's down timer is 1 us, the others' a whole interval, both from
    // the end of the delay.
    protocol_deadline_ = *delayed_start_until_ + (owner_master ? microseconds(0) : MasterDownInterval());
  }
}

void StateMachine::GoMaster(TimePoint now, std::vector<Action>& out) {
  out.push_back(BecomeMaster{state_});
  state_ = State::kMaster;
  wants_master_ = true;
  yielding_ = false;
  master_adver_int_ = params_.advert_interval;
  // The advert goes first so that the old master drops the VIPs before our GARPs.
  out.push_back(SendAdvert{effective_priority_});
  last_advert_sent_ = now;
  out.push_back(AddVips{});
  if (params_.garp_master_repeat > 0) {
    out.push_back(SendGratuitous{GratuitousReason::kBecameMaster, params_.garp_master_repeat});
  }
  out.push_back(Notify{NotifyEvent::kMaster, effective_priority_});
  protocol_deadline_ = now + params_.advert_interval;
  garp_delay_at_.reset();
  if (params_.garp_master_delay.count() > 0 && params_.garp_master_repeat > 0) {
    garp_delay_at_ = now + params_.garp_master_delay;
  }
  garp_refresh_at_.reset();
  if (params_.garp_master_refresh.count() > 0) garp_refresh_at_ = now + params_.garp_master_refresh;
  garp_extra_at_.reset();
  if (params_.garp_extra_if.count() > 0) garp_extra_at_ = now + params_.garp_extra_if;
}

void StateMachine::GoBackup(TimePoint now, std::vector<Action>& out, bool late) {
  const State from = state_;
  out.push_back(BecomeBackup{from, late});
  state_ = State::kBackup;
  wants_master_ = false;
  if (from == State::kMaster) out.push_back(RemoveVips{});
  out.push_back(Notify{NotifyEvent::kBackup, effective_priority_});
  if (from != State::kMaster) master_adver_int_ = params_.advert_interval;
  preempt_until_.reset();
  ClearMasterTimers();
  protocol_deadline_ = now + MasterDownInterval();
}

void StateMachine::GoFault(std::vector<Action>& out) {
  const State from = state_;
  out.push_back(EnterFault{from});
  state_ = State::kFault;
  wants_master_ = false;
  if (from == State::kMaster) {
    out.push_back(SendAdvert{kStopPriority});
    out.push_back(RemoveVips{});
  }
  out.push_back(Notify{NotifyEvent::kFault, effective_priority_});
  protocol_deadline_.reset();
  ClearMasterTimers();
}

void StateMachine::ClearMasterTimers() {
  garp_delay_at_.reset();
  lower_prio_garp_at_.reset();
  garp_refresh_at_.reset();
  garp_extra_at_.reset();
}

void StateMachine::SendMasterAdvert(TimePoint now, std::vector<Action>& out) {
  out.push_back(SendAdvert{effective_priority_});
  last_advert_sent_ = now;
  protocol_deadline_ = now + params_.advert_interval;
}

void StateMachine::OnTimer(TimePoint now, std::vector<Action>& out) {
  emitted_wakeup_.reset();  // the shell's timer has fired: always re-arm it
  if (state_ == State::kMaster) {
    if (garp_delay_at_ && now >= *garp_delay_at_) {
      out.push_back(SendGratuitous{GratuitousReason::kMasterDelay, params_.garp_master_repeat});
      garp_delay_at_.reset();
    }
    if (lower_prio_garp_at_ && now >= *lower_prio_garp_at_) {
      out.push_back(
          SendGratuitous{GratuitousReason::kLowerPriorityDelay, params_.garp_lower_prio_repeat});
      lower_prio_garp_at_.reset();
    }
  }
  if (!protocol_deadline_ || now < *protocol_deadline_) return;
  if (delayed_start_until_ && now >= *delayed_start_until_) delayed_start_until_.reset();
  if (state_ == State::kBackup && delayed_start_until_) {
    protocol_deadline_ = *delayed_start_until_;  // no takeover before the start delay ends
    return;
  }
  if (state_ == State::kBackup) {
    if (held_) {
      // Maintenance: no mastership whatever is heard; look again a down interval later.
      protocol_deadline_ = now + MasterDownInterval();
      return;
    }
    if (params_.sync_member) {
      // Held back by the group: ask, and wait a whole down interval more (as keepalived).
      wants_master_ = true;
      protocol_deadline_ = now + MasterDownInterval();
      out.push_back(WantMaster{});
      return;
    }
    GoMaster(now, out);
  } else if (state_ == State::kMaster) {
    SendMasterAdvert(now, out);
    if (garp_refresh_at_ && now >= *garp_refresh_at_) {
      out.push_back(SendGratuitous{GratuitousReason::kRefresh, params_.garp_master_refresh_repeat});
      garp_refresh_at_ = now + params_.garp_master_refresh;
    }
    if (garp_extra_at_ && now >= *garp_extra_at_) {
      out.push_back(SendGratuitous{GratuitousReason::kExtraInterfaces, 1});
      garp_extra_at_ = now + params_.garp_extra_if;
    }
  }
}

void StateMachine::OnAdvert(const AdvertReceived& advert, TimePoint now, std::vector<Action>& out) {
  if (IgnoresAdverts()) return;
  if (state_ == State::kBackup) {
    OnAdvertAsBackup(advert, now, out);
  } else if (state_ == State::kMaster) {
    OnAdvertAsMaster(advert, now, out);
  }
  // INIT and FAULT ignore adverts.
}

void StateMachine::OnAdvertAsBackup(const AdvertReceived& advert, TimePoint now,
                                    std::vector<Action>&) {
  if (advert.priority == kStopPriority) {
    // The master is leaving: take over after Skew_Time only.
    protocol_deadline_ = now + SkewTime();
    return;
  }
  const bool in_preempt_window =
      params_.preempt_delay.count() > 0 && (!preempt_until_ || *preempt_until_ > now);
  if (params_.nopreempt || held_ || preemption_held_ || yielding_ ||
      advert.priority >= effective_priority_ || in_preempt_window) {
    if (params_.version == Version::kV3) master_adver_int_ = advert.interval;
    master_address_ = advert.source;
    protocol_deadline_ = now + MasterDownInterval();
    wants_master_ = false;  // a master is heard: a member held back by its group gives up
    if (params_.preempt_delay.count() > 0) {
      if (advert.priority >= effective_priority_) {
        preempt_until_.reset();
      } else if (!preempt_until_) {
        preempt_until_ = now + params_.preempt_delay;
      }
    }
    return;
  }
  // A lower-priority master and we may preempt: ignore it and let the timer run out.
  master_address_ = advert.source;
}

void StateMachine::OnAdvertAsMaster(const AdvertReceived& advert, TimePoint now,
                                    std::vector<Action>& out) {
  const int cmp = CompareWithOurAddress(advert.source);
  const bool they_win =
      advert.priority > effective_priority_ || (advert.priority == effective_priority_ && cmp > 0);
  if (advert.priority == kStopPriority) {
    // Another master is leaving; make sure the backups hear from us at once.
    SendMasterAdvert(now, out);
    return;
  }
  if (they_win) {
    if (params_.higher_prio_send_advert) {
      out.push_back(SendAdvert{effective_priority_});
      last_advert_sent_ = now;
    }
    if (params_.version == Version::kV3) master_adver_int_ = advert.interval;
    GoBackup(now, out);
    master_address_ = advert.source;
    return;
  }
  if (advert.priority == effective_priority_ && cmp == 0) {
    // Equal priority from our own address (a loop, or a misconfigured twin): ignore.
    return;
  }
  // Lower priority (or equal with a lower address): reassert ourselves.
  if (!params_.lower_prio_no_advert) SendMasterAdvert(now, out);
  if (params_.garp_lower_prio_repeat > 0) {
    out.push_back(SendGratuitous{GratuitousReason::kLowerPriority, params_.garp_lower_prio_repeat});
    if (params_.garp_lower_prio_delay.count() > 0) {
      lower_prio_garp_at_ = now + params_.garp_lower_prio_delay;
    }
  }
  out.push_back(Notify{NotifyEvent::kMasterRxLowerPriority, effective_priority_});
}

void StateMachine::OnPriority(uint8_t priority, std::vector<Action>& out) {
  if (params_.priority == kOwnerPriority) return;  // an owner is never adjusted
  const uint8_t next = ClampBackupPriority(priority);
  if (next == effective_priority_) return;
  const microseconds old_down = MasterDownInterval();
  effective_priority_ = next;
  if (state_ == State::kBackup && protocol_deadline_) {
    // Keep the elapsed part of the running down timer; move its end by the skew change.
    *protocol_deadline_ += MasterDownInterval() - old_down;
  }
  if (params_.notify_priority_changes) {
    out.push_back(Notify{NotifyEvent::kPriorityChanged, effective_priority_});
  }
}

void StateMachine::OnFault(bool on, TimePoint now, std::vector<Action>& out) {
  if (on == faulted_) return;
  faulted_ = on;
  if (on) {
    if (state_ == State::kBackup || state_ == State::kMaster) GoFault(out);
  } else if (state_ == State::kFault) {
    GoBackup(now, out);  // always via BACKUP, with a full down timer
  }
}

void StateMachine::LeaveMastership(TimePoint now, std::vector<Action>& out) {
  out.push_back(SendAdvert{kStopPriority});
  GoBackup(now, out);
}

void StateMachine::OnHold(bool on, TimePoint now, std::vector<Action>& out) {
  if (on == held_) return;
  held_ = on;
  if (on) {
    if (state_ == State::kMaster) LeaveMastership(now, out);
    return;
  }
  // Back to the election: a full down timer, as on entering BACKUP.
  if (state_ == State::kBackup) protocol_deadline_ = now + MasterDownInterval();
}

void StateMachine::OnStepDown(TimePoint now, std::vector<Action>& out) {
  if (state_ != State::kMaster) return;
  LeaveMastership(now, out);
  yielding_ = true;
}

void StateMachine::OnShutdown(std::vector<Action>& out) {
  if (state_ == State::kMaster) {
    out.push_back(SendAdvert{kStopPriority});
    out.push_back(RemoveVips{});
  }
  state_ = State::kStop;
  out.push_back(Notify{NotifyEvent::kStop, effective_priority_});
  protocol_deadline_.reset();
  preempt_until_.reset();
  ClearMasterTimers();
}

}  // namespace vigil::vrrp

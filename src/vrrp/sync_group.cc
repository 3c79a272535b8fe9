#include "vrrp/sync_group.h"

namespace vigil::vrrp {

bool SyncGroup::MayGoMaster(Machines machines, size_t who) const {
  if (state_ == State::kMaster) return true;
  for (size_t i = 0; i < machines.size(); ++i) {
    if (i == who || machines[i] == nullptr) continue;
    if (!machines[i]->wants_master()) return false;
  }
  return true;
}

SyncGroup::Step SyncGroup::Follow(Machines machines, size_t who,
                                  const std::vector<Action>& actions, TimePoint now) {
  Step step;
  auto others = [&](const Event& event) {
    for (size_t i = 0; i < machines.size(); ++i) {
      if (i == who || machines[i] == nullptr) continue;
      std::vector<Action> acts = machines[i]->Handle(event, now);
      if (!acts.empty()) step.dispatches.push_back({i, std::move(acts)});
    }
  };
  for (const Action& a : actions) {
    if (std::holds_alternative<WantMaster>(a)) {
      if (!MayGoMaster(machines, who)) continue;
      // The member goes first (its BecomeMaster then takes the others along).
      std::vector<Action> acts = machines[who]->Handle(SyncMaster{}, now);
      if (!acts.empty()) step.dispatches.push_back({who, std::move(acts)});
    } else if (std::holds_alternative<BecomeMaster>(a)) {
      if (state_ == State::kMaster || !MayGoMaster(machines, who)) continue;
      state_ = State::kMaster;
      step.group_changed = state_;
      others(SyncMaster{});
    } else if (const auto* b = std::get_if<BecomeBackup>(&a); b && b->from == State::kMaster) {
      if (state_ == State::kBackup) continue;
      state_ = State::kBackup;
      step.group_changed = state_;
      others(SyncBackup{});
    }
  }
  return step;
}

std::optional<State> SyncGroup::Settle(Machines machines) {
  bool any = false, fault = false, all_master = true;
  for (StateMachine* m : machines) {
    if (m == nullptr) continue;
    if (m->state() == State::kInit) return std::nullopt;  // not every member has started
    any = true;
    if (m->state() == State::kFault) fault = true;
    if (m->state() != State::kMaster) all_master = false;
  }
  if (!any) return std::nullopt;
  State next = state_;
  if (fault) next = State::kFault;
  else if (all_master) next = State::kMaster;
  else if (state_ == State::kInit || state_ == State::kFault) next = State::kBackup;
  if (next == state_) return std::nullopt;
  state_ = next;
  return state_;
}

}  // namespace vigil::vrrp

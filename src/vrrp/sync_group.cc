#include "vrrp/sync_group.h"

#include <algorithm>

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

std::optional<State> SyncGroup::Begin(Machines machines) {
  if (state_ != State::kInit) return std::nullopt;
  bool any = false, owners = true;
  for (StateMachine* m : machines) {
    if (m == nullptr) continue;
    if (m->faulted()) return std::nullopt;
    any = true;
    if (!m->params().start_as_master || m->params().priority != kOwnerPriority) owners = false;
  }
  if (!any) return std::nullopt;
  state_ = owners ? State::kMaster : State::kBackup;
  if (owners) return std::nullopt;
  return state_;
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

void SyncGroups::Configure(const std::vector<SyncGroupSpec>& specs) {
  std::map<std::string, Group> next;
  for (const auto& s : specs) {
    auto it = groups_.find(s.name);
    if (it != groups_.end() && it->second.spec.members == s.members) {
      next[s.name] = {s, it->second.group};
      continue;
    }
    next[s.name] = {s, SyncGroup()};
  }
  groups_ = std::move(next);
}

std::vector<StateMachine*> SyncGroups::MachinesOf(const Group& g) const {
  std::vector<StateMachine*> out;
  for (const auto& m : g.spec.members) out.push_back(machine_of_(m));
  return out;
}

void SyncGroups::Follow(const std::string& group, const std::string& member,
                        const std::vector<Action>& actions, TimePoint now,
                        const Dispatch& dispatch) {
  auto g = groups_.find(group);
  if (g == groups_.end()) return;
  const auto& members = g->second.spec.members;
  auto who = std::find(members.begin(), members.end(), member);
  if (who == members.end()) return;
  std::vector<StateMachine*> machines = MachinesOf(g->second);
  SyncGroup::Step step =
      g->second.group.Follow(machines, size_t(who - members.begin()), actions, now);
  for (auto& d : step.dispatches) dispatch(members[d.member], d.actions);
  if (step.group_changed) on_changed_(g->second.spec, *step.group_changed);
  if (auto st = g->second.group.Settle(machines)) on_changed_(g->second.spec, *st);
}

void SyncGroups::Begin() {
  for (auto& [name, g] : groups_)
    if (auto st = g.group.Begin(MachinesOf(g))) on_changed_(g.spec, *st);
}

void SyncGroups::Settle() {
  for (auto& [name, g] : groups_)
    if (auto st = g.group.Settle(MachinesOf(g))) on_changed_(g.spec, *st);
}

void SyncGroups::ForEach(const std::function<void(const SyncGroupSpec&)>& f) const {
  for (const auto& [name, g] : groups_) f(g.spec);
}

std::optional<State> SyncGroups::StateOf(const std::string& name) const {
  auto it = groups_.find(name);
  if (it == groups_.end()) return std::nullopt;
  return it->second.group.state();
}

}  // namespace vigil::vrrp

// SyncGroup: one vrrp_sync_group as keepalived 2.2.7 runs it, pure. The engine drives the
// members' state machines and performs their actions; after each batch of actions it asks
// the group what the other members must do. No sockets, no clock reads.
//
// keepalived's rules (vrrp_sync.c, vrrp_scheduler.c):
// - A member whose down timer runs out wants to be master (WantMaster) but goes only when
//   the group is MASTER already or every other member wants to be master too; otherwise
//   it stays BACKUP and waits a whole down interval more (StateMachine does that). A
//   member that hears a master again gives up wanting. So a group goes MASTER only when
//   every member's master has gone silent, never because one of them has.
// - A member that becomes MASTER takes every other member to MASTER with it.
// - A member that leaves MASTER for BACKUP (a higher-priority advert) takes the other
//   masters back to BACKUP, without priority-0 adverts.
// - A member's own fault puts every member in FAULT (the engine delivers Fault to each);
//   when the last fault clears, every member goes BACKUP.
//
// Not thread-safe; driven from the engine's loop.
#ifndef VIGIL_VRRP_SYNC_GROUP_H_
#define VIGIL_VRRP_SYNC_GROUP_H_

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vrrp/instance_spec.h"
#include "vrrp/state_machine.h"

namespace vigil::vrrp {

class SyncGroup {
 public:
  // The members' state machines, in the order of the group's `group { }` list; nullptr
  // for a member that is not running (it is left out, as keepalived drops it).
  using Machines = std::span<StateMachine* const>;

  // What the other members must do after a member's actions.
  struct Dispatch {
    size_t member = 0;             // index into Machines
    std::vector<Action> actions;   // already applied to that member's machine
  };
  struct Step {
    std::vector<Dispatch> dispatches;
    std::optional<State> group_changed;  // the group's new state, when it changed
  };

  // Starts in INIT: the first Settle() after the members have started gives its state.
  SyncGroup() = default;

  // INIT, BACKUP, MASTER or FAULT.
  State state() const { return state_; }

  // Returns whether member `who` may become master now: the group is MASTER, or every
  // other running member wants to be master (StateMachine::wants_master).
  bool MayGoMaster(Machines machines, size_t who) const;

  // Member `who` has just produced `actions` (the engine performed them). Returns what the
  // other members do as a consequence (their machines have handled the sync event), and
  // the group's new state if it changed.
  Step Follow(Machines machines, size_t who, const std::vector<Action>& actions, TimePoint now);

  // Before the members start (keepalived 2.2.7's vrrp_init_state): a group no member of
  // which is faulted already goes MASTER, silently, when every member is an address owner
  // that starts MASTER, else BACKUP; a group with a faulted member stays INIT, Settle
  // gives it FAULT once the members have started. Returns BACKUP when the group went BACKUP
  // (it says so before its members' first states), else nothing. Only from INIT.
  std::optional<State> Begin(Machines machines);

  // Re-derives the group's state from its members' (after start, faults and reloads):
  // FAULT while any member is in FAULT, MASTER when every member is master, BACKUP when
  // leaving INIT or FAULT otherwise; nothing while a member has not started. Returns the
  // new state if it changed.
  std::optional<State> Settle(Machines machines);

 private:
  State state_ = State::kInit;
};

// SyncGroups: the engine's vrrp_sync_groups by name — each group's configuration and its
// SyncGroup, kept across a reload while its members are the same. It finds the members'
// state machines by instance name; the engine performs what it dispatches and reports a
// group's changes of state. Pure but for the callbacks; not thread-safe.
class SyncGroups {
 public:
  // The state machine of running instance `name`; nullptr when it is not running.
  using MachineOf = std::function<StateMachine*(const std::string& name)>;
  // A group's state changed to `state`.
  using Changed = std::function<void(const SyncGroupSpec& group, State state)>;
  // Member `name` must perform `actions` (its machine has handled them already).
  using Dispatch = std::function<void(const std::string& name, const std::vector<Action>&)>;

  SyncGroups(MachineOf machine_of, Changed on_changed)
      : machine_of_(std::move(machine_of)), on_changed_(std::move(on_changed)) {}

  // Keeps the groups whose members are unchanged (their state with them), starts the others.
  void Configure(const std::vector<SyncGroupSpec>& specs);
  // The answer of group `group` to the `actions` of its member `member` (keepalived's sync
  // rules): the other members' actions go to `dispatch`, then the group's new state, if
  // any, to Changed. Nothing for a group or member not configured.
  void Follow(const std::string& group, const std::string& member,
              const std::vector<Action>& actions, TimePoint now, const Dispatch& dispatch);
  // Gives every group its state before the members start (SyncGroup::Begin); a group
  // that goes BACKUP goes to Changed.
  void Begin();
  // Re-derives every group's state from its members' (SyncGroup::Settle).
  void Settle();
  // Calls `f` with each group's configuration, by name.
  void ForEach(const std::function<void(const SyncGroupSpec&)>& f) const;
  // The state of group `name`; nullopt when it is not configured.
  std::optional<State> StateOf(const std::string& name) const;

 private:
  struct Group {
    SyncGroupSpec spec;
    SyncGroup group;
  };
  std::vector<StateMachine*> MachinesOf(const Group& g) const;

  MachineOf machine_of_;
  Changed on_changed_;
  std::map<std::string, Group> groups_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_SYNC_GROUP_H_

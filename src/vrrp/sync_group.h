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
#include <optional>
#include <span>
#include <string>
#include <vector>

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

  // Re-derives the group's state from its members' (after start, faults and reloads):
  // FAULT while any member is in FAULT, MASTER when every member is master, BACKUP when
  // leaving INIT or FAULT otherwise; nothing while a member has not started. Returns the
  // new state if it changed.
  std::optional<State> Settle(Machines machines);

 private:
  State state_ = State::kInit;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_SYNC_GROUP_H_

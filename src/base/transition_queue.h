// TransitionQueue: the notifications of one source (a VRRP instance, a real server, a
// virtual server's quorum) waiting to run, bounded and coalesced. Pure logic, no I/O.
//
// A transition is a group of items (the scripts one event runs, in order). Groups start in
// the order they were pushed and a started group always runs to its end, so the
// transitions that are delivered are delivered in order. Only waiting groups are dropped:
// - a state change (MASTER, BACKUP, FAULT, STOP; up, down) makes every waiting group stale
//   and is itself queued only if it differs from the state of the last group that started
//   (a flap that comes back to where the running script left it delivers nothing more);
//   a state change with no items is reached at once (it still makes later ones count);
// - an event that is not a state change (PRIORITY, MASTER_RX_LOWER_PRI) replaces a waiting
//   event of its own kind;
// - at most `max_waiting` groups wait; beyond that the oldest waiting group is dropped.
// So a flapping source never builds a backlog: at most one state change waits, the latest.
#ifndef VIGIL_BASE_TRANSITION_QUEUE_H_
#define VIGIL_BASE_TRANSITION_QUEUE_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vigil {

template <typename T>
class TransitionQueue {
 public:
  explicit TransitionQueue(size_t max_waiting = 4) : max_waiting_(max_waiting) {}

  // Queues a transition of `kind` (a state word when `is_state`) running `items` in order.
  // Returns the number of transitions dropped as stale, counting this one if it was not
  // queued.
  size_t Push(std::string kind, bool is_state, std::vector<T> items) {
    size_t dropped = 0;
    if (is_state) {
      dropped = waiting_.size();
      waiting_.clear();
      if (items.empty()) {  // nothing to run: reached at once
        last_state_ = std::move(kind);
        return dropped;
      }
      if (last_state_ && *last_state_ == kind) return dropped + 1;
    } else {
      for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (it->kind == kind) {
          it = waiting_.erase(it);
          ++dropped;
        } else {
          ++it;
        }
      }
    }
    if (items.empty()) return dropped;
    waiting_.push_back(Group{std::move(kind), is_state, {items.begin(), items.end()}});
    while (waiting_.size() > max_waiting_) {
      waiting_.pop_front();
      ++dropped;
    }
    return dropped;
  }

  // Returns the next item to run: the rest of the started group, else the first item of the
  // next waiting group (which thereby starts); nullopt when nothing is left.
  std::optional<T> Next() {
    if (current_.empty()) {
      if (waiting_.empty()) return std::nullopt;
      Group g = std::move(waiting_.front());
      waiting_.pop_front();
      if (g.is_state) last_state_ = g.kind;
      current_ = std::move(g.items);
    }
    T item = std::move(current_.front());
    current_.pop_front();
    return item;
  }

  // Returns the number of items not yet started (of the started group and the waiting ones).
  size_t pending() const {
    size_t n = current_.size();
    for (const Group& g : waiting_) n += g.items.size();
    return n;
  }
  // Returns the number of transitions waiting to start.
  size_t waiting() const { return waiting_.size(); }

 private:
  struct Group {
    std::string kind;
    bool is_state = false;
    std::deque<T> items;
  };

  size_t max_waiting_;
  std::deque<T> current_;                 // the rest of the started group
  std::deque<Group> waiting_;
  std::optional<std::string> last_state_;  // the state of the last group that started
};

}  // namespace vigil

#endif  // VIGIL_BASE_TRANSITION_QUEUE_H_

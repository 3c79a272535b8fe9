// LinkDebounce: interface_up_down_delays, keepalived's debouncing of link changes. A link
// that goes down (or up) counts as down (up) for VRRP only once it has stayed so for the
// interface's delay; one that comes back before the delay ends changes nothing. Pure: it
// is fed each interface's raw state with the time, and says when to come back.
//
// keepalived's rules (keepalived_netlink.c, update_interface_flags):
//   - the first state seen of an interface (start, creation, re-creation under its name)
//     counts at once, and so does every change until the interface has been seen up once;
//   - an interface that is deleted counts as down at once;
//   - a pending change is not restarted by more notifications in the same direction, and
//     is cancelled when the link returns to the state that counts.
#ifndef VIGIL_VRRP_LINK_DEBOUNCE_H_
#define VIGIL_VRRP_LINK_DEBOUNCE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vigil::vrrp {

struct UpDownDelays {
  std::chrono::microseconds down{0};
  std::chrono::microseconds up{0};
  friend bool operator==(const UpDownDelays&, const UpDownDelays&) = default;
};

// Returns `d` limited for an instance on the interface, as keepalived limits it so that a
// backup does not take over before a faulting master leaves: with down_timer_adverts 1 no
// delay at all; otherwise the down delay at most (down_timer_adverts - 1) × advert_int less
// advert_int / 256 (an up delay equal to the down delay follows it).
UpDownDelays CapDelays(UpDownDelays d, uint32_t down_timer_adverts,
                       std::chrono::microseconds advert_int);

// Returns `d` in seconds as the logs write delays ("%g": 0.5, 2, 1e-06).
std::string FormatDelay(std::chrono::microseconds d);

class LinkDebounce {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Sets the delays of every interface (none: changes count at once). Pending changes
  // keep their deadlines.
  void SetDelays(std::map<std::string, UpDownDelays> delays) { delays_ = std::move(delays); }
  // Limits interface `name`'s delays with CapDelays; returns whether they were lowered.
  bool Cap(const std::string& name, uint32_t down_timer_adverts,
           std::chrono::microseconds advert_int);
  // Returns the delays of `name` now (zero when it has none).
  UpDownDelays DelaysOf(const std::string& name) const;

  // Reports interface `name`'s raw state at `now`: `usable` (exists, IFF_UP and
  // IFF_RUNNING); `fresh` when this is the first state of the interface that now has the
  // name (it appeared, or was re-created). Returns true if the state that counts changed.
  bool Observe(const std::string& name, bool usable, bool fresh, TimePoint now);
  // Reports that interface `name` was deleted: down at once. Returns true if the state
  // that counts changed.
  bool Remove(const std::string& name);
  // Makes the pending changes due at `now` count; returns the names whose state changed.
  std::vector<std::string> Expire(TimePoint now);
  // Returns the earliest deadline of a pending change, if any.
  std::optional<TimePoint> NextDeadline() const;

  // Returns the state that counts for `name` (false for an interface never seen).
  bool Usable(const std::string& name) const;
  // Returns whether `name` has been observed (and not removed since).
  bool Knows(const std::string& name) const { return links_.count(name) != 0; }
  // Returns whether a change of `name` waits for its delay.
  bool Pending(const std::string& name) const;

 private:
  struct Link {
    bool usable = false;   // the state that counts
    bool seen_up = false;  // usable once since it appeared
    std::optional<TimePoint> deadline;  // a pending change to !usable
  };
  std::map<std::string, UpDownDelays> delays_;
  std::map<std::string, Link> links_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_LINK_DEBOUNCE_H_

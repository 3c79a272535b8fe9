#include "vrrp/link_debounce.h"

#include <cstdio>

namespace vigil::vrrp {

std::string FormatDelay(std::chrono::microseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(d.count()) / 1e6);
  return buf;
}

UpDownDelays CapDelays(UpDownDelays d, uint32_t down_timer_adverts,
                       std::chrono::microseconds advert_int) {
  if (down_timer_adverts <= 1) return {};
  const auto max = (down_timer_adverts - 1) * advert_int - advert_int / 256;
  if (d.down > max) {
    if (d.up == d.down) d.up = max;
    d.down = max;
  }
  return d;
}

bool LinkDebounce::Cap(const std::string& name, uint32_t down_timer_adverts,
                       std::chrono::microseconds advert_int) {
  auto it = delays_.find(name);
  if (it == delays_.end()) return false;
  UpDownDelays capped = CapDelays(it->second, down_timer_adverts, advert_int);
  if (capped == it->second) return false;
  it->second = capped;
  return true;
}

UpDownDelays LinkDebounce::DelaysOf(const std::string& name) const {
  auto it = delays_.find(name);
  return it == delays_.end() ? UpDownDelays{} : it->second;
}

bool LinkDebounce::Observe(const std::string& name, bool usable, bool fresh, TimePoint now) {
  auto [it, added] = links_.try_emplace(name);
  Link& l = it->second;
  if (added || fresh) {
    const bool changed = !added && l.usable != usable;
    l = Link{usable, usable, std::nullopt};
    return changed || (added && usable);
  }
  if (usable == l.usable) {
    l.deadline.reset();  // back before the delay ended: nothing happened
    return false;
  }
  if (l.deadline) return false;  // already waiting for this change
  const UpDownDelays d = DelaysOf(name);
  const auto delay = usable ? d.up : d.down;
  if (l.seen_up && delay.count() > 0) {
    l.deadline = now + delay;
    return false;
  }
  l.usable = usable;
  l.seen_up = l.seen_up || usable;
  return true;
}

bool LinkDebounce::Remove(const std::string& name) {
  auto it = links_.find(name);
  if (it == links_.end()) return false;
  const bool changed = it->second.usable;
  links_.erase(it);
  return changed;
}

std::vector<std::string> LinkDebounce::Expire(TimePoint now) {
  std::vector<std::string> changed;
  for (auto& [name, l] : links_) {
    if (!l.deadline || *l.deadline > now) continue;
    l.deadline.reset();
    l.usable = !l.usable;
    l.seen_up = l.seen_up || l.usable;
    changed.push_back(name);
  }
  return changed;
}

std::optional<LinkDebounce::TimePoint> LinkDebounce::NextDeadline() const {
  std::optional<TimePoint> next;
  for (const auto& [name, l] : links_)
    if (l.deadline && (!next || *l.deadline < *next)) next = l.deadline;
  return next;
}

bool LinkDebounce::Usable(const std::string& name) const {
  auto it = links_.find(name);
  return it != links_.end() && it->second.usable;
}

bool LinkDebounce::Pending(const std::string& name) const {
  auto it = links_.find(name);
  return it != links_.end() && it->second.deadline.has_value();
}

}  // namespace vigil::vrrp

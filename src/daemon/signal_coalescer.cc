#include "daemon/signal_coalescer.h"

#include <algorithm>

namespace vigil::daemon {

bool SignalCoalescer::Arrive(const SignalArrival& arrival, TimePoint now) {
  std::erase_if(recent_, [&](const Recent& r) { return now - r.first > window_; });
  for (Recent& r : recent_) {
    if (r.signo != arrival.signo || r.sender != arrival.sender) continue;
    if (std::ranges::find(r.routes, arrival.route) != r.routes.end()) continue;
    r.routes.push_back(arrival.route);
    return false;
  }
  recent_.push_back({arrival.signo, arrival.sender, now, {arrival.route}});
  return true;
}

}  // namespace vigil::daemon

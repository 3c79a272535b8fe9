#include "daemon/signal_coalescer.h"

#include <signal.h>

#include <algorithm>

namespace vigil::daemon {

RoutedSignal RouteOf(const ReceivedSignal& received, std::span<const EnginePid> engines) {
  RoutedSignal out{{received.signo, received.sender, 0}, ""};
  if (received.code != SI_QUEUE) return out;
  for (const auto& e : engines) {
    if (e.pid <= 0 || e.pid != received.sender) continue;
    out.arrival.sender = received.value;
    out.arrival.route = received.sender;
    out.engine = std::string(e.name);
  }
  return out;
}

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

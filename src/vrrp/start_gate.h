// StartGate: vrrp_startup_delay / vrrp_delay_after_boot at the VRRP engine's start. It reads
// the uptime when vrrp_delay_after_boot needs it, works the delay out once (StartupDelay,
// vrrp/startup_delay.h) and logs its start and end; instances started before the end take
// over no earlier than it (set once, at start, as keepalived). Not thread-safe.
#ifndef VIGIL_VRRP_START_GATE_H_
#define VIGIL_VRRP_START_GATE_H_

#include <optional>

#include <asio/steady_timer.hpp>

#include "base/clock.h"
#include "vrrp/instance_spec.h"

namespace vigil::vrrp {

class StartGate {
 public:
  explicit StartGate(asio::io_context& io) : timer_(io) {}

  // Starts the delay `spec` asks for (none: nothing).
  void Begin(const VrrpSpec& spec);
  // Returns the end of the delay (nullopt: none), which StateMachine's Startup takes.
  std::optional<TimePoint> until() const { return until_; }

 private:
  asio::steady_timer timer_;
  std::optional<TimePoint> until_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_START_GATE_H_

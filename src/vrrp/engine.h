// The VRRP engine: runs every vrrp_instance of the configuration on one event loop —
// adverts on raw sockets, VIPs through rtnetlink, gratuitous ARP / unsolicited NA,
// tracking (interfaces, scripts, files), notifications — driving the pure StateMachine
// of each instance. VRRP timers are exact asio timers; nothing else runs in this process.
#ifndef VIGIL_VRRP_ENGINE_H_
#define VIGIL_VRRP_ENGINE_H_

#include <memory>
#include <optional>
#include <string>

#include "control/engine.h"

namespace asio {
class io_context;
}

namespace vigil::vrrp {

struct EngineOptions {
  // -V: leave VIPs in place when stopping.
  bool dont_release_vips = false;
  // The daemon's config id (-i), which names its accept-mode filter table.
  std::optional<std::string> config_id;
};

// Returns the VRRP engine on `io`.
std::unique_ptr<control::Engine> MakeEngine(asio::io_context& io, EngineOptions options);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ENGINE_H_

// HealthCore: the pure wiring between shared probes and the virtual servers that consume them.
// The I/O shell (HealthEngine) feeds it probe results and forwards what it returns.
#ifndef VIGIL_CHECK_HEALTH_CORE_H_
#define VIGIL_CHECK_HEALTH_CORE_H_

#include <cstddef>
#include <vector>

#include "check/checker_state.h"
#include "check/probe_registry.h"
#include "check/types.h"
#include "check/virtual_server.h"

namespace vigil::check {

// One checker of a real server.
struct CheckerSpec {
  size_t real_server;  // index into VirtualServerConfig::real_servers
  ProbeSpec probe;
  CheckTiming timing;
};

struct VirtualServerSpec {
  VirtualServerConfig config;
  std::vector<CheckerSpec> checkers;
};

// What changed in one virtual server: the events to notify, in order, and the full desired
// destination list for the lb layer.
struct VsUpdate {
  size_t virtual_server;
  std::vector<Event> events;
  std::vector<Destination> desired;
  bool operator==(const VsUpdate&) const = default;
};

// Not thread-safe; owned by one event loop.
class HealthCore {
 public:
  // Adds a virtual server and registers its checkers' probes (identical probes are shared).
  // Returns its index. Must be called before Start().
  size_t AddVirtualServer(VirtualServerSpec spec);

  // Starts every virtual server; returns one update per virtual server, in order.
  std::vector<VsUpdate> Start();

  // Applies the result of shared probe `probe` and its retry outcome to every checker that
  // uses it. Returns an update for each virtual server whose events or destinations changed.
  std::vector<VsUpdate> Apply(size_t probe, const ProbeResult& result, const Outcome& outcome);

  const ProbeRegistry& registry() const { return registry_; }
  const VirtualServerState& virtual_server(size_t index) const { return servers_[index]; }
  size_t virtual_server_count() const { return servers_.size(); }

 private:
  ProbeRegistry registry_;
  std::vector<VirtualServerState> servers_;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_HEALTH_CORE_H_

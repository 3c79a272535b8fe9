// The supervisor: vigild's main process. It holds the pid file, the control socket and
// the metrics endpoint, forks one process per engine (VRRP; checkers + load balancer),
// respawns them with back-off, validates and distributes reloads, and stops them in order.
// It does no protocol work itself, so a crash or stall in one engine never touches the other.
#ifndef VIGIL_DAEMON_SUPERVISOR_H_
#define VIGIL_DAEMON_SUPERVISOR_H_

#include "daemon/engine.h"
#include "daemon/options.h"

namespace vigil::daemon {

struct EngineFactories {
  EngineFactory vrrp;   // VRRP instances, VIPs, tracking, notifications
  EngineFactory check;  // health checks and the kernel's load balancer
  EngineFactory bfd;    // BFD sessions (bfd_instance); their news go to the other two
};

// Runs vigild until it is stopped. Returns the process exit code.
int RunDaemon(const Options& options, const EngineFactories& factories);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_SUPERVISOR_H_

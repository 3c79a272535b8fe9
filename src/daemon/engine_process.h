// The main function of an engine process (forked by the supervisor): starts the engine on
// its own event loop with the configuration the supervisor checked, reports status to the
// supervisor, applies the configuration each kReload carries and stops gracefully on
// SIGTERM. An engine never reads the configuration files itself.
#ifndef VIGIL_DAEMON_ENGINE_PROCESS_H_
#define VIGIL_DAEMON_ENGINE_PROCESS_H_

#include <optional>
#include <string>
#include <vector>

#include "control/protocol.h"
#include "daemon/engine.h"
#include "daemon/options.h"
#include "model/config.h"

namespace vigil::daemon {

// Exit codes of an engine process as the supervisor reads them.
inline constexpr int kEngineExitOk = 0;         // stopped on request
inline constexpr int kEngineExitPermanent = 2;  // cannot run: do not respawn, stop vigild
inline constexpr int kEngineExitFailed = 1;     // failed: respawn (unless -R)

// Blocks the signals an engine process handles on its loop. The supervisor's child calls
// it right after the fork, so that a signal arriving before the loop runs waits for it
// instead of taking the default action (termination, for SIGUSR1 and the real-time ones).
void BlockEngineSignals();

// Runs engine `name` until it is stopped; returns the process exit code. `config` is the
// supervisor's model as it was at the fork (read, checked and resolved there: script
// programs, hmac key files); `supervisor_fd`
// is the engine's end of the status channel (owned from here on); `pid_file` is the
// engine's own locked pid file (empty: none); `restore` the runtime operations in force
// (Engine::Restore).
int RunEngineProcess(const std::string& name, const EngineFactory& factory, const Options& options,
                     const model::Config& config, int supervisor_fd, const std::string& pid_file,
                     const std::vector<control::Operation>& restore = {});

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_ENGINE_PROCESS_H_

// global_defs' startup_script and shutdown_script: the supervisor runs the first before any
// engine starts and the second once every engine has stopped, each bounded by its timeout,
// as keepalived's parent process runs them.
#ifndef VIGIL_DAEMON_START_STOP_SCRIPT_H_
#define VIGIL_DAEMON_START_STOP_SCRIPT_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "base/subprocess.h"
#include "model/config.h"

namespace asio {
class io_context;
}

namespace vigil::daemon {

// Returns the line logged when the `kind` script ("startup", "shutdown") `command` has
// ended as `end` says, `timeout` being its bound: "startup script X succeeded", "... failed:
// exit 3", "... was killed by signal 9", "... timed out after 10 s and was killed". Pure.
std::string StartStopScriptEnded(std::string_view kind, std::string_view command,
                                 const ExitInfo& end, std::chrono::milliseconds timeout);

// Runs `script` as the `kind` script on `io`: as the user PrepareScript gives it (its own,
// else script_user, else keepalived_script, else vigild's; under enable_script_security only
// a file no other user can change), in its own process group. At `timeout` the group gets
// SIGTERM, and SIGKILL 2 s later. Logs the start and the end, and calls `done` on `io`
// once the script has ended, or at once (logged) when it cannot be run.
void RunStartStopScript(asio::io_context& io, std::string_view kind,
                        const model::Script& script, std::chrono::milliseconds timeout,
                        const ScriptDefaults& defaults, std::function<void()> done);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_START_STOP_SCRIPT_H_

#include "daemon/start_stop_script.h"

#include <asio.hpp>

#include "base/log.h"

namespace vigil::daemon {

std::string StartStopScriptEnded(std::string_view kind, std::string_view command,
                                 const ExitInfo& end, std::chrono::milliseconds timeout) {
  std::string head = std::string(kind) + " script " + std::string(command);
  if (end.timed_out) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
    return head + " timed out after " + std::to_string(s) + " s and was killed";
  }
  if (end.ok()) return head + " succeeded";
  if (end.exited) return head + " failed: exit " + std::to_string(end.code);
  return head + " was killed by signal " + std::to_string(end.signal);
}

void RunStartStopScript(asio::io_context& io, std::string_view kind,
                        const model::Script& script, std::chrono::milliseconds timeout,
                        const ScriptDefaults& defaults, std::function<void()> done) {
  const std::string what = std::string(kind) + " script " + script.command;
  // PrepareScript refuses an empty command line (ForkExec would).
  Result<SpawnSpec> spec = PrepareScript(CommandArgv(script.command, script.program),
                                         script.real_program.value_or(""),
                                         script.user, script.group, defaults);
  if (spec) {
    spec->timeout = timeout;
    log::Info("running " + what);
    auto started = SpawnProcess(
        io, *spec,
        [kind = std::string(kind), command = script.command, timeout, done](const ExitInfo& e) {
          std::string line = StartStopScriptEnded(kind, command, e, timeout);
          if (e.ok()) log::Info(line);
          else log::Warning(line);
          done();
        });
    if (started) return;
    spec = std::unexpected(started.error());
  }
  log::Error(what + " not run: " + spec.error().ToString());
  asio::post(io, std::move(done));
}

}  // namespace vigil::daemon

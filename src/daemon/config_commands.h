// The configuration commands of vigild: `-t` (config test) and `--dump-config`.
#ifndef VIGIL_DAEMON_CONFIG_COMMANDS_H_
#define VIGIL_DAEMON_CONFIG_COMMANDS_H_

#include <functional>
#include <iosfwd>

#include "config/load.h"
#include "config/preprocessor.h"
#include "daemon/options.h"

namespace vigil::daemon {

// Returns the preprocessor options implied by the command line (config id, -e, ...).
config::PreprocessOptions PreprocessOptionsFrom(const Options& options);

// Whether loading moves the process into the configuration's network namespace.
enum class NetnsEntry {
  kStay,   // the process is where it belongs already (an engine, a reload)
  kEnter,  // enter `net_namespace` (or -s) before the system pass: start-up, -t
};

// Loads the configuration named by the command line (-s NAME overrides `net_namespace`, as
// in keepalived) and asks this host what `pass` says (kResolve: script commands found along
// PATH; kCheck: also interfaces, users, scripts). With kEnter, the process first enters the
// configuration's network namespace (/run/netns/NAME), so that the checks see its
// interfaces; a namespace that cannot be entered is a fatal diagnostic (keepalived's "cannot
// run", exit 4) and the system pass is skipped.
config::Loaded LoadFromOptions(const Options& options, config::SystemPass pass,
                               NetnsEntry netns = NetnsEntry::kStay);

// Loads the configuration, writes every diagnostic to `diag_out` and returns keepalived's
// config-test exit code (0 fine, 4 cannot run, 5 errors, 6 scripts without
// enable_script_security). System checks (interfaces, users, scripts) run against this host,
// in the configuration's network namespace (the process enters it, as keepalived -t does).
// `engine_checks` adds what only the engines know (e.g. what the load balancer here can
// express); it may be empty.
using EngineChecks = std::function<void(const model::Config&, config::Diagnostics&)>;
int RunConfigTest(const Options& options, std::ostream& diag_out,
                  const EngineChecks& engine_checks = {});

// Loads the configuration and writes the model as JSON to `json_out`; diagnostics go to
// `diag_out`. Returns 0, or 4 when the configuration cannot run (the model read so far is
// still printed).
int RunDumpConfig(const Options& options, std::ostream& json_out, std::ostream& diag_out);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_CONFIG_COMMANDS_H_

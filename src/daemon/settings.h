// The daemon's settings derived from the command line and the configuration: file
// locations, which engines run, logging. Pure functions except SetupLogging.
#ifndef VIGIL_DAEMON_SETTINGS_H_
#define VIGIL_DAEMON_SETTINGS_H_

#include <string>

#include "control/status.h"
#include "daemon/options.h"
#include "model/config.h"

namespace vigil::daemon {

inline constexpr char kVersionString[] = "0.1.0";

// Configures the process's log sink from -l / -G / -S / -D; `ident` names the process.
void SetupLogging(const Options& options, const std::string& ident);

// Returns the default pid file of `engine` ("" for the supervisor, "vrrp", "check"):
// /run/vigild.pid, /run/vigild_vrrp.pid, /run/vigild_check.pid; `instance NAME` adds
// "_NAME"; `use_pid_dir` or a network namespace moves them into /run/vigild/.
// (vigil's names differ from keepalived's so the two can run side by side.)
std::string DefaultPidFile(const std::string& engine, const model::Config& config);

// Returns the control socket path: global_defs `vigil_control_socket`, else
// /run/vigild.ctl (with the instance suffix).
std::string ControlSocketPath(const model::Config& config);

// Returns the group whose members may use the control socket (global_defs
// `vigil_control_group`), "" when only root may.
std::string ControlGroup(const model::Config& config);

// Returns the metrics listen address (global_defs `vigil_metrics_listen`), "" when off.
std::string MetricsListen(const model::Config& config);

// Returns where a dump goes: the global_defs keyword `keyword` if the configuration
// carries it, else `file_name` in keepalived's temporary directory: `tmpdir` (the
// environment's TMPDIR) when it is an absolute path, else /tmp.
std::string DumpPath(const model::Config& config, const std::string& keyword,
                     const std::string& file_name, const char* tmpdir);

// Whether the configuration gives the VRRP engine / the checker engine any work.
bool WantsVrrpEngine(const model::Config& config);
bool WantsCheckEngine(const model::Config& config);

// The SIGUSR1 data dump and the SIGUSR2 statistics dump, as readable text.
std::string RenderDataDump(const control::Status& status);
std::string RenderStatsDump(const control::Status& status);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_SETTINGS_H_

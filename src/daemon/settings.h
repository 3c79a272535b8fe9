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

// Returns the first global_defs setting `keyword` kept as written (Global::other), or null.
const model::RawSetting* FindGlobal(const model::Config& config, const std::string& keyword);

// vigil's pid directory (keepalived's is /run/keepalived).
inline constexpr char kPidDirectory[] = "/run/vigild";

// Returns the directory of the default pid files: /run; /run/vigild with `use_pid_dir` or
// `instance` (which implies it in keepalived); /run/vigild/NS in network namespace NS (keepalived's files appear at /run/keepalived/NS
// from outside; it bind-mounts that directory over /run/keepalived, vigil names it).
std::string RunDirectory(const model::Config& config);

// Returns the default pid file of `engine` ("" for the supervisor, "vrrp", "check") in
// RunDirectory: vigild.pid, vigild_vrrp.pid, vigild_check.pid; `instance NAME` adds "_NAME".
// (vigil's names differ from keepalived's so the two can run side by side.)
std::string DefaultPidFile(const std::string& engine, const model::Config& config);

// Returns the control socket path: global_defs `vigil_control_socket`, else
// /run/vigild.ctl; with `instance` or a network namespace, vigild.ctl with the instance
// suffix in RunDirectory (so daemons in different namespaces never share a socket).
std::string ControlSocketPath(const model::Config& config);

// Returns the first setting of `running` that a reload to `next` may not change (the
// keyword: "net_namespace", "net_namespace_ipvs", "instance"), "" when none; keepalived refuses those
// reloads too.
std::string UnreloadableChange(const model::Config& running, const model::Config& next);

// Returns the log ident of process `base` ("vigild", "vigild-vrrp"): keepalived appends
// "_NS" for its network namespace and "_INSTANCE" for `instance`.
std::string LogIdent(const std::string& base, const model::Config& config);

// Returns the group whose members may use the control socket (global_defs
// `vigil_control_group`), "" when only root may.
std::string ControlGroup(const model::Config& config);

// Returns the metrics listen address (global_defs `vigil_metrics_listen`), "" when off.
std::string MetricsListen(const model::Config& config);

// Returns where a dump goes, by keepalived's rule for its state dump file: `configured`
// (state_dump_file, stats_dump_file or json_dump_file) names the file; ending in '/', a
// directory for `file_name`; not starting with '/', only its last component counts, in the
// temporary directory. That directory (also without `configured`) is `tmpdir` (the
// environment's TMPDIR) when it is an absolute path, else /tmp. With data_use_instance,
// ".NS_INSTANCE" (".NS", ".INSTANCE") goes before the name's last '.' (or at its end).
std::string DumpPath(const model::Config& config, const std::optional<std::string>& configured,
                     const std::string& file_name, const char* tmpdir);

// Whether the configuration gives the VRRP engine / the checker engine any work.
bool WantsVrrpEngine(const model::Config& config);
bool WantsCheckEngine(const model::Config& config);
bool WantsBfdEngine(const model::Config& config);

// The SIGUSR1 data dump and the SIGUSR2 statistics dump, as readable text.
std::string RenderDataDump(const control::Status& status);
std::string RenderStatsDump(const control::Status& status);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_SETTINGS_H_

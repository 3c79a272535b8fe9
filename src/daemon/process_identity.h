// What global_defs says about a vigild process itself, as keepalived applies it to its
// own: the file creation mask (`umask`, overridden by -u) and the process name
// (`process_name`, `vrrp_process_name`, `checker_process_name`, `process_names`). Pure
// functions from the model, and one that applies them.
#ifndef VIGIL_DAEMON_PROCESS_IDENTITY_H_
#define VIGIL_DAEMON_PROCESS_IDENTITY_H_

#include <sys/types.h>

#include <string>

#include "daemon/options.h"
#include "model/config.h"

namespace vigil::daemon {

// keepalived's file creation mask when neither -u nor `umask` gives one: rw------- files.
inline constexpr mode_t kDefaultUmask = 0177;

// Returns the umask vigild's processes run with: -u, else global_defs `umask`, else
// kDefaultUmask.
mode_t EffectiveUmask(const Options& options, const model::Config& config);

// Returns the mode of a file vigild creates for its users (the dumps) under `mask`:
// rw-rw-rw- less the mask, as keepalived's.
mode_t CreatedFileMode(mode_t mask);

// Returns the name of process `who` ("" the supervisor, "vrrp", "check"): the configured one
// (process_name, vrrp_process_name, checker_process_name), else vigil's: vigild,
// vigild-vrrp, vigild-check.
std::string ProcessName(const model::Config& config, const std::string& who);

// Sets this process's umask (EffectiveUmask) and name (ProcessName for `who`, through
// prctl PR_SET_NAME) for `config`; at start and on reload.
void ApplyProcessIdentity(const Options& options, const model::Config& config,
                          const std::string& who);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_PROCESS_IDENTITY_H_

// The open-file limit (RLIMIT_NOFILE) each vigild process needs for its configuration, as
// keepalived raises its own: a checker with 10,000 probes must not fail with EMFILE
// because the unit's default soft limit is 1024.
#ifndef VIGIL_DAEMON_FILE_LIMIT_H_
#define VIGIL_DAEMON_FILE_LIMIT_H_

#include <sys/resource.h>

#include <cstdint>
#include <string>

#include "base/error.h"
#include "model/config.h"

namespace vigil::daemon {

// Descriptors a process keeps whatever its configuration: stdio, the loop, signalfd,
// timers, netlink, log, pid file, channel, and room for what a count leaves out.
inline constexpr uint64_t kFileLimitBase = 64;

// Returns the descriptors process `who` needs for `config`: "" (the supervisor: its two
// listeners at their connection caps), "vrrp" (sockets and script children per instance,
// tracked scripts and files) or "check" (a socket and a child's pidfd per check, per
// virtual server, notify scripts), each plus kFileLimitBase. Pure.
uint64_t FileLimitNeeded(const model::Config& config, const std::string& who);

// Returns the limit to set so that `needed` descriptors fit: `current` unchanged when it
// suffices, else soft = needed and hard = max(hard, needed). Pure.
rlimit RaisedFileLimit(rlimit current, uint64_t needed);

// Raises the limit for process `who` (see FileLimitNeeded) and logs what it did: the new
// limit when it changed, a warning when it could not be raised.
void ApplyFileLimit(const model::Config& config, const std::string& who);

// Raises this process's RLIMIT_NOFILE to fit `needed` (never lowers it); without the
// privilege to raise the hard limit, raises the soft one to the hard one. Returns the limit
// now in force (which may be short of `needed`), or why it could not be raised.
Result<rlimit> RaiseFileLimit(uint64_t needed);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_FILE_LIMIT_H_

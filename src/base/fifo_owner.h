// A notify FIFO vigild creates, as keepalived 2.2.7's fifo_open makes it: mode 0644 less the
// process's umask, and the owner the user (and group, else the user's primary group)
// `*notify_fifo PATH [USER [GROUP]]` names, or the default script user (script_user, else
// keepalived_script if it exists, else vigild's own).
#ifndef VIGIL_BASE_FIFO_OWNER_H_
#define VIGIL_BASE_FIFO_OWNER_H_

#include <optional>
#include <string>

#include "base/error.h"
#include "base/subprocess.h"

namespace vigil {

// Creates the FIFO `path` with mode 0644 less the umask (keepalived's). Returns true if
// it made it, false if `path` already existed; fails on any other error.
Result<bool> MakeFifo(const std::string& path);

// Gives the FIFO `path`, just created, its owner: chowns the uid and the gid that differ
// from this process's own. Fails when the owner does not resolve or chown fails.
Result<void> SetFifoOwner(const std::string& path, const std::optional<std::string>& user,
                          const std::optional<std::string>& group, const ScriptDefaults& defaults,
                          const UserResolver& resolve = LookupUser);

}  // namespace vigil

#endif  // VIGIL_BASE_FIFO_OWNER_H_

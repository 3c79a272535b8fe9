// The owner of a notify FIFO vigild creates, as keepalived 2.2.7 gives it: the user (and
// group, else the user's primary group) `*notify_fifo PATH [USER [GROUP]]` names, or the
// default script user (script_user, else keepalived_script if it exists, else vigild's own).
#ifndef VIGIL_BASE_FIFO_OWNER_H_
#define VIGIL_BASE_FIFO_OWNER_H_

#include <optional>
#include <string>

#include "base/error.h"
#include "base/subprocess.h"

namespace vigil {

// Gives the FIFO `path`, just created, its owner: chowns the uid and the gid that differ
// from this process's own. Fails when the owner does not resolve or chown fails.
Result<void> SetFifoOwner(const std::string& path, const std::optional<std::string>& user,
                          const std::optional<std::string>& group, const ScriptDefaults& defaults,
                          const UserResolver& resolve = LookupUser);

}  // namespace vigil

#endif  // VIGIL_BASE_FIFO_OWNER_H_

#include "base/fifo_owner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace vigil {

Result<bool> MakeFifo(const std::string& path) {
  if (::mkfifo(path.c_str(), S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH) == 0) return true;
  if (errno == EEXIST) return false;
  return FailErrno("mkfifo " + path);
}

Result<void> SetFifoOwner(const std::string& path, const std::optional<std::string>& user,
                          const std::optional<std::string>& group, const ScriptDefaults& defaults,
                          const UserResolver& resolve) {
  const std::pair<uid_t, gid_t> self{::getuid(), ::getgid()};
  auto owner = ResolveScriptUser(user, group, defaults, resolve, self);
  if (!owner) return std::unexpected(owner.error());
  if (*owner == self) return {};
  const uid_t uid = owner->first != self.first ? owner->first : static_cast<uid_t>(-1);
  const gid_t gid = owner->second != self.second ? owner->second : static_cast<gid_t>(-1);
  if (::chown(path.c_str(), uid, gid) != 0) return FailErrno("chown " + path);
  return {};
}

}  // namespace vigil

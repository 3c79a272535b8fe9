// System checks: a pass over a built model that asks the running system whether what
// the configuration names exists (interfaces, users, script files), and the resolution of
// script commands along PATH.
#ifndef VIGIL_CONFIG_SYSTEM_CHECK_H_
#define VIGIL_CONFIG_SYSTEM_CHECK_H_

#include <optional>
#include <string>

#include "config/diagnostics.h"
#include "model/config.h"

namespace vigil::config {

// The questions the checks ask; tests inject a fake.
class SystemInfo {
 public:
  enum class FileState { kMissing, kNotExecutable, kExecutable };

  // The start of a file that holds a secret, as read for auth_hmac keys.
  struct SecretFile {
    std::string head;        // at most `limit` bytes of the file
    bool complete = false;   // the read reached the end of the file within `limit`
    unsigned mode = 0;       // st_mode of the open file
  };

  virtual ~SystemInfo() = default;
  // Returns true if a network interface called `name` exists.
  virtual bool InterfaceExists(const std::string& name) const = 0;
  // Returns the link type (ARPHRD_*) of interface `name`, nullopt if it does not exist.
  virtual std::optional<unsigned> LinkType(const std::string& name) const = 0;
  // Returns true if the user `name` exists.
  virtual bool UserExists(const std::string& name) const = 0;
  // Returns true if the group `name` exists.
  virtual bool GroupExists(const std::string& name) const = 0;
  // Returns whether `path` is missing, a non-executable file or an executable file.
  virtual FileState Executable(const std::string& path) const = 0;
  // Returns why running `program` as root is unsafe (a non-root user could change it),
  // or nullopt.
  virtual std::optional<std::string> ScriptInsecurity(const std::string&) const {
    return std::nullopt;
  }
  // Returns the search path for commands without a '/' (keepalived's: $PATH, else the C
  // library's default path).
  virtual std::string CommandPath() const = 0;
  // Returns the file `name` (no '/') runs along CommandPath(), or nullopt if none.
  virtual std::optional<std::string> FindCommand(const std::string& name) const = 0;
  // Returns `path` with every symlink, "." and ".." resolved (realpath(3)), or nullopt if
  // it cannot be resolved (missing).
  virtual std::optional<std::string> RealPath(const std::string& path) const = 0;
  // Returns the first `limit` bytes of the file at `path`, whether that was all of it,
  // and its mode; nullopt if it cannot be opened for reading.
  virtual std::optional<SecretFile> ReadSecretFile(const std::string& path,
                                                   size_t limit) const = 0;
};

// The host's answers: if_nametoindex(3), getpwnam_r(3), getgrnam_r(3), access(2).
class HostSystemInfo final : public SystemInfo {
 public:
  bool InterfaceExists(const std::string& name) const override;
  std::optional<unsigned> LinkType(const std::string& name) const override;
  bool UserExists(const std::string& name) const override;
  bool GroupExists(const std::string& name) const override;
  FileState Executable(const std::string& path) const override;
  std::optional<std::string> ScriptInsecurity(const std::string& program) const override;
  std::string CommandPath() const override;
  std::optional<std::string> FindCommand(const std::string& name) const override;
  std::optional<std::string> RealPath(const std::string& path) const override;
  std::optional<SecretFile> ReadSecretFile(const std::string& path,
                                           size_t limit) const override;
};

// Sets `program` of every script in `config` (vrrp_script, notify, MISC_CHECK, FIFO,
// quorum and start-up scripts): its command's first word, searched along
// system.CommandPath() when it has no '/', as keepalived resolves a script once when it
// loads the configuration. A command that is not found stays unresolved (CheckSystem
// reports it). Without use_symlink_paths, also `real_program`, where system.RealPath of
// `program` differs from it: what a symlink names now is what runs until the next load.
void ResolveCommands(model::Config& config, const SystemInfo& system);

// Adds a diagnostic to `diags` for each interface, user, group or script the configuration
// names that `system` does not have, at the item's configured location, graded as
// keepalived -t grades it:
//   interface 'eth9' does not exist                 warning (keepalived: exit 5)
//   (VRRP) interface 'eth9' does not exist (the VRRP engine cannot start ...)
//                                                   fatal, unless dynamic_interfaces (exit 5)
//   user 'nobody2' does not exist (or group)        error (keepalived drops the script)
//   script '/x/y' does not exist                    warning; error for a vrrp_script
//   script 'x' is not found in PATH (/usr/bin:/bin) warning; error for a vrrp_script
//   script '/x/y' is not executable                 warning
// and marks `diags` when scripts exist without enable_script_security (exit 6).
// Expects ResolveCommands to have run on `config`.
void CheckSystem(const model::Config& config, const SystemInfo& system, Diagnostics& diags);

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_SYSTEM_CHECK_H_

// FakeSystem: a SystemInfo with the answers a test sets.
#ifndef VIGIL_TESTS_UNIT_CONFIG_FAKE_SYSTEM_H_
#define VIGIL_TESTS_UNIT_CONFIG_FAKE_SYSTEM_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "config/system_check.h"

namespace vigil::config {

class FakeSystem : public SystemInfo {
 public:
  std::set<std::string> interfaces{"eth0"};
  std::set<std::string> users{"root"};
  std::set<std::string> groups{"root"};
  std::set<std::string> executables{"/bin/true"};
  std::set<std::string> plain_files{"/etc/passwd"};

  std::map<std::string, unsigned> link_types{};  // ARPHRD_*; ARPHRD_ETHER when not listed
  bool InterfaceExists(const std::string& n) const override { return interfaces.count(n) > 0; }
  std::optional<unsigned> LinkType(const std::string& n) const override {
    if (!interfaces.count(n)) return std::nullopt;
    auto it = link_types.find(n);
    return it == link_types.end() ? 1u : it->second;  // 1 = ARPHRD_ETHER
  }
  bool UserExists(const std::string& n) const override { return users.count(n) > 0; }
  bool GroupExists(const std::string& n) const override { return groups.count(n) > 0; }
  std::set<std::string> insecure{};
  std::optional<std::string> ScriptInsecurity(const std::string& p) const override {
    if (insecure.count(p)) return "'" + p + "' is writable by every user";
    return std::nullopt;
  }
  FileState Executable(const std::string& p) const override {
    if (executables.count(p)) return FileState::kExecutable;
    if (plain_files.count(p)) return FileState::kNotExecutable;
    return FileState::kMissing;
  }
  std::string CommandPath() const override { return "/usr/bin:/bin"; }
  std::optional<std::string> FindCommand(const std::string& name) const override {
    for (const char* dir : {"/usr/bin/", "/bin/"})
      if (executables.count(dir + name)) return dir + name;
    return std::nullopt;
  }
  // Symlinks: path -> the file it names (RealPath); any other path is its own.
  std::map<std::string, std::string> symlinks;
  std::optional<std::string> RealPath(const std::string& path) const override {
    auto it = symlinks.find(path);
    return it == symlinks.end() ? path : it->second;
  }
  // Files that hold secrets: path -> (content, mode). Missing: cannot be opened.
  std::map<std::string, std::pair<std::string, unsigned>> secret_files;
  std::optional<SecretFile> ReadSecretFile(const std::string& path,
                                           size_t limit) const override {
    auto it = secret_files.find(path);
    if (it == secret_files.end()) return std::nullopt;
    const std::string& text = it->second.first;
    return SecretFile{text.substr(0, limit), text.size() <= limit, it->second.second};
  }
};

}  // namespace vigil::config

#endif  // VIGIL_TESTS_UNIT_CONFIG_FAKE_SYSTEM_H_

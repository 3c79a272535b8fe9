// FileSystem: the only route from the configuration front end to files, so tests can
// run the preprocessor on in-memory text.
#ifndef VIGIL_CONFIG_FILE_SYSTEM_H_
#define VIGIL_CONFIG_FILE_SYSTEM_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"

namespace vigil::config {

// Appends to `out` every csh-style expansion of the {a,b,...} groups in `pattern` (nested
// groups and `\` escapes honoured; a `{` without a matching `}` is literal). Returns false,
// stopping early, once `out` would hold more than `limit` names.
bool ExpandBraces(const std::string& pattern, std::vector<std::string>& out, size_t limit);

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Returns the whole content of the regular file at `path`.
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Returns the paths matching a shell glob `pattern` (with {a,b} braces), sorted;
  // empty if nothing matches.
  virtual std::vector<std::string> Glob(const std::string& pattern) = 0;
  // Returns a canonical identity for `path` (used to detect include loops).
  virtual std::string Canonical(const std::string& path) = 0;
  // Returns true if `path` has an execute bit (keepalived reads no such configuration file).
  virtual bool Executable(const std::string& path) = 0;
};

// The real file system (glob(3) with GLOB_BRACE, realpath(3)).
class RealFileSystem final : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::string& path) override;
  std::vector<std::string> Glob(const std::string& pattern) override;
  std::string Canonical(const std::string& path) override;
  bool Executable(const std::string& path) override;
};

// Files held in memory, keyed by absolute path; for tests and fuzzing.
class MemoryFileSystem final : public FileSystem {
 public:
  void Add(std::string path, std::string text) { files_[std::move(path)] = std::move(text); }
  // Adds a file with an execute bit.
  void AddExecutable(std::string path, std::string text) {
    executable_.insert(path);
    Add(std::move(path), std::move(text));
  }
  Result<std::string> ReadFile(const std::string& path) override;
  std::vector<std::string> Glob(const std::string& pattern) override;
  std::string Canonical(const std::string& path) override;
  bool Executable(const std::string& path) override;

 private:
  std::map<std::string, std::string> files_;
  std::set<std::string> executable_;
};

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_FILE_SYSTEM_H_

// Configuration diagnostics: graded values, printed one per line as
//   PATH:LINE:COL: error|warning: MESSAGE
// followed by the source line and a caret under the column.
#ifndef VIGIL_CONFIG_DIAGNOSTICS_H_
#define VIGIL_CONFIG_DIAGNOSTICS_H_

#include <string>
#include <vector>

#include "config/source.h"

namespace vigil::config {

enum class Severity {
  kFatal,    // the configuration cannot run (keepalived -t exit 3); printed as "error"
  kError,    // wrong, but the daemon would run, skipping it (exit 4); printed as "error"
  kWarning,  // accepted; worth the user's attention
};

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLoc loc;
  std::string message;
};

// keepalived's `-t` exit codes.
enum class CheckExit : int {
  kOk = 0,
  kFatal = 3,
  kErrors = 4,
  kScriptSecurity = 5,
};

// Collects the diagnostics of one configuration load, in the order they are found.
class Diagnostics {
 public:
  void Fatal(SourceLoc loc, std::string message);
  void Error(SourceLoc loc, std::string message);
  void Warning(SourceLoc loc, std::string message);
  void Add(Diagnostic d);

  // Records that scripts are configured while enable_script_security is off.
  void SetScriptsWithoutSecurity() { scripts_without_security_ = true; }

  const std::vector<Diagnostic>& all() const { return diags_; }
  bool HasFatal() const;
  bool HasErrors() const;  // fatal or error
  size_t CountWarnings() const;

  // Returns keepalived's `-t` exit code for what was collected.
  CheckExit ExitCode() const;

  // Formats one diagnostic (with source line and caret when the line is known).
  static std::string Format(const Diagnostic& d, const SourceFiles& files);
  // Formats all diagnostics, each ending with a newline.
  std::string FormatAll(const SourceFiles& files) const;

 private:
  std::vector<Diagnostic> diags_;
  bool scripts_without_security_ = false;
};

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_DIAGNOSTICS_H_

// Configuration diagnostics: graded values, printed one per line as
//   PATH:LINE:COL: error|warning: MESSAGE
// followed by the source line and a caret under the column.
#ifndef VIGIL_CONFIG_DIAGNOSTICS_H_
#define VIGIL_CONFIG_DIAGNOSTICS_H_

#include <string>
#include <vector>

#include "config/source.h"

namespace vigil::config {

// How vigil treats what a diagnostic reports.
enum class Severity {
  kFatal,    // vigild does not run this configuration; printed as "error"
  kError,    // wrong; the daemon would run, skipping it (a reload is refused); "error"
  kWarning,  // accepted; worth the user's attention
};

// What keepalived's `-t` makes of the same problem, which decides vigild -t's exit code.
// keepalived keeps the last-listed grade it met: any error outweighs "cannot run".
enum class Grade {
  kNone,       // keepalived says nothing, or only logs (a warning of vigil's own)
  kCannotRun,  // a missing configuration or included file (keepalived's exit 4)
  kError,      // a configuration error or warning of keepalived's (exit 5)
  kSecurity,   // keepalived's security error, e.g. a key file others can read (exit 6)
};

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLoc loc;
  std::string message;
  Grade grade = Grade::kError;
};

// keepalived's `-t` exit codes (2.2.7 and current upstream alike).
enum class CheckExit : int {
  kOk = 0,
  kCannotRun = 4,       // only "cannot run" problems (e.g. a missing configuration file)
  kErrors = 5,          // configuration errors (keepalived would run, skipping them)
  kScriptSecurity = 6,  // scripts without enable_script_security, or another security
                        // error (outweighs all)
};

// Collects the diagnostics of one configuration load, in the order they are found.
class Diagnostics {
 public:
  // A problem vigild does not run with; keepalived's grade is an error unless told.
  void Fatal(SourceLoc loc, std::string message, Grade grade = Grade::kError);
  void Error(SourceLoc loc, std::string message);
  // A warning; `grade` kError where keepalived -t reports the same as an error (exit 5).
  void Warning(SourceLoc loc, std::string message, Grade grade = Grade::kNone);
  void Add(Diagnostic d);

  // Records that scripts are configured while enable_script_security is off.
  void SetScriptsWithoutSecurity() { scripts_without_security_ = true; }

  const std::vector<Diagnostic>& all() const { return diags_; }
  bool HasFatal() const;
  bool HasErrors() const;  // fatal or error
  size_t CountWarnings() const;

  // Returns keepalived's `-t` exit code for what was collected: 6 if scripts run without
  // enable_script_security or a diagnostic is graded kSecurity, else 5 if any diagnostic is graded an error, else 4 if any is
  // graded "cannot run", else 0.
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

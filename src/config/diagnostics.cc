#include "config/diagnostics.h"

#include <algorithm>

namespace vigil::config {

void Diagnostics::Fatal(SourceLoc loc, std::string message, Grade grade) {
  Add({Severity::kFatal, loc, std::move(message), grade});
}
void Diagnostics::Error(SourceLoc loc, std::string message) {
  Add({Severity::kError, loc, std::move(message), Grade::kError});
}
void Diagnostics::Warning(SourceLoc loc, std::string message, Grade grade) {
  Add({Severity::kWarning, loc, std::move(message), grade});
}
void Diagnostics::Add(Diagnostic d) { diags_.push_back(std::move(d)); }

bool Diagnostics::HasFatal() const {
  return std::any_of(diags_.begin(), diags_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kFatal; });
}

bool Diagnostics::HasErrors() const {
  return std::any_of(diags_.begin(), diags_.end(),
                     [](const Diagnostic& d) { return d.severity != Severity::kWarning; });
}

size_t Diagnostics::CountWarnings() const {
  return std::count_if(diags_.begin(), diags_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::kWarning; });
}

CheckExit Diagnostics::ExitCode() const {
  auto graded = [this](Grade g) {
    return std::any_of(diags_.begin(), diags_.end(),
                       [g](const Diagnostic& d) { return d.grade == g; });
  };
  if (scripts_without_security_ || graded(Grade::kSecurity)) return CheckExit::kScriptSecurity;
  if (graded(Grade::kError)) return CheckExit::kErrors;
  if (graded(Grade::kCannotRun)) return CheckExit::kCannotRun;
  return CheckExit::kOk;
}

std::string Diagnostics::Format(const Diagnostic& d, const SourceFiles& files) {
  std::string out;
  if (d.loc.file != SourceLoc::kNoFile) {
    out += files.Path(d.loc.file);
    out += ':' + std::to_string(d.loc.line) + ':' + std::to_string(d.loc.column) + ": ";
  } else {
    out += "vigild: ";
  }
  out += d.severity == Severity::kWarning ? "warning: " : "error: ";
  out += d.message;
  out += '\n';
  std::string_view line = files.Line(d.loc.file, d.loc.line);
  if (!line.empty() && d.loc.column > 0) {
    out += line;
    out += '\n';
    // Keep tabs so that the caret lines up under the same column in a terminal.
    size_t col = std::min<size_t>(d.loc.column - 1, line.size());
    for (size_t i = 0; i < col; ++i) out += line[i] == '\t' ? '\t' : ' ';
    out += "^\n";
  }
  return out;
}

std::string Diagnostics::FormatAll(const SourceFiles& files) const {
  std::string out;
  for (const Diagnostic& d : diags_) out += Format(d, files);
  return out;
}

}  // namespace vigil::config

#include "check/misc_log.h"

#include <fmt/format.h>

namespace vigil::check {
namespace {

const char* Retries(unsigned n) { return n == 1 ? "retry" : "retries"; }

}  // namespace

std::optional<std::string> MiscLogLine(const ProbeResult& result, const Outcome& outcome,
                                       const MiscLogContext& c) {
  const std::string head =
      fmt::format("Misc check for [{} VS {}] by [{}]", c.real_server, c.virtual_server, c.script);
  if (result.ok) {
    if (outcome.transition != Transition::kUp && !c.first_result) return std::nullopt;
    return head + " succeeded.";
  }
  const bool decided = outcome.transition == Transition::kDown || outcome.first_result_down;
  if (!decided && !outcome.log_failure) return std::nullopt;
  std::string when;
  if (c.retry == 0) {
    when = " with retry disabled";
  } else if (decided) {
    when = fmt::format(" after {} {}", c.retry, Retries(c.retry));
  } else if (c.retry_it == 1) {
    when = fmt::format(", will do {} {}", c.retry, Retries(c.retry));
  } else {
    when = fmt::format(" on retry {}/{}", c.retry_it - 1, c.retry);
  }
  switch (result.failure) {
    case FailureKind::kTimedOut: return head + " timed out" + when + ".";
    case FailureKind::kExitStatus:
      return fmt::format("{} failed{} (exited with status {}).", head, when, result.code);
    case FailureKind::kSignal:
      return fmt::format("{} failed{} (due to signal {}).", head, when, result.code);
    default: return head + " failed" + when + ".";
  }
}

}  // namespace vigil::check

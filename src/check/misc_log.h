// The log line keepalived 2.2.7's MISC_CHECK writes for a result (check_misc.c):
// "Misc check for [RS VS VS] by [SCRIPT] failed after 1 retry (exited with status 3)." and its
// variants. Pure.
#ifndef VIGIL_CHECK_MISC_LOG_H_
#define VIGIL_CHECK_MISC_LOG_H_

#include <optional>
#include <string>
#include <string_view>

#include "check/checker_state.h"
#include "check/types.h"

namespace vigil::check {

// Where the result falls in the checker's life, as keepalived words it.
struct MiscLogContext {
  std::string_view real_server;     // "[10.0.1.2]:tcp:80"
  std::string_view virtual_server;  // "[10.0.0.1]:tcp:80"
  std::string_view script;          // the script's argv[0]
  unsigned retry = 0;               // the checker's retry
  unsigned retry_it = 0;            // the checker's retry counter after the result
  bool first_result = false;        // the checker's first result
};

// Returns the line keepalived logs for MISC_CHECK `result` with `outcome`, or nothing where it
// logs none: a success is logged when it brings the checker UP or is its first result
// ("succeeded."); a failure that decides DOWN always (", failed after N retries (exited with
// status S)." or " with retry disabled", "timed out" for a script stopped at its timeout,
// "(due to signal S)" for one killed); a failure that leads to a retry only under
// log_all_failures (", will do N retries", " on retry I/N").
std::optional<std::string> MiscLogLine(const ProbeResult& result, const Outcome& outcome,
                                       const MiscLogContext& context);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_MISC_LOG_H_

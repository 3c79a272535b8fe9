// global_defs reload_time_file: the time a file asks vigild to reload at, as keepalived reads
// it. Pure: the current time and the time zone (the process's TZ) are the only inputs.
//
// The file's first line is "HH:MM:SS", "YY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM:SS", local
// time, or UTC with a trailing 'Z'. A time of day already past means that time tomorrow; a
// date and time already past is refused.
#ifndef VIGIL_DAEMON_RELOAD_TIME_H_
#define VIGIL_DAEMON_RELOAD_TIME_H_

#include <ctime>
#include <string>
#include <string_view>

#include "base/error.h"

namespace vigil::daemon {

struct ReloadTime {
  std::time_t at = 0;           // when to reload
  bool date_specified = false;  // the line named a date, not just a time of day
};

// Returns the reload time written in `line` (without its newline), seen at `now`. Errors
// (kInvalidArgument) say why: "reload time 'X' is not HH:MM:SS, [YY]YY-MM-DD HH:MM:SS
// (Z: UTC)", "reload time 'X' does not exist" (such as 25:00:00, or a local time a
// daylight-saving change skips), "reload time 'X' is in the past".
Result<ReloadTime> ParseReloadTime(std::string_view line, std::time_t now);

// Returns whether the file is removed when its reload is due: always, except with
// reload_repeat for a time of day (read again after the reload, it names the next day).
bool RemoveReloadTimeFileWhenDue(const ReloadTime& time, bool repeat);

// Returns `t` as local "YYYY-MM-DD HH:MM:SS" (for the log).
std::string FormatLocalTime(std::time_t t);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_RELOAD_TIME_H_

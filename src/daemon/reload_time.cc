#include "daemon/reload_time.h"

namespace vigil::daemon {
namespace {

// Local or UTC broken-down time to time_t; normalises `tm` as mktime does.
std::time_t ToTime(std::tm& tm, bool utc) { return utc ? timegm(&tm) : std::mktime(&tm); }

}  // namespace

Result<ReloadTime> ParseReloadTime(std::string_view line, std::time_t now) {
  const std::string quoted = "reload time '" + std::string(line) + "'";
  std::string text(line);
  const bool utc = !text.empty() && text.back() == 'Z';
  if (utc) text.pop_back();
  const char* format = text.size() == 8    ? "%H:%M:%S"
                       : text.size() == 17 ? "%y-%m-%d %H:%M:%S"
                       : text.size() == 19 ? "%Y-%m-%d %H:%M:%S"
                                           : nullptr;
  std::tm tm{};
  if (utc) {
    gmtime_r(&now, &tm);
  } else {
    localtime_r(&now, &tm);
  }
  const char* end = format ? strptime(text.c_str(), format, &tm) : nullptr;
  if (end == nullptr || *end != '\0')
    return Fail(ErrorCode::kInvalidArgument,
                quoted + " is not HH:MM:SS, [YY]YY-MM-DD HH:MM:SS (Z: UTC)");
  tm.tm_isdst = -1;
  std::tm normal = tm;
  std::time_t at = ToTime(normal, utc);
  if (normal.tm_year != tm.tm_year || normal.tm_mon != tm.tm_mon ||
      normal.tm_mday != tm.tm_mday || normal.tm_hour != tm.tm_hour ||
      normal.tm_min != tm.tm_min || normal.tm_sec != tm.tm_sec)
    return Fail(ErrorCode::kInvalidArgument, quoted + " does not exist");
  const bool date_specified = text.size() != 8;
  if (at <= now) {
    if (date_specified) return Fail(ErrorCode::kInvalidArgument, quoted + " is in the past");
    tm.tm_mday += 1;  // that time tomorrow
    tm.tm_isdst = -1;
    at = ToTime(tm, utc);
  }
  return ReloadTime{.at = at, .date_specified = date_specified};
}

bool RemoveReloadTimeFileWhenDue(const ReloadTime& time, bool repeat) {
  return !repeat || time.date_specified;
}

std::string FormatLocalTime(std::time_t t) {
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

}  // namespace vigil::daemon

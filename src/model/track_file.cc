#include "model/track_file.h"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace vigil::model {

std::optional<int64_t> ParseTrackFileValue(std::string_view text) {
  const std::string buf(text.substr(0, kTrackFileReadLimit));  // NUL-terminated, bounded
  errno = 0;
  const long long v = std::strtoll(buf.c_str(), nullptr, 0);
  if (errno == ERANGE || v < INT32_MIN || v > int64_t{INT32_MAX} + 1) return std::nullopt;
  return v;
}

}  // namespace vigil::model

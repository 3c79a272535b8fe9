#include "vrrp/startup_delay.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace vigil::vrrp {

using std::chrono::microseconds;

std::optional<microseconds> ParseUptime(std::string_view text) {
  size_t i = 0;
  int64_t whole = 0;
  size_t digits = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, ++digits) {
    if (whole > (INT64_MAX / 10'000'000)) return std::nullopt;  // beyond any real uptime
    whole = whole * 10 + (text[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  int64_t micros = 0;
  if (i < text.size() && text[i] == '.') {
    int64_t scale = 100'000;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      micros += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  return microseconds(whole * 1'000'000 + micros);
}

microseconds StartupDelay(microseconds startup_delay, microseconds delay_after_boot,
                          std::optional<microseconds> uptime) {
  microseconds after_boot{0};
  if (uptime && *uptime < delay_after_boot) after_boot = delay_after_boot - *uptime;
  return std::max(startup_delay, after_boot);
}

}  // namespace vigil::vrrp

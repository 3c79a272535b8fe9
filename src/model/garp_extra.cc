#include "model/garp_extra.h"

#include <charconv>
#include <optional>

namespace vigil::model {

std::expected<GarpExtra, std::string> ParseGarpExtra(const std::vector<std::string>& args,
                                                     unsigned min) {
  GarpExtra out;
  std::optional<unsigned> delay;
  for (const std::string& a : args) {
    if (a == "all") {
      out.all = true;
      continue;
    }
    unsigned n = 0;
    auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), n);
    if (ec != std::errc() || end != a.data() + a.size() || n < min || n > kGarpExtraMaxDelay)
      return std::unexpected(a);
    delay = n;
  }
  if (!delay) return std::unexpected(std::string());
  out.interval = std::chrono::seconds(*delay);
  return out;
}

}  // namespace vigil::model

// garp_extra_if / vrrp_garp_extra_if `[DELAY] [all]`: what the words say, as keepalived
// 2.2.7 reads them (the builder diagnoses, the VRRP engine acts). Pure.
#ifndef VIGIL_MODEL_GARP_EXTRA_H_
#define VIGIL_MODEL_GARP_EXTRA_H_

#include <chrono>
#include <expected>
#include <string>
#include <vector>

namespace vigil::model {

struct GarpExtra {
  std::chrono::seconds interval{0};  // 0: off
  bool all = false;                  // every other interface, not only the VMACs of ours
  friend bool operator==(const GarpExtra&, const GarpExtra&) = default;
};

// The longest DELAY (one day).
inline constexpr unsigned kGarpExtraMaxDelay = 86400;

// Returns what `args` (`all` and DELAY, in any order) set; the error is the first word that
// is neither `all` nor a number of seconds from `min` to kGarpExtraMaxDelay, or "" when
// there is no number: keepalived then ignores the line.
std::expected<GarpExtra, std::string> ParseGarpExtra(const std::vector<std::string>& args,
                                                     unsigned min);

}  // namespace vigil::model

#endif  // VIGIL_MODEL_GARP_EXTRA_H_

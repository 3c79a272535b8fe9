#include "vrrp/tracking.h"

#include <algorithm>

namespace vigil::vrrp {
namespace {

constexpr int kFileFault = -254;
constexpr int kFileMax = 253;
// Bounds the file value so that value * weight cannot overflow; far beyond the clamp.
constexpr int64_t kFileValueBound = int64_t{1} << 40;

}  // namespace

int Contribution(const TrackedStatus& t) {
  const int sign = t.reverse ? -1 : 1;
  if (t.weight > 0) return t.ok ? t.weight * sign : 0;
  if (t.weight < 0) return t.ok ? 0 : t.weight * sign;
  return 0;
}

bool IsFault(const TrackedStatus& t) { return t.weight == 0 && t.ok == t.reverse; }

std::optional<int> FileContribution(const TrackedFile& f) {
  if (f.weight == 0) {
    if ((f.value != 0) != f.reverse) return std::nullopt;
    return 0;
  }
  const int64_t value = std::clamp(f.value, -kFileValueBound, kFileValueBound);
  const int64_t product = value * f.weight * (f.reverse ? -1 : 1);
  const int clamped = static_cast<int>(std::clamp<int64_t>(product, kFileFault, kFileMax));
  if (clamped == kFileFault) return std::nullopt;
  return clamped;
}

TrackingResult ComputeEffectivePriority(uint8_t base, std::span<const TrackedStatus> trackers,
                                        std::span<const TrackedFile> files) {
  TrackingResult r;
  r.total = base;
  for (const TrackedStatus& t : trackers) {
    if (IsFault(t)) r.fault = true;
    r.total += Contribution(t);
  }
  for (const TrackedFile& f : files) {
    const std::optional<int> c = FileContribution(f);
    if (!c) {
      r.fault = true;
    } else {
      r.total += *c;
    }
  }
  if (base == 255) {
    r.total = 255;
    r.effective = 255;
  } else {
    r.effective = static_cast<uint8_t>(std::clamp(r.total, 1, 254));
  }
  return r;
}

}  // namespace vigil::vrrp

// Effective priority from tracked objects (keepalived's vrrp_track.c rules), pure.
// The caller keeps each tracker's current status and recomputes after any change,
// then feeds the result to the state machine as PriorityChanged and Fault events.
#ifndef VIGIL_VRRP_TRACKING_H_
#define VIGIL_VRRP_TRACKING_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vigil::vrrp {

// A tracked interface, script, process or BFD session: up/OK or down/failed.
struct TrackedStatus {
  // -253..253 (keepalived's range). 0: a failure puts the instance in FAULT.
  int weight = 0;
  // Flips the sense: a positive weight subtracts while OK, a negative one adds while
  // failed; with weight 0, being OK is the fault.
  bool reverse = false;
  bool ok = true;
};

// A track_file: the file holds a number that, times the weight, adjusts the priority.
struct TrackedFile {
  int weight = 1;        // -254..254; 0 = fault when the value is non-zero
  bool reverse = false;  // negates the product (weight 0: fault when the value is zero)
  int64_t value = 0;
};

// Returns the priority adjustment of `t` (0 for weight 0): +w while OK for a positive
// weight, -|w| while failed for a negative one; `reverse` negates it.
int Contribution(const TrackedStatus& t);
// Returns whether `t` forces FAULT (weight 0 and failed, or OK when reversed).
bool IsFault(const TrackedStatus& t);
// Returns the adjustment of `f`, value * weight (negated if reversed) clamped to
// -254..253, or nullopt when it forces FAULT (the clamped result is -254, or weight 0
// with a non-zero value / a zero value when reversed).
std::optional<int> FileContribution(const TrackedFile& f);

struct TrackingResult {
  bool fault = false;     // some tracker forces FAULT
  // Which, as the caller names them (Trackers::Evaluate; ComputeEffectivePriority leaves
  // it empty).
  std::vector<std::string> faults;
  int total = 0;          // base + every adjustment, unclamped
  uint8_t effective = 0;  // total clamped to 1..254; 255 for an owner
};

// Returns the effective priority for the configured `base` priority and the trackers.
// An owner (base 255) keeps 255 whatever the weights, but still faults.
TrackingResult ComputeEffectivePriority(uint8_t base, std::span<const TrackedStatus> trackers,
                                        std::span<const TrackedFile> files = {});

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_TRACKING_H_

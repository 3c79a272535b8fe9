// Throttle: lets something through at most once per interval — a log line about a flood of
// the same event (one bad advert a millisecond must not become a log line a millisecond).
// Pure: the time is passed in.
#ifndef VIGIL_BASE_THROTTLE_H_
#define VIGIL_BASE_THROTTLE_H_

#include <optional>

#include "base/clock.h"

namespace vigil {

class Throttle {
 public:
  explicit Throttle(Duration interval) : interval_(interval) {}

  // Returns true, and starts a new interval at `now`, the first time and whenever the last
  // pass is at least one interval before `now`; false otherwise.
  bool Pass(TimePoint now) {
    if (last_ && now - *last_ < interval_) return false;
    last_ = now;
    return true;
  }

 private:
  Duration interval_;
  std::optional<TimePoint> last_;
};

}  // namespace vigil

#endif  // VIGIL_BASE_THROTTLE_H_

// Clock: the only source of time for vigil's engines, injected so tests can drive it.
#ifndef VIGIL_BASE_CLOCK_H_
#define VIGIL_BASE_CLOCK_H_

#include <chrono>

namespace vigil {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// Reads std::chrono::steady_clock.
class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told to; for tests.
class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  void Advance(Duration d) { now_ += d; }
  void Set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_{std::chrono::seconds(1000)};
};

}  // namespace vigil

#endif  // VIGIL_BASE_CLOCK_H_

// CheckerState: the pure retry state machine of one health checker (keepalived's
// is_up / has_run / retry_it), driven by probe results. No I/O, no clock.
#ifndef VIGIL_CHECK_CHECKER_STATE_H_
#define VIGIL_CHECK_CHECKER_STATE_H_

#include <cstdint>
#include <random>

#include "base/clock.h"
#include "check/types.h"

namespace vigil::check {

// keepalived waits this long after start-up before the first probe, on top of the warmup.
inline constexpr Duration kBootstrapDelay = std::chrono::seconds(1);

// A source of random numbers, injected so tests can fix the warmup.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Returns a number uniformly distributed in [0, max] (inclusive).
  virtual uint64_t Uniform(uint64_t max) = 0;
};

// A RandomSource over a std::mt19937_64 seeded from std::random_device.
class DefaultRandomSource final : public RandomSource {
 public:
  DefaultRandomSource();
  uint64_t Uniform(uint64_t max) override;

 private:
  std::mt19937_64 engine_;
};

// Returns kBootstrapDelay plus a random delay in [0, warmup].
Duration FirstProbeDelay(Duration warmup, RandomSource& random);

enum class Transition {
  kNone,
  kUp,    // the checker went from DOWN to UP
  kDown,  // the checker went from UP to DOWN
};

// What a probe result did to the checker.
struct Outcome {
  Transition transition = Transition::kNone;
  Duration next_delay{};  // when to probe next, counted from the end of this probe
  // True on the first result of a checker that was already DOWN and stays DOWN (alpha mode):
  // keepalived reports the real server's (down) state once at that point.
  bool first_result_down = false;
  // True if this failed attempt should be logged although nothing changed (log_all_failures
  // and the checker is UP).
  bool log_failure = false;
  unsigned retries_done = 0;  // retries used before this decision (for "failed after N retries")
  bool operator==(const Outcome&) const = default;
};

// Retry logic of one checker. Not thread-safe; owned by one event loop.
class CheckerState {
 public:
  explicit CheckerState(const CheckTiming& timing);

  // Applies the result of one probe attempt and returns what changed and when to probe next:
  //  - success: the retry counter is reset; a DOWN checker goes UP; next in delay_loop;
  //  - failure of an UP checker (or of one that has not run yet): retried after
  //    delay_before_retry until `retry` retries are used, then DOWN and next in delay_loop
  //    (the very first result is decided at once: one failure is enough at start);
  //  - failure of a DOWN checker: nothing changes; next in delay_loop.
  // With timing.confirm_recovery (HTTP_GET / SSL_GET), as keepalived's HTTP checker: a
  // failure that decides DOWN leaves a known failed url; the next success only clears it
  // (the checker stays DOWN; next in delay_loop, at once with fast_recovery) and the one
  // after brings it UP. While DOWN with no failed url known, a failure is probed again
  // after delay_before_retry (at once with fast_recovery); with one known, after the longer
  // of delay_loop and delay_before_retry.
  Outcome OnResult(bool success);

  // Forces the state (e.g. carried over a reload). Does not count as a run.
  void SetUp(bool up) { up_ = up; }

  bool up() const { return up_; }
  bool has_run() const { return has_run_; }
  // Whether a failed url is known (confirm_recovery only).
  bool failed_url() const { return failed_url_; }
  unsigned retry_count() const { return retry_it_; }
  const CheckTiming& timing() const { return timing_; }

 private:
  CheckTiming timing_;
  bool up_;
  bool has_run_ = false;
  bool failed_url_ = false;
  unsigned retry_it_;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_CHECKER_STATE_H_

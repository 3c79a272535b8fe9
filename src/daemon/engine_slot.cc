#include "daemon/engine_slot.h"

#include <algorithm>

#include <asio.hpp>

#include "base/log.h"

namespace vigil::daemon {

struct EngineSlot::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

EngineSlot::EngineSlot(asio::io_context& io, std::string name, StartFn start, WantedFn wanted,
                       Backoff backoff)
    : name_(std::move(name)),
      start_(std::move(start)),
      wanted_(std::move(wanted)),
      backoff_(backoff),
      timer_(std::make_unique<Timer>(io)),
      next_delay_(backoff.min) {}

EngineSlot::~EngineSlot() = default;

bool EngineSlot::StartNow() {
  if (pid_) return true;
  CancelRetry();
  Result<pid_t> started = start_();
  if (started) {
    pid_ = *started;
    started_ = Clock::now();
    ++starts_;
    last_error_.clear();
  } else {
    ++start_failures_;
    last_error_ = started.error().ToString();
    Clock::duration delay = NextDelay();
    log::Error("cannot start engine " + name_ + ": " + last_error_ + "; retrying in " +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()) +
               " ms");
    Schedule(delay);
  }
  if (on_change_) on_change_();
  return pid_ != 0;
}

EngineSlot::Clock::duration EngineSlot::Ended(const std::string& how, bool restart) {
  pid_ = 0;
  last_error_ = how;
  Clock::duration delay{};
  if (restart) {
    if (Clock::now() - started_ > backoff_.stable_run) next_delay_ = backoff_.min;
    delay = NextDelay();
    Schedule(delay);
  }
  if (on_change_) on_change_();
  return delay;
}

void EngineSlot::CancelRetry() {
  retry_pending_ = false;
  timer_->timer.cancel();
}

bool EngineSlot::retry_pending() const { return retry_pending_; }

control::EngineStatus EngineSlot::Status() const {
  control::EngineStatus s;
  s.name = name_;
  s.running = pid_ != 0;
  s.pid = pid_;
  s.starts = starts_;
  s.start_failures = start_failures_;
  s.last_error = last_error_;
  if (retry_pending_)
    s.retry_in_s = std::max(0.0, std::chrono::duration<double>(retry_at_ - Clock::now()).count());
  return s;
}

EngineSlot::Clock::duration EngineSlot::NextDelay() {
  Clock::duration delay = next_delay_;
  next_delay_ = std::min<Clock::duration>(next_delay_ * 2, backoff_.max);
  return delay;
}

void EngineSlot::Schedule(Clock::duration delay) {
  retry_pending_ = true;
  retry_at_ = Clock::now() + delay;
  timer_->timer.expires_after(delay);
  timer_->timer.async_wait([this](std::error_code ec) {
    if (ec || !retry_pending_) return;
    retry_pending_ = false;
    if (pid_ || (wanted_ && !wanted_())) return;
    StartNow();
  });
}

}  // namespace vigil::daemon

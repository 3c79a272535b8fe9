// EngineSlot: one engine process as the supervisor keeps it alive. It starts the process
// through an injected function, and whenever a start fails (fork or socketpair: EMFILE,
// EAGAIN, ENOMEM) or the process ends, it schedules the next start with back-off, so that
// no single failure loses an engine for good. Single-threaded: on the supervisor's loop.
#ifndef VIGIL_DAEMON_ENGINE_SLOT_H_
#define VIGIL_DAEMON_ENGINE_SLOT_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "control/status.h"

namespace asio {
class io_context;
}

namespace vigil::daemon {

struct Backoff {
  std::chrono::steady_clock::duration min = std::chrono::seconds(1);
  std::chrono::steady_clock::duration max = std::chrono::seconds(30);
  // A process that ran this long before it ended restarts after `min` again.
  std::chrono::steady_clock::duration stable_run = std::chrono::seconds(60);
};

class EngineSlot {
 public:
  using Clock = std::chrono::steady_clock;
  // Starts the engine process; returns its pid, or why it could not.
  using StartFn = std::function<Result<pid_t>()>;
  // Asked when a scheduled start is due: whether the engine should still run.
  using WantedFn = std::function<bool()>;

  EngineSlot(asio::io_context& io, std::string name, StartFn start, WantedFn wanted,
             Backoff backoff = {});
  ~EngineSlot();
  EngineSlot(const EngineSlot&) = delete;
  EngineSlot& operator=(const EngineSlot&) = delete;

  // Starts the engine now unless it runs (a scheduled start is replaced). On failure the
  // next attempt is scheduled after the back-off. Returns whether it runs.
  bool StartNow();
  // Records the end of the process (`how` it ended). With `restart`, schedules the next
  // start after the back-off (reset by a stable run) and returns its delay; else none.
  Clock::duration Ended(const std::string& how, bool restart);
  // Drops a scheduled start (vigild is stopping, or the engine is no longer wanted).
  void CancelRetry();

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ != 0; }
  bool retry_pending() const;
  // Returns what vigilctl, /metrics and sd_notify show of this engine.
  control::EngineStatus Status() const;

  // Called after each start attempt and each end (the supervisor updates its status).
  void set_on_change(std::function<void()> f) { on_change_ = std::move(f); }

 private:
  void Schedule(Clock::duration delay);
  Clock::duration NextDelay();

  std::string name_;
  StartFn start_;
  WantedFn wanted_;
  Backoff backoff_;
  struct Timer;  // an asio::steady_timer (kept out of this header)
  std::unique_ptr<Timer> timer_;
  std::function<void()> on_change_;
  pid_t pid_ = 0;
  Clock::time_point started_{};
  Clock::time_point retry_at_{};
  bool retry_pending_ = false;
  Clock::duration next_delay_;
  uint64_t starts_ = 0;
  uint64_t start_failures_ = 0;
  std::string last_error_;
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_ENGINE_SLOT_H_

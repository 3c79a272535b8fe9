// SignalCoalescer: turns the copies of one signal that reach the supervisor by different
// routes into one action. A signal sent to the whole of vigild's cgroup or process group
// (`systemctl kill -s HUP vigil`, `kill -HUP -- -PGID`) reaches the supervisor directly and
// each engine, which passes it on (sigqueue, carrying the original sender's pid): without
// coalescing one SIGHUP would reload up to three times and one SIGUSR1 dump three times.
#ifndef VIGIL_DAEMON_SIGNAL_COALESCER_H_
#define VIGIL_DAEMON_SIGNAL_COALESCER_H_

#include <sys/types.h>

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "daemon/signal_watcher.h"

namespace vigil::daemon {

// How long the copies of one signal may take to arrive by their different routes: an
// engine passes a signal on from its own loop, which a burst of work may hold for a while.
inline constexpr Duration kSignalCoalesceWindow = std::chrono::seconds(1);

// One arrival of a signal at the supervisor: its number, the process that sent it in the
// first place, and the route it came by (0 directly; else the pid of the engine that
// passed it on).
struct SignalArrival {
  int signo = 0;
  pid_t sender = 0;
  pid_t route = 0;
};

// One engine process of the supervisor: its name and pid (0 when it is not running).
struct EnginePid {
  std::string_view name;
  pid_t pid = 0;
};

// A received signal as the coalescer sees it, and the engine that passed it on ("" when
// it came directly).
struct RoutedSignal {
  SignalArrival arrival;
  std::string engine;
};

// Returns what SignalCoalescer sees of `received`, among the running `engines`. A signal
// queued (SI_QUEUE) by a running engine is a copy that engine passed on: sent by the pid
// it carries (sival_int), by the route of that engine. Any other arrival came directly
// from its sender, whatever it is: kill(2) or sigqueue(3) by another process or by the
// supervisor itself, kill(2) by an engine, the kernel (sender 0), or a process that took
// the pid of an engine no longer running. Pure.
RoutedSignal RouteOf(const ReceivedSignal& received, std::span<const EnginePid> engines);

// Groups arrivals into signals sent once. An arrival joins the oldest signal, within
// kSignalCoalesceWindow of its first arrival, with the same number and sender that has
// not yet arrived by the same route; otherwise it is a new signal. Every route delivers
// a signal at most once, so two signals sent one after the other by one sender (a second
// direct SIGHUP) are two actions, whatever the window. Not thread-safe; pure (time is
// passed in).
class SignalCoalescer {
 public:
  explicit SignalCoalescer(Duration window = kSignalCoalesceWindow) : window_(window) {}

  // Returns true iff `arrival` (at `now`) is a new signal to act on, false iff it is
  // another copy of one already acted on.
  bool Arrive(const SignalArrival& arrival, TimePoint now);

  // Signals still within their window (for tests).
  size_t pending() const { return recent_.size(); }

 private:
  struct Recent {
    int signo;
    pid_t sender;
    TimePoint first;
    std::vector<pid_t> routes;
  };
  Duration window_;
  std::vector<Recent> recent_;  // oldest first
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_SIGNAL_COALESCER_H_

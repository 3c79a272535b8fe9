// SignalWatcher: delivers signals on an event loop through a signalfd. The signals are
// blocked for the whole process, so they never interrupt anything. Unlike asio's
// signal_set it keeps no process-wide state, so it works the same in a forked child.
#ifndef VIGIL_DAEMON_SIGNAL_WATCHER_H_
#define VIGIL_DAEMON_SIGNAL_WATCHER_H_

#include <sys/types.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>

#include "base/error.h"

namespace asio {
class io_context;
}

namespace vigil::daemon {

// One signal as received: its number and what the kernel says of its origin.
struct ReceivedSignal {
  int signo = 0;
  pid_t sender = 0;  // the sending process (0 when the kernel raised it)
  int code = 0;      // si_code: SI_USER for kill(2), SI_QUEUE for sigqueue(3), ...
  int value = 0;     // sigqueue's sival_int (SI_QUEUE only)
};

// Returns a signal's name as keepalived's documentation writes it: "SIGHUP", "SIGRTMIN+2",
// "SIGRTMAX-1".
std::string SignalName(int signo);

class SignalWatcher {
 public:
  using Callback = std::function<void(const ReceivedSignal&)>;
  // Blocks `signals` and calls `on_signal` on `io`'s loop for each one received.
  static Result<std::unique_ptr<SignalWatcher>> Start(asio::io_context& io,
                                                      std::span<const int> signals,
                                                      Callback on_signal);
  static Result<std::unique_ptr<SignalWatcher>> Start(asio::io_context& io,
                                                      std::initializer_list<int> signals,
                                                      Callback on_signal) {
    return Start(io, std::span<const int>(signals.begin(), signals.size()),
                 std::move(on_signal));
  }
  virtual ~SignalWatcher() = default;
  // Stops delivering (the signals stay blocked).
  virtual void Close() = 0;
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_SIGNAL_WATCHER_H_

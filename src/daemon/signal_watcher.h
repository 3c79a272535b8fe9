// SignalWatcher: delivers signals on an event loop through a signalfd. The signals are
// blocked for the whole process, so they never interrupt anything. Unlike asio's
// signal_set it keeps no process-wide state, so it works the same in a forked child.
#ifndef VIGIL_DAEMON_SIGNAL_WATCHER_H_
#define VIGIL_DAEMON_SIGNAL_WATCHER_H_

#include <functional>
#include <initializer_list>
#include <memory>
#include <span>

#include "base/error.h"

namespace asio {
class io_context;
}

namespace vigil::daemon {

class SignalWatcher {
 public:
  // Blocks `signals` and calls `on_signal(signo)` on `io`'s loop for each one received.
  static Result<std::unique_ptr<SignalWatcher>> Start(asio::io_context& io,
                                                      std::span<const int> signals,
                                                      std::function<void(int)> on_signal);
  static Result<std::unique_ptr<SignalWatcher>> Start(asio::io_context& io,
                                                      std::initializer_list<int> signals,
                                                      std::function<void(int)> on_signal) {
    return Start(io, std::span<const int>(signals.begin(), signals.size()),
                 std::move(on_signal));
  }
  virtual ~SignalWatcher() = default;
  // Stops delivering (the signals stay blocked).
  virtual void Close() = 0;
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_SIGNAL_WATCHER_H_

// Engine: what runs inside one engine process (VRRP, or checkers + load balancer).
// The supervisor starts one process per engine; an engine never sees another's state.
#ifndef VIGIL_DAEMON_ENGINE_H_
#define VIGIL_DAEMON_ENGINE_H_

#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "control/status.h"
#include "model/config.h"

namespace asio {
class io_context;
}

namespace vigil::daemon {

struct Options;

class Engine {
 public:
  virtual ~Engine() = default;

  // Applies `config` for the first time. An error here is permanent (the process exits
  // and the supervisor stops).
  virtual Result<void> Start(const model::Config& config) = 0;
  // Moves from the running configuration to `config`, changing only the difference.
  // Returns a readable summary of what changed, or an Error (the old state is kept).
  virtual Result<std::string> Reload(const model::Config& config) = 0;
  // Stops gracefully (for VRRP: priority-0 adverts, VIPs removed) and calls `done`.
  virtual void Stop(std::function<void()> done) = 0;
  // Fills this engine's part of the status.
  virtual void Report(control::Status& status) const = 0;

  // The engine calls this whenever its observable state changed.
  void set_on_change(std::function<void()> f) { on_change_ = std::move(f); }

 protected:
  void Changed() {
    if (on_change_) on_change_();
  }

 private:
  std::function<void()> on_change_;
};

// Makes an engine on the process's event loop.
using EngineFactory =
    std::function<std::unique_ptr<Engine>(asio::io_context& io, const Options& options)>;

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_ENGINE_H_

// The engine factory: how the supervisor makes each engine process's engine.
#ifndef VIGIL_DAEMON_ENGINE_H_
#define VIGIL_DAEMON_ENGINE_H_

#include <functional>
#include <memory>

#include "control/engine.h"

namespace asio {
class io_context;
}

namespace vigil::daemon {

struct Options;
using Engine = control::Engine;

// Makes an engine on the process's event loop.
using EngineFactory =
    std::function<std::unique_ptr<Engine>(asio::io_context& io, const Options& options)>;

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_ENGINE_H_

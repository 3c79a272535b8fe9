// The control socket (Unix, JSON lines) and the Prometheus HTTP endpoint, served on the
// supervisor's event loop.
#ifndef VIGIL_CONTROL_SERVER_H_
#define VIGIL_CONTROL_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "control/protocol.h"

namespace asio {
class io_context;
}

namespace vigil::control {

class ControlServer {
 public:
  // Listens on the Unix socket `path` (replacing a stale socket file) with mode `mode`
  // (0600: root only by default) and serves requests against `target`.
  static Result<std::unique_ptr<ControlServer>> Start(asio::io_context& io,
                                                      const std::string& path, unsigned mode,
                                                      ControlTarget& target);
  virtual ~ControlServer() = default;
  // Stops accepting and removes the socket file.
  virtual void Close() = 0;
};

class MetricsServer {
 public:
  // Serves `GET /metrics` over HTTP on `listen` ("ADDR:PORT", "[v6]:PORT" or ":PORT") with
  // the text returned by `render`, called when `refresh` (if set) has called back.
  static Result<std::unique_ptr<MetricsServer>> Start(
      asio::io_context& io, const std::string& listen, std::function<std::string()> render,
      std::function<void(std::function<void()>)> refresh = {});
  virtual ~MetricsServer() = default;
  virtual void Close() = 0;
  // Returns the bound port (useful when listening on port 0).
  virtual unsigned short port() const = 0;
};

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_SERVER_H_

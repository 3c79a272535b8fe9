// The control protocol: one JSON object per line on the control socket.
//   request:  {"command": "status" | "instances" | "servers" | "stats" | "reload"}
//   response: {"ok": true, ...} or {"ok": false, "error": "..."}
// Pure: the server feeds request lines in and writes the returned line out.
#ifndef VIGIL_CONTROL_PROTOCOL_H_
#define VIGIL_CONTROL_PROTOCOL_H_

#include <functional>
#include <string>

#include "control/status.h"

namespace vigil::control {

// What the protocol needs from the daemon.
class ControlTarget {
 public:
  virtual ~ControlTarget() = default;
  // Returns the current status of the whole daemon.
  virtual Status CurrentStatus() = 0;
  // Brings the counters of CurrentStatus() up to date, then calls `done` (at once, or later
  // from the loop). Engines report state changes as they happen but counters only when asked.
  virtual void Refresh(std::function<void()> done) { done(); }
  // Starts a reload; calls `done(ok, message)` when it has finished or failed.
  virtual void Reload(std::function<void(bool ok, std::string message)> done) = 0;
};

// Handles one request line and calls `reply` with the response line (without newline),
// at once or (for reload) when the work is done.
void HandleRequest(const std::string& line, ControlTarget& target,
                   std::function<void(std::string)> reply);

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_PROTOCOL_H_

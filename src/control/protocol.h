// The control protocol: one JSON object per line on the control socket.
//   request:  {"command": "status" | "instances" | "servers" | "stats" | "reload"}
//             {"command": "enable" | "disable" | "drain" | "weight",
//              "virtual_server": "10.0.0.1:80/tcp", "real_server": "10.0.0.2:8080",
//              "weight": N (weight), "timeout": S (drain, optional)}
//             {"command": "maintenance", "on": true | false}
//             {"command": "failover", "instance": "VI_1"}
//             {"command": "priority", "instance": "VI_1", "priority": 1..254 | "reset"}
//             {"command": "watch", "from": SEQ (optional)}: the answer is followed by
//              event lines until the client leaves (see control/event_log.h)
//   response: {"ok": true, ...} or {"ok": false, "error": "..."}
// Pure: the server feeds request lines in and writes the returned line out.
#ifndef VIGIL_CONTROL_PROTOCOL_H_
#define VIGIL_CONTROL_PROTOCOL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "control/status.h"

namespace vigil::control {

// A runtime operation: on one real server (`vigilctl enable|disable|drain|weight VS RS`,
// the checker engine's) or on VRRP (`vigilctl maintenance|failover|priority`, the VRRP
// engine's).
struct Operation {
  std::string command;         // "enable", "disable", "drain", "weight", "maintenance",
                               // "failover" or "priority"
  std::string virtual_server;  // as `vigilctl servers` names it: "10.0.0.1:80/tcp",
                               // "[fd00::1]:80/tcp", "fwmark 7", "group NAME"
  std::string real_server;     // "10.0.0.2:8080" or "[fd00::2]:8080"
  int64_t weight = -1;         // "weight": the new weight, 0..kMaxOperationWeight
  double timeout_s = 0;        // "drain": seconds before it is removed anyway; 0: the default
  std::string instance;        // "failover", "priority": the vrrp_instance
  int priority = 0;            // "priority": the runtime base priority, 1..254; 0: reset
  bool on = false;             // "maintenance": on or off
  bool operator==(const Operation&) const = default;
};

inline constexpr int64_t kMaxOperationWeight = 65535;
inline constexpr double kMaxDrainTimeout = 86400;
inline constexpr int kMaxRuntimePriority = 254;  // 255 is the address owner's alone

// Returns whether `command` is one of Operation's.
bool IsOperation(const std::string& command);
// Returns whether `command` is one of the VRRP engine's operations.
bool IsVrrpOperation(const std::string& command);
// Returns a one-line description of `op` for logs and events ("priority VI_1 150").
std::string Describe(const Operation& op);
// Returns the operation's JSON object (a request line without its newline).
std::string ToJson(const Operation& op);
// Parses a request line naming an operation; returns why it is not a valid one.
Result<Operation> OperationFromJson(const std::string& line);

class EventLog;

// Returns whether `line` is a watch request ({"command":"watch",...}): the control server
// streams events on that connection instead of answering once (see control/event_log.h).
bool IsWatchRequest(const std::string& line);

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
  // Carries out `op`; calls `done(ok, message)` when it is done or has failed.
  virtual void Operate(const Operation& op, std::function<void(bool ok, std::string message)> done) {
    (void)op;
    done(false, "this daemon takes no operations");
  }
  // Returns the daemon's event log, which `watch` reads (null: it keeps none).
  virtual std::shared_ptr<EventLog> Events() { return nullptr; }
};

// Handles one request line and calls `reply` with the response line (without newline),
// at once or (for reload) when the work is done.
void HandleRequest(const std::string& line, ControlTarget& target,
                   std::function<void(std::string)> reply);

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_PROTOCOL_H_

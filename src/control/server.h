// The control socket (Unix, JSON lines) and the Prometheus HTTP endpoint, served on the
// supervisor's event loop.
#ifndef VIGIL_CONTROL_SERVER_H_
#define VIGIL_CONTROL_SERVER_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "control/protocol.h"
#include "control/status.h"

namespace asio {
class io_context;
}

namespace vigil::control {

// How a listener protects the process: at most `max_connections` open at once (the
// others wait in the kernel's backlog), one `deadline` per exchange (reading the request
// and writing the answer; an idle or slow peer is dropped), and after a failed accept
// (EMFILE, ENFILE, ENOBUFS, ENOMEM) a pause that doubles from `min_pause` to `max_pause`
// instead of a retry at once.
//
// A control connection that watches (`vigilctl watch`) holds its slot until the peer
// leaves: at most `max_watchers` of them at once, so that requests always find a slot. A
// watch hands the socket at most `watch_chunk` bytes of event lines at a time; a reader too
// slow to keep within the event ring is closed (see control/event_log.h).
struct ListenerLimits {
  size_t max_connections = 32;
  size_t max_watchers = 16;
  size_t watch_chunk = 64 * 1024;
  std::chrono::milliseconds deadline{5000};
  std::chrono::milliseconds min_pause{10};
  std::chrono::milliseconds max_pause{1000};
};

// Who may use the control socket besides root: the members of `group` (by primary or
// supplementary group). With a group the socket file is root:group, mode 0660, else 0600.
struct ControlAccess {
  std::optional<gid_t> group;
  std::string group_name;  // for messages
};

// Returns whether a peer (SO_PEERCRED `uid` and `gid`, supplementary `groups`) may use the
// control socket of a server running as `self`.
bool PeerAllowed(uid_t uid, gid_t gid, std::span<const gid_t> groups, uid_t self,
                 const ControlAccess& access);

// Returns the supplementary groups listed on the "Groups:" line of a /proc/PID/status text.
std::vector<gid_t> ParseStatusGroups(std::string_view status);

class ControlServer {
 public:
  // Listens on the Unix socket `path`, created under a umask that leaves no moment of a
  // wider mode, and serves requests against `target` to the peers `access` admits. The
  // caller must hold the path's lock (a stale socket file is replaced).
  static Result<std::unique_ptr<ControlServer>> Start(asio::io_context& io,
                                                      const std::string& path,
                                                      const ControlAccess& access,
                                                      ControlTarget& target,
                                                      ListenerLimits limits = {});
  virtual ~ControlServer() = default;
  // Stops accepting and removes the socket file if it is still the one this server made.
  virtual void Close() = 0;
  // Returns the listener's counters (listener "control").
  virtual ListenerStatus stats() const = 0;
  // Ends every watch once it has written every event there is (vigild is stopping: its
  // last events reach the watchers), refuses new ones, and calls `done` from the loop when
  // none is left, or after `limit` at the latest.
  virtual void EndWatches(std::chrono::milliseconds limit, std::function<void()> done) = 0;
};

class MetricsServer {
 public:
  // Serves `GET /metrics` over HTTP on `listen` ("ADDR:PORT", "[v6]:PORT" or ":PORT") with
  // the text returned by `render`, called when `refresh` (if set) has called back.
  static Result<std::unique_ptr<MetricsServer>> Start(
      asio::io_context& io, const std::string& listen, std::function<std::string()> render,
      std::function<void(std::function<void()>)> refresh = {}, ListenerLimits limits = {});
  virtual ~MetricsServer() = default;
  virtual void Close() = 0;
  // Returns the bound port (useful when listening on port 0).
  virtual unsigned short port() const = 0;
  // Returns the listener's counters (listener "metrics").
  virtual ListenerStatus stats() const = 0;
};

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_SERVER_H_

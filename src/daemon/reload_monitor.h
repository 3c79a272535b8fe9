// global_defs reload_time_file / reload_repeat: vigild reloads at the time a file names.
//
// The file is watched (inotify on its directory) from start: written (closed after a
// write, or renamed over), its first line is read again and the reload rescheduled;
// deleted, the reload is cancelled. When the time comes the file is removed (kept with
// reload_repeat when it names a time of day, so that it names the next day once read
// again) and the reload runs, as keepalived does.
#ifndef VIGIL_DAEMON_RELOAD_MONITOR_H_
#define VIGIL_DAEMON_RELOAD_MONITOR_H_

#include <functional>
#include <memory>
#include <string>

#include "base/error.h"

namespace asio {
class io_context;
}

namespace vigil::daemon {

class ReloadTimeMonitor {
 public:
  // Watches `path` on `io`; calls `reload` when the time it names comes. Not thread-safe.
  static Result<std::unique_ptr<ReloadTimeMonitor>> Start(asio::io_context& io,
                                                          std::string path, bool repeat,
                                                          std::function<void()> reload);
  virtual ~ReloadTimeMonitor() = default;

  // Returns the path watched and whether reload_repeat applies (to tell whether a reload
  // changed them).
  virtual const std::string& path() const = 0;
  virtual bool repeat() const = 0;
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_RELOAD_MONITOR_H_

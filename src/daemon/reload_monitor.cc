#include "daemon/reload_monitor.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include <asio.hpp>

#include "base/fd.h"
#include "base/inotify.h"
#include "base/log.h"
#include "daemon/reload_time.h"

namespace vigil::daemon {
namespace {

// keepalived reads at most 20 characters of the first line.
constexpr size_t kLineLimit = 20;

// The current time in whole seconds. (Not time(): glibc reads a coarse clock there, which
// can still show the second before the one a timer just fired at.)
std::time_t Now() { return std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()); }

class Monitor final : public ReloadTimeMonitor {
 public:
  Monitor(asio::io_context& io, std::string path, bool repeat, std::function<void()> reload,
          UniqueFd inotify, int wd)
      : path_(std::move(path)), repeat_(repeat), reload_(std::move(reload)),
        inotify_(io, inotify.Release()), wd_(wd), timer_(io),
        alive_(std::make_shared<bool>(true)) {
    name_ = path_.substr(path_.rfind('/') + 1);
    Read(Now());
    WaitEvents();
  }
  ~Monitor() override {
    *alive_ = false;
    timer_.cancel();
  }

  const std::string& path() const override { return path_; }
  bool repeat() const override { return repeat_; }

 private:
  // Reads the file's first line at `now` and (re)schedules or cancels the reload.
  void Read(std::time_t now) {
    UniqueFd fd = fd::Open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    if (!fd) return Cancel();
    char buf[kLineLimit + 1];
    ssize_t n = read(fd.get(), buf, kLineLimit);
    if (n <= 0) return Cancel();
    std::string line(buf, static_cast<size_t>(n));
    line = line.substr(0, line.find('\n'));
    auto t = ParseReloadTime(line, now);
    if (!t) {
      log::Warning("reload_time_file " + path_ + ": " + t.error().context() + "; ignored");
      return Cancel();
    }
    if (scheduled_ && scheduled_->at == t->at) return;
    if (scheduled_) {
      log::Info("reload_time_file: reload moved from " + FormatLocalTime(scheduled_->at) +
                " to " + FormatLocalTime(t->at));
    } else {
      log::Info("reload_time_file: reload scheduled for " + FormatLocalTime(t->at));
    }
    scheduled_ = *t;
    timer_.expires_at(std::chrono::system_clock::from_time_t(t->at));
    timer_.async_wait([this, alive = alive_](std::error_code ec) {
      if (ec || !*alive) return;
      Due();
    });
  }

  void Cancel() {
    if (!scheduled_) return;
    log::Info("reload_time_file: reload scheduled for " + FormatLocalTime(scheduled_->at) +
              " cancelled");
    scheduled_.reset();
    timer_.cancel();
  }

  void Due() {
    const ReloadTime due = *scheduled_;
    scheduled_.reset();
    if (RemoveReloadTimeFileWhenDue(due, repeat_) && unlink(path_.c_str()) != 0 && errno != ENOENT)
      log::Warning("reload_time_file: cannot remove " + path_ + ": " + std::strerror(errno));
    log::Notice("reload_time_file: reloading as scheduled for " + FormatLocalTime(due.at));
    std::shared_ptr<bool> alive = alive_;
    reload_();  // may replace this monitor
    if (*alive) Read(std::max(Now(), due.at));  // a repeated time of day: tomorrow's
  }

  void WaitEvents() {
    inotify_.async_wait(asio::posix::descriptor_base::wait_read,
                        [this, alive = alive_](std::error_code ec) {
                          if (ec || !*alive) return;
                          OnEvents();
                          if (*alive) WaitEvents();
                        });
  }

  void OnEvents() {
    alignas(inotify_event) uint8_t buf[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
    bool changed = false;
    while (true) {
      ssize_t n = read(inotify_.native_handle(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (const InotifyEvent& e : ParseInotifyEvents({buf, static_cast<size_t>(n)}))
        if ((e.mask & IN_Q_OVERFLOW) || (e.wd == wd_ && e.name == name_)) changed = true;
    }
    if (changed) Read(Now());
  }

  std::string path_;
  std::string name_;
  bool repeat_;
  std::function<void()> reload_;
  asio::posix::stream_descriptor inotify_;
  int wd_;
  asio::system_timer timer_;
  std::optional<ReloadTime> scheduled_;
  std::shared_ptr<bool> alive_;
};

}  // namespace

Result<std::unique_ptr<ReloadTimeMonitor>> ReloadTimeMonitor::Start(
    asio::io_context& io, std::string path, bool repeat, std::function<void()> reload) {
  const size_t slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash + 1 == path.size())
    return Fail(ErrorCode::kInvalidArgument,
                "reload_time_file " + path + ": not an absolute path of a file");
  const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  UniqueFd fd = fd::Inotify();
  if (!fd) return FailErrno("reload_time_file: inotify");
  const int wd = inotify_add_watch(fd.get(), dir.c_str(),
                                   IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO);
  if (wd < 0) return FailErrno("reload_time_file: cannot watch " + dir);
  return std::unique_ptr<ReloadTimeMonitor>(
      new Monitor(io, std::move(path), repeat, std::move(reload), std::move(fd), wd));
}

}  // namespace vigil::daemon

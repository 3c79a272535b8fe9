#include "net/link_watch.h"

#include <asio.hpp>

#include "base/fd.h"
#include "base/log.h"

namespace vigil::net {

struct LinkWatch::Watcher {
  Watcher(asio::io_context& io, int fd) : desc(io, fd) {}
  asio::posix::stream_descriptor desc;
};

LinkWatch::LinkWatch(asio::io_context& io, OnEvent on_event, OnOverrun on_overrun)
    : io_(io), on_event_(std::move(on_event)), on_overrun_(std::move(on_overrun)) {}

LinkWatch::~LinkWatch() { Close(); }

Result<void> LinkWatch::Open(ReceiveBuffer receive_buffer) {
  auto mon = LinkMonitor::Open(receive_buffer);
  if (!mon) return std::unexpected(mon.error());
  monitor_.emplace(std::move(*mon));
  watcher_ = std::make_unique<Watcher>(io_, fd::Dup(monitor_->fd()).Release());
  closed_ = false;
  Watch();
  return {};
}

void LinkWatch::Close() {
  closed_ = true;
  if (watcher_) {
    std::error_code ec;
    watcher_->desc.close(ec);
  }
}

void LinkWatch::Watch() {
  watcher_->desc.async_wait(asio::posix::descriptor_base::wait_read, [this](std::error_code ec) {
    if (ec || closed_) return;
    auto batch = monitor_->Poll();
    if (!batch) {
      log::Warning("netlink monitor: " + batch.error().ToString());
    } else if (batch->resync_needed) {
      on_overrun_();
    } else {
      for (const auto& ev : batch->events) on_event_(ev);
    }
    if (!closed_) Watch();
  });
}

}  // namespace vigil::net

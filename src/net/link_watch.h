// LinkWatch: an engine's subscription to the kernel's link and address notifications
// (LinkMonitor) on its event loop. One lifecycle: Open at start, Close at stop. Each
// notification is handed on in order; after the kernel dropped some (receive buffer
// overrun) none of the batch is: the engine is asked to re-read everything instead, since
// the events that arrived are only a part of the story.
#ifndef VIGIL_NET_LINK_WATCH_H_
#define VIGIL_NET_LINK_WATCH_H_

#include <functional>
#include <memory>
#include <optional>

#include "base/error.h"
#include "net/link_monitor.h"

namespace asio {
class io_context;
}

namespace vigil::net {

class LinkWatch {
 public:
  using OnEvent = std::function<void(const LinkEvent&)>;
  using OnOverrun = std::function<void()>;

  LinkWatch(asio::io_context& io, OnEvent on_event, OnOverrun on_overrun);
  ~LinkWatch();
  LinkWatch(const LinkWatch&) = delete;
  LinkWatch& operator=(const LinkWatch&) = delete;

  // Subscribes with a socket receive buffer of `receive_buffer` bytes (the kernel doubles
  // it) and starts handing notifications on.
  Result<void> Open(ReceiveBuffer receive_buffer);
  // Stops: no handler is called any more.
  void Close();

 private:
  struct Watcher;
  void Watch();

  asio::io_context& io_;
  OnEvent on_event_;
  OnOverrun on_overrun_;
  std::optional<LinkMonitor> monitor_;
  std::unique_ptr<Watcher> watcher_;  // the monitor's descriptor on the event loop
  bool closed_ = false;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_LINK_WATCH_H_

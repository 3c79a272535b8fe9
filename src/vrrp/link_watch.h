// LinkWatch: the VRRP engine's subscription to the kernel's link and address notifications
// (net::LinkMonitor) on its event loop. One lifecycle: Open at start, Close at stop. Each
// notification is handed on in order; after the kernel dropped some (receive buffer
// overrun) none of the batch is: the engine is asked to re-read everything instead, since
// the events that arrived are only a part of the story.
#ifndef VIGIL_VRRP_LINK_WATCH_H_
#define VIGIL_VRRP_LINK_WATCH_H_

#include <functional>
#include <memory>
#include <optional>

#include "base/error.h"
#include "net/link_monitor.h"

namespace asio {
class io_context;
}

namespace vigil::vrrp {

class LinkWatch {
 public:
  using OnEvent = std::function<void(const net::LinkEvent&)>;
  using OnOverrun = std::function<void()>;

  LinkWatch(asio::io_context& io, OnEvent on_event, OnOverrun on_overrun);
  ~LinkWatch();
  LinkWatch(const LinkWatch&) = delete;
  LinkWatch& operator=(const LinkWatch&) = delete;

  // Subscribes with a socket receive buffer of `receive_buffer` bytes (the kernel doubles
  // it) and starts handing notifications on.
  Result<void> Open(net::ReceiveBuffer receive_buffer);
  // Stops: no handler is called any more.
  void Close();

 private:
  struct Watcher;
  void Watch();

  asio::io_context& io_;
  OnEvent on_event_;
  OnOverrun on_overrun_;
  std::optional<net::LinkMonitor> monitor_;
  std::unique_ptr<Watcher> watcher_;  // the monitor's descriptor on the event loop
  bool closed_ = false;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_LINK_WATCH_H_

// Channel: a framed, ordered, asynchronous message link over a stream socket between the
// supervisor and an engine process (see frames.h). Lives on one event loop.
#ifndef VIGIL_DAEMON_CHANNEL_H_
#define VIGIL_DAEMON_CHANNEL_H_

#include <functional>
#include <memory>
#include <string_view>

#include "daemon/frames.h"

namespace asio {
class io_context;
}

namespace vigil::daemon {

class Channel {
 public:
  // Takes ownership of the connected stream socket `fd`. `on_frame` receives each frame;
  // `on_closed` is called once when the peer closes or sends garbage.
  static std::shared_ptr<Channel> Open(asio::io_context& io, int fd,
                                       std::function<void(Frame)> on_frame,
                                       std::function<void()> on_closed);
  virtual ~Channel() = default;
  // Queues a frame; frames are written in order.
  virtual void Send(FrameType type, std::string_view payload) = 0;
  // Delivers the frames already waiting in the socket, without blocking: an engine that
  // has exited had its last frames read before its channel is closed.
  virtual void Drain() = 0;
  // Closes the socket; no more callbacks after this.
  virtual void Close() = 0;
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_CHANNEL_H_

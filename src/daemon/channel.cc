#include "daemon/channel.h"

#include <deque>
#include <string>
#include <vector>

#include <asio.hpp>

namespace vigil::daemon {
namespace {

class ChannelImpl final : public Channel, public std::enable_shared_from_this<ChannelImpl> {
 public:
  ChannelImpl(asio::io_context& io, int fd, std::function<void(Frame)> on_frame,
              std::function<void()> on_closed)
      : socket_(io, asio::local::stream_protocol(), fd),
        on_frame_(std::move(on_frame)),
        on_closed_(std::move(on_closed)) {}

  void StartReading() {
    std::error_code ec;
    socket_.non_blocking(true, ec);
    Read();
  }

  // Writes at once what the socket takes (an event reaches the other process now, not
  // when this loop next gets round to a write's completion); the rest waits in order
  // until the socket is writable again.
  void Send(FrameType type, std::string_view payload) override {
    if (closed_) return;
    queue_.push_back(EncodeFrame(type, payload));
    if (!waiting_) Flush();
  }

  void Drain() override {
    std::error_code ec;
    while (!closed_ && !ec) {
      size_t n = socket_.read_some(asio::buffer(buf_), ec);
      if (ec || n == 0) break;
      reader_.Append(std::string_view(buf_.data(), n));
      while (auto f = reader_.Next()) {
        on_frame_(std::move(*f));
        if (closed_) return;
      }
    }
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    std::error_code ec;
    socket_.close(ec);
  }

 private:
  void Read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [self](std::error_code ec, size_t n) {
      if (self->closed_) return;
      if (ec) return self->Fail();
      self->reader_.Append(std::string_view(self->buf_.data(), n));
      while (auto f = self->reader_.Next()) {
        self->on_frame_(std::move(*f));
        if (self->closed_) return;
      }
      if (self->reader_.bad()) return self->Fail();
      self->Read();
    });
  }

  // Writes queued frames, several per system call, until the queue is empty or the
  // socket is full; then waits for it to be writable.
  void Flush() {
    while (!queue_.empty()) {
      std::vector<asio::const_buffer> buffers;
      for (size_t i = 0; i < queue_.size() && buffers.size() < kGather; ++i)
        buffers.push_back(i == 0 ? asio::buffer(queue_[0]) + front_written_
                                 : asio::buffer(queue_[i]));
      std::error_code ec;
      size_t n = socket_.write_some(buffers, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec == asio::error::interrupted) continue;
      if (ec) return Fail();
      while (n > 0) {
        const size_t left = queue_.front().size() - front_written_;
        if (n < left) {
          front_written_ += n;
          break;
        }
        n -= left;
        queue_.pop_front();
        front_written_ = 0;
      }
    }
    if (queue_.empty()) return;
    waiting_ = true;
    socket_.async_wait(asio::socket_base::wait_write,
                       [self = shared_from_this()](std::error_code ec) {
                         self->waiting_ = false;
                         if (self->closed_) return;
                         if (ec) return self->Fail();
                         self->Flush();
                       });
  }

  void Fail() {
    if (closed_) return;
    Close();
    if (on_closed_) on_closed_();
  }

  asio::local::stream_protocol::socket socket_;
  std::function<void(Frame)> on_frame_;
  std::function<void()> on_closed_;
  FrameReader reader_;
  std::array<char, 65536> buf_{};
  static constexpr size_t kGather = 64;  // buffers per write (IOV_MAX is 1024)
  std::deque<std::string> queue_;        // frames not (wholly) written yet, in order
  size_t front_written_ = 0;             // bytes of queue_.front() already written
  bool waiting_ = false;                 // for the socket to be writable
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<Channel> Channel::Open(asio::io_context& io, int fd,
                                       std::function<void(Frame)> on_frame,
                                       std::function<void()> on_closed) {
  auto c = std::make_shared<ChannelImpl>(io, fd, std::move(on_frame), std::move(on_closed));
  c->StartReading();
  return c;
}

}  // namespace vigil::daemon

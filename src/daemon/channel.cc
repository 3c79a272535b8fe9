#include "daemon/channel.h"

#include <deque>
#include <string>

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

  void StartReading() { Read(); }

  void Send(FrameType type, std::string_view payload) override {
    if (closed_) return;
    queue_.push_back(EncodeFrame(type, payload));
    if (queue_.size() == 1) WriteFront();
  }

  void Drain() override {
    std::error_code ec;
    socket_.non_blocking(true, ec);
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

  void WriteFront() {
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(queue_.front()), [self](std::error_code ec, size_t) {
      if (self->closed_) return;
      if (ec) return self->Fail();
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->WriteFront();
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
  std::deque<std::string> queue_;
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

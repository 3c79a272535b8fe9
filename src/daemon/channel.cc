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

  void StartReading() { Read(); }

  void Send(FrameType type, std::string_view payload) override {
    if (closed_) return;
    queue_.push_back(EncodeFrame(type, payload));
    if (writing_ == 0) WriteQueued();
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

  // Writes every frame queued in one gathering write: a burst of events is a few system
  // calls, not one per frame. (A deque's elements stay put while more are queued.)
  void WriteQueued() {
    auto self = shared_from_this();
    writing_ = queue_.size();
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(writing_);
    for (size_t i = 0; i < writing_; ++i) buffers.push_back(asio::buffer(queue_[i]));
    asio::async_write(socket_, buffers, [self](std::error_code ec, size_t) {
      if (self->closed_) return;
      if (ec) return self->Fail();
      self->queue_.erase(self->queue_.begin(),
                         self->queue_.begin() + static_cast<std::ptrdiff_t>(self->writing_));
      self->writing_ = 0;
      if (!self->queue_.empty()) self->WriteQueued();
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
  size_t writing_ = 0;  // the frames at the queue's front being written
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

#include "control/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include <asio.hpp>

namespace vigil::control {
namespace {

using asio::awaitable;
using asio::use_awaitable;
constexpr size_t kMaxRequestBytes = 64 * 1024;

// Calls `start` with a function that takes the reply, which `start` or the loop calls
// once, at once or later (a reload, fresh counters); returns the reply, or nullopt if the
// wait ended without one.
awaitable<std::optional<std::string>> AwaitReply(
    const std::function<void(std::function<void(std::string)>)>& start) {
  auto pending = std::make_shared<std::optional<std::string>>();
  auto wake = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                   asio::steady_timer::time_point::max());
  start([pending, wake](std::string reply) {
    *pending = std::move(reply);
    wake->cancel();
  });
  if (!pending->has_value()) {
    std::error_code ec;
    co_await wake->async_wait(asio::redirect_error(use_awaitable, ec));
  }
  co_return *pending;
}

// One control connection: read lines, answer each, until the peer closes.
class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(asio::local::stream_protocol::socket socket, ControlTarget& target)
      : socket_(std::move(socket)), target_(target) {}

  awaitable<void> Run() {
    auto self = shared_from_this();
    std::string buffer;
    for (;;) {
      std::error_code ec;
      size_t n = co_await asio::async_read_until(
          socket_, asio::dynamic_buffer(buffer, kMaxRequestBytes), '\n',
          asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      std::string line = buffer.substr(0, n - 1);
      buffer.erase(0, n);
      std::optional<std::string> reply = co_await AwaitReply(
          [&](std::function<void(std::string)> done) { HandleRequest(line, target_, done); });
      if (!reply) co_return;
      std::string out = *reply + "\n";
      co_await asio::async_write(socket_, asio::buffer(out),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
    }
  }

 private:
  asio::local::stream_protocol::socket socket_;
  ControlTarget& target_;
};

class ControlServerImpl final : public ControlServer {
 public:
  ControlServerImpl(asio::io_context& io, std::string path, ControlTarget& target)
      : acceptor_(io), path_(std::move(path)), target_(target) {}

  Result<void> Listen(unsigned mode) {
    ::unlink(path_.c_str());
    std::error_code ec;
    asio::local::stream_protocol::endpoint ep(path_);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(16, ec);
    if (ec) return Fail(ErrorCode::kIo, "control socket '" + path_ + "': " + ec.message());
    if (::chmod(path_.c_str(), mode) != 0) return FailErrno("chmod control socket");
    asio::co_spawn(acceptor_.get_executor(), Accept(), asio::detached);
    return {};
  }

  void Close() override {
    if (!acceptor_.is_open()) return;
    std::error_code ec;
    acceptor_.close(ec);
    ::unlink(path_.c_str());
  }
  ~ControlServerImpl() override { Close(); }

 private:
  awaitable<void> Accept() {
    for (;;) {
      std::error_code ec;
      auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      if (ec) continue;
      auto session = std::make_shared<ControlSession>(std::move(socket), target_);
      asio::co_spawn(acceptor_.get_executor(), session->Run(), asio::detached);
    }
  }

  asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  ControlTarget& target_;
};

Result<asio::ip::tcp::endpoint> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Fail(ErrorCode::kInvalidArgument,
                                              "metrics address '" + listen + "' has no port");
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  unsigned long port = 0;
  try {
    size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return Fail(ErrorCode::kInvalidArgument, "metrics address '" + listen + "' has a bad port");
  }
  std::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Fail(ErrorCode::kInvalidArgument,
                      "metrics address '" + listen + "' has a bad IP address");
  return asio::ip::tcp::endpoint(addr, static_cast<unsigned short>(port));
}

class MetricsServerImpl final : public MetricsServer {
 public:
  MetricsServerImpl(asio::io_context& io, std::function<std::string()> render,
                    std::function<void(std::function<void()>)> refresh)
      : acceptor_(io), render_(std::move(render)), refresh_(std::move(refresh)) {}

  Result<void> Listen(const asio::ip::tcp::endpoint& ep) {
    std::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(16, ec);
    if (ec) return Fail(ErrorCode::kIo, "metrics listener: " + ec.message());
    asio::co_spawn(acceptor_.get_executor(), Accept(), asio::detached);
    return {};
  }

  void Close() override {
    std::error_code ec;
    acceptor_.close(ec);
  }
  unsigned short port() const override {
    std::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }
  ~MetricsServerImpl() override { Close(); }

 private:
  awaitable<void> Accept() {
    for (;;) {
      std::error_code ec;
      auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      if (ec) continue;
      asio::co_spawn(acceptor_.get_executor(), Serve(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> Serve(asio::ip::tcp::socket socket) {
    std::string buffer;
    std::error_code ec;
    asio::steady_timer deadline(socket.get_executor(), std::chrono::seconds(5));
    deadline.async_wait([&socket](std::error_code e) {
      if (!e) socket.close();
    });
    co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, 16 * 1024), "\r\n\r\n",
                                    asio::redirect_error(use_awaitable, ec));
    deadline.cancel();
    if (ec) co_return;
    std::string request_line = buffer.substr(0, buffer.find("\r\n"));
    std::string status, body, type = "text/plain; charset=utf-8";
    if (request_line.rfind("GET /metrics ", 0) == 0 || request_line.rfind("GET /metrics?", 0) == 0) {
      status = "200 OK";
      std::optional<std::string> rendered =
          co_await AwaitReply([this](std::function<void(std::string)> done) {
            if (!refresh_) return done(render_());
            refresh_([this, done] { done(render_()); });
          });
      body = rendered.value_or("");
      type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (request_line.rfind("GET ", 0) == 0) {
      status = "404 Not Found";
      body = "vigil serves /metrics\n";
    } else {
      status = "405 Method Not Allowed";
      body = "only GET is supported\n";
    }
    std::string out = "HTTP/1.0 " + status + "\r\nContent-Type: " + type +
                      "\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body;
    co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }

  asio::ip::tcp::acceptor acceptor_;
  std::function<std::string()> render_;
  std::function<void(std::function<void()>)> refresh_;
};

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::Start(asio::io_context& io,
                                                            const std::string& path,
                                                            unsigned mode,
                                                            ControlTarget& target) {
  auto server = std::make_unique<ControlServerImpl>(io, path, target);
  if (auto r = server->Listen(mode); !r) return std::unexpected(r.error());
  return std::unique_ptr<ControlServer>(std::move(server));
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(asio::io_context& io,
                                                            const std::string& listen,
                                                            std::function<std::string()> render,
                                                            std::function<void(std::function<void()>)> refresh) {
  auto ep = ParseListen(listen);
  if (!ep) return std::unexpected(ep.error());
  auto server = std::make_unique<MetricsServerImpl>(io, std::move(render), std::move(refresh));
  if (auto r = server->Listen(*ep); !r) return std::unexpected(r.error());
  return std::unique_ptr<MetricsServer>(std::move(server));
}

}  // namespace vigil::control

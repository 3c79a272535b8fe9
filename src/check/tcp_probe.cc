// TCP_CHECK: a non-blocking connect bounded by connect_timeout.
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "check/probe_coro.h"
#include "check/probe_logic.h"
#include "check/socket_util.h"

namespace vigil::check {

asio::awaitable<std::optional<ProbeResult>> ConnectTcp(const ConnectOptions& opts,
                                                       asio::ip::tcp::socket& socket,
                                                       Watchdog& watchdog, bool half_open) {
  const std::string target = FormatHostPort(opts.address, opts.port);
  auto dst = ParseSockAddr(opts.address, opts.port);
  if (!dst) co_return ProbeResult{false, dst.error().ToString(), {}};
  auto fd = OpenProbeSocket(opts, SOCK_STREAM, IPPROTO_TCP);
  if (!fd) co_return ProbeResult{false, fd.error().ToString(), {}};

  std::error_code ec;
  socket.assign(dst->family() == AF_INET ? asio::ip::tcp::v4() : asio::ip::tcp::v6(),
                fd->Release(), ec);
  if (ec) co_return ProbeResult{false, "socket: " + ec.message(), {}};
  if (half_open) {  // delay the handshake's final ACK past the reset that follows it
    const int zero = 0;
    (void)::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
  }

  // connect() is called here, not by async_connect, to tell a failure of the call itself
  // from one of the connection under way: keepalived words them apart (ConnectFailureKind).
  auto failed = [&](int err, bool at_once) {
    return ProbeResult{false,
                       "connection to " + target + " failed: " +
                           std::error_code(err, std::system_category()).message(),
                       {}, ConnectFailureKind(err, at_once)};
  };
  if (::connect(socket.native_handle(), dst->get(), dst->length) == 0) co_return std::nullopt;
  if (errno != EINPROGRESS) co_return failed(errno, /*at_once=*/true);
  watchdog.Arm();
  co_await socket.async_wait(asio::socket_base::wait_write,
                             asio::redirect_error(asio::use_awaitable, ec));
  watchdog.Disarm();
  if (watchdog.expired()) {
    co_return ProbeResult{false, "connection to " + target + " timed out", {},
                          FailureKind::kConnectTimeout};
  }
  if (ec) co_return ProbeResult{false, "connection to " + target + " failed: " + ec.message(), {},
                                FailureKind::kConnectError};
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    co_return ProbeResult{false, "connection to " + target + " failed: " + std::strerror(errno),
                          {}, FailureKind::kConnectError};
  }
  if (err != 0) co_return failed(err, /*at_once=*/false);
  co_return std::nullopt;
}

asio::awaitable<ProbeResult> TcpProbe(ConnectOptions opts) {
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  Watchdog watchdog(socket.get_executor(), opts.connect_timeout, [&socket] {
    std::error_code ignored;
    socket.cancel(ignored);
  });
  // Where SynProber cannot run a TCP_CHECK, a socket gives the same half-open exchange: no
  // final ACK, and a reset as soon as the SYN-ACK arrives. The server's application never
  // sees the connection, and no TIME_WAIT is left behind.
  if (auto failure = co_await ConnectTcp(opts, socket, watchdog, /*half_open=*/true)) {
    co_return *failure;
  }
  const linger reset{1, 0};
  (void)::setsockopt(socket.native_handle(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  std::error_code ignored;
  socket.close(ignored);
  co_return ProbeResult{true, {}, {}};
}

}  // namespace vigil::check

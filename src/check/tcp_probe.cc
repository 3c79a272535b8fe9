// TCP_CHECK: a non-blocking connect bounded by connect_timeout.
#include <cstring>

#include "check/probe_coro.h"
#include "check/socket_util.h"

namespace vigil::check {

asio::awaitable<std::optional<ProbeResult>> ConnectTcp(const ConnectOptions& opts,
                                                       asio::ip::tcp::socket& socket,
                                                       Watchdog& watchdog) {
  const std::string target = FormatHostPort(opts.address, opts.port);
  auto dst = ParseSockAddr(opts.address, opts.port);
  if (!dst) co_return ProbeResult{false, dst.error().ToString(), {}};
  auto fd = OpenProbeSocket(opts, SOCK_STREAM, IPPROTO_TCP);
  if (!fd) co_return ProbeResult{false, fd.error().ToString(), {}};

  asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), dst->get(), dst->length);
  endpoint.resize(dst->length);
  std::error_code ec;
  socket.assign(dst->family() == AF_INET ? asio::ip::tcp::v4() : asio::ip::tcp::v6(),
                fd->Release(), ec);
  if (ec) co_return ProbeResult{false, "socket: " + ec.message(), {}};

  watchdog.Arm();
  co_await socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  watchdog.Disarm();
  if (watchdog.expired()) co_return ProbeResult{false, "connection to " + target + " timed out", {}};
  if (ec) co_return ProbeResult{false, "connection to " + target + " failed: " + ec.message(), {}};
  co_return std::nullopt;
}

asio::awaitable<ProbeResult> TcpProbe(ConnectOptions opts) {
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  Watchdog watchdog(socket.get_executor(), opts.connect_timeout, [&socket] {
    std::error_code ignored;
    socket.cancel(ignored);
  });
  if (auto failure = co_await ConnectTcp(opts, socket, watchdog)) co_return *failure;
  // A normal close, as keepalived does: a reset would spare the FIN exchange but makes some
  // real servers log an error for every check.
  std::error_code ignored;
  socket.close(ignored);
  co_return ProbeResult{true, {}, {}};
}

}  // namespace vigil::check

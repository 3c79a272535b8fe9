// PING_CHECK: one ICMP echo on an unprivileged ICMP datagram socket, falling back to a raw
// socket where ping_group_range does not allow it.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "check/probe_coro.h"
#include "check/probe_logic.h"
#include "check/socket_util.h"

namespace vigil::check {

asio::awaitable<ProbeResult> PingProbe(ConnectOptions opts) {
  const std::string target = opts.address;
  auto dst = ParseSockAddr(opts.address, 0);
  if (!dst) co_return ProbeResult{false, dst.error().ToString(), {}};
  const bool v6 = dst->family() == AF_INET6;
  const int proto = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  ConnectOptions sock_opts = opts;
  sock_opts.port = 0;
  sock_opts.bind_port = 0;

  bool raw = false;
  auto fd = OpenProbeSocket(sock_opts, SOCK_DGRAM, proto);
  if (!fd) {
    fd = OpenProbeSocket(sock_opts, SOCK_RAW, proto);
    raw = true;
  }
  if (!fd) co_return ProbeResult{false, "cannot open ICMP socket: " + fd.error().ToString(), {}};

  std::mt19937 rng(std::random_device{}());
  const uint16_t id = static_cast<uint16_t>(rng());
  const uint16_t seq = static_cast<uint16_t>(rng());
  const std::vector<uint8_t> pkt = BuildEchoRequest(v6, id, seq);
  const int raw_fd = fd->get();
  if (::sendto(raw_fd, pkt.data(), pkt.size(), 0, dst->get(), dst->length) < 0) {
    co_return ProbeResult{false, "cannot send ICMP echo to " + target + ": " + std::strerror(errno), {}};
  }

  asio::posix::stream_descriptor desc(co_await asio::this_coro::executor, fd->Release());
  Watchdog watchdog(desc.get_executor(), opts.connect_timeout, [&desc] {
    std::error_code ignored;
    desc.cancel(ignored);
  });
  watchdog.Arm();
  // Raw IPv4 sockets return the IP header too; datagram sockets rewrite the identifier.
  const EchoExpectation expect{.ipv6 = v6, .with_ip_header = raw && !v6, .match_id = raw,
                               .id = id, .seq = seq};
  uint8_t buf[1500];
  while (true) {
    std::error_code ec;
    co_await desc.async_wait(asio::posix::descriptor_base::wait_read,
                             asio::redirect_error(asio::use_awaitable, ec));
    if (watchdog.expired()) co_return ProbeResult{false, "no ICMP echo reply from " + target, {}};
    if (ec) co_return ProbeResult{false, "ICMP wait failed: " + ec.message(), {}};
    while (true) {
      ssize_t n = ::recv(raw_fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        co_return ProbeResult{false, "ICMP receive failed: " + std::string(std::strerror(errno)), {}};
      }
      if (!IsEchoReply(std::span<const uint8_t>(buf, static_cast<size_t>(n)), expect)) continue;
      co_return ProbeResult{true, "ICMP echo reply from " + target, {}};
    }
  }
}

}  // namespace vigil::check

// PING_CHECK: one ICMP echo on an unprivileged ICMP datagram socket, falling back to a raw
// socket where ping_group_range does not allow it.
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "check/probe_coro.h"
#include "check/socket_util.h"

namespace vigil::check {
namespace {

constexpr size_t kPayloadSize = 56;

uint16_t InetChecksum(const uint8_t* data, size_t size) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < size; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (size & 1) sum += data[size - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

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
  std::vector<uint8_t> pkt(8 + kPayloadSize);
  pkt[0] = v6 ? static_cast<uint8_t>(ICMP6_ECHO_REQUEST) : static_cast<uint8_t>(ICMP_ECHO);
  pkt[4] = static_cast<uint8_t>(id >> 8);
  pkt[5] = static_cast<uint8_t>(id);
  pkt[6] = static_cast<uint8_t>(seq >> 8);
  pkt[7] = static_cast<uint8_t>(seq);
  for (size_t i = 0; i < kPayloadSize; ++i) pkt[8 + i] = static_cast<uint8_t>(i);
  if (!v6) {  // the kernel fills in the ICMPv6 checksum
    uint16_t ck = InetChecksum(pkt.data(), pkt.size());
    pkt[2] = static_cast<uint8_t>(ck >> 8);
    pkt[3] = static_cast<uint8_t>(ck);
  }
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
      const uint8_t* icmp = buf;
      size_t len = static_cast<size_t>(n);
      if (raw && !v6) {  // raw IPv4 sockets return the IP header too
        if (len < sizeof(iphdr)) continue;
        size_t ihl = (buf[0] & 0x0f) * 4u;
        if (len < ihl) continue;
        icmp += ihl;
        len -= ihl;
      }
      if (len < 8) continue;
      const uint8_t reply_type =
          v6 ? static_cast<uint8_t>(ICMP6_ECHO_REPLY) : static_cast<uint8_t>(ICMP_ECHOREPLY);
      if (icmp[0] != reply_type) continue;
      const uint16_t rseq = static_cast<uint16_t>((icmp[6] << 8) | icmp[7]);
      const uint16_t rid = static_cast<uint16_t>((icmp[4] << 8) | icmp[5]);
      if (rseq != seq || (raw && rid != id)) continue;  // datagram sockets rewrite the id
      co_return ProbeResult{true, "ICMP echo reply from " + target, {}};
    }
  }
}

}  // namespace vigil::check

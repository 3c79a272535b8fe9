#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdio>
#include <fstream>
#include <string>
#include <gtest/gtest.h>

#include "probe_test_util.h"

namespace vigil::check {
namespace {

using asio::ip::tcp;
using asio::ip::udp;
using testing::Loopback;
using testing::RunOnce;

// ---- SMTP ----

class SmtpServer {
 public:
  SmtpServer(asio::io_context& io, std::string banner, std::string helo_reply)
      : banner_(std::move(banner)), helo_reply_(std::move(helo_reply)),
        acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    testing::Spawn(io, Serve());
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string received;

 private:
  asio::awaitable<void> Serve() {
    tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
    std::error_code ec;
    co_await asio::async_write(s, asio::buffer(banner_), asio::redirect_error(asio::use_awaitable, ec));
    std::string in;
    size_t n = co_await asio::async_read_until(s, asio::dynamic_buffer(in), "\n",
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    received += in.substr(0, n);
    in.erase(0, n);
    co_await asio::async_write(s, asio::buffer(helo_reply_), asio::redirect_error(asio::use_awaitable, ec));
    n = co_await asio::async_read_until(s, asio::dynamic_buffer(in), "\n",
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    received += in.substr(0, n);
    co_await asio::async_write(s, asio::buffer(std::string("221 bye\r\n")),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  std::string banner_, helo_reply_;
  tcp::acceptor acceptor_;
};

TEST(SmtpProbeTest, BannerHeloQuit) {
  asio::io_context io;
  SmtpServer server(io, "220 mx.test ESMTP\r\n", "250 mx.test\r\n");
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port()), SmtpCheck{"checker.test"}});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(server.received, "HELO checker.test\r\nQUIT\r\n");
}

TEST(SmtpProbeTest, MultiLineBannerIsAccepted) {
  asio::io_context io;
  SmtpServer server(io, "220-mx.test welcome\r\n220 mx.test ESMTP\r\n", "250 ok\r\n");
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port()), SmtpCheck{}});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(server.received, "HELO smtpchecker.keepalived.org\r\nQUIT\r\n");
}

TEST(SmtpProbeTest, BadBannerOrHeloFails) {
  {
    asio::io_context io;
    SmtpServer server(io, "554 go away\r\n", "250 ok\r\n");
    ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port()), SmtpCheck{}});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.detail, "bad greeting banner from 127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(r.failure, FailureKind::kBadGreeting);
  }
  {
    asio::io_context io;
    SmtpServer server(io, "hello\r\n", "250 ok\r\n");  // no reply code at all
    ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port()), SmtpCheck{}});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.detail, "bad greeting banner from 127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(r.failure, FailureKind::kBadGreeting);
  }
  {
    asio::io_context io;
    SmtpServer server(io, "220 hi\r\n", "500 what\r\n");
    ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port()), SmtpCheck{}});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.detail, "bad HELO response from 127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(r.failure, FailureKind::kBadHelo);
  }
}

TEST(SmtpProbeTest, SilentServerTimesOut) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::optional<tcp::socket> held;
  acceptor.async_accept([&](std::error_code, tcp::socket s) { held = std::move(s); });
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(acceptor.local_endpoint().port(),
                                                 std::chrono::milliseconds(100)),
                                        SmtpCheck{}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "cannot read banner from 127.0.0.1:" +
                          std::to_string(acceptor.local_endpoint().port()) + ": timeout");
  EXPECT_EQ(r.failure, FailureKind::kReadTimeout);
}

TEST(SmtpProbeTest, AServerThatClosesIsAReadFailure) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  acceptor.async_accept([](std::error_code, tcp::socket s) { s.close(); });
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(acceptor.local_endpoint().port()), SmtpCheck{}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "cannot read banner from 127.0.0.1:" +
                          std::to_string(acceptor.local_endpoint().port()) + ": End of file");
  EXPECT_EQ(r.failure, FailureKind::kReadFailure);
}

TEST(SmtpProbeTest, AnyReplyToQuitWillDo) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  // Greets, answers HELO and then says something that is no reply code.
  std::string script = "220 hi\r\n250 ok\r\nbye\r\n";
  std::optional<tcp::socket> held;
  acceptor.async_accept([&](std::error_code, tcp::socket s) {
    held = std::move(s);
    asio::async_write(*held, asio::buffer(script), [](std::error_code, size_t) {});
  });
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(acceptor.local_endpoint().port()), SmtpCheck{}});
  EXPECT_TRUE(r.ok) << r.detail;
}

// Greets with continuation lines ("220-...") forever, one every `gap`.
class EndlessGreeting {
 public:
  EndlessGreeting(asio::io_context& io, std::chrono::milliseconds gap)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), gap_(gap) {
    testing::Spawn(io, Serve());
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::awaitable<void> Serve() {
    tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
    asio::steady_timer timer(s.get_executor());
    std::error_code ec;
    const std::string line = "220-still greeting\r\n";
    while (!ec) {
      if (gap_.count() > 0) {
        timer.expires_after(gap_);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      co_await asio::async_write(s, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  tcp::acceptor acceptor_;
  std::chrono::milliseconds gap_;
};

TEST(SmtpProbeTest, EndlessGreetingFailsAtTheReplyCap) {
  asio::io_context io;
  EndlessGreeting server(io, std::chrono::milliseconds(0));
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port()), SmtpCheck{}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "cannot read banner from 127.0.0.1:" + std::to_string(server.port()) +
                          ": reply longer than 64 KiB");
}

TEST(SmtpProbeTest, DripFedGreetingFailsWithinTheCheckBudget) {
  asio::io_context io;
  EndlessGreeting server(io, std::chrono::milliseconds(40));
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port(), std::chrono::milliseconds(100)),
                                        SmtpCheck{}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "cannot read banner from 127.0.0.1:" + std::to_string(server.port()) +
                          ": timeout: not done within 400 ms (4 x connect_timeout)");
}

// ---- DNS ----

class DnsServer {
 public:
  DnsServer(asio::io_context& io, uint8_t rcode, bool send_stray_first)
      : socket_(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        rcode_(rcode), stray_(send_stray_first) {
    testing::Spawn(io, Serve());
  }
  uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<uint8_t> query;

 private:
  asio::awaitable<void> Serve() {
    uint8_t buf[512];
    udp::endpoint from;
    size_t n = co_await socket_.async_receive_from(asio::buffer(buf), from, asio::use_awaitable);
    query.assign(buf, buf + n);
    std::vector<uint8_t> reply(query);
    reply[2] |= 0x80;  // QR
    reply[3] = static_cast<uint8_t>((reply[3] & 0xf0) | rcode_);
    if (stray_) {
      std::vector<uint8_t> other(reply);
      other[1] ^= 0xff;  // another id: must be ignored
      other[3] = (other[3] & 0xf0) | 2;
      co_await socket_.async_send_to(asio::buffer(other), from, asio::use_awaitable);
    }
    co_await socket_.async_send_to(asio::buffer(reply), from, asio::use_awaitable);
  }
  udp::socket socket_;
  uint8_t rcode_;
  bool stray_;
};

TEST(DnsProbeTest, SoaQueryForRootByDefault) {
  asio::io_context io;
  DnsServer server(io, 0, false);
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port()), DnsCheck{}});
  EXPECT_TRUE(r.ok) << r.detail;
  ASSERT_EQ(server.query.size(), 17u);
  EXPECT_EQ(std::vector<uint8_t>(server.query.begin() + 2, server.query.end()),
            (std::vector<uint8_t>{0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1}));
}

TEST(DnsProbeTest, NonZeroRcodeFailsAndStrayAnswersAreIgnored) {
  {
    asio::io_context io;
    DnsServer server(io, 3, false);
    ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port()), DnsCheck{1, "example.com"}});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.detail, "DNS error from 127.0.0.1:" + std::to_string(server.port()) + " (rcode = 3)");
  }
  {
    asio::io_context io;
    DnsServer server(io, 0, /*send_stray_first=*/true);
    ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port()), DnsCheck{}});
    EXPECT_TRUE(r.ok) << r.detail;
  }
}

// ---- UDP ----

uint16_t ClosedUdpPort(asio::io_context& io) {
  udp::socket s(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return s.local_endpoint().port();
}

class UdpEcho {
 public:
  UdpEcho(asio::io_context& io, std::vector<uint8_t> reply)
      : socket_(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), reply_(std::move(reply)) {
    testing::Spawn(io, Serve());
  }
  uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<uint8_t> got;

 private:
  asio::awaitable<void> Serve() {
    uint8_t buf[512];
    udp::endpoint from;
    size_t n = co_await socket_.async_receive_from(asio::buffer(buf), from, asio::use_awaitable);
    got.assign(buf, buf + n);
    if (!reply_.empty()) co_await socket_.async_send_to(asio::buffer(reply_), from, asio::use_awaitable);
  }
  udp::socket socket_;
  std::vector<uint8_t> reply_;
};

TEST(UdpProbeTest, PortUnreachableFails) {
  asio::io_context io;
  uint16_t port = ClosedUdpPort(io);
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(port), UdpCheck{}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "UDP check of 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
}

TEST(UdpProbeTest, SilenceIsSuccessUnlessAReplyIsRequired) {
  asio::io_context io;
  UdpEcho silent(io, {});
  UdpCheck c;
  c.payload = {'p', 'i', 'n', 'g'};
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(silent.port(), std::chrono::milliseconds(100)), c});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(silent.got, (std::vector<uint8_t>{'p', 'i', 'n', 'g'}));

  asio::io_context io2;
  UdpEcho silent2(io2, {});
  c.require_reply = true;
  r = RunOnce(io2, ProbeSpec{Loopback(silent2.port(), std::chrono::milliseconds(100)), c});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "no UDP reply from 127.0.0.1:" + std::to_string(silent2.port()));
}

TEST(UdpProbeTest, RequiredReplyMustMatch) {
  UdpCheck c;
  c.require_reply = true;
  c.reply_data = {'p', 'o', 'n', 'g'};
  {
    asio::io_context io;
    UdpEcho echo(io, {'p', 'o', 'n', 'g', '!'});
    ProbeResult r = RunOnce(io, ProbeSpec{Loopback(echo.port()), c});
    EXPECT_TRUE(r.ok) << r.detail;
    EXPECT_EQ(echo.got.size(), 32u);  // default payload
  }
  {
    asio::io_context io;
    UdpEcho echo(io, {'n', 'o'});
    ProbeResult r = RunOnce(io, ProbeSpec{Loopback(echo.port()), c});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.detail, "UDP reply from 127.0.0.1:" + std::to_string(echo.port()) + " does not match");
  }
}

// ---- PING ----

TEST(PingProbeTest, EchoesLoopback) {
  asio::io_context io;
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(0), PingCheck{}});
  if (!r.ok && r.detail.find("cannot open ICMP socket") == 0) GTEST_SKIP() << r.detail;
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "ICMP echo reply from 127.0.0.1");
}

// Returns why an ICMPv6 echo to ::1 cannot work in this environment, "" if it can: ::1 is
// not configured (IPv6 disabled in the namespace), or neither an unprivileged (ping_group_range)
// nor a raw (CAP_NET_RAW) ICMPv6 socket may be opened. Checked apart from the probe, so that
// only these reasons skip and any failure of the probe itself fails.
std::string Ipv6PingUnavailable() {
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return std::string("no IPv6 sockets: ") + std::strerror(errno);
  sockaddr_in6 lo{};
  lo.sin6_family = AF_INET6;
  lo.sin6_addr = in6addr_loopback;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&lo), sizeof(lo)) == 0;
  const int bind_errno = errno;
  ::close(fd);
  if (!bound) return std::string("::1 is not configured: ") + std::strerror(bind_errno);
  for (int type : {SOCK_DGRAM, SOCK_RAW}) {
    fd = ::socket(AF_INET6, type | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fd >= 0) {
      ::close(fd);
      return "";
    }
  }
  return std::string("no ICMPv6 socket allowed: ") + std::strerror(errno);
}

TEST(PingProbeTest, EchoesIpv6Loopback) {
  if (const std::string why = Ipv6PingUnavailable(); !why.empty()) GTEST_SKIP() << why;
  asio::io_context io;
  ConnectOptions c = Loopback(0);
  c.address = "::1";
  ProbeResult r = RunOnce(io, ProbeSpec{c, PingCheck{}});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "ICMP echo reply from ::1");
}

// ---- FILE ----

TEST(FileProbeTest, ReadsTheNumberEachTime) {
  char path[] = "/tmp/vigil-check-file-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  asio::io_context io;
  FileCheck f{path, 2, false};
  { std::ofstream(path) << "21\n"; }
  ProbeResult r = RunOnce(io, ProbeSpec{{}, f});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.weight, (WeightUpdate{WeightUpdate::Kind::kOffset, 42}));
  f.weight = 0;
  r = RunOnce(io, ProbeSpec{{}, f});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "file value 21");
  std::remove(path);
  r = RunOnce(io, ProbeSpec{{}, f});  // a missing file reads as 0
  EXPECT_TRUE(r.ok);
}

}  // namespace
}  // namespace vigil::check

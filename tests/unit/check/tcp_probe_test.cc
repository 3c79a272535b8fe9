#include <gtest/gtest.h>

#include "probe_test_util.h"

namespace vigil::check {
namespace {

using asio::ip::tcp;
using testing::Loopback;
using testing::RunOnce;

ProbeSpec TcpSpec(ConnectOptions c) { return ProbeSpec{std::move(c), TcpCheck{}}; }

TEST(TcpProbeTest, SucceedsAgainstAListener) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  ProbeResult r = RunOnce(io, TcpSpec(Loopback(acceptor.local_endpoint().port())));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "");  // success carries no text: nothing is logged for it
}

TEST(TcpProbeTest, FailsWhenNothingListens) {
  asio::io_context io;
  uint16_t port;
  {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  ProbeResult r = RunOnce(io, TcpSpec(Loopback(port)));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "connection to 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
  // The refusal ends a connection under way (connect() said EINPROGRESS): keepalived's
  // "Could not connect to server ..." in an SMTP_CHECK's mail.
  EXPECT_EQ(r.failure, FailureKind::kConnectFailed);
}

TEST(TcpProbeTest, ResetsBeforeTheServerCanAcceptAndLeavesNoTimeWait) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  ConnectOptions c = Loopback(acceptor.local_endpoint().port());
  uint16_t src_port;
  {
    tcp::acceptor tmp(io, tcp::endpoint(asio::ip::make_address("127.0.0.2"), 0));
    src_port = tmp.local_endpoint().port();
  }
  c.bind_address = "127.0.0.2";
  c.bind_port = src_port;  // a fixed source port: the connect() path, not the raw prober
  for (int i = 0; i < 2; ++i) {  // the same four-tuple again at once: nothing in TIME_WAIT
    ProbeResult r = RunOnce(io, TcpSpec(c));
    ASSERT_TRUE(r.ok) << r.detail;
  }
  acceptor.non_blocking(true);
  std::error_code ec;
  tcp::socket s = acceptor.accept(ec);
  EXPECT_EQ(ec, asio::error::would_block) << "a check connection reached accept()";
}

TEST(TcpProbeTest, ConnectBindsToTheGivenSourceAddressAndPort) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::endpoint peer;
  acceptor.async_accept([&](std::error_code ec, tcp::socket s) {
    if (!ec) peer = s.remote_endpoint();
  });
  // Pick a free source port by binding and releasing it.
  uint16_t src_port;
  {
    tcp::acceptor tmp(io, tcp::endpoint(asio::ip::make_address("127.0.0.2"), 0));
    src_port = tmp.local_endpoint().port();
  }
  ConnectOptions c = Loopback(acceptor.local_endpoint().port());
  c.bind_address = "127.0.0.2";
  c.bind_port = src_port;
  c.bind_if = "lo";
  c.fwmark = 42;
  std::optional<ProbeResult> failure{ProbeResult{false, "not run", {}}};
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    tcp::socket socket(io);
    Watchdog watchdog(io.get_executor(), c.connect_timeout, [&socket] { socket.cancel(); });
    failure = co_await ConnectTcp(c, socket, watchdog);
    io.stop();
  }, asio::detached);
  io.run_for(std::chrono::seconds(5));
  ASSERT_FALSE(failure) << failure->detail;
  io.restart();
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(peer.address().to_string(), "127.0.0.2");
  EXPECT_EQ(peer.port(), src_port);
}

TEST(TcpProbeTest, ReportsBadSocketOptions) {
  asio::io_context io;
  ConnectOptions c = Loopback(1);
  c.bind_if = "no-such-if0";
  ProbeResult r = RunOnce(io, TcpSpec(c));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "setsockopt(SO_BINDTODEVICE no-such-if0): No such device");
  c = Loopback(1);
  c.address = "not-an-ip";
  r = RunOnce(io, TcpSpec(c));
  EXPECT_EQ(r.detail, "not a numeric IP address: 'not-an-ip'");
}

TEST(TcpProbeTest, WorksOverIpv6Loopback) {
  asio::io_context io;
  std::error_code ec;
  tcp::acceptor acceptor(io);
  acceptor.open(tcp::v6(), ec);
  if (!ec) acceptor.bind(tcp::endpoint(asio::ip::make_address("::1"), 0), ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback: " << ec.message();
  acceptor.listen();
  ConnectOptions c = Loopback(acceptor.local_endpoint().port());
  c.address = "::1";
  ProbeResult r = RunOnce(io, TcpSpec(c));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "");
}

}  // namespace
}  // namespace vigil::check

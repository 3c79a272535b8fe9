#include "check/probe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "probe_test_util.h"

// Designated initializers of HttpUrl name only the fields each test cares about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vigil::check {
namespace {

using asio::ip::tcp;
using testing::Loopback;

TEST(MaxActiveProbesTest, LeavesAReserveOfAnEighthAndAtLeast256) {
  EXPECT_EQ(MaxActiveProbes(1024), 768u);
  EXPECT_EQ(MaxActiveProbes(20000), 17500u);
  EXPECT_EQ(MaxActiveProbes(300), 44u);
  EXPECT_EQ(MaxActiveProbes(100), 1u);
}

// Accepts connections, reads each request and answers 200 after `delay` (none when zero:
// then it holds the connection until the client closes it). Counts connections open at
// once, and those the client closed.
class Server {
 public:
  Server(asio::io_context& io, std::chrono::milliseconds delay)
      : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        delay_(delay) {
    testing::Spawn(io, Accept());
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int open = 0;
  int max_open = 0;
  int accepted = 0;
  int closed_by_client = 0;

 private:
  asio::awaitable<void> Accept() {
    while (true) {
      tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
      testing::Spawn(io_, Serve(std::move(s)));
    }
  }
  asio::awaitable<void> Serve(tcp::socket s) {
    ++accepted;
    max_open = std::max(max_open, ++open);
    std::error_code ec;
    std::string req;
    co_await asio::async_read_until(s, asio::dynamic_buffer(req), "\r\n\r\n",
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (delay_.count() == 0) {
      char byte;
      co_await s.async_read_some(asio::buffer(&byte, 1), asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::eof) ++closed_by_client;
      --open;
      co_return;
    }
    asio::steady_timer t(s.get_executor());
    t.expires_after(delay_);
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    const std::string resp = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    co_await asio::async_write(s, asio::buffer(resp), asio::redirect_error(asio::use_awaitable, ec));
    s.shutdown(tcp::socket::shutdown_send, ec);
    --open;
  }
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::chrono::milliseconds delay_;
};

ProbeSpec Get(uint16_t port) {
  HttpCheck c;
  c.urls.push_back(HttpUrl{.path = "/"});
  return ProbeSpec{Loopback(port), c};
}

// Runs `io` until `pred` holds, for at most 10 s.
template <typename Pred>
bool RunUntil(asio::io_context& io, Pred pred) {
  io.restart();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred() && std::chrono::steady_clock::now() < give_up) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  return pred();
}

TEST(ProbeStarterTest, ProbesBeyondTheCapWaitTheirTurn) {
  asio::io_context io;
  Server server(io, std::chrono::milliseconds(30));
  ProbeStarter starter(io, 2);
  std::vector<ProbeResult> results;
  for (int i = 0; i < 5; ++i) {
    starter.Start(Get(server.port()), std::chrono::seconds(5), nullptr,
                  [&](ProbeResult r) { results.push_back(std::move(r)); });
  }
  EXPECT_EQ(starter.active(), 2u);
  EXPECT_EQ(starter.queued(), 3u);
  ASSERT_TRUE(RunUntil(io, [&] { return results.size() == 5; }));
  for (const ProbeResult& r : results) EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(server.accepted, 5);
  EXPECT_EQ(server.max_open, 2);  // never more sockets than the cap
  EXPECT_EQ(starter.active(), 0u);
  EXPECT_EQ(starter.queued(), 0u);
}

TEST(ProbeStarterTest, ARaisedCapStartsTheQueuedProbesAtOnce) {
  asio::io_context io;
  Server server(io, std::chrono::milliseconds(30));
  ProbeStarter starter(io, 1);
  std::vector<ProbeResult> results;
  for (int i = 0; i < 4; ++i) {
    starter.Start(Get(server.port()), std::chrono::seconds(5), nullptr,
                  [&](ProbeResult r) { results.push_back(std::move(r)); });
  }
  EXPECT_EQ(starter.active(), 1u);
  EXPECT_EQ(starter.queued(), 3u);
  // As after the process raised its open-file limit.
  starter.SetMaxActive(3);
  EXPECT_EQ(starter.max_active(), 3u);
  EXPECT_EQ(starter.active(), 3u);
  EXPECT_EQ(starter.queued(), 1u);
  ASSERT_TRUE(RunUntil(io, [&] { return results.size() == 4; }));
  for (const ProbeResult& r : results) EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(server.max_open, 3);
  // A lowered cap never stops running probes; it holds back the next ones.
  starter.SetMaxActive(0);
  EXPECT_EQ(starter.max_active(), 1u);
}

TEST(ProbeStarterTest, CancelClosesTheRunningProbesSocket) {
  asio::io_context io;
  Server server(io, std::chrono::milliseconds(0));  // never answers
  ProbeStarter starter(io, 10);
  std::optional<ProbeResult> result;
  const ProbeTicket ticket = starter.Start(Get(server.port()), std::chrono::seconds(5), nullptr,
                                           [&](ProbeResult r) { result = std::move(r); });
  ASSERT_NE(ticket, 0u);
  ASSERT_TRUE(RunUntil(io, [&] { return server.accepted == 1; }));
  starter.Cancel(ticket);
  ASSERT_TRUE(RunUntil(io, [&] { return result.has_value() && server.closed_by_client == 1; }));
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(server.open, 0);
  EXPECT_EQ(starter.active(), 0u);
}

TEST(ProbeStarterTest, CancelOfAQueuedProbeNeverStartsIt) {
  asio::io_context io;
  Server server(io, std::chrono::milliseconds(20));
  ProbeStarter starter(io, 1);
  std::vector<std::string> order;
  starter.Start(Get(server.port()), std::chrono::seconds(5), nullptr,
                [&](ProbeResult r) { order.push_back(r.ok ? "first ok" : "first failed"); });
  const ProbeTicket second = starter.Start(Get(server.port()), std::chrono::seconds(5), nullptr,
                                           [&](ProbeResult r) { order.push_back("second " + r.detail); });
  EXPECT_EQ(starter.queued(), 1u);
  starter.Cancel(second);
  EXPECT_EQ(starter.queued(), 0u);
  ASSERT_TRUE(RunUntil(io, [&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<std::string>{"second cancelled", "first ok"}));
  EXPECT_EQ(server.accepted, 1);
}

TEST(ProbeStarterTest, DestroyingTheStarterClosesItsProbes) {
  asio::io_context io;
  Server server(io, std::chrono::milliseconds(0));
  bool called = false;
  {
    ProbeStarter starter(io, 10);
    starter.Start(Get(server.port()), std::chrono::seconds(5), nullptr,
                  [&](ProbeResult) { called = true; });
    ASSERT_TRUE(RunUntil(io, [&] { return server.accepted == 1; }));
  }
  ASSERT_TRUE(RunUntil(io, [&] { return server.closed_by_client == 1; }));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace vigil::check

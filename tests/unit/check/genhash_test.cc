#include "check/genhash.h"

#include <gtest/gtest.h>

#include "probe_test_util.h"

namespace vigil::check {
namespace {

using asio::ip::tcp;

TEST(ParseCheckUrlTest, HttpHttpsPortsAndIpv6) {
  EXPECT_EQ(*ParseCheckUrl("http://10.0.0.1/index.html"), (CheckUrl{false, "10.0.0.1", 80, "/index.html"}));
  EXPECT_EQ(*ParseCheckUrl("https://10.0.0.1:8443"), (CheckUrl{true, "10.0.0.1", 8443, "/"}));
  EXPECT_EQ(*ParseCheckUrl("http://[::1]:8080/a?b=c"), (CheckUrl{false, "::1", 8080, "/a?b=c"}));
  EXPECT_EQ(*ParseCheckUrl("https://[fe80::1]"), (CheckUrl{true, "fe80::1", 443, "/"}));
}

TEST(ParseCheckUrlTest, Errors) {
  EXPECT_EQ(ParseCheckUrl("ftp://x/").error().context(), "URL must start with http:// or https://");
  EXPECT_EQ(ParseCheckUrl("http://1.2.3.4:0/").error().context(), "bad port '0' in URL");
  EXPECT_EQ(ParseCheckUrl("http://1.2.3.4:99999/").error().context(), "bad port '99999' in URL");
  EXPECT_EQ(ParseCheckUrl("http:///x").error().context(), "URL has no host");
  EXPECT_EQ(ParseCheckUrl("http://[::1/").error().context(), "unterminated [ in URL");
}

TEST(GenHashTest, PrintsMd5OfBodyAndSendsVirtualhost) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string request;
  // A named lambda: the coroutine refers to its captures, so it must outlive the coroutine.
  auto serve = [&]() -> asio::awaitable<void> {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    co_await asio::async_read_until(s, asio::dynamic_buffer(request), "\r\n\r\n", asio::use_awaitable);
    const std::string resp =
        "HTTP/1.0 200 OK\r\nContent-Length: 43\r\n\r\nThe quick brown fox jumps over the lazy dog";
    co_await asio::async_write(s, asio::buffer(resp), asio::use_awaitable);
  };
  testing::Spawn(io, serve());
  GenHashOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/fox";
  o.virtualhost = "www.example.com";
  auto digest = GenHash(io, o);
  ASSERT_TRUE(digest) << digest.error().ToString();
  EXPECT_EQ(*digest, "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(request, "GET /fox HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: www.example.com\r\n\r\n");
}

TEST(GenHashTest, FailsWhenNothingListens) {
  asio::io_context io;
  uint16_t port;
  {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  GenHashOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto digest = GenHash(io, o);
  ASSERT_FALSE(digest);
  EXPECT_EQ(digest.error().context(),
            "connection to 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
}

}  // namespace
}  // namespace vigil::check

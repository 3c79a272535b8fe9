#include <openssl/ssl.h>
#include <unistd.h>

#include <asio/ssl.hpp>
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>

// Designated initializers of HttpUrl name only the fields each test cares about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "check/body_check.h"
#include "probe_test_util.h"

namespace vigil::check {
namespace {

using asio::ip::tcp;
using testing::Loopback;
using testing::RunOnce;

// Serves `response` to every connection and records the requests.
class HttpServer {
 public:
  explicit HttpServer(asio::io_context& io)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    testing::Spawn(io, Serve());
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string response;
  std::vector<std::string> requests;

 private:
  asio::awaitable<void> Serve() {
    while (true) {
      tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
      std::string req;
      co_await asio::async_read_until(s, asio::dynamic_buffer(req), "\r\n\r\n", asio::use_awaitable);
      requests.push_back(req);
      co_await asio::async_write(s, asio::buffer(response), asio::use_awaitable);
      s.shutdown(tcp::socket::shutdown_send);
    }
  }
  tcp::acceptor acceptor_;
};

ProbeSpec Http(uint16_t port, HttpCheck check) { return ProbeSpec{Loopback(port), std::move(check)}; }

HttpCheck OneUrl(HttpUrl url) {
  HttpCheck c;
  c.urls.push_back(std::move(url));
  return c;
}

TEST(HttpProbeTest, SendsKeepalivedRequestAndAccepts200) {
  asio::io_context io;
  HttpServer server(io);
  server.response = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
  ProbeResult r = RunOnce(io, Http(server.port(), OneUrl({.path = "/health"})));
  EXPECT_TRUE(r.ok) << r.detail;
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0], "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:" +
                                    std::to_string(server.port()) + "\r\n\r\n");
}

TEST(HttpProbeTest, UrlVirtualhostOverridesCheckerVirtualhost) {
  asio::io_context io;
  HttpServer server(io);
  server.response = "HTTP/1.1 200 OK\r\n\r\n";
  HttpCheck c = OneUrl({.path = "/a", .virtualhost = "url.example"});
  c.urls.push_back({.path = "/b"});
  c.virtualhost = "checker.example";
  c.version = HttpVersion::k11;
  ProbeResult r = RunOnce(io, Http(server.port(), c));
  EXPECT_TRUE(r.ok) << r.detail;
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0],
            "GET /a HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: url.example\r\n\r\n");
  EXPECT_EQ(server.requests[1],
            "GET /b HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: checker.example\r\n\r\n");
}

TEST(HttpProbeTest, StatusCodeOutsideRangesFails) {
  asio::io_context io;
  HttpServer server(io);
  server.response = "HTTP/1.0 503 Busy\r\n\r\n";
  ProbeResult r = RunOnce(io, Http(server.port(), OneUrl({.path = "/"})));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "127.0.0.1:" + std::to_string(server.port()) + "/: HTTP status code 503");
  r = RunOnce(io, Http(server.port(), OneUrl({.path = "/", .status_codes = {{500, 503}}})));
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST(HttpProbeTest, DigestIsCheckedOnTheDechunkedBody) {
  asio::io_context io;
  HttpServer server(io);
  server.response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nThe \r\n27\r\n"
      "quick brown fox jumps over the lazy dog\r\n0\r\n\r\n";
  ProbeResult r = RunOnce(
      io, Http(server.port(), OneUrl({.path = "/", .digest = "9e107d9d372bb6826bd81d3542a419d6"})));
  EXPECT_TRUE(r.ok) << r.detail;
  r = RunOnce(io, Http(server.port(), OneUrl({.path = "/", .digest = "00000000000000000000000000000000"})));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "127.0.0.1:" + std::to_string(server.port()) +
                          "/: MD5 digest mismatch (got 9e107d9d372bb6826bd81d3542a419d6)");
}

TEST(HttpProbeTest, RegexAndRegexNoMatch) {
  asio::io_context io;
  HttpServer server(io);
  server.response = "HTTP/1.0 200 OK\r\n\r\n<html>status: healthy</html>";
  EXPECT_TRUE(RunOnce(io, Http(server.port(), OneUrl({.path = "/", .regex = "status: (healthy|ok)"}))).ok);
  EXPECT_FALSE(RunOnce(io, Http(server.port(), OneUrl({.path = "/", .regex = "degraded"}))).ok);
  EXPECT_TRUE(RunOnce(io, Http(server.port(),
                               OneUrl({.path = "/", .regex = "degraded", .regex_no_match = true})))
                  .ok);
}

TEST(HttpProbeTest, EmptyResponseFails) {
  asio::io_context io;
  HttpServer server(io);
  server.response = "";
  ProbeResult r = RunOnce(io, Http(server.port(), OneUrl({.path = "/"})));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "127.0.0.1:" + std::to_string(server.port()) + "/: no data received");
}

TEST(HttpProbeTest, SilentServerTimesOut) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::optional<tcp::socket> held;
  acceptor.async_accept([&](std::error_code, tcp::socket s) { held = std::move(s); });
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(acceptor.local_endpoint().port(),
                                                 std::chrono::milliseconds(100)),
                                        OneUrl({.path = "/"})});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) +
                          "/: timeout reading response");
}

// Sends `head`, then `piece` every `gap` until the peer goes away; counts the bytes sent.
class StreamingServer {
 public:
  StreamingServer(asio::io_context& io, std::string head, std::string piece,
                  std::chrono::milliseconds gap)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        head_(std::move(head)), piece_(std::move(piece)), gap_(gap) {
    testing::Spawn(io, Serve());
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  size_t sent = 0;

 private:
  asio::awaitable<void> Serve() {
    tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
    std::error_code ec;
    std::string req;
    co_await asio::async_read_until(s, asio::dynamic_buffer(req), "\r\n\r\n",
                                    asio::redirect_error(asio::use_awaitable, ec));
    co_await asio::async_write(s, asio::buffer(head_), asio::redirect_error(asio::use_awaitable, ec));
    asio::steady_timer timer(s.get_executor());
    while (!ec) {
      if (gap_.count() > 0) {
        timer.expires_after(gap_);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      sent += co_await asio::async_write(s, asio::buffer(piece_),
                                         asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  tcp::acceptor acceptor_;
  std::string head_, piece_;
  std::chrono::milliseconds gap_;
};

Result<HttpFetch> Fetch(asio::io_context& io, ConnectOptions opts, HttpRequestSpec spec) {
  std::optional<Result<HttpFetch>> got;
  asio::co_spawn(io, FetchHttp(std::move(opts), std::move(spec)),
                 [&](std::exception_ptr, Result<HttpFetch> f) {
                   got = std::move(f);
                   io.stop();
                 });
  io.restart();
  io.run();
  return got.value_or(Fail(ErrorCode::kInternal, "never completed"));
}

TEST(HttpProbeTest, DripFeedingServerFailsWithinTheCheckBudget) {
  asio::io_context io;
  // Headers at once, then a byte every 40 ms: each read is within connect_timeout (100 ms),
  // the whole never ends.
  StreamingServer server(io, "HTTP/1.0 200 OK\r\n\r\n", "x", std::chrono::milliseconds(40));
  HttpCheck check = OneUrl({.path = "/", .digest = "00000000000000000000000000000000"});
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port(), std::chrono::milliseconds(100)),
                                        check});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "127.0.0.1:" + std::to_string(server.port()) +
                          "/: timeout: not done within 300 ms (3 x connect_timeout)");
}

TEST(HttpProbeTest, DripFedHeadersFailWithinTheCheckBudget) {
  asio::io_context io;
  StreamingServer server(io, "HTTP/1.0 200 OK\r\n", "X-A: b\r\n", std::chrono::milliseconds(40));
  ProbeResult r = RunOnce(io, ProbeSpec{Loopback(server.port(), std::chrono::milliseconds(100)),
                                        OneUrl({.path = "/"})});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "127.0.0.1:" + std::to_string(server.port()) +
                          "/: timeout: not done within 300 ms (3 x connect_timeout)");
}

TEST(HttpProbeTest, StatusOnlyCheckReadsNoBody) {
  asio::io_context io;
  StreamingServer server(io, "HTTP/1.0 200 OK\r\n\r\n", std::string(64 * 1024, 'x'),
                         std::chrono::milliseconds(0));
  ProbeResult r = RunOnce(io, Http(server.port(), OneUrl({.path = "/"})));
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST(HttpProbeTest, FetchWithoutBodyStopsAfterTheHeaders) {
  asio::io_context io;
  StreamingServer server(io, "HTTP/1.0 204 No Content\r\n\r\n", std::string(64 * 1024, 'x'),
                         std::chrono::milliseconds(0));
  auto f = Fetch(io, Loopback(server.port()),
                 HttpRequestSpec{.path = "/", .host = "h", .read_body = false});
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_EQ(f->status, 204);
  EXPECT_FALSE(f->body_read);
  EXPECT_LE(f->body_bytes, size_t{16 * 1024});  // at most what shared the headers' read
}

TEST(HttpProbeTest, EndlessBodyStopsAtTheCapAndFailsADigest) {
  asio::io_context io;
  StreamingServer server(io, "HTTP/1.0 200 OK\r\n\r\n", std::string(64 * 1024, 'x'),
                         std::chrono::milliseconds(0));
  HttpCheck check = OneUrl({.path = "/", .digest = "00000000000000000000000000000000"});
  ProbeResult r = RunOnce(io, Http(server.port(), check));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "127.0.0.1:" + std::to_string(server.port()) +
                          "/: body longer than 4 MiB: no digest taken");
  EXPECT_LT(server.sent, kMaxHttpBody + 8 * 1024 * 1024);  // socket buffers, not gigabytes
}

TEST(HttpProbeTest, EndlessBodyFetchIsCutAtMaxBody) {
  asio::io_context io;
  StreamingServer server(io, "HTTP/1.0 200 OK\r\n\r\n", std::string(1000, 'x'),
                         std::chrono::milliseconds(0));
  auto f = Fetch(io, Loopback(server.port()),
                 HttpRequestSpec{.path = "/", .host = "h", .keep_body = true, .max_body = 5000});
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_TRUE(f->body_truncated);
  EXPECT_EQ(f->body, std::string(5000, 'x'));
}

// ---- TLS ----

class TlsFiles {
 public:
  TlsFiles() {
    char tmpl[] = "/tmp/vigil-check-tls-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ok_ = Make("server", "test.example", "") && Make("other", "other.example", "") &&
          Make("client", "client.example", "secret");
  }
  ~TlsFiles() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string Cert(const std::string& n) const { return dir_ + "/" + n + ".crt"; }
  std::string Key(const std::string& n) const { return dir_ + "/" + n + ".key"; }

 private:
  bool Make(const std::string& name, const std::string& cn, const std::string& pass) {
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 2 " +
                      std::string(pass.empty() ? "-nodes " : "-passout pass:" + pass + " ") +
                      "-subj /CN=" + cn + " -addext subjectAltName=DNS:" + cn + " -keyout " +
                      Key(name) + " -out " + Cert(name) + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }
  std::string dir_;
  bool ok_ = false;
};

class TlsServer {
 public:
  TlsServer(asio::io_context& io, const TlsFiles& files, bool require_client_cert)
      : ctx_(asio::ssl::context::tls_server),
        acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    ctx_.use_certificate_chain_file(files.Cert("server"));
    ctx_.use_private_key_file(files.Key("server"), asio::ssl::context::pem);
    if (require_client_cert) {
      ctx_.load_verify_file(files.Cert("client"));
      ctx_.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
    testing::Spawn(io, Serve());
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string sni;
  int served = 0;  // completed handshakes
  std::string response = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
  bool reset_after_response = false;  // end with a TCP reset instead of close_notify
  // After each session: whether the client's close_notify came (unset while none ended).
  std::optional<bool> client_close_notify;

 private:
  asio::awaitable<void> Serve() {
    while (true) {
      tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::ssl::stream<tcp::socket> tls(std::move(s), ctx_);
      std::error_code ec;
      co_await tls.async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(asio::use_awaitable, ec));
      if (ec) continue;
      ++served;
      const char* name = SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name);
      sni = name ? name : "";
      std::string req;
      co_await asio::async_read_until(tls, asio::dynamic_buffer(req), "\r\n\r\n",
                                      asio::redirect_error(asio::use_awaitable, ec));
      co_await asio::async_write(tls, asio::buffer(response),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (reset_after_response) {
        tls.lowest_layer().set_option(asio::socket_base::linger(true, 0), ec);
        tls.lowest_layer().close(ec);
        continue;
      }
      co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
      client_close_notify = (SSL_get_shutdown(tls.native_handle()) & SSL_RECEIVED_SHUTDOWN) != 0;
    }
  }
  asio::ssl::context ctx_;
  tcp::acceptor acceptor_;
};

class SslProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { files_ = new TlsFiles(); }
  static void TearDownTestSuite() { delete files_; }
  void SetUp() override {
    if (!files_->ok()) GTEST_SKIP() << "openssl could not make test certificates";
  }
  static HttpCheck Ssl() {
    HttpCheck c = OneUrl({.path = "/"});
    c.tls = true;
    return c;
  }
  static TlsFiles* files_;
};
TlsFiles* SslProbeTest::files_ = nullptr;

TEST_F(SslProbeTest, DoesNotVerifyWithoutCa) {
  asio::io_context io;
  TlsServer server(io, *files_, false);
  ProbeResult r = RunOnce(io, Http(server.port(), Ssl()));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(server.sni, "");  // SNI is off by default
}

TEST_F(SslProbeTest, SendsSniWhenEnabled) {
  asio::io_context io;
  TlsServer server(io, *files_, false);
  HttpCheck c = Ssl();
  c.virtualhost = "vhost.example";
  c.tls_options.enable_sni = true;
  EXPECT_TRUE(RunOnce(io, Http(server.port(), c)).ok);
  EXPECT_EQ(server.sni, "vhost.example");
  c.tls_options.sni_name = "sni.example";
  EXPECT_TRUE(RunOnce(io, Http(server.port(), c)).ok);
  EXPECT_EQ(server.sni, "sni.example");
}

TEST_F(SslProbeTest, VerifiesAgainstConfiguredCa) {
  asio::io_context io;
  TlsServer server(io, *files_, false);
  HttpCheck c = Ssl();
  c.tls_options.ca_file = files_->Cert("server");
  c.tls_options.enable_sni = true;
  c.tls_options.sni_name = "test.example";
  ProbeResult r = RunOnce(io, Http(server.port(), c));
  EXPECT_TRUE(r.ok) << r.detail;

  c.tls_options.ca_file = files_->Cert("other");
  r = RunOnce(io, Http(server.port(), c));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("TLS handshake failed: certificate verify failed"), std::string::npos)
      << r.detail;

  c.tls_options.ca_file = files_->Cert("server");
  c.tls_options.sni_name = "wrong.example";  // the name must match the certificate too
  EXPECT_FALSE(RunOnce(io, Http(server.port(), c)).ok);
}

TEST_F(SslProbeTest, PresentsClientCertificateWithEncryptedKey) {
  asio::io_context io;
  TlsServer server(io, *files_, /*require_client_cert=*/true);
  HttpCheck c = Ssl();
  EXPECT_FALSE(RunOnce(io, Http(server.port(), c)).ok);
  c.tls_options.certificate_file = files_->Cert("client");
  c.tls_options.key_file = files_->Key("client");
  c.tls_options.password = "secret";
  ProbeResult r = RunOnce(io, Http(server.port(), c));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(server.served, 1);
}

TEST_F(SslProbeTest, ResponseCutShortByAResetFails) {
  asio::io_context io;
  TlsServer server(io, *files_, false);
  server.response = "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\npartial";
  server.reset_after_response = true;
  Md5 m;
  m.Update("partial");  // the digest of what arrived: only the reset tells it is cut short
  HttpCheck c = OneUrl({.path = "/", .digest = m.HexDigest()});
  c.tls = true;
  ProbeResult r = RunOnce(io, Http(server.port(), c));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "127.0.0.1:" + std::to_string(server.port()) +
                          "/: read error: Connection reset by peer");
}

// keepalived's tls_compliant (on the checker or the url): the session ends with the client's
// close_notify; without it the connection is closed without one (SSL_set_quiet_shutdown).
TEST_F(SslProbeTest, TlsCompliantSendsCloseNotify) {
  asio::io_context io;
  TlsServer server(io, *files_, false);
  auto session_end = [&]() -> std::optional<bool> {
    for (int i = 0; i < 500 && !server.client_close_notify; ++i) {
      io.restart();
      io.run_for(std::chrono::milliseconds(10));
    }
    return std::exchange(server.client_close_notify, std::nullopt);
  };
  HttpCheck c = Ssl();
  ProbeResult r = RunOnce(io, Http(server.port(), c));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(session_end(), std::optional<bool>(false));

  c.urls[0].tls_compliant = true;
  r = RunOnce(io, Http(server.port(), c));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(session_end(), std::optional<bool>(true));
  EXPECT_EQ(server.served, 2);
}

TEST_F(SslProbeTest, DigestOfTlsBody) {
  asio::io_context io;
  TlsServer server(io, *files_, false);
  auto fetch_spec = HttpRequestSpec{.path = "/", .host = "h", .tls = true};
  std::optional<Result<HttpFetch>> got;
  asio::co_spawn(io, FetchHttp(Loopback(server.port()), fetch_spec),
                 [&](std::exception_ptr, Result<HttpFetch> f) {
                   got = std::move(f);
                   io.stop();
                 });
  io.run();
  ASSERT_TRUE(got && *got) << (got ? (*got).error().ToString() : "no result");
  EXPECT_EQ((*got)->status, 200);
  Md5 m;
  m.Update("secure");
  EXPECT_EQ((*got)->md5, m.HexDigest());
}

}  // namespace
}  // namespace vigil::check

// HTTP_GET / SSL_GET.
#include <openssl/ssl.h>

#include <asio/ssl.hpp>
#include <variant>

#include "check/body_check.h"
#include "check/http_message.h"
#include "check/probe_coro.h"
#include "check/socket_util.h"

namespace vigil::check {
namespace {

constexpr size_t kReadChunk = 16 * 1024;

Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const TlsOptions& t,
                                                           const std::string& verify_name) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  std::error_code ec;
  if (!t.password.empty()) {
    ctx->set_password_callback(
        [pw = t.password](std::size_t, asio::ssl::context::password_purpose) { return pw; }, ec);
  }
  if (!t.certificate_file.empty()) {
    ctx->use_certificate_chain_file(t.certificate_file, ec);
    if (ec) return Fail(ErrorCode::kIo, "cannot load certificate " + t.certificate_file + ": " + ec.message());
  }
  if (!t.key_file.empty()) {
    ctx->use_private_key_file(t.key_file, asio::ssl::context::pem, ec);
    if (ec) return Fail(ErrorCode::kIo, "cannot load key " + t.key_file + ": " + ec.message());
  }
  if (!t.ca_file.empty()) {
    ctx->load_verify_file(t.ca_file, ec);
    if (ec) return Fail(ErrorCode::kIo, "cannot load CA " + t.ca_file + ": " + ec.message());
  }
  const bool verify = t.verify_peer.value_or(!t.ca_file.empty());
  ctx->set_verify_mode(verify ? asio::ssl::verify_peer : asio::ssl::verify_none, ec);
  if (verify && !verify_name.empty()) {
    ctx->set_verify_callback(asio::ssl::host_name_verification(verify_name), ec);
  }
  return ctx;
}

// The failure of a step that `watchdog` cut short: the step's own timeout, or the budget.
std::unexpected<Error> Timeout(const Watchdog& watchdog, bool tls, const char* step) {
  if (watchdog.budget_expired()) {
    return Fail(ErrorCode::kTimeout,
                BudgetTimeoutDetail(watchdog.budget(), kHttpBudgetSteps + (tls ? 1 : 0)));
  }
  return Fail(ErrorCode::kTimeout, std::string("timeout ") + step);
}

bool IsEof(const std::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

template <typename Stream>
asio::awaitable<Result<HttpFetch>> Exchange(Stream& stream, const HttpRequestSpec& req,
                                            Watchdog& watchdog, bool tls) {
  HttpFetch fetch;
  Md5 md5;
  HttpResponseParser parser(req.decode_chunked, [&](std::string_view data) {
    md5.Update(data);
    if (req.keep_body && fetch.body.size() < req.max_body) {
      fetch.body.append(data.substr(0, req.max_body - fetch.body.size()));
    }
  });
  std::error_code ec;
  const std::string request = BuildHttpRequest(req.path, req.version, req.host);
  watchdog.Arm();
  co_await asio::async_write(stream, asio::buffer(request),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (watchdog.expired()) co_return Timeout(watchdog, tls, "sending request");
  if (ec) co_return Fail(ErrorCode::kIo, "cannot send request: " + ec.message());

  std::string buf(kReadChunk, '\0');
  bool stopped_early = false;
  while (!parser.complete()) {
    watchdog.Arm();
    size_t n = co_await stream.async_read_some(asio::buffer(buf),
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (watchdog.expired()) co_return Timeout(watchdog, tls, "reading response");
    if (n > 0) {
      if (auto r = parser.Feed(std::string_view(buf.data(), n)); !r) co_return std::unexpected(r.error());
    }
    if (ec) {
      // A clean end of stream ends an EOF-delimited body; keepalived also takes what arrived
      // when a TLS session ends without close_notify. A reset is a failure, TLS or not.
      if (IsEof(ec)) break;
      co_return Fail(ErrorCode::kIo, "read error: " + ec.message());
    }
    // The verdict is known: the status alone, or enough of the body.
    if (parser.headers_done() && (!req.read_body || parser.body_bytes() >= req.max_body)) {
      stopped_early = !parser.complete();
      fetch.body_truncated = req.read_body && stopped_early;
      break;
    }
  }
  watchdog.Disarm();
  if (!stopped_early) {
    if (auto r = parser.Finish(); !r) co_return std::unexpected(r.error());
  }
  fetch.body_read = req.read_body;
  fetch.status = parser.status();
  fetch.md5 = md5.HexDigest();
  fetch.body_bytes = parser.body_bytes();
  fetch.content_length = parser.content_length();
  co_return fetch;
}

}  // namespace

asio::awaitable<Result<HttpFetch>> FetchHttp(ConnectOptions opts, HttpRequestSpec req) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::socket socket(ex);
  Watchdog watchdog(ex, opts.connect_timeout, [&socket] {
    std::error_code ignored;
    socket.cancel(ignored);
  });
  watchdog.SetBudget(opts.connect_timeout * (kHttpBudgetSteps + (req.tls ? 1 : 0)));
  if (auto failure = co_await ConnectTcp(opts, socket, watchdog)) {
    co_return Fail(ErrorCode::kIo, failure->detail);
  }
  if (!req.tls) co_return co_await Exchange(socket, req, watchdog, false);

  // When verifying, the certificate must also match the server name we asked for (if any).
  auto ctx = MakeTlsContext(req.tls_options, req.sni);
  if (!ctx) co_return std::unexpected(ctx.error());
  asio::ssl::stream<asio::ip::tcp::socket&> tls(socket, **ctx);
  if (!req.sni.empty()) SSL_set_tlsext_host_name(tls.native_handle(), req.sni.c_str());
  std::error_code ec;
  watchdog.Arm();
  co_await tls.async_handshake(asio::ssl::stream_base::client,
                               asio::redirect_error(asio::use_awaitable, ec));
  watchdog.Disarm();
  if (watchdog.expired()) co_return Timeout(watchdog, true, "in TLS handshake");
  if (ec) co_return Fail(ErrorCode::kIo, "TLS handshake failed: " + ec.message());
  auto fetch = co_await Exchange(tls, req, watchdog, true);
  if (fetch && req.close_notify) {
    // keepalived's one SSL_shutdown: the alert is sent, the server's is not awaited (marked
    // as received, so the shutdown ends once ours is written). A failure changes nothing:
    // the verdict is the response's.
    SSL* ssl = tls.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    watchdog.Arm();
    co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    watchdog.Disarm();
  }
  co_return fetch;
}

asio::awaitable<ProbeResult> HttpProbe(ConnectOptions opts, HttpCheck check) {
  if (check.urls.empty()) co_return ProbeResult{true, "no url to check", {}};
  for (const HttpUrl& url : check.urls) {
    const std::string& vhost = url.virtualhost.empty() ? check.virtualhost : url.virtualhost;
    HttpRequestSpec req;
    req.path = url.path;
    req.version = check.version;
    req.host = HttpHostHeader(opts, vhost);
    req.tls = check.tls;
    req.tls_options = check.tls_options;
    if (check.tls && check.tls_options.enable_sni) {
      req.sni = check.tls_options.sni_name.empty() ? vhost : check.tls_options.sni_name;
    }
    req.keep_body = !url.regex.empty();
    req.read_body = !url.regex.empty() || !url.digest.empty();
    req.decode_chunked = check.decode_chunked;
    req.close_notify = check.tls && url.tls_compliant;
    const std::string where = FormatHostPort(opts.address, opts.port) + url.path;

    auto fetch = co_await FetchHttp(opts, req);
    if (!fetch) co_return ProbeResult{false, where + ": " + fetch.error().ToString(), {}};
    if (!StatusAccepted(fetch->status, url.status_codes)) {
      co_return ProbeResult{false, where + ": HTTP status code " + std::to_string(fetch->status), {}};
    }
    if (!url.digest.empty() && fetch->body_truncated) {
      co_return ProbeResult{false, where + ": body longer than " +
                                       std::to_string(kMaxHttpBody / (1024 * 1024)) +
                                       " MiB: no digest taken", {}};
    }
    if (!url.digest.empty() && fetch->md5 != url.digest) {
      co_return ProbeResult{false, where + ": MD5 digest mismatch (got " + fetch->md5 + ")", {}};
    }
    if (!url.regex.empty()) {
      auto re = Regex::Compile(url.regex, url.regex_options,
                               {url.regex_stack_start, url.regex_stack_max});
      if (!re) co_return ProbeResult{false, re.error().ToString(), {}};
      const bool matched = re->Matches(fetch->body, url.regex_min_offset, url.regex_max_offset);
      if (matched == url.regex_no_match) {
        co_return ProbeResult{false, where + ": regex match failed", {}};
      }
    }
  }
  co_return ProbeResult{true, "HTTP check succeeded", {}};
}

}  // namespace vigil::check

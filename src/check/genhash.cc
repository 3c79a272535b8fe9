#include "check/genhash.h"

#include <charconv>
#include <optional>

#include "check/http_message.h"
#include "check/probe_coro.h"

namespace vigil::check {

Result<CheckUrl> ParseCheckUrl(std::string_view url) {
  CheckUrl out;
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
    out.port = 80;
  } else if (url.starts_with("https://")) {
    url.remove_prefix(8);
    out.tls = true;
    out.port = 443;
  } else {
    return Fail(ErrorCode::kInvalidArgument, "URL must start with http:// or https://");
  }
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::string_view port;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Fail(ErrorCode::kInvalidArgument, "unterminated [ in URL");
    out.address = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Fail(ErrorCode::kInvalidArgument, "junk after ] in URL");
      port = rest.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    out.address = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.address.empty()) return Fail(ErrorCode::kInvalidArgument, "URL has no host");
  if (!port.empty()) {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p == 0 || p > 65535) {
      return Fail(ErrorCode::kInvalidArgument, "bad port '" + std::string(port) + "' in URL");
    }
    out.port = static_cast<uint16_t>(p);
  }
  return out;
}

Result<std::string> GenHash(asio::io_context& io, const GenHashOptions& options) {
  auto url = ParseCheckUrl(options.url);
  if (!url) return std::unexpected(url.error());
  ConnectOptions c;
  c.address = url->address;
  c.port = url->port;
  c.bind_address = options.bind_address;
  c.connect_timeout = options.timeout;
  HttpRequestSpec req;
  req.path = url->path;
  req.version = options.version;
  req.host = HttpHostHeader(c, options.virtualhost);
  req.tls = url->tls || options.ssl;
  req.sni = options.virtualhost;

  std::optional<Result<HttpFetch>> got;
  asio::co_spawn(io, FetchHttp(c, req), [&](std::exception_ptr ep, Result<HttpFetch> r) {
    got = ep ? Result<HttpFetch>(Fail(ErrorCode::kInternal, "fetch failed")) : std::move(r);
  });
  io.restart();
  while (!got && io.run_one() > 0) {
  }
  if (!got) return Fail(ErrorCode::kInternal, "fetch never completed");
  if (!*got) return std::unexpected(got->error());
  if ((*got)->body_truncated) {
    // HTTP_GET would read no further either: no digest can match such a body.
    return Fail(ErrorCode::kInvalidArgument,
                "body longer than " + std::to_string(kMaxHttpBody / (1024 * 1024)) +
                    " MiB: HTTP_GET takes no digest of it");
  }
  return (*got)->md5;
}

}  // namespace vigil::check

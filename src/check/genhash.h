// The core of vigil-genhash: fetch a URL the way HTTP_GET / SSL_GET does and return the MD5 of
// the body, to paste into a `digest` line.
#ifndef VIGIL_CHECK_GENHASH_H_
#define VIGIL_CHECK_GENHASH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "check/types.h"

namespace asio {
class io_context;
}  // namespace asio

namespace vigil::check {

struct CheckUrl {
  bool tls = false;
  std::string address;  // numeric IPv4/IPv6
  uint16_t port = 0;
  std::string path;  // with query string; "/" if the URL has none
  bool operator==(const CheckUrl&) const = default;
};

// Parses "http://IP[:port][/path]" or "https://..." (IPv6 as "[addr]"). The port defaults to
// 80 (http) or 443 (https).
Result<CheckUrl> ParseCheckUrl(std::string_view url);

struct GenHashOptions {
  std::string url;
  bool ssl = false;         // force TLS even for an http:// URL (keepalived's -S)
  std::string virtualhost;  // Host header (and SNI with TLS)
  HttpVersion version = HttpVersion::k10;
  Duration timeout = std::chrono::seconds(5);
  std::string bind_address;
};

// Fetches `options.url` on `io` (running it until done) and returns the body's MD5 as 32
// lower-case hex digits. Fails on any transport error or an empty response.
Result<std::string> GenHash(asio::io_context& io, const GenHashOptions& options);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_GENHASH_H_

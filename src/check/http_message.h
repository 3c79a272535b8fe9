// HTTP_GET / SSL_GET wire format: the request keepalived sends and an incremental response
// parser (status line, headers, body by Content-Length, chunked or to EOF). Pure.
#ifndef VIGIL_CHECK_HTTP_MESSAGE_H_
#define VIGIL_CHECK_HTTP_MESSAGE_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "check/types.h"

namespace vigil::check {

// Returns the request for `path`:
//   GET <path> HTTP/1.<0|1>\r\n
//   User-Agent: KeepAliveClient\r\n
//   Connection: close\r\n            (HTTP 1.0C and 1.1 only)
//   Host: <host>\r\n\r\n
// `host` is the virtualhost if set, else "<ip>:<port>" ("[<ip6>]:<port>" for IPv6).
std::string BuildHttpRequest(std::string_view path, HttpVersion version, std::string_view host);

// Returns the Host header value for a probe of `opts` with optional `virtualhost`.
std::string HttpHostHeader(const ConnectOptions& opts, std::string_view virtualhost);

// Returns true if `status` is accepted by `ranges` (200-299 when `ranges` is empty).
bool StatusAccepted(int status, const std::vector<std::pair<int, int>>& ranges);

// Parses one HTTP/1.x response fed in arbitrary pieces. Body bytes (de-chunked if asked) go to
// the body callback as they arrive. Not thread-safe.
class HttpResponseParser {
 public:
  using BodySink = std::function<void(std::string_view)>;

  HttpResponseParser(bool decode_chunked, BodySink sink);

  // Consumes `data`. Fails on a malformed status line, header block or chunk framing, or on a
  // header block over 64 KiB.
  Result<void> Feed(std::string_view data);

  // Signals end of stream. Fails if the headers never completed or a chunked body was cut
  // short. A body shorter than Content-Length is accepted (see body_bytes()), as keepalived does.
  Result<void> Finish();

  bool headers_done() const { return state_ != State::kHeaders; }
  // True once the body is known to be complete without waiting for EOF.
  bool complete() const { return state_ == State::kDone; }
  int status() const { return status_; }
  std::optional<size_t> content_length() const { return content_length_; }
  bool chunked() const { return chunked_; }
  size_t body_bytes() const { return body_bytes_; }

 private:
  enum class State { kHeaders, kBodyLength, kBodyEof, kChunkSize, kChunkData, kChunkDataEnd,
                     kTrailers, kDone };

  Result<void> ParseHeaders(std::string_view block);
  void Emit(std::string_view data);

  bool decode_chunked_;
  BodySink sink_;
  State state_ = State::kHeaders;
  std::string buffer_;
  int status_ = 0;
  std::optional<size_t> content_length_;
  bool chunked_ = false;
  size_t remaining_ = 0;  // of the current chunk or of Content-Length
  size_t body_bytes_ = 0;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_HTTP_MESSAGE_H_

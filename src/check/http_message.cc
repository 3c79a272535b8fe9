#include "check/http_message.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace vigil::check {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxChunkLine = 4096;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Finds the end of the header block; returns (block length, terminator length) or npos.
std::pair<size_t, size_t> FindHeaderEnd(std::string_view s) {
  size_t crlf = s.find("\r\n\r\n");
  size_t lf = s.find("\n\n");
  if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf)) {
    return {crlf, 4};
  }
  if (lf != std::string_view::npos) return {lf, 2};
  return {std::string_view::npos, 0};
}

}  // namespace

std::string BuildHttpRequest(std::string_view path, HttpVersion version, std::string_view host) {
  std::string req;
  req.append("GET ").append(path).append(version == HttpVersion::k11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  req.append("User-Agent: KeepAliveClient\r\n");
  if (version != HttpVersion::k10) req.append("Connection: close\r\n");
  req.append("Host: ").append(host).append("\r\n\r\n");
  return req;
}

std::string HttpHostHeader(const ConnectOptions& opts, std::string_view virtualhost) {
  if (!virtualhost.empty()) return std::string(virtualhost);
  std::string addr = opts.address;
  if (auto pct = addr.find('%'); pct != std::string::npos) addr.resize(pct);
  if (addr.find(':') != std::string::npos) return "[" + addr + "]:" + std::to_string(opts.port);
  return addr + ":" + std::to_string(opts.port);
}

bool StatusAccepted(int status, const std::vector<std::pair<int, int>>& ranges) {
  if (ranges.empty()) return status >= 200 && status <= 299;
  for (auto [lo, hi] : ranges) {
    if (status >= lo && status <= hi) return true;
  }
  return false;
}

HttpResponseParser::HttpResponseParser(bool decode_chunked, BodySink sink)
    : decode_chunked_(decode_chunked), sink_(std::move(sink)) {}

void HttpResponseParser::Emit(std::string_view data) {
  if (data.empty()) return;
  body_bytes_ += data.size();
  if (sink_) sink_(data);
}

Result<void> HttpResponseParser::ParseHeaders(std::string_view block) {
  size_t eol = block.find('\n');
  std::string_view status_line = Trim(block.substr(0, eol));
  // "HTTP/1.x NNN reason"
  if (status_line.substr(0, 5) != "HTTP/") {
    return Fail(ErrorCode::kParse, "bad HTTP status line");
  }
  size_t sp = status_line.find(' ');
  if (sp == std::string_view::npos) return Fail(ErrorCode::kParse, "bad HTTP status line");
  std::string_view code = status_line.substr(sp + 1, 3);
  int status = 0;
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), status);
  if (ec != std::errc() || p != code.data() + 3 || status < 100 || status > 999 ||
      (status_line.size() > sp + 4 && status_line[sp + 4] != ' ')) {
    return Fail(ErrorCode::kParse, "bad HTTP status code");
  }
  status_ = status;

  std::string_view rest = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 1);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = Trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "Content-Length")) {
      size_t len = 0;
      auto [q, err] = std::from_chars(value.data(), value.data() + value.size(), len);
      if (err != std::errc() || q != value.data() + value.size()) {
        return Fail(ErrorCode::kParse, "bad Content-Length");
      }
      content_length_ = len;
    } else if (IEquals(name, "Transfer-Encoding")) {
      std::string_view last = value;
      if (auto comma = value.rfind(','); comma != std::string_view::npos) {
        last = Trim(value.substr(comma + 1));
      }
      chunked_ = IEquals(last, "chunked");
    }
  }
  return {};
}

Result<void> HttpResponseParser::Feed(std::string_view data) {
  while (!data.empty()) {
    switch (state_) {
      case State::kHeaders: {
        buffer_.append(data);
        data = {};
        // The limit applies to the header block however it was cut: without a terminator yet,
        // the block is at least 3 bytes shorter than the buffer ("\r\n\r" may end it).
        auto [end, term] = FindHeaderEnd(buffer_);
        if (end == std::string_view::npos ? buffer_.size() > kMaxHeaderBytes + 3
                                          : end > kMaxHeaderBytes) {
          return Fail(ErrorCode::kParse, "HTTP header too long");
        }
        if (end == std::string_view::npos) return {};
        if (auto r = ParseHeaders(std::string_view(buffer_).substr(0, end)); !r) return r;
        std::string rest = buffer_.substr(end + term);
        buffer_.clear();
        if (chunked_ && decode_chunked_) {
          state_ = State::kChunkSize;
        } else if (!chunked_ && content_length_) {
          remaining_ = *content_length_;
          state_ = remaining_ == 0 ? State::kDone : State::kBodyLength;
        } else {
          state_ = State::kBodyEof;
        }
        data = {};
        if (!rest.empty()) return Feed(rest);
        return {};
      }
      case State::kBodyEof:
        Emit(data);
        return {};
      case State::kBodyLength: {
        size_t n = std::min(remaining_, data.size());
        Emit(data.substr(0, n));
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDone;
        return {};  // bytes beyond Content-Length are ignored
      }
      case State::kChunkSize:
      case State::kTrailers:
      case State::kChunkDataEnd: {
        size_t nl = data.find('\n');
        if (nl == std::string_view::npos) {
          buffer_.append(data);
          if (buffer_.size() > kMaxChunkLine) return Fail(ErrorCode::kParse, "chunk line too long");
          return {};
        }
        buffer_.append(data.substr(0, nl));
        if (buffer_.size() > kMaxChunkLine) return Fail(ErrorCode::kParse, "chunk line too long");
        data.remove_prefix(nl + 1);
        std::string_view line = Trim(buffer_);
        if (state_ == State::kChunkDataEnd) {
          if (!line.empty()) return Fail(ErrorCode::kParse, "missing CRLF after chunk");
          state_ = State::kChunkSize;
        } else if (state_ == State::kTrailers) {
          if (line.empty()) state_ = State::kDone;
        } else {
          std::string_view hex = line.substr(0, line.find(';'));
          hex = Trim(hex);
          size_t size = 0;
          auto [q, err] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
          if (hex.empty() || err != std::errc() || q != hex.data() + hex.size()) {
            return Fail(ErrorCode::kParse, "bad chunk size");
          }
          remaining_ = size;
          state_ = size == 0 ? State::kTrailers : State::kChunkData;
        }
        buffer_.clear();
        break;
      }
      case State::kChunkData: {
        size_t n = std::min(remaining_, data.size());
        Emit(data.substr(0, n));
        data.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kDone:
        return {};
    }
  }
  return {};
}

Result<void> HttpResponseParser::Finish() {
  switch (state_) {
    case State::kHeaders:
      return Fail(ErrorCode::kParse, buffer_.empty() ? "no data received" : "incomplete HTTP header");
    case State::kBodyEof:
    case State::kDone:
      return {};
    case State::kBodyLength:
      return {};  // keepalived only logs a length mismatch; so does the caller
    default:
      return Fail(ErrorCode::kParse, "chunked body cut short");
  }
}

}  // namespace vigil::check

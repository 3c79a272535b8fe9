// libFuzzer target for HTTP_GET/SSL_GET responses: HttpResponseParser on arbitrary bytes,
// fed once whole and once in pieces of fuzzer-chosen sizes. The invariant: how a response
// is cut by the network never changes what it means (status, headers, body, error).
// Input: flags byte (bit 0: decode chunked), a seed byte for the piece sizes, the response.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "check/http_message.h"
#include "fuzz_util.h"

namespace {

using vigil::check::HttpResponseParser;

struct Outcome {
  std::optional<std::string> error;  // the first failure of Feed or Finish
  bool headers_done = false;
  bool complete = false;
  int status = 0;
  std::optional<size_t> content_length;
  bool chunked = false;
  std::string body;
  size_t body_bytes = 0;

  bool operator==(const Outcome&) const = default;
};

// Feeds `text` in pieces whose sizes cycle through `pieces` (0: all at once).
Outcome Parse(std::string_view text, bool decode_chunked, uint8_t pieces) {
  Outcome out;
  HttpResponseParser parser(decode_chunked, [&out](std::string_view b) { out.body.append(b); });
  uint32_t state = pieces;
  while (!text.empty() && !out.error) {
    size_t n = text.size();
    if (pieces != 0) {
      state = state * 1103515245u + 12345u;
      n = std::min<size_t>(n, 1 + (state >> 16) % (pieces * 4u));
    }
    if (auto r = parser.Feed(text.substr(0, n)); !r) out.error = r.error().ToString();
    text.remove_prefix(n);
  }
  if (!out.error) {
    if (auto r = parser.Finish(); !r) out.error = r.error().ToString();
  }
  out.headers_done = parser.headers_done();
  out.complete = parser.complete();
  out.status = parser.status();
  out.content_length = parser.content_length();
  out.chunked = parser.chunked();
  out.body_bytes = parser.body_bytes();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::Reader in(data, size);
  const bool decode_chunked = (in.Byte() & 1) != 0;
  uint8_t pieces = in.Byte();
  if (pieces == 0) pieces = 1;
  const std::string_view text = in.RestText();

  const Outcome whole = Parse(text, decode_chunked, 0);
  const Outcome cut = Parse(text, decode_chunked, pieces);
  FUZZ_CHECK(whole.body.size() == whole.body_bytes);
  FUZZ_CHECK(whole.body.size() <= text.size());
  if (whole.headers_done) FUZZ_CHECK(whole.status >= 100 && whole.status <= 999);
  if (whole.complete) FUZZ_CHECK(whole.headers_done && !whole.error);
  if (whole.content_length && !whole.chunked && !whole.error) {
    FUZZ_CHECK(whole.body_bytes <= *whole.content_length);
  }
  FUZZ_CHECK(whole == cut);
  return 0;
}

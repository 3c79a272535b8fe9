// libFuzzer target for SMTP_CHECK replies: the server's bytes cut into lines as the probe
// reads them (up to and including each '\n'), each judged by SmtpReplyCode. Invariant: a
// final reply's code is its three leading digits, a continuation line is "NNN-", and
// anything else is refused.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check/probe_logic.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl == std::string_view::npos ? nl : nl + 1);
    text.remove_prefix(line.size());
    const int code = vigil::check::SmtpReplyCode(line);
    FUZZ_CHECK(code >= -1 && code <= 999);
    if (code < 0) continue;
    FUZZ_CHECK(line.size() >= 3);
    for (size_t i = 0; i < 3; ++i) FUZZ_CHECK(std::isdigit(static_cast<unsigned char>(line[i])));
    const char after = line.size() > 3 ? line[3] : '\r';
    if (code == 0) {
      FUZZ_CHECK(after == '-');
    } else {
      FUZZ_CHECK(after == ' ' || after == '\r' || after == '\n');
      FUZZ_CHECK(code == (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
    }
  }
  return 0;
}

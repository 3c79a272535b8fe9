// libFuzzer target for UDP_CHECK replies: UdpReplyMatches on an arbitrary reply against an
// arbitrary check (lengths, expected data, mask). Invariant: the verdict is the length
// bounds and, byte by byte over the shorter of data and reply, equality outside the mask.
// Input: min length, max length, data length, data, mask length, mask, then the reply.
#include <cstddef>
#include <cstdint>

#include "check/probe_logic.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::Reader in(data, size);
  vigil::check::UdpCheck check;
  check.require_reply = true;
  check.min_reply_length = in.Byte();
  check.max_reply_length = in.Byte();
  const auto expected = in.Take(in.Byte());
  check.reply_data.assign(expected.begin(), expected.end());
  const auto mask = in.Take(in.Byte());
  check.reply_mask.assign(mask.begin(), mask.end());
  const auto reply = in.Rest();

  const bool matches = vigil::check::UdpReplyMatches(check, reply.data(), reply.size());
  bool want = reply.size() >= check.min_reply_length && reply.size() <= check.max_reply_length;
  for (size_t i = 0; want && i < reply.size() && i < check.reply_data.size(); ++i) {
    const uint8_t ignore = i < check.reply_mask.size() ? check.reply_mask[i] : 0;
    want = ((reply[i] ^ check.reply_data[i]) & ~ignore & 0xff) == 0;
  }
  FUZZ_CHECK(matches == want);
  return 0;
}

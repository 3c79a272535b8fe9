// libFuzzer target for received BFD control packets: Decode on arbitrary UDP payloads,
// with three invariants:
//  - a packet Decode accepts encodes to the same 24 bytes it was read from (the codec loses
//    nothing of the mandatory section and sends no authentication);
//  - a refusal has a name;
//  - the TTL check is monotonic: a packet that passes with TTL t passes with t + 1.
// Input: the TTL byte, the configured ttl byte, the max_hops byte, then the UDP payload.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "bfd/packet.h"
#include "fuzz_util.h"

namespace bfd = vigil::bfd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::Reader in(data, size);
  const uint8_t received_ttl = in.Byte();
  const uint8_t ttl = in.Byte();
  const uint8_t max_hops = in.Byte();
  const std::span<const uint8_t> payload = in.Rest();

  const auto decoded = bfd::Decode(payload);
  if (decoded) {
    FUZZ_CHECK(payload.size() == bfd::kMandatorySize);
    FUZZ_CHECK(!decoded->auth_present);
    const auto encoded = bfd::Encode(*decoded);
    FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), payload.begin()));
    const auto again = bfd::Decode(encoded);
    FUZZ_CHECK(again.has_value() && *again == *decoded);
  } else {
    FUZZ_CHECK(bfd::RejectReasonName(decoded.error()) != "unknown");
  }

  if (received_ttl < 255 && bfd::TtlAcceptable(received_ttl, ttl, max_hops))
    FUZZ_CHECK(bfd::TtlAcceptable(static_cast<uint8_t>(received_ttl + 1), ttl, max_hops));
  return 0;
}

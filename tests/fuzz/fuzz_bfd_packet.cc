// libFuzzer target for received BFD control packets: Decode on arbitrary UDP payloads,
// with three invariants:
//  - a packet Decode accepts encodes to the 24 bytes of its mandatory section (the codec loses
//    nothing of it; it sends Length 24 and no authentication, while a longer packet without
//    the A bit is accepted as keepalived accepts it);
//  - a refusal has a name;
//  - the TTL check is monotonic: a packet that passes with TTL t > 0 passes with t + 1
//    (0, not reported by the kernel, always passes).
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
    FUZZ_CHECK(payload.size() >= bfd::kMandatorySize && payload[3] == payload.size());
    FUZZ_CHECK(!decoded->auth_present);
    const auto encoded = bfd::Encode(*decoded);
    FUZZ_CHECK(encoded[3] == bfd::kMandatorySize);
    FUZZ_CHECK(std::equal(encoded.begin(), encoded.begin() + 3, payload.begin()));
    FUZZ_CHECK(std::equal(encoded.begin() + 4, encoded.end(), payload.begin() + 4));
    const auto again = bfd::Decode(encoded);
    FUZZ_CHECK(again.has_value() && *again == *decoded);
  } else {
    FUZZ_CHECK(bfd::RejectReasonName(decoded.error()) != "unknown");
  }

  if (received_ttl > 0 && received_ttl < 255 && bfd::TtlAcceptable(received_ttl, ttl, max_hops))
    FUZZ_CHECK(bfd::TtlAcceptable(static_cast<uint8_t>(received_ttl + 1), ttl, max_hops));
  return 0;
}

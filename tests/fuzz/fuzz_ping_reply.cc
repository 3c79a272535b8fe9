// libFuzzer target for PING_CHECK replies: IsEchoReply on arbitrary datagrams as each kind of
// ICMP socket returns them. Invariants: a match is an echo reply of the family with our
// sequence number (and identifier on raw sockets); the reply to our own request matches.
// Input: flags byte (bit 0 IPv6, bit 1 IPv4 header present, bit 2 match id), id, sequence,
// then the datagram.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "check/probe_logic.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::check::EchoExpectation;
  vigil::fuzz::Reader in(data, size);
  const uint8_t flags = in.Byte();
  EchoExpectation expect;
  expect.ipv6 = (flags & 1) != 0;
  expect.with_ip_header = !expect.ipv6 && (flags & 2) != 0;
  expect.match_id = (flags & 4) != 0;
  expect.id = in.U16();
  expect.seq = in.U16();
  const auto packet = in.Rest();

  if (vigil::check::IsEchoReply(packet, expect)) {
    size_t at = 0;
    if (expect.with_ip_header) {
      at = (packet[0] & 0x0fu) * 4u;
      FUZZ_CHECK(at >= 20);
    }
    FUZZ_CHECK(packet.size() >= at + 8);
    FUZZ_CHECK(packet[at] == (expect.ipv6 ? 129 : 0));
    FUZZ_CHECK(((packet[at + 6] << 8) | packet[at + 7]) == expect.seq);
    if (expect.match_id) FUZZ_CHECK(((packet[at + 4] << 8) | packet[at + 5]) == expect.id);
  }

  // The echo of our own request (type turned into a reply) is accepted.
  std::vector<uint8_t> echo = vigil::check::BuildEchoRequest(expect.ipv6, expect.id, expect.seq);
  FUZZ_CHECK(echo.size() == 64);
  echo[0] = expect.ipv6 ? 129 : 0;
  if (expect.with_ip_header) {
    std::vector<uint8_t> header(20, 0);
    header[0] = 0x45;
    echo.insert(echo.begin(), header.begin(), header.end());
  }
  FUZZ_CHECK(vigil::check::IsEchoReply(echo, expect));
  return 0;
}

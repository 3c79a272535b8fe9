// libFuzzer target for the half-open TCP_CHECK's receive side: what a raw IPv4 socket reads
// (ParseIpv4Packet, ParseTcpHeader, ClassifyReply) and what an ICMP error quotes
// (QuotedIpv4Payload, ParseQuotedTcpHeader). Invariants: every span stays inside the input;
// a reply is classified only if it acknowledges our SYN; and the SYN we build parses back,
// with a valid checksum, inside the IPv4 header we build.
// Input: ISN (4 bytes), source and destination addresses (4 + 4), ports (2 + 2), then the
// packet.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "check/tcp_segment.h"
#include "fuzz_util.h"
#include "net/checksum.h"

namespace {

bool Inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
  return part.empty() || (part.data() >= whole.data() &&
                          part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::check;
  vigil::fuzz::Reader in(data, size);
  const uint32_t isn = in.U32();
  SegmentAddresses addresses;
  addresses.family = AF_INET;
  for (size_t i = 0; i < 4; ++i) addresses.src[i] = in.Byte();
  for (size_t i = 0; i < 4; ++i) addresses.dst[i] = in.Byte();
  const uint16_t sport = in.U16();
  const uint16_t dport = in.U16();
  const auto bytes = in.Rest();

  if (const auto packet = ParseIpv4Packet(bytes)) {
    FUZZ_CHECK(Inside(packet->payload, bytes));
    FUZZ_CHECK(packet->payload.size() + 20 <= bytes.size());
    if (const auto tcp = ParseTcpHeader(packet->payload)) {
      const auto reply = ClassifyReply(*tcp, isn);
      if (reply) {
        FUZZ_CHECK((tcp->flags & kTcpFlagAck) && tcp->ack == isn + 1);
        FUZZ_CHECK((*reply == SynReply::kRefused) == ((tcp->flags & kTcpFlagRst) != 0));
      }
    }
  }
  const auto quoted = QuotedIpv4Payload(bytes);
  FUZZ_CHECK(Inside(quoted, bytes));
  if (const auto q = ParseQuotedTcpHeader(quoted)) {
    FUZZ_CHECK(quoted.size() >= 8);
    FUZZ_CHECK(q->sport == ((quoted[0] << 8) | quoted[1]));
  }

  // Our own SYN, inside our own header, reads back as sent.
  const auto syn = BuildSyn(addresses, sport, dport, isn, 1460);
  const auto header = BuildIpv4Header(addresses, kSynLength);
  std::vector<uint8_t> wire(header.begin(), header.end());
  wire.insert(wire.end(), syn.begin(), syn.end());
  const auto packet = ParseIpv4Packet(wire);
  FUZZ_CHECK(packet.has_value());
  FUZZ_CHECK(packet->protocol == IPPROTO_TCP);
  FUZZ_CHECK(packet->payload.size() == kSynLength);
  FUZZ_CHECK(vigil::net::InternetChecksum(header) == 0);
  std::array<uint8_t, 4> src, dst;
  std::copy_n(addresses.src.begin(), 4, src.begin());
  std::copy_n(addresses.dst.begin(), 4, dst.begin());
  FUZZ_CHECK(packet->src == src && packet->dst == dst);
  FUZZ_CHECK(vigil::net::Ipv4PseudoHeaderChecksum(src, dst, IPPROTO_TCP, packet->payload) == 0);
  const auto fields = ParseTcpHeader(packet->payload);
  FUZZ_CHECK(fields.has_value());
  FUZZ_CHECK(fields->sport == sport && fields->dport == dport && fields->seq == isn);
  FUZZ_CHECK(fields->flags == kTcpFlagSyn && fields->ack == 0);
  FUZZ_CHECK(!ClassifyReply(*fields, isn).has_value());
  // The peer's SYN-ACK and RST to it.
  TcpHeaderFields answer = *fields;
  answer.ack = isn + 1;
  answer.flags = kTcpFlagSyn | kTcpFlagAck;
  FUZZ_CHECK(ClassifyReply(answer, isn) == SynReply::kOpen);
  answer.flags = kTcpFlagRst | kTcpFlagAck;
  FUZZ_CHECK(ClassifyReply(answer, isn) == SynReply::kRefused);
  return 0;
}

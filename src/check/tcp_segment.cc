#include "check/tcp_segment.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "net/checksum.h"

namespace vigil::check {

using net::LoadBe16;
using net::LoadBe32;
using net::StoreBe16;
using net::StoreBe32;

std::array<uint8_t, kSynLength> BuildSyn(const SegmentAddresses& addresses, uint16_t sport,
                                         uint16_t dport, uint32_t isn, uint16_t mss) {
  std::array<uint8_t, kSynLength> s{};
  StoreBe16(&s[0], sport);
  StoreBe16(&s[2], dport);
  StoreBe32(&s[4], isn);
  // s[8..11]: acknowledgment number, zero in a SYN.
  s[12] = static_cast<uint8_t>((kSynLength / 4) << 4);  // data offset in 32-bit words
  s[13] = kTcpFlagSyn;
  StoreBe16(&s[14], 64240);  // window
  // s[16..17]: checksum, filled below; s[18..19]: urgent pointer, zero.
  s[20] = 2;  // option kind: maximum segment size
  s[21] = 4;  // option length
  StoreBe16(&s[22], mss);
  uint16_t sum;
  if (addresses.family == AF_INET) {
    std::array<uint8_t, 4> src, dst;
    std::copy_n(addresses.src.begin(), 4, src.begin());
    std::copy_n(addresses.dst.begin(), 4, dst.begin());
    sum = net::Ipv4PseudoHeaderChecksum(src, dst, IPPROTO_TCP, s);
  } else {
    sum = net::Ipv6PseudoHeaderChecksum(addresses.src, addresses.dst, IPPROTO_TCP, s);
  }
  StoreBe16(&s[16], sum);
  return s;
}

std::array<uint8_t, kIpv4HeaderLength> BuildIpv4Header(const SegmentAddresses& addresses,
                                                       uint16_t payload_length) {
  net::Ipv4HeaderFields fields{.dont_fragment = true, .ttl = 64, .protocol = IPPROTO_TCP};
  std::copy_n(addresses.src.begin(), 4, fields.src.begin());
  std::copy_n(addresses.dst.begin(), 4, fields.dst.begin());
  return net::BuildIpv4Header(fields, payload_length);
}

std::span<const uint8_t> QuotedIpv4Payload(std::span<const uint8_t> bytes) {
  if (bytes.empty() || bytes[0] >> 4 != 4) return {};
  const size_t header = static_cast<size_t>(bytes[0] & 0x0f) * 4;
  if (header < 20 || header > bytes.size()) return {};
  return bytes.subspan(header);
}

std::optional<TcpHeaderFields> ParseQuotedTcpHeader(std::span<const uint8_t> bytes) {
  if (bytes.size() < 8) return std::nullopt;
  TcpHeaderFields f;
  f.sport = LoadBe16(&bytes[0]);
  f.dport = LoadBe16(&bytes[2]);
  f.seq = LoadBe32(&bytes[4]);
  return f;
}

std::optional<TcpHeaderFields> ParseTcpHeader(std::span<const uint8_t> bytes) {
  if (bytes.size() < 20) return std::nullopt;
  const size_t offset = size_t{bytes[12]} >> 4;
  if (offset < 5 || offset * 4 > bytes.size()) return std::nullopt;
  TcpHeaderFields f = *ParseQuotedTcpHeader(bytes);
  f.ack = LoadBe32(&bytes[8]);
  f.flags = bytes[13];
  return f;
}

std::optional<Ipv4Packet> ParseIpv4Packet(std::span<const uint8_t> bytes) {
  if (bytes.size() < 20 || bytes[0] >> 4 != 4) return std::nullopt;
  const size_t header = static_cast<size_t>(bytes[0] & 0x0f) * 4;
  const size_t total = LoadBe16(&bytes[2]);
  if (header < 20 || total < header || total > bytes.size()) return std::nullopt;
  const uint16_t fragment_offset = LoadBe16(&bytes[6]) & 0x1fff;
  if (fragment_offset != 0) return std::nullopt;
  Ipv4Packet p;
  p.protocol = bytes[9];
  std::copy_n(&bytes[12], 4, p.src.begin());
  std::copy_n(&bytes[16], 4, p.dst.begin());
  p.payload = bytes.subspan(header, total - header);
  return p;
}

std::optional<SynReply> ClassifyReply(const TcpHeaderFields& reply, uint32_t isn) {
  if (!(reply.flags & kTcpFlagAck) || reply.ack != isn + 1) return std::nullopt;
  if (reply.flags & kTcpFlagRst) return SynReply::kRefused;
  if ((reply.flags & (kTcpFlagSyn | kTcpFlagFin)) == kTcpFlagSyn) return SynReply::kOpen;
  return std::nullopt;
}

}  // namespace vigil::check

#include "check/tcp_segment.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "net/checksum.h"

namespace vigil::check {
namespace {

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

uint32_t Get32(const uint8_t* p) { return uint32_t{Get16(p)} << 16 | Get16(p + 2); }

}  // namespace

std::array<uint8_t, kSynLength> BuildSyn(const SegmentAddresses& addresses, uint16_t sport,
                                         uint16_t dport, uint32_t isn, uint16_t mss) {
  std::array<uint8_t, kSynLength> s{};
  Put16(&s[0], sport);
  Put16(&s[2], dport);
  Put32(&s[4], isn);
  // s[8..11]: acknowledgment number, zero in a SYN.
  s[12] = static_cast<uint8_t>((kSynLength / 4) << 4);  // data offset in 32-bit words
  s[13] = kTcpFlagSyn;
  Put16(&s[14], 64240);  // window
  // s[16..17]: checksum, filled below; s[18..19]: urgent pointer, zero.
  s[20] = 2;  // option kind: maximum segment size
  s[21] = 4;  // option length
  Put16(&s[22], mss);
  uint16_t sum;
  if (addresses.family == AF_INET) {
    std::array<uint8_t, 4> src, dst;
    std::copy_n(addresses.src.begin(), 4, src.begin());
    std::copy_n(addresses.dst.begin(), 4, dst.begin());
    sum = net::Ipv4PseudoHeaderChecksum(src, dst, IPPROTO_TCP, s);
  } else {
    sum = net::Ipv6PseudoHeaderChecksum(addresses.src, addresses.dst, IPPROTO_TCP, s);
  }
  Put16(&s[16], sum);
  return s;
}

std::array<uint8_t, kIpv4HeaderLength> BuildIpv4Header(const SegmentAddresses& addresses,
                                                       uint16_t payload_length) {
  std::array<uint8_t, kIpv4HeaderLength> h{};
  h[0] = 0x45;  // version 4, 5 words
  Put16(&h[2], static_cast<uint16_t>(kIpv4HeaderLength + payload_length));
  // h[4..5]: identification, 0 (not fragmented)
  h[6] = 0x40;  // don't fragment
  h[8] = 64;    // TTL
  h[9] = IPPROTO_TCP;
  std::copy_n(addresses.src.begin(), 4, &h[12]);
  std::copy_n(addresses.dst.begin(), 4, &h[16]);
  Put16(&h[10], net::InternetChecksum(h));
  return h;
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
  f.sport = Get16(&bytes[0]);
  f.dport = Get16(&bytes[2]);
  f.seq = Get32(&bytes[4]);
  return f;
}

std::optional<TcpHeaderFields> ParseTcpHeader(std::span<const uint8_t> bytes) {
  if (bytes.size() < 20) return std::nullopt;
  const size_t offset = size_t{bytes[12]} >> 4;
  if (offset < 5 || offset * 4 > bytes.size()) return std::nullopt;
  TcpHeaderFields f = *ParseQuotedTcpHeader(bytes);
  f.ack = Get32(&bytes[8]);
  f.flags = bytes[13];
  return f;
}

std::optional<Ipv4Packet> ParseIpv4Packet(std::span<const uint8_t> bytes) {
  if (bytes.size() < 20 || bytes[0] >> 4 != 4) return std::nullopt;
  const size_t header = static_cast<size_t>(bytes[0] & 0x0f) * 4;
  const size_t total = Get16(&bytes[2]);
  if (header < 20 || total < header || total > bytes.size()) return std::nullopt;
  const uint16_t fragment_offset = Get16(&bytes[6]) & 0x1fff;
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

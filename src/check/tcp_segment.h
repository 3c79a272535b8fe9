// The TCP segments of a half-open TCP_CHECK: the SYN it sends from a raw socket and the
// replies (SYN-ACK, RST) and ICMP quotes it reads back. Pure functions over bytes; no I/O.
#ifndef VIGIL_CHECK_TCP_SEGMENT_H_
#define VIGIL_CHECK_TCP_SEGMENT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "net/ipv4_header.h"

namespace vigil::check {

using net::kIpv4HeaderLength;

inline constexpr uint8_t kTcpFlagFin = 0x01;
inline constexpr uint8_t kTcpFlagSyn = 0x02;
inline constexpr uint8_t kTcpFlagRst = 0x04;
inline constexpr uint8_t kTcpFlagAck = 0x10;

// The two ends of a segment: IPv4 addresses use the first 4 bytes of src/dst.
struct SegmentAddresses {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> src{};
  std::array<uint8_t, 16> dst{};
};

inline constexpr size_t kSynLength = 24;  // 20-byte header + the MSS option

// Returns the SYN from `sport` to `dport` with initial sequence number `isn`: no payload,
// one option (MSS `mss`), window 64240, checksum over the pseudo-header of `addresses`.
std::array<uint8_t, kSynLength> BuildSyn(const SegmentAddresses& addresses, uint16_t sport,
                                         uint16_t dport, uint32_t isn, uint16_t mss);

// Returns the IPv4 header for `payload_length` bytes of TCP from addresses.src to
// addresses.dst: no options, ID 0, don't fragment (as TCP's SYNs), TTL 64, header checksum
// filled in. For a raw socket with IP_HDRINCL.
std::array<uint8_t, kIpv4HeaderLength> BuildIpv4Header(const SegmentAddresses& addresses,
                                                       uint16_t payload_length);

// Returns what follows the IPv4 header at the start of `bytes`, however short (an ICMP error
// quotes only the start of a packet); empty if `bytes` is not an IPv4 header.
std::span<const uint8_t> QuotedIpv4Payload(std::span<const uint8_t> bytes);

// The fields of a TCP header a probe matches replies on.
struct TcpHeaderFields {
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
};

// Reads a TCP header from the start of `bytes` (at least 20 bytes, data offset >= 5);
// nullopt if it is too short or malformed. The checksum is not verified (the kernel has).
std::optional<TcpHeaderFields> ParseTcpHeader(std::span<const uint8_t> bytes);

// Reads the first 8 bytes of a TCP header (ports and sequence number), as much of it as an
// ICMP error quotes; nullopt if shorter.
std::optional<TcpHeaderFields> ParseQuotedTcpHeader(std::span<const uint8_t> bytes);

// An IPv4 packet as a raw IPv4 socket reads it: the header's addresses and what follows it.
struct Ipv4Packet {
  uint8_t protocol = 0;
  std::array<uint8_t, 4> src{};
  std::array<uint8_t, 4> dst{};
  std::span<const uint8_t> payload;
};

// Splits an IPv4 packet (header with options, then payload up to the total length);
// nullopt if it is not IPv4, is truncated, or is a fragment other than the first.
std::optional<Ipv4Packet> ParseIpv4Packet(std::span<const uint8_t> bytes);

// What a reply means for the probe whose SYN carried `isn`: nullopt when it does not answer
// that SYN (wrong acknowledgment number or flags).
enum class SynReply { kOpen, kRefused };
std::optional<SynReply> ClassifyReply(const TcpHeaderFields& reply, uint32_t isn);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_TCP_SEGMENT_H_

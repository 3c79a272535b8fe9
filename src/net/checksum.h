// The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers that upper-layer
// checksums (VRRPv3, ICMPv6, UDP) cover. Pure functions; no system calls.
#ifndef VIGIL_NET_CHECKSUM_H_
#define VIGIL_NET_CHECKSUM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace vigil::net {

// Accumulates the one's-complement sum of a byte stream taken as big-endian 16-bit
// words. Bytes may be added in pieces of any length, odd ones included: the result is
// the same as for one contiguous buffer. Not thread-safe; a cheap value type.
class ChecksumAccumulator {
 public:
  // Adds `bytes` to the running sum.
  void Add(std::span<const uint8_t> bytes);
  // Adds one 16-bit value (host order) as if its two big-endian bytes were added.
  // Requires an even number of bytes added so far.
  void AddWord(uint16_t word);
  // Returns the checksum: the one's complement of the folded sum, in host order.
  // Write it to the wire big-endian. A buffer whose checksum field already holds the
  // right value yields 0.
  uint16_t Finish() const;

 private:
  uint64_t sum_ = 0;
  bool odd_ = false;  // an odd number of bytes has been added; the next byte is low
};

// Returns the RFC 1071 checksum of `bytes` (host order; write it big-endian).
uint16_t InternetChecksum(std::span<const uint8_t> bytes);

// Returns the checksum of `payload` preceded by the IPv4 pseudo-header
// {src, dst, zero, protocol, 16-bit length of payload}. `src` and `dst` are in
// network byte order (as on the wire).
uint16_t Ipv4PseudoHeaderChecksum(const std::array<uint8_t, 4>& src,
                                  const std::array<uint8_t, 4>& dst, uint8_t protocol,
                                  std::span<const uint8_t> payload);

// Returns the checksum of `payload` preceded by the IPv6 pseudo-header of RFC 8200
// section 8.1 {src, dst, 32-bit length of payload, 3 zero bytes, next header}.
uint16_t Ipv6PseudoHeaderChecksum(const std::array<uint8_t, 16>& src,
                                  const std::array<uint8_t, 16>& dst, uint8_t next_header,
                                  std::span<const uint8_t> payload);

}  // namespace vigil::net

#endif  // VIGIL_NET_CHECKSUM_H_

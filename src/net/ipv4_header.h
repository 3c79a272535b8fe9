// Building the fixed IPv4 header of packets vigil writes itself (raw sockets with the header
// included), and the big-endian loads and stores the packet codecs share. Pure; no I/O.
#ifndef VIGIL_NET_IPV4_HEADER_H_
#define VIGIL_NET_IPV4_HEADER_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace vigil::net {

inline uint16_t LoadBe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t LoadBe32(const uint8_t* p) { return uint32_t{LoadBe16(p)} << 16 | LoadBe16(p + 2); }
inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  StoreBe16(p, static_cast<uint16_t>(v >> 16));
  StoreBe16(p + 2, static_cast<uint16_t>(v));
}

inline constexpr size_t kIpv4HeaderLength = 20;  // without options

// The fields of an IPv4 header that differ between the packets vigil builds.
struct Ipv4HeaderFields {
  uint8_t tos = 0;
  uint16_t id = 0;
  bool dont_fragment = false;
  uint8_t ttl = 64;
  uint8_t protocol = 0;
  std::array<uint8_t, 4> src{};  // network byte order
  std::array<uint8_t, 4> dst{};
};

// Returns the 20-byte header (version 4, no options, not a fragment) for `payload_length`
// bytes of payload, with its checksum filled in.
std::array<uint8_t, kIpv4HeaderLength> BuildIpv4Header(const Ipv4HeaderFields& fields,
                                                       uint16_t payload_length);

}  // namespace vigil::net

#endif  // VIGIL_NET_IPV4_HEADER_H_

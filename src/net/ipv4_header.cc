#include "net/ipv4_header.h"

#include <algorithm>

#include "net/checksum.h"

namespace vigil::net {

std::array<uint8_t, kIpv4HeaderLength> BuildIpv4Header(const Ipv4HeaderFields& fields,
                                                       uint16_t payload_length) {
  std::array<uint8_t, kIpv4HeaderLength> h{};
  h[0] = 0x45;  // version 4, 5 words of header
  h[1] = fields.tos;
  StoreBe16(&h[2], static_cast<uint16_t>(kIpv4HeaderLength + payload_length));
  StoreBe16(&h[4], fields.id);
  h[6] = fields.dont_fragment ? 0x40 : 0;  // flags; fragment offset 0
  h[8] = fields.ttl;
  h[9] = fields.protocol;
  std::copy(fields.src.begin(), fields.src.end(), &h[12]);
  std::copy(fields.dst.begin(), fields.dst.end(), &h[16]);
  StoreBe16(&h[10], InternetChecksum(h));
  return h;
}

}  // namespace vigil::net

// libFuzzer target for received VRRP adverts (v2/v3 over IPv4/IPv6): DecodeVrrp and
// ValidateAdvert on arbitrary bytes, with three invariants:
//  - decode -> encode -> decode gives the same advert (the fields the wire carries);
//  - an advert ValidateAdvert accepts is the one DecodeVrrp reads from the same message;
//  - an advert encoded for the instance's expectation is accepted, unchanged.
// Input: flags byte, hop limit byte, destination byte, then the packet as read from the raw
// socket (IPv4: from the IP header on; IPv6: the VRRP message).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "model/address.h"
#include "vrrp/packet.h"

namespace {

using vigil::model::Family;
using vigil::model::IpAddress;
namespace vrrp = vigil::vrrp;

IpAddress V6(uint8_t first, uint8_t second, uint8_t last) {
  std::array<uint8_t, 16> b{};
  b[0] = first;
  b[1] = second;
  b[15] = last;
  return IpAddress::V6(b);
}

// The advert as it reads back after encoding: no checksum, and v2/IPv4 auth data only with
// a password.
vrrp::Advert Normalized(vrrp::Advert a, Family family) {
  a.checksum = 0;
  if (a.version != vrrp::Version::kV2 || family != Family::kIpv4 ||
      a.auth_type != vrrp::AuthType::kPass) {
    a.auth_data = {};
  }
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::Reader in(data, size);
  const uint8_t flags = in.Byte();
  const uint8_t hop = in.Byte();
  const uint8_t dst_choice = in.Byte();
  const std::span<const uint8_t> bytes = in.Rest();

  const Family family = (flags & 1) ? Family::kIpv6 : Family::kIpv4;
  const bool v6 = family == Family::kIpv6;
  const std::vector<IpAddress> vips =
      v6 ? std::vector<IpAddress>{V6(0x20, 0x01, 1), V6(0x20, 0x01, 2)}
         : std::vector<IpAddress>{IpAddress::V4(0xc0a80001), IpAddress::V4(0xc0a80002)};
  const IpAddress peer_address = v6 ? V6(0xfe, 0x80, 1) : IpAddress::V4(0x0a000001);
  const IpAddress unicast_dst = v6 ? V6(0xfe, 0x80, 2) : IpAddress::V4(0x0a000002);
  const IpAddress group = v6 ? vrrp::Ipv6MulticastGroup() : vrrp::Ipv4MulticastGroup();
  const std::vector<vrrp::UnicastPeer> peers = {{peer_address, 64, 255}};

  vrrp::Expectation expect;
  expect.family = family;
  expect.version = (flags & 2) ? vrrp::Version::kV3 : vrrp::Version::kV2;
  expect.vrid = 51;
  expect.unicast = (flags & 4) != 0;
  expect.check_unicast_source = (flags & 8) != 0;
  expect.v3_checksum_as_v2 = (flags & 16) != 0;
  expect.verify_ipv6_checksum = (flags & 32) != 0;
  const uint8_t auth = flags >> 6;
  expect.auth_type = auth == 1 ? vrrp::AuthType::kPass
                     : auth == 2 ? vrrp::AuthType::kAh
                                 : vrrp::AuthType::kNone;
  expect.auth_data = vrrp::MakeAuthData("secret");
  expect.interval = expect.version == vrrp::Version::kV2 ? 1 : 100;
  expect.virtual_addresses = vips;
  expect.peers = peers;

  vrrp::ReceivedPacket packet;
  packet.bytes = bytes;
  packet.family = family;
  packet.source = peer_address;
  packet.destination = (dst_choice & 1) ? unicast_dst : group;
  packet.hop_limit = hop == 0 ? -1 : hop;

  // The VRRP message inside the packet.
  std::span<const uint8_t> message = bytes;
  if (!v6 && !bytes.empty()) {
    const size_t ihl = (bytes[0] & 0x0fu) * 4u;
    if (ihl >= vrrp::kIpv4HeaderSize && ihl <= bytes.size()) message = bytes.subspan(ihl);
  }
  const auto decoded = vrrp::DecodeVrrp(message, family);
  if (decoded) {
    auto encoded = vrrp::EncodeVrrp(*decoded, family);
    FUZZ_CHECK(encoded.has_value());
    FUZZ_CHECK(encoded->size() == vrrp::MessageSize(decoded->version, family,
                                                    decoded->addresses.size()));
    const auto again = vrrp::DecodeVrrp(*encoded, family);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == Normalized(*decoded, family));
  }

  const auto valid = vrrp::ValidateAdvert(packet, expect);
  if (valid) {
    FUZZ_CHECK(decoded.has_value());
    FUZZ_CHECK(valid->advert == *decoded);
    FUZZ_CHECK(valid->advert.vrid == expect.vrid);
    FUZZ_CHECK(valid->advert.version == expect.version);
  } else {
    FUZZ_CHECK(!vrrp::RejectReasonName(valid.error()).empty());
    FUZZ_CHECK(vrrp::RejectReasonName(valid.error()) != "unknown");
  }

  // What a well-behaved peer would send with these addresses must pass.
  if (decoded && expect.auth_type != vrrp::AuthType::kAh) {
    vrrp::Advert a = *decoded;
    a.type = vrrp::kAdvertType;
    a.vrid = expect.vrid;
    a.version = expect.version;
    a.interval = expect.interval;
    a.auth_type = expect.version == vrrp::Version::kV2 ? expect.auth_type : vrrp::AuthType::kNone;
    a.auth_data = expect.auth_type == vrrp::AuthType::kPass ? expect.auth_data : vrrp::AuthData{};
    const IpAddress dst = expect.unicast ? unicast_dst : group;
    vrrp::ChecksumOptions options;
    options.v3_checksum_as_v2 = expect.v3_checksum_as_v2;
    std::vector<uint8_t> wire;
    vrrp::ReceivedPacket sent;
    sent.family = family;
    if (v6) {
      auto m = vrrp::EncodeVrrp(a, peer_address, dst, options);
      FUZZ_CHECK(m.has_value());
      wire = std::move(*m);
      sent.source = peer_address;
      sent.destination = dst;
      sent.hop_limit = vrrp::kVrrpTtl;
    } else {
      auto p = vrrp::EncodeIpv4Packet(a, {.src = peer_address, .dst = dst, .ttl = vrrp::kVrrpTtl,
                                          .id = 1}, options);
      FUZZ_CHECK(p.has_value());
      wire = std::move(*p);
    }
    sent.bytes = wire;
    // keepalived's v2 password only exists over IPv4; an IPv6 v2 instance with one refuses all.
    const bool password_impossible = expect.version == vrrp::Version::kV2 &&
                                     expect.auth_type == vrrp::AuthType::kPass && v6;
    const auto accepted = vrrp::ValidateAdvert(sent, expect);
    if (password_impossible) {
      FUZZ_CHECK(!accepted && accepted.error() == vrrp::RejectReason::kAuthFailure);
    } else {
      FUZZ_CHECK(accepted.has_value());
      vrrp::Advert expected = a;
      expected.checksum = accepted->advert.checksum;
      FUZZ_CHECK(Normalized(accepted->advert, family) == Normalized(expected, family));
      FUZZ_CHECK(!accepted->legacy_unicast_checksum);
    }
  }
  return 0;
}

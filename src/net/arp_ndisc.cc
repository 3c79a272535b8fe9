#include "net/arp_ndisc.h"

#include <array>
#include <cstring>

#include "net/checksum.h"

namespace vigil::net {
namespace {

void Put16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void PutBytes(std::vector<std::uint8_t>& out, const void* data, std::size_t len) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  out.insert(out.end(), p, p + len);
}

constexpr std::uint8_t kBroadcastMac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr std::uint8_t kAllNodesMac[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeArp = 0x0806;
constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr std::uint8_t kIcmpv6 = 58;
constexpr std::uint8_t kNeighbourAdvert = 136;
constexpr std::uint8_t kNaRouter = 0x80;
constexpr std::uint8_t kNaOverride = 0x20;
constexpr std::uint8_t kOptTargetLinkAddr = 2;

}  // namespace

std::vector<std::uint8_t> BuildGratuitousArp(const MacAddress& mac, const in_addr& vip) {
  std::vector<std::uint8_t> f;
  f.reserve(kGratuitousArpFrameSize);
  PutBytes(f, kBroadcastMac, 6);
  PutBytes(f, mac.data(), 6);
  Put16(f, kEtherTypeArp);
  Put16(f, 1);  // hardware type: Ethernet
  Put16(f, kEtherTypeIpv4);
  f.push_back(6);  // hardware address length
  f.push_back(4);  // protocol address length
  Put16(f, 1);     // request
  PutBytes(f, mac.data(), 6);
  PutBytes(f, &vip.s_addr, 4);
  PutBytes(f, kBroadcastMac, 6);
  PutBytes(f, &vip.s_addr, 4);
  return f;
}

std::vector<std::uint8_t> BuildUnsolicitedNa(const MacAddress& mac, const in6_addr& vip,
                                             bool router) {
  in6_addr all_nodes{};
  all_nodes.s6_addr[0] = 0xff;
  all_nodes.s6_addr[1] = 0x02;
  all_nodes.s6_addr[15] = 0x01;

  std::vector<std::uint8_t> icmp;
  icmp.reserve(32);
  icmp.push_back(kNeighbourAdvert);
  icmp.push_back(0);  // code
  Put16(icmp, 0);     // checksum, filled in below
  icmp.push_back(static_cast<std::uint8_t>(kNaOverride | (router ? kNaRouter : 0)));
  icmp.insert(icmp.end(), 3, 0);  // reserved
  PutBytes(icmp, vip.s6_addr, 16);
  icmp.push_back(kOptTargetLinkAddr);
  icmp.push_back(1);  // option length in units of 8 bytes
  PutBytes(icmp, mac.data(), 6);
  std::array<std::uint8_t, 16> src;
  std::array<std::uint8_t, 16> dst;
  std::memcpy(src.data(), vip.s6_addr, 16);
  std::memcpy(dst.data(), all_nodes.s6_addr, 16);
  const std::uint16_t checksum = Ipv6PseudoHeaderChecksum(src, dst, kIcmpv6, icmp);
  icmp[2] = static_cast<std::uint8_t>(checksum >> 8);
  icmp[3] = static_cast<std::uint8_t>(checksum & 0xff);

  std::vector<std::uint8_t> f;
  f.reserve(kUnsolicitedNaFrameSize);
  PutBytes(f, kAllNodesMac, 6);
  PutBytes(f, mac.data(), 6);
  Put16(f, kEtherTypeIpv6);
  f.push_back(0x60);  // version 6, traffic class 0
  f.insert(f.end(), 3, 0);  // traffic class / flow label
  Put16(f, static_cast<std::uint16_t>(icmp.size()));
  f.push_back(kIcmpv6);
  f.push_back(255);  // hop limit
  PutBytes(f, vip.s6_addr, 16);
  PutBytes(f, all_nodes.s6_addr, 16);
  f.insert(f.end(), icmp.begin(), icmp.end());
  return f;
}

}  // namespace vigil::net

// Gratuitous ARP and unsolicited IPv6 Neighbour Advertisement frames, announcing that a
// virtual address now lives behind a given MAC. Pure builders: complete Ethernet frames.
#ifndef VIGIL_NET_ARP_NDISC_H_
#define VIGIL_NET_ARP_NDISC_H_

#include <netinet/in.h>

#include <cstdint>
#include <span>
#include <vector>

#include "net/rtnetlink.h"

namespace vigil::net {

inline constexpr std::size_t kGratuitousArpFrameSize = 42;
inline constexpr std::size_t kUnsolicitedNaFrameSize = 86;

// Returns a 42-byte Ethernet frame: an ARP request from `mac` to ff:ff:ff:ff:ff:ff in which
// sender and target protocol address are both `vip`, and the target hardware address is the
// broadcast address (as keepalived sends it).
std::vector<std::uint8_t> BuildGratuitousArp(const MacAddress& mac, const in_addr& vip);

// Returns an 86-byte Ethernet frame: an ICMPv6 Neighbour Advertisement for target `vip`, from
// `vip` to ff02::1 (Ethernet 33:33:00:00:00:01), hop limit 255, Override flag set, Router flag
// set iff `router`, Solicited clear, with a target link-layer address option carrying `mac`
// and a correct ICMPv6 checksum.
std::vector<std::uint8_t> BuildUnsolicitedNa(const MacAddress& mac, const in6_addr& vip,
                                             bool router);

}  // namespace vigil::net

#endif  // VIGIL_NET_ARP_NDISC_H_
